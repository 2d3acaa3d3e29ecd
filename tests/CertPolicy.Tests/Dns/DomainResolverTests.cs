using System.Net;
using CertPolicy.Dane;
using CertPolicy.Tests.Support;
using CertPolicy.Dns;

namespace CertPolicy.Tests.Dns;

/// <summary>The DNS look-ups of issue 15 against a real nsd + validating unbound (<see cref="DnsZoneFixture"/>).</summary>
[Collection(nameof(DnsZoneCollection))]
public class DomainResolverTests(DnsZoneFixture zones)
{
    private readonly DomainResolver _resolver = zones.NewResolver();

    [Fact]
    public async Task Mx_hosts_come_by_preference_and_equal_preferences_by_name()
    {
        var mx = await _resolver.LookupMxAsync("example.test.");
        Assert.Equal(MxKind.Published, mx.Kind);
        Assert.Equal(DnssecStatus.Secure, mx.Answer.Dnssec);
        Assert.Equal(["10 mx1.example.test", "20 mx2.example.test", "20 mx3.example.test"], mx.Hosts.Select(h => h.Preference + " " + h.Host));
        Assert.Equal("example.test", mx.Domain);
    }

    [Fact]
    public async Task Null_mx_means_the_domain_accepts_no_mail()
    {
        var mx = await _resolver.LookupMxAsync("nullmx.example.test");
        Assert.Equal(MxKind.NullMx, mx.Kind);
        Assert.Empty(mx.Hosts);
        Assert.Equal(DnsOutcome.Answer, mx.Answer.Outcome);
        Assert.Equal(DnssecStatus.Secure, mx.Answer.Dnssec);
    }

    [Fact]
    public async Task A_null_mx_next_to_other_mx_records_is_ignored_and_said()
    {
        var mx = await _resolver.LookupMxAsync("mixednull.example.test");
        Assert.Equal(MxKind.Published, mx.Kind);
        Assert.Equal("mx1.example.test", Assert.Single(mx.Hosts).Host);
        Assert.Contains("RFC 7505", mx.Answer.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_mx_makes_the_domain_its_own_implicit_mx()
    {
        var hosts = await _resolver.LookupMailHostsAsync("implicit.example.test");
        Assert.Equal(MxKind.Implicit, hosts.Mx.Kind);
        Assert.Equal(DnsOutcome.NoData, hosts.Mx.Answer.Outcome);
        var only = Assert.Single(hosts.Hosts);
        Assert.Equal("implicit.example.test", only.Host);
        Assert.Equal([IPAddress.Parse("192.0.2.9")], only.Addresses);
        Assert.Equal(0, Assert.Single(hosts.Mx.Hosts).Preference);
    }

    [Fact]
    public async Task Nxdomain_has_no_hosts_and_is_not_an_implicit_mx()
    {
        var mx = await _resolver.LookupMxAsync("nothing.example.test");
        Assert.Equal(MxKind.None, mx.Kind);
        Assert.Equal(DnsOutcome.NxDomain, mx.Answer.Outcome);
        Assert.Equal(DnssecStatus.Secure, mx.Answer.Dnssec); // authenticated denial (NSEC)
    }

    [Fact]
    public async Task Addresses_of_every_mx_host_in_mx_order()
    {
        var hosts = await _resolver.LookupMailHostsAsync("example.test");
        Assert.Equal(["mx1.example.test", "mx2.example.test", "mx3.example.test"], hosts.Hosts.Select(h => h.Host));
        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], hosts.Hosts[0].Addresses);
        Assert.Equal([IPAddress.Parse("192.0.2.2")], hosts.Hosts[1].Addresses);
        Assert.Equal(DnsOutcome.NoData, hosts.Hosts[1].Aaaa.Outcome);
        Assert.Equal([IPAddress.Parse("2001:db8::3")], hosts.Hosts[2].Addresses);
        Assert.Equal(DnsOutcome.NoData, hosts.Hosts[2].A.Outcome);
        Assert.All(hosts.Hosts, h => Assert.True(h.IsSecure, h.Host));
    }

    [Fact]
    public async Task A_cname_is_followed_to_its_target()
    {
        var a = await _resolver.LookupAddressesAsync("alias.example.test");
        Assert.Equal("mx1.example.test", a.A.CanonicalName);
        Assert.Equal([IPAddress.Parse("192.0.2.1")], a.A.Records);
        Assert.True(a.A.IsSecure);
    }

    [Fact]
    public async Task Nxdomain_and_nodata_are_told_apart()
    {
        var nodata = await _resolver.LookupTxtAsync("mx1.example.test");
        var nx = await _resolver.LookupTxtAsync("no-such-name.example.test");
        Assert.Equal(DnsOutcome.NoData, nodata.Outcome);
        Assert.Equal(DnsOutcome.NxDomain, nx.Outcome);
        Assert.Empty(nodata.Records);
        Assert.Empty(nx.Records);
        Assert.Equal(DnssecStatus.Secure, nodata.Dnssec);
        Assert.Equal(DnssecStatus.Secure, nx.Dnssec);
    }

    [Fact]
    public async Task Txt_records_for_mta_sts_and_tls_reporting_are_concatenated()
    {
        var sts = await _resolver.LookupMtaStsAsync("example.test");
        Assert.Equal(["v=STSv1; id=20261205T000000;"], sts.Records);
        Assert.Equal("_mta-sts.example.test", sts.Name);
        var rpt = await _resolver.LookupTlsRptAsync("example.test");
        Assert.Equal(["v=TLSRPTv1; rua=mailto:tlsrpt@example.test"], rpt.Records); // two strings, one record (RFC 8460 3)
        Assert.True(sts.IsSecure && rpt.IsSecure);
    }

    [Fact]
    public async Task Tlsa_records_are_secure_in_the_signed_zone_and_equal_what_drill_shows()
    {
        foreach (var (host, expected) in new[]
        {
            ("mx1.example.test", "3 1 1 " + zones.LeafSpkiSha256),
            ("mx2.example.test", "2 0 1 " + zones.IntermediateSha256),
            ("mx3.example.test", "3 1 1 " + zones.OtherSpkiSha256),
        })
        {
            var tlsa = await _resolver.LookupTlsaAsync(host);
            Assert.Equal("_25._tcp." + host, tlsa.Name);
            Assert.Equal(DnsOutcome.Answer, tlsa.Outcome);
            Assert.Equal(DnssecStatus.Secure, tlsa.Dnssec);
            var record = Assert.Single(tlsa.Records);
            Assert.Equal(expected, record.ToString());

            // The oracle: drill's presentation form, read by the core's TryParse, is the same record.
            var oracle = DrillTlsa(zones.DrillQuery("TLSA", tlsa.Name));
            var o = Assert.Single(oracle);
            Assert.Equal((o.Usage, o.Selector, o.MatchingType), (record.Usage, record.Selector, record.MatchingType));
            Assert.Equal(o.Data, record.Data);
        }
    }

    [Fact]
    public async Task The_ad_bit_is_taken_from_the_validating_resolver_only()
    {
        Assert.Equal(DnssecStatus.Secure, (await _resolver.LookupMxAsync("example.test")).Answer.Dnssec);
        Assert.Equal(DnssecStatus.Insecure, (await _resolver.LookupMxAsync("insecure.test")).Answer.Dnssec);
        var tlsa = await _resolver.LookupTlsaAsync("mx.insecure.test");
        Assert.Equal(DnssecStatus.Insecure, tlsa.Dnssec);
        Assert.Equal("3 1 1 " + zones.LeafSpkiSha256, Assert.Single(tlsa.Records).ToString()); // returned, marked insecure

        // The authoritative server does not validate: the same signed data comes without AD.
        var direct = new DomainResolver(new DomainResolverOptions { Server = zones.Authoritative, Timeout = TimeSpan.FromSeconds(2), Retries = 1 });
        var unvalidated = await direct.LookupTlsaAsync("mx1.example.test");
        Assert.Equal(DnsOutcome.Answer, unvalidated.Outcome);
        Assert.Equal(DnssecStatus.Insecure, unvalidated.Dnssec);
    }

    [Fact]
    public async Task A_bogus_rrset_is_servfail_and_is_told_from_a_plain_failure_by_checking_disabled()
    {
        var tlsa = await _resolver.LookupTlsaAsync("mx.bogus.test");
        Assert.Equal(DnsOutcome.ServerFailure, tlsa.Outcome);
        Assert.Equal(DnssecStatus.Bogus, tlsa.Dnssec);
        Assert.Empty(tlsa.Records);
        Assert.Contains("bogus", tlsa.Why, StringComparison.Ordinal);

        // The other RRsets of the zone validate.
        var mx = await _resolver.LookupMxAsync("bogus.test");
        Assert.Equal(DnssecStatus.Secure, mx.Answer.Dnssec);
        Assert.Equal("mx.bogus.test", Assert.Single(mx.Hosts).Host);

        // drill agrees: SERVFAIL, and with CD the altered record.
        Assert.Contains("rcode: SERVFAIL", zones.DrillQuery("TLSA", "_25._tcp.mx.bogus.test"), StringComparison.Ordinal);
        var cd = DrillTlsa(zones.DrillQuery("TLSA", "_25._tcp.mx.bogus.test", "-o", "CD"));
        Assert.Equal(zones.BogusPublished, Convert.ToHexString(Assert.Single(cd).Data));
    }

    [Fact]
    public async Task A_servfail_that_checking_disabled_does_not_cure_is_not_bogus()
    {
        var tlsa = await _resolver.LookupTlsaAsync("mx.lame.test").WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(DnsOutcome.ServerFailure, tlsa.Outcome);
        Assert.Equal(DnssecStatus.Unknown, tlsa.Dnssec);
        Assert.Contains("also with checking disabled", tlsa.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Denials_in_the_unsigned_zone_are_insecure()
    {
        var nx = await _resolver.LookupTxtAsync("nothing.insecure.test");
        var nodata = await _resolver.LookupTxtAsync("mx.insecure.test");
        Assert.Equal((DnsOutcome.NxDomain, DnssecStatus.Insecure), (nx.Outcome, nx.Dnssec));
        Assert.Equal((DnsOutcome.NoData, DnssecStatus.Insecure), (nodata.Outcome, nodata.Dnssec));
    }

    [Fact]
    public async Task A_server_that_never_answers_is_a_timeout_within_the_configured_bound()
    {
        var silent = new DomainResolver(new DomainResolverOptions { Server = zones.Silent, Timeout = TimeSpan.FromMilliseconds(300), Retries = 1 });
        // 2 tries of 300 ms; the wait below only turns a hang into a failure.
        var answer = await silent.LookupMxAsync("example.test").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(MxKind.None, answer.Kind);
        Assert.Equal(DnsOutcome.Timeout, answer.Answer.Outcome);
        Assert.Equal(DnssecStatus.Unknown, answer.Answer.Dnssec);
        Assert.Contains("no answer from " + zones.Silent, answer.Answer.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DomainResolver(new DomainResolverOptions { Server = zones.Resolver, Timeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DomainResolver(new DomainResolverOptions { Server = zones.Resolver, Retries = -1 }));
    }

    [Fact]
    public void The_checking_disabled_query_sets_rd_cd_and_do()
    {
        var q = CheckingDisabledProbe.TryEncode("example.test.", 52)!;
        Assert.Equal(0x01, q[2]); // RD
        Assert.Equal(0x10, q[3]); // CD
        Assert.Equal([7, .. "example"u8, 4, .. "test"u8, 0, 0, 52, 0, 1], q[12..(12 + 18)]);
        Assert.Equal([0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0], q[^11..]); // OPT, 1232, DO
        Assert.Null(CheckingDisabledProbe.TryEncode(new string('a', 64) + ".test", 1));
        Assert.Null(CheckingDisabledProbe.TryEncode("a..test", 1));
        Assert.Null(CheckingDisabledProbe.TryEncode("bücher.test", 1));
    }

    /// <summary>The TLSA records of drill's ANSWER section, read with the core's presentation-form parser.</summary>
    internal static List<TlsaRecord> DrillTlsa(string output)
    {
        var records = new List<TlsaRecord>();
        bool answer = false;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith(";; ", StringComparison.Ordinal))
            {
                answer = line.StartsWith(";; ANSWER SECTION", StringComparison.Ordinal);
                continue;
            }

            var fields = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (answer && fields.Length > 4 && fields[3] == "TLSA")
            {
                Assert.True(TlsaRecord.TryParse(string.Join(' ', fields[4..]), out var r, out var error), error);
                records.Add(r!);
            }
        }

        return records;
    }
}
