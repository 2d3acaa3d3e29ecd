using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Tls;

/// <summary>Issue 13: a cipher string starting with '@' (common in Postfix settings) is a cipher string, not a response file.</summary>
public sealed class ResponseFileTests
{
    [Theory]
    [InlineData("@SECLEVEL=2:HIGH")]
    [InlineData("@SECLEVEL=1:ECDHE+AESGCM:@STRENGTH")]
    public void A_cipher_string_starting_with_at_is_evaluated_as_openssl_does(string cipherString)
    {
        var openssl = Tool.Require("openssl", "openssl");
        var expected = Tool.Run(openssl, ["ciphers", cipherString]);
        Assert.True(expected.ExitCode == 0, expected.Stderr);
        var (exit, stdout, stderr) = CliRunner.Run("ciphers", cipherString);
        Assert.True(exit == 0, stderr);
        Assert.Equal(expected.Stdout.Trim(), stdout.Trim());
    }
}
