using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CertPolicy.Evaluation;
using CertPolicy.Names;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;
using CertPolicy.Tests.Validation;
using CertPolicy.Tls;
using CertPolicy.Trust;
using CertPolicy.Validation;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace CertPolicy.Tests.Evaluation;

/// <summary>
/// Issue 11's acceptance: one input, one verdict, whichever adapter asks. Every case goes through
/// <c>certpolicy verify</c> (in process, JSON), the SslStream/MailKit callback (flag path and report path),
/// the probe's evaluator, <c>CompiledPolicy.Explain</c> and <c>CompiledPolicy.Evaluate</c>, and the
/// chain engine alone; all must give the same verdict, the same failing finding codes and the same assurance.
/// The corpus: the generated differential chains, the rule test chains, and the x509-limbo vectors.
/// </summary>
public sealed class VerdictAgreementTests(ITestOutputHelper output)
{
    // A negotiated pair every floor accepts (document-2019 is TLS 1.2 only): TLS 1.2, ECDHE-RSA-AES256-GCM-SHA384.
    private const ushort Suite = 0xC030;

    internal sealed record Case(string Name, byte[][] Presented, byte[][] Roots, string[] EvOids, DateTimeOffset At, string NextHop, string? Mx);

    // Assurance is null where a path does not expose it (the probe report has none).
    private readonly record struct PathVerdict(bool Compliant, string Codes, string? Assurance)
    {
        public override string ToString() => (Compliant ? "pass" : "fail") + " [" + Codes + "] " + (Assurance ?? "-");

        public bool Agrees(PathVerdict other) => Compliant == other.Compliant && Codes == other.Codes && (Assurance is null || other.Assurance is null || Assurance == other.Assurance);
    }

    private static readonly ValidationProfile[] Profiles = [.. ValidationProfile.All];

    private static string AssuranceName(AssuranceLevel level) => level switch
    {
        AssuranceLevel.Ev => "ev",
        AssuranceLevel.Ov => "ov",
        AssuranceLevel.Iv => "iv",
        AssuranceLevel.Dv => "dv",
        _ => "unknown",
    };

    private static string Codes(IEnumerable<string> codes) => string.Join(",", codes.Order(StringComparer.Ordinal));

    private static TlsPolicy Secure()
    {
        Assert.True(TlsPolicy.TryParse("secure", out var p, out var e), e.Message);
        return p!;
    }

    // Every path for one case under one profile; the first entry is CompiledPolicy.Explain, the reference.
    private static List<(string Path, PathVerdict Verdict)> AllPaths(Case c, ValidationProfile profile, TempDir dir)
    {
        Assert.True(CustomTrust.TryCreate(c.Roots.Select(r => new CustomAnchor(r, c.EvOids, null, null)), out var store, out var error), error);
        var validator = new ChainValidator(store!);
        var floor = TlsFloor.TryGetProfile(profile.Name, out var f) ? f! : TlsFloor.Partner2026;
        var chain = c.Presented.Select(d => (ReadOnlyMemory<byte>)d).ToList();
        var results = new List<(string, PathVerdict)>();

        // 1. CompiledPolicy.Explain: the report, and the flag path of the same object.
        var compiled = new CompiledPolicy([], validator, new CompiledPolicyOptions { Profile = profile, Floor = floor, DefaultLevel = SecurityLevel.Secure });
        var session = new NegotiatedSession(TlsProtocol.Tls12, Suite);
        var report = compiled.Explain(c.NextHop, c.Mx, chain, session, c.At);
        results.Add(("CompiledPolicy.Explain", new(report.Verdict.IsCompliant, Codes(report.Findings.Where(x => x.Status == FindingStatus.Failed).Select(x => x.Code)), AssuranceName(report.Verdict.Assurance))));
        var flags = compiled.Evaluate(c.NextHop, c.Mx ?? string.Empty, chain, session.Protocol, session.CipherSuite, c.At);
        var again = compiled.Evaluate(c.NextHop, c.Mx ?? string.Empty, chain, session.Protocol, session.CipherSuite, c.At); // a cache hit
        Assert.Equal(flags, again);
        Assert.Equal(report.Verdict, flags);

        // 2. The chain engine alone, names included (ChainValidator.Explain, the library's lower entry).
        var engine = validator.Explain(chain, new ValidationRequest { Profile = profile, Time = c.At, NextHop = c.NextHop, MxHost = c.Mx });
        bool malformed = (engine.Verdict.Reasons & VerdictReasons.MalformedInput) != 0;
        if (!malformed)
        {
            results.Add(("ChainValidator.Explain", new(engine.Verdict.IsCompliant, Codes(engine.Findings.Select(x => x.Code)), AssuranceName(engine.Verdict.Assurance))));
        }

        // 3. The probe's evaluator on an established session with these certificates.
        var probe = new ProbeResult(ProbeOutcome.TlsEstablished, "test")
        {
            Host = c.Mx ?? c.NextHop,
            Port = 25,
            Protocol = SslProtocols.Tls12,
            CipherSuite = (TlsCipherSuite)Suite,
            Certificates = [.. c.Presented],
        };
        var probed = ProbeEvaluator.Evaluate(probe, new ProbeEvaluationInput
        {
            NextHop = c.NextHop,
            MxHost = c.Mx,
            Policy = Secure(),
            Floor = floor,
            Validator = validator,
            Profile = profile,
            ValidationTime = c.At,
        });
        var probeReasons = probed.Findings.Where(x => x.Status == FindingStatus.Failed).Select(x => x.Code);
        results.Add(("ProbeEvaluator", new(probed.Verdict == ProbeVerdict.Compliant, Codes(probeReasons), null)));

        // 4. The callback: once on its flag path (no logger, no OnVerdict), once with OnVerdict for the report.
        var (flagOk, reported) = Callback(c, validator, profile);
        results.Add(("callback", new(flagOk, reported is null ? string.Empty : Codes(reported.Findings.Select(x => x.Code)), reported is null ? null : AssuranceName(reported.Verdict.Assurance))));

        // 5. certpolicy verify --format json, in process, on files.
        if (!malformed)
        {
            string chainFile = dir.File("chain.pem", string.Concat(c.Presented.Select(d => PemEncoding.WriteString("CERTIFICATE", d) + "\n")));
            string rootFile = dir.File("roots.pem", string.Concat(c.Roots.Select(d => PemEncoding.WriteString("CERTIFICATE", d) + "\n")));
            var args = new List<string> { "verify", chainFile, "--nexthop", c.NextHop, "--roots", rootFile, "--profile", profile.Name, "--at", c.At.ToString("O"), "--format", "json" };
            if (c.Mx is not null)
            {
                args.AddRange(["--mx", c.Mx]);
            }

            foreach (var ev in c.EvOids)
            {
                args.AddRange(["--ev-policy", ev]);
            }

            var (exit, stdout, stderr) = CliRunner.Run([.. args]);
            Assert.True(exit is 0 or 1, c.Name + ": verify exit " + exit + ": " + stderr);
            using var doc = JsonDocument.Parse(stdout);
            var root = doc.RootElement;
            results.Add(("verify", new(
                root.GetProperty("verdict").GetString() == "pass",
                Codes(root.GetProperty("findings").EnumerateArray().Select(x => x.GetProperty("code").GetString()!)),
                root.GetProperty("assurance").GetString()!)));
        }

        return results;
    }

    private static (bool FlagPath, ValidationReport? Report) Callback(Case c, ChainValidator validator, ValidationProfile profile)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(c.Presented[0]);
        using var x = new X509Chain();
        var extra = new List<X509Certificate2>();
        foreach (var der in c.Presented.Skip(1))
        {
            var cert = X509CertificateLoader.LoadCertificate(der);
            extra.Add(cert);
            x.ChainPolicy.ExtraStore.Add(cert);
        }

        try
        {
            var time = new FixedTime(c.At);
            var plain = CertPolicyValidation.CreateCallback(new CertPolicyValidationOptions { Validator = validator, Profile = profile, NextHop = c.NextHop, MxHost = c.Mx, TimeProvider = time });
            bool flagPath = plain(c.Mx ?? c.NextHop, leaf, x, System.Net.Security.SslPolicyErrors.None);
            ValidationReport? seen = null;
            var reporting = CertPolicyValidation.CreateCallback(new CertPolicyValidationOptions { Validator = validator, Profile = profile, NextHop = c.NextHop, MxHost = c.Mx, TimeProvider = time, OnVerdict = r => seen = r });
            bool reportPath = reporting(c.Mx ?? c.NextHop, leaf, x, System.Net.Security.SslPolicyErrors.None);
            Assert.Equal(flagPath, reportPath);
            return (flagPath, seen);
        }
        finally
        {
            foreach (var e in extra)
            {
                e.Dispose();
            }
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    // Compares every path with the reference; returns the disagreements (empty when all agree).
    private static List<string> Disagreements(Case c, ValidationProfile profile, TempDir dir)
    {
        var paths = AllPaths(c, profile, dir);
        var reference = paths[0].Verdict;
        var list = new List<string>();
        foreach (var (path, v) in paths.Skip(1))
        {
            // The engine alone and verify report the certificate part only (no passes, no TLS findings: the
            // session above passes every floor), so all codes compare one to one.
            if (!v.Agrees(reference))
            {
                list.Add(c.Name + " [" + profile.Name + "]: " + path + " says " + v + ", CompiledPolicy.Explain says " + reference);
            }
        }

        return list;
    }

    internal static IEnumerable<Case> CorpusCases()
    {
        foreach (var k in DifferentialCorpusTests.Cases())
        {
            var chain = CorpusChains.Create(k.Spec);
            var presented = new List<byte[]> { chain.Leaf };
            if (!k.Omit)
            {
                presented.AddRange(chain.Intermediates);
            }

            yield return new Case("corpus " + k.Name, [.. presented], [chain.Root], [TestOids.Ev], TestChains.At, "example.com", "mail.example.com");
        }
    }

    internal static IEnumerable<Case> RuleCases()
    {
        var specs = new (string Name, ChainSpec Spec)[]
        {
            ("ov", new ChainSpec()),
            ("ev", new ChainSpec { LeafPolicies = [TestOids.Ev] }),
            ("dv", new ChainSpec { LeafPolicies = [TestOids.Dv] }),
            ("no-policy", new ChainSpec { LeafPolicies = [] }),
            ("no-org", new ChainSpec { LeafName = "CN=mail.example.com" }),
            ("wrong-name", new ChainSpec { LeafDns = ["mail.example.org"], LeafName = "CN=mail.example.org,O=Example GmbH,C=DE" }),
            ("sha1-leaf", new ChainSpec { LeafHash = HashAlgorithmName.SHA1 }),
            ("rsa1024-leaf", new ChainSpec { LeafKey = "rsa1024" }),
            ("int-not-ca", new ChainSpec { IntermediateIsCa = false }),
            ("excluded-dns", new ChainSpec { ExcludedDns = ["example.com"] }),
            ("permitted-other", new ChainSpec { PermittedDns = ["example.org"] }),
            ("leaf-unknown-critical", new ChainSpec { LeafUnknownCritical = true }),
            ("no-eku", new ChainSpec { LeafEku = null }),
            ("client-eku", new ChainSpec { LeafEku = ["1.3.6.1.5.5.7.3.2"] }),
            ("int-email-eku", new ChainSpec { IntermediateEku = ["1.3.6.1.5.5.7.3.4"] }),
            ("expired", new ChainSpec { LeafNotAfter = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero) }),
        };
        foreach (var (name, spec) in specs)
        {
            var chain = TestChains.Create(spec);
            yield return new Case("rule " + name, [chain.Leaf, chain.Intermediate], [chain.Root], [TestOids.Ev], TestChains.At, "example.com", "mail.example.com");
        }

        var self = TestChains.SelfSignedLeaf();
        yield return new Case("rule self-signed-leaf", [self], [self], [], TestChains.At, "example.com", "mail.example.com");
    }

    internal static IEnumerable<Case> LimboCases()
    {
        string path = Path.GetFullPath(Path.Combine(TrustTestSupport.RepoRoot, "..", "shared", "conformance", "x509-limbo", "limbo.json"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var now = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);
        foreach (var t in doc.RootElement.GetProperty("testcases").EnumerateArray())
        {
            if (t.GetProperty("validation_kind").GetString() != "SERVER")
            {
                continue;
            }

            static byte[] Der(JsonElement pem) => PemEncoding.Find(pem.GetString()) is var f ? Convert.FromBase64String(pem.GetString()![f.Base64Data]) : [];
            var roots = t.GetProperty("trusted_certs").EnumerateArray().Select(Der).ToArray();
            var presented = new List<byte[]> { Der(t.GetProperty("peer_certificate")) };
            presented.AddRange(t.GetProperty("untrusted_intermediates").EnumerateArray().Select(Der));
            var at = t.GetProperty("validation_time").ValueKind == JsonValueKind.String ? DateTimeOffset.Parse(t.GetProperty("validation_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture) : now;
            string name = t.TryGetProperty("expected_peer_name", out var peer) && peer.ValueKind == JsonValueKind.Object && peer.GetProperty("kind").GetString() == "DNS"
                ? peer.GetProperty("value").GetString()!
                : "example.com";

            // Anchors the trust-store loader refuses are unusable input on every path alike (not part of this comparison).
            if (roots.Length == 0 || !CustomTrust.TryCreate(roots.Select(r => new CustomAnchor(r, [], null, null)), out _, out _))
            {
                continue;
            }

            yield return new Case("limbo " + t.GetProperty("id").GetString(), [.. presented], roots, [], at, name, name);
        }
    }

    [Fact]
    public void Every_path_gives_the_same_verdict_codes_and_assurance_on_the_corpus_the_rule_chains_and_limbo()
    {
        using var dir = new TempDir();
        var cases = CorpusCases().Concat(RuleCases()).Concat(LimboCases()).ToList();
        var disagreements = new List<string>();
        int runs = 0, passes = 0;
        foreach (var c in cases)
        {
            foreach (var profile in Profiles)
            {
                var d = Disagreements(c, profile, dir);
                disagreements.AddRange(d);
                runs++;
            }
        }

        foreach (var c in cases)
        {
            Assert.True(CustomTrust.TryCreate(c.Roots.Select(r => new CustomAnchor(r, c.EvOids, null, null)), out var store, out _));
            var compiled = new CompiledPolicy([], new ChainValidator(store!), new CompiledPolicyOptions { Profile = ValidationProfile.PostfixSecure, DefaultLevel = SecurityLevel.Secure });
            passes += compiled.EvaluateCertificate(c.NextHop, c.Mx ?? string.Empty, c.Presented.Select(x => (ReadOnlyMemory<byte>)x).ToList(), c.At).IsCompliant ? 1 : 0;
        }

        output.WriteLine(cases.Count + " cases x " + Profiles.Length + " profiles = " + runs + " runs; " + passes + " cases pass postfix-secure");
        Assert.True(cases.Count >= 350, "corpus too small: " + cases.Count);
        Assert.True(passes >= 50 && passes <= cases.Count - 50, "the corpus must hold both verdicts in number: " + passes + " of " + cases.Count + " pass");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(40)));
    }

    [Fact]
    public void Property_every_path_agrees_on_generated_chains_profiles_names_and_times()
    {
        using var dir = new TempDir();
        var corpus = DifferentialCorpusTests.Cases();
        string[] hops = ["example.com", "mail.example.com", "example.org", "EXAMPLE.COM", "sub.mail.example.com"];
        var gen = from i in Gen.Choose(0, corpus.Count - 1)
                  from p in Gen.Choose(0, Profiles.Length - 1)
                  from hop in Gen.Elements(hops)
                  from days in Gen.Choose(-2000, 4000)
                  select (i, p, hop, days);
        var config = Config.QuickThrowOnFailure.WithMaxTest(40).WithReplay(20261204UL, 7UL);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var k = corpus[t.i];
            var chain = CorpusChains.Create(k.Spec);
            var presented = new List<byte[]> { chain.Leaf };
            if (!k.Omit)
            {
                presented.AddRange(chain.Intermediates);
            }

            var c = new Case("generated " + k.Name, [.. presented], [chain.Root], [TestOids.Ev], TestChains.At.AddDays(t.days), t.hop, "mail.example.com");
            var d = Disagreements(c, Profiles[t.p], dir);
            Assert.True(d.Count == 0, string.Join("\n", d));
        }).Check(config);
    }
}
