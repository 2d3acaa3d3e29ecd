using System.Collections.Immutable;
using System.Text;
using CertPolicy.Names;

namespace CertPolicy.Policy;

/// <summary>
/// A Postfix <c>tls_policy</c> table (<c>smtp_tls_policy_maps</c>), parsed from its source text
/// with Postfix's own table syntax, looked up by next hop exactly as <c>smtp(8)</c> does, and
/// written back in canonical form. Immutable and safe to share between threads.
/// </summary>
/// <remarks>
/// <para>Source syntax (postfix-tls.md 1.4, <c>readllines()</c> and <c>postmap</c>): one logical line
/// per entry; a line that begins with whitespace continues the previous one (its leading whitespace
/// kept); empty lines and lines whose first non-blank character is <c>#</c> are skipped and do not
/// end a continuation; the key ends at the first whitespace and the value is the rest, trimmed. A
/// <c>#</c> anywhere else is data.</para>
/// <para>Where this parser is stricter than Postfix, it says so with an error rather than guessing:
/// a key without a value (Postfix ignores the line, so the destination silently gets the global
/// level) is kept as an invalid entry, so a look-up fails closed; NUL and other control
/// characters, an over-long logical line and a table with no entry are errors.</para>
/// <para>Not done: regular-expression, CIDR, SQL or other table types; only the fixed-string
/// (hash, texthash, lmdb, cdb) semantics. <c>tafile=</c> files are not opened.</para>
/// </remarks>
public sealed class PolicyMap
{
    /// <summary>The longest logical line accepted, in UTF-16 code units. Postfix has no limit; 64 KiB is far above any real entry and bounds memory on hostile input.</summary>
    public const int MaxLogicalLineLength = 64 * 1024;

    private readonly Dictionary<string, PolicyEntry>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly PolicyMap[] _single;

    private PolicyMap(string source, ImmutableArray<PolicyEntry> entries, Dictionary<string, PolicyEntry> byKey)
    {
        Source = source;
        Entries = entries;
        _lookup = byKey.GetAlternateLookup<ReadOnlySpan<char>>();
        _single = [this];
    }

    /// <summary>The label (usually the file name) used in diagnostics.</summary>
    public string Source { get; }

    /// <summary>The effective entries in source order (for a duplicated key only the first, as Postfix keeps it).</summary>
    public ImmutableArray<PolicyEntry> Entries { get; }

    /// <summary>Number of effective entries.</summary>
    public int Count => Entries.Length;

    /// <summary>
    /// Parses table source text. Never throws on data: every problem is a positioned
    /// <see cref="PolicyDiagnostic"/> in the result, and a map is always returned (invalid entries
    /// included, so that look-ups fail closed).
    /// </summary>
    /// <param name="text">The table source.</param>
    /// <param name="source">The label for diagnostics, usually the file path.</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    public static PolicyParseResult Parse(string text, string source = "tls_policy")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        var diagnostics = new List<PolicyDiagnostic>();
        var entries = ImmutableArray.CreateBuilder<PolicyEntry>();
        var byKey = new Dictionary<string, PolicyEntry>(AsciiKeyComparer.Instance);

        var logical = new StringBuilder();
        var segments = new List<Segment>();
        bool overLong = false;
        int lineNo = 0;
        int pos = 0;
        while (pos <= text.Length)
        {
            int nl = text.IndexOf('\n', pos);
            int end = nl < 0 ? text.Length : nl;
            if (nl < 0 && pos == text.Length)
            {
                break;
            }

            lineNo++;
            var line = text.AsSpan(pos, end - pos);
            pos = end + 1;

            int bad = IndexOfForbidden(line);
            if (bad >= 0)
            {
                diagnostics.Add(new PolicyDiagnostic(source, lineNo, bad + 1, DiagnosticSeverity.Error, "control-character",
                    null, $"control character U+{(int)line[bad]:X4} in table text (binary data?)"));
                continue;
            }

            int firstNonBlank = 0;
            while (firstNonBlank < line.Length && IsSpace(line[firstNonBlank]))
            {
                firstNonBlank++;
            }

            if (firstNonBlank == line.Length || line[firstNonBlank] == '#')
            {
                continue; // empty, blank or comment line: skipped, does not end a continuation
            }

            if (firstNonBlank > 0)
            {
                if (segments.Count == 0)
                {
                    diagnostics.Add(new PolicyDiagnostic(source, lineNo, 1, DiagnosticSeverity.Error, "leading-whitespace",
                        null, "line starts with whitespace but continues no entry (a continuation line needs an entry line above it)"));
                    continue;
                }

                AppendSegment(line, lineNo);
                continue;
            }

            Flush();
            AppendSegment(line, lineNo);
        }

        Flush();

        if (entries.Count == 0 && !diagnostics.Exists(d => d.Severity == DiagnosticSeverity.Error))
        {
            diagnostics.Add(new PolicyDiagnostic(source, 1, 1, DiagnosticSeverity.Error, "empty-table", null,
                "the table has no entries: every destination would get the global smtp_tls_security_level"));
        }

        return new PolicyParseResult(new PolicyMap(source, entries.ToImmutable(), byKey), diagnostics);

        void AppendSegment(ReadOnlySpan<char> line, int physicalLine)
        {
            if (overLong)
            {
                return;
            }

            if (logical.Length + line.Length > MaxLogicalLineLength)
            {
                overLong = true;
                var first = segments.Count > 0 ? segments[0].Line : physicalLine;
                diagnostics.Add(new PolicyDiagnostic(source, first, 1, DiagnosticSeverity.Error, "line-too-long", null,
                    $"logical line longer than {MaxLogicalLineLength} characters"));
                return;
            }

            segments.Add(new Segment(logical.Length, physicalLine));
            logical.Append(line);
        }

        void Flush()
        {
            if (segments.Count > 0 && !overLong)
            {
                AddEntry(logical.ToString(), segments);
            }

            logical.Clear();
            segments.Clear();
            overLong = false;
        }

        void AddEntry(string l, List<Segment> segs)
        {
            int keyEnd = 0;
            while (keyEnd < l.Length && !IsKeyDelimiter(l[keyEnd]))
            {
                keyEnd++;
            }

            string key = AsciiLower(l.AsSpan(0, keyEnd));

            // postmap and texthash read bytes: a UTF-8 byte-order mark before the first key is part of that key (checked
            // with postmap -q in PolicyBomTests), so "\uFEFFaudi.de" never matches audi.de and the destination silently
            // falls back to the global level. Kept as the key Postfix sees, with a warning.
            if (key.StartsWith('\uFEFF'))
            {
                var (bl, bc) = Position(segs, 0);
                diagnostics.Add(new PolicyDiagnostic(source, bl, bc, DiagnosticSeverity.Warning, "bom-in-key", null,
                    $"the key \"{key[1..]}\" starts with a UTF-8 byte-order mark, which Postfix keeps as part of the key: look-ups of \"{key[1..]}\" will not find this entry (save the table without a BOM)"));
            }

            int valueStart = keyEnd;
            while (valueStart < l.Length && IsSpace(l[valueStart]))
            {
                valueStart++;
            }

            int valueEnd = l.Length;
            while (valueEnd > valueStart && IsSpace(l[valueEnd - 1]))
            {
                valueEnd--;
            }

            string value = l[valueStart..valueEnd];
            var (keyLine, keyCol) = Position(segs, 0);
            PolicyEntry entry;
            if (value.Length == 0)
            {
                var d = new PolicyDiagnostic(source, keyLine, keyCol + keyEnd, DiagnosticSeverity.Error, "missing-value", null,
                    $"key \"{key}\" has no value (expected format: key whitespace value); Postfix would ignore the line and apply the global level");
                diagnostics.Add(d);
                entry = new PolicyEntry(key, value, keyLine, keyCol, null, d);
            }
            else if (TlsPolicy.TryParse(value, out var policy, out var error))
            {
                entry = new PolicyEntry(key, value, keyLine, keyCol, policy, null);
                if (policy!.Level == SecurityLevel.None)
                {
                    foreach (var ignoredToken in policy.IgnoredAttributes)
                    {
                        var (il, ic) = Position(segs, valueStart + value.IndexOf(ignoredToken, StringComparison.Ordinal));
                        diagnostics.Add(new PolicyDiagnostic(source, il, ic, DiagnosticSeverity.Warning, "ignored-attribute", null,
                            $"ignoring attribute \"{ignoredToken}\" with TLS disabled"));
                    }
                }
            }
            else
            {
                var (el, ec) = Position(segs, valueStart + error.Offset);
                var d = new PolicyDiagnostic(source, el, ec, DiagnosticSeverity.Error, error.Code, null,
                    $"{error.Message} (key \"{key}\"; Postfix defers mail for it: client TLS configuration problem)");
                diagnostics.Add(d);
                entry = new PolicyEntry(key, value, keyLine, keyCol, null, d);
            }

            if (!byKey.TryAdd(key, entry))
            {
                var first = byKey[key];
                diagnostics.Add(new PolicyDiagnostic(source, keyLine, keyCol, DiagnosticSeverity.Warning, "duplicate-key", null,
                    $"duplicate entry for \"{key}\" (first at line {first.Line}); Postfix keeps the first value"));
                return;
            }

            entry.Index = entries.Count;
            entries.Add(entry);
        }
    }

    /// <summary>
    /// Looks a next hop up in this table the way <c>smtp(8)</c> does (postfix-tls.md 1.3): the
    /// verbatim key, then, only when it is a valid host name, each parent suffix that starts with a
    /// dot (<c>a.b.example.net</c>, <c>.b.example.net</c>, <c>.example.net</c>, <c>.net</c>).
    /// <c>[host]</c>, <c>[host]:port</c>, trailing dots and IP literals get exactly one look-up.
    /// ASCII case-insensitive. Allocates nothing.
    /// </summary>
    /// <param name="nextHop">The next hop exactly as the queue manager hands it to smtp(8).</param>
    public PolicyLookupResult Lookup(ReadOnlySpan<char> nextHop) => Lookup(_single, nextHop);

    /// <summary>
    /// Looks a next hop up in several tables as <c>smtp_tls_policy_maps = t1, t2, ...</c> does: each
    /// candidate key is tried in every table, in order, before the next shorter key; the first key
    /// that yields any value wins, even an invalid one. Allocates nothing.
    /// </summary>
    public static PolicyLookupResult Lookup(ReadOnlySpan<PolicyMap> tables, ReadOnlySpan<char> nextHop)
    {
        if (TryTables(tables, nextHop, out var result))
        {
            return result;
        }

        if (!HostNameSyntax.IsValidPostfixHostName(nextHop))
        {
            return default;
        }

        // Parent walk: ".b.example.net", ".example.net", ".net". No "." and no empty key.
        for (int i = 1; i < nextHop.Length; i++)
        {
            if (nextHop[i] == '.' && TryTables(tables, nextHop[i..], out result))
            {
                return result;
            }
        }

        return default;
    }

    /// <summary>One verbatim, case-insensitive look-up without the parent walk: what <c>postmap -q</c> does.</summary>
    public bool TryGetExact(ReadOnlySpan<char> key, out PolicyEntry? entry)
    {
        if (_lookup.TryGetValue(key, out var e))
        {
            entry = e;
            return true;
        }

        entry = null;
        return false;
    }

    /// <summary>
    /// The canonical source text: one line per effective entry, <c>key value</c> with the key
    /// lower-cased and a valid value in <see cref="TlsPolicy.ToCanonicalString"/> form; an invalid
    /// value is written as it was (so the error survives). Comments and layout are not kept.
    /// </summary>
    public string Format()
    {
        var sb = new StringBuilder();
        foreach (var e in Entries)
        {
            sb.Append(e.Key).Append(' ').Append(e.Policy?.ToCanonicalString() ?? e.RawValue).Append('\n');
        }

        return sb.ToString();
    }

    private static bool TryTables(ReadOnlySpan<PolicyMap> tables, ReadOnlySpan<char> key, out PolicyLookupResult result)
    {
        for (int t = 0; t < tables.Length; t++)
        {
            if (tables[t]._lookup.TryGetValue(key, out var entry))
            {
                result = new PolicyLookupResult(entry, t);
                return true;
            }
        }

        result = default;
        return false;
    }

    // Postfix lowcase(): ASCII letters only.
    internal static string AsciiLower(ReadOnlySpan<char> s)
    {
        Span<char> buffer = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            buffer[i] = char.IsAsciiLetterUpper(s[i]) ? (char)(s[i] | 0x20) : s[i];
        }

        return new string(buffer);
    }

    // Postfix ISSPACE for skipping blanks (C isspace in the C locale).
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n' or '\v' or '\f';

    // postmap: the key ends at strcspn(line, CHARS_SPACE) with CHARS_SPACE " \t\r\n".
    private static bool IsKeyDelimiter(char c) => c is ' ' or '\t' or '\r' or '\n' or '\v' or '\f';

    private static int IndexOfForbidden(ReadOnlySpan<char> line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if ((c < ' ' && c is not ('\t' or '\r' or '\v' or '\f')) || c == '\u007f' || c == '\uFFFD')
            {
                return i;
            }
        }

        return -1;
    }

    private static (int Line, int Column) Position(List<Segment> segs, int logicalOffset)
    {
        int i = segs.Count - 1;
        while (i > 0 && segs[i].Offset > logicalOffset)
        {
            i--;
        }

        return (segs[i].Line, logicalOffset - segs[i].Offset + 1);
    }

    private readonly record struct Segment(int Offset, int Line);
}

/// <summary>The outcome of <see cref="PolicyMap.Parse"/>: the map and every diagnostic, in source order.</summary>
/// <param name="Map">The map; always present, invalid entries included.</param>
/// <param name="Diagnostics">Errors and warnings with positions.</param>
public sealed record PolicyParseResult(PolicyMap Map, IReadOnlyList<PolicyDiagnostic> Diagnostics)
{
    /// <summary>True when at least one diagnostic is an error (the CLI exits 2).</summary>
    public bool HasErrors
    {
        get
        {
            foreach (var d in Diagnostics)
            {
                if (d.Severity == DiagnosticSeverity.Error)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>
/// The result of a policy look-up: the entry that applies, or none (the global level applies).
/// A found but invalid entry means "defer": Postfix never falls back to a weaker level.
/// </summary>
public readonly struct PolicyLookupResult
{
    internal PolicyLookupResult(PolicyEntry entry, int tableIndex)
    {
        Entry = entry;
        TableIndex = tableIndex;
    }

    /// <summary>The entry that applies, or null when no key matched.</summary>
    public PolicyEntry? Entry { get; }

    /// <summary>Which table (0-based, in <c>smtp_tls_policy_maps</c> order) held the entry.</summary>
    public int TableIndex { get; }

    /// <summary>True when an entry applies.</summary>
    public bool Found => Entry is not null;

    /// <summary>The key that matched (lower-case), or null.</summary>
    public string? MatchedKey => Entry?.Key;
}
