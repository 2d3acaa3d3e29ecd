using CertPolicy.Dane;
using CertPolicy.Dns;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Dns;

/// <summary>
/// RFC 7672 2.2.3, the TLSA base domain of a CNAME'd MX host, against the real nsd + unbound fixture: a secure expansion
/// is asked first and the original name after it when the expansion has no TLSA records; an insecure expansion is never
/// used. drill (ldnsutils) is the oracle for what the zone holds.
/// </summary>
[Collection(nameof(DnsZoneCollection))]
public class TlsaBaseDomainTests(DnsZoneFixture zones)
{
    private readonly DomainResolver _resolver = zones.NewResolver();

    private byte[][] Presented => [zones.Chain.Leaf, zones.Chain.Intermediate];

    private DaneMatcher Matcher => new(new ChainValidator(TestChains.Store(zones.Chain)));

    [Fact]
    public async Task A_secure_alias_uses_the_expanded_name_first()
    {
        // The oracle: alias is a CNAME to mx1 with AD, and the alias itself has no TLSA records.
        Assert.Contains("mx1.example.test.", zones.DrillQuery("A", "alias.example.test"), StringComparison.Ordinal);
        Assert.Contains("NXDOMAIN", zones.DrillQuery("TLSA", "_25._tcp.alias.example.test"), StringComparison.Ordinal);

        var t = await _resolver.LookupTlsaForHostAsync("alias.example.test");
        Assert.True(t.Expanded);
        Assert.Equal(("mx1.example.test", "alias.example.test", "_25._tcp.mx1.example.test"), (t.BaseDomain, t.HostName, t.TlsaName));
        Assert.Equal(zones.LeafSpkiSha256, Convert.ToHexString(Assert.Single(t.Answer.Records).Data));
        Assert.Contains("RFC 7672 2.2.3", t.Why, StringComparison.Ordinal);

        var r = DaneCheck.Evaluate(t, [.. Presented.Select(b => new ReadOnlyMemory<byte>(b))], "example.test", TestChains.At, Matcher);
        Assert.Equal(DaneCheckStatus.Valid, r.Status);
        Assert.Equal("_25._tcp.mx1.example.test", r.TlsaName);
        Assert.Equal("mx1.example.test", r.TlsaBaseDomain);
        Assert.Equal("dane.tlsa-base-domain", r.Findings[0].Code);

        var input = DaneCheck.ToInput(t);
        Assert.Equal((TlsaLookupState.Records, true, "mx1.example.test"), (input.State, input.Secure, input.TlsaBaseDomain));
    }

    [Fact]
    public async Task A_secure_alias_without_records_at_the_expansion_falls_back_to_the_original_name()
    {
        Assert.Contains("mx4.example.test.", zones.DrillQuery("A", "alias2.example.test"), StringComparison.Ordinal);
        Assert.Contains("NXDOMAIN", zones.DrillQuery("TLSA", "_25._tcp.mx4.example.test"), StringComparison.Ordinal);

        var t = await _resolver.LookupTlsaForHostAsync("alias2.example.test");
        Assert.False(t.Expanded);
        Assert.Equal(("alias2.example.test", "_25._tcp.alias2.example.test"), (t.BaseDomain, t.TlsaName));
        Assert.Equal(zones.OtherSpkiSha256, Convert.ToHexString(Assert.Single(t.Answer.Records).Data));
        Assert.True(t.Answer.IsSecure);
        Assert.Contains("has no TLSA records", t.Why, StringComparison.Ordinal);
        Assert.Null(DaneCheck.ToInput(t).TlsaBaseDomain);
    }

    [Fact]
    public async Task An_insecure_expansion_is_never_the_base_domain()
    {
        // alias3 (signed zone) -> mx.insecure.test (unsigned): the expansion has no AD; mx.insecure.test has TLSA records of
        // another key than alias3's, so the answer shows which name was asked.
        Assert.DoesNotContain(" ad", zones.DrillQuery("A", "alias3.example.test").Split('\n').First(l => l.Contains("flags", StringComparison.Ordinal)), StringComparison.Ordinal);

        var t = await _resolver.LookupTlsaForHostAsync("alias3.example.test");
        Assert.False(t.Expanded);
        Assert.Equal(("alias3.example.test", "_25._tcp.alias3.example.test"), (t.BaseDomain, t.TlsaName));
        Assert.Equal(zones.OtherSpkiSha256, Convert.ToHexString(Assert.Single(t.Answer.Records).Data));
        Assert.Contains("not DNSSEC-validated", t.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_is_no_alias_is_asked_at_its_own_name_and_the_input_keeps_the_dns_state()
    {
        var t = await _resolver.LookupTlsaForHostAsync("mx1.example.test");
        Assert.Equal(("mx1.example.test", false, (string?)null), (t.BaseDomain, t.Expanded, t.Why));

        // The core's input from each DNS state (what CompiledPolicy's DANE levels see).
        var insecure = DaneCheck.ToInput(await _resolver.LookupTlsaAsync("mx.insecure.test"));
        Assert.Equal((TlsaLookupState.Records, false), (insecure.State, insecure.Secure));
        var bogus = DaneCheck.ToInput(await _resolver.LookupTlsaAsync("mx.bogus.test"));
        Assert.Equal((TlsaLookupState.Failed, true), (bogus.State, bogus.Bogus));
        Assert.Contains("bogus", bogus.Failure, StringComparison.Ordinal);
        var none = DaneCheck.ToInput(await _resolver.LookupTlsaAsync("implicit.example.test"));
        Assert.Equal((TlsaLookupState.NoRecords, true), (none.State, none.Secure));
        var lame = DaneCheck.ToInput(await _resolver.LookupTlsaAsync("mx.lame.test"));
        Assert.Equal((TlsaLookupState.Failed, false), (lame.State, lame.Bogus));
    }
}
