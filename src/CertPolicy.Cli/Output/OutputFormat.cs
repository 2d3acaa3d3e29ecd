using System.CommandLine;

namespace CertPolicy.Cli.Output;

/// <summary>The one output convention of every command: <c>--format text|json|sarif</c>, with <c>--json</c> kept as an alias.</summary>
internal enum OutputFormat
{
    /// <summary>Lines a person reads (the default).</summary>
    Text,

    /// <summary>One JSON document, camelCase keys, shape documented in <c>docs/schemas/</c>.</summary>
    Json,

    /// <summary>SARIF 2.1.0 (only for commands that produce findings).</summary>
    Sarif,
}

/// <summary>
/// The <c>--format</c> and <c>--json</c> options of one command. Create it with <see cref="AddTo"/> while building the
/// command, read it with <see cref="TryGet"/> in the action.
/// </summary>
internal sealed class FormatOption
{
    private readonly Option<string?> _format;
    private readonly Option<bool> _json;
    private readonly bool _sarif;

    private FormatOption(Option<string?> format, Option<bool> json, bool sarif)
    {
        _format = format;
        _json = json;
        _sarif = sarif;
    }

    /// <summary>Adds <c>--format</c> and <c>--json</c> to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    /// <param name="sarif">True where the command reports findings (SARIF is offered); false for listings.</param>
    internal static FormatOption AddTo(Command command, bool sarif = true)
    {
        var format = new Option<string?>("--format") { Description = sarif ? "Output format: text (default), json or sarif (SARIF 2.1.0)." : "Output format: text (default) or json." };
        var json = new Option<bool>("--json") { Description = "The same as --format json." };
        command.Options.Add(format);
        command.Options.Add(json);
        return new FormatOption(format, json, sarif);
    }

    /// <summary>Reads the chosen format; on a bad value writes one line (<c>certpolicy CMD: --format: ...</c>) and returns false (exit 2).</summary>
    /// <param name="result">The parse result.</param>
    /// <param name="commandName">The command as the user typed it, e.g. <c>certpolicy verify</c>.</param>
    /// <param name="stderr">Where the one error line goes.</param>
    /// <param name="format">The chosen format.</param>
    /// <param name="hint">Appended to the error line (e.g. where an option moved).</param>
    internal bool TryGet(ParseResult result, string commandName, TextWriter stderr, out OutputFormat format, string? hint = null)
    {
        var value = result.GetValue(_format);
        var json = result.GetValue(_json);
        format = OutputFormat.Text;
        switch (value)
        {
            case null:
                format = json ? OutputFormat.Json : OutputFormat.Text;
                return true;
            case "text" when !json:
                return true;
            case "json":
                format = OutputFormat.Json;
                return true;
            case "sarif" when _sarif && !json:
                format = OutputFormat.Sarif;
                return true;
            case "text" or "sarif" when json:
                stderr.WriteLine(commandName + ": --json and --format " + value + " contradict each other");
                return false;
            default:
                stderr.WriteLine(commandName + ": --format: '" + value + "' is not " + (_sarif ? "text, json or sarif" : "text or json") + (hint is null ? string.Empty : " (" + hint + ")"));
                return false;
        }
    }
}
