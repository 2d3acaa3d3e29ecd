using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using CertPolicy.Evaluation;
using CertPolicy.Net;
using CertPolicy.Validation;
using CertPolicy.Policy;
using CertPolicy.Tests.Support;
using CertPolicy.Tls;

namespace CertPolicy.Tests.Net;

/// <summary>
/// The STARTTLS probe and its evaluation against a real Postfix smtpd (<see cref="PostfixSmtpd"/>) on
/// 127.0.0.1. No traffic leaves the loopback interface.
/// </summary>
public class ProbePostfixTests(PostfixSmtpd smtpd) : IClassFixture<PostfixSmtpd>
{
    private static readonly DateTimeOffset ValidationTime = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static SmtpProbeOptions Options(int port, SslProtocols protocols = SslProtocols.None, IReadOnlyList<TlsCipherSuite>? suites = null) => new()
    {
        OfferedCipherSuites = suites,
        Host = "127.0.0.1",
        Port = port,
        ServerName = PostfixSmtpd.GatewayName,
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ReplyTimeout = TimeSpan.FromSeconds(30),
        HandshakeTimeout = TimeSpan.FromSeconds(30),
        EnabledProtocols = protocols,
    };

    private static TlsPolicy Policy(string value)
    {
        Assert.True(TlsPolicy.TryParse(value, out var p, out var error), error.Message);
        return p!;
    }

    private ProbeEvaluationInput Input(string policy, ChainValidator? validator = null, string nextHop = "example.net", string[]? partners = null) => new()
    {
        NextHop = nextHop,
        MxHost = PostfixSmtpd.GatewayName,
        Policy = Policy(policy),
        Floor = TlsFloor.Partner2026,
        Validator = validator,
        Profile = ValidationProfile.PostfixSecure,
        MandatoryTlsPartners = partners ?? [],
        ValidationTime = InsideValidity(),
    };

    // The fixture issues its certificates relative to the clock: validate inside their window.
    private DateTimeOffset InsideValidity()
    {
        using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(smtpd.Leaf);
        return new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero).AddMinutes(5);
    }

    // The real engine over the fixture's own CA, with postfix-secure (chain and names: what Postfix checks).
    private ChainValidator TestCa()
    {
        Assert.True(CustomTrust.TryCreate([smtpd.Ca], [], null, null, out var store, out var error), error);
        return new ChainValidator(store!);
    }

    private static async Task<ProbeResult> Probe(int port, SslProtocols protocols = SslProtocols.None, IReadOnlyList<TlsCipherSuite>? suites = null)
    {
        using var overall = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await SmtpProbe.ProbeAsync(Options(port, protocols, suites), overall.Token);
    }

    private string Why(ProbeReport r) =>
        r.Probe.Message + "\n" + string.Join('\n', r.Findings.Select(f => $"[{f.Status}] {f.RuleId} {f.Code}: {f.Message}")) + smtpd.Log();

    [Fact]
    public async Task Without_a_chain_validator_names_and_TLS_pass_and_the_chain_fails_closed()
    {
        var probe = await Probe(smtpd.CompliantPort);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure"));

        Assert.True(probe.Outcome == ProbeOutcome.TlsEstablished, Why(report));
        Assert.Contains(TlsProtocols.FromSslProtocols(probe.Protocol), new[] { TlsProtocol.Tls12, TlsProtocol.Tls13 });
        Assert.True(probe.StartTlsOffered);
        Assert.StartsWith("220 ", probe.Banner, StringComparison.Ordinal);

        // The certificates Postfix sent, as sent: leaf then the CA from the chain file.
        Assert.Equal(2, probe.Certificates.Length);
        Assert.Equal(smtpd.Leaf, probe.Certificates[0]);
        Assert.Equal(smtpd.Ca, probe.Certificates[1]);

        Assert.Equal(FindingStatus.Passed, report.Find("names")?.Status);
        Assert.Equal(FindingStatus.Passed, report.Find("tls-protocol")?.Status);
        Assert.Equal(FindingStatus.Passed, report.Find("tls-cipher")?.Status);
        Assert.Equal(FindingStatus.Passed, report.Find("starttls")?.Status);

        // No validator given: exactly one failure, the unvalidated chain (fail closed).
        var failed = Assert.Single(report.Findings, f => f.Status == FindingStatus.Failed);
        Assert.Equal(ProbeEvaluator.ChainNotValidatedCode, failed.Code);
        Assert.Equal("R-C3", failed.RuleId);
        Assert.Equal(ProbeEvaluator.ChainNotValidatedMessage, failed.Message);
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);
    }

    [Fact]
    public async Task Opportunistic_level_checks_no_names_or_chain()
    {
        var probe = await Probe(smtpd.WrongNamePort);
        var report = ProbeEvaluator.Evaluate(probe, Input("may"));
        Assert.True(report.Verdict == ProbeVerdict.Compliant, Why(report));
        Assert.Equal(FindingStatus.Info, report.Find("names-not-checked")?.Status);
        Assert.Equal(FindingStatus.Info, report.Find("chain-not-checked")?.Status);
    }

    [Fact]
    public async Task Wrong_name_fails_R_C2()
    {
        var probe = await Probe(smtpd.WrongNamePort);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure", TestCa()));

        Assert.True(probe.Outcome == ProbeOutcome.TlsEstablished, Why(report));
        var mismatch = report.Find("name.mismatch");
        Assert.True(mismatch is not null, Why(report));
        Assert.Equal("R-C2", mismatch.RuleId);
        Assert.Equal(FindingStatus.Failed, mismatch.Status);
        Assert.Contains("num=62:hostname mismatch", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("DNS:" + PostfixSmtpd.WrongName, mismatch.Message, StringComparison.Ordinal);
        Assert.Null(report.Find("names"));
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);

        // The same server passes when the match list names its domain (the check is not hard-coded).
        var matching = ProbeEvaluator.Evaluate(probe, Input("secure match=.other.test", TestCa()));
        Assert.True(matching.Verdict == ProbeVerdict.Compliant, Why(matching));
    }

    [Fact]
    public void Legacy_only_gateway_fails_R_T4_when_the_probe_offers_TLS_1_1()
    {
        // OpenSSL 3.0 refuses TLS 1.0/1.1 below security level 0 on the client side too, and .NET takes the
        // level from the OpenSSL configuration: so the CLI runs as a child process with its own OPENSSL_CONF
        // (never this test process, whose other tests must keep the default level).
        using var dir = new TempDir();
        string conf = dir.File("openssl.cnf", string.Join('\n', [
            "openssl_conf = default_conf",
            "[default_conf]",
            "ssl_conf = ssl_sect",
            "[ssl_sect]",
            "system_default = system_default_sect",
            "[system_default_sect]",
            "CipherString = DEFAULT:@SECLEVEL=0",
            "MinProtocol = TLSv1",
            string.Empty]));
        string cli = Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll");
        var (exit, output, err) = Tool.Run(
            Tool.DotnetHost(),
            [cli, "probe", "127.0.0.1:" + smtpd.WeakPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--level", "secure", "--offer-legacy", "--timeout", "30", "--format", "json"],
            env: new Dictionary<string, string> { ["OPENSSL_CONF"] = conf },
            timeoutMs: 120_000);
        Assert.True(exit == 1, $"exit {exit}: {output}{err}{smtpd.Log()}");
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("TLSv1.1", root.GetProperty("protocol").GetString());
        var findings = root.GetProperty("findings").EnumerateArray().ToDictionary(f => f.GetProperty("code").GetString()!, f => (Rule: f.GetProperty("rule").GetString(), Status: f.GetProperty("status").GetString()));
        Assert.Equal(("R-T4", "fail"), findings["tls-protocol-too-old"]);
        Assert.False(findings.ContainsKey("tls-protocol"));
        Assert.Equal("pass", findings["names"].Status);
        Assert.Equal("fail", root.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Legacy_only_gateway_is_a_handshake_failure_and_the_permissive_retry_names_TLS_1_1()
    {
        var probe = await Probe(smtpd.WeakPort);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure", TestCa()));
        Assert.True(probe.Outcome == ProbeOutcome.HandshakeFailed, Why(report));
        var failed = report.Find("handshake-failed");
        Assert.NotNull(failed);
        Assert.Equal("R-T6", failed.RuleId);
        Assert.Equal(FindingStatus.Failed, failed.Status);
        Assert.StartsWith("Cannot start TLS: handshake failure", failed.Message, StringComparison.Ordinal);

        // The retry in this very process (no OPENSSL_CONF): security level 0 through AllowNoEncryption.
#pragma warning disable SYSLIB0039 // the expected value
        Assert.Equal(SslProtocols.Tls11, probe.PermissiveRetry?.Protocol);
#pragma warning restore SYSLIB0039
        Assert.Equal(FindingStatus.Info, report.Find("permissive-retry")?.Status);
        Assert.Equal(("R-T4", FindingStatus.Failed), (report.Find("tls-protocol-too-old")?.RuleId, report.Find("tls-protocol-too-old")?.Status));
        Assert.Equal(FindingStatus.Passed, report.Find("names")?.Status);
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);
    }

    [Fact]
    public async Task Without_the_permissive_retry_a_legacy_only_gateway_is_a_bare_handshake_failure()
    {
        using var overall = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var options = Options(smtpd.WeakPort);
        var probe = await SmtpProbe.ProbeAsync(new SmtpProbeOptions
        {
            Host = options.Host,
            Port = options.Port,
            ServerName = options.ServerName,
            HandshakeTimeout = options.HandshakeTimeout,
            RetryPermissively = false,
        }, overall.Token);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure"));
        Assert.True(probe.Outcome == ProbeOutcome.HandshakeFailed, Why(report));
        Assert.Null(probe.PermissiveRetry);
        Assert.Null(report.Find("permissive-retry"));
        Assert.Null(report.Find("tls-protocol-too-old"));
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);
    }

    [Fact]
    public async Task Weak_only_cipher_gateway_fails_R_T2_and_R_T5_with_the_suite_it_negotiates()
    {
        var probe = await Probe(smtpd.NullCipherPort);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure", TestCa()));

        // A client with the platform's settings cannot connect at all (mail would be deferred) ...
        Assert.True(probe.Outcome == ProbeOutcome.HandshakeFailed, Why(report));
        Assert.Equal(("R-T6", FindingStatus.Failed), (report.Find("handshake-failed")?.RuleId, report.Find("handshake-failed")?.Status));

        // ... and the permissive retry shows why: authentication without encryption.
        var retry = probe.PermissiveRetry;
        Assert.True(retry is { Outcome: ProbeOutcome.TlsEstablished }, Why(report));
        Assert.Equal(SslProtocols.Tls12, retry.Protocol);
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_NULL_SHA, retry.CipherSuite);
        Assert.Contains("TLSv1.2 with ECDHE-ECDSA-NULL-SHA", report.Find("permissive-retry")?.Message, StringComparison.Ordinal);
        Assert.Equal(("R-T2", FindingStatus.Failed), (report.Find("tls-key-too-short")?.RuleId, report.Find("tls-key-too-short")?.Status));
        Assert.Equal(("R-T5", FindingStatus.Failed), (report.Find("tls-null-anonymous-export")?.RuleId, report.Find("tls-null-anonymous-export")?.Status));
        Assert.Equal(("R-T5", FindingStatus.Failed), (report.Find("tls-not-in-grade")?.RuleId, report.Find("tls-not-in-grade")?.Status));
        Assert.Null(report.Find("tls-cipher"));
        Assert.Equal(FindingStatus.Passed, report.Find("tls-protocol")?.Status);

        // The certificate of that session is still checked (it is the compliant gateway's).
        Assert.Equal(smtpd.Leaf, retry.Certificates[0]);
        Assert.Equal(FindingStatus.Passed, report.Find("names")?.Status);
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);
    }

    [Fact]
    public void Cli_probe_of_the_weak_only_cipher_gateway_exits_1_with_the_rules()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll");
        var (exit, output, err) = Tool.Run(
            Tool.DotnetHost(),
            [cli, "probe", "127.0.0.1:" + smtpd.NullCipherPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--level", "secure", "--timeout", "30", "--format", "json"],
            timeoutMs: 120_000);
        Assert.True(exit == 1, $"exit {exit}: {output}{err}{smtpd.Log()}");
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("HandshakeFailed", root.GetProperty("outcome").GetString());
        var retry = root.GetProperty("permissiveRetry");
        Assert.Equal("TLSv1.2", retry.GetProperty("protocol").GetString());
        Assert.Equal("TLS_ECDHE_ECDSA_WITH_NULL_SHA", retry.GetProperty("cipherSuite").GetString());
        var findings = root.GetProperty("findings").EnumerateArray().ToDictionary(f => f.GetProperty("code").GetString()!, f => (Rule: f.GetProperty("rule").GetString(), Status: f.GetProperty("status").GetString()));
        Assert.Equal(("R-T6", "fail"), findings["handshake-failed"]);
        Assert.Equal(("R-T2", "fail"), findings["tls-key-too-short"]);
        Assert.Equal(("R-T5", "fail"), findings["tls-not-in-grade"]);
        Assert.Equal("fail", root.GetProperty("verdict").GetString());

        // The text report names the suite and the rules too.
        var (textExit, text, textErr) = Tool.Run(
            Tool.DotnetHost(),
            [cli, "probe", "127.0.0.1:" + smtpd.NullCipherPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--level", "secure", "--timeout", "30"],
            timeoutMs: 120_000);
        Assert.True(textExit == 1, $"exit {textExit}: {text}{textErr}");
        Assert.Contains("ECDHE-ECDSA-NULL-SHA", text, StringComparison.Ordinal);
        Assert.Contains("R-T2", text, StringComparison.Ordinal);

        // --no-retry: one connection, the bare handshake failure (still exit 1: TLS is mandatory at secure).
        var (onceExit, once, onceErr) = Tool.Run(
            Tool.DotnetHost(),
            [cli, "probe", "127.0.0.1:" + smtpd.NullCipherPort, "--nexthop", "example.net", "--level", "secure", "--no-retry", "--timeout", "30", "--format", "json"],
            timeoutMs: 120_000);
        Assert.True(onceExit == 1, $"exit {onceExit}: {once}{onceErr}");
        using var onceDoc = JsonDocument.Parse(once);
        Assert.False(onceDoc.RootElement.TryGetProperty("permissiveRetry", out _));
        Assert.DoesNotContain("tls-key-too-short", once, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_policy_entrys_own_protocols_are_checked_besides_the_profile()
    {
        var probe = await Probe(smtpd.CompliantPort, SslProtocols.Tls12);
        Assert.Equal(SslProtocols.Tls12, probe.Protocol);

        var plain = ProbeEvaluator.Evaluate(probe, Input("secure", TestCa()));
        Assert.True(plain.Verdict == ProbeVerdict.Compliant, Why(plain));
        Assert.Null(plain.Find("policy-tls")); // no protocols=/ciphers=/exclude=: nothing to add

        var strict = ProbeEvaluator.Evaluate(probe, Input("secure protocols=>=TLSv1.3", TestCa()));
        var tooOld = strict.Find("policy-tls-protocol-too-old");
        Assert.True(tooOld is not null, Why(strict));
        Assert.Equal(("R-T4", FindingStatus.Failed), (tooOld.RuleId, tooOld.Status));
        Assert.Contains("protocols=>=TLSv1.3", tooOld.Message, StringComparison.Ordinal);
        Assert.Equal(FindingStatus.Passed, strict.Find("tls-protocol")?.Status); // the profile alone accepts TLS 1.2
        Assert.Equal(ProbeVerdict.NotCompliant, strict.Verdict);

        var within = ProbeEvaluator.Evaluate(probe, Input("secure protocols=>=TLSv1.2 ciphers=high", TestCa()));
        Assert.True(within.Verdict == ProbeVerdict.Compliant, Why(within));
        Assert.Equal(FindingStatus.Passed, within.Find("policy-tls")?.Status);
    }

    [Fact]
    public async Task A_partner_at_none_or_may_fails_R_T8_or_R_T6_whatever_the_server_offers()
    {
        // Issue 13: a partner with mandatory TLS whose entry is none (or may) used to pass, mail going out in plain text.
        var plain = await Probe(smtpd.NoTlsPort);
        var none = ProbeEvaluator.Evaluate(plain, Input("none", partners: ["example.net"]));
        Assert.Equal(ProbeVerdict.NotCompliant, none.Verdict);
        Assert.Equal(("R-T8", FindingStatus.Failed), (none.Find(CompiledPolicy.PartnerLevelCode)?.RuleId, none.Find(CompiledPolicy.PartnerLevelCode)?.Status));
        Assert.Equal(FindingStatus.Failed, none.Find("tls-not-offered")?.Status); // TLS is required for a partner

        // The same table entry for a domain that is no partner: opportunistic, as before (R-T7).
        Assert.Equal(ProbeVerdict.Compliant, ProbeEvaluator.Evaluate(plain, Input("none")).Verdict);

        // A gateway that does everything right does not save a partner entry at may (R-T6): the policy is the fault.
        var good = await Probe(smtpd.CompliantPort);
        var may = ProbeEvaluator.Evaluate(good, Input("may", TestCa(), partners: ["net"]));
        Assert.Equal(ProbeVerdict.NotCompliant, may.Verdict);
        Assert.Equal(("R-T6", FindingStatus.Failed), (may.Find(CompiledPolicy.PartnerLevelCode)?.RuleId, may.Find(CompiledPolicy.PartnerLevelCode)?.Status));
        var secure = ProbeEvaluator.Evaluate(good, Input("secure", TestCa(), partners: ["example.net"]));
        Assert.True(secure.Verdict == ProbeVerdict.Compliant, Why(secure));

        // The CLI: --partner, exit 1 with the rule.
        using var dir = new TempDir();
        string policy = dir.File("tls_policy", "example.net none\n");
        var cli = CliRunner.Run("probe", "127.0.0.1:" + smtpd.NoTlsPort, "--nexthop", "example.net", "--policy", policy, "--partner", "example.net", "--timeout", "30");
        Assert.True(cli.Exit == 1, cli.Out + cli.Err);
        Assert.Contains("[fail] R-T8 " + CompiledPolicy.PartnerLevelCode, cli.Out, StringComparison.Ordinal);
        var notPartner = CliRunner.Run("probe", "127.0.0.1:" + smtpd.NoTlsPort, "--nexthop", "example.net", "--policy", policy, "--timeout", "30");
        Assert.True(notPartner.Exit == 0, notPartner.Out + notPartner.Err);
    }

    [Fact]
    public async Task Server_without_STARTTLS_TLS_is_required_but_was_not_offered()
    {
        var probe = await Probe(smtpd.NoTlsPort);
        var secure = ProbeEvaluator.Evaluate(probe, Input("secure"));

        Assert.True(probe.Outcome == ProbeOutcome.StartTlsNotOffered, Why(secure));
        Assert.False(probe.StartTlsOffered);
        Assert.NotNull(probe.EhloReply);
        Assert.DoesNotContain("STARTTLS", probe.EhloReply, StringComparison.OrdinalIgnoreCase);
        var notOffered = secure.Find("tls-not-offered");
        Assert.NotNull(notOffered);
        Assert.Equal(FindingStatus.Failed, notOffered.Status);
        Assert.Equal("R-T6", notOffered.RuleId);
        Assert.StartsWith("TLS is required, but was not offered by host 127.0.0.1[127.0.0.1]:", notOffered.Message, StringComparison.Ordinal);
        Assert.Equal(ProbeVerdict.NotCompliant, secure.Verdict);

        // At may, plaintext is allowed (R-T7): information, not a failure.
        var may = ProbeEvaluator.Evaluate(probe, Input("may"));
        Assert.Equal(FindingStatus.Info, may.Find("tls-not-offered")?.Status);
        Assert.Equal(ProbeVerdict.Compliant, may.Verdict);
    }

    [Fact]
    public async Task The_validation_engine_decides_the_chain()
    {
        var probe = await Probe(smtpd.CompliantPort);
        Assert.True(CertPolicy.Validation.CustomTrust.TryCreate([smtpd.Ca], [], null, null, out var testCa, out var error), error);
        var engine = new CertPolicy.Validation.ChainValidator(testCa!);

        // The fixture issues its certificates relative to the clock; validate inside their window.
        using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(smtpd.Leaf);
        var at = new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero).AddMinutes(5);
        ProbeEvaluationInput At(string policy, CertPolicy.Validation.ChainValidator validator, CertPolicy.Validation.ValidationProfile profile) => new()
        {
            NextHop = "example.net",
            MxHost = PostfixSmtpd.GatewayName,
            Policy = Policy(policy),
            Floor = TlsFloor.Partner2026,
            Validator = validator,
            Profile = profile,
            ValidationTime = at,
        };

        // postfix-secure checks what Postfix's secure level checks: chain and names. Both hold.
        var secure = ProbeEvaluator.Evaluate(probe, At("secure", engine, CertPolicy.Validation.ValidationProfile.PostfixSecure));
        Assert.True(secure.Verdict == ProbeVerdict.Compliant, Why(secure));
        Assert.Equal(FindingStatus.Passed, secure.Find("chain")?.Status);

        // partner-2026 also wants an organisation-validated leaf (R-C4/R-C6): the test leaf names no O= and asserts no policy.
        var partner = ProbeEvaluator.Evaluate(probe, At("secure", engine, CertPolicy.Validation.ValidationProfile.Partner2026));
        Assert.Equal(ProbeVerdict.NotCompliant, partner.Verdict);
        Assert.Contains(partner.Findings, f => f.Status == FindingStatus.Failed && f.RuleId is "R-C4" or "R-C6");
        Assert.DoesNotContain(partner.Findings, f => f.RuleId == "R-C2" && f.Status == FindingStatus.Failed); // names are the probe's own, and they match
        Assert.Equal(FindingStatus.Passed, partner.Find("names")?.Status);

        // The curated store does not trust the test CA: R-C3.
        var curated = CertPolicy.Trust.TrustManifestLoader.LoadEmbedded(at);
        var untrusted = ProbeEvaluator.Evaluate(probe, At("secure", new CertPolicy.Validation.ChainValidator(new CertPolicy.Trust.TrustStore(curated)), CertPolicy.Validation.ValidationProfile.PostfixSecure));
        Assert.Equal(ProbeVerdict.NotCompliant, untrusted.Verdict);
        Assert.Equal(FindingStatus.Failed, untrusted.Find("chain.untrusted")?.Status);
    }

    [Fact]
    public void Cli_probe_compliant_gateway_json()
    {
        using var dir = new TempDir();
        string ca = dir.File("ca.pem", System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE", smtpd.Ca) + "\n");
        var (exit, output, err) = CliRunner.Run(
            "probe", "127.0.0.1:" + smtpd.CompliantPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--level", "secure",
            "--roots", ca, "--profile", "postfix-secure", "--timeout", "30", "--format", "json");
        Assert.True(exit == 0, $"exit {exit}: {output}{err}{smtpd.Log()}");
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("pass", root.GetProperty("verdict").GetString());
        Assert.Equal(2, root.GetProperty("certificatesSha256").GetArrayLength());
        var findings = root.GetProperty("findings").EnumerateArray().ToDictionary(f => f.GetProperty("code").GetString()!, f => f.GetProperty("status").GetString());
        Assert.Equal("pass", findings["names"]);
        Assert.Equal("pass", findings["tls-cipher"]);
        Assert.Equal("pass", findings["chain"]);
        Assert.DoesNotContain(findings, kv => kv.Value == "fail");

        // Against the curated store (no --roots) the test CA is not trusted: exit 1, R-C3.
        var curated = CliRunner.Run(
            "probe", "127.0.0.1:" + smtpd.CompliantPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--level", "secure", "--timeout", "30");
        Assert.True(curated.Exit == 1, curated.Out + curated.Err);
        Assert.Contains("[fail] R-C3 chain.untrusted", curated.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_probe_warn_days_warns_about_the_leaf_and_the_anchor_without_failing()
    {
        // The fixture's leaf is valid for one day, its CA for 30 (TestPki): --warn-days 60 names both, as warnings.
        using var dir = new TempDir();
        string ca = dir.File("ca.pem", System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE", smtpd.Ca) + "\n");
        string[] args = ["probe", "127.0.0.1:" + smtpd.CompliantPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--level", "secure", "--roots", ca, "--profile", "postfix-secure", "--timeout", "30"];
        var quiet = CliRunner.Run(args);
        Assert.True(quiet.Exit == 0, quiet.Out + quiet.Err + smtpd.Log());
        Assert.DoesNotContain("[warn]", quiet.Out, StringComparison.Ordinal);

        var warned = CliRunner.Run([.. args, "--warn-days", "60"]);
        Assert.True(warned.Exit == 0, warned.Out + warned.Err + smtpd.Log());
        Assert.Contains("[warn] R-C3 expiry.soon: the leaf (", warned.Out, StringComparison.Ordinal);
        Assert.Contains("[warn] R-C3 expiry.soon: the anchor (", warned.Out, StringComparison.Ordinal);

        var json = CliRunner.Run([.. args, "--warn-days", "60", "--format", "json"]);
        Assert.True(json.Exit == 0, json.Out + json.Err);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("pass", doc.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("warnings").GetArrayLength());
    }

    [Fact]
    public void Cli_probe_policy_file_wrong_name_and_no_tls()
    {
        using var dir = new TempDir();
        string policy = dir.File("tls_policy", "example.net secure match=.example.net ciphers=high\n");
        var wrong = CliRunner.Run("probe", "127.0.0.1:" + smtpd.WrongNamePort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--policy", policy, "--timeout", "30");
        Assert.True(wrong.Exit == 1, wrong.Out + wrong.Err + smtpd.Log());
        Assert.Contains("[fail] R-C2 name.mismatch", wrong.Out, StringComparison.Ordinal);

        var plain = CliRunner.Run("probe", "127.0.0.1:" + smtpd.NoTlsPort, "--nexthop", "example.net", "--policy", policy, "--timeout", "30");
        Assert.True(plain.Exit == 1, plain.Out + plain.Err);
        Assert.Contains("TLS is required, but was not offered", plain.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_connection_refused_exits_3()
    {
        // A port that was just free on 127.0.0.1 and is closed again: the connect is refused.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (exit, output, err) = CliRunner.Run("probe", "127.0.0.1:" + port, "--nexthop", "example.net", "--timeout", "10", "--format", "json");
        Assert.True(exit == 3, $"exit {exit}: {output}{err}");
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("could-not-evaluate", doc.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("ConnectFailed", doc.RootElement.GetProperty("outcome").GetString());
    }
}
