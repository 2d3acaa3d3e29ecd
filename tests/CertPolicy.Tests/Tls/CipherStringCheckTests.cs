using System.Text.Json;
using CertPolicy.Tests.Support;
using CertPolicy.Tls;

namespace CertPolicy.Tests.Tls;

/// <summary>
/// Issue 13 item 7. Unknown words in a cipher string are skipped with a warning, exactly where OpenSSL 3.0 skips them, and
/// the string is refused only where <c>openssl ciphers</c> fails ("no cipher match"): differential against the machine's
/// real OpenSSL. And <c>certpolicy ciphers STRING --check</c> judges the whole string against a floor (R-T2..R-T5).
/// </summary>
public class CipherStringCheckTests
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();

    [Theory]
    [InlineData("HIGH:!SSLv2:FOO", new[] { "SSLv2", "FOO" })]
    [InlineData("HIGH:!SSLv2:!SSLv3:!TLSv1:!TLSv1.1:!aNULL", new[] { "SSLv2", "TLSv1.1" })] // OpenSSL 3.0 has neither alias
    [InlineData("ECDHE+AESGCM:FOO", new[] { "FOO" })]
    [InlineData("HIGH:FOO+BAR", new[] { "FOO" })]
    [InlineData("NOPE:ECDHE-RSA-AES128-SHA:@STRENGTH", new[] { "NOPE" })]
    [InlineData("DEFAULT:!FOO:-BAR:+BAZ", new[] { "FOO", "BAR", "BAZ" })]
    [InlineData("HIGH:RC4-MD5:!MD5", new[] { "RC4-MD5" })]
    [InlineData("FOO", new[] { "FOO" })]
    [InlineData("FOO:BAR", new[] { "FOO", "BAR" })]
    [InlineData("!FOO", new[] { "FOO" })]
    [InlineData("FOO:@STRENGTH", new[] { "FOO" })]
    [InlineData("SSLv2", new[] { "SSLv2" })]
    [InlineData("aNULL:!aNULL", new string[0])]
    public void Unknown_words_are_skipped_with_a_warning_where_openssl_skips_them(string cipherString, string[] warned)
    {
        var openssl = OpenSslTool.Ciphers("-V", cipherString);
        var (exit, output, err) = CliRunner.Run("ciphers", "-V", cipherString);
        if (openssl.ExitCode != 0)
        {
            // OpenSSL: "Error in cipher list ... no cipher match". Ours: exit 2 with one error line after the warnings.
            Assert.Contains("no cipher match", openssl.Error, StringComparison.Ordinal);
            Assert.True(exit == 2, output + err);
            Assert.Equal(string.Empty, output);
            Assert.EndsWith("certpolicy ciphers: no cipher match: the string selects no TLS <= 1.2 suite", err.TrimEnd(), StringComparison.Ordinal);
        }
        else
        {
            Assert.True(exit == 0, err);
            Assert.Equal(openssl.Lines.Select(l => l.TrimEnd()), Lines(output));
        }

        foreach (var w in warned)
        {
            Assert.Contains("certpolicy ciphers: warning: '" + w + "'", err, StringComparison.Ordinal);
        }

        Assert.Equal(warned.Length, Lines(err).Count(l => l.Contains(": warning: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Strict_refuses_unknown_words_and_lenient_is_still_accepted()
    {
        var strict = CliRunner.Run("ciphers", "--strict", "HIGH:FOO");
        Assert.Equal(2, strict.Exit);
        Assert.Contains("unknown cipher alias or suite name 'FOO'", strict.Err, StringComparison.Ordinal);

        var lenient = CliRunner.Run("ciphers", "--lenient", "HIGH:FOO");
        var plain = CliRunner.Run("ciphers", "HIGH:FOO");
        Assert.Equal((0, plain.Out, plain.Err), (lenient.Exit, lenient.Out, lenient.Err));
    }

    [Fact]
    public void A_suite_the_build_lacks_is_named_as_such_not_as_unknown()
    {
        var (exit, _, err) = CliRunner.Run("ciphers", "HIGH:RC4-MD5");
        Assert.Equal(0, exit);
        Assert.Contains("warning: 'RC4-MD5' selects nothing in this OpenSSL build", err, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> CheckCases() => new()
    {
        { "ECDHE+AESGCM", TlsFloor.Partner2026Name },
        { "HIGH", TlsFloor.Partner2026Name },
        { "HIGH:!aNULL", TlsFloor.Partner2026Name },
        { PostfixCiphers.HighList, TlsFloor.Partner2026Name },
        { "DEFAULT", TlsFloor.Partner2026Name },
        { "ALL:COMPLEMENTOFALL", TlsFloor.Partner2026Name },
        { "ECDHE-RSA-AES128-SHA:AES256-SHA256", TlsFloor.Document2019Name },
        { "ALL:@SECLEVEL=0", TlsFloor.PostfixSecureName },
    };

    [Theory]
    [MemberData(nameof(CheckCases))]
    public void Check_refuses_exactly_the_selected_suites_the_pair_check_refuses(string cipherString, string profile)
    {
        // Oracle: the suites real `openssl ciphers -V` lists for the string (TLS <= 1.2), each judged as a negotiated pair
        // by `tls check` at TLS 1.2 (every one of them can be negotiated with TLS 1.2, which every profile allows).
        var listed = OpenSslTool.Ciphers("-V", "-tls1_2", cipherString);
        Assert.True(listed.ExitCode == 0, listed.Error);
        var expectedRefused = new List<string>();
        foreach (var line in listed.Lines)
        {
            Assert.True(CipherSuiteTable.TryGet(OpenSslTool.Id(line), out var info));
            if (info.IsTls13)
            {
                continue;
            }

            var pair = CliRunner.Run("tls", "check", "--protocol", "TLSv1.2", "--cipher", info.DisplayName, "--profile", profile);
            Assert.True(pair.Exit is 0 or 1, pair.Err);
            if (pair.Exit == 1)
            {
                expectedRefused.Add(info.DisplayName);
            }
        }

        var (exit, output, err) = CliRunner.Run("ciphers", cipherString, "--check", "--profile", profile, "--json");
        Assert.True(exit == (expectedRefused.Count == 0 ? 0 : 1), output + err);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal(profile, r.GetProperty("profile").GetString());
        Assert.Equal(listed.Lines.Count(l => !l.Contains("TLSv1.3", StringComparison.Ordinal)), r.GetProperty("selected").GetInt32());
        Assert.Equal(expectedRefused.Count == 0, r.GetProperty("acceptable").GetBoolean());
        var refused = r.GetProperty("refused").EnumerateArray().ToList();
        Assert.Equal(expectedRefused, refused.Select(x => x.GetProperty("name").GetString()));
        Assert.All(refused, x => Assert.NotEqual(0, x.GetProperty("findings").GetArrayLength()));
    }

    [Fact]
    public void Check_names_the_rules_in_text()
    {
        var (exit, output, _) = CliRunner.Run("ciphers", "ECDHE+AESGCM:aNULL+AES", "--check");
        Assert.Equal(1, exit);
        var lines = Lines(output);
        Assert.StartsWith("not acceptable: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("below profile partner-2026", lines[0], StringComparison.Ordinal);
        Assert.All(lines.Skip(1), l => Assert.Contains("R-T5: ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  ADH-AES256-GCM-SHA384 (TLSv1.2): ", StringComparison.Ordinal));

        var weak = CliRunner.Run("ciphers", "ECDHE+AESGCM:3DES", "--check", "--build", "weak");
        Assert.Equal(1, weak.Exit);
        Assert.Contains("R-T2: DES-CBC3-SHA has 112 bits of strength", weak.Out, StringComparison.Ordinal);

        var good = CliRunner.Run("ciphers", "ECDHE+AESGCM", "--check");
        Assert.Equal(0, good.Exit);
        Assert.StartsWith("acceptable: all ", good.Out, StringComparison.Ordinal);

        Assert.Equal(2, CliRunner.Run("ciphers", "HIGH", "--check", "--profile", "strict").Exit);
    }

    [Fact]
    public void The_judge_accepts_a_suite_at_any_protocol_the_floor_allows()
    {
        // DES-CBC3-SHA (SSLv3 and later): 112 bits, refused by partner-2026 (R-T2) at TLS 1.2; postfix-secure (grade medium,
        // TLS 1.0 and later, no strength floor) accepts it.
        int row = CipherSuiteTable.IndexOf(0x000A);
        Assert.False(CipherStringJudge.IsAcceptable(row, TlsFloor.Partner2026, out var at, out var failures));
        Assert.Equal(TlsProtocol.Tls12, at);
        Assert.NotEqual(TlsFloorFailures.None, failures);
        Assert.True(CipherStringJudge.IsAcceptable(row, TlsFloor.PostfixSecure, out _, out _));
    }
}
