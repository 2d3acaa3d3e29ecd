using System.CommandLine;
using CertPolicy.Cli.Commands;

namespace CertPolicy.Cli;

/// <summary>Composes the <c>certpolicy</c> command tree. Each area adds its commands from its own file.</summary>
internal static class CliApp
{
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("certpolicy: does a mail gateway's TLS meet a partner's e-mail security policy?");
        PolicyCommands.Add(root, stdout, stderr);
        NamesCommand.Add(root, stdout, stderr);
        TlsCommands.Add(root, stdout, stderr);
        TrustCommands.Add(root, stdout, stderr);
        MessagingCommands.Add(root, stdout, stderr);
        VerifyCommand.Add(root, stdout, stderr);
        ProbeCommand.Add(root, stdout, stderr);
        MonitorCommand.Add(root, stdout, stderr);
        PostfixCommand.Add(root, stdout, stderr);

        // Our own catch below turns any escaping exception into one line and exit 2; System.CommandLine's
        // default handler would print a stack trace and exit 1.
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            // No response files: "@SECLEVEL=2:HIGH" is a cipher string (common in Postfix settings), not a file to expand.
            var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors)
                {
                    stderr.WriteLine($"certpolicy: {e.Message}");
                }

                return ExitCodes.Unusable;
            }

            return parse.Invoke(config);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Last line of defence: no stack trace reaches the user (fail closed with exit 2).
            stderr.WriteLine($"certpolicy: internal error: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Unusable;
        }
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
