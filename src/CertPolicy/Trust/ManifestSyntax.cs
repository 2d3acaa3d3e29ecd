using System.Text;

namespace CertPolicy.Trust;

// The manifest syntax (a small INI/TOML subset chosen so that a reviewer reads it in a diff):
//   # comment            (only as the first non-blank character of a line)
//   [kind]  or  [kind id]  or  [kind "quoted id"]
//   key = value          value: bare text to end of line, or a "quoted string" with \" and \\ escapes
// Lists are comma-separated (quoted items may contain commas). Every token keeps its line and column so
// that later checks can report file:line:col.

/// <summary>One <c>key = value</c> line.</summary>
internal sealed record ManifestEntry(string Key, string RawValue, bool Quoted, SourcePosition KeyPosition, SourcePosition ValuePosition);

/// <summary>One <c>[kind id]</c> section with its entries in file order.</summary>
internal sealed class ManifestSection(string kind, string? id, SourcePosition position)
{
    public string Kind { get; } = kind;

    public string? Id { get; } = id;

    public SourcePosition Position { get; } = position;

    public List<ManifestEntry> Entries { get; } = [];

    /// <summary>Bit i set: <see cref="Entries"/> holds known key i (ManifestSyntax's duplicate check).</summary>
    public ulong KnownKeys { get; set; }
}

internal static class ManifestSyntax
{
    /// <summary>Limits that keep a hostile manifest cheap to reject.</summary>
    internal const int MaxLines = 200_000;
    internal const int MaxLineLength = 8_192;

    internal static List<ManifestSection> Parse(string text, string file, List<ManifestDiagnostic> diagnostics)
    {
        var sections = new List<ManifestSection>();
        ManifestSection? current = null;
        int lineNo = 0;
        int start = 0;
        while (start <= text.Length)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            lineNo++;
            if (lineNo > MaxLines)
            {
                diagnostics.Add(Error(file, lineNo, 1, "TRUST-SYNTAX", "manifest has more than " + MaxLines.ToString(System.Globalization.CultureInfo.InvariantCulture) + " lines"));
                break;
            }

            // A span over the text: only keys and values become strings (a Substring per line was a third of the parse).
            ReadOnlySpan<char> line = text.AsSpan(start, end - start).TrimEnd('\r');
            start = end + 1;
            if (line.Length > MaxLineLength)
            {
                diagnostics.Add(Error(file, lineNo, 1, "TRUST-SYNTAX", "line longer than " + MaxLineLength.ToString(System.Globalization.CultureInfo.InvariantCulture) + " characters"));
                continue;
            }

            int i = 0;
            while (i < line.Length && (line[i] == ' ' || line[i] == '\t'))
            {
                i++;
            }

            if (i == line.Length || line[i] == '#')
            {
                continue;
            }

            if (line[i] == '[')
            {
                current = ParseHeader(line.ToString(), i, file, lineNo, diagnostics);
                if (current is not null)
                {
                    sections.Add(current);
                }

                continue;
            }

            int eq = line[i..].IndexOf('=');
            eq = eq < 0 ? -1 : eq + i;
            if (eq < 0)
            {
                diagnostics.Add(Error(file, lineNo, i + 1, "TRUST-SYNTAX", "expected 'key = value', '[section]' or '# comment'"));
                continue;
            }

            var keySpan = line[i..eq].TrimEnd();
            if (keySpan.Length == 0 || !IsKey(keySpan))
            {
                diagnostics.Add(Error(file, lineNo, i + 1, "TRUST-SYNTAX", "invalid key '" + keySpan.ToString() + "' (letters, digits and '-' only)"));
                continue;
            }

            int known = KnownKeyIndex(keySpan);
            string key = known >= 0 ? KnownKeyNames[known] : keySpan.ToString();

            int v = eq + 1;
            while (v < line.Length && (line[v] == ' ' || line[v] == '\t'))
            {
                v++;
            }

            var keyPos = new SourcePosition(file, lineNo, i + 1);
            var valuePos = new SourcePosition(file, lineNo, v + 1);
            string raw = line[v..].TrimEnd().ToString();
            bool quoted = false;
            if (raw.Length > 0 && raw[0] == '"')
            {
                if (!TryUnquote(raw, out string? unq, out int errAt, out string? err))
                {
                    diagnostics.Add(Error(file, lineNo, v + 1 + errAt, "TRUST-SYNTAX", err!));
                    continue;
                }

                // A quoted list ("a", "b") is kept raw and split later; a single quoted string is unquoted now.
                if (unq is not null)
                {
                    raw = unq;
                    quoted = true;
                }
            }

            if (current is null)
            {
                diagnostics.Add(Error(file, lineNo, i + 1, "TRUST-SYNTAX", "'" + key + "' outside any [section]"));
                continue;
            }

            var first = known < 0 || (current.KnownKeys & (1UL << known)) != 0 ? FindEntry(current, key) : null;
            if (first is not null)
            {
                diagnostics.Add(Error(file, lineNo, i + 1, "TRUST-SYNTAX", "duplicate key '" + key + "' in [" + current.Kind + "] (first at line " + first.KeyPosition.Line.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")"));
                continue;
            }

            current.Entries.Add(new ManifestEntry(key, raw, quoted, keyPos, valuePos));
            if (known >= 0)
            {
                current.KnownKeys |= 1UL << known;
            }
        }

        return sections;
    }

    private static ManifestEntry? FindEntry(ManifestSection section, string key)
    {
        foreach (var e in section.Entries)
        {
            if (string.Equals(e.Key, key, StringComparison.Ordinal))
            {
                return e;
            }
        }

        return null;
    }

    private static ManifestSection? ParseHeader(string line, int i, string file, int lineNo, List<ManifestDiagnostic> diagnostics)
    {
        int close = line.LastIndexOf(']');
        if (close < 0)
        {
            diagnostics.Add(Error(file, lineNo, line.Length + 1, "TRUST-SYNTAX", "section header is missing ']'"));
            return null;
        }

        for (int k = close + 1; k < line.Length; k++)
        {
            if (line[k] != ' ' && line[k] != '\t')
            {
                diagnostics.Add(Error(file, lineNo, k + 1, "TRUST-SYNTAX", "unexpected text after ']'"));
                return null;
            }
        }

        string inner = line.Substring(i + 1, close - i - 1).Trim();
        int sp = inner.IndexOf(' ', StringComparison.Ordinal);
        string kind = sp < 0 ? inner : inner.Substring(0, sp);
        string? id = null;
        if (sp >= 0)
        {
            string rest = inner.Substring(sp + 1).Trim();
            if (rest.Length > 0 && rest[0] == '"')
            {
                if (!TryUnquote(rest, out string? unq, out _, out string? err) || unq is null)
                {
                    diagnostics.Add(Error(file, lineNo, i + 2 + sp, "TRUST-SYNTAX", err ?? "bad quoted section id"));
                    return null;
                }

                id = unq;
            }
            else
            {
                id = rest;
            }
        }

        if (kind.Length == 0 || !IsKey(kind))
        {
            diagnostics.Add(Error(file, lineNo, i + 2, "TRUST-SYNTAX", "invalid section kind '" + kind + "'"));
            return null;
        }

        return new ManifestSection(kind, id, new SourcePosition(file, lineNo, i + 1));
    }

    /// <summary>Unquotes <c>"..."</c>. When the text is several quoted items (a list), returns true with a null result.</summary>
    private static bool TryUnquote(string raw, out string? value, out int errorOffset, out string? error)
    {
        // Fast path: no escape before the closing quote, which ends the value (most quoted values).
        int stop = raw.AsSpan(1).IndexOfAny('\\', '"');
        if (stop >= 0 && raw[stop + 1] == '"' && raw.AsSpan(stop + 2).Trim().IsEmpty)
        {
            value = raw.Substring(1, stop);
            errorOffset = 0;
            error = null;
            return true;
        }

        var sb = new StringBuilder(raw.Length);
        int j = 1;
        while (j < raw.Length)
        {
            char c = raw[j];
            if (c == '\\')
            {
                if (j + 1 >= raw.Length || (raw[j + 1] != '"' && raw[j + 1] != '\\'))
                {
                    value = null;
                    errorOffset = j;
                    error = "invalid escape in quoted string (only \\\" and \\\\)";
                    return false;
                }

                sb.Append(raw[j + 1]);
                j += 2;
                continue;
            }

            if (c == '"')
            {
                string tail = raw.Substring(j + 1).Trim();
                if (tail.Length == 0)
                {
                    value = sb.ToString();
                    errorOffset = 0;
                    error = null;
                    return true;
                }

                if (tail[0] == ',')
                {
                    value = null; // a list of quoted items, split later
                    errorOffset = 0;
                    error = null;
                    return true;
                }

                value = null;
                errorOffset = j + 1;
                error = "unexpected text after closing quote";
                return false;
            }

            sb.Append(c);
            j++;
        }

        value = null;
        errorOffset = raw.Length;
        error = "unterminated quoted string";
        return false;
    }

    /// <summary>Splits a list value on commas outside quotes; items are trimmed and unquoted.</summary>
    internal static bool TrySplitList(ManifestEntry entry, out List<string> items, out string? error)
    {
        items = [];
        error = null;
        if (entry.Quoted)
        {
            items.Add(entry.RawValue);
            return true;
        }

        string raw = entry.RawValue;
        var sb = new StringBuilder();
        bool inQuote = false;
        bool wasQuoted = false;
        for (int j = 0; j < raw.Length; j++)
        {
            char c = raw[j];
            if (inQuote)
            {
                if (c == '\\' && j + 1 < raw.Length)
                {
                    sb.Append(raw[++j]);
                }
                else if (c == '"')
                {
                    inQuote = false;
                }
                else
                {
                    sb.Append(c);
                }
            }
            else if (c == '"')
            {
                if (wasQuoted || sb.ToString().Trim().Length > 0)
                {
                    error = "text before or after a quoted list item";
                    return false;
                }

                sb.Clear();
                inQuote = true;
                wasQuoted = true;
            }
            else if (wasQuoted && c != ' ' && c != '\t' && c != ',')
            {
                error = "text after a quoted list item";
                return false;
            }
            else if (wasQuoted && c != ',')
            {
                // blanks after the closing quote
            }
            else if (c == ',')
            {
                if (!AddItem(sb, wasQuoted, items, out error))
                {
                    return false;
                }

                wasQuoted = false;
            }
            else
            {
                sb.Append(c);
            }
        }

        if (inQuote)
        {
            error = "unterminated quoted string in list";
            return false;
        }

        return AddItem(sb, wasQuoted, items, out error);
    }

    private static bool AddItem(StringBuilder sb, bool wasQuoted, List<string> items, out string? error)
    {
        string item = wasQuoted ? sb.ToString() : sb.ToString().Trim();
        sb.Clear();
        if (item.Length == 0 && !wasQuoted)
        {
            error = "empty list item";
            return false;
        }

        items.Add(item);
        error = null;
        return true;
    }

    // The keys the loader knows (TrustManifestLoader.Builder), as literals: no string per entry for them, and a bit each
    // for the duplicate-key check (a scan of the section's entries per key was a quarter of the parse).
    private static readonly string[] KnownKeyNames = ["schema", "as-of", "rsa-floor", "ec-floor", "meaning", "owner", "description", "source", "verified", "status", "successor", "fate", "lineage-verified", "successor-roots", "transitional-roots", "business-successor-roots", "reason", "label", "file", "subject", "not-before", "not-after", "key", "purposes", "ev-oids", "assurance", "distrust-after-tls", "distrust-after-email", "tls-sunset", "bundle", "seed-ca", "role"];

    private static int KnownKeyIndex(ReadOnlySpan<char> key) => key switch
    {
        "schema" => 0,
        "as-of" => 1,
        "rsa-floor" => 2,
        "ec-floor" => 3,
        "meaning" => 4,
        "owner" => 5,
        "description" => 6,
        "source" => 7,
        "verified" => 8,
        "status" => 9,
        "successor" => 10,
        "fate" => 11,
        "lineage-verified" => 12,
        "successor-roots" => 13,
        "transitional-roots" => 14,
        "business-successor-roots" => 15,
        "reason" => 16,
        "label" => 17,
        "file" => 18,
        "subject" => 19,
        "not-before" => 20,
        "not-after" => 21,
        "key" => 22,
        "purposes" => 23,
        "ev-oids" => 24,
        "assurance" => 25,
        "distrust-after-tls" => 26,
        "distrust-after-email" => 27,
        "tls-sunset" => 28,
        "bundle" => 29,
        "seed-ca" => 30,
        "role" => 31,
        _ => -1,
    };

    private static bool IsKey(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    internal static ManifestDiagnostic Error(string file, int line, int col, string code, string message) =>
        new(DiagnosticSeverity.Error, code, "syntax", new SourcePosition(file, line, col), message);
}
