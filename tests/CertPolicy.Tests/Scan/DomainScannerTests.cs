using System.Net;
using CertPolicy.Dns;
using CertPolicy.Scan;

namespace CertPolicy.Tests.Scan;

/// <summary>
/// The acceptance list of issue 15 item 4: real DNS (nsd + validating unbound), real Postfix gateways and a real HTTPS
/// MTA-STS server (<see cref="ScanFixture"/>), one case per test domain with its expected domain verdict and findings.
/// </summary>
[Collection(nameof(ScanCollection))]
public sealed class DomainScannerTests(ScanFixture fixture)
{
    /// <summary>Domain, expected verdict, the codes that must fail (exactly these, domain and gateways together), and
    /// codes that must be present with another status (code=status).</summary>
    public static TheoryData<string, string, string[], string[]> Cases() => new()
    {
        // All MX compliant: two MX hosts, both good; no TLSA, no MTA-STS.
        { "allok.scan.test", "Compliant", [], ["scan.mx=Info", "dane.no-tlsa=Info", "mta-sts.dns-no-record=Info", "tls-rpt.none=Info"] },

        // One MX of two presents a certificate for another name (R-C2).
        { "onebad.scan.test", "NotCompliant", ["name.mismatch"], [] },

        // No STARTTLS at level secure (R-T1, R-T6).
        { "nostarttls.scan.test", "NotCompliant", ["tls-not-offered"], [] },

        // DANE-EE(3) SPKI SHA2-256 of the leaf: valid; of another key: mismatch (R-D1).
        { "dane3ok.scan.test", "Compliant", [], ["dane.valid=Pass"] },
        { "dane3bad.scan.test", "NotCompliant", ["dane.ee-mismatch", "dane.invalid"], [] },

        // DANE-TA(2) full certificate SHA2-256 of the CA the gateway sends: valid; of another CA: mismatch.
        { "dane2ok.scan.test", "Compliant", [], ["dane.valid=Pass"] },
        { "dane2bad.scan.test", "NotCompliant", ["dane.ta-mismatch", "dane.invalid"], [] },

        // DNSSEC bogus MX RRset: a validating sender cannot deliver (R-D1).
        { "bogusmx.test", "NotCompliant", ["scan.mx-dnssec-bogus"], [] },

        // MTA-STS enforce with a matching MX, and with an MX the mx pattern does not cover (R-D2, RFC 8461 4.1).
        { "stsok.scan.test", "Compliant", [], ["mta-sts.fetched=Pass", "mta-sts.enforce=Info", "tls-rpt.record=Info"] },
        { "stsmx.scan.test", "NotCompliant", ["mta-sts.mx-not-covered"], ["mta-sts.fetched=Pass"] },

        // MTA-STS policy fetch failures (RFC 8461 3.3): untrusted certificate, body over 64 KB, redirect.
        { "stscert.scan.test", "NotCompliant", ["mta-sts.tls-certificate"], [] },
        { "stsbig.scan.test", "NotCompliant", ["mta-sts.too-large"], [] },
        { "stsredir.scan.test", "NotCompliant", ["mta-sts.redirect"], [] },

        // Unsigned zone: a (mismatching) TLSA record is ignored, DANE does not apply (RFC 7672 2.2.1).
        { "plain.test", "Compliant", [], ["dane.mx-insecure=Info"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Domain_verdict_and_findings(string domain, string verdict, string[] failed, string[] present)
    {
        var all = await fixture.ScanAll();
        var d = all.Single(r => r.Domain == domain);
        string why = Describe(d);
        Assert.True(d.Verdict.ToString() == verdict, why);
        var failedCodes = AllFindings(d).Where(f => f.Status == ScanFindingStatus.Fail).Select(f => f.Code).Distinct().Order(StringComparer.Ordinal);
        Assert.True(failedCodes.SequenceEqual(failed.Order(StringComparer.Ordinal)), "failed codes " + string.Join(", ", failedCodes) + "\n" + why);
        foreach (var p in present)
        {
            var (code, status) = (p[..p.IndexOf('=', StringComparison.Ordinal)], Enum.Parse<ScanFindingStatus>(p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..]));
            Assert.True(AllFindings(d).Any(f => f.Code == code && f.Status == status), code + "=" + status + " missing\n" + why);
        }

        // Every finding has a code, a rule id and a message without .NET names; a verdict matches its findings.
        foreach (var f in AllFindings(d))
        {
            Assert.Matches("^[a-z0-9]+([.-][a-z0-9]+)*$", f.Code);
            Assert.Matches("^R-[A-Z]+[0-9]+$", f.Rule);
            Assert.DoesNotMatch(@"System\.|Exception|class value", f.Message);
        }
    }

    [Fact]
    public async Task All_MX_hosts_and_addresses_in_order_with_the_MX_name_as_the_checked_name()
    {
        var all = await fixture.ScanAll();
        Assert.Equal(ScanFixture.Domains, all.Select(r => r.Domain)); // input order
        var allok = all.Single(r => r.Domain == "allok.scan.test");
        Assert.Equal(["mx1.allok.scan.test", "mx2.allok.scan.test"], allok.Gateways.Select(g => g.MxHost));
        Assert.Equal([10, 20], allok.Gateways.Select(g => g.Preference));
        Assert.All(allok.Gateways, g => Assert.Equal(IPAddress.Parse(ScanFixture.Good), g.Address));
        Assert.All(allok.Gateways, g => Assert.Equal(ScanVerdict.Compliant, g.Verdict));

        // One MX bad: the gateway verdicts say which one.
        var onebad = all.Single(r => r.Domain == "onebad.scan.test");
        Assert.Equal([ScanVerdict.Compliant, ScanVerdict.NotCompliant], onebad.Gateways.Select(g => g.Verdict));
        Assert.Equal(IPAddress.Parse(ScanFixture.WrongName), onebad.Gateways[1].Address);

        // DANE statuses beside the partner verdict.
        Assert.Equal(DaneCheckStatus.Valid, all.Single(r => r.Domain == "dane3ok.scan.test").Gateways[0].Dane?.Status);
        Assert.Equal(DaneCheckStatus.Invalid, all.Single(r => r.Domain == "dane2bad.scan.test").Gateways[0].Dane?.Status);
        Assert.Null(all.Single(r => r.Domain == "plain.test").Gateways[0].Dane);
    }

    [Fact]
    public async Task Dane_ee_self_signed_is_dane_valid_and_still_breaks_R_C7()
    {
        var all = await fixture.ScanAll();
        var d = all.Single(r => r.Domain == "ssdane.scan.test");
        string why = Describe(d);
        Assert.True(d.Verdict == ScanVerdict.NotCompliant, why);
        var g = Assert.Single(d.Gateways);
        Assert.Equal(DaneCheckStatus.Valid, g.Dane?.Status);
        Assert.Contains(g.Findings, f => f.Code == "dane.valid" && f.Status == ScanFindingStatus.Pass);
        Assert.Contains(g.Findings, f => f.Code == "dane.ee-self-signed" && f.Rule == "R-C7" && f.Status == ScanFindingStatus.Warn);

        // The partner rules fail on the chain (R-C7 territory), not on DANE.
        Assert.Contains(g.Findings, f => f.Status == ScanFindingStatus.Fail && f.Rule.StartsWith("R-C", StringComparison.Ordinal));
        Assert.DoesNotContain(g.Findings, f => f.Status == ScanFindingStatus.Fail && f.Code.StartsWith("dane.", StringComparison.Ordinal));
    }

    /// <summary>
    /// A domain whose entry is at level dane or dane-only is evaluated with the TLSA answer the scan looked up (R-D1,
    /// DaneLevel; the fixture's profile is postfix-secure, which predicts Postfix): a match authenticates, a mismatch
    /// defers, an unsigned zone (insecure MX: no TLSA look-up, RFC 7672 2.2.1) makes dane opportunistic and defers dane-only.
    /// </summary>
    [Theory]
    [InlineData("dane3ok.scan.test", "dane-only", "Compliant", "dane.authenticated")]
    [InlineData("dane2ok.scan.test", "dane", "Compliant", "dane.authenticated")]
    [InlineData("dane3bad.scan.test", "dane", "NotCompliant", "dane.ee-mismatch")]
    [InlineData("dane2bad.scan.test", "dane-only", "NotCompliant", "dane.ta-mismatch")]
    [InlineData("plain.test", "dane", "Compliant", "dane.no-tlsa")]
    [InlineData("plain.test", "dane-only", "NotCompliant", "dane.no-tlsa")]
    public async Task The_dane_levels_are_evaluated_with_the_scanned_tlsa_answer(string domain, string level, string verdict, string code)
    {
        Assert.True(CertPolicy.Policy.TlsPolicy.TryParse(level, out var policy, out var error), error.Message);
        var results = await fixture.Scanner(2).ScanAsync([new DomainRequest(domain, policy, "test entry " + level)]);
        var d = Assert.Single(results);
        string why = Describe(d);
        Assert.True(d.Verdict.ToString() == verdict, why);
        Assert.Contains(AllFindings(d), f => f.Code == code);
        Assert.DoesNotContain(AllFindings(d), f => f.Code is "dane.no-input" or "level-not-modelled");

        // The scan's own DANE lines are not repeated next to the evaluation's at these levels.
        foreach (var g in d.Gateways)
        {
            var codes = g.Findings.Select(f => f.Code + "/" + f.Status).ToList();
            Assert.True(codes.Count == codes.Distinct().Count(), "a finding is reported twice\n" + why);
        }
    }

    [Fact]
    public async Task Parallel_one_gives_the_same_verdicts_as_parallel_eight()
    {
        string[] some = ["allok.scan.test", "onebad.scan.test", "dane3bad.scan.test", "stsmx.scan.test"];
        var serial = await fixture.Scanner(1).ScanAsync([.. some.Select(d => new DomainRequest(d))]);
        var all = await fixture.ScanAll();
        Assert.Equal(some, serial.Select(r => r.Domain));
        foreach (var r in serial)
        {
            Assert.Equal(all.Single(a => a.Domain == r.Domain).Verdict, r.Verdict);
        }
    }

    [Fact]
    public async Task Parallel_bounds_the_simultaneous_probes_across_domains()
    {
        // 4 domains x 3 MX hosts on one address whose server holds every connection until 3 are open (or 5 s pass):
        // with --parallel 3 the most connections open at once is exactly 3, never more.
        const int Parallel = 3;
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Parse(ScanFixture.Busy), fixture.SmtpPort);
        listener.Start();
        int current = 0, max = 0, sessions = 0;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            var open = new List<Task>();
            while (!stop.IsCancellationRequested)
            {
                System.Net.Sockets.TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                open.Add(Task.Run(async () =>
                {
                    using (client)
                    {
                        int now = Interlocked.Increment(ref current);
                        Interlocked.Increment(ref sessions);
                        InterlockedMax(ref max, now);
                        for (int i = 0; i < 500 && Volatile.Read(ref current) < Parallel && Volatile.Read(ref max) < Parallel; i++)
                        {
                            await Task.Delay(10);
                        }

                        await Task.Delay(50); // a little overlap: without the bound, more connections would be open now
                        await client.GetStream().WriteAsync("554 5.3.2 busy\r\n"u8.ToArray());
                        Interlocked.Decrement(ref current);
                    }
                }));
            }

            await Task.WhenAll(open);
        });

        string[] busy = ["busy1.scan.test", "busy2.scan.test", "busy3.scan.test", "busy4.scan.test"];
        var results = await fixture.Scanner(Parallel).ScanAsync([.. busy.Select(d => new DomainRequest(d))]);
        await stop.CancelAsync();
        listener.Stop();
        await server;

        Assert.Equal(busy, results.Select(r => r.Domain));
        Assert.All(results, r => Assert.Equal(3, r.Gateways.Count));
        Assert.True(sessions >= 12, "sessions " + sessions); // every gateway probed (a refused session may be retried)
        Assert.Equal(Parallel, max);

        static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    [Fact]
    public async Task Dns_failure_of_the_MX_look_up_is_could_not_evaluate()
    {
        // A resolver port that never answers: the MX look-up times out.
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var resolver = new DomainResolver(new DomainResolverOptions { Server = (IPEndPoint)silent.Client.LocalEndPoint!, Timeout = TimeSpan.FromMilliseconds(300), Retries = 0 });
        var scanner = fixture.Scanner(1, resolver);
        var r = Assert.Single(await scanner.ScanAsync([new DomainRequest("allok.scan.test")]));
        Assert.Equal(ScanVerdict.CouldNotEvaluate, r.Verdict);
        Assert.Contains(r.Findings, f => f.Code == "scan.mx-lookup-failed" && f.Status == ScanFindingStatus.NotEvaluated);
        Assert.Empty(r.Gateways);
    }

    internal static IEnumerable<ScanFinding> AllFindings(DomainResult d) => d.Findings.Concat(d.Gateways.SelectMany(g => g.Findings));

    internal static string Describe(DomainResult d) =>
        d.Domain + ": " + d.Verdict + "\n" + string.Join("\n", d.Findings.Select(f => "  " + f))
        + "\n" + string.Join("\n", d.Gateways.Select(g => "  " + g.MxHost + " [" + g.Address + "] " + g.Verdict + "\n" + string.Join("\n", g.Findings.Select(f => "    " + f))));
}
