using CertPolicy.Tests.Names;
using CertPolicy.MtaSts;

namespace CertPolicy.Tests.MtaSts;

/// <summary>RFC 8461 3.2 (the policy file) and 4.1 (mx patterns and the gateway certificate).</summary>
public class MtaStsPolicyTests
{
    private const string Good = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n";

    [Fact]
    public void A_typical_policy()
    {
        Assert.True(MtaStsPolicy.TryParse(Good, out var p, out var error), error.ToString());
        Assert.Equal(MtaStsMode.Enforce, p!.Mode);
        Assert.Equal(new[] { "mail.example.com", "*.example.net" }, p.Mx.ToArray());
        Assert.Equal(604800, p.MaxAge);
        Assert.Empty(p.Extensions);
    }

    [Theory]
    [InlineData("CRLF", "version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 86400\r\n", "testing", 86400L, 1)]
    [InlineData("no final newline", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400", "enforce", 86400L, 1)]
    [InlineData("mixed LF and CRLF", "version: STSv1\r\nmode: enforce\nmx: mx.example.com\r\nmax_age: 86400", "enforce", 86400L, 1)]
    [InlineData("no space after colon, trailing spaces", "version:STSv1  \nmode:enforce\t\nmx:mx.example.com \nmax_age:86400", "enforce", 86400L, 1)]
    [InlineData("keys in any order", "max_age: 5\nmx: a.example.com\nmode: enforce\nversion: STSv1\n", "enforce", 5L, 1)]
    [InlineData("max_age 0", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 0\n", "enforce", 0L, 1)]
    [InlineData("max_age at the maximum", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 31557600\n", "enforce", 31557600L, 1)]
    [InlineData("max_age with leading zeros, 10 digits", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 0000086400\n", "enforce", 86400L, 1)]
    [InlineData("mode none without mx", "version: STSv1\nmode: none\nmax_age: 86400\n", "none", 86400L, 0)]
    [InlineData("unknown keys ignored", "version: STSv1\nmode: enforce\nfoo_bar.baz-1: any value; with = signs\nmx: mx.example.com\nmax_age: 1\n", "enforce", 1L, 1)]
    [InlineData("UTF-8 in an extension value", "version: STSv1\nmode: enforce\nnote: gr\u00fc\u00dfe\nmx: mx.example.com\nmax_age: 1\n", "enforce", 1L, 1)]
    [InlineData("blank lines after the last field", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 1\n\n\r\n", "enforce", 1L, 1)]
    public void Valid_policies(string name, string text, string mode, long maxAge, int mxCount)
    {
        Assert.True(MtaStsPolicy.TryParse(text, out var p, out var error), name + ": " + error);
        Assert.Equal(mode, MtaStsPolicy.ModeName(p!.Mode));
        Assert.Equal(maxAge, p.MaxAge);
        Assert.Equal(mxCount, p.Mx.Length);
    }

    [Theory]
    [InlineData("empty", "", 1, 1, "no \"version")]
    [InlineData("no version", "mode: enforce\nmx: a.example.com\nmax_age: 1\n", 3, 1, "no \"version")]
    [InlineData("wrong version", "version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 1\n", 1, 10, "must be \"STSv1\"")]
    [InlineData("version lower case", "version: stsv1\nmode: enforce\nmx: a.example.com\nmax_age: 1\n", 1, 10, "must be \"STSv1\"")]
    [InlineData("no mode", "version: STSv1\nmx: a.example.com\nmax_age: 1\n", 3, 1, "no \"mode\"")]
    [InlineData("bad mode", "version: STSv1\nmode: strict\nmx: a.example.com\nmax_age: 1\n", 2, 7, "enforce, testing or none")]
    [InlineData("mode upper case", "version: STSv1\nmode: Enforce\nmx: a.example.com\nmax_age: 1\n", 2, 7, "lower case")]
    [InlineData("no max_age", "version: STSv1\nmode: enforce\nmx: a.example.com\n", 3, 1, "no \"max_age\"")]
    [InlineData("max_age above the maximum", "version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 31557601\n", 4, 10, "above the maximum")]
    [InlineData("max_age 11 digits", "version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 00000086400\n", 4, 10, "1 to 10 digits")]
    [InlineData("max_age negative", "version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: -1\n", 4, 10, "1 to 10 digits")]
    [InlineData("max_age with a unit", "version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1d\n", 4, 10, "1 to 10 digits")]
    [InlineData("enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 1\n", 3, 1, "needs at least one")]
    [InlineData("testing without mx", "version: STSv1\nmode: testing\nmax_age: 1\n", 3, 1, "needs at least one")]
    [InlineData("duplicate version", "version: STSv1\nversion: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1\n", 2, 1, "\"version\" appears twice")]
    [InlineData("duplicate mode", "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example.com\nmax_age: 1\n", 3, 1, "\"mode\" appears twice")]
    [InlineData("duplicate max_age", "version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1\nmax_age: 2\n", 5, 1, "\"max_age\" appears twice")]
    [InlineData("no colon", "version: STSv1\nmode enforce\n", 2, 13, "no ':'")]
    [InlineData("leading space", "version: STSv1\n mode: enforce\n", 2, 1, "invalid key")]
    [InlineData("space before colon", "version: STSv1\nmode : enforce\n", 2, 5, "invalid key")]
    [InlineData("key upper case is unknown, then mode missing", "version: STSv1\nMODE: enforce\nmx: a.example.com\nmax_age: 1\n", 4, 1, "no \"mode\"")]
    [InlineData("empty value", "version: STSv1\nmode:\n", 2, 6, "no value")]
    [InlineData("empty line in the middle", "version: STSv1\n\nmode: enforce\nmx: a.example.com\nmax_age: 1\n", 2, 1, "empty line")]
    [InlineData("bare CR", "version: STSv1\rmode: enforce\nmx: a.example.com\nmax_age: 1\n", 1, 15, "CR not followed by LF")]
    [InlineData("control character in a value", "version: STSv1\nmode: enforce\nx: a\u0001b\nmx: a.example.com\nmax_age: 1\n", 3, 5, "control character")]
    [InlineData("mx with a port", "version: STSv1\nmode: enforce\nmx: a.example.com:25\nmax_age: 1\n", 3, 18, "invalid mx pattern")]
    [InlineData("mx wildcard in the middle", "version: STSv1\nmode: enforce\nmx: a.*.example.com\nmax_age: 1\n", 3, 7, "left-most label")]
    [InlineData("mx partial wildcard", "version: STSv1\nmode: enforce\nmx: mx*.example.com\nmax_age: 1\n", 3, 7, "left-most label")]
    [InlineData("mx trailing dot", "version: STSv1\nmode: enforce\nmx: a.example.com.\nmax_age: 1\n", 3, 18, "trailing dot")]
    [InlineData("mx bare wildcard", "version: STSv1\nmode: enforce\nmx: *.\nmax_age: 1\n", 3, 7, "no domain")]
    [InlineData("mx label with a leading hyphen", "version: STSv1\nmode: enforce\nmx: -a.example.com\nmax_age: 1\n", 3, 5, "begins or ends with '-'")]
    [InlineData("mx U-label", "version: STSv1\nmode: enforce\nmx: m\u00fcnchen.example\nmax_age: 1\n", 3, 6, "A-label")]
    public void Invalid_policies_name_line_and_column(string name, string text, int line, int column, string message)
    {
        Assert.False(MtaStsPolicy.TryParse(text, out var p, out var error), name);
        Assert.Null(p);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_above_64_KiB_is_refused_before_parsing()
    {
        var text = Good + "x: " + new string('a', MtaStsPolicy.MaxBodyBytes) + "\n";
        Assert.False(MtaStsPolicy.TryParse(text, out _, out var error));
        Assert.Contains("RFC 8461 3.3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*.example.com", "mx1.example.com", true)]
    [InlineData("*.example.com", "MX1.Example.COM", true)]
    [InlineData("*.example.com", "mx1.example.com.", true)]
    [InlineData("*.example.com.", "mx1.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", ".example.com", false)]
    [InlineData("*.example.com", "mx1.example.com.evil", false)]
    [InlineData("*.example.com", "mx1.otherexample.com", false)]
    [InlineData("mail.example.com", "mail.example.com", true)]
    [InlineData("mail.example.com", "MAIL.EXAMPLE.COM.", true)]
    [InlineData("mail.example.com", "mx.mail.example.com", false)]
    [InlineData("mail.example.com", "example.com", false)]
    [InlineData("mail.example.com", "", false)]
    [InlineData("", "mail.example.com", false)]
    [InlineData("*.example.com", "*.example.com", true)]
    public void Mx_pattern_matching(string pattern, string host, bool expected) =>
        Assert.Equal(expected, MxPattern.Matches(pattern, host));

    [Fact]
    public void Mx_matching_does_not_fold_non_ascii_case()
    {
        // Kelvin sign (U+212A) folds to 'k' under Unicode rules; DNS names compare ASCII only.
        Assert.False(MxPattern.Matches("mx.example.com", "mx.example.\u212Aom"));
        Assert.False(MxPattern.Matches("mx.\u212Aa.example", "mx.ka.example"));
    }

    [Fact]
    public void Gateway_verdicts_combine_mx_patterns_and_the_certificate()
    {
        Assert.True(MtaStsPolicy.TryParse(Good, out var p, out _));
        Assert.Equal(MtaStsGatewayVerdict.Satisfied, MxPattern.CheckGateway(p!, "mail.example.com", pkixValidAndNameMatches: true));
        Assert.Equal(MtaStsGatewayVerdict.Satisfied, MxPattern.CheckGateway(p!, "mx7.example.net", pkixValidAndNameMatches: true));
        Assert.Equal(MtaStsGatewayVerdict.CertificateNotValid, MxPattern.CheckGateway(p!, "mail.example.com", pkixValidAndNameMatches: false));
        Assert.Equal(MtaStsGatewayVerdict.MxNotListed, MxPattern.CheckGateway(p!, "a.b.example.net", pkixValidAndNameMatches: true));
        Assert.Equal(MtaStsGatewayVerdict.MxNotListed, MxPattern.CheckGateway(p!, "example.net", pkixValidAndNameMatches: true));
    }

    [Theory]
    [InlineData("mail.example.com", new[] { "dns:mail.example.com" }, true)]
    [InlineData("MAIL.example.com.", new[] { "dns:mail.example.com" }, true)]
    [InlineData("mx1.example.com", new[] { "dns:*.example.com" }, true)]
    [InlineData("a.mx1.example.com", new[] { "dns:*.example.com" }, false)]
    [InlineData("mail.example.com", new[] { "dns:other.example.com" }, false)]
    [InlineData("mail.example.com", new[] { "ip:192.0.2.1" }, false)]
    public void Certificate_names_against_the_mx_host(string mxHost, string[] sans, bool expected)
    {
        using var pki = new TestPki();
        using var leaf = pki.IssueLeaf([], [.. sans.Select(SanEntry.Parse)]);
        Assert.Equal(expected, MxPattern.CertificateNamesMatch(leaf.RawData, mxHost));
    }
}
