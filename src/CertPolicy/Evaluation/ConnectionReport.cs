using System.Globalization;
using System.Text;
using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Tls;
using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Evaluation;

/// <summary>The negotiated TLS parameters of a session: protocol and IANA cipher-suite code point.</summary>
/// <param name="Protocol">The negotiated protocol.</param>
/// <param name="CipherSuite">The negotiated suite (IANA code point).</param>
public readonly record struct NegotiatedSession(TlsProtocol Protocol, ushort CipherSuite);

/// <summary>
/// The report of <see cref="CompiledPolicy.Explain(string, string?, IReadOnlyList{ReadOnlyMemory{byte}}, NegotiatedSession?, DateTimeOffset)"/>: the verdict of the same steps as <see cref="CompiledPolicy.Evaluate(ReadOnlySpan{char}, ReadOnlySpan{char}, IReadOnlyList{ReadOnlyMemory{byte}}, TlsProtocol, ushort, DateTimeOffset)"/>,
/// every finding in order (policy, TLS floor, chain, names; passes and information included), and the certificate part as
/// the chain engine reports it. Every adapter (the SslStream/MailKit callback, the probe, <c>certpolicy verify</c>) renders this.
/// </summary>
public sealed class ConnectionReport
{
    internal ConnectionReport(ConnectionVerdict verdict, string profile, string floorProfile, SecurityLevel level, TlsPolicy? policy, string policySource, IReadOnlyList<Finding> findings, ValidationReport? certificate)
    {
        Verdict = verdict;
        Profile = profile;
        FloorProfile = floorProfile;
        Level = level;
        Policy = policy;
        PolicySource = policySource;
        Findings = findings;
        Certificate = certificate;
    }

    /// <summary>The verdict (equal to what the flag path returns for the same input).</summary>
    public ConnectionVerdict Verdict { get; }

    /// <summary>The chain profile's name.</summary>
    public string Profile { get; }

    /// <summary>The TLS floor profile's name.</summary>
    public string FloorProfile { get; }

    /// <summary>The security level applied to the next hop.</summary>
    public SecurityLevel Level { get; }

    /// <summary>The policy applied (null when the next hop fell to a default level without attributes, or its entry is invalid).</summary>
    public TlsPolicy? Policy { get; }

    /// <summary>Where the policy came from: a table entry (<c>tls_policy:3 "example.com"</c>) or the default.</summary>
    public string PolicySource { get; }

    /// <summary>Every finding, in evaluation order; <see cref="Finding.Status"/> says failed, passed, info or not evaluated.</summary>
    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>
    /// The certificate part (chain and names) as <see cref="ChainValidator.Explain"/> reports it: failing findings only,
    /// the path, the matched name; null when the level checks no certificate or none was sent.
    /// </summary>
    public ValidationReport? Certificate { get; }
}

// Collects the findings of one CompiledPolicy.Explain run (never used on the flag path).
internal sealed class ReportBuilder(CompiledPolicyOptions options)
{
    private readonly List<Finding> _findings = [];
    private ValidationReport? _certificate;
    private SecurityLevel _level;
    private TlsPolicy? _policy;
    private string _source = "default";

    internal void Add(string code, string rule, int depth, FindingStatus status, string message, VerdictReasons reason = VerdictReasons.None) =>
        _findings.Add(new Finding(code, rule, depth, message, reason) { Status = status });

    // postfix-tls.md 2: below verify, Postfix checks neither names nor the chain (it only logs Trusted/Untrusted).
    internal void NotChecked(SecurityLevel level)
    {
        Add("names-not-checked", "R-C2", -1, FindingStatus.Info, "certificate names are not checked at level " + level.ToPostfixName());
        Add("chain-not-checked", "R-C3", -1, FindingStatus.Info, "the chain is not required at level " + level.ToPostfixName() + " (Postfix only logs Trusted/Untrusted)");
    }

    internal void PolicyApplied(TlsPolicy? policy, SecurityLevel level, PolicyEntry? entry, ReadOnlySpan<char> nextHop)
    {
        _policy = policy ?? entry?.Policy;
        _level = _policy?.Level ?? level;
        _source = entry is null
            ? "no table entry: default"
            : "table entry \"" + entry.Key + "\" at line " + entry.Line.ToString(CultureInfo.InvariantCulture);
        string what = _policy is not null ? _policy.ToCanonicalString() : level.ToPostfixName();
        Add("policy", "R-T6", -1, FindingStatus.Info, "level " + what + " for next hop " + nextHop.ToString() + " (" + _source + "); profile " + options.Profile.Name + ", floor profile " + options.Floor.Name);
    }

    // R-T2..R-T5 (RULES.md): the profile's floor, then the entry's own protocols=/ciphers=/exclude= (postfix-tls.md 5).
    internal void Floor(TlsFloor floor, TlsFloor? entryFloor, TlsPolicy? policy, TlsProtocol protocol, ushort suite)
    {
        var failures = TlsFloor.Check(protocol, suite, floor).Failures;
        string protoName = TlsProtocols.ToOpenSslName(protocol);
        string suiteName = CipherSuiteTable.NameOf(suite);
        const TlsFloorFailures protocolFlags = TlsFloorFailures.ProtocolTooOld | TlsFloorFailures.ProtocolNotAllowed | TlsFloorFailures.UnknownProtocol;
        if ((failures & protocolFlags) == 0)
        {
            Add("tls-protocol", "R-T4", -1, FindingStatus.Passed, protoName + " is allowed by profile " + floor.Name);
        }

        if ((failures & ~protocolFlags) == 0)
        {
            Add("tls-cipher", "R-T5", -1, FindingStatus.Passed, suiteName + " meets profile " + floor.Name + " (grade " + floor.GradeDescription + ", at least " + floor.MinimumStrengthBits.ToString(CultureInfo.InvariantCulture) + " bits)");
        }

        for (int b = 0; b < 16; b++)
        {
            var flag = (TlsFloorFailures)(1 << b);
            if ((failures & flag) != 0)
            {
                Add(TlsFloor.CodeOf(flag), TlsFloor.RuleId(flag), -1, FindingStatus.Failed, floor.Describe(flag, protocol, suite));
            }
        }

        if (entryFloor is null)
        {
            return;
        }

        var entry = TlsFloor.Check(protocol, suite, entryFloor).Failures;
        string what = protoName + " with " + suiteName;
        string attrs = "protocols=" + (policy?.Protocols ?? "(any)") + ", ciphers=" + entryFloor.GradeDescription;
        if (entry == TlsFloorFailures.None)
        {
            Add("policy-tls", "R-T6", -1, FindingStatus.Passed, what + " is within the policy entry's " + attrs);
            return;
        }

        for (int b = 0; b < 16; b++)
        {
            var flag = (TlsFloorFailures)(1 << b);
            if ((entry & flag) != 0)
            {
                Add("policy-" + TlsFloor.CodeOf(flag), TlsFloor.RuleId(flag), -1, FindingStatus.Failed, what + " is outside the policy entry's " + attrs + ": Postfix would not use it for this next hop");
            }
        }
    }

    // R-C1, R-C3..R-C12 (the chain engine's findings), then R-C2 (names, postfix-tls.md 3).
    internal void Certificate(ValidationReport chain, NameCheckResult names, ReadOnlyMemory<byte> leaf, MatchList list, string nextHop, string mx)
    {
        var certificateFindings = new List<Finding>(chain.Findings.Count + 1);
        foreach (var f in chain.Findings)
        {
            _findings.Add(f);
            certificateFindings.Add(f);
        }

        if (chain.Verdict.IsCompliant)
        {
            string anchor = chain.Chain.Count > 0 ? chain.Chain[^1].Subject : "?";
            Add("chain", "R-C3", -1, FindingStatus.Passed, "chain validated to " + anchor + " (profile " + chain.Profile + ", assurance " + chain.Verdict.Assurance.ToString() + ")");
        }

        string presented = PresentedNames(leaf.Span);
        string reference = "match list " + list.ToString() + " for next hop \"" + nextHop + "\"" + (string.IsNullOrEmpty(mx) ? string.Empty : " (MX " + mx + ")");
        Finding? nameFinding = names.Status switch
        {
            NameCheckStatus.Matched => null,
            NameCheckStatus.NoReferenceNames => new Finding("name.no-reference", "R-C2", 0, "the " + reference + " yields no usable reference name", VerdictReasons.NameMismatch),
            NameCheckStatus.MalformedCertificate => new Finding("name.malformed", "R-C2", 0, "the leaf's names cannot be read (not strict DER, or too many names)", VerdictReasons.NameMismatch),
            _ => new Finding("name.mismatch", "R-C2", 0, "no name of the leaf matches " + reference + "; presented: " + presented, VerdictReasons.NameMismatch),
        };
        string? matched = null;
        if (nameFinding is null)
        {
            var content = CertificateNames.Content(leaf.Span, names.MatchedName);
            matched = names.MatchedName.Kind == PresentedNameKind.IPAddressSan
                ? new System.Net.IPAddress(content).ToString()
                : Encoding.Latin1.GetString(content);
            Add("names", "R-C2", 0, FindingStatus.Passed, "certificate name " + matched + " matches " + reference + " (presented: " + presented + ")");
        }
        else
        {
            _findings.Add(nameFinding);
            certificateFindings.Add(nameFinding);
        }

        var reasons = chain.Verdict.Reasons | (nameFinding is null ? VerdictReasons.None : VerdictReasons.NameMismatch);
        _certificate = new ValidationReport(new Verdict(reasons, chain.Verdict.Assurance), chain.Profile, certificateFindings, chain.Chain, matched);
    }

    internal ConnectionReport Build(ConnectionVerdict verdict) =>
        new(verdict, options.Profile.Name, options.Floor.Name, _level, _policy, _source, _findings, _certificate);

    /// <summary>The leaf's presented names for a message: <c>DNS:a, DNS:b, CN=c, IP:1.2.3.4</c> (at most 20).</summary>
    internal static string PresentedNames(ReadOnlySpan<byte> leaf)
    {
        var names = new PresentedName[CertificateNames.MaxNames];
        int count = CertificateNames.Read(leaf, names);
        if (count < 0)
        {
            return "unreadable";
        }

        var sb = new StringBuilder();
        for (int i = 0; i < Math.Min(count, 20); i++)
        {
            var n = names[i];
            if (sb.Length > 0)
            {
                sb.Append(", ");
            }

            var content = CertificateNames.Content(leaf, n);
            if (n.Kind == PresentedNameKind.IPAddressSan)
            {
                sb.Append("IP:").Append(content.Length is 4 or 16 ? new System.Net.IPAddress(content).ToString() : Convert.ToHexString(content));
                continue;
            }

            sb.Append(n.Kind == PresentedNameKind.DnsSan ? "DNS:" : "CN=");
            CertificateNames.AppendDisplay(sb, content, n.Kind == PresentedNameKind.CommonName ? n.StringTag : (byte)0);
        }

        if (count > 20)
        {
            sb.Append(", ... (").Append(count.ToString(CultureInfo.InvariantCulture)).Append(" names)");
        }

        return sb.Length == 0 ? "none" : sb.ToString();
    }
}
