namespace CertPolicy.Names;

/// <summary>Host-name syntax checks with the exact rules of the peers we model.</summary>
internal static class HostNameSyntax
{
    /// <summary>Postfix <c>VALID_HOSTNAME_LEN</c>.</summary>
    public const int MaxHostNameLength = 255;

    /// <summary>Postfix <c>VALID_LABEL_LEN</c>.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>
    /// Postfix <c>valid_hostname(name, DONT_GRIPE)</c> (src/util/valid_hostname.c): letters,
    /// digits, <c>_</c> and <c>-</c>; no leading, trailing or doubled dots; no label that starts or
    /// ends with <c>-</c>; labels of at most 63 and names of at most 255 characters; not all-numeric.
    /// ASCII only (Postfix allows UTF-8 only with <c>smtputf8_enable</c>, not modelled).
    /// </summary>
    public static bool IsValidPostfixHostName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxHostNameLength)
        {
            return false;
        }

        int labelLength = 0;
        bool nonNumeric = false;
        for (int i = 0; i < name.Length; i++)
        {
            char ch = name[i];
            bool last = i == name.Length - 1;
            if (char.IsAsciiLetterOrDigit(ch) || ch == '_')
            {
                labelLength++;
                if (labelLength > MaxLabelLength)
                {
                    return false;
                }

                if (!char.IsAsciiDigit(ch))
                {
                    nonNumeric = true;
                }
            }
            else if (ch == '.')
            {
                if (labelLength == 0 || last)
                {
                    return false;
                }

                labelLength = 0;
            }
            else if (ch == '-')
            {
                nonNumeric = true;
                labelLength++;
                if (labelLength == 1 || last || name[i + 1] == '.')
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        return nonNumeric;
    }

    /// <summary>True when every character is ASCII.</summary>
    internal static bool IsAscii(ReadOnlySpan<char> s) => System.Text.Ascii.IsValid(s);
}
