using System.Diagnostics;

namespace CertPolicy.Tests.Support;

/// <summary>Runs real peer tools (postmap, posttls-finger, openssl) with timeouts. A missing tool fails the test with what to install.</summary>
internal static class Tool
{
    internal static string Require(string name, string package)
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"'{name}' is not installed; run ./test.sh as root, or: apt-get install -y {package}");
        return string.Empty;
    }

    /// <summary>
    /// Runs a real tool with a timeout and the C locale (untranslated messages). A missing binary fails
    /// the test naming the Debian package to install (never a silent skip). The one process runner of
    /// the test suite: the per-area helpers delegate here.
    /// </summary>
    internal static (int ExitCode, string Stdout, string Stderr) Run(
        string file, IEnumerable<string> args, string? stdin = null, IDictionary<string, string>? env = null, int timeoutMs = 60_000, string? package = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["LC_ALL"] = "C";
        psi.Environment["LANGUAGE"] = "C";
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException(file + " did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            var pkg = package ?? Path.GetFileName(file);
            Assert.Fail($"'{file}' is not installed ({ex.Message}); run ./test.sh as root, or: apt-get install -y {pkg}");
            throw;
        }

        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
            }

            p.StandardInput.Close();
            if (!p.WaitForExit(timeoutMs))
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail($"{file} {string.Join(' ', args)} timed out after {timeoutMs} ms");
            }

            p.WaitForExit();
            if (IsCli(args))
            {
                // The CLI as a child process (dotnet CertPolicy.Cli.dll ...): its output is scanned like CliRunner's.
                CliRunner.Record(args.Skip(1), stdout.Result, stderr.Result);
            }

            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    private static bool IsCli(IEnumerable<string> args) =>
        args.FirstOrDefault() is { } first && Path.GetFileName(first).Equals("CertPolicy.Cli.dll", StringComparison.Ordinal);

    /// <summary>The dotnet host that runs the tests (for the CLI as a child process, e.g. with its own environment).</summary>
    internal static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (host is not null && File.Exists(host))
        {
            return host;
        }

        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(d, "dotnet");
            if (d.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("the dotnet host was not found (DOTNET_HOST_PATH, PATH)");
        return string.Empty;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    internal TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "certpolicy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    internal string Path { get; }

    internal string File(string name, string content)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// Runs the CLI in-process and captures its output. Every output the test suite captures from the CLI (in-process here,
/// out of process through <see cref="Tool.Run"/>) is recorded and scanned: no .NET type name, exception name or ASN.1 tag
/// jargon may reach a user (issue 13 item 6), so every CLI test in the suite enforces it.
/// </summary>
internal static partial class CliRunner
{
    /// <summary>What a message must never contain: .NET namespaces/type names, exception names, ASN.1 tag-class jargon.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"System\.|Exception|class value")]
    internal static partial System.Text.RegularExpressions.Regex Forbidden();

    private static readonly System.Collections.Concurrent.ConcurrentQueue<(string Args, string Out, string Err)> s_captured = new();

    /// <summary>Every output captured so far in this test process (command line, stdout, stderr).</summary>
    internal static IReadOnlyCollection<(string Args, string Out, string Err)> Captured => s_captured;

    internal static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CertPolicy.Cli.CliApp.Run(args, o, e);
        var (stdout, stderr) = (o.ToString(), e.ToString());
        Record(args, stdout, stderr);
        return (code, stdout, stderr);
    }

    /// <summary>Records one invocation's output and fails the test when it contains forbidden text.</summary>
    internal static void Record(IEnumerable<string> args, string stdout, string stderr)
    {
        string line = string.Join(' ', args);
        s_captured.Enqueue((line, stdout, stderr));
        foreach (var (name, text) in new[] { ("stdout", stdout), ("stderr", stderr) })
        {
            var m = Forbidden().Match(text);
            if (m.Success)
            {
                int start = text.LastIndexOf('\n', m.Index) + 1;
                int end = text.IndexOf('\n', m.Index);
                Assert.Fail($"certpolicy {line}: {name} leaks .NET internals ('{m.Value}'): {text[start..(end < 0 ? text.Length : end)]}");
            }
        }
    }
}
