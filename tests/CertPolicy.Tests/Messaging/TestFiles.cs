using System.Diagnostics;

namespace CertPolicy.Tests.Messaging;

/// <summary>Fixture paths and real-peer helpers shared by the messaging tests.</summary>
internal static class TestFiles
{
    internal static string RepoRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "CertPolicy.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            return dir ?? throw new InvalidOperationException("CertPolicy.sln not found above " + AppContext.BaseDirectory);
        }
    }

    internal static string Fixture(string name) => Path.Combine(RepoRoot, "tests", "CertPolicy.Tests", "Messaging", "Fixtures", name);

    internal static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "certpolicy-msg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs a real tool; a missing tool fails the test with the install command (never a silent skip).</summary>
    internal static (int ExitCode, string Stdout, string Stderr) Run(string tool, string aptPackage, params string[] args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.Environment["LC_ALL"] = "C"; // untranslated tool messages, whatever the machine's locale
        psi.Environment["LANGUAGE"] = "C";
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException(tool + " did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail("'" + tool + "' is not installed (" + ex.Message + "): run 'apt-get install -y " + aptPackage
                + "' (test.sh must install " + aptPackage + ")");
            throw;
        }

        using (p)
        {
            p.StandardInput.Close();
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(60_000))
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail(tool + " did not finish within 60 s");
            }

            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
