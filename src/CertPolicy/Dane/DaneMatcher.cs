using System.Globalization;
using CertPolicy.Names;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Dane;

/// <summary>The DANE outcome for one gateway (R-D1).</summary>
internal enum DaneStatus : byte
{
    /// <summary>No usable TLSA record (none published, or only PKIX-TA/PKIX-EE or unknown parameters): DANE does not apply
    /// (RFC 7672 2.2: the connection is then like "encrypt" at the dane level).</summary>
    NoUsableRecords = 0,

    /// <summary>A usable record authenticates the chain (DANE-valid).</summary>
    Valid = 1,

    /// <summary>Usable records exist and none authenticates the chain: Postfix's dane level defers the delivery.</summary>
    Invalid = 2,
}

/// <summary>One DANE finding: a stable code, the rule it belongs to (or null for a plain report line), and a message.</summary>
/// <param name="Code">Stable code (<c>dane.*</c>).</param>
/// <param name="Rule">R-D1, or R-C7 for a DANE-valid self-signed certificate.</param>
/// <param name="Message">English, for a mail administrator.</param>
internal sealed record DaneFinding(string Code, string? Rule, string Message);

/// <summary>The result of <see cref="DaneMatcher.Match"/>.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Matched">The record that authenticated the chain, or null.</param>
/// <param name="Depth">The chain position the matched record names (0 = the leaf), or -1.</param>
/// <param name="Findings">What was found, in order: the reason per record that failed, then the outcome.</param>
internal sealed record DaneResult(DaneStatus Status, TlsaRecord? Matched, int Depth, IReadOnlyList<DaneFinding> Findings);

/// <summary>
/// Matches a gateway's presented chain against its TLSA records as an SMTP client must (RFC 7672 3.1, RFC 7671 5; R-D1).
/// <list type="bullet">
/// <item><b>DANE-EE(3)</b>: the leaf's certificate or SubjectPublicKeyInfo, as is or hashed, equals the data. No name
/// check and no validity check (RFC 7672 3.1.1). A self-signed leaf is DANE-valid and still breaks R-C7: reported.</item>
/// <item><b>DANE-TA(2)</b>: a certificate of the presented chain above the leaf matches; the chain from the leaf up to it
/// links by name and signature, the certificates below it are within their validity period and the ones between are
/// CAs, and the leaf names the TLSA base domain (the MX host) or the next-hop domain (RFC 7672 3.1.2 and 3.2.2). The
/// trust anchor's own validity is not checked (RFC 7671 5.2.1).</item>
/// <item><b>PKIX-TA(0), PKIX-EE(1)</b>, unknown parameters and digests of the wrong length: unusable (RFC 7672 3.1.3,
/// RFC 7671 4); when every record is unusable, DANE does not apply.</item>
/// </list>
/// Not done: a DANE-TA(2) "2 1 0" record whose trust-anchor key is not in the presented chain (RFC 7671 5.2.2) does not
/// authenticate here (fail closed: the gateway must send its trust anchor, as RFC 7672 3.1.2 asks). Work is bounded: at
/// most <see cref="MaxRecords"/> records and <see cref="MaxChain"/> certificates are looked at, and each link of the
/// chain is verified at most once.
/// </summary>
internal sealed class DaneMatcher
{
    /// <summary>The most TLSA records considered (a hostile zone may publish thousands); the rest are reported and ignored.</summary>
    internal const int MaxRecords = 64;

    /// <summary>The most presented certificates considered (the chain reader's limit).</summary>
    internal const int MaxChain = CertificateChainReader.MaxCertificates;

    /// <summary>The names a DANE-TA(2) match needs (RFC 7672 3.2.2; Postfix: the TLSA base domain and the next-hop domain).</summary>
    internal static readonly MatchList TaNames = MatchList.TryParse("hostname:nexthop", out var list, out _) ? list! : throw new InvalidOperationException("match list");

    private readonly ChainValidator _validator;

    /// <summary>A matcher whose signature checks use <paramref name="validator"/>'s (bounded, cached) verifier.</summary>
    /// <param name="validator">Any validator; its trust store plays no part in DANE.</param>
    internal DaneMatcher(ChainValidator validator)
    {
        ArgumentNullException.ThrowIfNull(validator);
        _validator = validator;
    }

    /// <summary>Matches the chain against the records. Never throws on data.</summary>
    /// <param name="records">The TLSA RRset of <c>_25._tcp.MXHOST</c> (DNSSEC-validated by the caller's resolver).</param>
    /// <param name="chain">The presented chain, leaf first, DER.</param>
    /// <param name="tlsaBaseDomain">The MX host name (after CNAME expansion: the TLSA base domain).</param>
    /// <param name="nextHopDomain">The next-hop domain (the recipient domain).</param>
    /// <param name="now">The validation time.</param>
    /// <returns>The outcome.</returns>
    internal DaneResult Match(IReadOnlyList<TlsaRecord> records, IReadOnlyList<ReadOnlyMemory<byte>> chain, string tlsaBaseDomain, string nextHopDomain, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(tlsaBaseDomain);
        ArgumentNullException.ThrowIfNull(nextHopDomain);
        var findings = new List<DaneFinding>();
        var usable = new List<TlsaRecord>();
        for (int i = 0; i < records.Count; i++)
        {
            if (i == MaxRecords)
            {
                findings.Add(new DaneFinding("dane.too-many-records", "R-D1", Count(records.Count - MaxRecords) + " more TLSA records ignored (at most " + Count(MaxRecords) + " are considered)"));
                break;
            }

            if (records[i].Unusable is { } why)
            {
                findings.Add(new DaneFinding("dane.record-unusable", "R-D1", "TLSA " + Short(records[i]) + ": " + why));
            }
            else
            {
                usable.Add(records[i]);
            }
        }

        if (usable.Count == 0)
        {
            findings.Add(new DaneFinding("dane.no-usable-records", "R-D1", "no usable TLSA record (DANE-TA(2) or DANE-EE(3)): DANE does not apply to this gateway"));
            return new DaneResult(DaneStatus.NoUsableRecords, null, -1, findings);
        }

        int n = Math.Min(chain.Count, MaxChain);
        var views = new CertificateView[n];
        for (int i = 0; i < n; i++)
        {
            if (!CertificateView.TryParse(chain[i], out views[i], out _))
            {
                n = i; // a certificate that cannot be read ends the usable chain (the leaf: nothing can match)
                break;
            }
        }

        if (n == 0)
        {
            findings.Add(new DaneFinding("dane.mismatch", "R-D1", "the server's certificate cannot be read, so no TLSA record can match it"));
            return new DaneResult(DaneStatus.Invalid, null, -1, findings);
        }

        var links = new LinkState[n]; // links[k]: chain[k] issued by chain[k + 1]; computed once
        foreach (var r in usable)
        {
            if (r.Usage == (byte)TlsaUsage.DaneEe)
            {
                if (Matches(r, views[0]))
                {
                    findings.Add(new DaneFinding("dane.valid", "R-D1", "TLSA " + Short(r) + " (DANE-EE) matches the server's certificate"));
                    if (views[0].IsSelfIssued)
                    {
                        findings.Add(new DaneFinding("dane.ee-self-signed", "R-C7",
                            "the certificate is DANE-valid but self-signed: DANE never replaces the certificate rules for a partner (R-D1), and R-C7 forbids self-signed gateway certificates"));
                    }

                    return new DaneResult(DaneStatus.Valid, r, 0, findings);
                }

                findings.Add(new DaneFinding("dane.ee-mismatch", "R-D1", "TLSA " + Short(r) + " (DANE-EE) does not match the server's certificate"));
                continue;
            }

            int depth = -1;
            for (int d = 1; d < n && depth < 0; d++)
            {
                if (Matches(r, views[d]))
                {
                    depth = d;
                }
            }

            if (depth < 0)
            {
                findings.Add(new DaneFinding("dane.ta-mismatch", "R-D1", "TLSA " + Short(r) + " (DANE-TA) matches no issuer certificate the server sent (the server must send its trust anchor, RFC 7672 3.1.2)"));
                continue;
            }

            if (PathProblem(views, links, depth, now) is { } problem)
            {
                findings.Add(new DaneFinding("dane.ta-chain", "R-D1", "TLSA " + Short(r) + " (DANE-TA) matches the certificate at depth " + Count(depth) + ", but " + problem));
                continue;
            }

            var names = NameChecker.Check(views[0].Der.Span, TaNames, nextHopDomain, tlsaBaseDomain);
            if (!names.IsMatch)
            {
                findings.Add(new DaneFinding("dane.ta-name-mismatch", "R-D1",
                    "TLSA " + Short(r) + " (DANE-TA) matches, but the certificate names neither the MX host '" + tlsaBaseDomain + "' nor the next-hop domain '" + nextHopDomain + "' (RFC 7672 3.2.2)"));
                continue;
            }

            findings.Add(new DaneFinding("dane.valid", "R-D1", "TLSA " + Short(r) + " (DANE-TA) matches the certificate at depth " + Count(depth) + ", and the chain and names check out"));
            return new DaneResult(DaneStatus.Valid, r, depth, findings);
        }

        findings.Add(new DaneFinding("dane.invalid", "R-D1", "usable TLSA records exist and none authenticates the server's chain: Postfix at level dane defers mail to this gateway"));
        return new DaneResult(DaneStatus.Invalid, null, -1, findings);
    }

    private enum LinkState : byte
    {
        Unknown = 0,
        Valid,
        NameMismatch,
        BadSignature,
    }

    private static bool Matches(TlsaRecord r, in CertificateView view) =>
        TlsaRecord.Associate(view.Der.Span, view.SpkiDer, r.Selector, r.MatchingType) is { } data && data.AsSpan().SequenceEqual(r.Data);

    // The chain from the leaf to the trust anchor at `depth`: names link, signatures verify, certificates below the anchor
    // are within their validity and the ones between leaf and anchor are CAs. Null when it holds.
    private string? PathProblem(CertificateView[] views, LinkState[] links, int depth, DateTimeOffset now)
    {
        for (int k = 0; k < depth; k++)
        {
            if (links[k] == LinkState.Unknown)
            {
                links[k] = !views[k].IssuerDer.SequenceEqual(views[k + 1].SubjectDer) ? LinkState.NameMismatch
                    : _validator.VerifySigned(views[k + 1], views[k].SignatureAlgorithm, views[k].TbsDer, views[k].Signature) == ChainValidator.SignatureCheck.Valid ? LinkState.Valid
                    : LinkState.BadSignature;
            }

            string which = k == 0 ? "the server's certificate" : "the certificate at depth " + Count(k);
            if (links[k] == LinkState.NameMismatch)
            {
                return which + " was not issued by the next one (issuer and subject names differ)";
            }

            if (links[k] == LinkState.BadSignature)
            {
                return which + "'s signature does not verify with the next certificate's key";
            }

            if (now < views[k].NotBefore || now > views[k].NotAfter)
            {
                return which + " is outside its validity period (" + views[k].NotBefore.ToString("u", CultureInfo.InvariantCulture) + " to " + views[k].NotAfter.ToString("u", CultureInfo.InvariantCulture) + ")";
            }

            if (k > 0 && !views[k].IsCa)
            {
                return which + " is not a CA certificate";
            }
        }

        return null;
    }

    private static string Short(TlsaRecord r)
    {
        string hex = Convert.ToHexString(r.Data.AsSpan(0, Math.Min(r.Data.Length, 8)));
        return r.Usage.ToString(CultureInfo.InvariantCulture) + " " + r.Selector.ToString(CultureInfo.InvariantCulture) + " "
            + r.MatchingType.ToString(CultureInfo.InvariantCulture) + " " + hex + (r.Data.Length > 8 ? "..." : string.Empty);
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}
