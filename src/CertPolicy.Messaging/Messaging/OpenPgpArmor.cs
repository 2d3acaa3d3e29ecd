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
    /// ignored, as RFC 9580 6.2 allows. Never throws on data.
    /// </summary>
    internal static bool TryDecodeAll(string text, out byte[] binary, out OpenPgpReadError? error)
    {
        binary = [];
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            // RFC 9580 6.2: trailing white space on armor lines is ignored.
            lines[i] = lines[i].TrimEnd(' ', '\t', '\r');
        }

        using var all = new MemoryStream();
        int next = 0;
        int block = 0;
        while (true)
        {
            int begin = -1;
            for (int i = next; i < lines.Length; i++)
            {
                if (lines[i].StartsWith(BeginPrefix, StringComparison.Ordinal))
                {
                    begin = i;
                    break;
                }
            }

            if (begin < 0)
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
            if (!TryDecodeBlock(lines, begin, out byte[] one, out int end, out error))
            {
                if (block > 1)
                {
                    error = error! with { Message = "armor block " + block.ToString(CultureInfo.InvariantCulture) + ": " + error.Message };
                }

                return false;
            }

            all.Write(one);
            next = end + 1;
        }
    }

    private static bool TryDecodeBlock(string[] lines, int begin, out byte[] binary, out int end, out OpenPgpReadError? error)
    {
        binary = [];
        end = -1;
        error = null;
        string header = lines[begin];
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

        var issues = new List<string>();
        bool structural = false;

        // Armor headers ("Key: Value") up to the blank line (RFC 9580 6.2).
        int i2 = begin + 1;
        while (i2 < lines.Length && lines[i2].Length > 0)
        {
            string l = lines[i2];
            int colon = l.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && IsHeaderKey(l.AsSpan(0, colon)))
            {
                i2++;
                continue;
            }

            if (IsBase64Line(l) || l.StartsWith(EndPrefix, StringComparison.Ordinal))
            {
                issues.Add(Line(i2) + "no blank line between the armor headers and the base64 body");
                structural = true;
            }
            else
            {
                issues.Add(Line(i2) + "'" + Clip(l) + "' is neither an armor header ('Key: Value') nor base64");
                structural = true;
                i2++;
                continue;
            }

            break;
        }

        if (i2 < lines.Length && lines[i2].Length == 0)
        {
            i2++;
        }

        var body = new StringBuilder();
        var bodyLines = new List<(int Line, int Length)>();
        string? checksum = null;
        int checksumLine = -1;
        int blankRunStart = -1;
        int stop = lines.Length;
        for (int i = i2; i < lines.Length; i++)
        {
            string l = lines[i];
            if (l.StartsWith(EndPrefix, StringComparison.Ordinal))
            {
                structural |= FlushBlankRun(issues, ref blankRunStart, i);
                end = i;
                string expected = EndPrefix + blockType + Dashes;
                if (!string.Equals(l, expected, StringComparison.Ordinal))
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
                    issues.Add(Line(i) + "'" + Clip(l) + "' after the checksum line " + (checksumLine + 1).ToString(CultureInfo.InvariantCulture));
                    structural = true;
                }

                continue;
            }

            if (l.Length == 5 && l[0] == '=' && IsBase64Line(l.AsSpan(1)))
            {
                checksum = l[1..];
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
                issues.Add(Line(i) + "'" + Clip(l) + "' is not base64 (character '" + l[bad] + "' at column "
                    + (bad + 1).ToString(CultureInfo.InvariantCulture) + "; text was inserted into the armor)");
                structural = true;
                continue;
            }

            body.Append(l);
            bodyLines.Add((i, l.Length));
        }

        bool truncated = end < 0;
        if (truncated)
        {
            issues.Add(stop < lines.Length
                ? Line(stop) + "a new armor block begins before the '-----END PGP PUBLIC KEY BLOCK-----' line of the block at line "
                    + (begin + 1).ToString(CultureInfo.InvariantCulture) + ": that block is truncated"
                : "the armor ends at line " + lines.Length.ToString(CultureInfo.InvariantCulture)
                    + " without its '-----END PGP PUBLIC KEY BLOCK-----' line: the file is truncated");
        }

        if (bodyLines.Count == 0)
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

        AddShortLineHint(bodyLines, issues);
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
        error = new OpenPgpReadError(kind, prefix + Join(issues));
        return false;
    }

    // Explains a damaged body: lines shorter (longer) than their neighbours lost (gained) characters (text extraction
    // from a PDF is the usual cause). Only a hint, given when decoding already failed, because
    // RFC 9580 does not require equal line lengths.
    private static void AddShortLineHint(List<(int Line, int Length)> bodyLines, List<string> issues)
    {
        if (bodyLines.Count < 3)
        {
            return;
        }

        var counts = new Dictionary<int, int>();
        for (int i = 0; i < bodyLines.Count - 1; i++)
        {
            counts[bodyLines[i].Length] = counts.GetValueOrDefault(bodyLines[i].Length) + 1;
        }

        int typical = 0;
        int best = 0;
        foreach (var kv in counts)
        {
            if (kv.Value > best || (kv.Value == best && kv.Key > typical))
            {
                typical = kv.Key;
                best = kv.Value;
            }
        }

        var sb = new StringBuilder();
        int shortLines = 0;
        int longer = 0;
        for (int i = 0; i < bodyLines.Count - 1; i++)
        {
            if (bodyLines[i].Length > typical)
            {
                longer++;
            }

            if (bodyLines[i].Length != typical)
            {
                if (shortLines < 6)
                {
                    sb.Append(shortLines == 0 ? string.Empty : ", ").Append(bodyLines[i].Line + 1);
                }

                shortLines++;
            }
        }

        if (shortLines > 0)
        {
            issues.Add(shortLines.ToString(CultureInfo.InvariantCulture) + " body line(s) differ from the usual "
                + typical.ToString(CultureInfo.InvariantCulture) + " characters (line " + sb + (shortLines > 6 ? ", ..." : string.Empty)
                + "): characters were "
                + (longer == 0 ? "lost" : longer == shortLines ? "added" : "lost (" + (shortLines - longer).ToString(CultureInfo.InvariantCulture)
                    + " shorter) or added (" + longer.ToString(CultureInfo.InvariantCulture) + " longer)"));
        }
    }

    // Blank lines at the very end of a file without END line are truncation, not insertion: a run
    // is reported only when a non-blank line follows it.
    private static bool FlushBlankRun(List<string> issues, ref int start, int next)
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

    private static string Join(List<string> issues)
    {
        var sb = new StringBuilder();
        int n = Math.Min(issues.Count, MaxIssuesListed);
        for (int i = 0; i < n; i++)
        {
            sb.Append(i == 0 ? string.Empty : "; ").Append(issues[i]);
        }

        if (issues.Count > n)
        {
            sb.Append("; and ").Append(issues.Count - n).Append(" more problem(s)");
        }

        return sb.ToString();
    }

    private static string Line(int index) => "line " + (index + 1).ToString(CultureInfo.InvariantCulture) + ": ";

    private static string Clip(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 37), "...");

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
