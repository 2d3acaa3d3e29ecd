namespace CertPolicy.Tests.Tls;

/// <summary>Runs the machine's real <c>openssl</c>. A missing binary fails the test with what to install.</summary>
internal static class OpenSslTool
{
    internal sealed record Result(int ExitCode, string[] Lines, string Error);

    internal static Result Ciphers(params string[] args)
    {
        var (exit, output, error) = CertPolicy.Tests.Support.Tool.Run("openssl", ["ciphers", .. args], package: "openssl");
        return new Result(exit, output.Split('\n', StringSplitOptions.RemoveEmptyEntries), error);
    }

    /// <summary>The suite ids of `openssl ciphers -V` output lines.</summary>
    internal static ushort Id(string line)
    {
        var t = line.TrimStart();
        Assert.True(CertPolicy.Tls.CipherSuiteTable.TryParseCodePoint(t.AsSpan(0, 9), out ushort id), "unparsable openssl line: " + line);
        return id;
    }
}
