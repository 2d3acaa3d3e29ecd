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
/// <para>Bytes as <c>postmap</c> and <c>texthash</c> (Postfix 3.7, smtputf8_enable=yes) read them, checked with
/// <c>postmap -q</c> and <c>postmap -s</c> in PostmapDifferentialTests: CR, VT and FF are whitespace (so a CRLF line
/// ends where its LF line ends: the trailing CR is trimmed with the value, a CR inside a continued value stays); a NUL
/// byte ends the logical line, continuation lines included; other control characters (C0, DEL) are kept as part of
/// the key or value; a UTF-8 byte-order mark is part of the first key; a logical line that is not UTF-8 is ignored;
/// keys are case-folded. Every such case is reported, and the entry keeps Postfix's key and value.</para>
/// <para>Where this parser is stricter than Postfix, it says so with an error rather than guessing:
/// a key without a value (Postfix ignores the line, so the destination silently gets the next key of
/// the walk or the global level) is kept as an invalid entry, so a look-up fails closed; control
/// characters, an over-long logical line and a table with no entry are errors.</para>
/// <para>Cost: parsing is linear in the input and keeps no copy of it; each distinct value is parsed
/// once (a large table repeats few values), and the memory held is the map itself.</para>
/// <para>Not done: regular-expression, CIDR, SQL or other table types; only the fixed-string
/// (hash, texthash, lmdb, cdb) semantics. <c>tafile=</c> files are not opened.</para>
/// </remarks>
public sealed class PolicyMap
{
    /// <summary>The longest logical line accepted, in UTF-16 code units. Postfix has no limit; 64 KiB is far above any real entry and bounds memory on hostile input.</summary>
    public const int MaxLogicalLineLength = 64 * 1024;

    private readonly PolicyKeyIndex _index;
    private readonly PolicyMap[] _single;

    private PolicyMap(string source, PolicyKeyIndex index)
    {
        Source = source;
        Entries = index.Seal();
        _index = index;
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
    /// included, so that look-ups fail closed). Linear in the length of <paramref name="text"/>.
    /// </summary>
    /// <param name="text">The table source. A lone surrogate stands for a byte that is not UTF-8 (see <see cref="ParseUtf8"/>).</param>
    /// <param name="source">The label for diagnostics, usually the file path.</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    public static PolicyParseResult Parse(string text, string source = "tls_policy")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        var builder = new TableBuilder(source);
        int lineNo = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            int nl = text.AsSpan(pos).IndexOf('\n');
            int end = nl < 0 ? text.Length : pos + nl;
            builder.AddPhysicalLine(text.AsSpan(pos, end - pos), ++lineNo);
            pos = end + 1;
        }

        return builder.Finish();
    }

    /// <summary>
    /// Parses a table from its bytes exactly as <c>postmap</c>/<c>texthash</c> read them: streamed, in memory bounded by
    /// the map itself (no copy of the file is held). Bytes that are not UTF-8 are kept as lone surrogates
    /// (U+DC80..U+DCFF, one per byte), so a logical line containing one is recognised as "non-UTF-8 input" and
    /// ignored, as Postfix 3.7 (smtputf8_enable=yes) ignores it.
    /// </summary>
    /// <param name="utf8">The table bytes.</param>
    /// <param name="source">The label for diagnostics.</param>
    /// <param name="maxBytes">The most bytes read; beyond it <paramref name="tooLarge"/> is set and null is returned.</param>
    /// <param name="tooLarge">True when the stream held more than <paramref name="maxBytes"/>.</param>
    internal static PolicyParseResult? ParseUtf8(Stream utf8, string source, long maxBytes, out bool tooLarge)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentNullException.ThrowIfNull(source);
        tooLarge = false;
        var builder = new TableBuilder(source);

        // A physical line longer than this many bytes certainly exceeds MaxLogicalLineLength characters: only its head
        // is decoded (enough for the comment test and the length error), the rest is skipped up to the next newline.
        const int MaxLineBytes = (4 * MaxLogicalLineLength) + 4;
        byte[] buffer = new byte[64 * 1024];
        char[] chars = new char[buffer.Length];
        int start = 0, end = 0, lineNo = 0;
        long total = 0;
        bool eof = false, skipping = false;
        while (true)
        {
            int nl = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (nl >= 0 || (eof && end > start))
            {
                int lineEnd = nl >= 0 ? start + nl : end;
                if (skipping)
                {
                    skipping = false; // the tail of an over-long line
                }
                else
                {
                    builder.AddPhysicalLine(Decode(buffer.AsSpan(start, lineEnd - start), ref chars), ++lineNo);
                }

                start = nl >= 0 ? lineEnd + 1 : end;
                continue;
            }

            if (eof)
            {
                return builder.Finish();
            }

            if (end - start >= MaxLineBytes && !skipping)
            {
                builder.AddPhysicalLine(Decode(buffer.AsSpan(start, MaxLineBytes), ref chars), ++lineNo);
                skipping = true;
            }

            if (skipping)
            {
                start = end; // drop the middle of an over-long line
            }

            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxLineBytes + (64 * 1024)));
            }

            int n = utf8.Read(buffer, end, buffer.Length - end);
            if (n == 0)
            {
                eof = true;
                continue;
            }

            total += n;
            if (total > maxBytes)
            {
                tooLarge = true;
                return null;
            }

            end += n;
        }
    }

    // UTF-8 to UTF-16 with every invalid byte kept as the lone surrogate U+DC00 + byte (never produced by valid UTF-8).
    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> bytes, ref char[] chars)
    {
        if (chars.Length < bytes.Length)
        {
            chars = new char[bytes.Length];
        }

        int written = 0;
        while (true)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes, chars.AsSpan(written), out int read, out int w, replaceInvalidSequences: false);
            written += w;
            if (status == System.Buffers.OperationStatus.Done)
            {
                return chars.AsSpan(0, written);
            }

            // InvalidData or NeedMoreData (a truncated sequence at the end): one byte escaped, then go on.
            bytes = bytes[read..];
            chars[written++] = (char)(0xDC00 | bytes[0]);
            bytes = bytes[1..];
        }
    }

    // readllines() + postmap, one physical line at a time: the state of the open logical line, the entries so far, and
    // a cache of parsed values (a large table repeats a handful of values: each distinct value is parsed, and its text
    // kept, once). Linear in the input; memory is the map itself plus one logical line.
    private sealed class TableBuilder
    {
        private readonly string _source;
        private readonly List<PolicyDiagnostic> _diagnostics = [];
        private readonly PolicyKeyIndex _entries = new();
        private const int MaxCachedValues = 4096;
        private readonly Dictionary<string, ParsedValue> _values = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ParsedValue>.AlternateLookup<ReadOnlySpan<char>> _valueLookup;
        private readonly List<Segment> _segments = [];
        private char[] _logical = new char[256];
        private int _length;
        private bool _open;
        private bool _overLong;
        private bool _incomplete;

        internal TableBuilder(string source)
        {
            _source = source;
            _valueLookup = _values.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        internal void AddPhysicalLine(ReadOnlySpan<char> line, int lineNo)
        {
            int firstNonBlank = 0;
            while (firstNonBlank < line.Length && IsSpace(line[firstNonBlank]))
            {
                firstNonBlank++;
            }

            if (firstNonBlank == line.Length || line[firstNonBlank] == '#')
            {
                return; // empty, blank or comment line: skipped, does not end a continuation (readllines())
            }

            if (firstNonBlank > 0)
            {
                if (!_open)
                {
                    // postmap: 'logical line must not start with whitespace' and the line is ignored.
                    Add(lineNo, 1, DiagnosticSeverity.Error, "leading-whitespace",
                        "line starts with whitespace but continues no entry (Postfix ignores it: a continuation line needs an entry line above it)");
                    return;
                }

                Append(line, lineNo);
                return;
            }

            Flush();
            _open = true;
            Append(line, lineNo);
        }

        internal PolicyParseResult Finish()
        {
            Flush();
            if (_entries.Count == 0 && !_diagnostics.Exists(static d => d.Severity == DiagnosticSeverity.Error))
            {
                Add(1, 1, DiagnosticSeverity.Error, "empty-table",
                    "the table has no entries: every destination would get the global smtp_tls_security_level");
            }

            var map = new PolicyMap(_source, _entries);
            return new PolicyParseResult(map, _diagnostics) { IsIncomplete = _incomplete };
        }

        private void Append(ReadOnlySpan<char> line, int lineNo)
        {
            if (_overLong)
            {
                return;
            }

            if (_length + line.Length > MaxLogicalLineLength)
            {
                _overLong = true;
                _incomplete = true; // Postfix has no limit: the entry exists there, and look-ups cannot say what it answers
                Add(_segments.Count > 0 ? _segments[0].Line : lineNo, 1, DiagnosticSeverity.Error, "line-too-long",
                    $"logical line longer than {MaxLogicalLineLength} characters");
                return;
            }

            if (_logical.Length < _length + line.Length)
            {
                Array.Resize(ref _logical, Math.Max(_logical.Length * 2, _length + line.Length));
            }

            _segments.Add(new Segment(_length, lineNo));
            line.CopyTo(_logical.AsSpan(_length));
            _length += line.Length;
        }

        private void Flush()
        {
            if (_open && !_overLong && _segments.Count > 0)
            {
                AddEntry(_logical.AsSpan(0, _length));
            }

            _length = 0;
            _segments.Clear();
            _open = false;
            _overLong = false;
        }

        private void AddEntry(ReadOnlySpan<char> l)
        {
            // Postfix handles the logical line as a C string: a NUL byte ends it, continuation lines included
            // (checked with postmap -q: "a.example sec\0ure" answers "sec").
            PolicyDiagnostic? charError = null;
            int nul = l.IndexOf('\0');
            int control = IndexOfControl(nul >= 0 ? l[..nul] : l);
            if (nul >= 0)
            {
                l = l[..nul];
            }

            // postmap and texthash with smtputf8_enable=yes (Postfix 3.7's default): 'non-UTF-8 input "..." -- ignoring
            // this line'. Checked after the NUL cut, as Postfix does.
            int bad = IndexOfNonUtf8(l);
            if (bad >= 0)
            {
                var (ul, uc) = Position(bad);
                string what = char.IsLowSurrogate(l[bad]) && l[bad] >= '\uDC80' && l[bad] <= '\uDCFF' ? $"byte 0x{l[bad] & 0xFF:X2}" : $"U+{(int)l[bad]:X4}";
                Add(ul, uc, DiagnosticSeverity.Error, "not-utf8",
                    $"not valid UTF-8 ({what}): Postfix ignores this whole entry (\"non-UTF-8 input\"), so its destination gets the next matching key or the global smtp_tls_security_level; save the table as UTF-8");
                return;
            }

            int keyEnd = 0;
            while (keyEnd < l.Length && !IsSpace(l[keyEnd]))
            {
                keyEnd++;
            }

            if (control >= 0 || nul >= 0)
            {
                int at = control >= 0 ? control : nul;
                char c = control >= 0 ? l[control] : '\0';
                var (cl, cc) = Position(at);
                string where = at < keyEnd ? "in the key" : "in the value";
                string effect = c == '\0'
                    ? "a NUL byte ends the entry for Postfix: everything after it, continuation lines included, is ignored"
                    : $"Postfix keeps it as part of the {(at < keyEnd ? "key, which then never matches a destination" : "value")}";
                charError = new PolicyDiagnostic(_source, cl, cc, DiagnosticSeverity.Error, "control-character", null,
                    $"control character U+{(int)c:X4} {where} (binary data?): {effect}");
            }

            if (keyEnd == 0)
            {
                // Only when a NUL starts the line: postmap 'expected format: key whitespace value' (no key, nothing stored).
                var (zl, zc) = Position(0);
                Add(zl, zc, DiagnosticSeverity.Error, "control-character",
                    "control character U+0000 at the start of an entry (binary data?): a NUL byte ends the entry for Postfix, so it has no key and Postfix ignores the line");
                return;
            }

            string key = FoldKey(l[..keyEnd]);

            // postmap and texthash read bytes: a UTF-8 byte-order mark before the first key is part of that key (checked
            // with postmap -q in PostmapDifferentialTests), so "\uFEFFaudi.de" never matches audi.de and the destination
            // silently falls back to the global level. Kept as the key Postfix sees, with a warning.
            if (key.StartsWith('\uFEFF'))
            {
                var (bl, bc) = Position(0);
                Add(bl, bc, DiagnosticSeverity.Warning, "bom-in-key",
                    $"the key \"{Printable(key.AsSpan(1))}\" starts with a UTF-8 byte-order mark, which Postfix keeps as part of the key: look-ups of \"{Printable(key.AsSpan(1))}\" will not find this entry (save the table without a BOM)");
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

            var valueSpan = l[valueStart..valueEnd];
            var (keyLine, keyCol) = Position(0);
            PolicyEntry entry;
            if (valueSpan.IsEmpty)
            {
                var d = Merge(charError, new PolicyDiagnostic(_source, keyLine, keyCol + keyEnd, DiagnosticSeverity.Error, "missing-value", null,
                    $"key \"{Printable(key)}\" has no value (expected format: key whitespace value); Postfix ignores the line and applies the next matching key or the global level"));
                _diagnostics.Add(d);
                entry = new PolicyEntry(key, [], keyLine, keyCol, null, d);
            }
            else
            {
                var parsed = ParseValue(valueSpan, out var transient);
                if (parsed.ErrorCode is null)
                {
                    if (charError is not null)
                    {
                        _diagnostics.Add(charError);
                    }

                    // A cached (repeated) value shares one policy object; any other entry parses its own when asked.
                    entry = parsed.Policy is { } shared
                        ? new PolicyEntry(key, parsed.Utf8, keyLine, keyCol, shared, null)
                        : new PolicyEntry(key, parsed.Utf8, keyLine, keyCol);
                    if (!(parsed.Policy ?? transient)!.IgnoredAttributes.IsEmpty)
                    {
                        WarnIgnored(parsed.Raw, valueStart);
                    }
                }
                else
                {
                    var (el, ec) = Position(valueStart + parsed.ErrorOffset);
                    var d = Merge(charError, new PolicyDiagnostic(_source, el, ec, DiagnosticSeverity.Error, parsed.ErrorCode!, null,
                        $"{Printable(parsed.ErrorMessage!)} (key \"{Printable(key)}\"; Postfix defers mail for it: client TLS configuration problem)"));
                    _diagnostics.Add(d);
                    entry = new PolicyEntry(key, parsed.Utf8, keyLine, keyCol, null, d);
                }
            }

            if (!_entries.TryAdd(entry, out var first))
            {
                Add(keyLine, keyCol, DiagnosticSeverity.Warning, "duplicate-key",
                    $"duplicate entry for \"{Printable(key)}\" (first at line {first!.Line}); Postfix keeps the first value");
            }
        }

        // One diagnostic per bad entry: the control character first (it usually explains the rest), then the error.
        private static PolicyDiagnostic Merge(PolicyDiagnostic? charError, PolicyDiagnostic error) =>
            charError is null ? error : charError with { Message = $"{charError.Message}; then {error.Message}" };

        // The first MaxCachedValues distinct values are kept with their parsed policy, so a repeated value costs one
        // string and one policy for the whole table; beyond that each value is validated and its policy dropped (the
        // entry parses it again when asked), so a table of all-distinct values holds no cache and no policy objects.
        private ParsedValue ParseValue(ReadOnlySpan<char> value, out TlsPolicy? transient)
        {
            transient = null;
            if (_valueLookup.TryGetValue(value, out var cached))
            {
                return cached;
            }

            string raw = value.ToString();
            ParsedValue parsed = TlsPolicy.TryParse(raw, out var policy, out var error)
                ? new ParsedValue(raw, Encoding.UTF8.GetBytes(raw), policy, null, null, 0)
                : new ParsedValue(raw, Encoding.UTF8.GetBytes(raw), null, error.Code, error.Message, error.Offset);
            if (_values.Count < MaxCachedValues)
            {
                _values.Add(raw, parsed);
                return parsed;
            }

            transient = policy;
            return parsed with { Policy = null };
        }

        // Postfix: 'ignoring attribute "..." with TLS disabled', one per token after the level (positions found by
        // walking the tokens once, with smtp(8)'s separators).
        private void WarnIgnored(string value, int valueStart)
        {
            int pos = 0;
            bool first = true;
            while (pos < value.Length)
            {
                while (pos < value.Length && PolicyValueParser.IsSeparator(value[pos]))
                {
                    pos++;
                }

                int start = pos;
                while (pos < value.Length && !PolicyValueParser.IsSeparator(value[pos]))
                {
                    pos++;
                }

                if (pos > start && !first)
                {
                    var (il, ic) = Position(valueStart + start);
                    Add(il, ic, DiagnosticSeverity.Warning, "ignored-attribute",
                        $"ignoring attribute \"{Printable(value.AsSpan(start, pos - start))}\" with TLS disabled");
                }

                first = false;
            }
        }

        private void Add(int line, int column, DiagnosticSeverity severity, string code, string message) =>
            _diagnostics.Add(new PolicyDiagnostic(_source, line, column, severity, code, null, message));

        private (int Line, int Column) Position(int logicalOffset)
        {
            int i = _segments.Count - 1;
            while (i > 0 && _segments[i].Offset > logicalOffset)
            {
                i--;
            }

            return (_segments[i].Line, logicalOffset - _segments[i].Offset + 1);
        }
    }

    // Raw: the value text while the entry is built; Utf8: what the entry keeps (a value is valid UTF-16 here, so it round-trips).
    private sealed record ParsedValue(string Raw, byte[] Utf8, TlsPolicy? Policy, string? ErrorCode, string? ErrorMessage, int ErrorOffset);

    /// <summary>
    /// Looks a next hop up in this table the way <c>smtp(8)</c> does (postfix-tls.md 1.3): the
    /// verbatim key, then, only when it is a valid host name, each parent suffix that starts with a
    /// dot (<c>a.b.example.net</c>, <c>.b.example.net</c>, <c>.example.net</c>, <c>.net</c>).
    /// <c>[host]</c>, <c>[host]:port</c>, trailing dots and IP literals get exactly one look-up.
    /// Case-insensitive (see <see cref="AsciiKeyComparer"/>). Allocates nothing.
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
    public bool TryGetExact(ReadOnlySpan<char> key, out PolicyEntry? entry) => _index.TryGet(key, out entry);

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
            string value = e.Policy?.ToCanonicalString() ?? e.RawValue;
            sb.Append(e.Key).Append(' ').Append(value);

            // A last token ending in a vertical tab or form feed: Postfix trims them at the end of a line (ISSPACE) but
            // not inside the value (tokens split at ", \t\r\n" only), so a comma after it keeps them; found by AFL
            // ("match=\f,\f" read back as "match=" once formatted).
            if (value.Length > 0 && IsSpace(value[^1]))
            {
                sb.Append(',');
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static bool TryTables(ReadOnlySpan<PolicyMap> tables, ReadOnlySpan<char> key, out PolicyLookupResult result)
    {
        for (int t = 0; t < tables.Length; t++)
        {
            if (tables[t]._index.TryGet(key, out var entry))
            {
                result = new PolicyLookupResult(entry!, t);
                return true;
            }
        }

        result = default;
        return false;
    }

    // Postfix 3.7 with smtputf8_enable=yes (the default) folds keys with casefold(): ASCII keys as lowcase() does, others
    // with Unicode case folding (postmap -s shows "ÄUDI.example" stored as "äudi.example"). Invariant lower-casing is
    // Unicode simple folding for all but a few letters (full folding's "ß" -> "ss" is not modelled).
    internal static string FoldKey(ReadOnlySpan<char> s)
    {
        if (!Ascii.IsValid(s))
        {
            return s.ToString().ToLowerInvariant();
        }

        return AsciiLower(s);
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

    // Postfix ISSPACE (C isspace in the C locale): ends the key, starts a continuation line, trimmed around the value.
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n' or '\v' or '\f';

    // A control character that is not whitespace (C0, DEL, C1); NUL is handled before.
    private static int IndexOfControl(ReadOnlySpan<char> s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if ((c < ' ' || (c >= '\u007f' && c <= '\u009f')) && !IsSpace(c))
            {
                return i;
            }
        }

        return -1;
    }

    // The first lone surrogate: a byte that was not UTF-8 (ParseUtf8) or an unpaired surrogate in a string.
    private static int IndexOfNonUtf8(ReadOnlySpan<char> s)
    {
        int i = s.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return -1;
        }

        for (; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return i;
            }
        }

        return -1;
    }

    // Message text with control characters and non-UTF-8 bytes shown as \xNN, so a diagnostic is one printable line.
    internal static string Printable(ReadOnlySpan<char> s)
    {
        int i = 0;
        while (i < s.Length && !NeedsEscape(s[i]))
        {
            i++;
        }

        if (i == s.Length)
        {
            return s.ToString();
        }

        var sb = new StringBuilder(s.Length + 8);
        sb.Append(s[..i]);
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
            }
            else if (NeedsEscape(c))
            {
                sb.Append(char.IsSurrogate(c) ? $"\\x{c & 0xFF:X2}" : (c <= '\u00ff' ? $"\\x{(int)c:X2}" : $"\\u{(int)c:X4}"));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();

        static bool NeedsEscape(char c) => c < ' ' || (c >= '\u007f' && c <= '\u009f') || char.IsSurrogate(c);
    }

    private readonly record struct Segment(int Offset, int Line);
}

/// <summary>The outcome of <see cref="PolicyMap.Parse"/>: the map and every diagnostic, in source order.</summary>
/// <param name="Map">The map; always present, invalid entries included.</param>
/// <param name="Diagnostics">Errors and warnings with positions.</param>
public sealed record PolicyParseResult(PolicyMap Map, IReadOnlyList<PolicyDiagnostic> Diagnostics)
{
    /// <summary>True when an entry Postfix reads could not be read here (a logical line over
    /// <see cref="PolicyMap.MaxLogicalLineLength"/>): a look-up that finds nothing cannot then say what Postfix answers.</summary>
    internal bool IsIncomplete { get; init; }

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
