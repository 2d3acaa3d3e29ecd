using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Support;
using CertPolicy.Validation;
using Xunit.Abstractions;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// The same generated chains through our validator (postfix-secure: chain only), .NET's X509Chain (custom root trust,
/// no downloads, no revocation, serverAuth policy) and real <c>openssl verify -purpose sslserver</c>. Only the
/// chain verdict is compared (names are matched in every case). Every divergence must be in <see cref="Exceptions"/>
/// with its reason; a listed divergence that does not happen fails too.
/// </summary>
public sealed class DifferentialTests(ITestOutputHelper output)
{
    private const VerdictReasons ChainReasons = VerdictReasons.UntrustedChain | VerdictReasons.InvalidChain | VerdictReasons.Expired | VerdictReasons.BudgetExceeded | VerdictReasons.MalformedInput;

    /// <summary>Divergences by (peer, feature of the case), each with the reason.</summary>
    private static readonly Dictionary<(string Peer, string Feature), string> Exceptions = new()
    {
    };

    internal sealed record Case(string Name, ChainSpec Spec, bool OmitIntermediate, IReadOnlyList<string> Features);

    /// <summary>64 chains from a fixed seed: every dimension varied, mostly one or two at a time.</summary>
    internal static List<Case> Cases()
    {
        var rng = new Random(20261128);
        var list = new List<Case>();
        for (int i = 0; i < 64; i++)
        {
            var s = new ChainSpec();
            var features = new List<string>();
            bool omit = false;
            int changes = i == 0 ? 0 : 1 + (rng.Next(3) == 0 ? 1 : 0);
            for (int k = 0; k < changes; k++)
            {
                switch (rng.Next(14))
                {
                    case 0: s = s with { LeafKey = "rsa1024" }; features.Add("leaf-rsa1024"); break;
                    case 1: s = s with { LeafKey = "rsa2048" }; features.Add("leaf-rsa2048"); break;
                    case 2: s = s with { LeafKey = "ec384" }; features.Add("leaf-ec384"); break;
                    case 3: s = s with { LeafHash = HashAlgorithmName.SHA1 }; features.Add("leaf-sha1"); break;
                    case 4: s = s with { LeafNotBefore = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), LeafNotAfter = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero) }; features.Add("leaf-expired"); break;
                    case 5: s = s with { LeafNotBefore = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero) }; features.Add("leaf-not-yet-valid"); break;
                    case 6: s = s with { IntermediateNotAfter = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) }; features.Add("intermediate-expired"); break;
                    case 7: s = s with { IntermediateIsCa = false }; features.Add("intermediate-not-ca"); break;
                    case 8: s = s with { IntermediateKeyCertSign = false }; features.Add("intermediate-no-keycertsign"); break;
                    case 9:
                        var eku = rng.Next(3);
                        s = s with { LeafEku = eku == 0 ? ["1.3.6.1.5.5.7.3.2"] : eku == 1 ? null : ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"] };
                        features.Add(eku == 0 ? "leaf-eku-clientauth" : eku == 1 ? "leaf-no-eku" : "leaf-eku-both");
                        break;
                    case 10:
                        var ieku = rng.Next(2);
                        s = s with { IntermediateEku = ieku == 0 ? ["1.3.6.1.5.5.7.3.4"] : ["1.3.6.1.5.5.7.3.1"] };
                        features.Add(ieku == 0 ? "intermediate-eku-email" : "intermediate-eku-server");
                        break;
                    case 11:
                        var nc = rng.Next(3);
                        s = nc switch
                        {
                            0 => s with { PermittedDns = ["example.com"] },
                            1 => s with { PermittedDns = ["example.net"] },
                            _ => s with { ExcludedDns = ["mail.example.com"] },
                        };
                        features.Add(nc switch { 0 => "nc-permitted-match", 1 => "nc-permitted-mismatch", _ => "nc-excluded" });
                        break;
                    case 12: s = s with { LeafUnknownCritical = true }; features.Add("leaf-unknown-critical"); break;
                    default: omit = true; features.Add("missing-intermediate"); break;
                }
            }

            list.Add(new Case("case-" + i.ToString("00", CultureInfo.InvariantCulture) + " [" + string.Join(",", features) + "]", s, omit, features));
        }

        // Then every feature alone, so that none is left to the seed's luck, plus forms where peers are known to differ.
        var single = new (string Feature, ChainSpec Spec, bool Omit)[]
        {
            ("leaf-rsa1024", new ChainSpec { LeafKey = "rsa1024" }, false),
            ("leaf-sha1", new ChainSpec { LeafHash = HashAlgorithmName.SHA1 }, false),
            ("leaf-expired", new ChainSpec { LeafNotAfter = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero) }, false),
            ("leaf-not-yet-valid", new ChainSpec { LeafNotBefore = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero) }, false),
            ("intermediate-expired", new ChainSpec { IntermediateNotAfter = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) }, false),
            ("intermediate-not-ca", new ChainSpec { IntermediateIsCa = false }, false),
            ("intermediate-no-keycertsign", new ChainSpec { IntermediateKeyCertSign = false }, false),
            ("leaf-eku-clientauth", new ChainSpec { LeafEku = ["1.3.6.1.5.5.7.3.2"] }, false),
            ("leaf-no-eku", new ChainSpec { LeafEku = null }, false),
            ("leaf-eku-any", new ChainSpec { LeafEku = ["2.5.29.37.0"] }, false),
            ("intermediate-eku-email", new ChainSpec { IntermediateEku = ["1.3.6.1.5.5.7.3.4"] }, false),
            ("intermediate-eku-any", new ChainSpec { IntermediateEku = ["2.5.29.37.0"] }, false),
            ("nc-permitted-match", new ChainSpec { PermittedDns = ["example.com"] }, false),
            ("nc-permitted-mismatch", new ChainSpec { PermittedDns = ["example.net"] }, false),
            ("nc-excluded", new ChainSpec { ExcludedDns = ["mail.example.com"] }, false),
            ("nc-permitted-dot", new ChainSpec { PermittedDns = [".example.com"] }, false),
            ("leaf-unknown-critical", new ChainSpec { LeafUnknownCritical = true }, false),
            ("intermediate-pathlen-0", new ChainSpec { IntermediatePathLength = 0 }, false),
            ("missing-intermediate", new ChainSpec(), true),
        };
        foreach (var (feature, spec, omit) in single)
        {
            list.Add(new Case("single [" + feature + "]", spec, omit, [feature]));
        }

        return list;
    }

    private static bool Ours(TestChain chain, bool omit)
    {
        var validator = new ChainValidator(TestChains.Store(chain));
        IReadOnlyList<ReadOnlyMemory<byte>> presented = omit ? [chain.Leaf] : chain.Presented;
        var report = validator.Explain(presented, TestChains.Request(ValidationProfile.PostfixSecure));
        return (report.Verdict.Reasons & ChainReasons) == 0;
    }

    private static bool DotNet(TestChain chain, bool omit)
    {
        using var root = X509CertificateLoader.LoadCertificate(chain.Root);
        using var intermediate = X509CertificateLoader.LoadCertificate(chain.Intermediate);
        using var leaf = X509CertificateLoader.LoadCertificate(chain.Leaf);
        using var x = new X509Chain();
        x.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x.ChainPolicy.CustomTrustStore.Add(root);
        if (!omit)
        {
            x.ChainPolicy.ExtraStore.Add(intermediate);
        }

        x.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x.ChainPolicy.DisableCertificateDownloads = true;
        x.ChainPolicy.VerificationTime = TestChains.At.UtcDateTime;
        x.ChainPolicy.VerificationTimeIgnored = false;
        x.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        return x.Build(leaf);
    }

    private static bool OpenSsl(string openssl, TestChain chain, bool omit, TempDir dir, int i)
    {
        var root = dir.File("root" + i + ".pem", chain.RootPem);
        var inter = dir.File("int" + i + ".pem", TestCertificates.ToPem(chain.Intermediate));
        var leaf = dir.File("leaf" + i + ".pem", TestCertificates.ToPem(chain.Leaf));
        var args = new List<string> { "verify", "-CAfile", root, "-purpose", "sslserver", "-attime", TestChains.At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
        if (!omit)
        {
            args.AddRange(["-untrusted", inter]);
        }

        args.Add(leaf);
        var (exit, _, _) = Tool.Run(openssl, args);
        return exit == 0;
    }

    [Fact]
    public void Generated_chains_agree_with_X509Chain_and_openssl_verify_or_are_listed()
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDir();
        var cases = Cases();
        Assert.True(cases.Count >= 50);
        var unexplained = new List<string>();
        var used = new HashSet<(string, string)>();
        int i = 0, disagreements = 0, passes = 0;
        foreach (var c in cases)
        {
            var chain = TestChains.Create(c.Spec);
            bool ours = Ours(chain, c.OmitIntermediate);
            passes += ours ? 1 : 0;
            var peers = new[] { ("X509Chain", DotNet(chain, c.OmitIntermediate)), ("openssl", OpenSsl(openssl, chain, c.OmitIntermediate, dir, i)) };
            output.WriteLine(c.Name + ": ours " + (ours ? "pass" : "fail") + ", X509Chain " + (peers[0].Item2 ? "pass" : "fail") + ", openssl " + (peers[1].Item2 ? "pass" : "fail"));
            foreach (var (peer, theirs) in peers)
            {
                if (ours == theirs)
                {
                    continue;
                }

                disagreements++;
                bool explained = false;
                foreach (var f in c.Features)
                {
                    if (Exceptions.ContainsKey((peer, f)))
                    {
                        used.Add((peer, f));
                        explained = true;
                    }
                }

                if (!explained)
                {
                    unexplained.Add(c.Name + ": ours " + (ours ? "pass" : "fail") + ", " + peer + " " + (theirs ? "pass" : "fail"));
                }
            }

            i++;
        }

        Assert.True(unexplained.Count == 0, "unexplained divergences:\n" + string.Join("\n", unexplained));
        foreach (var key in Exceptions.Keys)
        {
            Assert.True(used.Contains(key), "listed divergence did not occur: " + key);
        }

        // The table must exercise both outcomes.
        Assert.InRange(passes, 5, cases.Count - 5);
    }
}
