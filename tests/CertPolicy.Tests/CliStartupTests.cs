using System.CommandLine;
using CertPolicy.Cli;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests;

/// <summary>
/// Start-up builds only the area of the invoked command (CliApp.Areas, benchmarks/README.md "Start-up"). These tests
/// keep that honest: each area adds exactly the top-level commands it declares, the full tree is their union, and a
/// named command parses and runs the same in its area alone as in the full tree.
/// </summary>
public class CliStartupTests
{
    private static List<string> Names(RootCommand root) => [.. root.Subcommands.Select(c => c.Name)];

    [Fact]
    public void Each_area_adds_exactly_the_commands_it_declares()
    {
        var all = new List<string>();
        foreach (var area in CliApp.Areas)
        {
            var root = new RootCommand();
            area.Add(root, TextWriter.Null, TextWriter.Null);
            Assert.Equal(area.Names, Names(root));
            all.AddRange(area.Names);
        }

        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(all, Names(CliApp.BuildRoot(null, TextWriter.Null, TextWriter.Null)));
    }

    [Fact]
    public void A_named_command_builds_its_area_alone_and_anything_else_builds_the_whole_tree()
    {
        var full = Names(CliApp.BuildRoot(null, TextWriter.Null, TextWriter.Null));
        Assert.Equal(["verify", "conformance"], Names(CliApp.BuildRoot("verify", TextWriter.Null, TextWriter.Null)));
        Assert.Equal(["bundle", "trust"], Names(CliApp.BuildRoot("trust", TextWriter.Null, TextWriter.Null)));
        foreach (var first in new[] { "--help", "-h", "--version", "frobnicate", "VERIFY", string.Empty })
        {
            Assert.Equal(full, Names(CliApp.BuildRoot(first, TextWriter.Null, TextWriter.Null)));
        }
    }

    [Fact]
    public void Help_without_a_command_lists_every_command_and_a_typo_is_an_error_with_exit_2()
    {
        var help = CliRunner.Run("--help");
        Assert.Equal(0, help.Exit);
        foreach (var name in CliApp.Areas.SelectMany(a => a.Names))
        {
            Assert.Contains("\n  " + name + " ", help.Out, StringComparison.Ordinal);
        }

        var typo = CliRunner.Run("verfy", "chain.pem");
        Assert.Equal(2, typo.Exit);
        Assert.StartsWith("certpolicy: ", typo.Err, StringComparison.Ordinal);
    }
}
