using System.Globalization;
using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Tls;

namespace CertPolicy.Net;

/// <summary>What a probe result is evaluated against.</summary>
public sealed class ProbeEvaluationInput
{
    /// <summary>The next-hop domain (the destination domain the policy was looked up for), without brackets or port.</summary>
    public required string NextHop { get; init; }

    /// <summary>The MX host name connected to (the <c>hostname</c> match strategy); default: the probed host.</summary>
    public string? MxHost { get; init; }

    /// <summary>The TLS policy that applies (from a <c>tls_policy</c> look-up, or a level given directly).</summary>
    public required TlsPolicy Policy { get; init; }

    /// <summary>Where <see cref="Policy"/> came from, for the report (e.g. <c>tls_policy line 3 (example.com)</c>).</summary>
    public string PolicySource { get; init; } = "given";

    /// <summary>The negotiated-parameter floor (R-T2..R-T5); default <see cref="TlsFloor.Partner2026"/>.</summary>
    public TlsFloor Floor { get; init; } = TlsFloor.Partner2026;

    /// <summary>
    /// The chain validator (normally an <see cref="EngineChainValidator"/>); when null the chain is
    /// reported as not validated and a <c>verify</c>/<c>secure</c> verdict fails closed.
    /// </summary>
    public IChainValidator? ChainValidator { get; init; }

    /// <summary>The time the chain is validated at (the core has no clock).</summary>
    public required DateTimeOffset ValidationTime { get; init; }
}

/// <summary>The evaluation of one probe: a verdict and the findings that led to it.</summary>
public sealed class ProbeReport
{
    internal ProbeReport(ProbeVerdict verdict, IReadOnlyList<ProbeFinding> findings, ProbeResult probe, ProbeEvaluationInput input, string mxHost)
    {
        Verdict = verdict;
        Findings = findings;
        Probe = probe;
        Input = input;
        MxHost = mxHost;
    }

    /// <summary>Compliant, not compliant, or could not evaluate.</summary>
    public ProbeVerdict Verdict { get; }

    /// <summary>The findings in evaluation order (connection, policy, TLS floor, certificate, names, chain).</summary>
    public IReadOnlyList<ProbeFinding> Findings { get; }

    /// <summary>What the probe observed.</summary>
    public ProbeResult Probe { get; }

    /// <summary>What it was evaluated against.</summary>
    public ProbeEvaluationInput Input { get; }

    /// <summary>The MX host name used for the <c>hostname</c> strategy.</summary>
    public string MxHost { get; }

    /// <summary>The first finding with the code, or null.</summary>
    /// <param name="code">A stable finding code.</param>
    /// <returns>The finding or null.</returns>
    public ProbeFinding? Find(string code)
    {
        foreach (var f in Findings)
        {
            if (string.Equals(f.Code, code, StringComparison.Ordinal))
            {
                return f;
            }
        }

        return null;
    }
}

/// <summary>
/// Evaluates a <see cref="ProbeResult"/> against a policy: the STARTTLS outcome (R-T1, R-T6, R-T7), the
/// negotiated protocol and suite (<see cref="TlsFloor"/>, R-T2..R-T5), the certificate names at
/// <c>verify</c>/<c>secure</c> (<see cref="NameChecker"/>, R-C2) and the chain (<see cref="IChainValidator"/>,
/// R-C3). Fails closed: an exception inside the evaluation becomes an <c>internal-error</c> finding and a
/// not-compliant verdict.
/// </summary>
/// <remarks>
/// The policy's own <c>protocols=</c>/<c>ciphers=</c>/<c>exclude=</c> are checked as a second floor besides the
/// profile's (<see cref="TlsFloor.TryForPolicy"/>; findings <c>policy-tls</c>, <c>policy-tls-*</c>).
/// Known gaps, written down: the levels <c>fingerprint</c>,
/// <c>dane</c> and <c>dane-only</c> are not modelled (could not evaluate); no revocation checks.
/// </remarks>
public static class ProbeEvaluator
{
    /// <summary>Finding code: the chain was not validated because no validator is plugged in (fails closed at verify/secure).</summary>
    public const string ChainNotValidatedCode = "chain-not-validated";

    /// <summary>The message of <see cref="ChainNotValidatedCode"/>.</summary>
    public const string ChainNotValidatedMessage = "chain not validated (no chain validator configured)";

    /// <summary>Evaluates a probe result.</summary>
    /// <param name="probe">What the probe observed.</param>
    /// <param name="input">The policy, floor, names and validator.</param>
    /// <returns>The report; never null.</returns>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    public static ProbeReport Evaluate(ProbeResult probe, ProbeEvaluationInput input)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.Policy);
        ArgumentNullException.ThrowIfNull(input.Floor);
        string mx = string.IsNullOrEmpty(input.MxHost) ? probe.Host : input.MxHost;
        var findings = new List<ProbeFinding>();
        try
        {
            EvaluateCore(probe, input, mx, findings);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // DESIGN.md "Verdicts": any exception inside evaluation is a non-compliant verdict.
            findings.Add(new("internal-error", "R-T6", FindingStatus.Failed, "internal error during evaluation: " + ex.GetType().Name + ": " + ex.Message));
        }

        return new ProbeReport(VerdictOf(findings), findings, probe, input, mx);
    }

    private static ProbeVerdict VerdictOf(List<ProbeFinding> findings)
    {
        bool failed = false, notEvaluated = false;
        foreach (var f in findings)
        {
            failed |= f.Status == FindingStatus.Failed;
            notEvaluated |= f.Status == FindingStatus.NotEvaluated;
        }

        return failed ? ProbeVerdict.NotCompliant : notEvaluated ? ProbeVerdict.CouldNotEvaluate : ProbeVerdict.Compliant;
    }

    private static void EvaluateCore(ProbeResult probe, ProbeEvaluationInput input, string mx, List<ProbeFinding> findings)
    {
        var policy = input.Policy;
        var level = policy.Level;
        string levelName = level.ToPostfixName();
        findings.Add(new("policy", "R-T6", FindingStatus.Info, "level " + policy.ToCanonicalString() + " for next hop " + input.NextHop + " (" + input.PolicySource + "); floor profile " + input.Floor.Name));

        if (level is SecurityLevel.Fingerprint or SecurityLevel.Dane or SecurityLevel.DaneOnly)
        {
            findings.Add(new("level-not-modelled", "R-T6", FindingStatus.NotEvaluated, "level " + levelName + " (pins / TLSA records) is not modelled by the probe"));
            return;
        }

        if (level == SecurityLevel.None)
        {
            // R-T8: turning TLS off for a partner with mandatory TLS is not allowed; the probe cannot know the agreement.
            findings.Add(new("level-none", "R-T8", FindingStatus.Info, "level none: Postfix would not use TLS for this next hop; not allowed for a partner with mandatory TLS (R-T8)"));
        }

        bool required = level.RequiresTls();
        switch (probe.Outcome)
        {
            case ProbeOutcome.DnsFailed:
                findings.Add(new("dns-failed", "R-T1", FindingStatus.NotEvaluated, probe.Message));
                return;
            case ProbeOutcome.ConnectFailed:
                findings.Add(new("connect-failed", "R-T1", FindingStatus.NotEvaluated, probe.Message));
                return;
            case ProbeOutcome.Timeout:
                findings.Add(new("timeout", "R-T1", FindingStatus.NotEvaluated, probe.Message));
                return;
            case ProbeOutcome.SmtpError:
                findings.Add(new("smtp-error", "R-T1", FindingStatus.NotEvaluated, probe.Message));
                return;
            case ProbeOutcome.StartTlsNotOffered:
                findings.Add(required
                    ? new("tls-not-offered", "R-T6", FindingStatus.Failed, probe.Message)
                    : new("tls-not-offered", "R-T7", FindingStatus.Info, "STARTTLS not offered by host " + probe.Host + ": at level " + levelName + " mail would go in plaintext (R-T7)"));
                return;
            case ProbeOutcome.StartTlsRefused:
                findings.Add(new("starttls-refused", required ? "R-T6" : "R-T7", required ? FindingStatus.Failed : FindingStatus.Info, probe.Message));
                return;
            case ProbeOutcome.HandshakeFailed:
                findings.Add(new("handshake-failed", required ? "R-T6" : "R-T7", required ? FindingStatus.Failed : FindingStatus.Info, probe.Message));
                if (probe.PermissiveRetry is not { Outcome: ProbeOutcome.TlsEstablished } retry)
                {
                    return;
                }

                // What a weak-only server negotiates with a client that offers everything: the findings
                // below name the weak parameters (R-T2..R-T5) and still check the certificate.
                findings.Add(new("permissive-retry", "R-T5", FindingStatus.Info, "a permissive retry (TLS 1.0 to 1.3, CBC and NULL suites, OpenSSL security level 0) negotiated " + TlsProtocols.ToOpenSslName(TlsProtocols.FromSslProtocols(retry.Protocol)) + " with " + CipherSuiteTable.NameOf((ushort)retry.CipherSuite) + ": the server's parameters below are from that session"));
                EvaluateSession(retry, input, mx, findings);
                return;
            case ProbeOutcome.TlsEstablished:
                break;
            default:
                findings.Add(new("internal-error", "R-T6", FindingStatus.Failed, "unknown probe outcome " + probe.Outcome.ToString()));
                return;
        }

        EvaluateSession(probe, input, mx, findings);
    }

    /// <summary>An established session: R-T1, the floor, the certificate's names and chain.</summary>
    private static void EvaluateSession(ProbeResult probe, ProbeEvaluationInput input, string mx, List<ProbeFinding> findings)
    {
        var policy = input.Policy;
        var level = policy.Level;
        string levelName = level.ToPostfixName();

        // R-T1: STARTTLS on the SMTP port; implicit TLS is not used between gateways.
        findings.Add(probe.ImplicitTls
            ? new("implicit-tls", "R-T1", FindingStatus.Failed, "implicit TLS (SMTPS, port " + probe.Port.ToString(CultureInfo.InvariantCulture) + ") is not used between gateways; use STARTTLS on port 25")
            : new("starttls", "R-T1", FindingStatus.Passed, "STARTTLS offered and accepted by " + probe.Host));

        CheckFloor(probe, input.Floor, findings);
        CheckEntryFloor(probe, policy, findings);

        bool pkix = level.IsPkix();
        if (probe.Certificates.IsDefaultOrEmpty)
        {
            findings.Add(new("no-certificate", "R-C1", pkix ? FindingStatus.Failed : FindingStatus.Info, "the server sent no certificate (anonymous cipher suite)"));
            if (pkix)
            {
                findings.Add(new(ChainNotValidatedCode, "R-C3", FindingStatus.Failed, "no certificate: nothing to validate"));
            }

            return;
        }

        byte[] leaf = probe.Certificates[0];
        if (!pkix)
        {
            findings.Add(new("names-not-checked", "R-C2", FindingStatus.Info, "certificate names are not checked at level " + levelName + " (postfix-tls.md 2)"));
            findings.Add(new("chain-not-checked", "R-C3", FindingStatus.Info, "the chain is not required at level " + levelName + " (Postfix only logs Trusted/Untrusted)"));
            return;
        }

        CheckNames(probe, input, policy, mx, leaf, findings);
        CheckChain(probe, input, leaf, findings);
    }

    private static void CheckFloor(ProbeResult probe, TlsFloor floor, List<ProbeFinding> findings)
    {
        // R-T2..R-T5 (RULES.md) through TlsFloor.
        var protocol = TlsProtocols.FromSslProtocols(probe.Protocol);
        ushort suite = (ushort)probe.CipherSuite;
        var verdict = TlsFloor.Check(protocol, suite, floor);
        string protoName = TlsProtocols.ToOpenSslName(protocol);
        string suiteName = CipherSuiteTable.NameOf(suite);
        const TlsFloorFailures protocolFlags = TlsFloorFailures.ProtocolTooOld | TlsFloorFailures.ProtocolNotAllowed | TlsFloorFailures.UnknownProtocol;
        if ((verdict.Failures & protocolFlags) == 0)
        {
            findings.Add(new("tls-protocol", "R-T4", FindingStatus.Passed, protoName + " is allowed by profile " + floor.Name));
        }

        if ((verdict.Failures & ~protocolFlags) == 0)
        {
            findings.Add(new("tls-cipher", "R-T5", FindingStatus.Passed, suiteName + " meets profile " + floor.Name + " (grade " + floor.GradeDescription + ", at least " + floor.MinimumStrengthBits.ToString(CultureInfo.InvariantCulture) + " bits)"));
        }

        if (verdict.IsAcceptable)
        {
            return;
        }

        // Explain gives one line per failed flag, in ascending bit order, each "R-Tn: text".
        var lines = floor.Explain(protocol, suite);
        int i = 0;
        for (int b = 0; b < 16; b++)
        {
            var flag = (TlsFloorFailures)(1 << b);
            if ((verdict.Failures & flag) == 0)
            {
                continue;
            }

            string rule = TlsFloor.RuleId(flag);
            string line = i < lines.Count ? lines[i] : flag.ToString();
            i++;
            string text = line.StartsWith(rule + ": ", StringComparison.Ordinal) ? line[(rule.Length + 2)..] : line;
            findings.Add(new(FloorCode(flag), rule, FindingStatus.Failed, text));
        }
    }

    // A tls_policy entry's own protocols=/ciphers=/exclude=: Postfix would not complete a mandatory-TLS
    // handshake outside them, so a session outside them fails too (in addition to the profile's floor).
    private static void CheckEntryFloor(ProbeResult probe, TlsPolicy policy, List<ProbeFinding> findings)
    {
        if (!TlsFloor.TryForPolicy(policy, out var entry, out string? error))
        {
            findings.Add(new("policy-tls-invalid", "R-T6", FindingStatus.Failed, "the policy's protocols=/ciphers=/exclude= cannot be evaluated: " + error));
            return;
        }

        if (entry is null)
        {
            return;
        }

        var protocol = TlsProtocols.FromSslProtocols(probe.Protocol);
        ushort suite = (ushort)probe.CipherSuite;
        var verdict = TlsFloor.Check(protocol, suite, entry);
        string what = TlsProtocols.ToOpenSslName(protocol) + " with " + CipherSuiteTable.NameOf(suite);
        string attrs = "protocols=" + (policy.Protocols ?? "(any)") + ", ciphers=" + entry.GradeDescription;
        if (verdict.IsAcceptable)
        {
            findings.Add(new("policy-tls", "R-T6", FindingStatus.Passed, what + " is within the policy entry's " + attrs));
            return;
        }

        for (int b = 0; b < 16; b++)
        {
            var flag = (TlsFloorFailures)(1 << b);
            if ((verdict.Failures & flag) != 0)
            {
                findings.Add(new("policy-" + FloorCode(flag), TlsFloor.RuleId(flag), FindingStatus.Failed, what + " is outside the policy entry's " + attrs + ": Postfix would not use it for this next hop"));
            }
        }
    }

    /// <summary>Stable finding codes of the floor failures (API: never renamed).</summary>
    private static string FloorCode(TlsFloorFailures flag) => flag switch
    {
        TlsFloorFailures.ProtocolTooOld => "tls-protocol-too-old",
        TlsFloorFailures.ProtocolNotAllowed => "tls-protocol-not-allowed",
        TlsFloorFailures.Rc4 => "tls-rc4",
        TlsFloorFailures.NullAnonymousOrExport => "tls-null-anonymous-export",
        TlsFloorFailures.KeyTooShort => "tls-key-too-short",
        TlsFloorFailures.NotInGrade => "tls-not-in-grade",
        TlsFloorFailures.UnknownSuite => "tls-unknown-suite",
        TlsFloorFailures.SuiteNotForProtocol => "tls-suite-not-for-protocol",
        TlsFloorFailures.UnknownProtocol => "tls-unknown-protocol",
        _ => "tls-floor",
    };

    private static void CheckNames(ProbeResult probe, ProbeEvaluationInput input, TlsPolicy policy, string mx, byte[] leaf, List<ProbeFinding> findings)
    {
        // R-C2 (RULES.md), postfix-tls.md 3.
        var list = MatchList.For(policy, out string? matchError);
        if (list is null)
        {
            findings.Add(new("match-list-invalid", "R-C2", FindingStatus.Failed, "the policy's match list is unusable: " + (matchError ?? "no match list")));
            return;
        }

        var result = NameChecker.Check(leaf, list, input.NextHop, mx);
        string presented = PresentedNames(leaf);
        string where = probe.Host + "[" + (probe.Address ?? probe.Host) + "]:" + probe.Port.ToString(CultureInfo.InvariantCulture);
        switch (result.Status)
        {
            case NameCheckStatus.Matched:
                findings.Add(new("names", "R-C2", FindingStatus.Passed, "certificate name matches match list " + list + " (presented: " + presented + ")"));
                break;
            case NameCheckStatus.NotMatched:
                findings.Add(new("name-mismatch", "R-C2", FindingStatus.Failed, "server certificate verification failed for " + where + ": num=62:hostname mismatch (match list " + list + ", next hop " + input.NextHop + ", MX " + mx + "; presented: " + presented + ")"));
                break;
            case NameCheckStatus.NoReferenceNames:
                findings.Add(new("names-no-reference", "R-C2", FindingStatus.Failed, "could not configure peer name checks: match list " + list + " gives no usable reference name for next hop " + input.NextHop + " / MX " + mx));
                break;
            default:
                findings.Add(new("certificate-malformed", "R-C2", FindingStatus.Failed, "the server certificate could not be read (not strict DER X.509, or too many names)"));
                break;
        }
    }

    private static void CheckChain(ProbeResult probe, ProbeEvaluationInput input, byte[] leaf, List<ProbeFinding> findings)
    {
        // R-C3..R-C8 are the validation engine's; without a validator, fail closed (postfix-tls.md 4.1: PKIX is required at verify/secure).
        if (input.ChainValidator is null)
        {
            findings.Add(new(ChainNotValidatedCode, "R-C3", FindingStatus.Failed, ChainNotValidatedMessage));
            return;
        }

        var others = new ReadOnlyMemory<byte>[probe.Certificates.Length - 1];
        for (int i = 1; i < probe.Certificates.Length; i++)
        {
            others[i - 1] = probe.Certificates[i];
        }

        var chain = input.ChainValidator.Validate(leaf, others, input.ValidationTime);
        bool anyFailed = false;
        foreach (var f in chain.Findings)
        {
            anyFailed |= f.Status == FindingStatus.Failed;
            findings.Add(f);
        }

        if (!chain.IsCompliant && !anyFailed)
        {
            findings.Add(new("chain-not-compliant", "R-C3", FindingStatus.Failed, "the chain validator rejected the chain"));
        }
        else if (chain.IsCompliant && anyFailed)
        {
            // Contradictory validator output: the failed findings already make the verdict not compliant.
            findings.Add(new("chain-validator-inconsistent", "R-C3", FindingStatus.Info, "the chain validator reported compliant with failed findings"));
        }
    }

    private static string PresentedNames(byte[] leaf)
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
            foreach (byte c in content)
            {
                sb.Append(c is >= 0x20 and < 0x7F ? (char)c : '?');
            }
        }

        if (count > 20)
        {
            sb.Append(", ... (").Append(count.ToString(CultureInfo.InvariantCulture)).Append(" names)");
        }

        return sb.Length == 0 ? "none" : sb.ToString();
    }
}
