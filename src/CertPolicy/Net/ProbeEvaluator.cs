using System.Globalization;
using CertPolicy.Dane;
using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Evaluation;
using CertPolicy.Tls;
using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Net;

/// <summary>What a probe result is evaluated against.</summary>
internal sealed class ProbeEvaluationInput
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
    /// The validation engine over the trust store; when null the chain is reported as not validated and a
    /// <c>verify</c>/<c>secure</c> verdict fails closed.
    /// </summary>
    public ChainValidator? Validator { get; init; }

    /// <summary>Partner domains with mandatory TLS (R-T6): for them a level that does not verify fails (R-T8 for
    /// <c>none</c>) and a server without STARTTLS fails, whatever the level says. Empty by default.</summary>
    public IReadOnlyList<string> MandatoryTlsPartners { get; init; } = [];

    /// <summary>The chain rules (R-C1, R-C3..R-C12); default <see cref="ValidationProfile.Partner2026"/>.</summary>
    public ValidationProfile Profile { get; init; } = ValidationProfile.Partner2026;

    /// <summary>The time the chain is validated at (the core has no clock).</summary>
    public required DateTimeOffset ValidationTime { get; init; }

    /// <summary>What the probe's client offered (<see cref="ProbeOffer"/>), for the report; null when the caller set the offer itself.</summary>
    public ProbeOffer? Offer { get; init; }

    /// <summary>The gateway's TLSA answer, for the levels dane and dane-only (<see cref="DaneLevel"/>); without it those
    /// levels cannot be evaluated. Ignored at the other levels.</summary>
    public DaneInput? Dane { get; init; }
}

/// <summary>The evaluation of one probe: a verdict and the findings that led to it.</summary>
internal sealed class ProbeReport
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
/// <c>verify</c>/<c>secure</c> (<see cref="NameChecker"/>, R-C2) and the chain (<see cref="CompiledPolicy"/>,
/// R-C3). Fails closed: an exception inside the evaluation becomes an <c>internal-error</c> finding and a
/// not-compliant verdict.
/// </summary>
/// <remarks>
/// The policy's own <c>protocols=</c>/<c>ciphers=</c>/<c>exclude=</c> are checked as a second floor besides the
/// profile's (<see cref="TlsFloor.TryForPolicy"/>; findings <c>policy-tls</c>, <c>policy-tls-*</c>).
/// The levels <c>dane</c> and <c>dane-only</c> are evaluated with <see cref="ProbeEvaluationInput.Dane"/> (<see cref="DaneLevel"/>).
/// Known gaps, written down: the level <c>fingerprint</c> is not modelled (could not evaluate), nor are <c>dane</c> and
/// <c>dane-only</c> without a TLSA answer; no revocation checks.
/// </remarks>
internal static class ProbeEvaluator
{
    /// <summary>Finding code: the chain was not validated because no validator is plugged in (fails closed at verify/secure).</summary>
    public const string ChainNotValidatedCode = "chain-not-validated";

    /// <summary>Finding code: what the probe's client offered (<see cref="ProbeOffer.Describe"/>).</summary>
    public const string OfferCode = "tls-offer";

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
            findings.Add(new("internal-error", "R-T6", FindingStatus.Failed, "internal error during evaluation; failing closed"));
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
        if (input.Offer is { } offer)
        {
            // What the client offered: the policy's protocols and suites (ProbeOffer), so the gateway is judged under the policy.
            findings.Add(new(OfferCode, "R-T5", FindingStatus.Info, offer.Describe()));
        }

        if (level == SecurityLevel.Fingerprint)
        {
            findings.Add(new("level-not-modelled", "R-T6", FindingStatus.NotEvaluated, "level " + levelName + " (pins) is not modelled by the probe"));
            return;
        }

        // R-D1, RFC 7672 2.2 (DaneLevel): the TLSA answer decides before the connection whether Postfix defers, falls back
        // or authenticates; the pipeline repeats the same classification and the session part skips its duplicates.
        var daneMode = DaneMode.Authenticate;
        string? daneCode = null;
        if (level is SecurityLevel.Dane or SecurityLevel.DaneOnly)
        {
            if (input.Dane is null)
            {
                findings.Add(new(DaneLevel.NoInputCode, "R-D1", FindingStatus.NotEvaluated, "level " + levelName + " needs the gateway's TLSA records, which were not looked up"));
                return;
            }

            daneMode = DaneLevel.Classify(level, input.Dane, true, out daneCode, out var daneStatus, out string? daneMessage);
            findings.Add(new(daneCode, "R-D1", daneStatus, daneMessage!));
            if (daneMode == DaneMode.Defer)
            {
                return;
            }
        }

        var compiled = new CompiledPolicy(
            [],
            input.Validator ?? NoTrust.Value,
            new CompiledPolicyOptions
            {
                CacheSize = 1,
                Profile = input.Profile,
                Floor = input.Floor,
                DefaultPolicy = input.Policy,
                MandatoryTlsPartners = input.MandatoryTlsPartners,
            });

        // R-T6, R-T8: for a partner with mandatory TLS a level that does not verify fails, and TLS is required whatever
        // the level says; the same rule the pipeline applies (CompiledPolicy.IsPartner), reported before any connection
        // outcome so that it also stands when the server offers no STARTTLS.
        bool partner = compiled.IsPartner(CompiledPolicy.DomainOf(input.NextHop));
        if (partner && daneCode is not null && daneMode is DaneMode.Opportunistic or DaneMode.Encrypt)
        {
            findings.Add(new(DaneLevel.PartnerFallbackCode, "R-T6", FindingStatus.Failed, DaneLevel.PartnerFallbackMessage(input.NextHop, daneMode)));
        }
        else if (partner && !CompiledPolicy.VerifiesPeer(level))
        {
            findings.Add(new(CompiledPolicy.PartnerLevelCode, level == SecurityLevel.None ? "R-T8" : "R-T6", FindingStatus.Failed, CompiledPolicy.PartnerLevelMessage(input.NextHop, level)));
        }
        else if (level == SecurityLevel.None)
        {
            // R-T8: turning TLS off for a partner with mandatory TLS is not allowed; without --partner the probe cannot know the agreement.
            findings.Add(new("level-none", "R-T8", FindingStatus.Info, "level none: Postfix would not use TLS for this next hop; not allowed for a partner with mandatory TLS (R-T8; name the partner with --partner)"));
        }

        // RFC 7672 2.2: a dane level that authenticates or falls back to encrypt requires TLS; only the may fallback does not.
        bool required = level.RequiresTls() || partner || (daneCode is not null && daneMode != DaneMode.Opportunistic);
        StartTlsInjection.Evaluate(probe, findings);
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
                findings.Add(new("handshake-failed", required ? "R-T6" : "R-T7", required ? FindingStatus.Failed : FindingStatus.Info, input.Offer is { } o ? probe.Message + "; " + o.Summary() : probe.Message));
                if (probe.PermissiveRetry is not { Outcome: ProbeOutcome.TlsEstablished } retry)
                {
                    return;
                }

                // What a weak-only server negotiates with a client that offers everything: the findings
                // below name the weak parameters (R-T2..R-T5) and still check the certificate.
                findings.Add(new("permissive-retry", "R-T5", FindingStatus.Info, "a permissive retry (TLS 1.0 to 1.3, CBC and NULL suites, OpenSSL security level 0) negotiated " + TlsProtocols.ToOpenSslName(TlsProtocols.FromSslProtocols(retry.Protocol)) + " with " + CipherSuiteTable.NameOf((ushort)retry.CipherSuite) + ": the server's parameters below are from that session"));
                EvaluateSession(retry, input, mx, findings, compiled, daneCode);
                return;
            case ProbeOutcome.TlsEstablished:
                break;
            default:
                findings.Add(new("internal-error", "R-T6", FindingStatus.Failed, "unknown probe outcome " + probe.Outcome.ToString()));
                return;
        }

        EvaluateSession(probe, input, mx, findings, compiled, daneCode);
    }

    /// <summary>An established session: R-T1, the floor, the certificate's names and chain.</summary>
    // The session is judged by the one pipeline (CompiledPolicy.Explain) with the next hop's policy as its only entry;
    // the probe only adds what the pipeline cannot know (implicit TLS, the host it reached) and renders the findings.
    private static void EvaluateSession(ProbeResult probe, ProbeEvaluationInput input, string mx, List<ProbeFinding> findings, CompiledPolicy compiled, string? daneCode)
    {
        // R-T1: STARTTLS on the SMTP port; implicit TLS is not used between gateways.
        findings.Add(probe.ImplicitTls
            ? new("implicit-tls", "R-T1", FindingStatus.Failed, "implicit TLS (SMTPS, port " + probe.Port.ToString(CultureInfo.InvariantCulture) + ") is not used between gateways; use STARTTLS on port 25")
            : new("starttls", "R-T1", FindingStatus.Passed, "STARTTLS offered and accepted by " + probe.Host));

        var chain = new ReadOnlyMemory<byte>[probe.Certificates.IsDefault ? 0 : probe.Certificates.Length];
        for (int i = 0; i < chain.Length; i++)
        {
            chain[i] = probe.Certificates[i];
        }

        var session = new NegotiatedSession(TlsProtocols.FromSslProtocols(probe.Protocol), (ushort)probe.CipherSuite);
        var report = compiled.Explain(input.NextHop, mx, chain, session, input.ValidationTime, input.Dane);
        string where = probe.Host + "[" + (probe.Address ?? probe.Host) + "]:" + probe.Port.ToString(CultureInfo.InvariantCulture);
        foreach (var f in report.Findings)
        {
            switch (f.Code)
            {
                case "policy":
                case CompiledPolicy.PartnerLevelCode:
                case DaneLevel.PartnerFallbackCode:
                    continue; // the probe's own lines above say where the policy came from and judge the partner's level
                case "name.mismatch":
                    // Postfix's wording (postfix-tls.md 7.1), so the report reads like the log line it predicts.
                    findings.Add(new(f.Code, f.Rule, f.Status, "server certificate verification failed for " + where + ": num=62:hostname mismatch: " + f.Message));
                    continue;
            }

            if (daneCode is not null && f.Code == daneCode)
            {
                continue; // the DANE classification, reported before the connection outcome
            }

            // Without a validator the engine ran over an empty store: its chain findings mean nothing and are replaced below.
            if (input.Validator is null && f.Rule != "R-C2" && (f.Code == "chain" || (report.Certificate?.Findings.Contains(f) ?? false)))
            {
                continue;
            }

            findings.Add(new(f.Code, f.Rule, f.Status, f.Depth >= 0 && f.Rule != "R-C2" ? "depth " + f.Depth.ToString(CultureInfo.InvariantCulture) + ": " + f.Message : f.Message));
        }

        if (input.Validator is null && report.Certificate is not null)
        {
            // Without a validator no chain engine ran for real (the empty store trusts nothing): say so, fail closed.
            findings.Add(new(ChainNotValidatedCode, "R-C3", FindingStatus.Failed, ChainNotValidatedMessage));
        }
    }

    // A validator over an empty trust store: used only so that the pipeline runs names and floor when the caller gave none.
    private static class NoTrust
    {
        internal static readonly ChainValidator Value = new(new TrustStore(new TrustManifest("no anchors", default, 0, 0, [], [], [], [])));
    }
}
