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
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }

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

/// <summary>Runs the CLI in-process and captures its output.</summary>
internal static class CliRunner
{
    internal static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CertPolicy.Cli.CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
