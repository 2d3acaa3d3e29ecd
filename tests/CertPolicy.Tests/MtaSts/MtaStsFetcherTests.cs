using CertPolicy.Tests.Support;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Names;
using CertPolicy.MtaSts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CertPolicy.Tests.MtaSts;

/// <summary>
/// A real HTTPS server on 127.0.0.1 (Kestrel in the test process) with a test CA; the behaviour depends on the
/// host name asked for (SNI and Host header <c>mta-sts.SCENARIO.example</c>).
/// </summary>
public sealed class MtaStsServerFixture : IAsyncLifetime
{
    internal const string Policy = "version: STSv1\r\nmode: enforce\r\nmx: mail.ok.example\r\nmx: *.ok.example\r\nmax_age: 604800\r\n";

    /// <summary>Scenarios the certificate names (mta-sts.NAME.example); "unlisted" is on purpose not among them.</summary>
    internal static readonly string[] Scenarios =
        ["ok", "redirect301", "redirect302", "notfound", "html", "notype", "large", "chunked", "stall", "stallheaders", "badpolicy", "latin1", "lying"];

    private WebApplication? app;

    internal TestPki Pki { get; } = new("CN=CertPolicy MTA-STS Test CA, O=CertPolicy Tests");

    internal TestPki OtherPki { get; } = new("CN=CertPolicy Untrusted Test CA, O=CertPolicy Tests");

    internal IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>A raw TLS server for what Kestrel refuses to send (a Content-Length that lies beside chunked framing).</summary>
    internal IPEndPoint RawEndpoint { get; private set; } = new(IPAddress.Loopback, 0);

    internal X509Certificate2? Leaf { get; private set; }

    private TcpListener? raw;
    private readonly CancellationTokenSource stop = new();

    public async Task InitializeAsync()
    {
        Leaf = Pki.IssueLeaf(["mta-sts.ok.example"], [.. Scenarios.Select(s => new SanEntry(SanKind.Dns, "mta-sts." + s + ".example"))]);
        (app, Endpoint) = await LoopbackHttps.StartAsync(https => https.ServerCertificate = Leaf, HandleAsync);

        raw = new TcpListener(IPAddress.Loopback, 0);
        raw.Start();
        RawEndpoint = (IPEndPoint)raw.LocalEndpoint;
        _ = Task.Run(() => RawLoopAsync(raw, stop.Token));
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        raw?.Stop();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Leaf?.Dispose();
        Pki.Dispose();
        OtherPki.Dispose();
        stop.Dispose();
    }

    private static async Task HandleAsync(HttpContext context)
    {
        string host = context.Request.Host.Host;
        string scenario = host.StartsWith("mta-sts.", StringComparison.Ordinal) ? host["mta-sts.".Length..].Split('.')[0] : host;
        var response = context.Response;
        if (context.Request.Path != "/.well-known/mta-sts.txt")
        {
            response.StatusCode = 400;
            return;
        }

        switch (scenario)
        {
            case "ok":
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(Policy);
                break;
            case "redirect301":
            case "redirect302":
                response.StatusCode = scenario.EndsWith("301", StringComparison.Ordinal) ? 301 : 302;
                response.Headers.Location = "https://mta-sts.ok.example/.well-known/mta-sts.txt";
                break;
            case "notfound":
                response.StatusCode = 404;
                break;
            case "html":
                response.ContentType = "text/html";
                await response.WriteAsync(Policy);
                break;
            case "notype":
                await response.Body.WriteAsync(Encoding.ASCII.GetBytes(Policy));
                break;
            case "large":
                response.ContentType = "text/plain";
                response.ContentLength = 200_000;
                await response.Body.WriteAsync(new byte[200_000]);
                break;
            case "chunked":
                response.ContentType = "text/plain";
                var chunk = Encoding.ASCII.GetBytes(Policy);
                for (int i = 0; i < 4000 && !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await response.Body.WriteAsync(chunk, context.RequestAborted);
                }

                break;
            case "stall":
                response.ContentType = "text/plain";
                await response.WriteAsync("version: STSv1\n");
                await response.Body.FlushAsync();
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            case "stallheaders":
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            case "badpolicy":
                response.ContentType = "text/plain";
                await response.WriteAsync("version: STSv1\nmode: sometimes\nmx: mail.badpolicy.example\nmax_age: 1\n");
                break;
            case "latin1":
                response.ContentType = "text/plain";
                await response.Body.WriteAsync(Encoding.Latin1.GetBytes("version: STSv1\nmode: enforce\nnote: gr\u00fc\u00dfe\nmx: a.example\nmax_age: 1\n"));
                break;
            default:
                response.StatusCode = 500;
                break;
        }
    }

    // Answers every request with a chunked body of 100 KB that also declares "Content-Length: 10".
    private async Task RawLoopAsync(TcpListener listener, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await using var tls = new SslStream(client.GetStream());
                        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Leaf }, token);
                        var buffer = new byte[4096];
                        var request = new StringBuilder();
                        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            int n = await tls.ReadAsync(buffer, token);
                            if (n == 0)
                            {
                                return;
                            }

                            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                        }

                        var head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                        await tls.WriteAsync(Encoding.ASCII.GetBytes(head), token);
                        var line = Encoding.ASCII.GetBytes(new string('a', 1000));
                        var chunkHead = Encoding.ASCII.GetBytes("3E8\r\n");
                        for (int i = 0; i < 100; i++)
                        {
                            await tls.WriteAsync(chunkHead, token);
                            await tls.WriteAsync(line, token);
                            await tls.WriteAsync("\r\n"u8.ToArray(), token);
                        }

                        await tls.WriteAsync("0\r\n\r\n"u8.ToArray(), token);
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
                    {
                        // The client may close early (it stops at the body limit).
                    }
                }
            }, token);
        }
    }
}

/// <summary>
/// <see cref="MtaStsFetcher"/> against real HTTPS on 127.0.0.1 (RFC 8461 3.3): certificate checks, redirects, status,
/// media type, body limit, time limit.
/// </summary>
public class MtaStsFetcherTests(MtaStsServerFixture server) : IClassFixture<MtaStsServerFixture>
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(2);

    private MtaStsFetchOptions Options(TimeSpan? timeout = null, bool trustTestCa = true, IPEndPoint? endpoint = null, int? maxBody = null,
        Func<string, CancellationToken, Task<IReadOnlyList<string>>>? txt = null) => new()
        {
            Endpoint = endpoint ?? server.Endpoint,
            CustomRoots = trustTestCa ? new X509Certificate2Collection(server.Pki.Ca) : new X509Certificate2Collection(server.OtherPki.Ca),
            Timeout = timeout ?? TimeSpan.FromSeconds(20),
            MaxBodyBytes = maxBody ?? MtaStsPolicy.MaxBodyBytes,
            TxtLookup = txt,
        };

    [Fact]
    public async Task A_valid_enforce_policy_is_fetched()
    {
        var r = await MtaStsFetcher.FetchAsync("ok.example", Options());
        Assert.True(r.IsOk, r.Code + ": " + r.Message);
        Assert.Equal("ok", r.Code);
        Assert.Equal(200, r.HttpStatusCode);
        Assert.Equal(MtaStsMode.Enforce, r.Policy!.Mode);
        Assert.Equal(new[] { "mail.ok.example", "*.ok.example" }, r.Policy.Mx.ToArray());
        Assert.Equal(604800, r.Policy.MaxAge);
        Assert.Null(r.Record);
    }

    [Fact]
    public async Task The_txt_record_is_checked_first_when_a_lookup_is_given()
    {
        string? asked = null;
        var ok = await MtaStsFetcher.FetchAsync("ok.example.", Options(txt: (name, _) =>
        {
            asked = name;
            return Task.FromResult<IReadOnlyList<string>>(["v=spf1 -all", "v=STSv1; id=20261205"]);
        }));
        Assert.True(ok.IsOk, ok.Message);
        Assert.Equal("_mta-sts.ok.example", asked);
        Assert.Equal("20261205", ok.Record!.Id);

        var none = await MtaStsFetcher.FetchAsync("ok.example", Options(txt: (_, _) => Task.FromResult<IReadOnlyList<string>>([])));
        Assert.Equal(MtaStsFetchStatus.DnsNoRecord, none.Status);
        Assert.Equal("dns-no-record", none.Code);

        var two = await MtaStsFetcher.FetchAsync("ok.example", Options(txt: (_, _) => Task.FromResult<IReadOnlyList<string>>(["v=STSv1; id=1", "v=STSv1; id=2"])));
        Assert.Equal(MtaStsFetchStatus.DnsNoRecord, two.Status);
        Assert.Contains("exactly one", two.Message, StringComparison.Ordinal);

        var failing = await MtaStsFetcher.FetchAsync("ok.example", Options(txt: (_, _) => throw new InvalidOperationException("SERVFAIL")));
        Assert.Equal(MtaStsFetchStatus.DnsNoRecord, failing.Status);
        Assert.Contains("SERVFAIL", failing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_an_untrusted_ca_fails()
    {
        var r = await MtaStsFetcher.FetchAsync("ok.example", Options(trustTestCa: false));
        Assert.Equal(MtaStsFetchStatus.TlsCertificate, r.Status);
        Assert.Equal("tls-certificate", r.Code);
        Assert.Contains("chain", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_system_store_is_the_default_and_does_not_trust_the_test_ca()
    {
        var r = await MtaStsFetcher.FetchAsync("ok.example", new MtaStsFetchOptions { Endpoint = server.Endpoint, Timeout = TimeSpan.FromSeconds(20) });
        Assert.Equal(MtaStsFetchStatus.TlsCertificate, r.Status);
    }

    [Fact]
    public async Task A_certificate_for_another_host_name_fails()
    {
        var r = await MtaStsFetcher.FetchAsync("unlisted.example", Options());
        Assert.Equal(MtaStsFetchStatus.TlsCertificate, r.Status);
        Assert.Contains("does not name mta-sts.unlisted.example", r.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redirect301", 301)]
    [InlineData("redirect302", 302)]
    public async Task Redirects_are_refused(string scenario, int status)
    {
        var r = await MtaStsFetcher.FetchAsync(scenario + ".example", Options());
        Assert.Equal(MtaStsFetchStatus.Redirect, r.Status);
        Assert.Equal(status, r.HttpStatusCode);
        Assert.Contains("redirect", r.Message, StringComparison.Ordinal);
        Assert.Contains("refused (RFC 8461 3.3)", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_404_is_an_http_status_failure()
    {
        var r = await MtaStsFetcher.FetchAsync("notfound.example", Options());
        Assert.Equal(MtaStsFetchStatus.HttpStatus, r.Status);
        Assert.Equal(404, r.HttpStatusCode);
        Assert.Equal("http-status", r.Code);
    }

    [Theory]
    [InlineData("html", "\"text/html\"")]
    [InlineData("notype", "missing")]
    public async Task Only_text_plain_is_accepted(string scenario, string said)
    {
        var r = await MtaStsFetcher.FetchAsync(scenario + ".example", Options());
        Assert.Equal(MtaStsFetchStatus.ContentType, r.Status);
        Assert.Contains(said, r.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("large", "Content-Length")]
    [InlineData("chunked", "larger than the limit")]
    public async Task A_body_above_the_limit_is_too_large(string scenario, string said)
    {
        var r = await MtaStsFetcher.FetchAsync(scenario + ".example", Options());
        Assert.Equal(MtaStsFetchStatus.TooLarge, r.Status);
        Assert.Equal("too-large", r.Code);
        Assert.Contains(said, r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_small_content_length_beside_a_large_chunked_body_is_not_trusted()
    {
        var r = await MtaStsFetcher.FetchAsync("lying.example", Options(endpoint: server.RawEndpoint));
        Assert.Equal(MtaStsFetchStatus.TooLarge, r.Status);
    }

    [Fact]
    public async Task The_body_limit_is_configurable()
    {
        var r = await MtaStsFetcher.FetchAsync("ok.example", Options(maxBody: 20));
        Assert.Equal(MtaStsFetchStatus.TooLarge, r.Status);
    }

    [Theory]
    [InlineData("stall")]
    [InlineData("stallheaders")]
    public async Task A_stalling_server_times_out_within_the_bound(string scenario)
    {
        var clock = Stopwatch.StartNew();
        var r = await MtaStsFetcher.FetchAsync(scenario + ".example", Options(timeout: Short));
        clock.Stop();
        Assert.Equal(MtaStsFetchStatus.Timeout, r.Status);
        Assert.Equal("timeout", r.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "took " + clock.Elapsed);
    }

    [Theory]
    [InlineData("badpolicy", "2:7:")]
    [InlineData("latin1", "UTF-8")]
    public async Task An_invalid_body_is_a_parse_error(string scenario, string said)
    {
        var r = await MtaStsFetcher.FetchAsync(scenario + ".example", Options());
        Assert.Equal(MtaStsFetchStatus.ParseError, r.Status);
        Assert.Contains(said, r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_is_a_network_failure()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closed = (IPEndPoint)probe.LocalEndpoint;
        probe.Stop();
        var r = await MtaStsFetcher.FetchAsync("ok.example", Options(endpoint: closed));
        Assert.Equal(MtaStsFetchStatus.Network, r.Status);
    }

    [Fact]
    public async Task Caller_mistakes_throw_and_caller_cancellation_is_not_a_timeout()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => MtaStsFetcher.FetchAsync("*.example", Options()));
        await Assert.ThrowsAsync<ArgumentException>(() => MtaStsFetcher.FetchAsync("a b.example", Options()));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MtaStsFetcher.FetchAsync("stallheaders.example", Options(), cts.Token));
    }

    [Fact]
    public void Failures_become_r_d2_findings()
    {
        foreach (MtaStsFetchStatus status in Enum.GetValues<MtaStsFetchStatus>())
        {
            var f = MtaStsComparison.FetchFinding(new MtaStsFetchResult(status, null, null, 0, "x"));
            Assert.Equal("R-D2", f.Rule);
            Assert.Equal(status == MtaStsFetchStatus.Ok ? "mta-sts.fetched" : "mta-sts." + MtaStsFetchResult.CodeOf(status), f.Code);
        }
    }
}
