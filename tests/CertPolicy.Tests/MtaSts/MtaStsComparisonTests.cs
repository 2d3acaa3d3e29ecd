using CertPolicy.Policy;
using CertPolicy.MtaSts;

namespace CertPolicy.Tests.MtaSts;

/// <summary>R-D2: an MTA-STS policy next to the partner's Postfix tls_policy entry.</summary>
public class MtaStsComparisonTests
{
    private static MtaStsPolicy Sts(string mode, params string[] mx)
    {
        var text = "version: STSv1\nmode: " + mode + "\n" + string.Concat(mx.Select(m => "mx: " + m + "\n")) + "max_age: 86400\n";
        Assert.True(MtaStsPolicy.TryParse(text, out var p, out var error), error.ToString());
        return p!;
    }

    private static TlsPolicy Entry(string value)
    {
        Assert.True(TlsPolicy.TryParse(value, out var p, out var error), error.Message);
        return p!;
    }

    private static string[] Codes(MtaStsComparisonReport r) => [.. r.Findings.Select(f => f.Code)];

    [Theory]
    [InlineData("none", "mta-sts.partner-weaker", "does not even require TLS")]
    [InlineData("may", "mta-sts.partner-weaker", "does not even require TLS")]
    [InlineData("encrypt", "mta-sts.partner-weaker", "checks no certificate")]
    [InlineData("fingerprint match=AA:BB", "mta-sts.partner-not-pkix", "both apply")]
    [InlineData("dane", "mta-sts.dane-precedence", "RFC 8461 2")]
    [InlineData("dane-only", "mta-sts.dane-precedence", "RFC 8461 2")]
    [InlineData("verify", "mta-sts.partner-equivalent", "adds the mx patterns")]
    [InlineData("secure", "mta-sts.partner-stricter-names", "nexthop:dot-nexthop")]
    [InlineData("secure match=.audi.de", "mta-sts.partner-stricter-names", ".audi.de")]
    public void Enforce_against_each_partner_level(string entry, string code, string said)
    {
        var r = MtaStsComparison.Compare(Sts("enforce", "*.audi.de"), Entry(entry), "audi.de");
        Assert.Equal("mta-sts.enforce", r.Findings[0].Code);
        var f = Assert.Single(r.Findings, x => x.Code == code);
        Assert.Contains(said, f.Message, StringComparison.Ordinal);
        Assert.All(r.Findings, x => Assert.Equal("R-D2", x.Rule));
        Assert.True(r.Effective.RequiresTls);
        Assert.True(r.Effective.RequiresPkix);
        Assert.Equal(new[] { "*.audi.de" }, r.Effective.MxPatterns.ToArray());
    }

    [Theory]
    [InlineData("none", SecurityLevel.Verify)]
    [InlineData("may", SecurityLevel.Verify)]
    [InlineData("encrypt", SecurityLevel.Verify)]
    [InlineData("fingerprint match=AA:BB", SecurityLevel.Fingerprint)]
    [InlineData("dane-only", SecurityLevel.DaneOnly)]
    [InlineData("verify", SecurityLevel.Verify)]
    [InlineData("secure match=.audi.de", SecurityLevel.Secure)]
    public void The_effective_level_is_the_stricter_one_under_enforce(string entry, SecurityLevel level)
    {
        var r = MtaStsComparison.Compare(Sts("enforce", "*.audi.de"), Entry(entry), "audi.de");
        Assert.Equal(level, r.Effective.Level);
        Assert.Contains("(Postfix level " + level.ToPostfixName() + ")", r.Effective.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Secure_with_a_match_list_keeps_the_partner_names_in_the_requirement()
    {
        var r = MtaStsComparison.Compare(Sts("enforce", "*.audi.de"), Entry("secure match=.audi.de"), "audi.de");
        Assert.Equal(new[] { ".audi.de" }, r.Effective.CertificateMatch.ToArray());
        Assert.Contains("partner names: .audi.de", r.Effective.Summary, StringComparison.Ordinal);
        Assert.Contains("MX host one of *.audi.de", r.Effective.Summary, StringComparison.Ordinal);

        // A suffix allows names at any depth; "*." covers one label: MTA-STS is stricter in MX hosts.
        var narrower = Assert.Single(r.Findings, f => f.Code == "mta-sts.mx-narrower");
        Assert.Equal(MtaStsFindingSeverity.Note, narrower.Severity);
        Assert.DoesNotContain("mta-sts.mx-outside-match", Codes(r));
    }

    [Theory]
    [InlineData("testing", "mta-sts.testing", "verify", true)]
    [InlineData("testing", "mta-sts.testing", "may", false)]
    [InlineData("none", "mta-sts.none", "secure", true)]
    [InlineData("none", "mta-sts.none", "encrypt", false)]
    public void Testing_and_none_enforce_nothing(string mode, string code, string entry, bool partnerPkix)
    {
        var policy = mode == "none" ? Sts("none") : Sts(mode, "*.audi.de");
        var r = MtaStsComparison.Compare(policy, Entry(entry), "audi.de");
        var f = r.Findings[0];
        Assert.Equal(code, f.Code);
        Assert.Equal(MtaStsFindingSeverity.Warning, f.Severity);
        Assert.Contains(partnerPkix ? "the partner rule (" + entry + ")" : "nothing enforces a certificate check", f.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("mta-sts.partner-weaker", Codes(r));
        Assert.Empty(r.Effective.MxPatterns);
        Assert.Equal(partnerPkix, r.Effective.RequiresPkix);
        Assert.Equal(Entry(entry).Level, r.Effective.Level);
    }

    [Fact]
    public void A_gateway_outside_the_mx_patterns_is_an_error_under_enforce_and_a_warning_in_testing()
    {
        string[] gateways = ["mailin1.audi.de", "mailin2.audi.de", "a.mailin.audi.de", "mx.audi.de."];
        var enforce = MtaStsComparison.Compare(Sts("enforce", "*.audi.de"), Entry("secure match=.audi.de"), "audi.de", gateways);
        var uncovered = Assert.Single(enforce.Findings, f => f.Code == "mta-sts.mx-not-covered");
        Assert.Equal(MtaStsFindingSeverity.Error, uncovered.Severity);
        Assert.Contains("a.mailin.audi.de", uncovered.Message, StringComparison.Ordinal);
        Assert.Contains("refuse to deliver", uncovered.Message, StringComparison.Ordinal);

        var testing = MtaStsComparison.Compare(Sts("testing", "*.audi.de"), Entry("secure match=.audi.de"), "audi.de", gateways);
        Assert.Equal(MtaStsFindingSeverity.Warning, Assert.Single(testing.Findings, f => f.Code == "mta-sts.mx-not-covered").Severity);

        var none = MtaStsComparison.Compare(Sts("none"), Entry("secure match=.audi.de"), "audi.de", gateways);
        Assert.DoesNotContain("mta-sts.mx-not-covered", Codes(none));
    }

    [Fact]
    public void A_gateway_named_in_the_match_list_but_not_in_the_mx_patterns_is_reported()
    {
        var r = MtaStsComparison.Compare(Sts("enforce", "mx1.audi.de"), Entry("secure match=mx1.audi.de:mx2.audi.de"), "audi.de");
        var f = Assert.Single(r.Findings, x => x.Code == "mta-sts.mx-not-covered");
        Assert.Contains("mx2.audi.de", f.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("secure match=.audi.de", new[] { "mail.provider.example" }, true)]
    [InlineData("secure match=.audi.de", new[] { "*.audi.de", "mx.audi.de" }, false)]
    [InlineData("secure match=.audi.de", new[] { "*.eu.audi.de" }, false)]
    [InlineData("secure match=.audi.de", new[] { "audi.de" }, true)]
    [InlineData("secure match=mx1.audi.de", new[] { "*.audi.de" }, true)]
    [InlineData("secure match=mx1.audi.de", new[] { "MX1.audi.de" }, false)]
    [InlineData("secure", new[] { "audi.de", "*.audi.de", "a.b.audi.de" }, false)]
    [InlineData("secure", new[] { "mx.other.example" }, true)]
    [InlineData("verify", new[] { "mx.other.example" }, false)]
    [InlineData("verify match=hostname:.audi.de", new[] { "mx.other.example" }, false)]
    public void Mx_patterns_outside_the_partner_names(string entry, string[] mx, bool outside)
    {
        var r = MtaStsComparison.Compare(Sts("enforce", mx), Entry(entry), "audi.de");
        Assert.Equal(outside, Codes(r).Contains("mta-sts.mx-outside-match"));
    }

    [Fact]
    public void Every_code_the_comparison_emits_is_in_the_rule_catalogue()
    {
        var catalogued = CertPolicy.Cli.Rules.RuleCatalog.Find("R-D2")!.Codes;
        string[] entries = ["none", "may", "encrypt", "fingerprint match=AA:BB", "dane", "verify", "secure", "secure match=.audi.de:mx9.audi.de"];
        foreach (var mode in new[] { "enforce", "testing", "none" })
        {
            foreach (var entry in entries)
            {
                var policy = mode == "none" ? Sts("none") : Sts(mode, "*.audi.de", "mx.other.example");
                var r = MtaStsComparison.Compare(policy, Entry(entry), "audi.de", ["a.b.audi.de"]);
                Assert.All(r.Findings, f => Assert.Contains(f.Code, catalogued));
            }
        }
    }
}
