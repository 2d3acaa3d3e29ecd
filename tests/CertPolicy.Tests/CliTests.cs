using CertPolicy.Tests.Support;

namespace CertPolicy.Tests;

public class CliTests
{
    // Rows carry a name only: the contents (one is 10 MB) are built inside the test, because xunit
    // serialises theory data at discovery and a 10 MB byte[] row costs gigabytes there.
    private static byte[] Content(string name) => name switch
    {
        "empty" => [],
        "binary" => [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0xFF, 0xFE, 0x00, 0x00],
        "nul" => "a.example secure\0\n"u8.ToArray(),
        "unknown-level" => "a.example sekure\n"u8.ToArray(),
        "unknown-attribute" => "a.example secure match=.a.example cipher=high\n"u8.ToArray(),
        "malformed-attribute" => "a.example secure match .a.example\n"u8.ToArray(),
        "missing-value" => "# partners\na.example\n"u8.ToArray(),
        "empty-match" => "a.example secure\n  match=\n"u8.ToArray(),
        "long-line" => Encoding.ASCII.GetBytes("a.example secure match=" + new string('x', 10 * 1024 * 1024) + "\n"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    // lookup answers as smtp(8) would (issue 13): exit 2 only when the entry for a.example is invalid or the table
    // cannot say (no entry at all, or an over-long line Postfix would read); "binary" has no a.example key (1), and
    // Postfix reads "a.example secure\0" as "secure" (0).
    [InlineData("empty", ":1:1: error: the table has no entries", 2)]
    [InlineData("binary", ":1:1: error: control character U+007F in the key", 1)]
    [InlineData("nul", ":1:17: error: control character U+0000", 0)]
    [InlineData("unknown-level", ":1:11: error: invalid security level \"sekure\"", 2)]
    [InlineData("unknown-attribute", ":1:35: error: invalid attribute name: \"cipher\"", 2)]
    [InlineData("malformed-attribute", ":1:18: error: malformed attribute/value pair \"match\"", 2)]
    [InlineData("missing-value", ":2:10: error: key \"a.example\" has no value", 2)]
    [InlineData("empty-match", ":2:3: error: attribute \"match\" has empty value", 2)]
    [InlineData("long-line", ":1:1: error: logical line longer than 65536 characters", 2)]
    public void Bad_policy_input_gives_one_positioned_line_and_exit_2(string name, string expected, int lookupExit)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, Content(name));
        var lookup = CliRunner.Run("policy", "lookup", path, "a.example");
        Assert.True(lookupExit == lookup.Exit, $"lookup exit {lookup.Exit}: {lookup.Out}{lookup.Err}");
        foreach (var args in new[] { new[] { "policy", "check", path }, ["policy", "format", path] })
        {
            var (exit, stdout, stderr) = CliRunner.Run(args);
            Assert.Equal(2, exit);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var line = Assert.Single(lines);
            Assert.StartsWith(path + ":", line, StringComparison.Ordinal);
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_missing_file_is_exit_2_without_a_stack_trace()
    {
        var (exit, _, stderr) = CliRunner.Run("policy", "check", "/nonexistent/tls_policy");
        Assert.Equal(2, exit);
        Assert.Equal("/nonexistent/tls_policy: no such file", stderr.Trim());
    }

    [Fact]
    public void Check_reports_lint_findings_with_rule_ids_and_exit_1()
    {
        using var dir = new TempDir();
        var path = dir.File("tls_policy", """
            audi.de      secure match=.audi.de ciphers=high protocols=>=TLSv1.2
            audi.hu      none
            partner.example encrypt
            weak.example secure match=hostname ciphers=high protocols=!SSLv3
            odd.example  secure match=.odd.example exclude=!!! protocols=>=TLSv1.2
            """);
        var (exit, stdout, _) = CliRunner.Run("policy", "check", path, "--partner", "audi.de", "--partner", "audi.hu", "--partner", "partner.example", "--partner", "missing.example");
        Assert.Equal(1, exit);
        Assert.Contains($"{path}:2:1: finding: partner \"audi.hu\": TLS is turned off (none) although mandatory TLS was agreed [R-T8]", stdout, StringComparison.Ordinal);
        Assert.Contains($"{path}:3:1: finding: partner \"partner.example\": level encrypt does not verify", stdout, StringComparison.Ordinal);
        Assert.Contains($"{path}:4:1: finding: \"weak.example\": match=hostname at level secure", stdout, StringComparison.Ordinal);
        Assert.Contains($"{path}:4:1: finding: \"weak.example\": protocols=!SSLv3 allows TLSv1, TLSv1.1", stdout, StringComparison.Ordinal);
        Assert.Contains($"{path}: finding: partner \"missing.example\" has no entry", stdout, StringComparison.Ordinal);
        Assert.Contains($"{path}:5:1: finding: \"odd.example\": ciphers=(default medium) exclude=!!! is unusable (invalid unary", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("audi.de\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_of_a_clean_table_exits_0()
    {
        using var dir = new TempDir();
        var path = dir.File("tls_policy", "audi.de secure match=.audi.de ciphers=high protocols=>=TLSv1.2\naudi.hu secure match=.audi.de ciphers=high protocols=>=TLSv1.2\n");
        var (exit, stdout, _) = CliRunner.Run("policy", "check", path, "--partner", "audi.de", "--partner", "audi.hu");
        Assert.Equal(0, exit);
        Assert.Contains("2 entries, no findings", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Lookup_prints_the_entry_and_the_key_that_matched()
    {
        using var dir = new TempDir();
        var path = dir.File("tls_policy", "audi.de secure match=.audi.de ciphers=high\n.audi.de verify\n");
        var (exit, stdout, _) = CliRunner.Run("policy", "lookup", path, "mailin1.audi.de", "--json");
        Assert.Equal(0, exit);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.Equal(".audi.de", doc.RootElement.GetProperty("key").GetString());
        Assert.Equal("verify", doc.RootElement.GetProperty("level").GetString());
        var miss = CliRunner.Run("policy", "lookup", path, "[audi.de]:25");
        Assert.Equal(1, miss.Exit);
        Assert.Contains("no entry applies", miss.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_prints_the_canonical_table()
    {
        using var dir = new TempDir();
        var path = dir.File("tls_policy", "# x\nAudi.DE   SECURE,ciphers=high\n   match=.audi.de\n");
        var (exit, stdout, _) = CliRunner.Run("policy", "format", path);
        Assert.Equal(0, exit);
        Assert.Equal("audi.de secure match=.audi.de ciphers=high\n", stdout);
    }

    [Fact]
    public void Names_reports_the_matched_name_and_exit_codes()
    {
        using var dir = new TempDir();
        var cert = dir.File("gw.pem", TestCertificates.ToPem(TestCertificates.Create("CN=mailin1.audi.de, O=AUDI AG", dns: ["mailin1.audi.de"])));
        var ok = CliRunner.Run("names", "--cert", cert, "--level", "secure", "--match", ".audi.de", "--nexthop", "audi.hu", "--json");
        Assert.Equal(0, ok.Exit);
        using (var doc = System.Text.Json.JsonDocument.Parse(ok.Out))
        {
            Assert.Equal("pass", doc.RootElement.GetProperty("verdict").GetString());
            Assert.Equal("mailin1.audi.de", doc.RootElement.GetProperty("matchedName").GetString());
        }

        var bad = CliRunner.Run("names", "--cert", cert, "--level", "secure", "--nexthop", "audi.hu");
        Assert.Equal(1, bad.Exit);
        Assert.Contains("no match [R-C2]", bad.Out, StringComparison.Ordinal);

        var pattern = CliRunner.Run("names", "--cert", cert, "--level", "verify", "--nexthop", "audi.de", "--mx", "mailout1.audi.de", "--gateway-pattern", "mailin*.audi.de");
        Assert.Equal(1, pattern.Exit);
        Assert.Contains("[R-T9]", pattern.Out, StringComparison.Ordinal);

        var good = CliRunner.Run("names", "--cert", cert, "--level", "verify", "--nexthop", "audi.de", "--mx", "mailin1.audi.de", "--gateway-pattern", "mailin*.audi.de");
        Assert.Equal(0, good.Exit);
    }

    [Theory]
    [InlineData("junk", "not DER")]
    [InlineData("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", ":2:1: the CERTIFICATE block's body is not base64")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no PEM CERTIFICATE block (found PRIVATE KEY)")]
    [InlineData("", "empty file")]
    public void Names_with_a_bad_certificate_exits_2(string content, string expected)
    {
        using var dir = new TempDir();
        var cert = dir.File("bad.pem", content);
        var r = CliRunner.Run("names", "--cert", cert, "--level", "secure", "--nexthop", "audi.de");
        Assert.Equal(2, r.Exit);
        Assert.Contains(expected, Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public void Names_with_truncated_DER_exits_2()
    {
        using var dir = new TempDir();
        var der = TestCertificates.Create("CN=x.example", dns: ["x.example"]);
        var path = Path.Combine(dir.Path, "t.der");
        File.WriteAllBytes(path, der[..(der.Length / 2)]);
        var r = CliRunner.Run("names", "--cert", path, "--level", "secure", "--nexthop", "x.example");
        Assert.Equal(2, r.Exit);
        Assert.Contains("malformed certificate", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_options_and_levels_exit_2()
    {
        Assert.Equal(2, CliRunner.Run("policy", "check").Exit);
        Assert.Equal(2, CliRunner.Run("names", "--cert", "x", "--level", "bogus", "--nexthop", "a.example").Exit);
        Assert.Equal(2, CliRunner.Run("frobnicate").Exit);
    }
}
