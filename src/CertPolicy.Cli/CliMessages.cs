using System.CommandLine;
using System.Text.RegularExpressions;

namespace CertPolicy.Cli;

/// <summary>
/// Turns System.CommandLine's own texts into the program's convention (issue 13 item 6): the program is called
/// <c>certpolicy</c>, a parse error is one line, and no .NET type name reaches the user.
/// </summary>
internal static partial class CliMessages
{
    internal const string Program = "certpolicy";

    /// <summary>All parse errors of one command line as one line: <c>certpolicy CMD: error; error</c>.</summary>
    internal static string ParseErrors(ParseResult parse)
    {
        var parts = new List<string>(parse.Errors.Count);
        foreach (var e in parse.Errors)
        {
            var text = Plain(e.Message.ReplaceLineEndings(" ").Trim()).TrimEnd('.');
            if (!parts.Contains(text))
            {
                parts.Add(text);
            }
        }

        return CommandPath(parse.CommandResult.Command) + ": " + string.Join("; ", parts);
    }

    /// <summary>The command's path as the user typed it, rooted at <c>certpolicy</c> (e.g. <c>certpolicy policy check</c>).</summary>
    internal static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null && c is not RootCommand; c = FirstParent(c))
        {
            names.Insert(0, c.Name);
        }

        names.Insert(0, Program);
        return string.Join(' ', names);

        static Command? FirstParent(Command c)
        {
            foreach (var p in c.Parents)
            {
                if (p is Command parent)
                {
                    return parent;
                }
            }

            return null;
        }
    }

    /// <summary>Help text with the executable's name (e.g. <c>CertPolicy.Cli</c>, <c>testhost</c>) replaced by <c>certpolicy</c>.</summary>
    internal static string ProgramName(string help)
    {
        var exe = RootCommand.ExecutableName;
        return string.IsNullOrEmpty(exe) || exe == Program ? help : help.Replace(exe, Program, StringComparison.Ordinal);
    }

    /// <summary>Replaces System.CommandLine's "as expected type 'System.Int32'" by words (a whole number, a number, ...).</summary>
    internal static string Plain(string message) => ExpectedType().Replace(message, m => "as " + TypeWords(m.Groups[1].Value));

    private static string TypeWords(string type)
    {
        if (type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal))
        {
            return "a whole number";
        }

        if (type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal))
        {
            return "a number";
        }

        if (type.Contains("Boolean", StringComparison.Ordinal))
        {
            return "true or false";
        }

        return "a value of the expected kind";
    }

    [GeneratedRegex(@"as expected type '([^']*)'", RegexOptions.CultureInvariant)]
    private static partial Regex ExpectedType();
}
