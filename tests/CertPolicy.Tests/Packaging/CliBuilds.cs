using System.Diagnostics;
using CertPolicy.Tests.Messaging;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Packaging;

/// <summary>
/// The two ways the README ships the CLI, each built once per test run, exactly as the README says: the NativeAOT
/// build (<c>dotnet publish src/CertPolicy.Cli -c Release -r linux-x64 -p:PublishAot=true</c>) and the dotnet tool
/// (<c>dotnet pack</c>, then <c>dotnet tool install</c>, here into a temporary <c>--tool-path</c> from the packed folder
/// only, with a private NuGet cache so that an older package of the same version is never reused). The NativeAOT
/// compiler package comes from NuGet at the version the SDK picks. Builds run one after the other (they share the
/// projects' obj folders) and without build servers (no MSBuild node outlives the test and holds its output pipes).
/// </summary>
public sealed class CliBuilds : IDisposable
{
    private readonly TempDir _dir = new();

    public CliBuilds()
    {
        string project = Path.Combine(TestFiles.RepoRoot, "src", "CertPolicy.Cli");
        string dotnet = Tool.DotnetHost();

        // Publish: warnings are errors (Directory.Build.props; ILC takes --warnaserror from it), and the log is kept so
        // that a test can show there was no trim or AOT warning at all.
        AotDirectory = Path.Combine(_dir.Path, "aot");
        var watch = Stopwatch.StartNew();
        Publish = Tool.Run(dotnet, ["publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:TreatWarningsAsErrors=true", "-o", AotDirectory, "--disable-build-servers", "-nologo"], timeoutMs: 40 * 60_000);
        PublishSeconds = watch.Elapsed.TotalSeconds;

        string nupkg = Path.Combine(_dir.Path, "nupkg");
        watch.Restart();
        Pack = Tool.Run(dotnet, ["pack", project, "-c", "Release", "-o", nupkg, "--disable-build-servers", "-nologo"], timeoutMs: 20 * 60_000);
        var packages = Directory.Exists(nupkg) ? Directory.GetFiles(nupkg, "CertPolicy.Cli.*.nupkg") : [];
        if (Pack.ExitCode == 0 && packages.Length == 1)
        {
            PackageVersion = Path.GetFileNameWithoutExtension(packages[0])["CertPolicy.Cli.".Length..];
            ToolDirectory = Path.Combine(_dir.Path, "tools");
            Install = Tool.Run(
                dotnet,
                ["tool", "install", "CertPolicy.Cli", "--version", PackageVersion, "--tool-path", ToolDirectory, "--source", nupkg],
                env: new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_dir.Path, "nuget-cache"), ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
                timeoutMs: 10 * 60_000);
        }

        PackSeconds = watch.Elapsed.TotalSeconds;
    }

    internal (int ExitCode, string Stdout, string Stderr) Publish { get; }

    internal double PublishSeconds { get; }

    /// <summary>The published folder; the native binary is <c>certpolicy</c> (the csproj names it after the command).</summary>
    internal string AotDirectory { get; }

    internal string NativeBinary => Path.Combine(AotDirectory, "certpolicy");

    internal (int ExitCode, string Stdout, string Stderr) Pack { get; }

    internal string? PackageVersion { get; }

    internal (int ExitCode, string Stdout, string Stderr) Install { get; } = (-1, string.Empty, "not run: the pack failed");

    internal string? ToolDirectory { get; }

    internal double PackSeconds { get; }

    public void Dispose() => _dir.Dispose();
}
