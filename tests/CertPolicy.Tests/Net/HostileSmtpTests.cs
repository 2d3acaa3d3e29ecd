using System.Buffers.Binary;
using System.Net.Security;
using System.Text.Json;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Support;
using CertPolicy.Validation;
using Xunit.Abstractions;
using Session = CertPolicy.Tests.Net.HostileSmtpServer.Session;

namespace CertPolicy.Tests.Net;

/// <summary>Hostile-server tests measure process-wide allocations: nothing else may run beside them.</summary>
[CollectionDefinition(nameof(HostileSmtpCollection), DisableParallelization = true)]
public sealed class HostileSmtpCollection
{
}

/// <summary>
/// The probe against a malicious SMTP server (issue 14 item 3, <see cref="HostileSmtpServer"/>): endless and
/// 1 GB lines, a multi-line reply without end, a slow drip, plaintext injected after STARTTLS, a stalled
/// handshake, a close in the middle of the handshake and a huge certificate chain. Each case must end by a
/// limit of the probe (the test asserts which one, never the time taken), in bounded memory (bytes allocated
/// by the whole process while the probe runs, the hostile server included), and never with a pass: the
/// evaluation is not compliant or could not evaluate, and the CLI exits 1 or 3.
/// </summary>
[Collection(nameof(HostileSmtpCollection))]
public class HostileSmtpTests(ITestOutputHelper output)
{
    /// <summary>The memory bound of one probe against a hostile server (both connections of a permissive retry).</summary>
    private const long MaxAllocatedBytes = 16L << 20;

    private static readonly DateTimeOffset ValidationTime = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan Short = TimeSpan.FromSeconds(2);

    private static readonly Lazy<(TestPki Pki, SslStreamCertificateContext Context)> Tls = new(() =>
    {
        var pki = new TestPki();
        var leaf = pki.IssueLeaf(["localhost"], [new SanEntry(SanKind.Dns, "localhost")]);
        return (pki, SslStreamCertificateContext.Create(leaf, [pki.Ca], offline: true));
    });

    /// <summary>A hostile case: the server's behaviour, the probe's timeouts, and what must end it.</summary>
    private sealed record Case(
        Func<Session, Task> Behaviour,
        ProbeOutcome Outcome,
        string Reason,
        ProbeVerdict Verdict,
        int Exit,
        TimeSpan? Reply = null,
        TimeSpan? Handshake = null,
        TimeSpan? Session = null,
        double CliTimeout = 20);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // RFC 5321 4.5.3.1.5 (512-octet reply lines), lenient to 4096: SmtpReplyReader.MaxLineLength.
        ["endless banner line"] = new(
            async s => { await s.SendAsync("220 "); await s.SendFillerAsync(long.MaxValue); },
            ProbeOutcome.SmtpError, "reply line longer than 4096 bytes", ProbeVerdict.CouldNotEvaluate, 3),
        ["1 GB banner line"] = new(
            async s => { await s.SendAsync("220 "); await s.SendFillerAsync(HostileSmtpServer.OneGigabyte); await s.SendAsync("\r\n"); },
            ProbeOutcome.SmtpError, "reply line longer than 4096 bytes", ProbeVerdict.CouldNotEvaluate, 3),
        ["1 GB EHLO reply line"] = new(
            async s =>
            {
                await s.SendAsync("220 hostile.example ESMTP\r\n");
                await s.ExpectAsync("EHLO");
                await s.SendAsync("250-");
                await s.SendFillerAsync(HostileSmtpServer.OneGigabyte);
                await s.SendAsync("\r\n250 STARTTLS\r\n");
            },
            ProbeOutcome.SmtpError, "reply line longer than 4096 bytes", ProbeVerdict.CouldNotEvaluate, 3),
        ["1 GB STARTTLS reply line"] = new(
            async s => { await s.UpToStartTlsAsync(); await s.SendAsync("220 "); await s.SendFillerAsync(HostileSmtpServer.OneGigabyte); await s.SendAsync("\r\n"); },
            ProbeOutcome.SmtpError, "reply line longer than 4096 bytes", ProbeVerdict.CouldNotEvaluate, 3),

        // SmtpReplyReader.MaxReplyLines.
        ["multi-line banner without end"] = new(
            s => s.SendForeverAsync("220-hostile.example still greeting\r\n"),
            ProbeOutcome.SmtpError, "reply with more than 100 lines", ProbeVerdict.CouldNotEvaluate, 3),
        ["multi-line EHLO reply without end"] = new(
            async s => { await s.SendAsync("220 hostile.example ESMTP\r\n"); await s.ExpectAsync("EHLO"); await s.SendForeverAsync("250-STARTTLS\r\n"); },
            ProbeOutcome.SmtpError, "reply with more than 100 lines", ProbeVerdict.CouldNotEvaluate, 3),

        // The reply timeout covers the whole reply, not each read (unlike Postfix's default per-read timeout).
        ["banner dripped one byte a second"] = new(
            s => s.DripAsync("220 hostile.example ESMTP and a long greeting\r\n", TimeSpan.FromSeconds(1)),
            ProbeOutcome.Timeout, "timeout during banner", ProbeVerdict.CouldNotEvaluate, 3, Reply: Short, CliTimeout: 2),

        // The session deadline (SmtpProbeOptions.SessionTimeout) ends it while every step is inside its own timeout.
        ["drip inside the reply timeout ended by the session deadline"] = new(
            s => s.DripAsync("220 hostile.example ESMTP and a long greeting\r\n", TimeSpan.FromSeconds(1)),
            ProbeOutcome.Timeout, "session deadline of 2 s exceeded during banner", ProbeVerdict.CouldNotEvaluate, 3, Reply: TimeSpan.FromSeconds(60), Session: Short, CliTimeout: 2),

        // The handshake timeout.
        ["handshake that stalls"] = new(
            async s => { await s.UpToStartTlsAsync(); await s.SendAsync("220 2.0.0 Ready to start TLS\r\n"); _ = await s.ReadTlsRecordAsync(); await s.DrainUntilClosedAsync(); },
            ProbeOutcome.Timeout, "handshake with 127.0.0.1[127.0.0.1]", ProbeVerdict.CouldNotEvaluate, 3, Handshake: Short, CliTimeout: 2),

        // Half a ServerHello, then FIN: the handshake fails (R-T6 at secure), and so does the permissive retry.
        ["close in the middle of the handshake"] = new(
            async s =>
            {
                await s.UpToStartTlsAsync();
                await s.SendAsync("220 2.0.0 Ready to start TLS\r\n");
                var hello = HostileSmtpServer.RawTls.ServerHello(await s.ReadTlsRecordAsync());
                var header = new byte[] { 0x16, 3, 3, 0, 0 };
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(3), (ushort)hello.Length);
                await s.Stream.WriteAsync(header, s.Token);
                await s.Stream.WriteAsync(hello.AsMemory(0, hello.Length / 2), s.Token);
                s.Stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                await s.DrainUntilClosedAsync();
            },
            ProbeOutcome.HandshakeFailed, "Cannot start TLS: handshake failure", ProbeVerdict.NotCompliant, 1),

        // OpenSSL's client limit on the peer's certificate chain (SSL_CTX_set_max_cert_list, default 100 kB):
        // "excessive message size" as soon as the Certificate message's header announces more.
        ["huge certificate chain"] = new(
            HugeChainAsync,
            ProbeOutcome.HandshakeFailed, "excessive message size", ProbeVerdict.NotCompliant, 1),

        // CVE-2011-0411 class: the injected plaintext is dropped unread and reported (StartTlsInjection).
        ["plaintext injected after the STARTTLS reply"] = new(
            s => TlsSessionAsync(s, "220 go ahead\r\n250 injected\r\n"),
            ProbeOutcome.TlsEstablished, "220 go ahead", ProbeVerdict.NotCompliant, 1),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    private static SmtpProbeOptions Options(int port, Case c) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ConnectTimeout = Generous,
        ReplyTimeout = c.Reply ?? Generous,
        HandshakeTimeout = c.Handshake ?? Generous,
        SessionTimeout = c.Session ?? TimeSpan.FromMinutes(2),
    };

    private static ProbeEvaluationInput Input(string level) =>
        TlsPolicy.TryParse(level, out var p, out var error)
            ? new ProbeEvaluationInput { NextHop = "example.net", MxHost = "localhost", Policy = p!, ValidationTime = ValidationTime }
            : throw new InvalidOperationException(error.Message);

    /// <summary>Probes <paramref name="server"/> in process; returns the result and the bytes the whole process allocated meanwhile.</summary>
    private static async Task<(ProbeResult Probe, long Allocated)> ProbeAsync(HostileSmtpServer server, Case c)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var probe = await SmtpProbe.ProbeAsync(Options(server.Port, c));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        return (probe, allocated);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Hostile_server_is_stopped_by_its_limit_in_bounded_memory_and_never_passes(string name)
    {
        var c = Cases[name];
        await using var server = new HostileSmtpServer(c.Behaviour);
        var (probe, allocated) = await ProbeAsync(server, c);

        output.WriteLine($"{name}: {probe.Outcome}, {allocated} bytes allocated, server sent {server.BytesSent} bytes on {server.Connections} connection(s): {probe.Message}");
        Assert.True(probe.Outcome == c.Outcome, $"{name}: {probe.Outcome}: {probe.Message}");
        string all = probe.Message + " " + probe.StartTlsReply;
        Assert.True(all.Contains(c.Reason, StringComparison.Ordinal), $"{name}: expected the reason \"{c.Reason}\" in: {all}");
        Assert.True(allocated < MaxAllocatedBytes, $"{name}: {allocated} bytes allocated (bound {MaxAllocatedBytes}); the server sent {server.BytesSent}");

        foreach (string level in (string[])["secure", "encrypt"])
        {
            var report = ProbeEvaluator.Evaluate(probe, Input(level));
            Assert.True(report.Verdict == c.Verdict, $"{name} at {level}: {report.Verdict}: " + string.Join("; ", report.Findings.Select(f => $"{f.Code} {f.Status} {f.Message}")));
            Assert.NotEqual(ProbeVerdict.Compliant, report.Verdict);
        }

        // The CLI (in process: same code path, exit codes only 0-3) never says pass either.
        await using var again = new HostileSmtpServer(c.Behaviour);
        var (exit, stdout, stderr) = CliRunner.Run("probe", "127.0.0.1:" + again.Port, "--nexthop", "example.net", "--timeout", c.CliTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", "json");
        Assert.True(exit == c.Exit, $"{name}: exit {exit}: {stdout}{stderr}");
        Assert.NotEqual("pass", JsonDocument.Parse(stdout).RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Limits_stop_the_huge_inputs_long_before_their_end()
    {
        // What the server managed to hand to its socket is bounded by the kernel's buffers, not by the 1 GB it offers:
        // the probe stops reading at the line limit and closes.
        var c = Cases["1 GB banner line"];
        await using var server = new HostileSmtpServer(c.Behaviour);
        var (probe, _) = await ProbeAsync(server, c);
        Assert.Equal(ProbeOutcome.SmtpError, probe.Outcome);
        Assert.Equal(1, server.Connections);
        Assert.True(server.BytesSent < HostileSmtpServer.OneGigabyte / 8, $"server sent {server.BytesSent} bytes");
    }

    [Fact]
    public async Task Injected_plaintext_after_starttls_is_dropped_never_parsed_after_tls_and_reported()
    {
        const string Injected = "250 injected\r\n";
        await using var server = new HostileSmtpServer(s => TlsSessionAsync(s, "220 go ahead\r\n" + Injected));
        var probe = await SmtpProbe.ProbeAsync(Options(server.Port, Cases["plaintext injected after the STARTTLS reply"]));

        Assert.True(probe.Outcome == ProbeOutcome.TlsEstablished, probe.Message);
        Assert.Equal("220 go ahead", probe.StartTlsReply);
        Assert.Equal(Injected.Length, probe.PlaintextAfterStartTls);

        // The fake "250" would have been read as the answer to the EHLO sent over TLS; the real answer came instead.
        Assert.Equal("250-tls.hostile.example\n250 SIZE 1000", probe.EhloReplyAfterTls);

        // Level encrypt judges no certificate, so without the injection this session passes (the control below):
        // the injection alone makes it fail.
        var report = ProbeEvaluator.Evaluate(probe, Input("encrypt"));
        var finding = report.Find(StartTlsInjection.Code);
        Assert.NotNull(finding);
        Assert.Equal(("R-T1", FindingStatus.Failed), (finding.RuleId, finding.Status));
        Assert.Contains("14 bytes of plaintext after its reply to STARTTLS", finding.Message, StringComparison.Ordinal);
        Assert.Equal(ProbeVerdict.NotCompliant, report.Verdict);
    }

    [Fact]
    public async Task Control_the_same_tls_server_without_injection_passes_at_encrypt()
    {
        await using var server = new HostileSmtpServer(s => TlsSessionAsync(s, "220 go ahead\r\n"));
        var probe = await SmtpProbe.ProbeAsync(Options(server.Port, Cases["plaintext injected after the STARTTLS reply"]));
        Assert.True(probe.Outcome == ProbeOutcome.TlsEstablished, probe.Message);
        Assert.Equal(0, probe.PlaintextAfterStartTls);
        Assert.Equal("250-tls.hostile.example\n250 SIZE 1000", probe.EhloReplyAfterTls);
        var report = ProbeEvaluator.Evaluate(probe, Input("encrypt"));
        Assert.Null(report.Find(StartTlsInjection.Code));
        Assert.Equal(ProbeVerdict.Compliant, report.Verdict);
    }

    [Theory]
    [InlineData("endless banner line", 3)]
    [InlineData("banner dripped one byte a second", 3)]
    [InlineData("huge certificate chain", 1)]
    [InlineData("plaintext injected after the STARTTLS reply", 1)]
    public async Task Cli_out_of_process_exits_1_or_3(string name, int expected)
    {
        var c = Cases[name];
        await using var server = new HostileSmtpServer(c.Behaviour);
        string cli = Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll");
        var (exit, stdout, stderr) = await Task.Run(() => Tool.Run(
            Tool.DotnetHost(),
            [cli, "probe", "127.0.0.1:" + server.Port, "--nexthop", "example.net", "--timeout", c.CliTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", "json"],
            timeoutMs: 180_000));
        Assert.True(exit == expected, $"{name}: exit {exit}: {stdout}{stderr}");
        Assert.InRange(exit, 0, 3);
        using var doc = JsonDocument.Parse(stdout);
        Assert.NotEqual("pass", doc.RootElement.GetProperty("verdict").GetString());
        Assert.DoesNotMatch(@"System\.|Exception|class value", stdout + stderr);
    }

    /// <summary>
    /// A STARTTLS server that completes a real handshake (SslStream) after sending <paramref name="starttlsReply"/>
    /// in one write, then answers the EHLO over TLS and QUIT.
    /// </summary>
    private static async Task TlsSessionAsync(Session s, string starttlsReply)
    {
        await s.UpToStartTlsAsync();
        await s.SendAsync(starttlsReply);
        await using var tls = await s.AcceptTlsAsync(Tls.Value.Context);
        await s.ExpectAsync("EHLO", tls);
        await s.SendAsync("250-tls.hostile.example\r\n250 SIZE 1000\r\n", tls);
        await s.ExpectAsync("QUIT", tls);
        await s.SendAsync("221 2.0.0 Bye\r\n", tls);
    }

    /// <summary>
    /// A TLS 1.2 server whose Certificate message (RFC 5246 7.4.2) is as large as TLS 1.2 allows: 2^24-1 bytes
    /// announced, made of 1 MiB "certificates" (100 of them cannot fit: the length field caps the whole list at
    /// 16 MiB), streamed record by record (16 KiB each, RFC 5246 6.2.1) from one reused buffer for as long as the
    /// client reads.
    /// </summary>
    private static async Task HugeChainAsync(Session s)
    {
        await s.UpToStartTlsAsync();
        await s.SendAsync("220 2.0.0 Ready to start TLS\r\n");
        await s.WriteTlsRecordAsync(0x16, HostileSmtpServer.RawTls.ServerHello(await s.ReadTlsRecordAsync()));

        const int MessageLength = 0xFFFFFF;           // uint24 handshake length (RFC 5246 7.4)
        const int CertificateLength = 1 << 20;        // each "certificate": 1 MiB
        const long Total = 4L + MessageLength;        // handshake header + body
        var fragment = new byte[1 << 14];
        for (long offset = 0; offset < Total; offset += fragment.Length)
        {
            int n = (int)Math.Min(fragment.Length, Total - offset);
            for (int i = 0; i < n; i++)
            {
                fragment[i] = ByteAt(offset + i);
            }

            await s.WriteTlsRecordAsync(0x16, fragment.AsMemory(0, n));
        }

        await s.DrainUntilClosedAsync();

        static byte ByteAt(long at)
        {
            // [0x0B][uint24 length][uint24 list length] then entries of [uint24 1 MiB][1 MiB of 'x'].
            if (at < 4)
            {
                return at == 0 ? (byte)0x0B : (byte)(MessageLength >> (int)(8 * (3 - at)));
            }

            if (at < 7)
            {
                return (byte)((MessageLength - 3) >> (int)(8 * (6 - at)));
            }

            long within = (at - 7) % (3 + CertificateLength);
            return within < 3 ? (byte)(CertificateLength >> (int)(8 * (2 - within))) : (byte)'x';
        }
    }
}
