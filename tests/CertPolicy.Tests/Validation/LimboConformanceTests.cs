using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// x509-limbo through <c>certpolicy conformance limbo</c> (strict profile): every disagreement is listed with a reason,
/// no listed case agrees, and a case whose feature is not implemented counts as unsupported, never as agreement.
/// </summary>
public sealed class LimboConformanceTests
{
    // Fixed "now" for the cases whose validation_time is null (no clock in tests).
    private const string Now = "2026-11-28T00:00:00Z";

    private static string Limbo => Path.GetFullPath(Path.Combine(TrustTestSupport.RepoRoot, "..", "shared", "conformance", "x509-limbo", "limbo.json"));

    private static string Exceptions => Path.Combine(TrustTestSupport.RepoRoot, "tests", "vectors", "x509-limbo", "exceptions.json");

    [Fact]
    public void Limbo_disagreements_are_exactly_the_listed_exceptions()
    {
        Assert.True(File.Exists(Limbo), "x509-limbo not found at " + Limbo + " (shared/ must sit beside the repository)");
        var (exit, stdout, stderr) = CliRunner.Run("conformance", "limbo", Limbo, "--exceptions", Exceptions, "--now", Now);
        Assert.True(exit == 0, stdout + stderr);
        // 3 unsupported: the name-constraint-dn cases (directoryName constraints are refused as not implemented, which
        // used to count as agreement with their expected FAILURE).
        Assert.Contains("limbo (limbo-strict): 90 cases, 86 agree (95.6%), 4 listed disagreements, 0 unexpected, 0 unsupported", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_exceptions_file_the_runner_fails()
    {
        var (exit, stdout, _) = CliRunner.Run("conformance", "limbo", Limbo, "--now", Now);
        Assert.Equal(1, exit);
        Assert.Contains("UNEXPECTED", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stale_exception_fails_the_run()
    {
        using var dir = new TempDir();
        var stale = dir.File("exceptions.json", "[{\"id\": \"online::akamai.com\", \"expected\": \"SUCCESS\", \"actual\": \"FAILURE\", \"reason\": \"test\"}]");
        var (exit, stdout, _) = CliRunner.Run("conformance", "limbo", Limbo, "--exceptions", stale, "--now", Now);
        Assert.Equal(1, exit);
        Assert.Contains("online::akamai.com: STALE", stdout, StringComparison.Ordinal);
    }

    // A limbo case over a generated chain (root -> intermediate -> leaf "mail.example.com"), valid at TestChains.At.
    // The leaf key is RSA so that its default keyUsage (digitalSignature, keyEncipherment) also suits the CA/B profile.
    private static Dictionary<string, object?> Case(string id, string expected, CorpusSpec? spec = null, string kind = "SERVER")
    {
        var chain = CorpusChains.Create((spec ?? new CorpusSpec()) with { LeafKey = "rsa2048" });
        return new Dictionary<string, object?>
        {
            ["id"] = id,
            ["features"] = Array.Empty<string>(),
            ["description"] = "generated",
            ["validation_kind"] = kind,
            ["trusted_certs"] = new[] { TestCertificates.ToPem(chain.Root) },
            ["untrusted_intermediates"] = chain.Intermediates.Select(TestCertificates.ToPem).ToArray(),
            ["peer_certificate"] = TestCertificates.ToPem(chain.Leaf),
            ["validation_time"] = "2026-06-01T12:00:00Z",
            ["expected_result"] = expected,
            ["expected_peer_name"] = new Dictionary<string, string> { ["kind"] = "DNS", ["value"] = "mail.example.com" },
        };
    }

    private static (int Exit, string Out) RunCases(TempDir dir, IEnumerable<Dictionary<string, object?>> cases, string exceptions = "[]")
    {
        var limbo = dir.File("limbo.json", JsonSerializer.Serialize(new Dictionary<string, object> { ["version"] = 1, ["testcases"] = cases.ToArray() }));
        var ex = dir.File("exceptions.json", exceptions);
        var (exit, stdout, stderr) = CliRunner.Run("conformance", "limbo", limbo, "--exceptions", ex, "--now", Now, "--verbose");
        Assert.True(stderr.Length == 0, stderr);
        return (exit, stdout);
    }

    private static Dictionary<string, object?> With(Dictionary<string, object?> c, string key, object? value)
    {
        c[key] = value;
        return c;
    }

    [Fact]
    public void The_validation_kind_and_the_listed_EKUs_choose_the_required_usage()
    {
        using var dir = new TempDir();
        var client = new CorpusSpec { LeafEku = ["1.3.6.1.5.5.7.3.2"] };
        var email = new CorpusSpec { LeafEku = ["1.3.6.1.5.5.7.3.4"] };
        var (exit, stdout) = RunCases(dir,
        [
            Case("server-leaf-as-server", "SUCCESS"),
            Case("client-leaf-as-client", "SUCCESS", client, kind: "CLIENT"),
            Case("server-leaf-as-client", "FAILURE", kind: "CLIENT"),
            Case("client-leaf-as-server", "FAILURE", client),
            With(Case("client-leaf-server-listed", "FAILURE", client), "extended_key_usage", new[] { "serverAuth" }),
            With(Case("client-leaf-client-listed", "SUCCESS", client), "extended_key_usage", new[] { "clientAuth" }),
            With(Case("server-leaf-both-listed", "FAILURE"), "extended_key_usage", new[] { "serverAuth", "clientAuth" }),
            With(Case("email-leaf-any-listed", "SUCCESS", email), "extended_key_usage", new[] { "anyExtendedKeyUsage" }),
            With(Case("email-leaf-empty-list", "FAILURE", email), "extended_key_usage", Array.Empty<string>()),
            With(Case("code-signing-listed", "SUCCESS"), "extended_key_usage", new[] { "codeSigning" }),
        ]);
        Assert.True(exit == 0, stdout);
        Assert.Contains("code-signing-listed: unsupported: extended key usage codeSigning", stdout, StringComparison.Ordinal);
        Assert.Contains("limbo (limbo-strict): 10 cases, 9 agree (90.0%), 0 listed disagreements, 0 unexpected, 1 unsupported", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_expected_peer_name_is_checked_and_RFC822_names_are_unsupported()
    {
        using var dir = new TempDir();
        var (exit, stdout) = RunCases(dir,
        [
            With(Case("both-names-match", "SUCCESS"), "expected_peer_names", new[] { new Dictionary<string, string> { ["kind"] = "DNS", ["value"] = "example.com" } }),
            With(Case("second-name-mismatch", "FAILURE"), "expected_peer_names", new[] { new Dictionary<string, string> { ["kind"] = "DNS", ["value"] = "mx.example.org" } }),
            With(Case("wrong-name", "FAILURE"), "expected_peer_name", new Dictionary<string, string> { ["kind"] = "DNS", ["value"] = "mx.example.org" }),
            With(Case("no-name-chain-only", "SUCCESS"), "expected_peer_name", null),
            With(Case("mailbox", "SUCCESS"), "expected_peer_name", new Dictionary<string, string> { ["kind"] = "RFC822", ["value"] = "a@example.com" }),
        ]);
        Assert.True(exit == 0, stdout);
        Assert.Contains("mailbox: unsupported: peer name of kind RFC822", stdout, StringComparison.Ordinal);
        Assert.Contains("limbo (limbo-strict): 5 cases, 4 agree (80.0%), 0 listed disagreements, 0 unexpected, 1 unsupported", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_usage_signature_algorithms_and_chain_depth_constrain_the_verdict()
    {
        using var dir = new TempDir();
        var ds = new CorpusSpec { LeafKeyUsage = X509KeyUsageFlags.DigitalSignature };
        var (exit, stdout) = RunCases(dir,
        [
            With(Case("ku-present", "SUCCESS", ds), "key_usage", new[] { "digitalSignature" }),
            With(Case("ku-missing", "FAILURE", ds), "key_usage", new[] { "keyEncipherment" }),
            With(Case("sig-listed", "SUCCESS"), "signature_algorithms", new[] { "RSA_WITH_SHA256" }),
            With(Case("sig-not-listed", "FAILURE"), "signature_algorithms", new[] { "RSA_WITH_SHA384", "ECDSA_WITH_SHA256" }),
            With(Case("depth-1", "SUCCESS"), "max_chain_depth", 1),
            With(Case("depth-0", "FAILURE"), "max_chain_depth", 0),
        ]);
        Assert.True(exit == 0, stdout);
        Assert.Contains("limbo (limbo-strict): 6 cases, 6 agree (100.0%), 0 listed disagreements, 0 unexpected, 0 unsupported", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_case_with_an_unreadable_CRL_fails_closed_and_an_exception_for_it_is_stale()
    {
        // CRLs are checked now (R-C12): an unreadable one is a failure, never ignored and never "unsupported".
        using var dir = new TempDir();
        const string Crl = "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n";
        var (exit, stdout) = RunCases(dir, [With(Case("with-crl", "FAILURE"), "crls", new[] { Crl })]);
        Assert.True(exit == 0, stdout);
        Assert.Contains("1 cases, 1 agree (100.0%), 0 listed disagreements, 0 unexpected, 0 unsupported", stdout, StringComparison.Ordinal);

        var (staleExit, staleOut) = RunCases(dir, [With(Case("with-crl", "FAILURE"), "crls", new[] { Crl })], "[{\"id\": \"with-crl\", \"expected\": \"FAILURE\", \"actual\": \"SUCCESS\", \"reason\": \"test\"}]");
        Assert.Equal(1, staleExit);
        Assert.Contains("with-crl: STALE", staleOut, StringComparison.Ordinal);
    }

    [Fact]
    public void The_harness_runs_the_strict_profile()
    {
        var p = CertPolicy.Cli.Commands.ConformanceCommand.LimboProfile;
        Assert.True(p.CheckCertificateProfile && p.CheckKeyStrength && p.MinimumRsaBits == 2048 && p.MinimumEcBits == 256);
        Assert.False(p.CheckAssurance || p.CheckDistrust || p.RequireAnnexCa || p.RefuseDvIssuingAnchors || p.RequireEv);
    }
}
