namespace CertPolicy.Names;

/// <summary>
/// OpenSSL 3.0's test for "is this reference name an IP address" (<c>a2i_IPADDRESS</c> →
/// <c>ossl_a2i_ipadd</c>, crypto/x509/v3_utl.c), which <c>SSL_add1_host</c> applies to every
/// Postfix match name. Ported exactly, quirks included, because whatever it accepts becomes an
/// iPAddress check and whatever it refuses becomes a host-name check:
/// <list type="bullet">
/// <item>A name containing <c>:</c> is IPv6 (<c>CONF_parse_list</c> on <c>:</c>, 1–4 hex digits per
/// group, one <c>::</c>, an optional trailing dotted IPv4 part); anything else is IPv4.</item>
/// <item>IPv4 is <c>sscanf("%d.%d.%d.%d%n")</c> with each value in 0..255 and then end of string or
/// a white-space character: so <c>+192.0.2.1</c>, <c>192.0.2.001</c> and <c>192.0.2.1 x</c> are
/// addresses.</item>
/// <item>Brackets (<c>[2001:db8::1]</c>) and zone ids (<c>fe80::1%1</c>) are not addresses (unlike
/// <see cref="System.Net.IPAddress.TryParse(string?, out System.Net.IPAddress?)"/>).</item>
/// </list>
/// Allocates nothing.
/// </summary>
internal static class OpenSslIPAddress
{
    /// <summary>Parses <paramref name="s"/> into <paramref name="destination"/> (16 bytes); returns 4, 16, or 0 when not an address.</summary>
    public static int Parse(ReadOnlySpan<char> s, Span<byte> destination)
    {
        int nul = s.IndexOf('\0');
        if (nul >= 0)
        {
            s = s[..nul]; // C string semantics
        }

        if (s.Contains(':'))
        {
            return Ipv6FromAsc(s, destination[..16]) ? 16 : 0;
        }

        return Ipv4FromAsc(s, destination[..4]) ? 4 : 0;
    }

    // ipv4_from_asc(): sscanf(in, "%d.%d.%d.%d%n", ...) == 4, each 0..255, then '\0' or isspace.
    private static bool Ipv4FromAsc(ReadOnlySpan<char> s, Span<byte> v4)
    {
        int pos = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                if (pos >= s.Length || s[pos] != '.')
                {
                    return false;
                }

                pos++;
            }

            if (!ScanDecimalInt(s, ref pos, out int value) || value < 0 || value > 255)
            {
                return false;
            }

            v4[i] = (byte)value;
        }

        return pos == s.Length || IsCSpace(s[pos]);
    }

    // glibc "%d": skip white space, optional sign, at least one digit; strtol (64-bit long,
    // saturating) then stored into an int (truncated).
    private static bool ScanDecimalInt(ReadOnlySpan<char> s, ref int pos, out int value)
    {
        value = 0;
        while (pos < s.Length && IsCSpace(s[pos]))
        {
            pos++;
        }

        bool negative = false;
        if (pos < s.Length && (s[pos] == '+' || s[pos] == '-'))
        {
            negative = s[pos] == '-';
            pos++;
        }

        int start = pos;
        ulong magnitude = 0;
        bool overflow = false;
        while (pos < s.Length && char.IsAsciiDigit(s[pos]))
        {
            if (!overflow)
            {
                ulong next = unchecked((magnitude * 10) + (ulong)(s[pos] - '0'));
                if (magnitude > (ulong.MaxValue / 10) || next < magnitude || next > (ulong)long.MaxValue + 1)
                {
                    overflow = true;
                }
                else
                {
                    magnitude = next;
                }
            }

            pos++;
        }

        if (pos == start)
        {
            return false;
        }

        long l;
        if (overflow || (!negative && magnitude > long.MaxValue))
        {
            l = negative ? long.MinValue : long.MaxValue;
        }
        else
        {
            l = negative ? unchecked(-(long)magnitude) : (long)magnitude;
        }

        value = unchecked((int)l);
        return true;
    }

    // ipv6_from_asc() with CONF_parse_list(in, ':', 0, ipv6_cb, ...).
    private static bool Ipv6FromAsc(ReadOnlySpan<char> s, Span<byte> v6)
    {
        Span<byte> tmp = stackalloc byte[16];
        int total = 0, zeroPos = -1, zeroCount = 0;
        int start = 0;
        while (true)
        {
            int sep = s[start..].IndexOf(':');
            int end = sep < 0 ? s.Length : start + sep;

            // ipv6_cb()
            if (total == 16)
            {
                return false;
            }

            if (end == start)
            {
                if (zeroPos == -1)
                {
                    zeroPos = total;
                }
                else if (zeroPos != total)
                {
                    return false;
                }

                zeroCount++;
            }
            else
            {
                var element = s[start..end];
                if (element.Length > 4)
                {
                    // final a.b.c.d form: needs 4 bytes left and must end the string
                    if (total > 12 || sep >= 0 || !Ipv4FromAsc(element, tmp.Slice(total, 4)))
                    {
                        return false;
                    }

                    total += 4;
                }
                else
                {
                    if (!Ipv6Hex(element, tmp.Slice(total, 2)))
                    {
                        return false;
                    }

                    total += 2;
                }
            }

            if (sep < 0)
            {
                break;
            }

            start = end + 1;
        }

        if (zeroPos == -1)
        {
            if (total != 16)
            {
                return false;
            }
        }
        else
        {
            if (total == 16 || zeroCount > 3)
            {
                return false;
            }

            if (zeroCount == 3)
            {
                if (total > 0)
                {
                    return false;
                }
            }
            else if (zeroCount == 2)
            {
                if (zeroPos != 0 && zeroPos != total)
                {
                    return false;
                }
            }
            else if (zeroPos == 0 || zeroPos == total)
            {
                return false;
            }
        }

        if (zeroPos >= 0)
        {
            tmp[..zeroPos].CopyTo(v6);
            v6.Slice(zeroPos, 16 - total).Clear();
            tmp[zeroPos..total].CopyTo(v6[(zeroPos + 16 - total)..]);
        }
        else
        {
            tmp.CopyTo(v6);
        }

        return true;
    }

    private static bool Ipv6Hex(ReadOnlySpan<char> element, Span<byte> output)
    {
        uint num = 0;
        foreach (char c in element)
        {
            int x = HexValue(c);
            if (x < 0)
            {
                return false;
            }

            num = (num << 4) | (uint)x;
        }

        output[0] = (byte)(num >> 8);
        output[1] = (byte)(num & 0xFF);
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    // C isspace() in the C locale (OpenSSL ossl_isspace is the same set).
    private static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
