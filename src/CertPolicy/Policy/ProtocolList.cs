namespace CertPolicy.Policy;

/// <summary>TLS protocol versions Postfix's <c>protocols=</c> syntax can name, as flags.</summary>
[Flags]
public enum TlsProtocols : byte
{
    /// <summary>No protocol.</summary>
    None = 0,

    /// <summary>SSL 3.0.</summary>
    Ssl3 = 1,

    /// <summary>TLS 1.0 (OpenSSL <c>TLSv1</c>).</summary>
    Tls10 = 2,

    /// <summary>TLS 1.1.</summary>
    Tls11 = 4,

    /// <summary>TLS 1.2.</summary>
    Tls12 = 8,

    /// <summary>TLS 1.3.</summary>
    Tls13 = 16,

    /// <summary>Every version OpenSSL 3.0 can still negotiate.</summary>
    All = Ssl3 | Tls10 | Tls11 | Tls12 | Tls13,

    /// <summary>Below TLS 1.2: refused by R-T4.</summary>
    Legacy = Ssl3 | Tls10 | Tls11,
}

/// <summary>
/// Postfix's <c>protocols=</c> / <c>smtp_tls_mandatory_protocols</c> syntax (postfix-tls.md 6.2,
/// <c>tls_protocol_mask()</c> in src/tls/tls_misc.c): <c>&gt;=V</c> and <c>&lt;=V</c> bounds,
/// <c>!NAME</c> exclusions, bare <c>NAME</c> inclusions (then every protocol not included is
/// excluded), names case-insensitive, hexadecimal versions and <c>None</c> accepted, empty means
/// no restriction. Separators: whitespace, commas and colons.
/// </summary>
public static class ProtocolList
{
    /// <summary>Postfix 3.6+ default for <c>smtp_tls_mandatory_protocols</c> and <c>smtp_tls_protocols</c>.</summary>
    public const string PostfixDefault = ">=TLSv1";

    /// <summary>Evaluates a protocol list to the set of versions it leaves enabled. Never throws on data.</summary>
    /// <param name="list">The list as written.</param>
    /// <param name="enabled">The versions enabled.</param>
    /// <param name="error">What is invalid (Postfix: <c>Invalid TLS protocol list</c>, handshake aborted).</param>
    public static bool TryEvaluate(string list, out TlsProtocols enabled, out string? error)
    {
        ArgumentNullException.ThrowIfNull(list);
        TlsProtocols include = TlsProtocols.None, exclude = TlsProtocols.None;
        int min = 0, max = 4; // indexes into the version order Ssl3..Tls13
        error = null;
        foreach (var raw in list.Split([' ', '\t', ',', ':'], StringSplitOptions.RemoveEmptyEntries))
        {
            var token = raw.AsSpan();
            if (token.StartsWith(">=") || token.StartsWith("<="))
            {
                bool lower = token[0] == '>';
                var v = token[2..];
                if (Ascii.EqualsIgnoreCase(v, "None"))
                {
                    continue;
                }

                if (!TryVersionIndex(v, out int index))
                {
                    enabled = TlsProtocols.None;
                    error = $"invalid TLS protocol version \"{v}\" in \"{raw}\"";
                    return false;
                }

                if (lower)
                {
                    min = index;
                }
                else
                {
                    max = index;
                }

                continue;
            }

            bool negate = token.StartsWith('!');
            var name = negate ? token[1..] : token;
            TlsProtocols flag;
            if (Ascii.EqualsIgnoreCase(name, "SSLv2"))
            {
                if (!negate)
                {
                    enabled = TlsProtocols.None;
                    error = "SSLv2 can only be excluded";
                    return false;
                }

                continue; // OpenSSL 3.0 has no SSLv2 at all
            }

            if (!TryVersionIndex(name, out int i) || name.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || char.IsAsciiDigit(name.IsEmpty ? 'x' : name[0]))
            {
                enabled = TlsProtocols.None;
                error = $"unknown TLS protocol \"{raw}\"";
                return false;
            }

            flag = (TlsProtocols)(1 << i);
            if (negate)
            {
                exclude |= flag;
            }
            else
            {
                include |= flag;
            }
        }

        var set = include == TlsProtocols.None ? TlsProtocols.All : include;
        set &= ~exclude;
        for (int i = 0; i < 5; i++)
        {
            if (i < min || i > max)
            {
                set &= ~(TlsProtocols)(1 << i);
            }
        }

        enabled = set;
        return true;
    }

    private static bool TryVersionIndex(ReadOnlySpan<char> v, out int index)
    {
        index = -1;
        if (Ascii.EqualsIgnoreCase(v, "SSLv3"))
        {
            index = 0;
        }
        else if (Ascii.EqualsIgnoreCase(v, "TLSv1"))
        {
            index = 1;
        }
        else if (Ascii.EqualsIgnoreCase(v, "TLSv1.1"))
        {
            index = 2;
        }
        else if (Ascii.EqualsIgnoreCase(v, "TLSv1.2"))
        {
            index = 3;
        }
        else if (Ascii.EqualsIgnoreCase(v, "TLSv1.3"))
        {
            index = 4;
        }
        else
        {
            // Hexadecimal wire versions: 0x0304, 0304, 304.
            var hex = v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? v[2..] : v;
            if (hex.Length is >= 3 and <= 4 && int.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out int wire))
            {
                index = wire switch { 0x0300 => 0, 0x0301 => 1, 0x0302 => 2, 0x0303 => 3, 0x0304 => 4, _ => -1 };
            }
        }

        return index >= 0;
    }
}
