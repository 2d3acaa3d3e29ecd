using CertPolicy.Names;

namespace CertPolicy.Tests.Names;

public class DnsNameMatcherTests
{
    // reference, presented, expected: OpenSSL 3.0 X509_check_host with NO_PARTIAL_WILDCARDS (postfix-tls.md 3.3).
    [Theory]
    [InlineData("mx1.example.net", "mx1.example.net", true)]
    [InlineData("MX1.Example.NET", "mx1.example.net", true)]
    [InlineData("mx1.example.net", "MX1.EXAMPLE.NET", true)]
    [InlineData("mx1.example.net", "mx1.example.net.", false)]
    [InlineData("mx1.example.net.", "mx1.example.net", false)]
    [InlineData("mx1.example.net.", "mx1.example.net.", true)]
    [InlineData("mx2.example.net", "*.example.net", true)]
    [InlineData("a.b.example.net", "*.example.net", false)]
    [InlineData("example.net", "*.example.net", false)]
    [InlineData("example.net", "*.net", false)]
    [InlineData("*.net", "*.net", true)]
    [InlineData("mx1.example.net", "mx*.example.net", false)]
    [InlineData("mx*.example.net", "mx*.example.net", true)]
    [InlineData("a.b.example.net", "*.*.example.net", false)]
    [InlineData("xn--bcher-kva.example.net", "*.example.net", true)]
    [InlineData("mx1.example.net", "*.EXAMPLE.net", true)]
    [InlineData("*.example.net", "*.example.net", true)]
    [InlineData("mx_1.example.net", "*.example.net", false)]
    [InlineData("mx1.xn--bcher-kva.example", "*.xn--bcher-kva.example", true)]
    [InlineData("a.example.net", "*.xn--x.example.net", false)]
    [InlineData(".example.net", "mx1.example.net", true)]
    [InlineData(".example.net", "a.b.example.net", true)]
    [InlineData(".example.net", "example.net", false)]
    [InlineData(".example.net", "evilexample.net", false)]
    [InlineData(".example.net", "*.example.net", true)]
    [InlineData(".sub.example.net", "*.example.net", false)]
    [InlineData(".example.net", "*.sub.example.net", true)]
    [InlineData(".mx1.example.net", "mx1.example.net", false)]
    [InlineData("example.net", "mx1.example.net.example.org", false)]
    [InlineData(".example.net", "mx1.example.net.example.org", false)]
    public void Compares_like_openssl(string reference, string presented, bool expected) =>
        Assert.Equal(expected, DnsNameMatcher.Matches(reference, Encoding.ASCII.GetBytes(presented)));

    [Theory]
    [InlineData("mx1.example.net\0.evil.org")]
    [InlineData("mx1.example.net\0")]
    [InlineData("\0mx1.example.net")]
    public void A_name_with_an_embedded_NUL_never_matches(string presented)
    {
        var bytes = Encoding.ASCII.GetBytes(presented);
        Assert.False(DnsNameMatcher.Matches("mx1.example.net", bytes));
        Assert.False(DnsNameMatcher.Matches(".example.net", bytes));
        Assert.False(DnsNameMatcher.Matches(".evil.org", bytes) && presented.IndexOf('\0', StringComparison.Ordinal) < presented.Length - 9);
    }

    [Theory]
    [InlineData("mailin*.audi.de", "mailin1.audi.de", true)]
    [InlineData("mailin*.audi.de", "MAILIN-fra2.Audi.DE", true)]
    [InlineData("mailin*.audi.de", "mailin.audi.de", true)]
    [InlineData("mailin*.audi.de", "mailout1.audi.de", false)]
    [InlineData("mailin*.audi.de", "mailin1.x.audi.de", false)]
    [InlineData("mailin*.audi.de", "mailin1.audi.de.", false)]
    [InlineData("mailin*.audi.de", "mailin1.audi.de.evil.org", false)]
    [InlineData("*.audi.de", "a.b.audi.de", false)]
    public void Gateway_pattern_R_T9(string pattern, string host, bool expected)
    {
        Assert.True(GatewayPattern.TryParse(pattern, out var p, out var error), error);
        Assert.Equal(expected, p!.Matches(host));
    }

    [Theory]
    [InlineData("audi.*")]
    [InlineData("de")]
    [InlineData("mail..audi.de")]
    [InlineData("mail?.audi.de")]
    public void Bad_gateway_patterns_are_refused(string pattern) =>
        Assert.False(GatewayPattern.TryParse(pattern, out _, out _));
}
