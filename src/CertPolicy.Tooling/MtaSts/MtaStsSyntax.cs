namespace CertPolicy.MtaSts;

/// <summary>
/// Where and why an MTA-STS TXT record, policy file or TLS-RPT record is invalid. <see cref="Line"/> and
/// <see cref="Column"/> are 1-based (a TXT record is line 1); column counts UTF-16 characters.
/// </summary>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column of the character at fault (one past the end when something is missing).</param>
/// <param name="Message">What is wrong, in words for a mail administrator.</param>
internal readonly record struct MtaStsSyntaxError(int Line, int Column, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Line + ":" + Column + ": " + Message;
}

/// <summary>The character classes of the ABNF of RFC 8461 3.1/3.2 and RFC 8460 3 (RFC 5234 core rules).</summary>
internal static class MtaStsSyntax
{
    /// <summary>RFC 5234 WSP: space or horizontal tab.</summary>
    internal static bool IsWsp(char c) => c is ' ' or '\t';

    /// <summary>
    /// An extension name (RFC 8461 3.1 <c>sts-ext-name</c>, 3.2 <c>sts-policy-ext-name</c>, RFC 8460 3
    /// <c>tlsrpt-ext-name</c>): <c>(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")</c>.
    /// </summary>
    internal static bool IsExtensionName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 32 || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name[1..])
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The 0-based index of the first character of a TXT extension value (RFC 8461 3.1 <c>sts-ext-value</c>,
    /// RFC 8460 3 <c>tlsrpt-ext-value</c>: <c>1*(%x21-3A / %x3C / %x3E-7E)</c>, visible ASCII but <c>;</c> and
    /// <c>=</c>) that is not allowed, or -1.
    /// </summary>
    internal static int InvalidTxtValueChar(ReadOnlySpan<char> value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c is < '!' or > '~' or ';' or '=')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A printable form of one character for a message (<c>'x'</c> or <c>U+0009</c>).</summary>
    internal static string Show(char c) => c is > ' ' and < (char)0x7F ? "'" + c + "'" : "U+" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
}
