using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Net;
using CertPolicy.Validation;
using CertPolicy.Policy;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Support;
using CertPolicy.Tls;

namespace CertPolicy.Tests.Net;

/// <summary>SMTP protocol edge cases, the evaluation rules on constructed results, the SslStream floor extension and CLI input errors.</summary>
public class ProbeProtocolTests
{
    private static readonly DateTimeOffset ValidationTime = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string?> EhloWithStartTls = new()
    {
        ["EHLO"] = "250-gw.example.net\n250-PIPELINING\n250-starttls\n250 8BITMIME",
    };

    private static SmtpProbeOptions Options(int port, double replySeconds = 20) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ReplyTimeout = TimeSpan.FromSeconds(replySeconds),
        HandshakeTimeout = TimeSpan.FromSeconds(20),
    };

    private static ProbeEvaluationInput Input(string policy, ChainValidator? validator = null)
    {
        Assert.True(TlsPolicy.TryParse(policy, out var p, out var error), error.Message);
        return new ProbeEvaluationInput { NextHop = "example.net", MxHost = "gw.example.net", Policy = p!, Validator = validator, ValidationTime = ValidationTime };
    }

    [Fact]
    public async Task StartTls_refused_copies_the_server_reply_and_multiline_banner_is_read()
    {
        var replies = new Dictionary<string, string?>(EhloWithStartTls) { ["STARTTLS"] = "454 4.7.0 TLS not available due to local problem" };
        await using var server = new ScriptedSmtpServer("220-gw.example.net ESMTP\n220 second banner line", replies);
        var probe = await SmtpProbe.ProbeAsync(Options(server.Port));

        Assert.Equal(ProbeOutcome.StartTlsRefused, probe.Outcome);
        Assert.Equal("220-gw.example.net ESMTP\n220 second banner line", probe.Banner);
        Assert.True(probe.StartTlsOffered); // keyword matched case-insensitively
        Assert.Equal($"TLS is required, but host 127.0.0.1[127.0.0.1]:{server.Port} refused to start TLS: 454 4.7.0 TLS not available due to local problem", probe.Message);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure"));
        var refused = report.Find("starttls-refused");
        Assert.Equal(("R-T6", FindingStatus.Failed), (refused?.RuleId, refused?.Status));
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);
        Assert.Contains("QUIT", server.Received);
    }

    [Fact]
    public async Task Rejecting_banner_is_an_smtp_error_that_could_not_be_evaluated()
    {
        await using var server = new ScriptedSmtpServer("554 5.7.1 go away", EhloWithStartTls);
        var probe = await SmtpProbe.ProbeAsync(Options(server.Port));
        Assert.Equal(ProbeOutcome.SmtpError, probe.Outcome);
        Assert.Contains("554 5.7.1 go away", probe.Message, StringComparison.Ordinal);
        Assert.Equal(ProbeVerdict.CouldNotEvaluate, ProbeEvaluator.Evaluate(probe, Input("secure")).Verdict);
    }

    [Fact]
    public async Task Non_smtp_bytes_are_a_typed_result_not_an_exception()
    {
        await using var server = new ScriptedSmtpServer("HTTP/1.1 400 Bad Request", EhloWithStartTls);
        var probe = await SmtpProbe.ProbeAsync(Options(server.Port));
        Assert.Equal(ProbeOutcome.SmtpError, probe.Outcome);
        Assert.Contains("not an SMTP reply line", probe.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silent_server_hits_the_reply_timeout()
    {
        await using var server = new ScriptedSmtpServer(null, EhloWithStartTls);
        var probe = await SmtpProbe.ProbeAsync(Options(server.Port, replySeconds: 1));
        Assert.Equal(ProbeOutcome.Timeout, probe.Outcome);
        Assert.Contains("banner", probe.Message, StringComparison.Ordinal);
        var report = ProbeEvaluator.Evaluate(probe, Input("secure"));
        Assert.Equal(ProbeVerdict.CouldNotEvaluate, report.Verdict);
        Assert.Equal(FindingStatus.NotEvaluated, report.Find("timeout")?.Status);
    }

    [Fact]
    public async Task Invalid_options_are_caller_mistakes()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => SmtpProbe.ProbeAsync(null!));
        var smtps = await Assert.ThrowsAsync<ArgumentException>(() => SmtpProbe.ProbeAsync(new SmtpProbeOptions { Host = "127.0.0.1", Port = 465 }));
        Assert.Contains("R-T1", smtps.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => SmtpProbe.ProbeAsync(new SmtpProbeOptions { Host = "[::1]", Port = 25 }));
    }

    [Theory]
    [InlineData("250-gw\n250 STARTTLS", true)]
    [InlineData("250-gw\n250-starttls\n250 SIZE 1000", true)]
    [InlineData("250-gw\n250 STARTTLSX", false)]
    [InlineData("250 gw STARTTLS", false)] // the first line is the greeting, not a keyword
    [InlineData("250-gw\n250 8BITMIME", false)]
    public void Ehlo_keyword(string reply, bool expected) => Assert.Equal(expected, SmtpProbe.HasKeyword(reply, "STARTTLS"));

    private static ProbeResult Established(bool implicitTls, params byte[][] certificates) => new(ProbeOutcome.TlsEstablished, "test")
    {
        Host = "gw.example.net",
        Port = implicitTls ? 465 : 25,
        ImplicitTls = implicitTls,
        Protocol = SslProtocols.Tls13,
        CipherSuite = TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        Certificates = [.. certificates],
    };

    [Fact]
    public void Implicit_tls_fails_R_T1()
    {
        byte[] leaf = TestCertificates.Create("CN=gw.example.net", dns: ["gw.example.net"]);
        var report = ProbeEvaluator.Evaluate(Established(true, leaf), Input("secure match=.example.net"));
        Assert.Equal(("R-T1", FindingStatus.Failed), (report.Find("implicit-tls")?.RuleId, report.Find("implicit-tls")?.Status));
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);

        var starttls = ProbeEvaluator.Evaluate(Established(false, leaf), Input("secure match=.example.net"));
        Assert.Null(starttls.Find("implicit-tls"));
        Assert.Equal(FindingStatus.Passed, starttls.Find("starttls")?.Status);
    }

    [Fact]
    public void Anonymous_session_fails_R_C1_at_secure_and_is_information_at_encrypt()
    {
        Assert.Equal(FindingStatus.Failed, ProbeEvaluator.Evaluate(Established(false), Input("secure")).Find("no-certificate")?.Status);
        var encrypt = ProbeEvaluator.Evaluate(Established(false), Input("encrypt"));
        Assert.Equal(FindingStatus.Info, encrypt.Find("no-certificate")?.Status);
        Assert.Equal(ProbeVerdict.Compliant, encrypt.Verdict);
    }

    [Fact]
    public void Unreadable_certificate_fails_closed()
    {
        // A "certificate" that is not one: the engine and the name check both fail closed, never an exception.
        var report = ProbeEvaluator.Evaluate(Established(false, [0x30, 0x03, 0x02, 0x01, 0x05]), Input("secure match=.example.net"));
        Assert.Equal(FindingStatus.Failed, report.Find("name.malformed")?.Status);
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);
    }

    [Fact]
    public void Fingerprint_is_not_modelled_and_dane_needs_a_tlsa_answer()
    {
        var report = ProbeEvaluator.Evaluate(Established(false), Input("fingerprint match=AA:BB"));
        Assert.Equal(ProbeVerdict.CouldNotEvaluate, report.Verdict);
        Assert.NotNull(report.Find("level-not-modelled"));

        // The DANE levels are evaluated with the TLSA answer (DaneLevelTests); without one they cannot be.
        var dane = ProbeEvaluator.Evaluate(Established(false), Input("dane-only"));
        Assert.Equal(ProbeVerdict.CouldNotEvaluate, dane.Verdict);
        Assert.Equal(FindingStatus.NotEvaluated, dane.Find("dane.no-input")?.Status);
    }

    [Fact]
    public async Task SslStream_floor_extension_checks_the_negotiated_pair()
    {
        using var pki = new TestPki();
        using var leaf = pki.IssueLeaf(["localhost"], [new SanEntry(SanKind.Dns, "localhost")]);
        using var listener = new DisposableListener();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var serverTask = Task.Run(async () =>
        {
            using var c = await listener.Listener.AcceptTcpClientAsync(deadline.Token);
            await using var s = new SslStream(c.GetStream());
            await s.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = SslStreamCertificateContext.Create(leaf, [pki.Ca], offline: true) }, deadline.Token);
            await s.ReadExactlyAsync(new byte[1], deadline.Token);
        });

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, listener.Port, deadline.Token);
        await using var client = new SslStream(tcp.GetStream());
        Assert.Throws<InvalidOperationException>(() => client.CheckNegotiatedTls(TlsFloor.Partner2026));
        await client.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = SslProtocols.Tls13, RemoteCertificateValidationCallback = static (_, _, _, _) => true },
            deadline.Token);

        var partner = client.CheckNegotiatedTls(TlsFloor.Partner2026);
        Assert.Equal(TlsProtocol.Tls13, partner.Protocol);
        Assert.Equal((ushort)client.NegotiatedCipherSuite, partner.Suite);
        Assert.True(partner.IsAcceptable);

        // The 2019 document allows exactly TLS 1.2 (R-T4): the same session fails closed there.
        var doc2019 = client.CheckNegotiatedTls(TlsFloor.Document2019);
        Assert.False(doc2019.IsAcceptable);
        Assert.Equal(TlsFloorFailures.ProtocolNotAllowed, doc2019.Verdict.Failures);
        Assert.Throws<ArgumentNullException>(() => client.CheckNegotiatedTls(null!));

        await client.WriteAsync(new byte[] { 1 }, deadline.Token);
        await serverTask;
    }

    [Theory]
    [InlineData("127.0.0.1:465")] // SMTPS without --smtps (R-T1)
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:x")]
    [InlineData("[not-an-ip]:25")]
    [InlineData(":25")]
    public void Cli_unusable_target_exits_2(string target)
    {
        var (exit, _, err) = CliRunner.Run("probe", target, "--nexthop", "example.net");
        Assert.True(exit == 2, err);
    }

    [Theory]
    [InlineData("--level", "dane")]
    [InlineData("--level", "may", "--match", "nexthop")]
    [InlineData("--level", "bogus")]
    [InlineData("--format", "xml")]
    [InlineData("--profile", "nope")]
    [InlineData("--timeout", "0")]
    [InlineData("--policy", "/nonexistent/tls_policy")]
    public void Cli_unusable_options_exit_2(params string[] extra)
    {
        var (exit, _, err) = CliRunner.Run(["probe", "127.0.0.1:25", "--nexthop", "example.net", .. extra]);
        Assert.True(exit == 2, err);
        Assert.NotEmpty(err);
    }

    [Fact]
    public void Cli_target_parsing()
    {
        Assert.True(CertPolicy.Cli.Commands.ProbeCommand.TryParseTarget("[::1]:2525", false, out var h, out var p, out _));
        Assert.Equal(("::1", 2525), (h, p));
        Assert.True(CertPolicy.Cli.Commands.ProbeCommand.TryParseTarget("mx.example.net", true, out h, out p, out _));
        Assert.Equal(("mx.example.net", 465), (h, p));
        Assert.True(CertPolicy.Cli.Commands.ProbeCommand.TryParseTarget("2001:db8::1", false, out h, out p, out _));
        Assert.Equal(("2001:db8::1", 25), (h, p));
    }

    private sealed class DisposableListener : IDisposable
    {
        public DisposableListener()
        {
            Listener = new TcpListener(IPAddress.Loopback, 0);
            Listener.Start();
            Port = ((IPEndPoint)Listener.LocalEndpoint).Port;
        }

        public TcpListener Listener { get; }

        public int Port { get; }

        public void Dispose() => Listener.Stop();
    }
}
