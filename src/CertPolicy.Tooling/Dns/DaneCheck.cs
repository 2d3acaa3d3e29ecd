using CertPolicy.Dane;

namespace CertPolicy.Dns;

/// <summary>What DANE says about one MX host, from its TLSA look-up and its presented chain.</summary>
internal enum DaneCheckStatus : byte
{
    /// <summary>DANE does not apply: no TLSA records, TLSA records without DNSSEC (RFC 7672 2.2), or no usable record.</summary>
    NotApplicable = 0,

    /// <summary>A secure, usable TLSA record authenticates the chain.</summary>
    Valid = 1,

    /// <summary>Secure, usable TLSA records exist and none authenticates the chain: Postfix at level dane defers.</summary>
    Invalid = 2,

    /// <summary>The TLSA look-up is DNSSEC-bogus or failed: Postfix at level dane defers (RFC 7672 2.2).</summary>
    DnsFailure = 3,
}

/// <summary>The DANE outcome for one MX host.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Match">The matcher's result when the records were matched, else null.</param>
/// <param name="Findings">What was found, in order (the matcher's findings when it ran).</param>
internal sealed record DaneCheckResult(DaneCheckStatus Status, DaneResult? Match, IReadOnlyList<DaneFinding> Findings)
{
    /// <summary>The owner name the TLSA records were looked up at (<c>_25._tcp.BASE</c>; RFC 7672 2.2.3 says which base).</summary>
    internal string? TlsaName { get; init; }

    /// <summary>The TLSA base domain the DANE-TA names were checked against.</summary>
    internal string? TlsaBaseDomain { get; init; }

    /// <summary>True when Postfix at level dane would not deliver to this host (a mismatch or a DNS failure).</summary>
    internal bool Defers => Status is DaneCheckStatus.Invalid or DaneCheckStatus.DnsFailure;
}

/// <summary>
/// The DANE glue of a domain-level check: the TLSA answer of <see cref="DomainResolver.LookupTlsaAsync"/> and a presented
/// chain through <see cref="DaneMatcher"/>, with the DNS rules of RFC 7672 2.2 first:
/// <list type="bullet">
/// <item>bogus (the resolver fails validation) or a failed look-up (SERVFAIL, timeout, ...): a DANE failure, Postfix
/// defers (RFC 7672 2.2: a TLSA look-up that fails cannot be told from an attack that strips the records);</item>
/// <item>records without the AD bit, or no records (NODATA, NXDOMAIN): DANE does not apply;</item>
/// <item>secure records: matched against the chain.</item>
/// </list>
/// The DNSSEC status is the resolver's AD bit (see <see cref="DomainResolver"/>); nothing here validates DNSSEC. The caller
/// looks TLSA up only for hosts whose MX and address answers are secure (RFC 7672 2.2.1 and 2.2.2: for an insecure MX
/// host or address, DANE does not apply and a TLSA look-up failure does not matter); this class does not know those
/// answers.
/// </summary>
internal static class DaneCheck
{
    /// <summary>Evaluates one host. Never throws on data.</summary>
    /// <param name="tlsa">The TLSA answer of <c>_25._tcp.HOST</c>.</param>
    /// <param name="chain">The presented chain, leaf first, DER.</param>
    /// <param name="tlsaBaseDomain">The MX host name.</param>
    /// <param name="nextHopDomain">The recipient domain.</param>
    /// <param name="now">The validation time (DANE-TA checks validity below the trust anchor).</param>
    /// <param name="matcher">The matcher.</param>
    /// <returns>The outcome.</returns>
    internal static DaneCheckResult Evaluate(DnsAnswer<TlsaRecord> tlsa, IReadOnlyList<ReadOnlyMemory<byte>> chain, string tlsaBaseDomain, string nextHopDomain, DateTimeOffset now, DaneMatcher matcher)
    {
        ArgumentNullException.ThrowIfNull(tlsa);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(matcher);
        if (tlsa.Dnssec == DnssecStatus.Bogus)
        {
            return Single(DaneCheckStatus.DnsFailure, "dane.dnssec-bogus", "R-D1",
                "the TLSA records of " + tlsa.Name + " fail DNSSEC validation (bogus): Postfix at level dane defers mail to this gateway (RFC 7672 2.2)");
        }

        switch (tlsa.Outcome)
        {
            case DnsOutcome.ServerFailure or DnsOutcome.Failure or DnsOutcome.Timeout or DnsOutcome.NetworkError:
                return Single(DaneCheckStatus.DnsFailure, "dane.tlsa-lookup-failed", "R-D1",
                    "the TLSA look-up of " + tlsa.Name + " failed (" + (tlsa.Why ?? tlsa.Outcome.ToString()) + "): Postfix at level dane defers mail to this gateway (RFC 7672 2.2)");
            case DnsOutcome.NoData or DnsOutcome.NxDomain:
                return Single(DaneCheckStatus.NotApplicable, "dane.no-tlsa", "R-D1",
                    "no TLSA records at " + tlsa.Name + (tlsa.IsSecure ? " (authenticated denial)" : " (and the denial is not DNSSEC-signed)") + ": DANE does not apply to this gateway");
        }

        if (!tlsa.IsSecure)
        {
            return Single(DaneCheckStatus.NotApplicable, "dane.tlsa-insecure", "R-D1",
                "the TLSA records of " + tlsa.Name + " are not DNSSEC-validated (the resolver did not set the AD bit): they are ignored and DANE does not apply (RFC 7672 2.2)");
        }

        var match = matcher.Match(tlsa.Records, chain, tlsaBaseDomain, nextHopDomain, now);
        var status = match.Status switch
        {
            DaneStatus.Valid => DaneCheckStatus.Valid,
            DaneStatus.Invalid => DaneCheckStatus.Invalid,
            _ => DaneCheckStatus.NotApplicable,
        };
        return new DaneCheckResult(status, match, match.Findings);
    }

    /// <summary>The same for a chain of DER arrays.</summary>
    /// <param name="tlsa">The TLSA answer.</param>
    /// <param name="chain">The presented chain, leaf first, DER.</param>
    /// <param name="tlsaBaseDomain">The MX host name.</param>
    /// <param name="nextHopDomain">The recipient domain.</param>
    /// <param name="now">The validation time.</param>
    /// <param name="matcher">The matcher.</param>
    /// <returns>The outcome.</returns>
    internal static DaneCheckResult Evaluate(DnsAnswer<TlsaRecord> tlsa, IReadOnlyList<byte[]> chain, string tlsaBaseDomain, string nextHopDomain, DateTimeOffset now, DaneMatcher matcher)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var memory = new ReadOnlyMemory<byte>[chain.Count];
        for (int i = 0; i < memory.Length; i++)
        {
            memory[i] = chain[i];
        }

        return Evaluate(tlsa, memory, tlsaBaseDomain, nextHopDomain, now, matcher);
    }

    /// <summary>Evaluates one host from its <see cref="DomainResolver.LookupTlsaForHostAsync(string, int, CancellationToken)"/>
    /// answer: the TLSA base domain of RFC 7672 2.2.3 is the DANE-TA name, and the result says which name was used.</summary>
    /// <param name="tlsa">The TLSA look-up with its base domain.</param>
    /// <param name="chain">The presented chain, leaf first, DER.</param>
    /// <param name="nextHopDomain">The recipient domain.</param>
    /// <param name="now">The validation time.</param>
    /// <param name="matcher">The matcher.</param>
    /// <returns>The outcome.</returns>
    internal static DaneCheckResult Evaluate(TlsaLookup tlsa, IReadOnlyList<ReadOnlyMemory<byte>> chain, string nextHopDomain, DateTimeOffset now, DaneMatcher matcher)
    {
        ArgumentNullException.ThrowIfNull(tlsa);
        var result = Evaluate(tlsa.Answer, chain, tlsa.BaseDomain, nextHopDomain, now, matcher);
        var findings = new List<DaneFinding>(result.Findings.Count + 1);
        if (tlsa.Why is { } why)
        {
            findings.Add(new DaneFinding("dane.tlsa-base-domain", "R-D1", why));
        }

        findings.AddRange(result.Findings);
        return result with { Findings = findings, TlsaName = tlsa.TlsaName, TlsaBaseDomain = tlsa.BaseDomain };
    }

    /// <summary>The core's input for the levels dane and dane-only (<see cref="DaneInput"/>) from a TLSA answer: records
    /// with their AD bit, no records, or a failed/bogus look-up with its reason.</summary>
    /// <param name="tlsa">The TLSA answer.</param>
    /// <param name="tlsaBaseDomain">The TLSA base domain when it is the CNAME expansion of the MX host, else null.</param>
    /// <returns>The input.</returns>
    internal static DaneInput ToInput(DnsAnswer<TlsaRecord> tlsa, string? tlsaBaseDomain = null)
    {
        ArgumentNullException.ThrowIfNull(tlsa);
        if (tlsa.Dnssec == DnssecStatus.Bogus)
        {
            return DaneInput.LookupFailed(tlsa.Why ?? "the answer fails DNSSEC validation", true, tlsa.Name);
        }

        return tlsa.Outcome switch
        {
            DnsOutcome.Answer => DaneInput.WithRecords(tlsa.Records, tlsa.IsSecure, tlsa.Name, tlsaBaseDomain),
            DnsOutcome.NoData or DnsOutcome.NxDomain => DaneInput.None(tlsa.IsSecure, tlsa.Name),
            _ => DaneInput.LookupFailed(tlsa.Why ?? tlsa.Outcome.ToString(), false, tlsa.Name),
        };
    }

    /// <summary>The same from a look-up with its base domain (RFC 7672 2.2.3).</summary>
    /// <param name="tlsa">The TLSA look-up.</param>
    /// <returns>The input.</returns>
    internal static DaneInput ToInput(TlsaLookup tlsa)
    {
        ArgumentNullException.ThrowIfNull(tlsa);
        return ToInput(tlsa.Answer, tlsa.Expanded ? tlsa.BaseDomain : null);
    }

    private static DaneCheckResult Single(DaneCheckStatus status, string code, string rule, string message) =>
        new(status, null, [new DaneFinding(code, rule, message)]);
}
