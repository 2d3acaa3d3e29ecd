namespace CertPolicy.Dane;

/// <summary>How the TLSA look-up of a gateway ended (what the caller's DNS gave; the core has no DNS).</summary>
internal enum TlsaLookupState : byte
{
    /// <summary>TLSA records were returned (<see cref="DaneInput.Records"/>).</summary>
    Records = 0,

    /// <summary>No TLSA records (NODATA or NXDOMAIN).</summary>
    NoRecords = 1,

    /// <summary>The look-up failed (SERVFAIL, timeout, network) or the answer is DNSSEC-bogus: RFC 7672 2.2 treats it as
    /// a possible attack that strips the records, so Postfix defers at levels dane and dane-only.</summary>
    Failed = 2,
}

/// <summary>
/// What DNS gave for one gateway's TLSA records (RFC 6698, RFC 7672 2.2): the records, whether the answer is
/// DNSSEC-validated (the resolver's AD bit), or a failed/bogus look-up with its reason. The input of the DANE levels of
/// <see cref="Evaluation.CompiledPolicy"/> and the probe; built by the DNS layer (<c>CertPolicy.Dns.DaneCheck</c>) or
/// from records given on the command line (taken as validated).
/// </summary>
internal sealed class DaneInput
{
    private DaneInput(TlsaLookupState state, IReadOnlyList<TlsaRecord> records, bool secure, string? failure, bool bogus, string? tlsaName, string? baseDomain)
    {
        State = state;
        Records = records;
        Secure = secure;
        Failure = failure;
        Bogus = bogus;
        TlsaName = tlsaName;
        TlsaBaseDomain = baseDomain;
    }

    /// <summary>How the look-up ended.</summary>
    internal TlsaLookupState State { get; }

    /// <summary>The TLSA RRset (empty unless <see cref="TlsaLookupState.Records"/>).</summary>
    internal IReadOnlyList<TlsaRecord> Records { get; }

    /// <summary>True when the answer (records or denial) is DNSSEC-validated (AD bit). RFC 7672 2.2: records that are not
    /// secure are ignored.</summary>
    internal bool Secure { get; }

    /// <summary>Why the look-up failed (with <see cref="TlsaLookupState.Failed"/>), for the report.</summary>
    internal string? Failure { get; }

    /// <summary>True when the failure is a DNSSEC validation failure (bogus) rather than a server or network failure.</summary>
    internal bool Bogus { get; }

    /// <summary>The owner name the records came from (<c>_25._tcp.mx.example.com</c>), for the report; null when not known.</summary>
    internal string? TlsaName { get; }

    /// <summary>The TLSA base domain (RFC 7672 2.2.3: the CNAME-expanded MX host name when the records were found there),
    /// or null for the MX host name itself. DANE-TA name checks use it.</summary>
    internal string? TlsaBaseDomain { get; }

    /// <summary>True when at least one record is usable for SMTP (DANE-TA(2) or DANE-EE(3), known selector and matching
    /// type, RFC 7672 3.1.3).</summary>
    internal bool HasUsableRecord
    {
        get
        {
            foreach (var r in Records)
            {
                if (r.IsUsable)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Records as DNS returned them.</summary>
    /// <param name="records">The RRset (at least one record).</param>
    /// <param name="secure">DNSSEC-validated.</param>
    /// <param name="tlsaName">Where they were found, or null.</param>
    /// <param name="tlsaBaseDomain">The TLSA base domain when it is not the MX host name (RFC 7672 2.2.3), or null.</param>
    /// <returns>The input.</returns>
    internal static DaneInput WithRecords(IReadOnlyList<TlsaRecord> records, bool secure, string? tlsaName = null, string? tlsaBaseDomain = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.Count == 0
            ? new DaneInput(TlsaLookupState.NoRecords, [], secure, null, false, tlsaName, tlsaBaseDomain)
            : new DaneInput(TlsaLookupState.Records, [.. records], secure, null, false, tlsaName, tlsaBaseDomain);
    }

    /// <summary>No TLSA records (NODATA or NXDOMAIN).</summary>
    /// <param name="secure">The denial is DNSSEC-validated.</param>
    /// <param name="tlsaName">The name looked up, or null.</param>
    /// <returns>The input.</returns>
    internal static DaneInput None(bool secure, string? tlsaName = null) => new(TlsaLookupState.NoRecords, [], secure, null, false, tlsaName, null);

    /// <summary>A failed or bogus look-up.</summary>
    /// <param name="reason">What went wrong, in English.</param>
    /// <param name="bogus">True for a DNSSEC validation failure.</param>
    /// <param name="tlsaName">The name looked up, or null.</param>
    /// <returns>The input.</returns>
    internal static DaneInput LookupFailed(string reason, bool bogus, string? tlsaName = null)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return new DaneInput(TlsaLookupState.Failed, [], false, reason, bogus, tlsaName, null);
    }

    /// <summary>The owner name for messages: the name looked up, or "the TLSA records".</summary>
    internal string Where => TlsaName is null ? "the gateway's TLSA records" : "the TLSA records of " + TlsaName;
}
