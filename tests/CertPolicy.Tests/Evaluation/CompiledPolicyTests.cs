using CertPolicy.Evaluation;
using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Tests.Validation;
using CertPolicy.Tls;
using CertPolicy.Validation;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests.Evaluation;

/// <summary>
/// The per-connection hot path (<see cref="CompiledPolicy"/>): zero allocation on a cache hit, the
/// same verdict as the cold path (direct validation, no cache) also after evictions and expiry, and
/// correct verdicts under two threads with a small cache.
/// </summary>
public class CompiledPolicyTests
{
    private const ushort EcdheRsaAes256Gcm = 0xC030; // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, HIGH
    private const ushort Rc4Md5 = 0x0004;            // TLS_RSA_WITH_RC4_128_MD5 (R-T3)

    private static readonly Lazy<Corpus> Shared = new(() => new Corpus());

    /// <summary>Twelve chains under one test root: compliant and not, for different names and reasons.</summary>
    private sealed class Corpus
    {
        internal Corpus()
        {
            ChainSpec[] specs =
            [
                new(),
                new() { LeafDns = ["mx1.example.com"] },
                new() { LeafDns = ["mx2.example.com"], LeafKey = "rsa2048" },
                new() { LeafDns = ["*.example.com"] },
                new() { LeafDns = ["mail.other.test"] },
                new() { LeafPolicies = [TestOids.Dv] },
                new() { LeafName = "CN=mail.example.com" },
                new() { LeafKey = "rsa1024" },
                new() { LeafNotAfter = new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero) },
                new() { LeafNotBefore = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero) },
                new() { RootKeyIndex = 1 },
                new() { IntermediateIsCa = false },
            ];
            Chains = [.. specs.Select(TestChains.Create)];
            Store = TestChains.Store(Chains[0]);
            Validator = new ChainValidator(Store);
            Map = PolicyMap.Parse("example.com secure match=.example.com ciphers=high\n[mx1.example.com]:587 verify\nopportunistic.test may\nbroken.test secure bogus=1\nencrypt.test encrypt\nstrict.test secure match=.example.com protocols=>=TLSv1.3\necdsa.test secure match=.example.com ciphers=high exclude=aRSA\n", "t").Map;
        }

        internal TestChain[] Chains { get; }

        internal CertPolicy.Trust.TrustStore Store { get; }

        internal ChainValidator Validator { get; }

        internal PolicyMap Map { get; }
    }

    private static CompiledPolicy Compile(int cacheSize) => new([Shared.Value.Map], Shared.Value.Validator, new CompiledPolicyOptions { CacheSize = cacheSize });

    /// <summary>The cold path: the same checks without any cache, straight from the engine, the name checker and the floor.</summary>
    private static ConnectionVerdict Cold(string nextHop, string mx, TestChain chain, TlsProtocol protocol, ushort suite, DateTimeOffset now)
    {
        var c = Shared.Value;
        var entry = c.Map.Lookup(nextHop).Entry;
        var level = entry?.Policy?.Level ?? SecurityLevel.May;
        if (entry is { IsValid: false })
        {
            return Make(ConnectionFailures.PolicyInvalid, VerdictReasons.None, TlsFloorFailures.None, CertPolicy.Trust.AssuranceLevel.None);
        }

        if (level <= SecurityLevel.May)
        {
            return default;
        }

        var tls = TlsFloor.Check(protocol, suite, TlsFloor.Partner2026).Failures;
        Assert.True(TlsFloor.TryForPolicy(entry?.Policy ?? TlsPolicyOf("may"), out var entryFloor, out _));
        if (entryFloor is not null)
        {
            tls |= TlsFloor.Check(protocol, suite, entryFloor).Failures;
        }

        var failures = tls == TlsFloorFailures.None ? ConnectionFailures.None : ConnectionFailures.TlsFloor;
        if (level == SecurityLevel.Encrypt)
        {
            return Make(failures, VerdictReasons.None, tls, CertPolicy.Trust.AssuranceLevel.None);
        }

        var report = c.Validator.ExplainChain(chain.Presented, ValidationProfile.Partner2026, now);
        var reasons = report.Verdict.Reasons;
        if (reasons != VerdictReasons.None)
        {
            failures |= ConnectionFailures.Chain;
        }

        var list = MatchList.For(entry!.Policy!, out _)!;
        if (!NameChecker.Check(chain.Leaf, list, CompiledPolicy.DomainOf(nextHop), mx).IsMatch)
        {
            failures |= ConnectionFailures.NameMismatch;
        }

        return Make(failures, reasons, tls, report.Verdict.Assurance);
    }

    private static TlsPolicy TlsPolicyOf(string value)
    {
        Assert.True(TlsPolicy.TryParse(value, out var p, out var e), e.Message);
        return p!;
    }

    [Fact]
    public void A_policy_entrys_own_protocols_and_ciphers_tighten_the_floor()
    {
        var p = Compile(64);
        var c = Shared.Value.Chains;
        var at = TestChains.At;

        // protocols=>=TLSv1.3: a TLS 1.2 session that the profile accepts is refused for this next hop only.
        Assert.True(p.Evaluate("example.com", "", c[0].Presented, TlsProtocol.Tls12, EcdheRsaAes256Gcm, at).IsCompliant);
        var v12 = p.Evaluate("strict.test", "", c[0].Presented, TlsProtocol.Tls12, EcdheRsaAes256Gcm, at);
        Assert.Equal(ConnectionFailures.TlsFloor, v12.Failures);
        Assert.Equal(TlsFloorFailures.ProtocolTooOld, v12.TlsFailures);
        Assert.True(p.Evaluate("strict.test", "", c[0].Presented, TlsProtocol.Tls13, 0x1302, at).IsCompliant);

        // ciphers=high exclude=aRSA: RSA-authenticated suites are out, ECDSA ones in.
        Assert.Equal(TlsFloorFailures.NotInGrade, p.Evaluate("ecdsa.test", "", c[0].Presented, TlsProtocol.Tls12, EcdheRsaAes256Gcm, at).TlsFailures);
        Assert.True(p.Evaluate("ecdsa.test", "", c[0].Presented, TlsProtocol.Tls12, 0xC02C, at).IsCompliant); // ECDHE-ECDSA-AES256-GCM-SHA384

        // The entry cannot loosen the profile: RC4 stays refused even where an entry allows every protocol.
        Assert.True((p.Evaluate("ecdsa.test", "", c[0].Presented, TlsProtocol.Tls12, Rc4Md5, at).TlsFailures & TlsFloorFailures.Rc4) != 0);
    }

    [Fact]
    public void An_entry_whose_ciphers_cannot_be_evaluated_fails_closed()
    {
        var map = PolicyMap.Parse("bad.test secure match=.example.com exclude=!!!\n", "t").Map;
        var entry = Assert.Single(map.Entries);

        // The parser keeps it (Postfix's table syntax says nothing about cipher strings): the hot path must
        // refuse it rather than ignore the attribute.
        var policy = Assert.IsType<TlsPolicy>(entry.Policy);
        Assert.False(TlsFloor.TryForPolicy(policy, out _, out var error));
        Assert.NotNull(error);
        var p = new CompiledPolicy([map], Shared.Value.Validator);
        Assert.Equal(ConnectionFailures.PolicyInvalid, p.Evaluate("bad.test", "", Shared.Value.Chains[0].Presented, TlsProtocol.Tls13, 0x1302, TestChains.At).Failures);
    }

    private static ConnectionVerdict Make(ConnectionFailures f, VerdictReasons r, TlsFloorFailures t, CertPolicy.Trust.AssuranceLevel a)
    {
        // ConnectionVerdict's constructor is internal; equality ignores FromCache.
        var ctor = typeof(ConnectionVerdict).GetConstructors(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)[0];
        return (ConnectionVerdict)ctor.Invoke([f, r, t, a, false]);
    }

    [Fact]
    public void A_compliant_connection_passes_and_each_failure_is_named()
    {
        var p = Compile(64);
        var c = Shared.Value.Chains;
        var at = TestChains.At;
        var ok = p.Evaluate("example.com", "mail.example.com", c[0].Presented, TlsProtocol.Tls12, EcdheRsaAes256Gcm, at);
        Assert.True(ok.IsCompliant, ok.ToString());
        Assert.Equal(CertPolicy.Trust.AssuranceLevel.Ov, ok.Assurance);

        Assert.Equal(ConnectionFailures.TlsFloor, p.Evaluate("example.com", "", c[0].Presented, TlsProtocol.Tls12, Rc4Md5, at).Failures);
        Assert.Equal(ConnectionFailures.NameMismatch, p.Evaluate("example.com", "", c[4].Presented, TlsProtocol.Tls13, 0x1302, at).Failures);
        Assert.Equal(ConnectionFailures.Chain, p.Evaluate("example.com", "", c[5].Presented, TlsProtocol.Tls13, 0x1302, at).Failures);
        Assert.Equal(ConnectionFailures.PolicyInvalid, p.Evaluate("broken.test", "", c[0].Presented, TlsProtocol.Tls13, 0x1302, at).Failures);
        Assert.True(p.Evaluate("opportunistic.test", "", c[4].Presented, TlsProtocol.Tls10, Rc4Md5, at).IsCompliant);
        Assert.Equal(ConnectionFailures.TlsFloor, p.Evaluate("encrypt.test", "", c[4].Presented, TlsProtocol.Tls10, EcdheRsaAes256Gcm, at).Failures);
        Assert.Equal(ConnectionFailures.NoCertificate, p.Evaluate("example.com", "", [], TlsProtocol.Tls13, 0x1302, at).Failures);

        // [mx1.example.com]:587 verify: the hostname strategy uses the MX name.
        Assert.True(p.Evaluate("[mx1.example.com]:587", "mx1.example.com", c[1].Presented, TlsProtocol.Tls13, 0x1302, at).IsCompliant);
        Assert.Equal(ConnectionFailures.NameMismatch, p.Evaluate("[mx1.example.com]:587", "mx9.example.com", c[1].Presented, TlsProtocol.Tls13, 0x1302, at).Failures);
    }

    [Fact]
    public void ExplainChain_is_Explain_without_the_name_check()
    {
        var c = Shared.Value;
        var otherName = c.Chains[4]; // compliant chain for mail.other.test
        var full = c.Validator.Explain(otherName.Presented, TestChains.Request());
        Assert.Equal(VerdictReasons.NameMismatch, full.Verdict.Reasons);
        var chainOnly = c.Validator.ExplainChain(otherName.Presented, ValidationProfile.Partner2026, TestChains.At);
        Assert.True(chainOnly.Verdict.IsCompliant);
        Assert.Empty(chainOnly.Findings);
        Assert.Null(chainOnly.MatchedName);

        var dv = c.Validator.ExplainChain(c.Chains[5].Presented, ValidationProfile.Partner2026, TestChains.At);
        Assert.Equal(VerdictReasons.DomainValidated, dv.Verdict.Reasons & VerdictReasons.DomainValidated);
        Assert.DoesNotContain(dv.Findings, f => f.Rule == "R-C2");
    }

    [Fact]
    public void A_cache_hit_allocates_nothing_over_10000_evaluations()
    {
        var p = Compile(64);
        var chain = Shared.Value.Chains[0].Presented;
        var at = TestChains.At;
        var first = p.Evaluate("example.com", "mail.example.com", chain, TlsProtocol.Tls13, 0x1302, at);
        Assert.False(first.FromCache);
        var second = p.Evaluate("example.com", "mail.example.com", chain, TlsProtocol.Tls13, 0x1302, at);
        Assert.True(second.FromCache);

        // The fewest bytes of three rounds: the runtime itself may allocate once on this thread under load (24 bytes seen
        // once in a CI run: tiering or a timer), which is not the hot path's; an allocation per evaluation shows in
        // every round (at least 10,000 x its size).
        long allocated = long.MaxValue;
        for (int round = 0; round < 3 && allocated != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int compliant = 0;
            for (int i = 0; i < 10_000; i++)
            {
                compliant += p.Evaluate("example.com", "mail.example.com", chain, TlsProtocol.Tls13, 0x1302, at.AddSeconds(i)).IsCompliant ? 1 : 0;
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(10_000, compliant);
        }

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_cached_verdict_is_never_served_past_the_chain_expiry_or_before_it_became_valid()
    {
        var p = Compile(64);
        var c = Shared.Value.Chains;
        var expiring = c[8].Presented; // leaf notAfter 2026-07-01
        Assert.True(p.Evaluate("example.com", "", expiring, TlsProtocol.Tls13, 0x1302, TestChains.At).IsCompliant);
        Assert.True(p.Evaluate("example.com", "", expiring, TlsProtocol.Tls13, 0x1302, TestChains.At.AddDays(1)).FromCache);
        var late = p.Evaluate("example.com", "", expiring, TlsProtocol.Tls13, 0x1302, new DateTimeOffset(2026, 7, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.False(late.FromCache);
        Assert.Equal(ConnectionFailures.Chain, late.Failures);
        Assert.True((late.ChainReasons & VerdictReasons.Expired) != 0);

        var future = c[9].Presented; // leaf notBefore 2026-09-01
        Assert.Equal(ConnectionFailures.Chain, p.Evaluate("example.com", "", future, TlsProtocol.Tls13, 0x1302, TestChains.At).Failures);
        var valid = p.Evaluate("example.com", "", future, TlsProtocol.Tls13, 0x1302, new DateTimeOffset(2026, 9, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.False(valid.FromCache);
        Assert.True(valid.IsCompliant, valid.ToString());
    }

    [Fact]
    public void Hot_and_cold_paths_agree_also_after_eviction_and_expiry()
    {
        var c = Shared.Value.Chains;
        string[] hops = ["example.com", "[mx1.example.com]:587", "encrypt.test", "opportunistic.test", "broken.test", "other.test", "strict.test", "ecdsa.test"];
        string[] mxs = ["mail.example.com", "mx1.example.com", "mx2.example.com", ""];
        (TlsProtocol, ushort)[] tls = [(TlsProtocol.Tls13, 0x1302), (TlsProtocol.Tls12, EcdheRsaAes256Gcm), (TlsProtocol.Tls12, Rc4Md5), (TlsProtocol.Tls10, EcdheRsaAes256Gcm)];
        var step = from chain in Gen.Choose(0, c.Length - 1)
                   from hop in Gen.Elements(hops)
                   from mx in Gen.Elements(mxs)
                   from t in Gen.Elements(tls)
                   from days in Gen.Choose(-200, 400)
                   select (chain, hop, mx, t, days);
        var config = Config.QuickThrowOnFailure.WithMaxTest(60).WithReplay(20261128UL, 11UL);
        Prop.ForAll(Gen.ArrayOf(step, 12).ToArbitrary(), steps =>
        {
            var p = Compile(2); // two slots: most steps evict
            foreach (var (chain, hop, mx, (protocol, suite), days) in steps)
            {
                var now = TestChains.At.AddDays(days);
                var hot = p.Evaluate(hop, mx, c[chain].Presented, protocol, suite, now);
                var again = p.Evaluate(hop, mx, c[chain].Presented, protocol, suite, now);
                var cold = Cold(hop, mx, c[chain], protocol, suite, now);
                Assert.True(cold == hot, $"chain {chain} {hop} {mx} {protocol} 0x{suite:X4} {now:O}: hot {hot}, cold {cold}");
                Assert.Equal(cold, again);
            }
        }).Check(config);
    }

    [Fact]
    public void Two_threads_one_million_evaluations_with_a_small_cache_give_only_correct_verdicts()
    {
        var c = Shared.Value.Chains;
        var at = TestChains.At;
        var expected = c.Select(ch => Cold("example.com", "mail.example.com", ch, TlsProtocol.Tls13, 0x1302, at)).ToArray();
        Assert.Contains(expected, v => v.IsCompliant);
        Assert.Contains(expected, v => !v.IsCompliant);
        var p = Compile(8); // 12 chains, 8 slots: evictions and collisions happen

        int wrong = 0, total = 0;
        void Run(int seed)
        {
            var rng = new Random(seed);
            int bad = 0;
            for (int i = 0; i < 500_000; i++)
            {
                // 99 % from six hot chains, 1 % from all twelve (forcing misses and evictions).
                int k = rng.Next(100) == 0 ? rng.Next(c.Length) : rng.Next(6);
                var v = p.Evaluate("example.com", "mail.example.com", c[k].Presented, TlsProtocol.Tls13, 0x1302, at);
                if (v != expected[k])
                {
                    bad++;
                }
            }

            Interlocked.Add(ref wrong, bad);
            Interlocked.Add(ref total, 500_000);
        }

        var t1 = new Thread(() => Run(1));
        var t2 = new Thread(() => Run(2));
        t1.Start();
        t2.Start();
        Assert.True(t1.Join(TimeSpan.FromMinutes(5)) && t2.Join(TimeSpan.FromMinutes(5)), "load test did not finish");
        Assert.Equal(1_000_000, total);
        Assert.Equal(0, wrong);
    }

    [Theory]
    [InlineData("audi.de", "none", ConnectionFailures.PartnerLevelTooWeak, "R-T8")]
    [InlineData("mail.audi.de", "may", ConnectionFailures.PartnerLevelTooWeak, "R-T6")]
    [InlineData("AUDI.HU.", "encrypt", ConnectionFailures.PartnerLevelTooWeak, "R-T6")]
    [InlineData("notaudi.de", "none", ConnectionFailures.None, null)]
    [InlineData("audi.de.example", "may", ConnectionFailures.None, null)]
    public void A_mandatory_TLS_partner_needs_a_verifying_level(string nextHop, string level, ConnectionFailures expected, string? rule)
    {
        // R-T6, R-T8: whatever the server offers, a partner's level that does not verify fails; other domains stay opportunistic.
        var map = PolicyMap.Parse(nextHop.TrimEnd('.') + " " + level + "\n").Map;
        var p = new CompiledPolicy([map], Shared.Value.Validator, new CompiledPolicyOptions { MandatoryTlsPartners = ["audi.de", ".audi.hu"] });
        var chain = Shared.Value.Chains[0].Presented;
        Assert.Equal(expected, p.Evaluate(nextHop, "", chain, TlsProtocol.Tls13, 0x1302, TestChains.At).Failures);
        var report = p.Explain(nextHop, null, chain, null, TestChains.At);
        Assert.Equal(expected, report.Verdict.Failures);
        Assert.Equal(rule, report.Findings.FirstOrDefault(f => f.Code == CompiledPolicy.PartnerLevelCode)?.Rule);
    }
}
