using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tests.Support;
using CertPolicy.Tls;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Net;

/// <summary>
/// The probe offers what the policy allows (<see cref="ProbeOffer"/>, Postfix semantics, postfix-tls.md 6.1/6.2): the
/// offer itself (against <c>openssl ciphers</c> and the ClientHello .NET really sends) and gateways judged by what they
/// can do under the policy, on a REAL Postfix smtpd (<see cref="PostfixOfferGateways"/>), checked against Postfix's own
/// client <c>posttls-finger</c>.
/// </summary>
public class ProbeOfferTests(PostfixOfferGateways gw) : IClassFixture<PostfixOfferGateways>
{
    private static TlsPolicy Policy(string value)
    {
        Assert.True(TlsPolicy.TryParse(value, out var p, out var error), error.Message);
        return p!;
    }

    private static ProbeOffer Offer(string policy, bool legacy = false)
    {
        Assert.True(ProbeOffer.TryFor(Policy(policy), legacy, out var offer, out var error), error);
        return offer!;
    }

    private static SmtpProbeOptions Options(int port, ProbeOffer? offer, bool retry = true) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ServerName = PostfixSmtpd.GatewayName,
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ReplyTimeout = TimeSpan.FromSeconds(30),
        HandshakeTimeout = TimeSpan.FromSeconds(30),
        EnabledProtocols = offer?.SslProtocols ?? SslProtocols.None,
        OfferedCipherSuites = offer?.Suites,
        RetryPermissively = retry,
    };

    private static async Task<ProbeResult> Probe(int port, ProbeOffer? offer, bool retry = true)
    {
        using var overall = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await SmtpProbe.ProbeAsync(Options(port, offer, retry), overall.Token);
    }

    private ProbeEvaluationInput Input(string policy, ProbeOffer? offer) => new()
    {
        NextHop = "example.net",
        MxHost = PostfixSmtpd.GatewayName,
        Policy = Policy(policy),
        Floor = TlsFloor.Partner2026,
        Validator = TestCa(),
        Profile = ValidationProfile.PostfixSecure,
        ValidationTime = InsideValidity(),
        Offer = offer,
    };

    private DateTimeOffset InsideValidity()
    {
        using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(gw.Leaf);
        return new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero).AddMinutes(5);
    }

    private ChainValidator TestCa()
    {
        Assert.True(CustomTrust.TryCreate([gw.Ca], [], null, null, out var store, out var error), error);
        return new ChainValidator(store!);
    }

    private string Why(ProbeReport r) =>
        r.Probe.Message + "\n" + string.Join('\n', r.Findings.Select(f => $"[{f.Status}] {f.RuleId} {f.Code}: {f.Message}")) + gw.Log();

    // ---- the offer itself ----

    [Fact]
    public void Offer_for_ciphers_high_is_openssl_ciphers_of_postfixs_string_with_the_TLS_1_3_suites_first()
    {
        var offer = Offer("secure ciphers=high");

        // postfix-tls.md 6.1: tls_high_cipherlist, then the level's own exclusion (aNULL at secure).
        Assert.Equal("aNULL:-aNULL:HIGH:@STRENGTH:!aNULL", offer.CipherString);
        Assert.Contains("entry ciphers=high -> tls_high_cipherlist", offer.Source, StringComparison.Ordinal);

        // The same string through the real OpenSSL 3.0 of this machine: same suites, same order (it lists the TLS 1.3 suites first too).
        var (exit, stdout, stderr) = Tool.Run("openssl", ["ciphers", offer.CipherString], package: "openssl");
        Assert.True(exit == 0, stderr);
        Assert.Equal(stdout.Trim().Split(':'), offer.SuiteNames);
        Assert.Equal(3, offer.Tls13Count);
        Assert.Contains("ECDHE-RSA-AES128-SHA", offer.SuiteNames);
        Assert.DoesNotContain(offer.SuiteNames, n => n.StartsWith("ADH-", StringComparison.Ordinal) || n.StartsWith("AECDH-", StringComparison.Ordinal));

        // Postfix 3.6+ default protocols (>=TLSv1): .NET is asked for TLS 1.0 to 1.3 (OpenSSL's security level still decides below 1.2).
        Assert.Equal(new[] { "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" }, offer.ProtocolNames);
        Assert.Contains("smtp_tls_mandatory_protocols default >=TLSv1", offer.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_follows_level_exclude_and_protocols()
    {
        // No ciphers=: Postfix's default grade medium (same suites as high on OpenSSL 3.0); at may no aNULL exclusion.
        var may = Offer("may");
        Assert.Equal(PostfixCiphers.MediumList, may.CipherString);
        Assert.Contains("level may: smtp_tls_ciphers default medium -> tls_medium_cipherlist", may.Source, StringComparison.Ordinal);
        Assert.Contains(may.SuiteNames, n => n.StartsWith("ADH-", StringComparison.Ordinal));
        Assert.Equal("aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:!eNULL", Offer("encrypt").CipherString);

        // exclude= is appended as :!item (a table separates items with colons).
        var noRsa = Offer("secure ciphers=high exclude=kRSA:CAMELLIA");
        Assert.Equal("aNULL:-aNULL:HIGH:@STRENGTH:!kRSA:!CAMELLIA:!aNULL", noRsa.CipherString);
        Assert.DoesNotContain("AES128-SHA", noRsa.SuiteNames);
        Assert.DoesNotContain(noRsa.SuiteNames, n => n.Contains("CAMELLIA", StringComparison.Ordinal));
        Assert.Contains("ECDHE-RSA-AES128-SHA", noRsa.SuiteNames);

        // protocols=>=TLSv1.3: only TLS 1.3, only its suites (the cipher string does not govern them).
        var only13 = Offer("secure protocols=>=TLSv1.3");
        Assert.Equal(new[] { "TLSv1.3" }, only13.ProtocolNames);
        Assert.Equal(SslProtocols.Tls13, only13.SslProtocols);
        Assert.Equal(new[] { "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256" }, only13.SuiteNames);

        // TLS 1.2 only: no TLS 1.3 suite.
        var only12 = Offer("secure protocols=TLSv1.2 ciphers=high");
        Assert.Equal(SslProtocols.Tls12, only12.SslProtocols);
        Assert.Equal(0, only12.Tls13Count);
        Assert.Equal(only12.Suites.Count, Offer("secure ciphers=high").Suites.Count - 3);

        // --offer-legacy widens a TLS 1.3-only policy for diagnosis and says so.
        var legacy = Offer("secure protocols=>=TLSv1.3", legacy: true);
        Assert.Equal(new[] { "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" }, legacy.ProtocolNames);
        Assert.Contains("AES128-SHA", legacy.SuiteNames);
        Assert.True(legacy.Legacy);
        Assert.Contains("--offer-legacy", legacy.Source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("secure ciphers=strong", "invalid cipher grade")]
    [InlineData("secure exclude=!kRSA", "invalid unary")]
    [InlineData("secure protocols=TLSv9", "Invalid TLS protocol list")]
    [InlineData("secure protocols=SSLv3", "no protocol the probe can offer")]
    [InlineData("secure ciphers=null exclude=eNULL", "no ciphers available")]
    public void Offer_that_Postfix_could_not_make_is_an_error_not_an_exception(string policy, string expected)
    {
        Assert.False(ProbeOffer.TryFor(Policy(policy), false, out var offer, out var error));
        Assert.Null(offer);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ClientHello_on_the_wire_carries_the_offer()
    {
        // ciphers=high: the CBC-SHA suite is in the ClientHello (the old default offer left it out).
        var high = Offer("secure ciphers=high");
        var hello = await CaptureClientHello(high);
        Assert.Contains((ushort)0xC013, hello.Suites); // ECDHE-RSA-AES128-SHA
        Assert.Contains((ushort)0x1301, hello.Suites);
        Assert.Contains((ushort)0x0304, hello.Versions);
        Assert.Contains((ushort)0x0303, hello.Versions);

        // Every suite on the wire was offered, in the offer's order (OpenSSL drops what it cannot use without a key or
        // callback, e.g. PSK and SRP; 0x00FF is the renegotiation signalling value, not a suite).
        var offered = high.Suites.Select(s => (ushort)s).ToList();
        var sent = hello.Suites.Where(s => s != 0x00FF).ToList();
        Assert.All(sent, s => Assert.Contains(s, offered));
        Assert.Equal(sent.OrderBy(s => offered.IndexOf(s)), sent);

        // .NET's default client offer (what the probe used before): no CBC-SHA suite at all.
        var before = await CaptureClientHello(null);
        Assert.DoesNotContain((ushort)0xC013, before.Suites);

        // protocols=>=TLSv1.3: only TLS 1.3 suites and only TLS 1.3 in supported_versions.
        var only13 = await CaptureClientHello(Offer("secure protocols=>=TLSv1.3"));
        Assert.Equal(new ushort[] { 0x1302, 0x1303, 0x1301 }, only13.Suites.Where(s => s != 0x00FF));
        Assert.Equal(new ushort[] { 0x0304 }, only13.Versions);

        // exclude=kRSA: no plain-RSA suite on the wire.
        var noRsa = await CaptureClientHello(Offer("secure ciphers=high exclude=kRSA"));
        Assert.DoesNotContain((ushort)0x002F, noRsa.Suites);
        Assert.Contains((ushort)0x002F, hello.Suites);
    }

    // ---- (a) a CBC-SHA-only TLS 1.2 gateway meets ciphers=high ----

    [Fact]
    public async Task Cbc_sha_only_TLS_1_2_gateway_passes_secure_with_ciphers_high()
    {
        // Postfix's own client agrees: at secure with grade high it negotiates the CBC-SHA suite and verifies the peer.
        var ptf = RunPosttlsFinger(gw.CbcOnlyPort, "-g", "high");
        Assert.True(ptf.Contains("Verified TLS connection established", StringComparison.Ordinal) && ptf.Contains("TLSv1.2 with cipher ECDHE-RSA-AES128-SHA", StringComparison.Ordinal), ptf);

        // The old default offer (.NET's own list, AEAD only on Linux) shares no suite with it: handshake failure.
        var old = await Probe(gw.CbcOnlyPort, null, retry: false);
        Assert.True(old.Outcome == ProbeOutcome.HandshakeFailed, old.Message + gw.Log());

        // The policy's offer negotiates it, and the verdict passes.
        var offer = Offer("secure ciphers=high");
        var probe = await Probe(gw.CbcOnlyPort, offer);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure ciphers=high", offer));
        Assert.True(probe.Outcome == ProbeOutcome.TlsEstablished, Why(report));
        Assert.Equal(SslProtocols.Tls12, probe.Protocol);
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, probe.CipherSuite);
        Assert.True(report.Verdict == ProbeVerdict.Compliant, Why(report));
        Assert.Equal(FindingStatus.Passed, report.Find("tls-cipher")?.Status);
        Assert.Equal(FindingStatus.Passed, report.Find("policy-tls")?.Status);
        Assert.Contains("\"aNULL:-aNULL:HIGH:@STRENGTH:!aNULL\"", report.Find(ProbeEvaluator.OfferCode)?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_probe_of_the_cbc_sha_gateway_passes_and_reports_the_offer()
    {
        using var dir = new TempDir();
        string ca = dir.File("ca.pem", gw.CaPem);
        string policy = dir.File("tls_policy", "example.net secure ciphers=high\n");
        var json = CliRunner.Run(
            "probe", "127.0.0.1:" + gw.CbcOnlyPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--policy", policy,
            "--roots", ca, "--profile", "postfix-secure", "--timeout", "30", "--format", "json");
        Assert.True(json.Exit == 0, json.Out + json.Err + gw.Log());
        using var doc = JsonDocument.Parse(json.Out);
        var root = doc.RootElement;
        Assert.Equal("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", root.GetProperty("cipherSuite").GetString());
        var offer = root.GetProperty("offer");
        Assert.Equal(new[] { "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" }, offer.GetProperty("protocols").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("aNULL:-aNULL:HIGH:@STRENGTH:!aNULL", offer.GetProperty("cipherString").GetString());
        Assert.StartsWith("entry ciphers=high -> tls_high_cipherlist", offer.GetProperty("source").GetString(), StringComparison.Ordinal);
        var suites = offer.GetProperty("suites").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(offer.GetProperty("suiteCount").GetInt32(), suites.Count);
        Assert.Contains("ECDHE-RSA-AES128-SHA", suites);

        var text = CliRunner.Run(
            "probe", "127.0.0.1:" + gw.CbcOnlyPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--policy", policy,
            "--roots", ca, "--profile", "postfix-secure", "--timeout", "30");
        Assert.True(text.Exit == 0, text.Out + text.Err);
        Assert.Contains("[info] R-T5 tls-offer: offered TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 with " + suites.Count + " suites", text.Out, StringComparison.Ordinal);
        Assert.Contains("TLSv1.2 with cipher TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", text.Out, StringComparison.Ordinal);
    }

    // ---- (b) a gateway whose only suite is outside the policy ----

    [Fact]
    public async Task Gateway_with_only_a_suite_outside_the_policy_fails_R_T5_and_names_the_offer()
    {
        // Postfix's own client with the same effective string (grade high, then :!kRSA) cannot start TLS ...
        var refused = RunPosttlsFinger(gw.PlainRsaOnlyPort, "-g", "high", "-o", "tls_high_cipherlist=aNULL:-aNULL:HIGH:@STRENGTH:!kRSA");
        Assert.DoesNotContain("TLS connection established", refused, StringComparison.Ordinal);
        // ... and without the exclusion it can (the gateway works; the policy excludes its only suite).
        var allowed = RunPosttlsFinger(gw.PlainRsaOnlyPort, "-g", "high");
        Assert.True(allowed.Contains("TLSv1.2 with cipher AES128-SHA", StringComparison.Ordinal), allowed);

        var offer = Offer("secure ciphers=high exclude=kRSA");
        var probe = await Probe(gw.PlainRsaOnlyPort, offer);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure ciphers=high exclude=kRSA", offer));
        Assert.True(probe.Outcome == ProbeOutcome.HandshakeFailed, Why(report));
        var failed = report.Find("handshake-failed");
        Assert.Equal(("R-T6", FindingStatus.Failed), (failed?.RuleId, failed?.Status));
        Assert.Contains("the probe offered TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", failed!.Message, StringComparison.Ordinal);
        Assert.Contains("!kRSA", failed.Message, StringComparison.Ordinal);

        // The permissive retry shows what the gateway does, and the entry's cipher rule refuses it (R-T5); the profile alone accepts it (HIGH).
        Assert.Equal(TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA, probe.PermissiveRetry?.CipherSuite);
        var outside = report.Find("policy-tls-not-in-grade");
        Assert.Equal(("R-T5", FindingStatus.Failed), (outside?.RuleId, outside?.Status));
        Assert.Contains("exclude=kRSA", outside!.Message, StringComparison.Ordinal);
        Assert.Equal(FindingStatus.Passed, report.Find("tls-cipher")?.Status);
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);

        // Not hard-coded: the same gateway passes under ciphers=high without the exclusion.
        var plainOffer = Offer("secure ciphers=high");
        var plainProbe = await Probe(gw.PlainRsaOnlyPort, plainOffer);
        var plain = ProbeEvaluator.Evaluate(plainProbe, Input("secure ciphers=high", plainOffer));
        Assert.True(plain.Verdict == ProbeVerdict.Compliant, Why(plain));
    }

    [Fact]
    public void Cli_probe_of_the_excluded_suite_gateway_exits_1_naming_rule_and_offer()
    {
        using var dir = new TempDir();
        string ca = dir.File("ca.pem", gw.CaPem);
        string policy = dir.File("tls_policy", "example.net secure ciphers=high exclude=kRSA\n");
        var json = CliRunner.Run(
            "probe", "127.0.0.1:" + gw.PlainRsaOnlyPort, "--nexthop", "example.net", "--mx", PostfixSmtpd.GatewayName, "--policy", policy,
            "--roots", ca, "--profile", "postfix-secure", "--timeout", "30", "--format", "json");
        Assert.True(json.Exit == 1, json.Out + json.Err + gw.Log());
        using var doc = JsonDocument.Parse(json.Out);
        var root = doc.RootElement;
        var suites = root.GetProperty("offer").GetProperty("suites").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.DoesNotContain("AES128-SHA", suites);
        Assert.Equal("TLS_RSA_WITH_AES_128_CBC_SHA", root.GetProperty("permissiveRetry").GetProperty("cipherSuite").GetString());
        var findings = root.GetProperty("findings").EnumerateArray().ToDictionary(f => f.GetProperty("code").GetString()!, f => (Rule: f.GetProperty("rule").GetString(), Status: f.GetProperty("status").GetString()));
        Assert.Equal(("R-T5", "fail"), findings["policy-tls-not-in-grade"]);
        Assert.Equal(("R-T6", "fail"), findings["handshake-failed"]);
    }

    // ---- (c) protocols=>=TLSv1.3 offers only TLS 1.3 ----

    [Fact]
    public async Task Tls_1_3_only_entry_offers_only_TLS_1_3()
    {
        var offer = Offer("secure protocols=>=TLSv1.3");

        // Postfix's own client with the same protocols: no TLS with the TLS 1.2-only gateway, TLS 1.3 with the modern one.
        var ptf12 = RunPosttlsFinger(gw.CbcOnlyPort, "-p", ">=TLSv1.3");
        Assert.DoesNotContain("TLS connection established", ptf12, StringComparison.Ordinal);
        var ptf13 = RunPosttlsFinger(gw.ModernPort, "-p", ">=TLSv1.3");
        Assert.True(ptf13.Contains("TLSv1.3 with cipher", StringComparison.Ordinal), ptf13);

        var modern = await Probe(gw.ModernPort, offer);
        var pass = ProbeEvaluator.Evaluate(modern, Input("secure protocols=>=TLSv1.3", offer));
        Assert.Equal(SslProtocols.Tls13, modern.Protocol);
        Assert.True(pass.Verdict == ProbeVerdict.Compliant, Why(pass));

        var old = await Probe(gw.CbcOnlyPort, offer);
        var fail = ProbeEvaluator.Evaluate(old, Input("secure protocols=>=TLSv1.3", offer));
        Assert.True(old.Outcome == ProbeOutcome.HandshakeFailed, Why(fail));
        Assert.Contains("the probe offered TLSv1.3, 3 suites", fail.Find("handshake-failed")?.Message, StringComparison.Ordinal);
        Assert.Equal(("R-T4", FindingStatus.Failed), (fail.Find("policy-tls-protocol-too-old")?.RuleId, fail.Find("policy-tls-protocol-too-old")?.Status));
        Assert.Equal(ProbeVerdict.NotCompliant, fail.Verdict);
    }

    // posttls-finger (Postfix's client) at secure against the fixture CA; returns its output.
    private string RunPosttlsFinger(int port, params string[] extra)
    {
        string binary = CertPolicy.Tests.Names.PosttlsFinger.Require();
        using var dir = new TempDir();
        dir.File("main.cf", "compatibility_level = 3.7\nsmtp_tls_loglevel = 1\n");
        string ca = dir.File("ca.pem", gw.CaPem);
        string[] args = ["-c", "-a", "ipv4", "-h", "native", "-t", "10", "-T", "10", "-l", "secure", "-F", ca, .. extra, "[127.0.0.1]:" + port, PostfixSmtpd.GatewayName];
        var (_, stdout, stderr) = Tool.Run(binary, args, env: new Dictionary<string, string> { ["MAIL_CONFIG"] = dir.Path }, timeoutMs: 60_000, package: "postfix");
        return stdout + stderr;
    }

    private sealed record ClientHello(List<ushort> Suites, List<ushort> Versions);

    // A one-shot STARTTLS peer: banner, EHLO with STARTTLS, 220 to STARTTLS, then it reads the ClientHello record and hangs up.
    private static async Task<ClientHello> CaptureClientHello(ProbeOffer? offer)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var server = Task.Run(
                async () =>
                {
                    using var client = await listener.AcceptTcpClientAsync(deadline.Token);
                    var s = client.GetStream();
                    await s.WriteAsync("220 capture ESMTP\r\n"u8.ToArray(), deadline.Token);
                    string ehlo = await ReadLine(s, deadline.Token);
                    Assert.StartsWith("EHLO", ehlo, StringComparison.Ordinal);
                    await s.WriteAsync("250-capture\r\n250 STARTTLS\r\n"u8.ToArray(), deadline.Token);
                    Assert.Equal("STARTTLS", await ReadLine(s, deadline.Token));
                    await s.WriteAsync("220 go ahead\r\n"u8.ToArray(), deadline.Token);
                    var header = new byte[5];
                    await s.ReadExactlyAsync(header, deadline.Token);
                    Assert.Equal(0x16, header[0]); // handshake record
                    var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3))];
                    await s.ReadExactlyAsync(body, deadline.Token);
                    return ParseClientHello(body);
                },
                deadline.Token);
            var probe = await SmtpProbe.ProbeAsync(Options(port, offer, retry: false), deadline.Token);
            Assert.Equal(ProbeOutcome.HandshakeFailed, probe.Outcome);
            return await server;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task<string> ReadLine(NetworkStream s, CancellationToken ct)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await s.ReadAsync(one, ct) == 1 && one[0] != (byte)'\n')
        {
            line.Add(one[0]);
        }

        return System.Text.Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
    }

    // RFC 8446 4.1.2 (ClientHello) and 4.2.1 (supported_versions); one handshake message in one record.
    private static ClientHello ParseClientHello(byte[] m)
    {
        Assert.Equal(1, m[0]); // client_hello
        int p = 4 + 2 + 32; // type, length, legacy_version, random
        p += 1 + m[p]; // legacy_session_id
        int suitesLength = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p));
        p += 2;
        var suites = new List<ushort>();
        for (int i = 0; i < suitesLength; i += 2)
        {
            suites.Add(BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p + i)));
        }

        p += suitesLength;
        p += 1 + m[p]; // legacy_compression_methods
        var versions = new List<ushort>();
        int end = p + 2 + BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p));
        p += 2;
        while (p < end)
        {
            int type = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p));
            int length = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p + 2));
            if (type == 0x002B)
            {
                for (int i = 1; i < 1 + m[p + 4]; i += 2)
                {
                    versions.Add(BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p + 4 + i)));
                }
            }

            p += 4 + length;
        }

        return new ClientHello(suites, versions);
    }
}
