using System.Globalization;
using System.Text;

namespace CertPolicy.Messaging;

/// <summary>
/// ASCII armor (RFC 9580 section 6, RFC 4880 section 6) decoded by hand rather than through
/// BouncyCastle's <c>ArmoredInputStream</c>: that stream reports every kind of damage as one
/// generic <c>IOException</c>, while R-G3 asks for a message that names what is wrong and where
/// (the key block printed in the Audi document lost characters and gained a code fence).
/// The decoder is strict about structure and lenient only to explain: it keeps going after the
/// first problem so that the report lists every damaged line, then fails.
/// </summary>
internal static class OpenPgpArmor
{
    private const string BeginPrefix = "-----BEGIN PGP ";
    private const string EndPrefix = "-----END PGP ";
    private const string Dashes = "-----";
    private const int MaxIssuesListed = 8;

    /// <summary>RFC 9580 6.1: CRC-24 with generator 0x864CFB and initial value 0xB704CE.</summary>
    internal static uint Crc24(ReadOnlySpan<byte> data)
    {
        uint crc = 0xB704CE;
        foreach (byte b in data)
        {
            crc ^= (uint)b << 16;
            for (int i = 0; i < 8; i++)
            {
                crc <<= 1;
                if ((crc & 0x1000000) != 0)
                {
                    crc ^= 0x1864CFB;
                }
            }
        }

        return crc & 0xFFFFFF;
    }

    /// <summary>True when the text holds an armor header line (<c>-----BEGIN PGP </c>).</summary>
    internal static bool LooksArmored(string text) => text.Contains(BeginPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Decodes every armored block in <paramref name="text"/> (GnuPG exports several keys as several
    /// blocks when asked key by key) and concatenates their packets. Text around the blocks is
    /// ignored, as RFC 9580 6.2 allows. Never throws on data. Memory is bounded by the input: lines are
    /// read in place (never split into strings), and only the first <see cref="MaxIssuesListed"/> problems
    /// are put into words, the rest counted (issue 14: a 16 MiB armor of short bad lines used 2.2 GB).
    /// </summary>
    internal static bool TryDecodeAll(string text, out byte[] binary, out OpenPgpReadError? error)
    {
        binary = [];
        var cursor = new LineCursor(text);
        using var all = new MemoryStream();
        int block = 0;
        while (true)
        {
            while (cursor.HasLine && !cursor.Line.StartsWith(BeginPrefix, StringComparison.Ordinal))
            {
                cursor.Advance();
            }

            if (!cursor.HasLine)
            {
                if (block == 0)
                {
                    error = new OpenPgpReadError(OpenPgpReadErrorKind.NotOpenPgp, "no '-----BEGIN PGP PUBLIC KEY BLOCK-----' armor header line");
                    return false;
                }

                binary = all.ToArray();
                error = null;
                return true;
            }

            block++;
            if (!TryDecodeBlock(text, cursor, out byte[] one, out error))
            {
                if (block > 1)
                {
                    error = error! with { Message = "armor block " + block.ToString(CultureInfo.InvariantCulture) + ": " + error.Message };
                }

                return false;
            }

            all.Write(one);
            cursor.Advance(); // past the END line
        }
    }

    // On success the cursor is left on the block's END line.
    private static bool TryDecodeBlock(string text, LineCursor cursor, out byte[] binary, out OpenPgpReadError? error)
    {
        binary = [];
        int end = -1;
        error = null;
        int begin = cursor.Index;
        string header = cursor.Line.ToString();
        if (!header.EndsWith(Dashes, StringComparison.Ordinal) || header.Length <= BeginPrefix.Length + Dashes.Length)
        {
            error = new OpenPgpReadError(OpenPgpReadErrorKind.ArmorMalformed, Line(begin) + "armor header line '" + Clip(header) + "' does not end in '-----'");
            return false;
        }

        string blockType = header[BeginPrefix.Length..^Dashes.Length];
        if (!string.Equals(blockType, "PUBLIC KEY BLOCK", StringComparison.Ordinal))
        {
            string what = string.Equals(blockType, "PRIVATE KEY BLOCK", StringComparison.Ordinal)
                ? "a secret key block: a partner publishes only its public key (R-G1), and this file should not have left its owner"
                : "'" + Clip(blockType) + "', not a public key block";
            error = new OpenPgpReadError(OpenPgpReadErrorKind.WrongBlockType, Line(begin) + "the armor is " + what);
            return false;
        }

        var issues = new Issues();
        bool structural = false;

        // Armor headers ("Key: Value") up to the blank line (RFC 9580 6.2).
        cursor.Advance();
        while (cursor.HasLine && cursor.Line.Length > 0)
        {
            ReadOnlySpan<char> l = cursor.Line;
            int colon = l.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && IsHeaderKey(l[..colon]))
            {
                cursor.Advance();
                continue;
            }

            structural = true;
            if (IsBase64Line(l) || l.StartsWith(EndPrefix, StringComparison.Ordinal))
            {
                issues.Add(Line(cursor.Index) + "no blank line between the armor headers and the base64 body");
                break;
            }

            if (issues.HasRoom)
            {
                issues.Add(Line(cursor.Index) + "'" + Clip(l) + "' is neither an armor header ('Key: Value') nor base64");
            }
            else
            {
                issues.Skip();
            }

            cursor.Advance();
        }

        if (cursor.HasLine && cursor.Line.Length == 0)
        {
            cursor.Advance();
        }

        var body = new StringBuilder();
        var lengths = new Dictionary<int, int>(); // body line length -> count (for the short-line hint)
        int bodyLineCount = 0;
        int lastBodyLine = -1;
        int lastBodyLength = 0;
        LineCursor.Mark bodyStart = cursor.Position;
        string? checksum = null;
        int checksumLine = -1;
        int blankRunStart = -1;
        int stop = -1;
        for (; cursor.HasLine; cursor.Advance())
        {
            ReadOnlySpan<char> l = cursor.Line;
            int i = cursor.Index;
            if (l.StartsWith(EndPrefix, StringComparison.Ordinal))
            {
                structural |= FlushBlankRun(issues, ref blankRunStart, i);
                end = i;
                string expected = EndPrefix + blockType + Dashes;
                if (!l.SequenceEqual(expected))
                {
                    issues.Add(Line(i) + "armor tail '" + Clip(l) + "' does not match the header (expected '" + expected + "')");
                    structural = true;
                }

                break;
            }

            if (l.StartsWith(BeginPrefix, StringComparison.Ordinal))
            {
                stop = i;
                break; // the next block starts: this one lost its END line (truncated)
            }

            if (checksum is not null)
            {
                if (l.Length > 0)
                {
                    if (issues.HasRoom)
                    {
                        issues.Add(Line(i) + "'" + Clip(l) + "' after the checksum line " + (checksumLine + 1).ToString(CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        issues.Skip();
                    }

                    structural = true;
                }

                continue;
            }

            if (l.Length == 5 && l[0] == '=' && IsBase64Line(l[1..]))
            {
                checksum = l[1..].ToString();
                checksumLine = i;
                continue;
            }

            if (l.Length == 0)
            {
                blankRunStart = blankRunStart < 0 ? i : blankRunStart;
                continue;
            }

            structural |= FlushBlankRun(issues, ref blankRunStart, i);

            int bad = FirstNonBase64(l);
            if (bad >= 0)
            {
                if (issues.HasRoom)
                {
                    issues.Add(Line(i) + "'" + Clip(l) + "' is not base64 (character '" + l[bad] + "' at column "
                        + (bad + 1).ToString(CultureInfo.InvariantCulture) + "; text was inserted into the armor)");
                }
                else
                {
                    issues.Skip();
                }

                structural = true;
                continue;
            }

            body.Append(l);
            if (bodyLineCount == 0)
            {
                bodyStart = cursor.Position;
            }

            bodyLineCount++;
            lastBodyLine = i;
            lastBodyLength = l.Length;
            lengths[l.Length] = lengths.GetValueOrDefault(l.Length) + 1;
        }

        int lineCount = cursor.HasLine ? -1 : cursor.Index; // lines in the text, when the block ran to its end
        bool truncated = end < 0;
        if (truncated)
        {
            issues.Add(stop >= 0
                ? Line(stop) + "a new armor block begins before the '-----END PGP PUBLIC KEY BLOCK-----' line of the block at line "
                    + (begin + 1).ToString(CultureInfo.InvariantCulture) + ": that block is truncated"
                : "the armor ends at line " + lineCount.ToString(CultureInfo.InvariantCulture)
                    + " without its '-----END PGP PUBLIC KEY BLOCK-----' line: the file is truncated");
        }

        if (bodyLineCount == 0)
        {
            issues.Add("the armor has no base64 body");
            structural = true;
        }

        // Base64 proper: 4-character groups, '=' padding only at the very end.
        byte[]? decoded = null;
        string b64 = body.ToString();
        if (b64.Length % 4 != 0)
        {
            issues.Add("the base64 body has " + b64.Length.ToString(CultureInfo.InvariantCulture)
                + " characters, not a multiple of 4: characters were lost or added");
        }
        else if (b64.Length > 0)
        {
            decoded = new byte[b64.Length / 4 * 3];
            if (Convert.TryFromBase64String(b64, decoded, out int written))
            {
                decoded = decoded.AsSpan(0, written).ToArray();
            }
            else
            {
                issues.Add("the base64 body has '=' padding before its end");
                decoded = null;
            }
        }

        bool crcMismatch = false;
        if (decoded is not null && checksum is not null)
        {
            Span<byte> crcBytes = stackalloc byte[3];
            if (!Convert.TryFromBase64String(checksum, crcBytes, out int n) || n != 3)
            {
                issues.Add(Line(checksumLine) + "checksum line '=" + checksum + "' is not 3 base64-encoded bytes");
                structural = true;
            }
            else
            {
                uint stated = ((uint)crcBytes[0] << 16) | ((uint)crcBytes[1] << 8) | crcBytes[2];
                uint actual = Crc24(decoded);
                if (stated != actual)
                {
                    crcMismatch = true;
                    issues.Add(Line(checksumLine) + "CRC-24 mismatch: the armor states 0x" + stated.ToString("X6", CultureInfo.InvariantCulture)
                        + " but the data gives 0x" + actual.ToString("X6", CultureInfo.InvariantCulture) + " (the base64 body was altered)");
                }
            }
        }

        if (issues.Count == 0 && decoded is not null)
        {
            binary = decoded;
            return true;
        }

        if (bodyLineCount >= 3)
        {
            // Every body line but the last (which is naturally shorter) counts towards the usual length.
            lengths[lastBodyLength]--;
            AddShortLineHint(new LineCursor(text, bodyStart), lastBodyLine, lengths, issues);
        }

        OpenPgpReadErrorKind kind = structural ? OpenPgpReadErrorKind.ArmorMalformed
            : truncated ? OpenPgpReadErrorKind.ArmorTruncated
            : crcMismatch ? OpenPgpReadErrorKind.ArmorChecksumMismatch
            : OpenPgpReadErrorKind.ArmorMalformed;
        string prefix = kind switch
        {
            OpenPgpReadErrorKind.ArmorTruncated => "truncated armor: ",
            OpenPgpReadErrorKind.ArmorChecksumMismatch => "bad armor checksum: ",
            _ => "damaged armor: ",
        };
        error = new OpenPgpReadError(kind, prefix + issues.Join());
        return false;
    }

    // Explains a damaged body: lines shorter (longer) than their neighbours lost (gained) characters (text extraction
    // from a PDF is the usual cause). Only a hint, given when decoding already failed, because
    // RFC 9580 does not require equal line lengths. The counts come from the length histogram; a second pass over the
    // body (from its first line, stopping after six) finds the line numbers to name, so no per-line list is kept.
    private static void AddShortLineHint(LineCursor cursor, int lastBodyLine, Dictionary<int, int> lengths, Issues issues)
    {
        int typical = 0;
        int best = 0;
        int total = 0;
        foreach (var kv in lengths)
        {
            total += kv.Value;
            if (kv.Value > best || (kv.Value == best && kv.Key > typical))
            {
                typical = kv.Key;
                best = kv.Value;
            }
        }

        int shortLines = total - best;
        if (shortLines == 0)
        {
            return;
        }

        int longer = 0;
        foreach (var kv in lengths)
        {
            longer += kv.Key > typical ? kv.Value : 0;
        }

        var sb = new StringBuilder();
        int named = 0;
        for (; cursor.HasLine && cursor.Index < lastBodyLine && named < 6; cursor.Advance())
        {
            ReadOnlySpan<char> l = cursor.Line;
            if (l.Length > 0 && l.Length != typical && FirstNonBase64(l) < 0)
            {
                sb.Append(named == 0 ? string.Empty : ", ").Append(cursor.Index + 1);
                named++;
            }
        }

        if (!issues.HasRoom)
        {
            issues.Skip();
            return;
        }

        issues.Add(shortLines.ToString(CultureInfo.InvariantCulture) + " body line(s) differ from the usual "
            + typical.ToString(CultureInfo.InvariantCulture) + " characters (line " + sb + (shortLines > 6 ? ", ..." : string.Empty)
            + "): characters were "
            + (longer == 0 ? "lost" : longer == shortLines ? "added" : "lost (" + (shortLines - longer).ToString(CultureInfo.InvariantCulture)
                + " shorter) or added (" + longer.ToString(CultureInfo.InvariantCulture) + " longer)"));
    }

    // Blank lines at the very end of a file without END line are truncation, not insertion: a run
    // is reported only when a non-blank line follows it.
    private static bool FlushBlankRun(Issues issues, ref int start, int next)
    {
        if (start < 0)
        {
            return false;
        }

        int count = next - start;
        issues.Add((count == 1 ? Line(start) + "blank line" : "lines " + (start + 1).ToString(CultureInfo.InvariantCulture) + "-"
            + next.ToString(CultureInfo.InvariantCulture) + ": " + count.ToString(CultureInfo.InvariantCulture) + " blank lines")
            + " inside the base64 body (text was inserted into the armor)");
        start = -1;
        return true;
    }

    /// <summary>The problems of one block: the first <see cref="MaxIssuesListed"/> in words, the rest only counted.</summary>
    private sealed class Issues
    {
        private readonly List<string> _listed = new(MaxIssuesListed);

        /// <summary>Every problem found, listed or not.</summary>
        internal int Count { get; private set; }

        /// <summary>True while another problem would be listed; when false, call <see cref="Skip"/> instead of building its text.</summary>
        internal bool HasRoom => _listed.Count < MaxIssuesListed;

        internal void Add(string issue)
        {
            Count++;
            if (_listed.Count < MaxIssuesListed)
            {
                _listed.Add(issue);
            }
        }

        internal void Skip() => Count++;

        internal string Join()
        {
            var sb = new StringBuilder();
            for (int i = 0; i < _listed.Count; i++)
            {
                sb.Append(i == 0 ? string.Empty : "; ").Append(_listed[i]);
            }

            if (Count > _listed.Count)
            {
                sb.Append("; and ").Append(Count - _listed.Count).Append(" more problem(s)");
            }

            return sb.ToString();
        }
    }

    /// <summary>
    /// Walks the lines of a text in place, exactly as <c>text.Split('\n')</c> would cut them (so a text ending in a
    /// newline has an empty last line), each with trailing blanks, tabs and carriage returns removed (RFC 9580 6.2).
    /// </summary>
    private sealed class LineCursor
    {
        private readonly string _text;
        private int _start;
        private int _length;
        private int _nextStart;

        internal LineCursor(string text)
            : this(text, new Mark(0, 0))
        {
        }

        internal LineCursor(string text, Mark at)
        {
            _text = text;
            _nextStart = at.Start;
            Index = at.Index - 1;
            HasLine = true;
            Advance();
        }

        /// <summary>Where a line starts, to walk again from it.</summary>
        internal readonly record struct Mark(int Start, int Index);

        /// <summary>The current line's zero-based number; after the last line, the number of lines.</summary>
        internal int Index { get; private set; }

        /// <summary>False once every line was passed.</summary>
        internal bool HasLine { get; private set; }

        internal ReadOnlySpan<char> Line => _text.AsSpan(_start, _length);

        internal Mark Position => new(_start, Index);

        internal void Advance()
        {
            Index++;
            if (_nextStart < 0)
            {
                HasLine = false;
                _length = 0;
                return;
            }

            _start = _nextStart;
            int newline = _text.IndexOf('\n', _start);
            int end = newline < 0 ? _text.Length : newline;
            _nextStart = newline < 0 ? -1 : newline + 1;
            while (end > _start && _text[end - 1] is ' ' or '\t' or '\r')
            {
                end--;
            }

            _length = end - _start;
        }
    }

    private static string Line(int index) => "line " + (index + 1).ToString(CultureInfo.InvariantCulture) + ": ";

    private static string Clip(ReadOnlySpan<char> s) => s.Length <= 40 ? s.ToString() : string.Concat(s[..37], "...");

    private static bool IsHeaderKey(ReadOnlySpan<char> key)
    {
        foreach (char c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return key.Length > 0 && char.IsAsciiLetter(key[0]);
    }

    private static bool IsBase64Line(ReadOnlySpan<char> line) => line.Length > 0 && FirstNonBase64(line) < 0;

    private static int FirstNonBase64(ReadOnlySpan<char> line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/' || c == '='))
            {
                return i;
            }
        }

        return -1;
    }
}
