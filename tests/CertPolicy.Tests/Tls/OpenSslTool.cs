using System.Diagnostics;

namespace CertPolicy.Tests.Tls;

/// <summary>Runs the machine's real <c>openssl</c>. A missing binary fails the test with what to install.</summary>
internal static class OpenSslTool
{
    internal sealed record Result(int ExitCode, string[] Lines, string Error);

    internal static Result Ciphers(params string[] args)
    {
        var psi = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("ciphers");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process? p;
        try
        {
            p = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail("the differential tests need the real `openssl` binary (OpenSSL 3.0): install it with `apt-get install openssl` (" + ex.Message + ")");
            throw;
        }

        Assert.NotNull(p);
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return new Result(p.ExitCode, output.Split('\n', StringSplitOptions.RemoveEmptyEntries), err.Result);
        }
    }

    /// <summary>The suite ids of `openssl ciphers -V` output lines.</summary>
    internal static ushort Id(string line)
    {
        var t = line.TrimStart();
        Assert.True(CertPolicy.Tls.CipherSuiteTable.TryParseCodePoint(t.AsSpan(0, 9), out ushort id), "unparsable openssl line: " + line);
        return id;
    }
}
