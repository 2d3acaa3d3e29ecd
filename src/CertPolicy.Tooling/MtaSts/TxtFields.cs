namespace CertPolicy.MtaSts;

/// <summary>One <c>name=value</c> field of a TXT record after its version field.</summary>
/// <param name="Name">The field name as written.</param>
/// <param name="NameIndex">0-based index of the name in the record.</param>
/// <param name="Value">The value as written, up to the next <c>;</c>, without trailing WSP.</param>
/// <param name="ValueIndex">0-based index of the value in the record.</param>
internal readonly record struct TxtField(string Name, int NameIndex, string Value, int ValueIndex);

/// <summary>
/// Splits the common shape of the MTA-STS (RFC 8461 3.1) and TLS-RPT (RFC 8460 3) TXT records:
/// <c>version 1*(*WSP ";" *WSP field) [";"]</c>. Field values are checked by the caller (their grammars differ).
/// </summary>
/// <remarks>
/// Deviation: trailing WSP after the last field or the final <c>;</c> is accepted (the ABNF has none); DNS tools
/// add it when records are pasted, and it cannot change the meaning.
/// </remarks>
internal static class TxtFields
{
    /// <summary>The most fields read from one record: a TXT record is at most 64 KiB, real ones have two or three.</summary>
    internal const int MaxFields = 64;

    internal static bool TrySplit(string txt, string version, List<TxtField> fields, out MtaStsSyntaxError error)
    {
        if (!txt.StartsWith(version, StringComparison.Ordinal))
        {
            error = new(1, 1, "the record must begin with \"" + version + "\" (case-sensitive)");
            return false;
        }

        int pos = version.Length;
        if (pos < txt.Length && txt[pos] != ';' && !MtaStsSyntax.IsWsp(txt[pos]))
        {
            error = new(1, pos + 1, "the version must be exactly \"" + version + "\"; found " + MtaStsSyntax.Show(txt[pos]) + " after it");
            return false;
        }

        while (true)
        {
            pos = SkipWsp(txt, pos);
            if (pos == txt.Length)
            {
                break;
            }

            if (txt[pos] != ';')
            {
                error = new(1, pos + 1, "expected ';' between fields, found " + MtaStsSyntax.Show(txt[pos]));
                return false;
            }

            pos = SkipWsp(txt, pos + 1);
            if (pos == txt.Length)
            {
                break;
            }

            int nameIndex = pos;
            while (pos < txt.Length && txt[pos] is not ('=' or ';') && !MtaStsSyntax.IsWsp(txt[pos]))
            {
                pos++;
            }

            string name = txt[nameIndex..pos];
            if (pos == txt.Length || txt[pos] != '=')
            {
                error = name.Length == 0
                    ? new(1, pos + 1, "empty field between two ';'")
                    : new(1, pos + 1, "expected '=' after the field name \"" + name + "\"");
                return false;
            }

            if (!MtaStsSyntax.IsExtensionName(name))
            {
                error = new(1, nameIndex + 1, "invalid field name \"" + name + "\" (a letter or digit, then up to 31 letters, digits, '_', '-', '.')");
                return false;
            }

            int valueIndex = ++pos;
            while (pos < txt.Length && txt[pos] != ';')
            {
                pos++;
            }

            int end = pos;
            while (end > valueIndex && MtaStsSyntax.IsWsp(txt[end - 1]))
            {
                end--;
            }

            if (end == valueIndex)
            {
                error = new(1, valueIndex + 1, "the field \"" + name + "\" has an empty value");
                return false;
            }

            if (fields.Count == MaxFields)
            {
                error = new(1, nameIndex + 1, "more than " + MaxFields + " fields");
                return false;
            }

            fields.Add(new TxtField(name, nameIndex, txt[valueIndex..end], valueIndex));
        }

        if (fields.Count == 0)
        {
            error = new(1, txt.Length + 1, "no field after \"" + version + "\"");
            return false;
        }

        error = default;
        return true;
    }

    private static int SkipWsp(string s, int pos)
    {
        while (pos < s.Length && MtaStsSyntax.IsWsp(s[pos]))
        {
            pos++;
        }

        return pos;
    }

    /// <summary>
    /// True when a TXT record is a candidate of the given version: it begins with the version and then ends, or goes on
    /// with <c>;</c> or WSP. RFC 8461 3.1 and RFC 8460 3 discard the others before counting.
    /// </summary>
    internal static bool StartsWithVersion(string txt, string version) =>
        txt.StartsWith(version, StringComparison.Ordinal)
        && (txt.Length == version.Length || txt[version.Length] == ';' || MtaStsSyntax.IsWsp(txt[version.Length]));

    /// <summary>
    /// The one TXT record of <paramref name="version"/> among all those at a name (RFC 8461 3.1, RFC 8460 3: the
    /// others are discarded, and exactly one must remain), or an error naming none or how many.
    /// </summary>
    /// <param name="txtRecords">The TXT records, each one's strings concatenated.</param>
    /// <param name="version">The version prefix, e.g. <c>v=STSv1</c>.</param>
    /// <param name="rfc">The citation for the messages, e.g. <c>RFC 8461 3.1</c>.</param>
    /// <param name="candidate">The record, unparsed.</param>
    /// <param name="error">Why there is none.</param>
    internal static bool TrySelectOne(IReadOnlyList<string> txtRecords, string version, string rfc, out string? candidate, out MtaStsSyntaxError error)
    {
        ArgumentNullException.ThrowIfNull(txtRecords);
        candidate = null;
        int count = 0;
        foreach (var txt in txtRecords)
        {
            if (txt is not null && StartsWithVersion(txt, version))
            {
                candidate ??= txt;
                count++;
            }
        }

        if (count != 1)
        {
            candidate = null;
            error = new(1, 1, count == 0
                ? "no TXT record begins with \"" + version + "\" (" + rfc + ")"
                : count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " TXT records begin with \"" + version + "\"; there must be exactly one (" + rfc + ")");
            return false;
        }

        error = default;
        return true;
    }
}
