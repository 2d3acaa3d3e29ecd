using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Names;
using CertPolicy.Validation;
using CertPolicy.X509;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// Name constraints against wildcard names (CVE-2025-61727, RUSTSEC-2026-0099): an excluded subtree refuses a wildcard that can
/// match any name in it, a permitted subtree admits a wildcard only when it contains every name the wildcard can match. Every profile.
/// </summary>
public sealed class WildcardNameConstraintTests
{
    // Constraint, wildcard, may some expansion lie in the subtree (excluded side), do all (permitted side).
    [Theory]
    [InlineData("bad.example.com", "*.example.com", true, false)]
    [InlineData("BAD.Example.COM", "*.example.com", true, false)]
    [InlineData("example.com", "*.example.com", true, true)]
    [InlineData(".example.com", "*.example.com", true, true)]
    [InlineData("com", "*.example.com", true, true)]
    [InlineData(".com", "*.example.com", true, true)]
    [InlineData("", "*.example.com", true, true)]
    [InlineData("x.bad.example.com", "*.example.com", false, false)]
    [InlineData(".bad.example.com", "*.example.com", false, false)]
    [InlineData("a.example.com", "*.example.com", true, false)]
    [InlineData("example.net", "*.example.com", false, false)]
    [InlineData("ample.com", "*.example.com", false, false)]
    [InlineData("tld", "*.example.com", false, false)] // golang/go#76935: Go 1.25.5 over-excludes here
    [InlineData(".", "*.example.com", false, false)]
    [InlineData("example.com", "*.example.com.", true, true)]
    [InlineData("bad.example.com", "*.example.com.", true, false)]
    public void Wildcard_against_one_subtree(string constraint, string wildcard, bool may, bool always)
    {
        Assert.True(NameConstraintChecker.IsWildcard(Bytes(wildcard)));
        Assert.Equal(may, NameConstraintChecker.WildcardMayMatch(Bytes(constraint), Bytes(wildcard)));
        Assert.Equal(always, NameConstraintChecker.WildcardAlwaysMatches(Bytes(constraint), Bytes(wildcard)));
    }

    [Theory]
    [InlineData("*", false)]
    [InlineData("*.", false)]
    [InlineData("*.com", true)]
    [InlineData("f*.example.com", false)]
    [InlineData("a.*.example.com", false)]
    public void What_counts_as_a_wildcard(string name, bool wildcard) => Assert.Equal(wildcard, NameConstraintChecker.IsWildcard(Bytes(name)));

    public static TheoryData<string> Profiles() => [.. ValidationProfile.All.Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Wildcard_leaf_under_an_excluded_subtree_fails_in_every_profile(string profileName)
    {
        Assert.True(ValidationProfile.TryGet(profileName, out var profile));
        var chain = TestChains.Create(new ChainSpec { LeafDns = ["*.example.com", "example.com"], ExcludedDns = ["bad.example.com"] });
        var report = new ChainValidator(TestChains.Store(chain)).Explain(chain.Presented, TestChains.Request(profile, "bad.example.com"));
        Assert.False(report.Verdict.IsCompliant);
        Assert.True((report.Verdict.Reasons & VerdictReasons.InvalidChain) != 0);
        var f = Assert.Single(report.Findings, f => f.Code == "chain.name-constraints");
        Assert.Equal(("R-C3", 1), (f.Rule, f.Depth));
        Assert.Equal("the wildcard *.example.com of certificate 0 can match names in the excluded subtree bad.example.com of certificate 1", f.Message);
        Assert.False(new ChainValidator(TestChains.Store(chain)).Evaluate(chain.Presented, TestChains.Request(profile, "bad.example.com")).IsCompliant);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Wildcard_leaf_under_a_narrower_permitted_subtree_fails_in_every_profile(string profileName)
    {
        Assert.True(ValidationProfile.TryGet(profileName, out var profile));
        var wild = TestChains.Create(new ChainSpec { LeafDns = ["*.example.com"], PermittedDns = ["mail.example.com"] });
        var r2 = new ChainValidator(TestChains.Store(wild)).Explain(wild.Presented, TestChains.Request(profile, "mail.example.com"));
        var f2 = Assert.Single(r2.Findings, f => f.Code == "chain.name-constraints");
        Assert.StartsWith("the wildcard *.example.com of certificate 0 can match names outside every permitted subtree of certificate 1", f2.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Wildcard_inside_the_permitted_subtree_and_clear_of_the_excluded_one_passes_the_constraints(string profileName)
    {
        Assert.True(ValidationProfile.TryGet(profileName, out var profile));

        // x.bad.example.com lies two labels below example.com: *.example.com cannot match it.
        var chain = TestChains.Create(new ChainSpec { LeafDns = ["*.example.com", "example.com"], PermittedDns = ["example.com"], ExcludedDns = ["x.bad.example.com", ".bad.example.com"] });
        var report = new ChainValidator(TestChains.Store(chain)).Explain(chain.Presented, TestChains.Request(profile, "mail.example.com"));
        Assert.DoesNotContain(report.Findings, f => f.Code.StartsWith("chain.name-constraints", StringComparison.Ordinal));
        Assert.True((report.Verdict.Reasons & VerdictReasons.InvalidChain) == 0, string.Join("; ", report.Findings.Select(f => f.Code + " " + f.Message)));
    }

    [Fact]
    public void Common_name_wildcard_without_dns_san_is_judged_as_a_wildcard()
    {
        var chain = TestChains.Create(new ChainSpec { LeafName = "CN=*.example.com,O=Example GmbH,C=DE", LeafDns = [], ExcludedDns = ["bad.example.com"] });
        var report = new ChainValidator(TestChains.Store(chain)).Explain(chain.Presented, TestChains.Request(ValidationProfile.PostfixSecure, "mail.example.com"));
        var f = Assert.Single(report.Findings, f => f.Code == "chain.name-constraints");
        Assert.Equal("the wildcard *.example.com of certificate 0 can match names in the excluded subtree bad.example.com of certificate 1", f.Message);

        var fine = TestChains.Create(new ChainSpec { LeafName = "CN=*.example.com,O=Example GmbH,C=DE", LeafDns = [], ExcludedDns = ["x.bad.example.com"] });
        var ok = new ChainValidator(TestChains.Store(fine)).Explain(fine.Presented, TestChains.Request(ValidationProfile.PostfixSecure, "mail.example.com"));
        Assert.DoesNotContain(ok.Findings, f => f.Code == "chain.name-constraints");
    }

    // The real peer: OpenSSL 3.0 compares the wildcard literally and accepts the chain (openssl#30706); we refuse it on purpose.
    [Fact]
    public void Openssl_accepts_what_we_refuse()
    {
        var openssl = Support.Tool.Require("openssl", "openssl");
        var chain = TestChains.Create(new ChainSpec { LeafDns = ["*.example.com"], ExcludedDns = ["bad.example.com"] });
        var dir = Directory.CreateTempSubdirectory("nc-wild-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "root.pem"), chain.RootPem);
            File.WriteAllText(Path.Combine(dir.FullName, "int.pem"), PemEncoding.WriteString("CERTIFICATE", chain.Intermediate));
            File.WriteAllText(Path.Combine(dir.FullName, "leaf.pem"), PemEncoding.WriteString("CERTIFICATE", chain.Leaf));
            var (code, stdout, stderr) = Support.Tool.Run(openssl, ["verify", "-attime", TestChains.At.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "-CAfile", Path.Combine(dir.FullName, "root.pem"), "-untrusted", Path.Combine(dir.FullName, "int.pem"), "-verify_hostname", "bad.example.com", Path.Combine(dir.FullName, "leaf.pem")]);
            Assert.True(code == 0, stdout + stderr);
            Assert.False(new ChainValidator(TestChains.Store(chain)).Evaluate(chain.Presented, TestChains.Request(ValidationProfile.PostfixSecure, "bad.example.com")).IsCompliant);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(400).WithReplay(20261204UL, 41UL);

    /// <summary>
    /// For random constraint sets and names over a small alphabet, the checker's decision equals a brute-force expansion: every
    /// concrete name a wildcard can match, with the wildcard label ranging over every label of the constraints, the alphabet, and one
    /// fresh label, judged by a plain RFC 5280 subtree match written here.
    /// </summary>
    [Fact]
    public void Decision_equals_brute_force_expansion()
    {
        var label = Gen.Elements("a", "b", "B", "*");
        var name = from first in Gen.Elements("*", "*", "a", "B")
                   from n in Gen.Choose(0, 2)
                   from labels in Gen.ArrayOf(label, n)
                   select string.Join('.', labels.Prepend(first));
        var constraint = from dot in Gen.Elements(false, false, true)
                         from n in Gen.Choose(0, 3)
                         from labels in Gen.ArrayOf(Gen.Elements("a", "b", "A", "*"), n)
                         select (dot ? "." : string.Empty) + string.Join('.', labels);
        // Constraints are random, or derived from a generated name's tail (X.S, .S, S, *.S, a.X.S), where wildcards decide.
        Gen<string[]?> Constraints(string[] names)
        {
            var tails = names.Where(x => x.Contains('.', StringComparison.Ordinal)).Select(x => x[(x.IndexOf('.', StringComparison.Ordinal) + 1)..]).ToArray();
            var derived = tails.Length == 0 ? constraint
                : from tail in Gen.Elements(tails)
                  from form in Gen.Elements("a.", "b.", ".", string.Empty, "*.", "a.b.", ".a.")
                  select form + tail;
            var one = Gen.Frequency((1, constraint), (2, derived));
            return Gen.OneOf(Gen.Constant<string[]?>(null), from k in Gen.Choose(0, 2) from cs in Gen.ArrayOf(one, k) select (string[]?)cs);
        }

        var gen = from k in Gen.Choose(1, 2)
                  from names in Gen.ArrayOf(name, k)
                  from permitted in Constraints(names)
                  from excluded in Constraints(names)
                  select (permitted, excluded, names);
        int violated = 0, ok = 0, wildcardDecided = 0;
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            if (t.permitted is null && t.excluded is null)
            {
                return;
            }

            var ca = Ca(t.permitted, t.excluded);
            Assert.True(CertificateView.TryParse(ca, out var caView, out _));
            var leaf = Leaf(t.names);
            var names = new PresentedName[CertificateNames.MaxNames];
            int n = CertificateNames.Read(leaf, names);
            Assert.Equal(t.names.Length + 1, n); // the SANs and the CN
            var budget = Budget.Default;
            var actual = NameConstraintChecker.Check(caView, leaf, names.AsSpan(0, n), isLeaf: true, ref budget);
            bool expected = BruteForceAllowed(t.permitted, t.excluded, t.names);
            Assert.True(actual is NameConstraintResult.Ok or NameConstraintResult.Violated, actual.ToString());
            Assert.True(expected == (actual == NameConstraintResult.Ok), $"permitted [{Show(t.permitted)}] excluded [{Show(t.excluded)}] names [{string.Join(", ", t.names)}]: brute force {(expected ? "allows" : "refuses")}, checker {actual}");
            (expected ? ref ok : ref violated)++;
            if (t.names.Any(x => x.StartsWith("*.", StringComparison.Ordinal)) && expected != BruteForceAllowed(t.permitted, t.excluded, t.names, literalWildcards: true))
            {
                wildcardDecided++;
            }
        }).Check(Fixed);

        // Not vacuous: both outcomes occur, and some cases are decided only by reading wildcards as wildcards.
        Assert.True(ok > 20 && violated > 20 && wildcardDecided > 8, $"ok {ok}, violated {violated}, wildcard-decided {wildcardDecided}");
    }

    private static string Show(string[]? cs) => cs is null ? "absent" : string.Join(", ", cs.Select(c => "\"" + c + "\""));

    private static bool BruteForceAllowed(string[]? permitted, string[]? excluded, string[] names, bool literalWildcards = false)
    {
        var alphabet = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a", "b", "*", "fresh0" };
        foreach (var c in (permitted ?? []).Concat(excluded ?? []))
        {
            foreach (var l in c.Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                alphabet.Add(l);
            }
        }

        foreach (var nm in names)
        {
            var expansions = !literalWildcards && nm.StartsWith("*.", StringComparison.Ordinal) ? alphabet.Select(l => l + nm[1..]).ToList() : [nm];
            if (excluded is not null && expansions.Any(e => excluded.Any(c => InSubtree(c, e))))
            {
                return false;
            }

            if (permitted is { Length: > 0 } && !expansions.All(e => permitted.Any(c => InSubtree(c, e))))
            {
                return false;
            }
        }

        return true;
    }

    // RFC 5280 4.2.1.10 dNSName, with Go's reading of a leading dot (only proper subdomains); empty = every name.
    private static bool InSubtree(string constraint, string name)
    {
        if (constraint.Length == 0)
        {
            return true;
        }

        if (constraint[0] == '.')
        {
            return name.Length > constraint.Length && name.EndsWith(constraint, StringComparison.OrdinalIgnoreCase);
        }

        return name.Equals(constraint, StringComparison.OrdinalIgnoreCase) || name.EndsWith("." + constraint, StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] Bytes(string s) => System.Text.Encoding.ASCII.GetBytes(s);

    private static readonly Lazy<ECDsa> Key = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));

    private static byte[] Ca(string[]? permitted, string[]? excluded)
    {
        var req = new CertificateRequest("CN=Constraining CA", Key.Value, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            Subtrees(w, 0, permitted);
            Subtrees(w, 1, excluded);
        }

        req.CertificateExtensions.Add(new X509Extension("2.5.29.30", w.Encode(), critical: true));
        using var c = req.CreateSelfSigned(TestChains.At.AddDays(-1), TestChains.At.AddDays(1));
        return c.RawData;
    }

    // SubjectAlternativeNameBuilder maps names through IDNA; the SANs here are written raw (IA5String [2]).
    private static byte[] Leaf(string[] names)
    {
        var req = new CertificateRequest("CN=leaf.a", Key.Value, HashAlgorithmName.SHA256);
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var n in names)
            {
                w.WriteCharacterString(UniversalTagNumber.IA5String, n, new Asn1Tag(TagClass.ContextSpecific, 2));
            }
        }

        req.CertificateExtensions.Add(new X509Extension("2.5.29.17", w.Encode(), critical: false));
        using var c = req.CreateSelfSigned(TestChains.At.AddDays(-1), TestChains.At.AddDays(1));
        return c.RawData;
    }

    private static void Subtrees(AsnWriter w, int tag, string[]? names)
    {
        if (names is null)
        {
            return;
        }

        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag, true)))
        {
            foreach (var n in names)
            {
                using (w.PushSequence())
                {
                    w.WriteCharacterString(UniversalTagNumber.IA5String, n, new Asn1Tag(TagClass.ContextSpecific, 2));
                }
            }
        }
    }
}
