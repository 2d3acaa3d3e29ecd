using System.CommandLine;

namespace CertPolicy.Cli.Commands;

internal static class PolicyCommands
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var policy = new Command("policy", "Check, look up and format Postfix tls_policy tables.");
        root.Subcommands.Add(policy);
    }
}
