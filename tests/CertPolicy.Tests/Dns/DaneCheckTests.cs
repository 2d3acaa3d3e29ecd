using CertPolicy.Dane;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;
using CertPolicy.Dns;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Dns;

/// <summary>The DANE glue (issue 15 item 2): TLSA answers from the real nsd + unbound fixture, matched against chains.</summary>
[Collection(nameof(DnsZoneCollection))]
public class DaneCheckTests(DnsZoneFixture zones)
{
    private readonly DomainResolver _resolver = zones.NewResolver();

    private DaneMatcher Matcher => new(new ChainValidator(TestChains.Store(zones.Chain)));

    private async Task<DaneCheckResult> Check(string host, IReadOnlyList<byte[]> chain, string nextHop) =>
        DaneCheck.Evaluate(await _resolver.LookupTlsaAsync(host), chain, host, nextHop, TestChains.At, Matcher);

    private byte[][] Presented => [zones.Chain.Leaf, zones.Chain.Intermediate];

    [Fact]
    public async Task Dane_ee_record_in_a_signed_zone_matches_the_leaf()
    {
        var r = await Check("mx1.example.test", Presented, "example.test");
        Assert.Equal(DaneCheckStatus.Valid, r.Status);
        Assert.False(r.Defers);
        Assert.Equal(3, r.Match!.Matched!.Usage);
        Assert.Equal(0, r.Match.Depth);
        Assert.Contains(r.Findings, f => f.Code == "dane.valid");
    }

    [Fact]
    public async Task Dane_ta_record_in_a_signed_zone_matches_the_intermediate()
    {
        var r = await Check("mx2.example.test", Presented, "example.test");
        Assert.Equal(DaneCheckStatus.Valid, r.Status);
        Assert.Equal(2, r.Match!.Matched!.Usage);
        Assert.Equal(1, r.Match.Depth);
    }

    [Fact]
    public async Task A_secure_record_for_another_key_is_a_mismatch_and_postfix_defers()
    {
        var r = await Check("mx3.example.test", Presented, "example.test");
        Assert.Equal(DaneCheckStatus.Invalid, r.Status);
        Assert.True(r.Defers);
        Assert.Contains(r.Findings, f => f.Code == "dane.ee-mismatch");

        // The same record matches the chain it was made for.
        var ok = await Check("mx3.example.test", [zones.Other.Leaf, zones.Other.Intermediate], "example.test");
        Assert.Equal(DaneCheckStatus.Valid, ok.Status);
    }

    [Fact]
    public async Task An_insecure_tlsa_rrset_means_dane_does_not_apply_even_when_it_would_match()
    {
        var r = await Check("mx.insecure.test", Presented, "insecure.test");
        Assert.Equal(DaneCheckStatus.NotApplicable, r.Status);
        Assert.False(r.Defers);
        Assert.Null(r.Match);
        Assert.Equal("dane.tlsa-insecure", Assert.Single(r.Findings).Code);
    }

    [Fact]
    public async Task A_bogus_tlsa_rrset_is_a_dane_failure_and_postfix_defers()
    {
        var r = await Check("mx.bogus.test", Presented, "bogus.test");
        Assert.Equal(DaneCheckStatus.DnsFailure, r.Status);
        Assert.True(r.Defers);
        var f = Assert.Single(r.Findings);
        Assert.Equal("dane.dnssec-bogus", f.Code);
        Assert.Equal("R-D1", f.Rule);
    }

    [Fact]
    public async Task No_tlsa_records_means_dane_does_not_apply()
    {
        var r = await Check("implicit.example.test", Presented, "example.test");
        Assert.Equal(DaneCheckStatus.NotApplicable, r.Status);
        var f = Assert.Single(r.Findings);
        Assert.Equal("dane.no-tlsa", f.Code);
        Assert.Contains("authenticated denial", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_servfail_tlsa_lookup_is_a_dane_failure_too()
    {
        var r = await Check("mx.lame.test", Presented, "lame.test");
        Assert.Equal(DaneCheckStatus.DnsFailure, r.Status);
        Assert.Equal("dane.tlsa-lookup-failed", Assert.Single(r.Findings).Code);
    }

    [Fact]
    public async Task A_failed_tlsa_lookup_is_a_dane_failure()
    {
        var silent = new DomainResolver(new DomainResolverOptions { Server = zones.Silent, Timeout = TimeSpan.FromMilliseconds(200), Retries = 0 });
        var tlsa = await silent.LookupTlsaAsync("mx1.example.test").WaitAsync(TimeSpan.FromSeconds(30));
        var r = DaneCheck.Evaluate(tlsa, Presented, "mx1.example.test", "example.test", TestChains.At, Matcher);
        Assert.Equal(DaneCheckStatus.DnsFailure, r.Status);
        Assert.Equal("dane.tlsa-lookup-failed", Assert.Single(r.Findings).Code);
    }
}
