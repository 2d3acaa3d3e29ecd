using CertPolicy.MtaSts;
using CertPolicy.Service;
using CertPolicy.Tests.MtaSts;

namespace CertPolicy.Tests.Service;

/// <summary>
/// The MTA-STS cache of the policy service (RFC 8461 3.3) with a scripted fetch and a hand-moved clock: expiry at
/// max_age and at the cap, the TXT id check, the cached policy kept when a re-fetch fails, the bound on domains, one
/// fetch in flight. Counts fetches; asserts no durations (the clock is moved by hand).
/// </summary>
public class MtaStsPolicySourceTests
{
    private sealed class Clock : TimeProvider
    {
        internal DateTimeOffset Now { get; set; } = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    // A fetch whose outcome the test sets per domain; counts calls per domain.
    private sealed class Script
    {
        internal Dictionary<string, Func<MtaStsFetchResult>> Results { get; } = new(StringComparer.Ordinal);

        internal Dictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

        internal List<string> Txt { get; } = ["v=STSv1; id=1;"];

        internal TaskCompletionSource? Gate { get; set; }

        internal async Task<MtaStsFetchResult> FetchAsync(string domain, CancellationToken ct)
        {
            lock (Calls)
            {
                Calls[domain] = Calls.GetValueOrDefault(domain) + 1;
            }

            if (Gate is { } gate)
            {
                await gate.Task;
            }

            return Results[domain]();
        }

        internal Task<IReadOnlyList<string>> TxtAsync(string name, CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([.. Txt]);
    }

    private static MtaStsFetchResult Ok(string mode, long maxAge, string id)
    {
        var text = "version: STSv1\nmode: " + mode + "\nmx: mx.example.com\nmax_age: " + maxAge + "\n";
        Assert.True(MtaStsPolicy.TryParse(text, out var p, out var e), e.ToString());
        Assert.True(MtaStsRecord.TryParse("v=STSv1; id=" + id + ";", out var r, out e), e.ToString());
        return new MtaStsFetchResult(MtaStsFetchStatus.Ok, p, r, 200, "mode " + mode);
    }

    private static MtaStsFetchResult Failed() => new(MtaStsFetchStatus.HttpStatus, null, null, 404, "HTTP status 404");

    private static (MtaStsPolicySource Source, Script Script, Clock Clock, List<string> Log) Create(MtaStsSourceOptions? options = null)
    {
        var script = new Script();
        var clock = new Clock();
        var log = new List<string>();
        var source = new MtaStsPolicySource(options ?? new MtaStsSourceOptions { LookupBudget = TimeSpan.FromSeconds(30) }, script.FetchAsync, script.TxtAsync, clock, l =>
        {
            lock (log)
            {
                log.Add(l);
            }
        });
        return (source, script, clock, log);
    }

    [Fact]
    public async Task A_policy_is_fetched_once_and_served_from_the_cache_until_max_age()
    {
        var (source, script, clock, log) = Create();
        script.Results["example.com"] = () => Ok("enforce", 3600, "1");
        var first = await source.GetAsync("Example.COM"); // keys are matched ignoring ASCII case, as the table does
        Assert.Equal("fetched", first.Why);
        Assert.Equal(MtaStsMode.Enforce, first.Policy!.Mode);
        clock.Now += TimeSpan.FromMinutes(59);
        var second = await source.GetAsync("example.com");
        Assert.Equal("cached", second.Why);
        Assert.Same(first.Policy, second.Policy);
        Assert.Equal(1, script.Calls["example.com"]);
        Assert.Single(log, l => l.Contains("example.com: fetched", StringComparison.Ordinal));

        // max_age over: fetched again.
        clock.Now += TimeSpan.FromMinutes(2);
        Assert.Equal("fetched", (await source.GetAsync("example.com")).Why);
        Assert.Equal(2, script.Calls["example.com"]);
    }

    [Fact]
    public async Task The_cap_shortens_a_long_max_age()
    {
        var (source, script, clock, _) = Create(new MtaStsSourceOptions { LookupBudget = TimeSpan.FromSeconds(30), MaxAgeCap = TimeSpan.FromHours(2), RecheckInterval = TimeSpan.FromDays(30) });
        script.Results["example.com"] = () => Ok("enforce", 31_557_600, "1");
        await source.GetAsync("example.com");
        clock.Now += TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1);
        Assert.Equal("cached", (await source.GetAsync("example.com")).Why);
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal("fetched", (await source.GetAsync("example.com")).Why);
        Assert.Equal(2, script.Calls["example.com"]);
    }

    [Fact]
    public async Task A_new_txt_id_refetches_in_the_background_and_an_unchanged_one_does_not()
    {
        var (source, script, clock, _) = Create(new MtaStsSourceOptions { LookupBudget = TimeSpan.FromSeconds(30), RecheckInterval = TimeSpan.FromMinutes(10) });
        script.Results["example.com"] = () => Ok("testing", 86400, "1");
        await source.GetAsync("example.com");

        // Due for the id check, id unchanged: the cached policy, no fetch.
        clock.Now += TimeSpan.FromMinutes(11);
        Assert.Equal("cached", (await source.GetAsync("example.com")).Why);
        await WaitIdleAsync(source, "example.com");
        Assert.Equal(1, script.Calls["example.com"]);

        // New id: the cached policy answers this look-up; the new one is fetched meanwhile and serves the next.
        clock.Now += TimeSpan.FromMinutes(11);
        script.Txt[0] = "v=STSv1; id=2;";
        script.Results["example.com"] = () => Ok("enforce", 86400, "2");
        var during = await source.GetAsync("example.com");
        Assert.Equal(MtaStsMode.Testing, during.Policy!.Mode);
        await WaitIdleAsync(source, "example.com");
        Assert.Equal(2, script.Calls["example.com"]);
        Assert.Equal(MtaStsMode.Enforce, (await source.GetAsync("example.com")).Policy!.Mode);
    }

    [Fact]
    public async Task A_failed_refetch_keeps_the_unexpired_cached_policy_and_is_not_retried_at_once()
    {
        var (source, script, clock, log) = Create(new MtaStsSourceOptions { LookupBudget = TimeSpan.FromSeconds(30), RecheckInterval = TimeSpan.FromMinutes(10) });
        script.Results["example.com"] = () => Ok("enforce", 86400, "1");
        var cached = (await source.GetAsync("example.com")).Policy;
        clock.Now += TimeSpan.FromMinutes(11);
        script.Txt[0] = "v=STSv1; id=2;";
        script.Results["example.com"] = Failed;
        await source.GetAsync("example.com");
        await WaitIdleAsync(source, "example.com");
        Assert.Equal(2, script.Calls["example.com"]);
        Assert.Same(cached, (await source.GetAsync("example.com")).Policy);
        Assert.Contains(log, l => l.Contains("http-status", StringComparison.Ordinal) && l.Contains("cached policy (mode enforce) stays in force", StringComparison.Ordinal));
        Assert.Equal(MtaStsFetchStatus.HttpStatus, source.LastFailure("example.com")!.Status);
        Assert.Equal(2, script.Calls["example.com"]);
    }

    [Fact]
    public async Task A_failure_without_a_cached_policy_gives_none_and_waits_before_the_next_attempt()
    {
        var (source, script, clock, log) = Create();
        script.Results["example.com"] = Failed;
        Assert.Equal(new MtaStsLookup(null, "no-policy"), await source.GetAsync("example.com"));
        Assert.Equal(new MtaStsLookup(null, "no-policy"), await source.GetAsync("example.com"));
        Assert.Equal(1, script.Calls["example.com"]);
        Assert.Contains(log, l => l.Contains("answered from the table alone", StringComparison.Ordinal));
        clock.Now += source.Options.RetryAfterFailure;
        script.Results["example.com"] = () => Ok("enforce", 86400, "1");
        Assert.Equal("fetched", (await source.GetAsync("example.com")).Why);
        Assert.Equal(2, script.Calls["example.com"]);
    }

    [Fact]
    public async Task One_fetch_is_in_flight_per_domain_and_a_lookup_past_the_budget_gets_no_policy()
    {
        var (source, script, _, _) = Create(new MtaStsSourceOptions { LookupBudget = TimeSpan.Zero });
        script.Results["example.com"] = () => Ok("enforce", 86400, "1");
        script.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => source.GetAsync("example.com").AsTask()));
        Assert.All(answers, a => Assert.Equal(new MtaStsLookup(null, "pending"), a));
        script.Gate.SetResult();
        await WaitIdleAsync(source, "example.com");
        Assert.Equal(1, script.Calls["example.com"]);
        Assert.Equal(1, source.Fetches);
        Assert.Equal("cached", (await source.GetAsync("example.com")).Why);
    }

    [Fact]
    public async Task The_cache_holds_at_most_max_entries_and_drops_domains_without_a_policy_first()
    {
        var (source, script, _, _) = Create(new MtaStsSourceOptions { LookupBudget = TimeSpan.FromSeconds(30), MaxEntries = 3 });
        script.Results["a.example"] = () => Ok("enforce", 86400, "1");
        script.Results["b.example"] = Failed;
        script.Results["c.example"] = () => Ok("enforce", 86400, "1");
        script.Results["d.example"] = () => Ok("enforce", 86400, "1");
        foreach (var d in new[] { "a.example", "b.example", "c.example", "d.example" })
        {
            await source.GetAsync(d);
        }

        Assert.Equal(3, source.Count);
        Assert.Null(source.LastFailure("b.example")); // b (no policy) went first
        Assert.Equal("cached", (await source.GetAsync("a.example")).Why);
        Assert.Equal(1, script.Calls["a.example"]);
    }

    [Theory]
    [InlineData(".example.com")]
    [InlineData("[mx.example.com]")]
    [InlineData("[mx.example.com]:25")]
    [InlineData("example.com:587")]
    [InlineData("192.0.2.1")]
    [InlineData("localhost")]
    [InlineData("example.com.")]
    public async Task Keys_that_are_not_a_recipient_domain_get_no_policy_and_no_fetch(string key)
    {
        var (source, script, _, _) = Create();
        Assert.False(MtaStsPolicySource.AppliesTo(key));
        Assert.Equal(new MtaStsLookup(null, "not-a-domain"), await source.GetAsync(key));
        Assert.Empty(script.Calls);
    }

    [Fact]
    public async Task The_handler_merges_with_the_entry_smtp_would_reach_by_its_parent_walk_and_never_bypasses_it()
    {
        var (source, script, _, _) = Create();
        script.Results["sub.example.org"] = () => Ok("enforce", 86400, "1");
        script.Results["deep.strict.example.net"] = () => Ok("enforce", 86400, "1");
        script.Results["bad.example.org"] = () => Ok("enforce", 86400, "1");
        var table = CertPolicy.Policy.PolicyMap.Parse(".example.org may ciphers=high\n.strict.example.net secure match=.strict.example.net\nbad.example.org secure foo=bar\n").Map;
        var handler = new PolicyLookupHandler("tls_policy", table, mtaSts: source);

        // The parent entry ".example.org may" is what smtp(8) would use for sub.example.org: it is raised, not bypassed.
        Assert.Equal(new SocketmapReply(SocketmapStatus.Ok, "secure match=mx.example.com ciphers=high servername=hostname"), await handler.LookupAsync("tls_policy", "sub.example.org", CancellationToken.None));

        // A stricter parent entry: NOTFOUND for the full name, so smtp(8) goes on to ".strict.example.net" as without MTA-STS.
        Assert.Equal(SocketmapReply.NotFound, await handler.LookupAsync("tls_policy", "deep.strict.example.net", CancellationToken.None));
        Assert.Equal(new SocketmapReply(SocketmapStatus.Ok, "secure match=.strict.example.net"), await handler.LookupAsync("tls_policy", ".strict.example.net", CancellationToken.None));

        // An invalid entry stays TEMP (Postfix defers), and is not even looked up in MTA-STS.
        Assert.Equal(SocketmapStatus.Temp, (await handler.LookupAsync("tls_policy", "bad.example.org", CancellationToken.None)).Status);
        Assert.False(script.Calls.ContainsKey("bad.example.org"));

        // Another map name is refused as before.
        Assert.Equal(SocketmapStatus.Perm, (await handler.LookupAsync("other", "sub.example.org", CancellationToken.None)).Status);
    }

    // The background task clears its in-flight mark at its end; a look-up after that sees the outcome.
    private static async Task WaitIdleAsync(MtaStsPolicySource source, string domain)
    {
        for (int i = 0; i < 2000 && source.IsFetching(domain); i++)
        {
            await Task.Delay(5);
        }

        Assert.False(source.IsFetching(domain));
    }
}
