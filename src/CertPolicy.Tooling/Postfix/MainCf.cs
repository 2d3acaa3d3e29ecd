using System.Text;

namespace CertPolicy.Postfix;

/// <summary>One <c>name = value</c> setting of main.cf as Postfix reads it (last definition wins).</summary>
/// <param name="Name">The parameter name.</param>
/// <param name="Value">The raw value (continuation lines joined; <c>$name</c> not expanded), in postconf's display form: words separated by one space.</param>
/// <param name="Line">The 1-based physical line where the logical line starts.</param>
internal sealed record MainCfParameter(string Name, string Value, int Line);

/// <summary>
/// main.cf parsed with Postfix 3.7's own rules (<c>readlline()</c> and <c>split_nameval()</c>, checked against
/// <c>postconf -n</c> in the tests). Never throws on data.
/// </summary>
/// <remarks>
/// <para>Rules, each observed with the real <c>postconf -c DIR -n</c> (Postfix 3.7.11):</para>
/// <list type="bullet">
/// <item>Blank lines and lines whose first non-blank character is <c>#</c> are skipped; they do not end a
/// continuation. A <c>#</c> after a value is data (<c>x = 1 # c</c> has the value <c>1 # c</c>).</item>
/// <item>A line that starts with white space continues the previous logical line; at the top of the file it is
/// ignored with the warning "logical line must not start with whitespace".</item>
/// <item><c>name = value</c>: the name ends at white space or <c>=</c>; anything but <c>=</c> after it is the fatal
/// error "missing '=' after attribute name". The value is trimmed; a later definition overrides an earlier one
/// (warning "overriding earlier entry").</item>
/// <item>postconf prints a value as its words joined by one space (<c>a  b</c> is shown as <c>a b</c>); every list
/// parameter Postfix reads splits on white space, so this form means the same to the daemons.</item>
/// </list>
/// </remarks>
internal sealed class MainCfFile
{
    /// <summary>The longest logical line accepted (bounds memory on hostile input; Postfix has no limit).</summary>
    internal const int MaxLogicalLine = 256 * 1024;

    private readonly Dictionary<string, MainCfParameter> _byName;

    private MainCfFile(string path, Dictionary<string, MainCfParameter> byName, List<string> warnings, string? error, int errorLine)
    {
        Path = path;
        _byName = byName;
        Warnings = warnings;
        Error = error;
        ErrorLine = errorLine;
    }

    /// <summary>The path shown in messages.</summary>
    internal string Path { get; }

    /// <summary>The effective settings by name.</summary>
    internal IReadOnlyDictionary<string, MainCfParameter> Parameters => _byName;

    /// <summary>Postfix's warnings (line must not start with white space, overriding earlier entry), as <c>file:line: text</c>.</summary>
    internal IReadOnlyList<string> Warnings { get; }

    /// <summary>The fatal error postconf would stop with (missing '='), or null.</summary>
    internal string? Error { get; }

    /// <summary>The line of <see cref="Error"/>.</summary>
    internal int ErrorLine { get; }

    /// <summary>The setting, or null when main.cf does not set it.</summary>
    internal MainCfParameter? Get(string name) => _byName.TryGetValue(name, out var p) ? p : null;

    /// <summary>Parses main.cf text.</summary>
    internal static MainCfFile Parse(string text, string path)
    {
        var byName = new Dictionary<string, MainCfParameter>(StringComparer.Ordinal);
        var warnings = new List<string>();
        var logical = new StringBuilder();
        int logicalLine = 0;
        string? error = null;
        int errorLine = 0;
        int lineNo = 0;
        int pos = 0;
        while (pos < text.Length && error is null)
        {
            int nl = text.IndexOf('\n', pos);
            int end = nl < 0 ? text.Length : nl;
            var line = text.AsSpan(pos, end - pos);
            pos = end + 1;
            lineNo++;
            int first = 0;
            while (first < line.Length && IsSpace(line[first]))
            {
                first++;
            }

            if (first == line.Length || line[first] == '#')
            {
                continue;
            }

            if (first > 0)
            {
                if (logicalLine == 0)
                {
                    warnings.Add($"{path}:{lineNo}: logical line must not start with whitespace (ignored)");
                    continue;
                }

                if (logical.Length + line.Length < MaxLogicalLine)
                {
                    logical.Append(' ').Append(line);
                }

                continue;
            }

            Flush();
            logicalLine = lineNo;
            logical.Append(line.Length < MaxLogicalLine ? line : line[..MaxLogicalLine]);
        }

        if (error is null)
        {
            Flush();
        }

        return new MainCfFile(path, byName, warnings, error, errorLine);

        void Flush()
        {
            if (logicalLine == 0 || error is not null)
            {
                return;
            }

            string l = logical.ToString();
            logical.Clear();
            int n = 0;
            while (n < l.Length && !IsSpace(l[n]) && l[n] != '=')
            {
                n++;
            }

            int eq = n;
            while (eq < l.Length && IsSpace(l[eq]))
            {
                eq++;
            }

            if (n == 0 || eq >= l.Length || l[eq] != '=')
            {
                // Postfix: "fatal: FILE, line N: missing '=' after attribute name: "LINE"" (or "missing attribute name").
                error = n == 0 ? "missing attribute name before '='" : $"missing '=' after attribute name: \"{Shorten(l)}\"";
                errorLine = logicalLine;
                return;
            }

            string name = l[..n];
            string value = Words(l.AsSpan(eq + 1));
            if (byName.TryGetValue(name, out var earlier))
            {
                warnings.Add($"{path}:{logicalLine}: overriding earlier entry: {name}={earlier.Value} (line {earlier.Line})");
            }

            byName[name] = new MainCfParameter(name, value, logicalLine);
        }
    }

    /// <summary>postconf's display form of a value: its words (split on white space) joined by one space.</summary>
    internal static string Words(ReadOnlySpan<char> value)
    {
        var sb = new StringBuilder(value.Length);
        int i = 0;
        while (i < value.Length)
        {
            while (i < value.Length && IsSpace(value[i]))
            {
                i++;
            }

            int start = i;
            while (i < value.Length && !IsSpace(value[i]))
            {
                i++;
            }

            if (i > start)
            {
                if (sb.Length > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(value[start..i]);
            }
        }

        return sb.ToString();
    }

    // Postfix CHARS_SPACE / ISSPACE in the C locale.
    internal static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n' or '\v' or '\f';

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}

/// <summary>
/// Postfix's <c>$name</c> expansion (<c>mac_expand()</c> with recursion, what <c>postconf -x</c> prints):
/// <c>$name</c>, <c>${name}</c>, <c>$(name)</c>, <c>${name?text}</c> (text when name is non-empty),
/// <c>${name:text}</c> (text when name is empty), the Postfix 3.0 forms <c>${name?{text}:{text}}</c>, and
/// <c>$$</c> for a dollar sign. An undefined name expands to nothing. Not modelled: the 3.0 comparison forms
/// <c>${{a} == {b}?...}</c> (reported as unsupported).
/// </summary>
internal static class MainCfExpander
{
    /// <summary>Postfix stops at this nesting depth ("unreasonable macro call nesting").</summary>
    internal const int MaxDepth = 100;

    /// <summary>Expands <paramref name="value"/>. <paramref name="lookup"/> returns a parameter's raw value or null when undefined.</summary>
    /// <param name="value">The raw value.</param>
    /// <param name="lookup">Raw value of a parameter (main.cf, else default), or null.</param>
    /// <param name="undefined">Names that had no value at all (Postfix warns "undefined parameter").</param>
    /// <param name="expanded">The result.</param>
    /// <param name="error">Postfix's wording of the error (empty macro name, ...), or null.</param>
    internal static bool TryExpand(string value, Func<string, string?> lookup, ISet<string> undefined, out string expanded, out string? error)
    {
        var sb = new StringBuilder(value.Length);
        error = Expand(value, lookup, undefined, sb, 0);
        expanded = sb.ToString();
        return error is null;
    }

    private static string? Expand(string s, Func<string, string?> lookup, ISet<string> undefined, StringBuilder sb, int depth)
    {
        if (depth > MaxDepth)
        {
            return "unreasonable macro call nesting";
        }

        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c != '$')
            {
                sb.Append(c);
                i++;
                continue;
            }

            i++;
            if (i < s.Length && s[i] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }

            if (i < s.Length && (s[i] == '{' || s[i] == '('))
            {
                char close = s[i] == '{' ? '}' : ')';
                int j = FindClose(s, i + 1, s[i], close);
                if (j < 0)
                {
                    return $"unbalanced {s[i]} in \"{s}\"";
                }

                string inner = s[(i + 1)..j];
                i = j + 1;
                if (inner.StartsWith('{'))
                {
                    return $"unsupported expression \"{inner}\" (Postfix 3.0 comparison); run the check where postconf is installed";
                }

                int op = 0;
                while (op < inner.Length && IsNameChar(inner[op]))
                {
                    op++;
                }

                string name = inner[..op];
                if (name.Length == 0)
                {
                    return $"empty macro name: \"{s}\"";
                }

                string? raw = Value(name, lookup, undefined);
                if (op == inner.Length)
                {
                    if (raw is not null && Expand(raw, lookup, undefined, sb, depth + 1) is { } e)
                    {
                        return e;
                    }

                    continue;
                }

                char kind = inner[op];
                if (kind is not ('?' or ':'))
                {
                    return $"unsupported macro operator \"{kind}\" in \"{s}\"";
                }

                string rest = inner[(op + 1)..];
                bool nonEmpty = raw is { Length: > 0 };
                string? chosen;
                if (rest.StartsWith('{') && TrySplitBraces(rest, out var first, out var second))
                {
                    // ${name?{a}:{b}} and ${name:{a}:{b}} (3.0): the second part applies in the other case.
                    chosen = (kind == '?') == nonEmpty ? first : second;
                }
                else
                {
                    chosen = (kind == '?') == nonEmpty ? rest : null;
                }

                if (chosen is not null && Expand(chosen, lookup, undefined, sb, depth + 1) is { } e2)
                {
                    return e2;
                }

                continue;
            }

            int k = i;
            while (k < s.Length && IsNameChar(s[k]))
            {
                k++;
            }

            if (k == i)
            {
                return $"empty macro name: \"{s}\"";
            }

            string? v = Value(s[i..k], lookup, undefined);
            i = k;
            if (v is not null && Expand(v, lookup, undefined, sb, depth + 1) is { } e3)
            {
                return e3;
            }
        }

        return null;
    }

    private static string? Value(string name, Func<string, string?> lookup, ISet<string> undefined)
    {
        var v = lookup(name);
        if (v is null)
        {
            undefined.Add(name);
        }

        return v;
    }

    // "{a}" or "{a}:{b}" (the second part optional).
    private static bool TrySplitBraces(string rest, out string first, out string? second)
    {
        first = string.Empty;
        second = null;
        int j = FindClose(rest, 1, '{', '}');
        if (j < 0)
        {
            return false;
        }

        first = rest[1..j];
        string tail = rest[(j + 1)..].Trim();
        if (tail.Length == 0)
        {
            return true;
        }

        if (tail.Length >= 3 && tail[0] == ':' && tail[1..].TrimStart().StartsWith('{') && tail.EndsWith('}'))
        {
            string t = tail[1..].TrimStart();
            second = t[1..^1];
            return true;
        }

        return false;
    }

    private static int FindClose(string s, int from, char open, char close)
    {
        int level = 1;
        for (int j = from; j < s.Length; j++)
        {
            if (s[j] == open)
            {
                level++;
            }
            else if (s[j] == close && --level == 0)
            {
                return j;
            }
        }

        return -1;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
