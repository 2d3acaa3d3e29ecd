using System.CommandLine;

namespace CertPolicy.Cli.Commands;

internal static class NamesCommand
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var names = new Command("names", "Check a certificate's names against a policy level and match list.");
        root.Subcommands.Add(names);
    }
}
