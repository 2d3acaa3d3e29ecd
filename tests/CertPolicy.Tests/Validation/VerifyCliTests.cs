using System.Security.Cryptography;
using System.Text.Json;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Validation;

/// <summary><c>certpolicy verify</c>: exit codes, text and JSON output, option errors.</summary>
public sealed class VerifyCliTests
{
    private const string At = "2026-06-01T12:00:00Z";

    private static (int Exit, string Out, string Err) Verify(TestChain chain, params string[] extra)
    {
        using var dir = new TempDir();
        var chainFile = dir.File("chain.pem", chain.PresentedPem);
        var roots = dir.File("roots.pem", chain.RootPem);
        return CliRunner.Run(["verify", chainFile, "--roots", roots, "--at", At, .. extra]);
    }

    [Fact]
    public void Json_is_also_spelled_json()
    {
        // Issue 13: --json is an alias of --format json on verify, as on the other commands.
        var chain = TestChains.Create(new ChainSpec());
        var viaFormat = Verify(chain, "--nexthop", "example.com", "--format", "json");
        var viaAlias = Verify(chain, "--nexthop", "example.com", "--json");
        Assert.Equal(viaFormat.Exit, viaAlias.Exit);
        Assert.Equal(viaFormat.Out, viaAlias.Out);
        using var doc = JsonDocument.Parse(viaAlias.Out);
        Assert.Equal("pass", doc.RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public void Ev_chain_passes_with_json_fields()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.CustomEvA], IntermediatePolicies = [TestOids.CustomEvA] });
        var (exit, stdout, stderr) = Verify(chain, "--nexthop", "example.com", "--ev-policy", TestOids.CustomEvA, "--format", "json");
        Assert.True(exit == 0, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal("pass", r.GetProperty("verdict").GetString());
        Assert.Equal("partner-2026", r.GetProperty("profile").GetString());
        Assert.Equal("ev", r.GetProperty("assurance").GetString());
        Assert.Equal("example.com", r.GetProperty("matchedName").GetString());
        var c = r.GetProperty("chain");
        Assert.Equal(3, c.GetArrayLength());
        Assert.Equal(Convert.ToHexString(SHA256.HashData(chain.Leaf)), c[0].GetProperty("sha256").GetString());
        Assert.Contains("CN=mail.example.com", c[0].GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, r.GetProperty("findings").GetArrayLength());
    }

    [Fact]
    public void Ev_oid_not_permitted_by_the_intermediate_fails_with_r_c1_and_unbound_oid_is_unvalidated()
    {
        var unbound = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.CustomEvA], IntermediatePolicies = [TestOids.CustomEvA] });
        var u = Verify(unbound, "--nexthop", "example.com", "--format", "json");
        Assert.Equal(1, u.Exit);
        Assert.Contains("assurance.unvalidated", u.Out, StringComparison.Ordinal);

        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.CustomEvA], IntermediatePolicies = [TestOids.Ov] });
        var (exit, stdout, _) = Verify(chain, "--nexthop", "example.com", "--ev-policy", TestOids.CustomEvA, "--format", "json");
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("fail", doc.RootElement.GetProperty("verdict").GetString());
        var findings = doc.RootElement.GetProperty("findings").EnumerateArray().ToList();
        Assert.Contains(findings, f => f.GetProperty("rule").GetString() == "R-C1" && f.GetProperty("code").GetString() == "assurance.ev-not-established" && f.GetProperty("depth").GetInt32() == 0);
    }

    [Fact]
    public void Name_mismatch_fails_in_text_format()
    {
        var chain = TestChains.Create(new ChainSpec());
        var (exit, stdout, _) = Verify(chain, "--nexthop", "example.org");
        Assert.Equal(1, exit);
        Assert.StartsWith("verdict: fail", stdout, StringComparison.Ordinal);
        Assert.Contains("R-C2 name.mismatch (depth 0)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Match_list_and_mx_are_used()
    {
        var chain = TestChains.Create(new ChainSpec { LeafDns = ["mx1.example.net"], LeafName = "CN=mx1.example.net,O=Example GmbH,C=DE" });
        Assert.Equal(1, Verify(chain, "--nexthop", "example.com").Exit);
        var (exit, stdout, stderr) = Verify(chain, "--nexthop", "example.com", "--level", "secure", "--match", ".example.net");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("matched name: mx1.example.net", stdout, StringComparison.Ordinal);
        Assert.Equal(0, Verify(chain, "--nexthop", "example.com", "--mx", "mx1.example.net", "--level", "verify").Exit);
    }

    [Fact]
    public void Profiles_differ_on_a_weak_key()
    {
        var chain = TestChains.Create(new ChainSpec { LeafKey = "rsa1024" });
        Assert.Equal(1, Verify(chain, "--nexthop", "example.com").Exit);
        Assert.Equal(0, Verify(chain, "--nexthop", "example.com", "--profile", "postfix-secure").Exit);
        var (exit, stdout, _) = Verify(chain, "--nexthop", "example.com", "--profile", "document-2019", "--format", "json");
        Assert.Equal(1, exit);
        Assert.Contains("\"R-C10\"", stdout, StringComparison.Ordinal);
        Assert.Contains("trust.not-annex", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Curated_store_does_not_trust_a_test_root()
    {
        var chain = TestChains.Create(new ChainSpec());
        using var dir = new TempDir();
        var chainFile = dir.File("chain.pem", chain.PresentedPem);
        var (exit, stdout, _) = CliRunner.Run("verify", chainFile, "--nexthop", "example.com", "--at", At, "--format", "json");
        Assert.Equal(1, exit);
        Assert.Contains("chain.untrusted", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--profile", "lax")]
    [InlineData("--format", "xml")]
    [InlineData("--level", "may")]
    [InlineData("--at", "yesterday")]
    [InlineData("--ev-policy", "not-an-oid")]
    public void Bad_options_exit_2(string option, string value)
    {
        var chain = TestChains.Create(new ChainSpec());
        var (exit, stdout, stderr) = Verify(chain, "--nexthop", "example.com", option, value);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.NotEmpty(stderr);
    }

    [Fact]
    public void Missing_files_exit_2()
    {
        var (exit, _, stderr) = CliRunner.Run("verify", "/nonexistent/chain.pem", "--nexthop", "example.com", "--at", At);
        Assert.Equal(2, exit);
        Assert.StartsWith("/nonexistent/chain.pem: ", stderr, StringComparison.Ordinal);
        var chain = TestChains.Create(new ChainSpec());
        using var dir = new TempDir();
        var chainFile = dir.File("chain.pem", chain.PresentedPem);
        var r = CliRunner.Run("verify", chainFile, "--nexthop", "example.com", "--roots", "/nonexistent/roots.pem");
        Assert.Equal(2, r.Exit);
        Assert.StartsWith("/nonexistent/roots.pem: ", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ev_policy_without_roots_exits_2()
    {
        var chain = TestChains.Create(new ChainSpec());
        using var dir = new TempDir();
        var chainFile = dir.File("chain.pem", chain.PresentedPem);
        Assert.Equal(2, CliRunner.Run("verify", chainFile, "--nexthop", "example.com", "--ev-policy", TestOids.CustomEvA).Exit);
    }
}
