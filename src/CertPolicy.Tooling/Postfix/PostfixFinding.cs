namespace CertPolicy.Postfix;

/// <summary>How serious a <see cref="PostfixFinding"/> is (SARIF's levels).</summary>
internal enum PostfixFindingSeverity
{
    /// <summary>A rule is broken: mail to or from a partner is not protected as agreed, or fails.</summary>
    Error,

    /// <summary>Risky or incomplete: a setting that weakens a rule, or something the audit could not read.</summary>
    Warning,

    /// <summary>Worth knowing; does not break a rule by itself.</summary>
    Note,
}

/// <summary>
/// One finding of <c>certpolicy postfix check</c>: a stable code, the rule (RULES.md id) it concerns, the main.cf
/// parameter (or table) it is about, where that was written, and what to do.
/// </summary>
/// <param name="Code">Stable code, e.g. <c>postfix.loglevel-too-low</c> (codes are API), or a <c>PolicyLinter</c> code for a table entry.</param>
/// <param name="Rule">The RULES.md id (<c>R-T11</c>).</param>
/// <param name="Severity">Error, warning or note.</param>
/// <param name="Parameter">The main.cf parameter (or <c>tls_policy</c> attribute) concerned.</param>
/// <param name="File">The file the finding points at (main.cf or a table source), or null.</param>
/// <param name="Line">1-based line in <paramref name="File"/>, or 0 (a Postfix default: nothing written).</param>
/// <param name="Message">What is wrong, for a mail administrator.</param>
/// <param name="Fix">How to fix it.</param>
internal sealed record PostfixFinding(string Code, string Rule, PostfixFindingSeverity Severity, string Parameter, string? File, int Line, string Message, string Fix)
{
    /// <summary>The lower-case severity word (<c>error</c>, <c>warning</c>, <c>note</c>).</summary>
    internal string SeverityName => Severity switch
    {
        PostfixFindingSeverity.Error => "error",
        PostfixFindingSeverity.Warning => "warning",
        _ => "note",
    };
}

/// <summary>A table the audit found in a <c>*_maps</c> parameter and what it did with it.</summary>
/// <param name="Parameter">The parameter that names it.</param>
/// <param name="Table">The table.</param>
/// <param name="SourceFile">The source text read (the table itself, or the file next to an indexed table), or null.</param>
/// <param name="Read">True when its source was read.</param>
/// <param name="Entries">Number of entries read.</param>
internal sealed record PostfixTableReport(string Parameter, TableSpec Table, string? SourceFile, bool Read, int Entries);

/// <summary>Where a partner's policy comes from: a table entry, or the global level.</summary>
/// <param name="Table">The table spec, or null when no entry applies.</param>
/// <param name="Key">The key that matched (lower-case), or null.</param>
/// <param name="Value">The entry's value (what <c>postmap -q KEY</c> prints), or null.</param>
/// <param name="File">The source file of the entry, or null.</param>
/// <param name="Line">Its line, or 0.</param>
/// <param name="Valid">False when the entry is invalid (Postfix defers mail: client TLS configuration problem).</param>
/// <param name="Level">The effective security level name (entry or global).</param>
internal sealed record PartnerResolution(TableSpec? Table, string? Key, string? Value, string? File, int Line, bool Valid, string Level);

/// <summary>The audit of one partner domain.</summary>
/// <param name="Domain">The partner's next-hop domain.</param>
/// <param name="Resolution">Where its policy comes from.</param>
/// <param name="Findings">Its findings.</param>
internal sealed record PartnerReport(string Domain, PartnerResolution Resolution, IReadOnlyList<PostfixFinding> Findings);

/// <summary>The result of <see cref="PostfixAudit.Run"/>.</summary>
/// <param name="ConfigDirectory">The directory audited.</param>
/// <param name="MainCf">Its main.cf.</param>
/// <param name="ValuesFrom"><c>postconf</c> or <c>parser</c>.</param>
/// <param name="Settings">The settings read.</param>
/// <param name="Tables">The tables named by the audited parameters.</param>
/// <param name="Findings">System-wide findings (main.cf, tables, trust files).</param>
/// <param name="Partners">One report per partner, in the order given.</param>
internal sealed record PostfixAuditReport(
    string ConfigDirectory,
    string MainCf,
    string ValuesFrom,
    IReadOnlyList<PostfixSetting> Settings,
    IReadOnlyList<PostfixTableReport> Tables,
    IReadOnlyList<PostfixFinding> Findings,
    IReadOnlyList<PartnerReport> Partners)
{
    /// <summary>Every finding, system-wide first, then per partner.</summary>
    internal int FindingCount
    {
        get
        {
            int n = Findings.Count;
            foreach (var p in Partners)
            {
                n += p.Findings.Count;
            }

            return n;
        }
    }
}
