namespace CertPolicy.Policy;

/// <summary>How serious a <see cref="PolicyDiagnostic"/> is.</summary>
public enum DiagnosticSeverity
{
    /// <summary>The table or entry is unusable: Postfix would defer mail for it (or refuse the table).</summary>
    Error = 0,

    /// <summary>A policy finding: the table works, but breaks a rule of RULES.md or does something risky.</summary>
    Finding = 1,

    /// <summary>Postfix accepts it with a warning; worth a look, not a rule violation.</summary>
    Warning = 2,
}

/// <summary>
/// One positioned message about a policy table: <c>file:line:col: message</c>. Lines and columns
/// count from 1; the column counts UTF-16 code units of the physical line.
/// </summary>
/// <param name="Source">The file name (or another label) the text came from.</param>
/// <param name="Line">1-based physical line; 0 when the message concerns the table as a whole (no position).</param>
/// <param name="Column">1-based column in that line.</param>
/// <param name="Severity">Error, finding or warning.</param>
/// <param name="Code">A stable, lower-case code such as <c>invalid-level</c>; codes are API.</param>
/// <param name="Rule">The rule id from RULES.md this concerns (e.g. <c>R-T8</c>), or null.</param>
/// <param name="Message">What is wrong, in one line.</param>
public sealed record PolicyDiagnostic(
    string Source,
    int Line,
    int Column,
    DiagnosticSeverity Severity,
    string Code,
    string? Rule,
    string Message)
{
    /// <summary>The compiler-style one-line form, <c>file:line:col: message [rule]</c>.</summary>
    public override string ToString()
    {
        var kind = Severity switch
        {
            DiagnosticSeverity.Error => "error",
            DiagnosticSeverity.Finding => "finding",
            _ => "warning",
        };
        var rule = Rule is null ? string.Empty : $" [{Rule}]";
        return Line > 0
            ? $"{Source}:{Line}:{Column}: {kind}: {Message}{rule}"
            : $"{Source}: {kind}: {Message}{rule}";
    }
}
