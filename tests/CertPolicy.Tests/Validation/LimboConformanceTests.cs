using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;

namespace CertPolicy.Tests.Validation;

/// <summary>x509-limbo through <c>certpolicy conformance limbo</c>: every disagreement is listed with a reason, and no listed case agrees.</summary>
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
        Assert.Contains("limbo: 90 cases, 80 agree (88.9%), 10 listed disagreements, 0 unexpected, 0 unsupported", stdout, StringComparison.Ordinal);
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
}
