using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CertPolicy.Dns;
using CertPolicy.MtaSts;
using CertPolicy.Policy;
using CertPolicy.Service;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Policy;
using CertPolicy.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CertPolicy.Tests.Service;

/// <summary>
/// The policy servers of the merge domains <c>sts-*.example.test</c>: Kestrel HTTPS on 127.0.0.1 with a test CA, one
/// certificate naming every <c>mta-sts.sts-*.example.test</c>. Each domain's body (null: 404) and an optional gate (the
/// response waits for it) are set by the tests; every request is counted per domain.
/// </summary>
public sealed class MtaStsMergeServer : IAsyncLifetime
{
    internal const string Enforce = "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: *.example.test\nmax_age: 86400\n";
    internal const string Testing = "version: STSv1\nmode: testing\nmx: mx1.example.test\nmx: *.example.test\nmax_age: 86400\n";

    internal static readonly string[] Domains = ["sts-new", "sts-weak", "sts-strict", "sts-testing", "sts-fail", "sts-cached", "sts-cached2", "sts-slow"];

    private WebApplication? app;

    internal TestPki Pki { get; } = new("CN=CertPolicy MTA-STS Merge Test CA, O=CertPolicy Tests");

    internal IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    internal ConcurrentDictionary<string, string?> Bodies { get; } = new(StringComparer.Ordinal);

    internal ConcurrentDictionary<string, TaskCompletionSource> Gates { get; } = new(StringComparer.Ordinal);

    internal ConcurrentDictionary<string, int> Requests { get; } = new(StringComparer.Ordinal);

    private X509Certificate2? leaf;

    public async Task InitializeAsync()
    {
        foreach (var d in Domains)
        {
            Bodies[d] = d switch { "sts-testing" => Testing, "sts-fail" => null, _ => Enforce };
        }

        leaf = Pki.IssueLeaf(["mta-sts.sts-new.example.test"], [.. Domains.Select(d => new SanEntry(SanKind.Dns, "mta-sts." + d + ".example.test"))]);
        (app, Endpoint) = await LoopbackHttps.StartAsync(https => https.ServerCertificate = leaf, HandleAsync);
    }

    public async Task DisposeAsync()
    {
        foreach (var g in Gates.Values)
        {
            g.TrySetResult();
        }

        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        leaf?.Dispose();
        Pki.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        string host = context.Request.Host.Host;
        string domain = host.StartsWith("mta-sts.", StringComparison.Ordinal) ? host["mta-sts.".Length..].Split('.')[0] : host;
        Requests.AddOrUpdate(domain, 1, (_, n) => n + 1);
        if (Gates.TryGetValue(domain, out var gate))
        {
            await gate.Task.WaitAsync(context.RequestAborted);
        }

        if (context.Request.Path != "/.well-known/mta-sts.txt" || !Bodies.TryGetValue(domain, out var body) || body is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(body);
    }
}

/// <summary>
/// Issue 15 item 5, R-D2: <c>certpolicy serve --mta-sts</c> with REAL parts on loopback: the DNS fixture (nsd + unbound,
/// <c>_mta-sts</c> TXT records), Kestrel HTTPS for the policies, and REAL <c>postmap -q DOMAIN
/// socketmap:inet:127.0.0.1:PORT:tls_policy</c> showing the merged answers.
/// </summary>
[Collection(nameof(DnsZoneCollection))]
public partial class MtaStsMergeServiceTests(DnsZoneFixture dns, MtaStsMergeServer https) : IClassFixture<MtaStsMergeServer>
{
    private const string Served = "secure match=mx1.example.test:.example.test servername=hostname";

    private static (int Exit, string Out, string Err) Postmap(TempDir dir, int port, string key) =>
        Tool.Run(Tool.Require("postmap", "postfix"), ["-q", key, "socketmap:inet:127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + ":tls_policy"], env: PostmapDifferentialTests.MailConfig(dir), timeoutMs: 60_000) is var r
            ? (r.ExitCode, r.Stdout, r.Stderr) : default;

    [Fact(Timeout = 180_000)]
    public async Task The_cli_service_answers_postmap_with_the_stricter_of_table_and_mta_sts()
    {
        using var dir = new TempDir();
        string table = dir.File("tls_policy", """
            sts-weak.example.test     may ciphers=high protocols=>=TLSv1.2 exclude=3DES
            sts-strict.example.test   secure match=gw.partner.test
            sts-testing.example.test  encrypt
            sts-fail.example.test     may
            """);
        string roots = dir.File("roots.pem", https.Pki.CaPem);
        var stderr = new ConcurrentQueue<string>();
        using var process = StartServe(["--policy", table, "--mta-sts", "--dns", dns.Resolver.ToString(), "--mta-sts-connect", https.Endpoint.ToString(), "--mta-sts-roots", roots, "--mta-sts-wait", "30"], stderr, out var listening);
        try
        {
            var first = await Task.WhenAny(listening, Task.Delay(TimeSpan.FromSeconds(90)));
            Assert.True(first == listening, "no 'listening on' line within 90 s: " + string.Join('\n', stderr));
            int port = await listening;
            Assert.True(port > 0, "the service ended before listening: " + string.Join('\n', stderr));
            Assert.Contains(stderr, l => l.Contains("MTA-STS merged in (R-D2", StringComparison.Ordinal) && l.Contains(dns.Resolver.ToString(), StringComparison.Ordinal));

            await Task.Run(() =>
            {
                // No entry + enforce: the policy as a secure entry ("*.example.test" listed as ".example.test").
                var r = Postmap(dir, port, "sts-new.example.test");
                Assert.True(r.Exit == 0, r.Err + string.Join('\n', stderr));
                Assert.Equal(Served + "\n", r.Out);

                // Weak entry + enforce: upgraded, its ciphers, protocols and exclude kept.
                r = Postmap(dir, port, "sts-weak.example.test");
                Assert.Equal("secure match=mx1.example.test:.example.test ciphers=high protocols=>=TLSv1.2 exclude=3DES servername=hostname\n", r.Out);

                // Secure entry + enforce: the table wins.
                Assert.Equal("secure match=gw.partner.test\n", Postmap(dir, port, "sts-strict.example.test").Out);

                // Entry + testing: the table.
                Assert.Equal("encrypt\n", Postmap(dir, port, "sts-testing.example.test").Out);

                // Fetch failure (404), no cache: the table alone.
                Assert.Equal("may\n", Postmap(dir, port, "sts-fail.example.test").Out);

                // Keys MTA-STS does not apply to are the table's as before.
                r = Postmap(dir, port, "[sts-new.example.test]:25");
                Assert.Equal(1, r.Exit);
                Assert.Equal(string.Empty, r.Out);
            });

            // The decisions on stderr: one line each, the conflict of the secure entry named.
            Assert.Single(stderr, l => l.Contains("mta-sts.merge.from-mta-sts: sts-new.example.test", StringComparison.Ordinal) && l.Contains("one label", StringComparison.Ordinal));
            Assert.Single(stderr, l => l.Contains("mta-sts.merge.upgraded: sts-weak.example.test", StringComparison.Ordinal));
            Assert.Single(stderr, l => l.Contains("mta-sts.merge.table-stricter: sts-strict.example.test", StringComparison.Ordinal) && l.Contains("mta-sts.mx-not-covered", StringComparison.Ordinal) && l.Contains("gw.partner.test", StringComparison.Ordinal));
            Assert.Single(stderr, l => l.Contains("MTA-STS sts-fail.example.test: http-status", StringComparison.Ordinal) && l.Contains("table alone", StringComparison.Ordinal));
            Assert.DoesNotContain(stderr, l => l.Contains("sts-testing.example.test", StringComparison.Ordinal) && l.Contains("mta-sts.merge", StringComparison.Ordinal));
            Assert.DoesNotContain(stderr, l => CliRunner.Forbidden().IsMatch(l));

            // A second look-up is served from the cache: no second request at the policy server.
            await Task.Run(() => Assert.Equal(Served + "\n", Postmap(dir, port, "sts-new.example.test").Out));
            Assert.Equal(1, https.Requests["sts-new"]);
            Assert.Single(stderr, l => l.Contains("mta-sts.merge.from-mta-sts: sts-new.example.test", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // only the process this test started
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_failed_refetch_keeps_the_cached_policy()
    {
        // The TXT id changes (the look-up is pointed from _mta-sts.sts-cached, id 1, to _mta-sts.sts-cached2, id 2: both
        // real records) while the policy server answers 404: the cached policy stays in force (RFC 8461 3.3).
        bool moved = false;
        var inner = MtaStsPolicySource.TxtLookupOver(dns.NewResolver());
        Func<string, CancellationToken, Task<IReadOnlyList<string>>> txt = (name, ct) =>
            inner(Volatile.Read(ref moved) ? name.Replace("_mta-sts.sts-cached.", "_mta-sts.sts-cached2.", StringComparison.Ordinal) : name, ct);
        var (source, log) = Source(txt, new MtaStsSourceOptions { LookupBudget = TimeSpan.FromSeconds(30), RecheckInterval = TimeSpan.Zero });
        await using var server = new RunningServer(string.Empty, handler: new PolicyLookupHandler("tls_policy", PolicyMap.Parse("sts-cached.example.test encrypt\n").Map, mtaSts: source, log: log.Enqueue));
        using var dir = new TempDir();
        await Task.Run(() =>
        {
            Assert.Equal(Served + "\n", Postmap(dir, server.Port, "sts-cached.example.test").Out);
            Assert.Equal(1, https.Requests["sts-cached"]);
            Volatile.Write(ref moved, true);
            https.Bodies["sts-cached"] = null;

            // This look-up starts the id check in the background and is answered from the cache.
            Assert.Equal(Served + "\n", Postmap(dir, server.Port, "sts-cached.example.test").Out);
        });
        await WaitIdleAsync(source, "sts-cached.example.test");
        Assert.Equal(2, https.Requests["sts-cached"]);
        await Task.Run(() => Assert.Equal(Served + "\n", Postmap(dir, server.Port, "sts-cached.example.test").Out));
        Assert.Contains(log, l => l.Contains("MTA-STS sts-cached.example.test: http-status", StringComparison.Ordinal) && l.Contains("stays in force", StringComparison.Ordinal));
        Assert.Equal(2, https.Requests["sts-cached"]); // the failure is not retried at once
    }

    [Fact(Timeout = 120_000)]
    public async Task One_fetch_is_in_flight_per_domain_while_lookups_are_answered_from_the_table()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(https.Gates.TryAdd("sts-slow", gate));
        var (source, log) = Source(MtaStsPolicySource.TxtLookupOver(dns.NewResolver()), new MtaStsSourceOptions { LookupBudget = TimeSpan.Zero });
        await using var server = new RunningServer(string.Empty, handler: new PolicyLookupHandler("tls_policy", PolicyMap.Parse("sts-slow.example.test may\n").Map, mtaSts: source, log: log.Enqueue));
        using var dir = new TempDir();

        // 8 postmap clients at once, twice: the fetch is held at the server, every look-up gets the table's answer.
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Postmap(dir, server.Port, "sts-slow.example.test"))));
        Assert.All(answers, a => Assert.Equal("may\n", a.Out));
        Assert.True(source.IsFetching("sts-slow.example.test"));

        gate.SetResult();
        await WaitIdleAsync(source, "sts-slow.example.test");
        Assert.Equal(1, https.Requests["sts-slow"]);
        Assert.Equal(1, source.Fetches);
        await Task.Run(() => Assert.Equal(Served + "\n", Postmap(dir, server.Port, "sts-slow.example.test").Out));
        Assert.Equal(1, https.Requests["sts-slow"]);
    }

    private (MtaStsPolicySource Source, ConcurrentQueue<string> Log) Source(Func<string, CancellationToken, Task<IReadOnlyList<string>>> txt, MtaStsSourceOptions options)
    {
        var log = new ConcurrentQueue<string>();
        var fetchOptions = new MtaStsFetchOptions { TxtLookup = txt, Endpoint = https.Endpoint, CustomRoots = new X509Certificate2Collection(https.Pki.Ca), Timeout = TimeSpan.FromSeconds(60) };
        return (new MtaStsPolicySource(options, (d, ct) => MtaStsFetcher.FetchAsync(d, fetchOptions, ct), txt, log: log.Enqueue), log);
    }

    private static async Task WaitIdleAsync(MtaStsPolicySource source, string domain)
    {
        for (int i = 0; i < 6000 && source.IsFetching(domain); i++)
        {
            await Task.Delay(10);
        }

        Assert.False(source.IsFetching(domain), domain + ": the fetch did not end");
    }

    // The CLI built with the tests as a child process (as ServeCliTests does), default signal actions.
    private static Process StartServe(string[] args, ConcurrentQueue<string> stderr, out Task<int> listening)
    {
        var psi = new ProcessStartInfo(Tool.Require("env", "coreutils")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--default-signal=INT,TERM", Tool.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll"), "serve", "--socketmap", "127.0.0.1:0", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetResult(-1);
                return;
            }

            stderr.Enqueue(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m)
            {
                ready.TrySetResult(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        };
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        listening = ready.Task;
        return process;
    }

    [GeneratedRegex(@"^listening on 127\.0\.0\.1:(\d+)$")]
    private static partial Regex Listening();
}
