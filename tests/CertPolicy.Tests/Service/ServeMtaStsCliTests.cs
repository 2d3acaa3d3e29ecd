using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Service;

/// <summary><c>certpolicy serve --mta-sts</c>: its options, <c>--check</c> and the JSON start report (in-process).</summary>
public class ServeMtaStsCliTests
{
    public static TheoryData<string, string[], string> BadArguments => new()
    {
        { "--dns without --mta-sts", ["--dns", "127.0.0.1:53"], "--dns: needs --mta-sts" },
        { "--mta-sts-connect without --mta-sts", ["--mta-sts-connect", "127.0.0.1:443"], "--mta-sts-connect: needs --mta-sts" },
        { "--mta-sts-wait without --mta-sts", ["--mta-sts-wait", "1"], "--mta-sts-wait: needs --mta-sts" },
        { "--dns with a host name", ["--mta-sts", "--dns", "localhost:53"], "--dns: expected ADDR:PORT" },
        { "--mta-sts-connect without a port", ["--mta-sts", "--mta-sts-connect", "127.0.0.1"], "--mta-sts-connect: expected ADDR:PORT" },
        { "negative wait", ["--mta-sts", "--mta-sts-wait", "-1"], "--mta-sts-wait: expected seconds in [0, 60]" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Unusable_mta_sts_arguments_are_one_line_and_exit_2(string description, string[] args, string message)
    {
        using var dir = new TempDir();
        string table = dir.File("tls_policy", "partner.example secure\n");
        var r = CliRunner.Run(["serve", "--socketmap", "127.0.0.1:0", "--policy", table, "--check", .. args]);
        Assert.True(r.Exit == 2, description + ": " + r.Err);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_roots_file_without_a_certificate_is_exit_2_with_its_position()
    {
        using var dir = new TempDir();
        string table = dir.File("tls_policy", "partner.example secure\n");
        string roots = dir.File("roots.pem", "not a certificate\n");
        var r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", table, "--check", "--mta-sts", "--mta-sts-roots", roots);
        Assert.Equal(2, r.Exit);
        Assert.StartsWith(roots + ":", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_and_the_json_report_say_that_mta_sts_is_merged()
    {
        using var dir = new TempDir();
        string table = dir.File("tls_policy", "partner.example secure\n");
        var r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", table, "--check", "--mta-sts", "--dns", "127.0.0.1:5353");
        Assert.Equal(0, r.Exit);
        var lines = r.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("MTA-STS merged in (R-D2, the stricter applies", lines[1], StringComparison.Ordinal);
        Assert.Contains("DNS 127.0.0.1:5353", lines[1], StringComparison.Ordinal);

        r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", table, "--check", "--mta-sts", "--mta-sts-wait", "0.5", "--format", "json");
        Assert.Equal(0, r.Exit);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        var m = doc.RootElement.GetProperty("mtaSts");
        Assert.Equal("R-D2", m.GetProperty("rule").GetString());
        Assert.Equal("stricter", m.GetProperty("merge").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, m.GetProperty("dns").ValueKind);
        Assert.Equal(0.5, m.GetProperty("lookupBudgetSeconds").GetDouble());
        Assert.Equal("table", m.GetProperty("whenPending").GetString());

        r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", table, "--check", "--format", "json");
        using var without = System.Text.Json.JsonDocument.Parse(r.Out);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, without.RootElement.GetProperty("mtaSts").ValueKind);
    }
}
