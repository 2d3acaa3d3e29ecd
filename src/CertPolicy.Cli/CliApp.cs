using System.CommandLine;
using CertPolicy.Cli.Commands;

namespace CertPolicy.Cli;

/// <summary>Composes the <c>certpolicy</c> command tree. Each area adds its commands from its own file.</summary>
internal static class CliApp
{
    /// <summary>Adds an area's top-level commands (and their subcommands) to the root.</summary>
    internal delegate void AreaBuilder(RootCommand root, TextWriter stdout, TextWriter stderr);

    /// <summary>An area: the top-level command names its builder adds, and the builder.</summary>
    internal sealed record Area(string[] Names, AreaBuilder Add);

    /// <summary>
    /// Every area, one line each (a new command is one more line). The names are the top-level commands the builder
    /// adds (a test builds each area alone and compares). Start-up builds only the area of the command invoked (the
    /// first argument); help, version, no argument or an unknown command build them all (benchmarks/README.md,
    /// "Start-up").
    /// </summary>
    internal static readonly Area[] Areas =
    [
        new(["policy"], PolicyCommands.Add),
        new(["names"], NamesCommand.Add),
        new(["ciphers", "tls"], TlsCommands.Add),
        new(["bundle", "trust"], TrustCommands.Add),
        new(["pgp", "container", "smime"], MessagingCommands.Add),
        new(["verify", "conformance"], VerifyCommand.Add),
        new(["probe"], ProbeCommand.Add),
        new(["monitor"], MonitorCommand.Add),
        new(["explain"], ExplainCommand.Add),
        new(["postfix"], PostfixCommand.Add),
        new(["serve"], ServeCommand.Add),
        new(["scan"], ScanCommand.Add),
    ];

    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRoot(args.Length > 0 ? args[0] : null, stdout, stderr);

        // Our own catch below turns any escaping exception into one line and exit 2; System.CommandLine's
        // default handler would print a stack trace and exit 1.
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            // No response files: "@SECLEVEL=2:HIGH" is a cipher string (common in Postfix settings), not a file to expand.
            var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parse.Errors.Count > 0)
            {
                // One line (README, "Exit codes"), in words: System.CommandLine names .NET types ("System.Nullable`1[System.Int32]").
                stderr.WriteLine(CliMessages.ParseErrors(parse));
                return ExitCodes.Unusable;
            }

            if (parse.Action is System.CommandLine.Help.HelpAction)
            {
                // The usage text names the program certpolicy, whatever the executable is called (CertPolicy.Cli.dll, testhost).
                var help = new StringWriter();
                int code = parse.Invoke(new InvocationConfiguration { Output = help, Error = stderr, EnableDefaultExceptionHandler = false });
                stdout.Write(CliMessages.ProgramName(help.ToString()));
                return code;
            }

            return parse.Invoke(config);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Last line of defence: no stack trace reaches the user (fail closed with exit 2).
            // No .NET type name or exception text reaches the user (issue 13 item 6): that is for a debugger, not a mail administrator.
            stderr.WriteLine("certpolicy: internal error: the input could not be processed (this is a bug in certpolicy; please report it with the input)");
            return ExitCodes.Unusable;
        }
    }

    /// <summary>
    /// The root with the area that owns <paramref name="command"/> (the first argument), or with every area when no
    /// area names it. The root takes no argument, so the first token is a command name, an option (help, version) or
    /// an error: the parse of a named command is the same in either tree.
    /// </summary>
    internal static RootCommand BuildRoot(string? command, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("certpolicy: does a mail gateway's TLS meet a partner's e-mail security policy?");
        foreach (var area in Areas)
        {
            if (command is not null && Array.IndexOf(area.Names, command) >= 0)
            {
                area.Add(root, stdout, stderr);
                return root;
            }
        }

        foreach (var area in Areas)
        {
            area.Add(root, stdout, stderr);
        }

        return root;
    }
}

/// <summary>Exit codes shared by every command (README, "Exit codes").</summary>
internal static class ExitCodes
{
    internal const int Ok = 0;
    internal const int Findings = 1;
    internal const int Unusable = 2;
    internal const int CouldNotEvaluate = 3;
}
