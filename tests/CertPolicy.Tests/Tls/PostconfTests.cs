using System.Diagnostics;
using CertPolicy.Tls;

namespace CertPolicy.Tests.Tls;

/// <summary>The Postfix defaults the library restates, checked against the machine's real <c>postconf -d</c>.</summary>
public class PostconfTests
{
    private static Dictionary<string, string> PostconfDefaults(params string[] names)
    {
        var psi = new ProcessStartInfo("postconf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-d");
        foreach (var n in names)
        {
            psi.ArgumentList.Add(n);
        }

        Process? p = null;
        try
        {
            p = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail("this test needs Postfix's `postconf` (Postfix 3.7): run ./test.sh as root or `apt-get install postfix` (" + ex.Message + ")");
        }

        Assert.NotNull(p);
        using (p)
        {
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = line.IndexOf(" = ", StringComparison.Ordinal);
                d[line[..eq]] = line[(eq + 3)..].Trim();
            }

            return d;
        }
    }

    [Fact]
    public void Grade_lists_and_protocol_defaults_equal_postconf_d()
    {
        var d = PostconfDefaults("tls_high_cipherlist", "tls_medium_cipherlist", "tls_low_cipherlist", "tls_export_cipherlist", "tls_null_cipherlist", "smtp_tls_mandatory_protocols", "smtp_tls_protocols", "smtp_tls_mandatory_ciphers");
        Assert.Equal(d["tls_high_cipherlist"], PostfixCiphers.DefaultCipherList(PostfixCipherGrade.High));
        Assert.Equal(d["tls_medium_cipherlist"], PostfixCiphers.DefaultCipherList(PostfixCipherGrade.Medium));
        Assert.Equal(d["tls_low_cipherlist"], PostfixCiphers.DefaultCipherList(PostfixCipherGrade.Low));
        Assert.Equal(d["tls_export_cipherlist"], PostfixCiphers.DefaultCipherList(PostfixCipherGrade.Export));
        Assert.Equal(d["tls_null_cipherlist"], PostfixCiphers.DefaultCipherList(PostfixCipherGrade.Null));
        Assert.Equal(PostfixProtocols.Default, d["smtp_tls_mandatory_protocols"]);
        Assert.Equal(PostfixProtocols.Default, d["smtp_tls_protocols"]);

        // postfix-secure uses exactly these defaults.
        Assert.True(PostfixCiphers.TryParseGrade(d["smtp_tls_mandatory_ciphers"], out var g));
        Assert.StartsWith(PostfixCiphers.GradeName(g) + " ", TlsFloor.PostfixSecure.GradeDescription, StringComparison.Ordinal);
        Assert.True(PostfixProtocols.TryParse(d["smtp_tls_mandatory_protocols"], out var protocols, out _));
        Assert.Equal(protocols, TlsFloor.PostfixSecure.Protocols);
    }
}
