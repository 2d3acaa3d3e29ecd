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
/// Issue 4 differential corpus, with issue 12's second oracle: at least 300 generated chains (fixed seed; key types
/// and sizes, chain lengths 0..3 intermediates, basicConstraints and path lengths, key usage and EKU, name constraints,
/// wildcard SANs, key identifiers, certificate policies, validity windows, names) through our validator
/// (postfix-secure: the chain verdict only), .NET <c>X509Chain</c> (custom root trust, no downloads, no revocation,
/// serverAuth), BouncyCastle's <c>PkixCertPathValidator</c> (revocation disabled, the presented order as the path),
/// real <c>openssl verify -purpose sslserver</c> with and without <c>-x509_strict</c> (one process per chain and mode,
/// on every core) and Go's crypto/x509 (<c>tools/go-x509-oracle</c>, built offline with the system Go and run once
/// over a manifest of every chain). Every divergence must match an entry of <see cref="Exceptions"/> (peer, feature,
/// both answers, reason); an unexpected divergence fails, and so does an entry that no case needs.
/// </summary>
public sealed class DifferentialCorpusTests(ITestOutputHelper output)
{
    private const VerdictReasons ChainReasons = VerdictReasons.UntrustedChain | VerdictReasons.InvalidChain | VerdictReasons.Expired | VerdictReasons.BudgetExceeded | VerdictReasons.MalformedInput;
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private static readonly DateTimeOffset At = TestChains.At;

    /// <summary>An explained divergence: when a case has <paramref name="Feature"/>, <paramref name="Peer"/> may answer <paramref name="Theirs"/> where we answer <paramref name="Ours"/>.</summary>
    internal sealed record Divergence(string Peer, string Feature, bool Ours, bool Theirs, string Reason, bool AfterWildcardFix = false);

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

        // openssl verify -x509_strict (OpenSSL 3.0 check_chain with X509_V_FLAG_X509_STRICT) against postfix-secure:
        // postfix-secure mirrors Postfix, whose OpenSSL context does not set -x509_strict; these RFC 5280 MUSTs
        // on the issuing CA are R-C11 certificate-profile rules, applied by partner-2026 (CheckCertificateProfile).
        new("openssl-strict", "leaf-no-aki", true, false,
            "RFC 5280 4.2.1.1: authorityKeyIdentifier MUST be in every non-self-signed certificate; OpenSSL -x509_strict refuses its absence (X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER), non-strict OpenSSL (Postfix), X509Chain, BouncyCastle and Go accept; an R-C11 rule, not a postfix-secure one"),
        new("openssl-strict", "bottom-no-ski", true, false,
            "RFC 5280 4.2.1.2: subjectKeyIdentifier MUST be in a CA certificate; OpenSSL -x509_strict refuses its absence (X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER), the other peers accept; an R-C11 rule, not a postfix-secure one"),
        new("openssl-strict", "bottom-bc-not-critical", true, false,
            "RFC 5280 4.2.1.9: a CA MUST mark basicConstraints critical; OpenSSL -x509_strict refuses a non-critical one (X509_V_ERR_CA_BCONS_NOT_CRITICAL), the other peers accept; an R-C11 rule, not a postfix-secure one"),

        // Go crypto/x509 (Debian 12: Go 1.19) through tools/go-x509-oracle, KeyUsages serverAuth, no DNS name.
        new("Go", "leaf-eku-any", false, true,
            "Go's Verify lets anyExtendedKeyUsage in the leaf satisfy every requested usage (RFC 5280 4.2.1.12 allows it); we, OpenSSL and X509Chain refuse it for a TLS server (CA/B BR 7.1.2.7.10)"),
        new("Go", "bottom-eku-any", false, true,
            "Go accepts a CA whose EKU is only anyExtendedKeyUsage (its EKU chaining treats 'any' as every usage); OpenSSL, X509Chain and we refuse it (see DifferentialTests 'intermediate-eku-any')"),
        new("Go", "leaf-ku-crlsign", false, true,
            "Go's Verify does not check the leaf's keyUsage for any purpose (only a CA's keyCertSign, in CheckSignatureFrom); OpenSSL's sslserver purpose and we refuse a leaf whose keyUsage allows no TLS server use (RFC 5280 4.2.1.3)"),
        new("Go", "leaf-cn-only", false, true,
            "Go applies dNSName constraints to dNSName SANs only and ignores the CN (since Go 1.15); we, OpenSSL (host-like CNs) and X509Chain apply them to the CN of a leaf without SAN (R-C2 falls back to it as Postfix does)"),
        new("Go", "leaf-sha1", true, false,
            "Go 1.18 and later refuse SHA-1 signatures in certificates (GODEBUG x509sha1, removed in 1.24); postfix-secure mirrors OpenSSL 3.0 at Postfix's default security level 1, which accepts them, as X509Chain and BouncyCastle do; partner-2026 refuses SHA-1 (R-C10)"),

        // A wildcard SAN covering an excluded dNSName subtree: once our validator refuses it (the wildcard-vs-name-
        // constraint fix), every peer here still accepts. These entries must occur exactly when our verdict on the pair
        // is a refusal (checked below), so they are neither stale before the fix nor missing after it.
        new("Go", "leaf-wildcard+nc-excluded", false, true,
            "Go 1.19 lacks the CVE-2025-61727 fix (golang/go#76442, Go 1.24.11/1.25.5): an excluded subtree mail.example.com does not stop the SAN *.example.com, which covers it", AfterWildcardFix: true),
        new("openssl", "leaf-wildcard+nc-excluded", false, true,
            "OpenSSL 3.0 checks name constraints against the literal SAN *.example.com, which is not inside the excluded mail.example.com (openssl/openssl#30706 documents the bypass; a BoringSSL-style fix is pending)", AfterWildcardFix: true),
        new("openssl-strict", "leaf-wildcard+nc-excluded", false, true,
            "as openssl: -x509_strict does not change name-constraint matching (openssl/openssl#30706)", AfterWildcardFix: true),
        new("X509Chain", "leaf-wildcard+nc-excluded", false, true,
            "X509Chain on Linux validates with OpenSSL, so it inherits openssl/openssl#30706", AfterWildcardFix: true),
        new("BouncyCastle", "leaf-wildcard+nc-excluded", false, true,
            "BouncyCastle's PKIX name-constraint check compares the literal SAN *.example.com with the excluded subtree mail.example.com, as OpenSSL does", AfterWildcardFix: true),
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
        new("leaf-wildcard", "names", s => s with { LeafDns = ["*.example.com", "example.com"], LeafSubject = "CN=*.example.com,O=Example GmbH,C=DE" }),
        new("leaf-unknown-critical", "critical", s => s with { LeafUnknownCritical = true }),
        new("leaf-no-aki", "keyid", s => s with { LeafAki = false }),
        new("bottom-no-ski", "keyid", s => s with { BottomSki = false }),
        new("bottom-bc-not-critical", "ca", s => s with { BottomBasicConstraintsCritical = false }),
        new("missing-intermediate", "missing", s => s, Omit: true),
    ];

    /// <summary>Pairs that random draws may miss and a divergence needs: a wildcard SAN under an excluded subtree it covers, a CN-only leaf under dNSName constraints.</summary>
    private static readonly string[][] Pairs = [["leaf-wildcard", "nc-excluded"], ["leaf-cn-only", "nc-excluded"], ["leaf-cn-only", "nc-permitted-mismatch"]];

    /// <summary>The wildcard-under-excluded-subtree pair (CVE-2025-61727 in Go; OpenSSL issue 30706).</summary>
    private const string WildcardPair = "pair [leaf-wildcard,nc-excluded]";

    /// <summary>250 chains from a fixed seed (0 to 3 features from distinct groups), then every feature alone, then <see cref="Pairs"/>.</summary>
    internal static List<Case> Cases()
    {
        var rng = new Random(4_2026_1128);
        var list = new List<Case>();
        for (int i = 0; i < 250; i++)
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

        foreach (var pair in Pairs)
        {
            var spec = new CorpusSpec();
            foreach (var name in pair)
            {
                spec = Array.Find(Features, f => f.Name == name)!.Apply(spec);
            }

            list.Add(new Case("pair [" + string.Join(",", pair) + "]", spec, false, pair));
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

    /// <summary>The chain's PEM files in the corpus folder (names relative to it); no intermediates file when none is presented.</summary>
    private sealed record Files(string Root, string Leaf, string? Intermediates);

    private static Files Write(TempDir dir, CorpusChain c, bool omit, int n)
    {
        dir.File("root" + n + ".pem", TestCertificates.ToPem(c.Root));
        dir.File("leaf" + n + ".pem", TestCertificates.ToPem(c.Leaf));
        string? intermediates = null;
        if (!omit && c.Intermediates.Length > 0)
        {
            var pem = new System.Text.StringBuilder();
            foreach (var i in c.Intermediates)
            {
                pem.Append(TestCertificates.ToPem(i));
            }

            intermediates = "int" + n + ".pem";
            dir.File(intermediates, pem.ToString());
        }

        return new Files("root" + n + ".pem", "leaf" + n + ".pem", intermediates);
    }

    // openssl verify -purpose sslserver, one process per chain; strict adds -x509_strict (OpenSSL 3.0's RFC 5280
    // profile checks in check_chain: critical basicConstraints in CAs, key identifiers present, and more).
    private static bool OpenSsl(string openssl, TempDir dir, Files f, bool strict)
    {
        var args = new List<string> { "verify", "-CAfile", Path.Combine(dir.Path, f.Root), "-purpose", "sslserver", "-attime", At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
        if (strict)
        {
            args.Add("-x509_strict");
        }

        if (f.Intermediates is not null)
        {
            args.AddRange(["-untrusted", Path.Combine(dir.Path, f.Intermediates)]);
        }

        args.Add(Path.Combine(dir.Path, f.Leaf));
        var (exit, _, _) = Tool.Run(openssl, args);
        return exit == 0;
    }

    [Fact]
    public void Corpus_of_at_least_300_chains_agrees_with_X509Chain_BouncyCastle_openssl_and_Go_or_is_listed()
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var go = GoOracle.Build();
        using var dir = new TempDir();
        var cases = Cases();
        Assert.True(cases.Count >= 300, "the corpus has " + cases.Count + " chains");

        // All chains and their PEM files first: the Go oracle then runs once over the whole corpus (one process).
        var chains = new List<CorpusChain>(cases.Count);
        var files = new List<Files>(cases.Count);
        var entries = new List<GoOracle.Entry>(cases.Count);
        for (int i = 0; i < cases.Count; i++)
        {
            var chain = CorpusChains.Create(cases[i].Spec);
            var f = Write(dir, chain, cases[i].Omit, i);
            chains.Add(chain);
            files.Add(f);
            entries.Add(new GoOracle.Entry("c" + i.ToString(CultureInfo.InvariantCulture), f.Leaf, f.Intermediates is null ? [] : [f.Intermediates], [f.Root], At, string.Empty, ["serverAuth"]));
        }

        var goAnswers = go.Run(dir.Path, entries);

        // openssl is one process per chain and mode: run them on every core (each process is independent).
        var plain = new bool[cases.Count];
        var strict = new bool[cases.Count];
        Parallel.For(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            plain[i] = OpenSsl(openssl, dir, files[i], strict: false);
            strict[i] = OpenSsl(openssl, dir, files[i], strict: true);
        });
        output.WriteLine(go.Version);
        var unexplained = new List<string>();
        var used = new HashSet<Divergence>();
        int passes = 0, divergences = 0;
        bool? oursOnWildcardPair = null;
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var chain = chains[i];
            bool ours = Ours(chain, c.Omit);
            passes += ours ? 1 : 0;
            if (c.Name == WildcardPair)
            {
                oursOnWildcardPair = ours;
            }

            var goAnswer = goAnswers["c" + i.ToString(CultureInfo.InvariantCulture)];
            var peers = new[]
            {
                ("X509Chain", DotNet(chain, c.Omit)),
                ("BouncyCastle", Bouncy(chain, c.Omit)),
                ("openssl", plain[i]),
                ("openssl-strict", strict[i]),
                ("Go", goAnswer.Ok),
            };
            var line = new System.Text.StringBuilder(c.Name).Append(": ours ").Append(Word(ours));
            foreach (var (peer, theirs) in peers)
            {
                line.Append(", ").Append(peer).Append(' ').Append(Word(theirs));
            }

            output.WriteLine(line.Append(goAnswer.Ok ? string.Empty : " (Go: " + goAnswer.Error + ")").ToString());
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
                    if (e.Peer == peer && e.Ours == ours && e.Theirs == theirs && HasAll(c.Features, e.Feature))
                    {
                        hit = e;
                        used.Add(e);
                    }
                }

                if (hit is null)
                {
                    unexplained.Add(c.Name + ": ours " + Word(ours) + ", " + peer + " " + Word(theirs) + (peer == "Go" ? " (" + goAnswer.Error + ")" : string.Empty));
                }
            }
        }

        output.WriteLine(cases.Count + " chains, " + passes + " valid by us, " + divergences + " explained or unexplained divergences");
        Assert.True(unexplained.Count == 0, "unexplained divergences:\n" + string.Join("\n", unexplained));

        // Entries for the wildcard-under-excluded-subtree fix apply once our validator refuses that pair, and then they must.
        Assert.NotNull(oursOnWildcardPair);
        bool wildcardFixed = oursOnWildcardPair == false;
        foreach (var e in Exceptions)
        {
            if (e.AfterWildcardFix && !wildcardFixed)
            {
                Assert.False(used.Contains(e), "listed divergence for the wildcard fix occurred before the fix: " + e.Peer + " / " + e.Feature);
                continue;
            }

            Assert.True(used.Contains(e), "listed divergence did not occur: " + e.Peer + " / " + e.Feature);
        }

        // The corpus must exercise both outcomes in quantity.
        Assert.InRange(passes, 40, cases.Count - 40);
    }

    // A feature key is one feature or several joined by '+' (every one must be in the case).
    private static bool HasAll(IReadOnlyList<string> features, string key)
    {
        foreach (var f in key.Split('+'))
        {
            if (!features.Contains(f))
            {
                return false;
            }
        }

        return true;
    }

    private static string Word(bool ok) => ok ? "pass" : "fail";
}
