namespace CertPolicy.Names;

/// <summary>
/// The name comparison Postfix delegates to OpenSSL 3.0 (<c>X509_check_host</c> with
/// <c>X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS</c>, crypto/x509/v3_utl.c), as specified in
/// postfix-tls.md 3.3. Presented names are bytes from the certificate; reference names are ASCII
/// (A-labels). Every method allocates nothing.
/// </summary>
/// <remarks>
/// Rules: ASCII case-insensitive; no trailing-dot normalisation; a presented name containing NUL
/// never matches; a presented wildcard counts only when <c>*</c> is the whole left-most label of a
/// name with at least two more labels of letters, digits and hyphens (<c>*.example.net</c>), not in
/// an A-label (<c>xn--*</c>), and it then matches exactly one non-empty label of letters, digits and
/// <c>-</c> (or a literal <c>*</c>); anything else is compared literally. A suffix reference
/// (<c>.example.net</c>) matches any longer presented name whose tail, starting at a dot, equals it,
/// applied to the raw presented string (so <c>*.example.net</c> satisfies <c>.example.net</c>), and
/// also a presented name equal to the reference itself (a dNSName <c>.example.net</c>, which
/// OpenSSL's skip_prefix() compares whole).
/// </remarks>
internal static class DnsNameMatcher
{
    /// <summary>
    /// Compares one reference name (a host name, or a suffix reference starting with <c>.</c>)
    /// with one presented name.
    /// </summary>
    /// <param name="reference">The reference identifier, ASCII.</param>
    /// <param name="presented">The presented identifier as the certificate encodes it (ASCII or UTF-8 bytes).</param>
    public static bool Matches(ReadOnlySpan<char> reference, ReadOnlySpan<byte> presented)
    {
        if (reference.IsEmpty || presented.IsEmpty)
        {
            return false;
        }

        if (reference.Length > 1 && reference[0] == '.')
        {
            return MatchesSuffix(reference, presented);
        }

        int star = ValidStar(presented);
        if (star < 0)
        {
            return EqualNoCase(presented, reference);
        }

        return WildcardMatch(presented, reference);
    }

    /// <summary>
    /// A suffix reference formed as <c>"." + domain</c> without building the string (the
    /// <c>dot-nexthop</c> strategy).
    /// </summary>
    public static bool MatchesDotDomain(ReadOnlySpan<char> domain, ReadOnlySpan<byte> presented)
    {
        if (domain.IsEmpty)
        {
            return false;
        }

        // skip_prefix(): the presented name must be at least as long as ".domain" and the skipped
        // prefix NUL-free; equal length compares the whole name (a presented ".domain" matches).
        int refLength = domain.Length + 1;
        if (presented.Length < refLength)
        {
            return false;
        }

        int cut = presented.Length - refLength;
        if (presented[..cut].IndexOf((byte)0) >= 0 || presented[cut] != (byte)'.')
        {
            return false;
        }

        return EqualNoCase(presented[(cut + 1)..], domain);
    }

    // OpenSSL equal_nocase() after skip_prefix(): a longer presented name is cut to the reference's
    // length (if the cut prefix has no NUL); one of equal length is compared whole, so a presented
    // name that itself starts with the dot (".example.net") equals the reference.
    private static bool MatchesSuffix(ReadOnlySpan<char> reference, ReadOnlySpan<byte> presented)
    {
        if (presented.Length < reference.Length)
        {
            return false;
        }

        int cut = presented.Length - reference.Length;
        if (presented[..cut].IndexOf((byte)0) >= 0)
        {
            return false;
        }

        return EqualNoCase(presented[cut..], reference);
    }

    // equal_nocase(): equal length, the presented side has no NUL, ASCII case folding only.
    internal static bool EqualNoCase(ReadOnlySpan<byte> presented, ReadOnlySpan<char> reference)
    {
        if (presented.Length != reference.Length)
        {
            return false;
        }

        for (int i = 0; i < presented.Length; i++)
        {
            byte l = presented[i];
            char r = reference[i];
            if (l == 0 || r > 0x7F)
            {
                return false;
            }

            if (l != r && ToLower(l) != ToLower((byte)r))
            {
                return false;
            }
        }

        return true;
    }

    private static byte ToLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private static bool IsLetterOrDigit(byte b) => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9');

    // valid_star() with NO_PARTIAL_WILDCARDS: returns the index of the '*' when the presented name
    // is a usable wildcard pattern, else -1.
    internal static int ValidStar(ReadOnlySpan<byte> p)
    {
        const int LabelStart = 1, LabelIdna = 2, LabelHyphen = 4;
        int star = -1;
        int state = LabelStart;
        int dots = 0;
        for (int i = 0; i < p.Length; i++)
        {
            byte c = p[i];
            if (c == (byte)'*')
            {
                bool atStart = (state & LabelStart) != 0;
                bool atEnd = i == p.Length - 1 || p[i + 1] == (byte)'.';
                if (star >= 0 || (state & LabelIdna) != 0 || dots > 0 || !atStart || !atEnd)
                {
                    return -1;
                }

                star = i;
                state &= ~LabelStart;
            }
            else if (IsLetterOrDigit(c))
            {
                if ((state & LabelStart) != 0 && p.Length - i >= 4 && IsXnPrefix(p[i..]))
                {
                    state |= LabelIdna;
                }

                state &= ~(LabelHyphen | LabelStart);
            }
            else if (c == (byte)'.')
            {
                if ((state & (LabelHyphen | LabelStart)) != 0)
                {
                    return -1;
                }

                state = LabelStart;
                dots++;
            }
            else if (c == (byte)'-')
            {
                if ((state & LabelStart) != 0)
                {
                    return -1;
                }

                state |= LabelHyphen;
            }
            else
            {
                return -1;
            }
        }

        if ((state & (LabelStart | LabelHyphen)) != 0 || dots < 2)
        {
            return -1;
        }

        return star;
    }

    private static bool IsXnPrefix(ReadOnlySpan<byte> s) =>
        (s[0] | 0x20) == 'x' && (s[1] | 0x20) == 'n' && s[2] == '-' && s[3] == '-';

    // wildcard_match() for a full-label "*": prefix is empty and suffix is the pattern after '*'.
    private static bool WildcardMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<char> subject)
    {
        var suffix = pattern[1..];
        if (subject.Length < suffix.Length)
        {
            return false;
        }

        int wildcardEnd = subject.Length - suffix.Length;
        if (!EqualNoCase(suffix, subject[wildcardEnd..]))
        {
            return false;
        }

        // A full-label wildcard must match at least one character; A-labels are then allowed.
        if (wildcardEnd == 0)
        {
            return false;
        }

        var matched = subject[..wildcardEnd];
        if (matched is ['*'])
        {
            return true; // "The wildcard may match a literal '*'"
        }

        foreach (char c in matched)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
