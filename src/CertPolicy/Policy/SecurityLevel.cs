namespace CertPolicy.Policy;

/// <summary>
/// A Postfix SMTP client TLS security level (postfix-tls.md section 2). The numeric values are
/// Postfix's internal order (<c>TLS_LEV_*</c> in <c>tls.h</c>), so comparisons mean what they mean
/// in Postfix: a level above <see cref="May"/> requires TLS, a level above <see cref="Encrypt"/>
/// requires a certificate match. Values are API: never renumber.
/// </summary>
public enum SecurityLevel : byte
{
    /// <summary><c>none</c>: STARTTLS is never sent.</summary>
    None = 0,

    /// <summary><c>may</c>: opportunistic TLS; names and chain are never enforced.</summary>
    May = 1,

    /// <summary><c>encrypt</c>: TLS required, any (or no) certificate.</summary>
    Encrypt = 2,

    /// <summary><c>fingerprint</c>: the leaf certificate or its public key is pinned by digest.</summary>
    Fingerprint = 3,

    /// <summary><c>dane</c>: DANE TLSA when DNSSEC-validated records exist, else opportunistic.</summary>
    Dane = 5,

    /// <summary><c>dane-only</c>: usable DNSSEC-validated TLSA records are mandatory.</summary>
    DaneOnly = 6,

    /// <summary><c>verify</c>: PKIX chain plus a name match, default match list <c>hostname</c>.</summary>
    Verify = 7,

    /// <summary><c>secure</c>: PKIX chain plus a name match, default match list <c>nexthop:dot-nexthop</c>.</summary>
    Secure = 8,
}

/// <summary>Names of <see cref="SecurityLevel"/> values as Postfix spells them.</summary>
public static class SecurityLevels
{
    /// <summary>Every level, in Postfix's order.</summary>
    public static ReadOnlySpan<SecurityLevel> All =>
    [
        SecurityLevel.None, SecurityLevel.May, SecurityLevel.Encrypt, SecurityLevel.Fingerprint,
        SecurityLevel.Dane, SecurityLevel.DaneOnly, SecurityLevel.Verify, SecurityLevel.Secure,
    ];

    /// <summary>The Postfix keyword of a level (<c>dane-only</c>, <c>secure</c>, ...).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined level.</exception>
    public static string ToPostfixName(this SecurityLevel level) => level switch
    {
        SecurityLevel.None => "none",
        SecurityLevel.May => "may",
        SecurityLevel.Encrypt => "encrypt",
        SecurityLevel.Fingerprint => "fingerprint",
        SecurityLevel.Dane => "dane",
        SecurityLevel.DaneOnly => "dane-only",
        SecurityLevel.Verify => "verify",
        SecurityLevel.Secure => "secure",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "not a Postfix security level"),
    };

    /// <summary>
    /// Parses a level keyword, ASCII case-insensitively as Postfix does (<c>SECURE</c> works). The
    /// internal <c>halfdane</c> level and anything else is refused.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out SecurityLevel level)
    {
        foreach (var candidate in All)
        {
            if (Ascii.EqualsIgnoreCase(text, candidate.ToPostfixName()))
            {
                level = candidate;
                return true;
            }
        }

        level = SecurityLevel.None;
        return false;
    }

    /// <summary>True when the level requires TLS (Postfix: level &gt; may). <c>dane</c> may fall back to <c>may</c>.</summary>
    public static bool RequiresTls(this SecurityLevel level) => level > SecurityLevel.May && level != SecurityLevel.Dane;

    /// <summary>True for the PKIX levels <c>verify</c> and <c>secure</c>, where a chain and a name are checked.</summary>
    public static bool IsPkix(this SecurityLevel level) => level is SecurityLevel.Verify or SecurityLevel.Secure;
}
