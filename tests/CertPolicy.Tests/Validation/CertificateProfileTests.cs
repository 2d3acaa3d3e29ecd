using System.Globalization;
using CertPolicy.Tests.Support;
using CertPolicy.Validation;
using CertPolicy.X509;
using Xunit.Abstractions;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// R-C11 (RULES.md): each certificate-profile rule broken alone by a hand-written chain
/// (<see cref="ProfileCases"/>). Real <c>openssl verify -purpose sslserver</c> and postfix-secure accept it,
/// partner-2026 and document-2019 refuse it with the rule's finding; Evaluate and Explain agree.
/// </summary>
public sealed class CertificateProfileTests(ITestOutputHelper output)
{
    private static (bool Ok, string Output) OpenSsl(TestChain chain)
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDir();
        var root = dir.File("root.pem", TestCertificates.ToPem(chain.Root));
        var inter = dir.File("int.pem", TestCertificates.ToPem(chain.Intermediate));
        var leaf = dir.File("leaf.pem", TestCertificates.ToPem(chain.Leaf));
        var (exit, stdout, stderr) = Tool.Run(openssl, ["verify", "-CAfile", root, "-untrusted", inter, "-purpose", "sslserver", "-attime", TestChains.At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), leaf]);
        return (exit == 0, stdout + stderr);
    }

    private static ValidationReport Explain(TestChain chain, ValidationProfile profile, string nextHop)
    {
        var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
        var request = TestChains.Request(profile, nextHop);
        var report = validator.Explain(chain.Presented, request);
        Assert.Equal(report.Verdict, validator.Evaluate(chain.Presented, request));
        return report;
    }

    private static string Describe(ValidationReport r) => string.Join("; ", r.Findings.Select(f => f.Code + "@" + f.Depth + " " + f.Message));

    [Theory]
    [MemberData(nameof(ProfileCases.ProfileRules), MemberType = typeof(ProfileCases))]
    public void Rule_broken_alone_passes_postfix_secure_and_fails_partner_2026(ProfileCase c)
    {
        var chain = ProfileCases.Sign(c.Mutate(ProfileCases.Base()));
        var (opensslOk, opensslOut) = OpenSsl(chain);
        output.WriteLine("openssl: " + opensslOut);
        Assert.True(opensslOk, "openssl verify refuses " + c.Name + ": " + opensslOut);

        var lax = Explain(chain, ValidationProfile.PostfixSecure, c.NextHop);
        Assert.True(lax.Verdict.IsCompliant, Describe(lax));

        var strict = Explain(chain, ValidationProfile.Partner2026, c.NextHop);
        output.WriteLine(Describe(strict));
        Assert.Contains(strict.Findings, f => f.Code == c.Code && f.Rule == "R-C11" && f.Depth == c.Depth && f.Reason == VerdictReasons.ProfileViolation);

        // Only that rule: every other finding is one the same defect implies.
        foreach (var f in strict.Findings)
        {
            Assert.True(f.Code == c.Code || c.AlsoCodes.Contains(f.Code), c.Name + ": unexpected " + f.Code + " " + f.Message);
            Assert.DoesNotContain("System.", f.Message, StringComparison.Ordinal);
        }

        var finding = strict.Findings.First(f => f.Code == c.Code);
        Assert.Matches(@"\((RFC \d+|BR) [0-9.]+", finding.Message);

        // document-2019 is stricter still (annex CAs only: the generated root is not one, so only the rule's presence is checked).
        var doc = Explain(chain, ValidationProfile.Document2019, c.NextHop);
        Assert.Contains(doc.Findings, f => f.Code == c.Code);
    }

    [Fact]
    public void Email_purpose_gets_the_RFC_5280_rules_but_not_the_TLS_profile()
    {
        // An S/MIME-style leaf: critical emailProtection EKU, no SAN, and no AKI.
        var t = ProfileCases.Base();
        var leaf = t.Leaf.With(RawDer.ExtKeyUsage, true, RawDer.EkuValue("1.3.6.1.5.5.7.3.4")).Without(RawDer.SubjectAltName).Without(RawDer.Aki);
        var chain = ProfileCases.Sign(t with { Leaf = leaf });
        var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "example.com", Profile = ValidationProfile.Partner2026, Purpose = CertPolicy.Trust.RootPurposes.Email };
        var report = validator.Explain(chain.Presented, request);
        Assert.Equal(report.Verdict, validator.Evaluate(chain.Presented, request));
        Assert.Contains(report.Findings, f => f.Code == "profile.aki-missing" && f.Depth == 0);
        Assert.DoesNotContain(report.Findings, f => f.Code is "profile.san-missing" or "profile.eku-critical" or "profile.eku-missing");
    }

    [Theory]
    [MemberData(nameof(ProfileCases.Conformant), MemberType = typeof(ProfileCases))]
    public void Conformant_variant_passes_every_profile(ProfileCase c)
    {
        var chain = ProfileCases.Sign(c.Mutate(ProfileCases.Base()));
        Assert.True(OpenSsl(chain).Ok);
        foreach (var profile in new[] { ValidationProfile.PostfixSecure, ValidationProfile.Partner2026 })
        {
            var r = Explain(chain, profile, c.NextHop);
            Assert.True(r.Verdict.IsCompliant, profile.Name + ": " + Describe(r));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileCases.RefusedEverywhere), MemberType = typeof(ProfileCases))]
    public void Defect_refused_by_openssl_is_refused_by_every_profile(ProfileCase c)
    {
        var chain = ProfileCases.Sign(c.Mutate(ProfileCases.Base()));
        var (ok, text) = OpenSsl(chain);
        output.WriteLine("openssl: " + text);
        Assert.False(ok, "openssl accepts " + c.Name + ": move the check into the R-C11 rules");
        foreach (var profile in ValidationProfile.All)
        {
            var r = Explain(chain, profile, c.NextHop);
            Assert.Contains(r.Findings, f => f.Code == c.Code && f.Depth == c.Depth && f.Rule == "R-C3");
            Assert.False(r.Verdict.IsCompliant, profile.Name);
        }
    }
}

/// <summary>The R-C11 anchor rules (BR 7.1.2.1) against the curated anchors, and the embedded Public Suffix List.</summary>
public sealed class CertificateProfileAnchorTests
{
    private sealed class Collect : IFindingSink
    {
        internal List<Finding> Findings { get; } = [];

        public bool Explaining => true;

        public void Add(string code, string rule, int depth, string message, VerdictReasons reason) => Findings.Add(new Finding(code, rule, depth, message, reason));
    }

    [Fact]
    public void Every_curated_anchor_meets_the_root_profile()
    {
        var manifest = CertPolicy.Trust.TrustManifestLoader.LoadEmbedded(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));
        var store = new CertPolicy.Trust.TrustStore(manifest);
        var leaf = ProfileCases.Sign(ProfileCases.Base()).Leaf;
        Assert.True(CertPolicy.X509.CertificateView.TryParse(leaf, out var leafView, out _));
        var refused = new List<string>();
        int checkedAnchors = 0;
        foreach (var a in store.Anchors)
        {
            Assert.True(CertPolicy.X509.CertificateView.TryParse(a.Certificate!.Der, out var v, out _), a.Label);
            var sink = new Collect();
            CertificateProfileRules.Check([leafView, v], tls: true, sink);
            checkedAnchors++;
            foreach (var f in sink.Findings)
            {
                if (f.Depth == 1)
                {
                    refused.Add(a.Label + ": " + f.Code + " " + f.Message);
                }
            }
        }

        Assert.True(checkedAnchors >= 10, "only " + checkedAnchors + " anchors");
        Assert.True(refused.Count == 0, string.Join("\n", refused));
    }

    [Fact]
    public void The_rules_see_a_broken_anchor_through_the_same_entry_point()
    {
        // The check above is not vacuous: the same call reports an anchor that breaks BR 7.1.2.1.2.
        var t = ProfileCases.Base();
        var chain = ProfileCases.Sign(t with { Root = t.Root.Without(RawDer.Ski) });
        Assert.True(CertPolicy.X509.CertificateView.TryParse(chain.Leaf, out var leaf, out _));
        Assert.True(CertPolicy.X509.CertificateView.TryParse(chain.Root, out var root, out _));
        var sink = new Collect();
        CertificateProfileRules.Check([leaf, root], tls: true, sink);
        Assert.Contains(sink.Findings, f => f.Code == "profile.ski-missing" && f.Depth == 1);
    }

    [Theory]
    [InlineData("com", true)]
    [InlineData("co.uk", true)]
    [InlineData("CO.UK", true)]
    [InlineData("example.co.uk", false)]
    [InlineData("foo.ck", true)] // *.ck
    [InlineData("www.ck", false)] // !www.ck
    [InlineData("xn--55qx5d.cn", true)] // 公司.cn, held as an A-label
    [InlineData("github.io", false)] // PRIVATE section: not read
    [InlineData("notatld", true)] // the implicit "*" rule
    [InlineData("example.com", false)]
    public void Public_suffix_list_is_embedded_and_dated(string name, bool expected)
    {
        Assert.Equal(expected, PublicSuffixList.IsPublicSuffix(name));
        Assert.Equal("2023-02-09", PublicSuffixList.Version);
        Assert.InRange(PublicSuffixList.RuleCount, 7000, 8000);
    }
}
