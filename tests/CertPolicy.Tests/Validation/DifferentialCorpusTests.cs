using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Support;
using CertPolicy.Validation;
using Org.BouncyCastle.Pkix;
using Xunit.Abstractions;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcParser = Org.BouncyCastle.X509.X509CertificateParser;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// Issue 4 differential corpus: at least 200 generated chains (fixed seed; key types and sizes, chain lengths 0..3
/// intermediates, basicConstraints and path lengths, key usage and EKU, name constraints, certificate policies,
/// validity windows, names) through our validator (postfix-secure: the chain verdict only), .NET <c>X509Chain</c>
/// (custom root trust, no downloads, no revocation, serverAuth), BouncyCastle's <c>PkixCertPathValidator</c>
/// (revocation disabled, the presented order as the path) and real <c>openssl verify -purpose sslserver</c> (one
/// process per chain). Every divergence must match an entry of <see cref="Exceptions"/> (peer, feature, both
/// answers, reason); an unexpected divergence fails, and so does an entry that no case needs.
/// </summary>
public sealed class DifferentialCorpusTests(ITestOutputHelper output)
{
    private const VerdictReasons ChainReasons = VerdictReasons.UntrustedChain | VerdictReasons.InvalidChain | VerdictReasons.Expired | VerdictReasons.BudgetExceeded | VerdictReasons.MalformedInput;
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private static readonly DateTimeOffset At = TestChains.At;

    /// <summary>An explained divergence: when a case has <paramref name="Feature"/>, <paramref name="Peer"/> may answer <paramref name="Theirs"/> where we answer <paramref name="Ours"/>.</summary>
    internal sealed record Divergence(string Peer, string Feature, bool Ours, bool Theirs, string Reason);

    internal static readonly Divergence[] Exceptions =
    [
        new("BouncyCastle", "leaf-eku-clientauth", false, true,
            "RFC 5280 6.1 has no purpose check: BouncyCastle's PKIX validator ignores EKU unless a PkixCertPathChecker is added; we, OpenSSL (-purpose sslserver) and X509Chain (ApplicationPolicy) require serverAuth (RFC 5280 4.2.1.12, CA/B BR 7.1.2.7.10)"),
        new("BouncyCastle", "leaf-eku-any", false, true,
            "BouncyCastle does not check EKU (see leaf-eku-clientauth); we refuse anyExtendedKeyUsage in a leaf as webpki does (CA/B BR 7.1.2.7.10)"),
        new("BouncyCastle", "bottom-eku-email", false, true,
            "EKU chaining on CA certificates is not in RFC 5280; BouncyCastle's PKIX validator ignores it, OpenSSL, X509Chain, webpki and we refuse a CA whose EKU excludes serverAuth"),
        new("BouncyCastle", "bottom-eku-any", false, true,
            "BouncyCastle ignores CA EKU (not in RFC 5280); OpenSSL, X509Chain and we refuse a CA whose EKU is only anyExtendedKeyUsage (Go accepts it)"),
        new("BouncyCastle", "leaf-ku-crlsign", false, true,
            "RFC 5280 4.2.1.3: a TLS server key needs digitalSignature, keyEncipherment or keyAgreement; BouncyCastle's PKIX validator checks keyUsage only on CA certificates (no purpose), OpenSSL's sslserver purpose refuses it as we do"),
        new("X509Chain", "leaf-ku-crlsign", false, true,
            "X509Chain on Linux checks EKU (ApplicationPolicy) but not the leaf's keyUsage for TLS server use; OpenSSL's sslserver purpose and we refuse a leaf whose keyUsage allows no TLS server use (RFC 5280 4.2.1.3)"),
        new("BouncyCastle", "leaf-cn-only", false, true,
            "with no SAN, we apply dNSName constraints to the CN (the name check falls back to it, R-C2), and so do OpenSSL (host-like CNs) and X509Chain here; BouncyCastle applies dNSName constraints to dNSName SANs only (RFC 5280 4.2.1.10 letter)"),
        new("BouncyCastle", "root-expired", false, true,
            "RFC 5280 6.1.1 (d): the trust anchor is an input, its validity is not part of path validation, so BouncyCastle does not check it; OpenSSL, X509Chain and we refuse an expired anchor (docs/validation.md 'Anchors')"),
        new("BouncyCastle", "root-pathlen-0", false, true,
            "RFC 5280 6.1.1 (d): the anchor's own basicConstraints (pathLenConstraint) are not processed; BouncyCastle follows the letter, OpenSSL, X509Chain and we apply the anchor's pathLenConstraint"),
    ];

    internal sealed record Case(string Name, CorpusSpec Spec, bool Omit, IReadOnlyList<string> Features);

    private sealed record Feature(string Name, string Group, Func<CorpusSpec, CorpusSpec> Apply, bool Omit = false);

    private static readonly Feature[] Features =
    [
        new("root-rsa3072", "root-key", s => s with { RootKey = "rsa3072" }),
        new("root-ec256", "root-key", s => s with { RootKey = "ec256" }),
        new("root-ec384", "root-key", s => s with { RootKey = "ec384" }),
        new("len-0", "length", s => s with { Intermediates = 0 }),
        new("len-2", "length", s => s with { Intermediates = 2 }),
        new("len-3", "length", s => s with { Intermediates = 3 }),
        new("int-ec256", "int-key", s => s with { IntermediateKey = "ec256" }),
        new("int-ec384", "int-key", s => s with { IntermediateKey = "ec384" }),
        new("leaf-rsa1024", "leaf-key", s => s with { LeafKey = "rsa1024" }),
        new("leaf-rsa2048", "leaf-key", s => s with { LeafKey = "rsa2048" }),
        new("leaf-rsa3072", "leaf-key", s => s with { LeafKey = "rsa3072" }),
        new("leaf-ec384", "leaf-key", s => s with { LeafKey = "ec384" }),
        new("leaf-sha384", "hash", s => s with { LeafHash = HashAlgorithmName.SHA384 }),
        new("leaf-sha1", "hash", s => s with { LeafHash = HashAlgorithmName.SHA1 }),
        new("top-pathlen-0", "pathlen", s => s with { TopPathLength = 0 }),
        new("top-pathlen-1", "pathlen", s => s with { TopPathLength = 1 }),
        new("root-pathlen-0", "pathlen", s => s with { RootPathLength = 0 }),
        new("bottom-not-ca", "ca", s => s with { BottomIsCa = false }),
        new("bottom-no-keycertsign", "ca-ku", s => s with { BottomKeyCertSign = false }),
        new("bottom-eku-email", "ca-eku", s => s with { BottomEku = ["1.3.6.1.5.5.7.3.4"] }),
        new("bottom-eku-server", "ca-eku", s => s with { BottomEku = [ServerAuth] }),
        new("bottom-eku-any", "ca-eku", s => s with { BottomEku = ["2.5.29.37.0"] }),
        new("leaf-ku-ds", "leaf-ku", s => s with { LeafKeyUsage = X509KeyUsageFlags.DigitalSignature }),
        new("leaf-ku-ke", "leaf-ku", s => s with { LeafKeyUsage = X509KeyUsageFlags.KeyEncipherment }),
        new("leaf-ku-crlsign", "leaf-ku", s => s with { LeafKeyUsage = X509KeyUsageFlags.CrlSign }),
        new("leaf-eku-clientauth", "leaf-eku", s => s with { LeafEku = ["1.3.6.1.5.5.7.3.2"] }),
        new("leaf-no-eku", "leaf-eku", s => s with { LeafEku = null }),
        new("leaf-eku-both", "leaf-eku", s => s with { LeafEku = [ServerAuth, "1.3.6.1.5.5.7.3.2"] }),
        new("leaf-eku-any", "leaf-eku", s => s with { LeafEku = ["2.5.29.37.0"] }),
        new("nc-permitted-match", "nc", s => s with { PermittedDns = ["example.com"] }),
        new("nc-permitted-mismatch", "nc", s => s with { PermittedDns = ["example.net"] }),
        new("nc-excluded", "nc", s => s with { ExcludedDns = ["mail.example.com"] }),
        new("nc-permitted-dot", "nc", s => s with { PermittedDns = [".example.com"] }),
        new("leaf-no-policy", "policy", s => s with { LeafPolicies = [] }),
        new("leaf-ev-policy", "policy", s => s with { LeafPolicies = [TestOids.Ev] }),
        new("int-no-policy", "policy", s => s with { IntermediatePolicies = null }),
        new("int-ov-policy", "policy", s => s with { IntermediatePolicies = [TestOids.Ov] }),
        new("leaf-expired", "validity", s => s with { LeafNotAfter = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero) }),
        new("leaf-not-yet-valid", "validity", s => s with { LeafNotBefore = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero) }),
        new("int-expired", "validity", s => s with { IntermediateNotAfter = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) }),
        new("root-expired", "validity", s => s with { RootNotAfter = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) }),
        new("leaf-cn-only", "names", s => s with { LeafDns = [] }),
        new("leaf-san-other-domain", "names", s => s with { LeafDns = ["mx.example.org"] }),
        new("leaf-no-org", "names", s => s with { LeafSubject = "CN=mail.example.com" }),
        new("leaf-unknown-critical", "critical", s => s with { LeafUnknownCritical = true }),
        new("missing-intermediate", "missing", s => s, Omit: true),
    ];

    /// <summary>224 chains from a fixed seed (0 to 3 features from distinct groups), then every feature alone.</summary>
    internal static List<Case> Cases()
    {
        var rng = new Random(4_2026_1128);
        var list = new List<Case>();
        for (int i = 0; i < 224; i++)
        {
            var spec = new CorpusSpec();
            var names = new List<string>();
            var groups = new HashSet<string>();
            bool omit = false;
            int n = rng.Next(4);
            for (int k = 0; k < n; k++)
            {
                var f = Features[rng.Next(Features.Length)];
                if (!groups.Add(f.Group))
                {
                    continue;
                }

                spec = f.Apply(spec);
                omit |= f.Omit;
                names.Add(f.Name);
            }

            list.Add(new Case("corpus-" + i.ToString("000", CultureInfo.InvariantCulture) + " [" + string.Join(",", names) + "]", spec, omit, names));
        }

        foreach (var f in Features)
        {
            list.Add(new Case("single [" + f.Name + "]", f.Apply(new CorpusSpec()), f.Omit, [f.Name]));
        }

        return list;
    }

    private static IReadOnlyList<ReadOnlyMemory<byte>> Presented(CorpusChain c, bool omit)
    {
        var list = new List<ReadOnlyMemory<byte>> { c.Leaf };
        if (!omit)
        {
            foreach (var i in c.Intermediates)
            {
                list.Add(i);
            }
        }

        return list;
    }

    private static bool Ours(CorpusChain c, bool omit)
    {
        // The anchor binds the EV OID, so leaf-ev-policy cases reach EV or an EV finding under the stricter profiles.
        var validator = new ChainValidator(TestChains.Store(c.Root, [TestOids.Ev], null));
        var presented = Presented(c, omit);

        // The verdict path (no report) must decide exactly as the report path, under every profile.
        foreach (var profile in new[] { ValidationProfile.Partner2026, ValidationProfile.Document2019 })
        {
            var r = TestChains.Request(profile);
            Assert.Equal(validator.Explain(presented, r).Verdict, validator.Evaluate(presented, r));
        }

        var request = TestChains.Request(ValidationProfile.PostfixSecure);
        var report = validator.Explain(presented, request);
        Assert.Equal(report.Verdict, validator.Evaluate(presented, request));
        return (report.Verdict.Reasons & ChainReasons) == 0;
    }

    private static bool DotNet(CorpusChain c, bool omit)
    {
        using var root = X509CertificateLoader.LoadCertificate(c.Root);
        using var leaf = X509CertificateLoader.LoadCertificate(c.Leaf);
        using var x = new X509Chain();
        var extra = new List<X509Certificate2>();
        try
        {
            x.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            x.ChainPolicy.CustomTrustStore.Add(root);
            if (!omit)
            {
                foreach (var i in c.Intermediates)
                {
                    var cert = X509CertificateLoader.LoadCertificate(i);
                    extra.Add(cert);
                    x.ChainPolicy.ExtraStore.Add(cert);
                }
            }

            x.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            x.ChainPolicy.DisableCertificateDownloads = true;
            x.ChainPolicy.VerificationTime = At.UtcDateTime;
            x.ChainPolicy.VerificationTimeIgnored = false;
            x.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuth));
            return x.Build(leaf);
        }
        finally
        {
            foreach (var e in extra)
            {
                e.Dispose();
            }
        }
    }

    private static bool Bouncy(CorpusChain c, bool omit)
    {
        var parser = new BcParser();
        var path = new List<BcCertificate> { parser.ReadCertificate(c.Leaf) };
        if (!omit)
        {
            foreach (var i in c.Intermediates)
            {
                path.Add(parser.ReadCertificate(i));
            }
        }

        var anchors = new HashSet<TrustAnchor> { new(parser.ReadCertificate(c.Root), null) };
        var parameters = new PkixParameters(anchors) { IsRevocationEnabled = false, Date = At.UtcDateTime };
        try
        {
            new PkixCertPathValidator().Validate(new PkixCertPath(path), parameters);
            return true;
        }
        catch (PkixCertPathValidatorException)
        {
            return false;
        }
    }

    private static bool OpenSsl(string openssl, CorpusChain c, bool omit, TempDir dir, int n)
    {
        var root = dir.File("root" + n + ".pem", TestCertificates.ToPem(c.Root));
        var leaf = dir.File("leaf" + n + ".pem", TestCertificates.ToPem(c.Leaf));
        var args = new List<string> { "verify", "-CAfile", root, "-purpose", "sslserver", "-attime", At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
        if (!omit && c.Intermediates.Length > 0)
        {
            var pem = string.Empty;
            foreach (var i in c.Intermediates)
            {
                pem += TestCertificates.ToPem(i);
            }

            args.AddRange(["-untrusted", dir.File("int" + n + ".pem", pem)]);
        }

        args.Add(leaf);
        var (exit, _, _) = Tool.Run(openssl, args);
        return exit == 0;
    }

    [Fact]
    public void Corpus_of_at_least_200_chains_agrees_with_X509Chain_BouncyCastle_and_openssl_or_is_listed()
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDir();
        var cases = Cases();
        Assert.True(cases.Count >= 200, "the corpus has " + cases.Count + " chains");
        var unexplained = new List<string>();
        var used = new HashSet<Divergence>();
        int n = 0, passes = 0, divergences = 0;
        foreach (var c in cases)
        {
            var chain = CorpusChains.Create(c.Spec);
            bool ours = Ours(chain, c.Omit);
            passes += ours ? 1 : 0;
            var peers = new[]
            {
                ("X509Chain", DotNet(chain, c.Omit)),
                ("BouncyCastle", Bouncy(chain, c.Omit)),
                ("openssl", OpenSsl(openssl, chain, c.Omit, dir, n)),
            };
            output.WriteLine(c.Name + ": ours " + Word(ours) + ", X509Chain " + Word(peers[0].Item2) + ", BouncyCastle " + Word(peers[1].Item2) + ", openssl " + Word(peers[2].Item2));
            foreach (var (peer, theirs) in peers)
            {
                if (ours == theirs)
                {
                    continue;
                }

                divergences++;
                Divergence? hit = null;
                foreach (var e in Exceptions)
                {
                    if (e.Peer == peer && e.Ours == ours && e.Theirs == theirs && c.Features.Contains(e.Feature))
                    {
                        hit = e;
                        used.Add(e);
                    }
                }

                if (hit is null)
                {
                    unexplained.Add(c.Name + ": ours " + Word(ours) + ", " + peer + " " + Word(theirs));
                }
            }

            n++;
        }

        output.WriteLine(cases.Count + " chains, " + passes + " valid by us, " + divergences + " explained or unexplained divergences");
        Assert.True(unexplained.Count == 0, "unexplained divergences:\n" + string.Join("\n", unexplained));
        foreach (var e in Exceptions)
        {
            Assert.True(used.Contains(e), "listed divergence did not occur: " + e.Peer + " / " + e.Feature);
        }

        // The corpus must exercise both outcomes in quantity.
        Assert.InRange(passes, 40, cases.Count - 40);
    }

    private static string Word(bool ok) => ok ? "pass" : "fail";
}
