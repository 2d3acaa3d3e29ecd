using System.Text.Json;
using CertPolicy.Cli;

namespace CertPolicy.Tests.Tls;

public class TlsCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
        => CertPolicy.Tests.Support.CliRunner.Run(args);

    [Theory]
    [InlineData("HIGH:!aNULL:!MD5")]
    [InlineData("aNULL:-aNULL:HIGH:@STRENGTH")]
    public void Ciphers_V_prints_what_openssl_ciphers_V_prints(string cipherString)
    {
        var (code, output, err) = Run("ciphers", "-V", cipherString);
        Assert.True(code == 0, err);
        var expected = OpenSslTool.Ciphers("-V", cipherString).Lines.Select(l => l.TrimEnd());
        Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()));
    }

    [Fact]
    public void Ciphers_plain_is_colon_separated_like_openssl()
    {
        var (code, output, _) = Run("ciphers", "HIGH");
        Assert.Equal(0, code);
        Assert.Equal(OpenSslTool.Ciphers("HIGH").Lines[0].Trim(), output.Trim());
    }

    [Fact]
    public void Ciphers_tls_version_filters_and_json()
    {
        var (code, output, _) = Run("ciphers", "--tls1_3", "--json", "HIGH");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var suites = doc.RootElement.GetProperty("suites");
        Assert.Equal(3, suites.GetArrayLength());
        Assert.All(suites.EnumerateArray(), s => Assert.Equal("TLSv1.3", s.GetProperty("protocol").GetString()));
        Assert.Equal("0x13,0x02", suites[0].GetProperty("id").GetString());

        (code, output, _) = Run("ciphers", "--tls1_2", "-V", "HIGH");
        Assert.Equal(0, code);
        Assert.DoesNotContain("TLSv1.3", output, StringComparison.Ordinal);
        Assert.Contains("ECDHE-RSA-AES256-GCM-SHA384", output, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Unusable, Run("ciphers", "--tls1_2", "--tls1_3", "HIGH").Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("NOSUCHALIAS")]
    [InlineData("HIGH:@SECLEVEL=99")]
    [InlineData("MEDIUM")]
    [InlineData("HIGH\u0001\u00ff")]
    public void Ciphers_bad_strings_exit_2_with_a_message(string cipherString)
    {
        var (code, _, err) = Run("ciphers", "--", cipherString);
        Assert.Equal(ExitCodes.Unusable, code);
        Assert.StartsWith("certpolicy ciphers: ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ciphers_SECLEVEL_99_alone_exits_2_with_the_seclevel_message()
    {
        // A leading '@' would be a response file for System.CommandLine; "--" passes it as the string.
        var (code, _, err) = Run("ciphers", "--", "@SECLEVEL=99");
        Assert.Equal(ExitCodes.Unusable, code);
        Assert.Contains("security level", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ciphers_one_megabyte_string_exits_2()
    {
        var (code, _, err) = Run("ciphers", new string('A', 1024 * 1024));
        Assert.Equal(ExitCodes.Unusable, code);
        Assert.Contains("limit", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "--protocol", "TLSv1.2", "--cipher", "ECDHE-RSA-AES256-GCM-SHA384")]
    [InlineData(0, "--protocol", "TLSv1.2", "--cipher", "0xC0,0x30")]
    [InlineData(0, "--protocol", "TLSv1.2", "--cipher", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "--profile", "document-2019")]
    [InlineData(0, "--protocol", "TLSv1.3", "--cipher", "TLS_AES_256_GCM_SHA384")]
    [InlineData(1, "--protocol", "TLSv1.3", "--cipher", "TLS_AES_256_GCM_SHA384", "--profile", "document-2019")]
    [InlineData(1, "--protocol", "TLSv1.2", "--cipher", "RC4-MD5")]
    [InlineData(1, "--protocol", "TLSv1", "--cipher", "AES128-SHA")]
    [InlineData(0, "--protocol", "TLSv1", "--cipher", "AES128-SHA", "--profile", "postfix-secure")]
    [InlineData(1, "--protocol", "TLSv1.2", "--cipher", "DES-CBC3-SHA", "--grade", "medium")]
    [InlineData(2, "--protocol", "TLSv1.4", "--cipher", "AES128-SHA")]
    [InlineData(2, "--protocol", "TLSv1.2", "--cipher", "NOPE-CIPHER")]
    [InlineData(2, "--protocol", "TLSv1.2", "--cipher", "AES128-SHA", "--profile", "strict")]
    [InlineData(2, "--protocol", "TLSv1.2", "--cipher", "AES128-SHA", "--grade", "strong")]
    [InlineData(2, "--cipher", "AES128-SHA")]
    [InlineData(0, "--protocol", "TLSv1.3", "--cipher", "TLS_AES_256_GCM_SHA384", "--profile", "document-2019", "--protocols", ">=TLSv1.2")]
    [InlineData(1, "--protocol", "TLSv1.3", "--cipher", "TLS_AES_256_GCM_SHA384", "--protocols", "TLSv1.2")]
    [InlineData(1, "--protocol", "TLSv1.2", "--cipher", "ECDHE-RSA-AES128-SHA", "--exclude", "SHA1")]
    [InlineData(0, "--protocol", "TLSv1.2", "--cipher", "ECDHE-RSA-AES128-GCM-SHA256", "--exclude", "SHA1:3DES")]
    [InlineData(2, "--protocol", "TLSv1.2", "--cipher", "AES128-SHA", "--exclude", "!SHA1")]
    [InlineData(2, "--protocol", "TLSv1.2", "--cipher", "AES128-SHA", "--protocols", ">=TLSv9")]
    public void Tls_check_exit_codes(int expected, params string[] args)
    {
        var (code, output, err) = Run(["tls", "check", .. args]);
        Assert.True(expected == code, output + err);
        if (expected == 1)
        {
            Assert.StartsWith("not acceptable: ", output, StringComparison.Ordinal);
            Assert.Contains("R-T", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Tls_check_prints_the_failed_rule()
    {
        var (code, output, _) = Run("tls", "check", "--protocol", "TLSv1.2", "--cipher", "RC4-MD5");
        Assert.Equal(ExitCodes.Findings, code);
        Assert.Contains("R-T3: RC4-MD5 uses RC4", output, StringComparison.Ordinal);
    }
}
