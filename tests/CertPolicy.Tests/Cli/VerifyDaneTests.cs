using System.Security.Cryptography;
using System.Text.Json;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;
using CertPolicy.X509;

namespace CertPolicy.Tests.Cli;

/// <summary><c>certpolicy verify --tlsa</c>: the offline DANE check at the levels dane and dane-only (records taken as
/// DNSSEC-validated), through the same pipeline as the probe.</summary>
public class VerifyDaneTests
{
    private static string SpkiSha256(byte[] certificate)
    {
        Assert.True(CertificateView.TryParse(certificate, out var v, out _));
        return Convert.ToHexString(SHA256.HashData(v.SpkiDer));
    }

    [Fact]
    public void Tlsa_records_given_offline_are_matched_per_profile()
    {
        using var dir = new TempDir();
        var chain = TestChains.Create(new ChainSpec { LeafDns = ["mx1.example.com", "example.com"] });
        var self = TestChains.SelfSignedLeaf();
        string presented = dir.File("chain.pem", chain.PresentedPem);
        string selfPem = dir.File("self.pem", TestCertificates.ToPem(self));
        string roots = dir.File("roots.pem", chain.RootPem);
        string at = TestChains.At.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        string ee = "3 1 1 " + SpkiSha256(chain.Leaf);
        string[] common = ["--nexthop", "example.com", "--mx", "mx1.example.com", "--roots", roots, "--at", at];

        // DANE-EE match under postfix-secure and under partner-2026 (the chain is a compliant one).
        var (code, stdout, stderr) = CliRunner.Run(["verify", presented, .. common, "--tlsa", ee, "--profile", "postfix-secure", "--format", "json"]);
        Assert.True(code == 0, stderr + stdout);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Contains(json.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == "dane.valid" && f.GetProperty("severity").GetString() == "note");
        Assert.Equal(0, CliRunner.Run(["verify", presented, .. common, "--tlsa", ee, "--level", "dane-only"]).Exit);

        // A record of another key: DANE fails in every profile.
        string other = "3 1 1 " + SpkiSha256(TestChains.Create(new ChainSpec { LeafKey = "rsa2048" }).Leaf);
        var (bad, badOut, _) = CliRunner.Run(["verify", presented, .. common, "--tlsa", other, "--format", "json"]);
        Assert.Equal(1, bad);
        Assert.Contains(JsonDocument.Parse(badOut).RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == "dane.invalid" && f.GetProperty("severity").GetString() == "error");

        // Self-signed with its DANE-EE record: compliant for Postfix, R-C7 under partner-2026 (R-D1).
        string selfEe = "3 0 1 " + Convert.ToHexString(SHA256.HashData(self));
        Assert.Equal(0, CliRunner.Run(["verify", selfPem, .. common, "--tlsa", selfEe, "--profile", "postfix-secure"]).Exit);
        var (strict, strictOut, _) = CliRunner.Run(["verify", selfPem, .. common, "--tlsa", selfEe, "--profile", "partner-2026"]);
        Assert.Equal(1, strict);
        Assert.Contains("R-C7 dane.ee-self-signed", strictOut, StringComparison.Ordinal);

        // dane-only without records defers; dane without records is opportunistic.
        Assert.Equal(1, CliRunner.Run(["verify", presented, .. common, "--level", "dane-only"]).Exit);
        Assert.Equal(0, CliRunner.Run(["verify", presented, .. common, "--level", "dane"]).Exit);
    }

    [Theory]
    [InlineData("--tlsa|3 1 1 XYZ", "not an even number of hexadecimal digits")]
    [InlineData("--tlsa|3 1 1 AB|--level|secure", "--tlsa needs --level dane or dane-only")]
    [InlineData("--level|dane|--match|nexthop", "invalid at security level")]
    public void Bad_tlsa_input_is_unusable(string args, string expected)
    {
        using var dir = new TempDir();
        var chain = TestChains.Create(new ChainSpec());
        string presented = dir.File("chain.pem", chain.PresentedPem);
        var (code, _, stderr) = CliRunner.Run(["verify", presented, "--nexthop", "example.com", "--mx", "mx1.example.com", .. args.Split('|')]);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("127.0.0.1", "127.0.0.1:53")]
    [InlineData("::1", "[::1]:53")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("resolver.example", null)]
    [InlineData("127.0.0.1:99999", null)]
    public void Probe_dns_option_is_an_address_with_an_optional_port(string text, string? expected)
    {
        bool ok = CertPolicy.Cli.Commands.ProbeCommand.TryParseDns(text, out var server);
        Assert.Equal(expected is not null, ok);
        Assert.Equal(expected, ok ? server!.ToString() : null);
    }

    [Fact]
    public void Probe_at_a_dane_level_refuses_what_it_cannot_look_up_before_connecting()
    {
        // Port 9 on loopback: nothing is sent; both refusals come before any connection.
        var (code, _, stderr) = CliRunner.Run("probe", "127.0.0.1:9", "--nexthop", "example.test", "--level", "dane");
        Assert.Equal(2, code);
        Assert.Contains("give --mx", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliRunner.Run("probe", "127.0.0.1:9", "--nexthop", "example.test", "--mx", "mx1.example.test", "--level", "dane-only", "--dns", "resolver.example");
        Assert.Equal(2, code);
        Assert.Contains("--dns", stderr, StringComparison.Ordinal);
    }
}
