using CertPolicy.Names;

namespace CertPolicy.MtaSts;

/// <summary>How one MX host fares under an MTA-STS policy (RFC 8461 4.1, 4.2).</summary>
internal enum MtaStsGatewayVerdict : byte
{
    /// <summary>The MX host matches an <c>mx</c> pattern and its certificate is PKIX-valid for the host.</summary>
    Satisfied = 0,

    /// <summary>No <c>mx</c> pattern of the policy matches the MX host (RFC 8461 4.1).</summary>
    MxNotListed = 1,

    /// <summary>The certificate is not PKIX-valid or does not name the MX host (RFC 8461 4.1, 4.2).</summary>
    CertificateNotValid = 2,
}

/// <summary>
/// The <c>mx</c> patterns of an MTA-STS policy (RFC 8461 3.2 <c>sts-policy-mx-value = ["*."] Domain</c>) and how an
/// MX host name matches them (RFC 8461 4.1). Matching is ASCII case-insensitive and ignores one trailing dot on either
/// side. Does not map U-labels (IDNA): patterns and hosts are compared as A-labels.
/// </summary>
internal static class MxPattern
{
    /// <summary>
    /// RFC 8461 4.1: a pattern <c>*.example.com</c> matches a host with exactly one more label on the left
    /// (<c>mx1.example.com</c>), never <c>example.com</c> nor <c>a.b.example.com</c>; any other pattern matches the
    /// host name exactly. Allocates nothing.
    /// </summary>
    internal static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> host)
    {
        pattern = TrimDot(pattern);
        host = TrimDot(host);
        if (pattern.IsEmpty || host.IsEmpty)
        {
            return false;
        }

        if (pattern.StartsWith("*."))
        {
            int dot = host.IndexOf('.');
            return dot > 0 && Ascii.EqualsIgnoreCase(host[(dot + 1)..], pattern[2..]);
        }

        return Ascii.EqualsIgnoreCase(host, pattern);
    }

    /// <summary>True when any of the patterns matches the host (RFC 8461 4.1).</summary>
    internal static bool MatchesAny(IEnumerable<string> patterns, ReadOnlySpan<char> host)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        foreach (var p in patterns)
        {
            if (Matches(p, host))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Checks a pattern's syntax: an optional <c>*.</c>, then an RFC 5321 Domain (labels of letters, digits and inner
    /// hyphens, 1 to 63 characters, at most 253 in all). A trailing dot is refused (the ABNF has none).
    /// </summary>
    /// <param name="pattern">The pattern.</param>
    /// <param name="badAt">0-based index of the character at fault.</param>
    /// <param name="why">What is wrong.</param>
    internal static bool IsValid(string pattern, out int badAt, out string? why)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        int start = pattern.StartsWith("*.", StringComparison.Ordinal) ? 2 : 0;
        if (pattern.Length - start is 0 or > 253)
        {
            badAt = start;
            why = pattern.Length == start ? "no domain" : "longer than 253 characters";
            return false;
        }

        int labelStart = start;
        for (int i = start; i <= pattern.Length; i++)
        {
            if (i < pattern.Length && pattern[i] != '.')
            {
                char c = pattern[i];
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    badAt = i;
                    why = c == '*' ? "'*' is allowed only as the whole left-most label (\"*.example.com\")"
                        : c > 0x7F ? "a non-ASCII character (write the A-label, xn--...)"
                        : "the character " + MtaStsSyntax.Show(c) + " is not allowed in a host name";
                    return false;
                }

                continue;
            }

            int len = i - labelStart;
            if (len == 0)
            {
                badAt = i == pattern.Length ? i - 1 : i;
                why = i == pattern.Length ? "a trailing dot" : "an empty label";
                return false;
            }

            if (len > 63)
            {
                badAt = labelStart;
                why = "a label longer than 63 characters";
                return false;
            }

            if (pattern[labelStart] == '-' || pattern[i - 1] == '-')
            {
                badAt = pattern[labelStart] == '-' ? labelStart : i - 1;
                why = "a label begins or ends with '-'";
                return false;
            }

            labelStart = i + 1;
        }

        badAt = 0;
        why = null;
        return true;
    }

    /// <summary>
    /// Whether a gateway would satisfy the policy's checks (RFC 8461 4.1 and 4.2): the MX host must match an <c>mx</c>
    /// pattern, and its certificate must be PKIX-valid (chaining to a trusted root) and name the MX host. The mode is
    /// not applied here: with <c>testing</c> or <c>none</c> a failing gateway still receives mail.
    /// </summary>
    /// <param name="policy">The policy.</param>
    /// <param name="mxHost">The MX host name connected to.</param>
    /// <param name="pkixValidAndNameMatches">The caller's result of chain validation plus the name check for <paramref name="mxHost"/> (see <see cref="CertificateNamesMatch"/>).</param>
    internal static MtaStsGatewayVerdict CheckGateway(MtaStsPolicy policy, string mxHost, bool pkixValidAndNameMatches)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(mxHost);
        if (!MatchesAny(policy.Mx, mxHost))
        {
            return MtaStsGatewayVerdict.MxNotListed;
        }

        return pkixValidAndNameMatches ? MtaStsGatewayVerdict.Satisfied : MtaStsGatewayVerdict.CertificateNotValid;
    }

    /// <summary>
    /// RFC 8461 4.1: the certificate must be valid for the MX host name (RFC 6125 rules, wildcards in the left-most
    /// label). Uses <see cref="NameChecker"/> with Postfix's <c>verify</c> default (<c>hostname</c>), which compares the
    /// dNSName SANs (the CN only without DNS SANs, as OpenSSL does; RFC 8461 defers to RFC 6125 here). Does not check
    /// the chain or validity dates.
    /// </summary>
    /// <param name="leafDer">The gateway's leaf certificate (DER).</param>
    /// <param name="mxHost">The MX host name.</param>
    internal static bool CertificateNamesMatch(ReadOnlySpan<byte> leafDer, string mxHost)
    {
        ArgumentNullException.ThrowIfNull(mxHost);
        var host = TrimDot(mxHost);
        return NameChecker.Check(leafDer, MatchList.VerifyDefault, host, host).IsMatch;
    }

    private static ReadOnlySpan<char> TrimDot(ReadOnlySpan<char> s) => s.EndsWith(".") ? s[..^1] : s;
}
