using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Names;

public class NameCheckerTests
{
    private static MatchList List(string value)
    {
        Assert.True(MatchList.TryParse(value, out var list, out var error), error);
        return list!;
    }

    [Fact]
    public void The_CN_is_ignored_when_a_DNS_SAN_exists()
    {
        var cert = TestCertificates.Create("CN=mx1.example.net", dns: ["other.example.org"]);
        Assert.Equal(NameCheckStatus.NotMatched, NameChecker.Check(cert, List("mx1.example.net"), "example.net", "").Status);
        Assert.True(NameChecker.Check(cert, List("other.example.org"), "example.net", "").IsMatch);
    }

    [Fact]
    public void Every_CN_counts_when_only_IP_SANs_exist()
    {
        var cert = TestCertificates.Create("CN=first.example.org, CN=mx1.example.net", ips: ["192.0.2.1"]);
        Assert.True(NameChecker.Check(cert, List("mx1.example.net"), "example.net", "").IsMatch);
    }

    [Fact]
    public void Secure_default_is_nexthop_and_dot_nexthop()
    {
        var cert = TestCertificates.Create("O=Example", dns: ["mailin1.audi.de"]);
        Assert.True(NameChecker.Check(cert, MatchList.SecureDefault, "audi.de", "mailin1.audi.de").IsMatch);
        Assert.False(NameChecker.Check(cert, MatchList.SecureDefault, "audi.hu", "mailin1.audi.de").IsMatch);
        Assert.True(NameChecker.Check(cert, List(".audi.de"), "audi.hu", "mailin1.audi.de").IsMatch);
        Assert.True(NameChecker.Check(cert, MatchList.VerifyDefault, "audi.hu", "mailin1.audi.de").IsMatch);
    }

    [Fact]
    public void An_IP_literal_nexthop_fails_the_default_secure_list_but_passes_nexthop_alone()
    {
        var cert = TestCertificates.Create("O=Example", dns: ["mx.example.net"], ips: ["192.0.2.1"]);
        Assert.Equal(NameCheckStatus.NotMatched, NameChecker.Check(cert, MatchList.SecureDefault, "192.0.2.1", "").Status);
        Assert.True(NameChecker.Check(cert, List("nexthop"), "192.0.2.1", "").IsMatch);
        Assert.False(NameChecker.Check(cert, List("nexthop"), "192.0.2.2", "").IsMatch);
    }

    [Fact]
    public void No_usable_reference_name_fails()
    {
        var cert = TestCertificates.Create("CN=x.example");
        Assert.Equal(NameCheckStatus.NoReferenceNames, NameChecker.Check(cert, List("."), "example", "").Status);
        Assert.Equal(NameCheckStatus.NoReferenceNames, NameChecker.Check(cert, MatchList.VerifyDefault, "example", "").Status);
    }

    [Fact]
    public void U_labels_in_match_lists_become_A_labels()
    {
        var cert = TestCertificates.Create("O=x", dns: ["xn--bcher-kva.example"]);
        Assert.True(NameChecker.Check(cert, List("bücher.example"), "example", "").IsMatch);
    }

    [Fact]
    public void A_BMPString_CN_is_compared_as_its_UTF8_text()
    {
        // CN=mx1.example.net as BMPString (tag 30), as some old CAs encoded it.
        var name = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (name.PushSequence())
        using (name.PushSetOf())
        using (name.PushSequence())
        {
            name.WriteObjectIdentifier("2.5.4.3");
            name.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.BMPString, "mx1.example.net");
        }

        var dn = new System.Security.Cryptography.X509Certificates.X500DistinguishedName(name.Encode());
        var cert = TestCertificates.Create(dn.Name);
        var bmp = TestCertificatesWithDn(dn);
        Assert.True(NameChecker.Check(bmp, List("mx1.example.net"), "example.net", "").IsMatch);
        Assert.False(NameChecker.Check(bmp, List("mx2.example.net"), "example.net", "").IsMatch);
        Assert.NotEmpty(cert);
    }

    private static byte[] TestCertificatesWithDn(System.Security.Cryptography.X509Certificates.X500DistinguishedName dn)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var req = new System.Security.Cryptography.X509Certificates.CertificateRequest(dn, key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var c = req.CreateSelfSigned(now, now.AddDays(1));
        return c.RawData;
    }

    [Fact]
    public void Malformed_certificates_are_a_status_never_an_exception()
    {
        var good = TestCertificates.Create("CN=mx1.example.net", dns: ["mx1.example.net"]);
        var list = List("mx1.example.net");
        for (int cut = 0; cut < good.Length; cut += 7)
        {
            Assert.Equal(NameCheckStatus.MalformedCertificate, NameChecker.Check(good.AsSpan(0, cut), list, "example.net", "").Status);
        }

        var trailing = good.Concat(new byte[] { 0 }).ToArray();
        Assert.Equal(NameCheckStatus.MalformedCertificate, NameChecker.Check(trailing, list, "example.net", "").Status);
    }

    [Fact]
    public void Duplicate_SAN_extensions_are_malformed()
    {
        var san = TestCertificates.RawDnsSan("mx1.example.net"u8.ToArray());
        using var key = System.Security.Cryptography.ECDsa.Create();
        var req = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=x", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509Extension("2.5.29.17", san, false));
        // .NET refuses two SAN extensions, so add 2.5.29.99 and patch its OID to 2.5.29.17 (the signature breaks; names do not care).
        req.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509Extension("2.5.29.99", TestCertificates.RawDnsSan("evil.example"u8.ToArray()), false));
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var c0 = req.CreateSelfSigned(now, now.AddDays(1));
        var original = c0.RawData.ToArray();
        var der = original.ToArray();
        int at = der.AsSpan().IndexOf(new byte[] { 0x06, 0x03, 0x55, 0x1D, 0x63 });
        Assert.True(at > 0);
        der[at + 4] = 0x11;
        Assert.True(NameChecker.Check(original, List("mx1.example.net"), "example.net", "").IsMatch);
        Assert.Equal(NameCheckStatus.MalformedCertificate, NameChecker.Check(der, List("mx1.example.net"), "example.net", "").Status);
    }

    [Fact]
    public void Many_SANs_use_the_pooled_buffer_and_still_match()
    {
        var dns = Enumerable.Range(0, 500).Select(i => $"h{i}.example.net").ToArray();
        var cert = TestCertificates.Create("O=x", dns: dns);
        Assert.True(NameChecker.Check(cert, List("h499.example.net"), "example.net", "").IsMatch);
        Assert.False(NameChecker.Check(cert, List("h500.example.net"), "example.net", "").IsMatch);
    }

    [Fact]
    public void Name_check_and_policy_lookup_allocate_nothing()
    {
        var cert = TestCertificates.Create("O=Audi", dns: ["mailin1.audi.de", "mailin2.audi.de"]);
        var map = PolicyMap.Parse("audi.de secure match=.audi.de ciphers=high\n.audi.de secure\n", "t").Map;
        var list = List(".audi.de:nexthop");
        var pattern = GatewayPattern.TryParse("mailin*.audi.de", out var p, out _) ? p! : throw new InvalidOperationException();

        // Warm up (JIT, static initialisers, the pooled buffer).
        bool warm = NameChecker.Check(cert, list, "audi.de", "mailin1.audi.de").IsMatch && map.Lookup("mailin1.audi.de").Found && pattern.Matches("mailin1.audi.de");
        Assert.True(warm);

        int matched = 0, rounds = 0;
        long allocated = Allocations.Fewest(3, () =>
        {
            rounds++;
            for (int i = 0; i < 10_000; i++)
            {
                matched += NameChecker.Check(cert, list, "audi.de", "mailin1.audi.de").IsMatch ? 1 : 0;
                matched += NameChecker.Check(cert, MatchList.SecureDefault, "audi.de", "mailin1.audi.de").IsMatch ? 1 : 0;
                matched += map.Lookup("mailin1.audi.de").Found ? 1 : 0;
                matched += map.Lookup("AUDI.DE").Found ? 1 : 0;
                matched += pattern.Matches("mailin1.audi.de") ? 1 : 0;
            }
        });
        Assert.Equal(50_000 * rounds, matched);
        Assert.Equal(0, allocated);
    }
}

public class CheckPresentedTests
{
    [Fact]
    public void Cached_names_give_the_same_answer_and_allocate_nothing()
    {
        var cert = TestCertificates.Create("CN=x, O=Audi", dns: ["mailin1.audi.de", "mailin2.audi.de"]);
        var buffer = new PresentedName[8];
        var names = buffer.AsSpan(0, CertificateNames.Read(cert, buffer)).ToArray();
        Assert.True(MatchList.TryParse(".audi.de", out var list, out _));
        foreach (var (nexthop, mx) in new[] { ("audi.de", "mailin1.audi.de"), ("audi.hu", "x.audi.hu"), ("example.net", "") })
        {
            Assert.Equal(NameChecker.Check(cert, list!, nexthop, mx).Status, NameChecker.CheckPresented(cert, names, list!, nexthop, mx).Status);
            Assert.Equal(NameChecker.Check(cert, MatchList.SecureDefault, nexthop, mx).Status, NameChecker.CheckPresented(cert, names, MatchList.SecureDefault, nexthop, mx).Status);
        }

        _ = NameChecker.CheckPresented(cert, names, list!, "audi.de", "");
        Assert.Equal(0, Allocations.Fewest(3, () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                _ = NameChecker.CheckPresented(cert, names, list!, "audi.de", "");
            }
        }));
    }

    [Fact]
    public void Names_from_another_certificate_are_a_caller_mistake()
    {
        var big = TestCertificates.Create("CN=x", dns: [new string('a', 60) + ".example", "b.example"]);
        var small = new byte[40];
        var buffer = new PresentedName[8];
        var names = buffer.AsSpan(0, CertificateNames.Read(big, buffer)).ToArray();
        Assert.Throws<ArgumentException>(() => NameChecker.CheckPresented(small, names, MatchList.SecureDefault, "example", ""));
    }
}
