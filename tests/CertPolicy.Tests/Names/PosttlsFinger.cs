using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace CertPolicy.Tests.Names;

/// <summary>The result of one posttls-finger probe.</summary>
/// <param name="Verdict">The lower-cased summary word (<c>verified</c>, <c>trusted</c>, <c>untrusted</c>, <c>anonymous</c>), or <c>failed</c> when no TLS session was reported (postfix-tls.md 5).</param>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="Output">Everything it wrote (stdout then stderr), for failure messages.</param>
internal sealed record PosttlsFingerResult(string Verdict, int ExitCode, string Output);

/// <summary>
/// Runs the real Postfix <c>posttls-finger</c> (Debian 12: /usr/sbin/posttls-finger, Postfix 3.7,
/// OpenSSL 3.0) with a private configuration directory (MAIL_CONFIG; the system has no
/// /etc/postfix/main.cf) and reads the verdict word of its TLS summary line.
/// </summary>
internal sealed partial class PosttlsFinger : IDisposable
{
    /// <summary>Where Debian installs it.</summary>
    public const string DefaultPath = "/usr/sbin/posttls-finger";

    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates a private MAIL_CONFIG directory holding main.cf and the CA file.</summary>
    public PosttlsFinger(string caPem)
    {
        ConfigDirectory = Directory.CreateTempSubdirectory("certpolicy-ptf-").FullName;
        File.WriteAllText(
            Path.Combine(ConfigDirectory, "main.cf"),
            "# CertPolicy name-matching differential test: private posttls-finger configuration\n"
            + "compatibility_level = 3.7\n"
            + "smtp_tls_loglevel = 1\n"
            + "smtputf8_enable = yes\n",
            Encoding.ASCII);
        CaFile = Path.Combine(ConfigDirectory, "ca.pem");
        File.WriteAllText(CaFile, caPem, Encoding.ASCII);
    }

    /// <summary>The private MAIL_CONFIG directory.</summary>
    public string ConfigDirectory { get; }

    /// <summary>The CA file passed with <c>-F</c>.</summary>
    public string CaFile { get; }

    /// <summary>The binary: $POSTTLS_FINGER if set, else /usr/sbin/posttls-finger, else the first on PATH; null when absent.</summary>
    public static string? Locate()
    {
        string? configured = Environment.GetEnvironmentVariable("POSTTLS_FINGER");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        if (File.Exists(DefaultPath))
        {
            return DefaultPath;
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "posttls-finger");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The binary, or a failing assertion that says how to install it (never a silent skip).</summary>
    public static string Require()
    {
        string? path = Locate();
        Assert.True(
            path is not null,
            "posttls-finger (Postfix 3.7) is required for the name-matching differential tests but was not found "
            + $"({(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("POSTTLS_FINGER")) ? $"not at {DefaultPath} nor on PATH" : "not at $POSTTLS_FINGER")}). Install it: apt-get install postfix (Debian 12; choose \"No configuration\"), "
            + "or run ./test.sh as root, or set POSTTLS_FINGER to the binary.");
        return path!;
    }

    /// <summary>
    /// Probes <paramref name="destination"/> (e.g. <c>[127.0.0.1]:2525</c>) at <paramref name="level"/>
    /// (<c>secure</c> or <c>verify</c>) with the given match names (none: posttls-finger's default).
    /// </summary>
    public async Task<PosttlsFingerResult> ProbeAsync(string binary, string level, string destination, IReadOnlyList<string> matchNames)
    {
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.Environment["MAIL_CONFIG"] = ConfigDirectory;
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["LC_ALL"] = "C.UTF-8";

        // -c: no SMTP chat log; -a ipv4: IPv4 only (all traffic stays on 127.0.0.1);
        // -h native: [localhost] is resolved through /etc/hosts, no DNS; -t/-T: connect and SMTP timeouts.
        foreach (string a in (string[])["-c", "-a", "ipv4", "-h", "native", "-t", "10", "-T", "10", "-l", level, "-F", CaFile, destination])
        {
            psi.ArgumentList.Add(a);
        }

        foreach (string name in matchNames)
        {
            psi.ArgumentList.Add(name);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {binary}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ProcessTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            string partial = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
            throw new TimeoutException($"posttls-finger {string.Join(' ', psi.ArgumentList)} did not finish within {ProcessTimeout.TotalSeconds} s; output so far:\n{partial}");
        }

        string output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        return new PosttlsFingerResult(ParseVerdict(output), process.ExitCode, output);
    }

    /// <summary>
    /// The summary word of <c>posttls-finger: Verified TLS connection established to ...</c> (also
    /// Trusted, Untrusted, Anonymous), lower-cased; <c>failed</c> when there is none.
    /// </summary>
    public static string ParseVerdict(string output)
    {
        var m = SummaryLine().Match(output);
        return m.Success ? m.Groups[1].Value.ToLowerInvariant() : "failed";
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(ConfigDirectory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory left behind is harmless
        }
    }

    [GeneratedRegex(@"^posttls-finger: (Verified|Trusted|Untrusted|Anonymous) TLS connection established to ", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex SummaryLine();
}
