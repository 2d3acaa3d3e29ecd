using System.Formats.Asn1;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CertPolicy.Trust;

/// <summary>Bundle formats (CLI <c>--format</c>).</summary>
[Flags]
public enum BundleFormats
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary><c>certpolicy-trust.pem</c>: PEM bundle with a readable header per root.</summary>
    Pem = 1,

    /// <summary><c>certpolicy-trust.p7b</c>: PKCS#7 (CMS) SignedData, certificates only, DER.</summary>
    P7b = 2,

    /// <summary><c>capath/HASH.N</c>: OpenSSL CApath directory named by subject hash (Postfix <c>smtp_tls_CApath</c>).</summary>
    CAPath = 4,

    /// <summary><c>certpolicy-trust.json</c>: side manifest with what flat bundles lose (distrust-after, purposes, EV OIDs).</summary>
    Json = 8,

    /// <summary><c>postfix/tls_policy</c>: Postfix <c>tls_policy</c> lines for the partner domains (R-T6, R-T9).</summary>
    Postfix = 16,

    /// <summary>Every format.</summary>
    All = Pem | P7b | CAPath | Json | Postfix,
}

/// <summary>One output file: a path relative to the output folder (forward slashes) and its bytes.</summary>
/// <param name="RelativePath">For example <c>capath/b0e59380.0</c>.</param>
/// <param name="Content">The exact bytes to write.</param>
public sealed record BundleFile(string RelativePath, byte[] Content);

/// <summary>A partner domain for the Postfix <c>tls_policy</c> output: <c>domain secure match=MATCH ciphers=high protocols=&gt;=TLSv1.2</c> (R-T4, R-T6).</summary>
/// <param name="Domain">The next-hop domain, e.g. <c>audi.hu</c>.</param>
/// <param name="Match">The <c>match=</c> value, e.g. <c>.audi.de</c> (colon-separated patterns allowed).</param>
public sealed record PartnerDomain(string Domain, string Match)
{
    /// <summary>Parses <c>domain</c> or <c>domain=match</c> (default match <c>.domain</c>, i.e. its subdomains, R-T9).</summary>
    /// <param name="spec">The text.</param>
    /// <param name="partner">The partner, or null.</param>
    /// <param name="error">Why the text was rejected, or null.</param>
    /// <returns>True when valid. Does not do IDNA mapping: A-labels only.</returns>
    public static bool TryParse(string spec, out PartnerDomain? partner, out string? error)
    {
        ArgumentNullException.ThrowIfNull(spec);
        partner = null;
        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        string domain = (eq < 0 ? spec : spec.Substring(0, eq)).Trim().TrimEnd('.').ToLowerInvariant();
        string match = eq < 0 ? "." + domain : spec.Substring(eq + 1).Trim().ToLowerInvariant();
        if (!IsDomain(domain))
        {
            error = "'" + domain + "' is not a DNS domain (LDH labels, A-labels only)";
            return false;
        }

        foreach (var m in match.Split(':'))
        {
            string d = m.StartsWith('.') ? m.Substring(1) : m;
            if (m is not ("nexthop" or "dot-nexthop" or "hostname") && !IsDomain(d))
            {
                error = "match pattern '" + m + "' is not a domain, .domain, nexthop, dot-nexthop or hostname";
                return false;
            }
        }

        partner = new PartnerDomain(domain, match);
        error = null;
        return true;
    }

    private static bool IsDomain(string d)
    {
        if (d.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in d.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }
}

/// <summary>
/// Builds deterministic bundles from a manifest: same manifest, byte-identical output (no timestamps, stable order,
/// LF line ends). Produces bytes only; writing them is the caller's job. Refuses a manifest with errors or findings.
/// </summary>
public static class TrustBundle
{
    /// <summary>Builds the requested formats.</summary>
    /// <param name="manifest">A loaded manifest without diagnostics.</param>
    /// <param name="formats">Which outputs.</param>
    /// <param name="partners">Partner domains for the Postfix output (may be empty).</param>
    /// <returns>The files, sorted by path.</returns>
    /// <exception cref="ArgumentException">The manifest has errors or findings (callers check <see cref="TrustManifest.IsCompliant"/> first).</exception>
    public static IReadOnlyList<BundleFile> Build(TrustManifest manifest, BundleFormats formats, IReadOnlyList<PartnerDomain> partners)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(partners);
        if (!manifest.IsCompliant)
        {
            throw new ArgumentException("the manifest has diagnostics; bundles are built only from a compliant manifest", nameof(manifest));
        }

        var roots = manifest.IncludedRoots();
        var files = new List<BundleFile>();
        if ((formats & BundleFormats.Pem) != 0)
        {
            files.Add(new BundleFile("certpolicy-trust.pem", Utf8(PemBundle(manifest, roots))));
        }

        if ((formats & BundleFormats.P7b) != 0)
        {
            files.Add(new BundleFile("certpolicy-trust.p7b", Pkcs7CertificatesOnly(roots)));
        }

        if ((formats & BundleFormats.CAPath) != 0)
        {
            foreach (var (name, root) in CAPathNames(roots))
            {
                files.Add(new BundleFile("capath/" + name, Utf8(RootHeader(root) + root.Certificate!.ToPem())));
            }
        }

        if ((formats & BundleFormats.Json) != 0)
        {
            files.Add(new BundleFile("certpolicy-trust.json", SideManifest(manifest, roots)));
        }

        if ((formats & BundleFormats.Postfix) != 0)
        {
            files.Add(new BundleFile("postfix/tls_policy", Utf8(PostfixPolicy(manifest, partners))));
        }

        files.Sort(static (a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }

    private static byte[] Utf8(string s) => new UTF8Encoding(false).GetBytes(s);

    private static string D(DateTimeOffset? d) => d is { } v ? TrustManifestLoader.Iso(v) : "none";

    private static string Purposes(RootPurposes p) =>
        p == RootPurposes.None ? "none" : string.Join(", ", Flags(p));

    private static List<string> Flags(RootPurposes p)
    {
        var l = new List<string>();
        if ((p & RootPurposes.TlsServer) != 0)
        {
            l.Add("tls-server");
        }

        if ((p & RootPurposes.Email) != 0)
        {
            l.Add("email");
        }

        return l;
    }

    private static List<string> Flags(AssuranceLevel a)
    {
        var l = new List<string>();
        if ((a & AssuranceLevel.Ev) != 0)
        {
            l.Add("ev");
        }

        if ((a & AssuranceLevel.Ov) != 0)
        {
            l.Add("ov");
        }

        if ((a & AssuranceLevel.Iv) != 0)
        {
            l.Add("iv");
        }

        if ((a & AssuranceLevel.Dv) != 0)
        {
            l.Add("dv");
        }

        return l;
    }

    internal static string StatusName(RootStatus s) => s switch
    {
        RootStatus.Active => "active",
        RootStatus.Transitional => "transitional",
        RootStatus.Distrusted => "distrusted",
        RootStatus.Expired => "expired",
        _ => "removed",
    };

    internal static string StatusName(AnnexCaStatus s) => s switch
    {
        AnnexCaStatus.Active => "active",
        AnnexCaStatus.Succeeded => "succeeded",
        AnnexCaStatus.Distrusted => "distrusted",
        _ => "defunct",
    };

    private static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ');

    private static string RootHeader(TrustRoot r)
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(OneLine(r.Label)).Append('\n');
        sb.Append("# SHA-256: ").Append(r.Sha256).Append('\n');
        sb.Append("# Subject: ").Append(OneLine(r.Subject)).Append('\n');
        sb.Append("# Valid: ").Append(D(r.NotBefore)).Append(" .. ").Append(D(r.NotAfter)).Append("; key ").Append(OneLine(r.Key)).Append('\n');
        sb.Append("# Status: ").Append(StatusName(r.Status)).Append("; purposes: ").Append(Purposes(r.Purposes))
          .Append("; distrust-after tls ").Append(D(r.DistrustAfterTls)).Append(", email ").Append(D(r.DistrustAfterEmail));
        if (r.TlsSunset is { } s)
        {
            sb.Append("; tls-sunset ").Append(D(s));
        }

        sb.Append('\n');
        sb.Append("# EV OIDs: ").Append(r.EvOids.Count == 0 ? "none" : string.Join(", ", r.EvOids)).Append('\n');
        sb.Append("# Annex CA: ").Append(OneLine(string.Join("; ", r.SeedCas))).Append(" (").Append(OneLine(r.Role)).Append(")\n");
        sb.Append("# Source: ").Append(OneLine(r.Source)).Append('\n');
        sb.Append("# Reason: ").Append(OneLine(r.Reason)).Append('\n');
        return sb.ToString();
    }

    private static string PemBundle(TrustManifest m, IReadOnlyList<TrustRoot> roots)
    {
        var sb = new StringBuilder();
        sb.Append("# CertPolicy curated trust bundle (R-A1, R-C3, R-C9). Do not edit: built from the trust manifest.\n");
        sb.Append("# Manifest facts as of ").Append(m.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
          .Append("; ").Append(roots.Count.ToString(CultureInfo.InvariantCulture)).Append(" roots. Distrust-after dates are in the JSON side manifest.\n\n");
        foreach (var r in roots)
        {
            sb.Append(RootHeader(r)).Append(r.Certificate!.ToPem()).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// PKCS#7 / CMS SignedData with certificates and no signers (RFC 5652 5.1; the "certs-only" degenerate form that
    /// <c>openssl crl2pkcs7</c> writes). Encoded directly with AsnWriter so that the bytes depend only on the certificates:
    /// DER sorts the SET OF certificates.
    /// </summary>
    internal static byte[] Pkcs7CertificatesOnly(IReadOnlyList<TrustRoot> roots)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.PushSequence(); // ContentInfo
        w.WriteObjectIdentifier("1.2.840.113549.1.7.2"); // id-signedData
        w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
        w.PushSequence(); // SignedData
        w.WriteInteger(1); // version
        w.PushSetOf(); // digestAlgorithms
        w.PopSetOf();
        w.PushSequence(); // encapContentInfo
        w.WriteObjectIdentifier("1.2.840.113549.1.7.1"); // id-data, no content
        w.PopSequence();
        w.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)); // certificates [0] IMPLICIT
        foreach (var r in roots)
        {
            w.WriteEncodedValue(r.Certificate!.Der.Span);
        }

        w.PopSetOf(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
        w.PushSetOf(); // signerInfos
        w.PopSetOf();
        w.PopSequence();
        w.PopSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
        w.PopSequence();
        return w.Encode();
    }

    /// <summary>CApath file names: OpenSSL subject hash, then <c>.0</c>, <c>.1</c> ... for equal hashes in bundle order (as <c>openssl rehash</c> does).</summary>
    /// <param name="roots">Roots with certificates.</param>
    /// <returns>File name and root pairs.</returns>
    internal static IReadOnlyList<(string FileName, TrustRoot Root)> CAPathNames(IReadOnlyList<TrustRoot> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<(string, TrustRoot)>();
        foreach (var r in roots)
        {
            if (r.Certificate is null || !DistinguishedName.TryComputeOpenSslHash(r.Certificate.SubjectDer.Span, out uint h))
            {
                continue;
            }

            string hex = DistinguishedName.FormatHash(h);
            counts.TryGetValue(hex, out int n);
            counts[hex] = n + 1;
            result.Add((hex + "." + n.ToString(CultureInfo.InvariantCulture), r));
        }

        return result;
    }

    private static byte[] SideManifest(TrustManifest m, IReadOnlyList<TrustRoot> roots)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            j.WriteStartObject();
            j.WriteString("schema", "certpolicy-trust-bundle/1");
            j.WriteString("manifestAsOf", m.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            var names = new Dictionary<TrustRoot, string>();
            foreach (var (n, r) in CAPathNames(roots))
            {
                names[r] = n;
            }

            j.WriteStartArray("roots");
            foreach (var r in roots)
            {
                j.WriteStartObject();
                WriteRootCore(j, r);
                j.WriteString("subject", r.Subject);
                j.WriteString("capathFile", names.TryGetValue(r, out var n) ? n : null);
                j.WriteString("notBefore", D(r.NotBefore));
                j.WriteString("notAfter", D(r.NotAfter));
                j.WriteString("key", r.Key);
                j.WriteStartArray("purposes");
                foreach (var p in Flags(r.Purposes))
                {
                    j.WriteStringValue(p);
                }

                j.WriteEndArray();
                j.WriteStartArray("evPolicyOids");
                foreach (var o in r.EvOids)
                {
                    j.WriteStringValue(o);
                }

                j.WriteEndArray();
                j.WriteStartArray("assurance");
                foreach (var a in Flags(r.Assurance))
                {
                    j.WriteStringValue(a);
                }

                j.WriteEndArray();
                WriteDate(j, "distrustAfterTls", r.DistrustAfterTls);
                WriteDate(j, "distrustAfterEmail", r.DistrustAfterEmail);
                WriteDate(j, "tlsSunset", r.TlsSunset);
                j.WriteStartArray("annexCas");
                foreach (var s in r.SeedCas)
                {
                    j.WriteStringValue(s);
                }

                j.WriteEndArray();
                j.WriteString("source", r.Source);
                j.WriteString("reason", r.Reason);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            var excluded = new List<TrustRoot>();
            foreach (var r in m.Roots)
            {
                if (r.Bundle != BundleDecision.Include)
                {
                    excluded.Add(r);
                }
            }

            excluded.Sort(static (a, b) => string.CompareOrdinal(a.Sha256, b.Sha256));
            j.WriteStartArray("excluded");
            foreach (var r in excluded)
            {
                j.WriteStartObject();
                WriteRootCore(j, r);
                WriteDate(j, "distrustAfterTls", r.DistrustAfterTls);
                WriteDate(j, "distrustAfterEmail", r.DistrustAfterEmail);
                j.WriteString("reason", r.Reason);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("policyOids");
            var oids = new List<PolicyOid>(m.PolicyOids);
            oids.Sort(static (a, b) => string.CompareOrdinal(a.Oid, b.Oid));
            foreach (var o in oids)
            {
                j.WriteStartObject();
                j.WriteString("oid", o.Oid);
                j.WriteString("meaning", o.Meaning);
                j.WriteString("owner", o.Owner);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteEndObject();
        }

        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    private static void WriteRootCore(Utf8JsonWriter j, TrustRoot r)
    {
        j.WriteString("label", r.Label);
        j.WriteString("sha256", r.Sha256);
        j.WriteString("status", StatusName(r.Status));
    }

    private static void WriteDate(Utf8JsonWriter j, string name, DateTimeOffset? d)
    {
        if (d is { } v)
        {
            j.WriteString(name, TrustManifestLoader.Iso(v));
        }
        else
        {
            j.WriteNull(name);
        }
    }

    private static string PostfixPolicy(TrustManifest m, IReadOnlyList<PartnerDomain> partners)
    {
        var sb = new StringBuilder();
        sb.Append("# Postfix tls_policy for partner domains (R-T6, R-T9): verified TLS to the curated CApath.\n");
        sb.Append("# main.cf: smtp_tls_policy_maps = texthash:/etc/postfix/tls_policy\n");
        sb.Append("#          smtp_tls_CApath = <this bundle>/capath\n");
        sb.Append("# Trust manifest as of ").Append(m.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append(".\n");
        var sorted = new List<PartnerDomain>(partners);
        sorted.Sort(static (a, b) => string.CompareOrdinal(a.Domain, b.Domain));
        string? last = null;
        foreach (var p in sorted)
        {
            if (p.Domain == last)
            {
                continue;
            }

            last = p.Domain;
            // R-T6 (secure, match=, ciphers=high) and R-T4 (TLS 1.2 or newer): what `certpolicy policy check` asks of a partner entry.
            sb.Append(p.Domain).Append(" secure match=").Append(p.Match).Append(" ciphers=high protocols=>=TLSv1.2\n");
        }

        return sb.ToString();
    }
}
