
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
    internal static (int ExitCode, string Stdout, string Stderr) Run(string tool, string aptPackage, params string[] args) =>
        CertPolicy.Tests.Support.Tool.Run(tool, args, package: aptPackage);
}
