namespace CertPolicy.Trust;

/// <summary>A position in a manifest or source file: <c>file:line:col</c>, 1-based.</summary>
/// <param name="File">The name the caller gave the input (a path, or <c>embedded:manifest.cfg</c>).</param>
/// <param name="Line">1-based line number.</param>
/// <param name="Column">1-based column number.</param>
internal readonly record struct SourcePosition(string File, int Line, int Column)
{
    /// <summary>Formats as <c>file:line:col</c>, the form compilers and editors recognise.</summary>
    /// <returns>The formatted position.</returns>
    public override string ToString() => string.Concat(File, ":", Line.ToString(System.Globalization.CultureInfo.InvariantCulture), ":", Column.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>How bad a manifest diagnostic is.</summary>
internal enum DiagnosticSeverity
{
    /// <summary>The input cannot be used at all (syntax, unknown value, unreadable or missing file). The CLI exits 2.</summary>
    Error = 0,

    /// <summary>The manifest is readable but breaks policy (wrong fingerprint, duplicate, expired root marked active, weak key). The CLI exits 1.</summary>
    Finding = 1,
}

/// <summary>One positioned message about a manifest (a syntax error or a policy finding).</summary>
/// <param name="Severity">Error (unusable input) or finding (policy broken).</param>
/// <param name="Code">Stable code, e.g. <c>TRUST-FINGERPRINT</c>. Codes are API: never renamed.</param>
/// <param name="Rule">The RULES.md rule the diagnostic enforces (e.g. <c>R-C9</c>), or <c>syntax</c>.</param>
/// <param name="Position">Where in the input the problem is.</param>
/// <param name="Message">Human-readable explanation.</param>
internal sealed record ManifestDiagnostic(DiagnosticSeverity Severity, string Code, string Rule, SourcePosition Position, string Message)
{
    /// <summary>Formats as <c>file:line:col: severity CODE (rule): message</c>.</summary>
    /// <returns>The formatted diagnostic.</returns>
    public override string ToString() =>
        string.Concat(Position.ToString(), ": ", Severity == DiagnosticSeverity.Error ? "error " : "finding ", Code, " (", Rule, "): ", Message);
}
