using System.Globalization;
using System.Text.RegularExpressions;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;
using Xunit.Abstractions;

namespace CertPolicy.Tests.Packaging;

/// <summary>
/// The NativeAOT build and the installed dotnet tool (issue 13 item 8), each built once (<see cref="CliBuilds"/>) and
/// run as a user runs them: as their own processes, against the same chains as the in-process CLI, which they must
/// answer with the same output and exit code.
/// </summary>
public sealed class CliBuildTests(CliBuilds builds, ITestOutputHelper output) : IClassFixture<CliBuilds>
{
    private static readonly string At = TestChains.At.ToString("O", CultureInfo.InvariantCulture);

    [Fact]
    public void The_NativeAOT_publish_succeeds_without_a_trim_or_AOT_warning()
    {
        output.WriteLine($"dotnet publish -p:PublishAot=true took {builds.PublishSeconds:F0} s");
        var log = builds.Publish.Stdout + builds.Publish.Stderr;
        Assert.True(builds.Publish.ExitCode == 0, "publish failed:\n" + Tail(log));

        // MSBuild prints every warning as "...: warning CODE: ..."; trim and AOT analysis codes are IL2xxx/IL3xxx.
        var warnings = log.Split('\n').Where(l => l.Contains(": warning ", StringComparison.Ordinal) || Regex.IsMatch(l, @"\bIL[23]\d{3}\b")).ToList();
        Assert.True(warnings.Count == 0, "publish warnings:\n" + string.Join('\n', warnings));
        Assert.True(File.Exists(builds.NativeBinary), "no native binary named certpolicy in " + builds.AotDirectory + ": " + string.Join(", ", Directory.GetFiles(builds.AotDirectory).Select(Path.GetFileName)));
    }

    [Fact]
    public void The_native_help_names_certpolicy_and_lists_every_command()
    {
        var native = Native("--help");
        Assert.True(native.ExitCode == 0, native.Stderr);
        Assert.Contains("Usage:\n  certpolicy [command] [options]", native.Stdout, StringComparison.Ordinal);

        // The whole command tree, not only the area start-up builds for a named command: the same list as in-process.
        var managed = CliRunner.Run("--help");
        Assert.Equal(0, managed.Exit);
        Assert.Equal(CommandsSection(managed.Out), CommandsSection(native.Stdout));
        Assert.Contains("  verify <CHAIN.pem>", native.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_native_verify_gives_the_in_process_verdict_output_and_exit_code()
    {
        using var dir = new TempDir();
        var (chain, roots) = WriteChain(dir, new ChainSpec());
        var (_, otherRoots) = WriteChain(dir, new ChainSpec { RootKeyIndex = 1, RootName = "CN=Other Root,O=Test Trust,C=DE" }, "other-");
        string[][] cases =
        [
            ["verify", chain, "--nexthop", "example.com", "--roots", roots, "--at", At],
            ["verify", chain, "--nexthop", "example.com", "--roots", roots, "--at", At, "--format", "json"],
            ["verify", chain, "--nexthop", "other.example", "--roots", roots, "--at", At],
            ["verify", chain, "--nexthop", "example.com", "--roots", otherRoots, "--at", At],
            ["verify", chain, "--nexthop", "example.com", "--at", At],
        ];
        var exits = new List<int>();
        foreach (var args in cases)
        {
            var managed = CliRunner.Run(args);
            var native = Native(args);
            Assert.True(managed.Exit == native.ExitCode, $"{string.Join(' ', args)}: exit {managed.Exit} in-process, {native.ExitCode} native: {native.Stderr}");
            Assert.Equal(managed.Out, native.Stdout);
            Assert.Equal(managed.Err, native.Stderr);
            exits.Add(native.ExitCode);
        }

        // The cases cover a pass and failures: name mismatch, another root, the curated store (no path to its anchors).
        Assert.Equal([0, 0, 1, 1, 1], exits);
    }

    [Fact]
    public void The_native_binary_reports_bad_input_in_one_positioned_line_with_exit_2()
    {
        using var dir = new TempDir();
        var (_, roots) = WriteChain(dir, new ChainSpec());
        string damaged = dir.File("damaged.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        string[] args = ["verify", damaged, "--nexthop", "example.com", "--roots", roots, "--at", At];
        var native = Native(args);
        var managed = CliRunner.Run(args);
        Assert.Equal(2, native.ExitCode);
        Assert.Equal(string.Empty, native.Stdout);
        Assert.Matches(@"^[^\n]*damaged\.pem:\d+:\d+: [^\n]+\n$", native.Stderr);
        Assert.Equal(managed.Err, native.Stderr);
    }

    [Fact]
    public void The_packed_tool_installs_into_a_tool_path_and_verifies_as_in_process()
    {
        output.WriteLine($"dotnet pack + dotnet tool install took {builds.PackSeconds:F0} s");
        Assert.True(builds.Pack.ExitCode == 0, "pack failed:\n" + Tail(builds.Pack.Stdout + builds.Pack.Stderr));
        Assert.True(builds.Install.ExitCode == 0, "tool install failed:\n" + Tail(builds.Install.Stdout + builds.Install.Stderr));
        string tool = Path.Combine(builds.ToolDirectory!, "certpolicy");

        var version = Tool.Run(tool, ["--version"]);
        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.StartsWith(builds.PackageVersion + "+", version.Stdout, StringComparison.Ordinal);

        using var dir = new TempDir();
        var (chain, roots) = WriteChain(dir, new ChainSpec());
        string[] args = ["verify", chain, "--nexthop", "example.com", "--roots", roots, "--at", At];
        var installed = Tool.Run(tool, args);
        var managed = CliRunner.Run(args);
        Assert.True(installed.ExitCode == 0, installed.Stderr);
        Assert.Equal(managed.Out, installed.Stdout);
    }

    private (int ExitCode, string Stdout, string Stderr) Native(params string[] args)
    {
        Assert.True(builds.Publish.ExitCode == 0 && File.Exists(builds.NativeBinary), "the NativeAOT publish failed (see The_NativeAOT_publish_succeeds_without_a_trim_or_AOT_warning)");
        return Tool.Run(builds.NativeBinary, args);
    }

    private static (string Chain, string Roots) WriteChain(TempDir dir, ChainSpec spec, string prefix = "")
    {
        var c = TestChains.Create(spec);
        return (dir.File(prefix + "chain.pem", c.PresentedPem), dir.File(prefix + "roots.pem", c.RootPem));
    }

    // From "Commands:" to the end: the usage line differs (the in-process tree is named after the test host).
    private static string CommandsSection(string help)
    {
        int i = help.IndexOf("Commands:", StringComparison.Ordinal);
        Assert.True(i >= 0, "no Commands: section in\n" + help);
        return help[i..];
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : log[^6000..];
}
