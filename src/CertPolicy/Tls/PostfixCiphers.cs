using System.Globalization;

namespace CertPolicy.Tls;

/// <summary>Postfix cipher grades (<c>ciphers=</c>, <c>smtp_tls_ciphers</c>, <c>smtp_tls_mandatory_ciphers</c>).</summary>
internal enum PostfixCipherGrade
{
    /// <summary><c>export</c>.</summary>
    Export,

    /// <summary><c>low</c>.</summary>
    Low,

    /// <summary><c>medium</c> (Postfix's default for both parameters).</summary>
    Medium,

    /// <summary><c>high</c> (what the document's <c>ciphers=high</c> asks for, R-T6).</summary>
    High,

    /// <summary><c>null</c>: only unencrypted suites.</summary>
    Null,
}

/// <summary>The Postfix TLS security levels, as far as they change the cipher exclusions (postfix-tls.md 6.1).</summary>
internal enum PostfixTlsLevel
{
    /// <summary><c>may</c>: only <c>smtp_tls_exclude_ciphers</c>.</summary>
    May,

    /// <summary><c>encrypt</c>: adds the mandatory exclusions and <c>eNULL</c>.</summary>
    Encrypt,

    /// <summary><c>fingerprint</c>, <c>dane</c>, <c>dane-only</c>, <c>verify</c>, <c>secure</c>: adds the mandatory exclusions and <c>aNULL</c>.</summary>
    Authenticated,
}

/// <summary>
/// Postfix 3.7 cipher grades: the default <c>tls_*_cipherlist</c> strings, exclusions and their evaluation
/// (postfix-tls.md section 6.1). The grade only governs TLS &lt;= 1.2; TLS 1.3 suites are not filtered by it.
/// Does not read main.cf; callers pass overridden lists and exclusions.
/// </summary>
internal static class PostfixCiphers
{
    /// <summary>Postfix 3.7 <c>tls_high_cipherlist</c> default.</summary>
    public const string HighList = "aNULL:-aNULL:HIGH:@STRENGTH";

    /// <summary>Postfix 3.7 <c>tls_medium_cipherlist</c> default.</summary>
    public const string MediumList = "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH";

    /// <summary>Postfix 3.7 <c>tls_low_cipherlist</c> default.</summary>
    public const string LowList = "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH";

    /// <summary>Postfix 3.7 <c>tls_export_cipherlist</c> default.</summary>
    public const string ExportList = "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH";

    /// <summary>Postfix 3.7 <c>tls_null_cipherlist</c> default.</summary>
    public const string NullList = "eNULL:!aNULL";

    /// <summary>The default OpenSSL cipher string of a grade.</summary>
    /// <param name="grade">The grade.</param>
    /// <returns>The string.</returns>
    public static string DefaultCipherList(PostfixCipherGrade grade) => grade switch
    {
        PostfixCipherGrade.Export => ExportList,
        PostfixCipherGrade.Low => LowList,
        PostfixCipherGrade.Medium => MediumList,
        PostfixCipherGrade.High => HighList,
        _ => NullList,
    };

    /// <summary>The grade's name as Postfix writes it (<c>high</c>).</summary>
    /// <param name="grade">The grade.</param>
    /// <returns>A constant string.</returns>
    public static string GradeName(PostfixCipherGrade grade) => grade switch
    {
        PostfixCipherGrade.Export => "export",
        PostfixCipherGrade.Low => "low",
        PostfixCipherGrade.Medium => "medium",
        PostfixCipherGrade.High => "high",
        _ => "null",
    };

    /// <summary>Parses a grade name, ASCII case-insensitively (Postfix accepts <c>HIGH</c>). Never throws.</summary>
    /// <param name="text">The name.</param>
    /// <param name="grade">The grade.</param>
    /// <returns><see langword="true"/> if known.</returns>
    public static bool TryParseGrade(ReadOnlySpan<char> text, out PostfixCipherGrade grade)
    {
        text = text.Trim();
        for (var g = PostfixCipherGrade.Export; g <= PostfixCipherGrade.Null; g++)
        {
            if (text.Equals(GradeName(g), StringComparison.OrdinalIgnoreCase))
            {
                grade = g;
                return true;
            }
        }

        grade = PostfixCipherGrade.Medium;
        return false;
    }

    /// <summary>
    /// Builds the effective OpenSSL string: the grade list, then <c>:!item</c> for each exclusion and for the
    /// level's own exclusion (<c>eNULL</c> for encrypt, <c>aNULL</c> for the authenticated levels).
    /// </summary>
    /// <param name="grade">The grade.</param>
    /// <param name="exclusions">Exclusion items separated by white space, commas or colons (a table's <c>exclude=</c>, or the two main.cf lists), or null.</param>
    /// <param name="level">The security level.</param>
    /// <param name="cipherString">The effective string.</param>
    /// <param name="error">The error (Postfix's wording), or null.</param>
    /// <param name="gradeList">An overridden <c>tls_*_cipherlist</c>, or null for Postfix 3.7's default.</param>
    /// <returns><see langword="true"/> on success; never throws on data.</returns>
    public static bool TryBuildCipherString(PostfixCipherGrade grade, string? exclusions, PostfixTlsLevel level, out string cipherString, out string? error, string? gradeList = null)
    {
        var sb = new System.Text.StringBuilder(gradeList ?? DefaultCipherList(grade));
        error = null;
        cipherString = string.Empty;
        if (exclusions is not null)
        {
            if (exclusions.Length > CipherStringOptions.DefaultMaxLength)
            {
                error = "cipher exclusion list too long";
                return false;
            }

            foreach (var item in exclusions.Split([' ', '\t', '\r', '\n', ',', ':'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (item[0] is '!' or '+' or '-' or '@')
                {
                    error = "invalid unary '!+-@' in cipher exclusion: \"" + item + "\"";
                    return false;
                }

                sb.Append(":!").Append(item);
            }
        }

        if (level == PostfixTlsLevel.Encrypt)
        {
            sb.Append(":!eNULL");
        }
        else if (level == PostfixTlsLevel.Authenticated)
        {
            sb.Append(":!aNULL");
        }

        cipherString = sb.ToString();
        return true;
    }

    /// <summary>
    /// Evaluates a grade as Postfix would hand it to OpenSSL (unknown words are ignored by OpenSSL, so the
    /// evaluation is OpenSSL-compatible, not strict). Never throws on data.
    /// </summary>
    /// <param name="grade">The grade.</param>
    /// <param name="exclusions">Exclusions, or null.</param>
    /// <param name="level">The security level.</param>
    /// <param name="build">The OpenSSL build to assume.</param>
    /// <param name="selection">The selection, or null.</param>
    /// <param name="error">The error message, or null.</param>
    /// <returns><see langword="true"/> when the grade selects at least one suite.</returns>
    public static bool TryEvaluate(PostfixCipherGrade grade, string? exclusions, PostfixTlsLevel level, OpenSslBuild build, out CipherSelection? selection, out string? error)
    {
        selection = null;
        if (!TryBuildCipherString(grade, exclusions, level, out var s, out error))
        {
            return false;
        }

        var options = new CipherStringOptions { Build = build, RejectUnknownWords = false };
        if (!OpenSslCipherString.TryEvaluate(s, options, out selection, out var e))
        {
            error = e.Kind == CipherStringErrorKind.NoCipherMatch ? "no ciphers available for grade " + GradeName(grade) : e.Message;
            return false;
        }

        return true;
    }
}

/// <summary>
/// Postfix <c>protocols=</c> / <c>smtp_tls_protocols</c> / <c>smtp_tls_mandatory_protocols</c> syntax
/// (postfix-tls.md 6.2): <c>!SSLv3:!TLSv1</c>, <c>&gt;=TLSv1.2</c>, <c>&lt;=TLSv1.3</c>, bare names, hexadecimal
/// versions and <c>None</c>. Elements are separated by white space, commas or colons (a table accepts only colons;
/// this parser accepts all three). Never throws on data.
/// </summary>
internal static class PostfixProtocols
{
    /// <summary>Postfix 3.6+ default of both protocol parameters.</summary>
    public const string Default = ">=TLSv1";

    /// <summary>Parses a protocol list into the set of allowed protocols.</summary>
    /// <param name="text">The list (empty means no restriction).</param>
    /// <param name="allowed">The allowed protocols.</param>
    /// <param name="error">Postfix's wording of the error, or null.</param>
    /// <returns><see langword="true"/> if valid.</returns>
    public static bool TryParse(string? text, out TlsProtocolSet allowed, out string? error)
    {
        allowed = TlsProtocolSet.None;
        error = null;
        text ??= string.Empty;
        if (text.Length > 1024)
        {
            error = "Invalid TLS protocol list: too long";
            return false;
        }

        var include = TlsProtocolSet.None;
        var exclude = TlsProtocolSet.None;
        int min = 0, max = int.MaxValue;
        foreach (var raw in text.Split([' ', '\t', '\r', '\n', ',', ':'], StringSplitOptions.RemoveEmptyEntries))
        {
            var tok = raw.AsSpan();
            if (tok.StartsWith(">=") || tok.StartsWith("<="))
            {
                if (!TryVersion(tok[2..], out int v))
                {
                    error = "Invalid TLS protocol list \"" + text + "\": bad version in \"" + raw + "\"";
                    return false;
                }

                if (tok[0] == '>')
                {
                    min = v;
                }
                else
                {
                    max = v == 0 ? int.MaxValue : v;
                }

                continue;
            }

            bool not = tok[0] == '!';
            if (not)
            {
                tok = tok[1..];
            }

            if (!TlsProtocols.TryParse(tok, out var p) || tok.Equals("TLSv1.0", StringComparison.OrdinalIgnoreCase))
            {
                error = "Invalid TLS protocol list \"" + text + "\": unknown protocol \"" + raw + "\"";
                return false;
            }

            if (not)
            {
                exclude |= TlsProtocols.ToSet(p);
            }
            else
            {
                include |= TlsProtocols.ToSet(p);
            }
        }

        var set = include == TlsProtocolSet.None ? TlsProtocolSet.All : include;
        set &= ~exclude;
        foreach (var p in TlsProtocols.Ascending)
        {
            // SSLv2 has wire value 0x0002; Postfix compares numeric versions.
            int wire = p == TlsProtocol.Ssl2 ? 0x0002 : (int)p;
            if (wire < min || wire > max)
            {
                set &= ~TlsProtocols.ToSet(p);
            }
        }

        allowed = set;
        return true;
    }

    private static bool TryVersion(ReadOnlySpan<char> s, out int version)
    {
        version = 0;
        if (s.Equals("None", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (TlsProtocols.TryParse(s, out var p) && !s.Equals("TLSv1.0", StringComparison.OrdinalIgnoreCase))
        {
            version = p == TlsProtocol.Ssl2 ? 0x0002 : (int)p;
            return true;
        }

        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            s = s[2..];
        }

        return s.Length is > 0 and <= 4 && int.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out version);
    }

    /// <summary>Formats a set as a Postfix list (<c>&gt;=TLSv1.2</c> when contiguous up to TLS 1.3, else <c>!</c> items).</summary>
    /// <param name="set">The set.</param>
    /// <returns>The list.</returns>
    public static string Format(TlsProtocolSet set)
    {
        foreach (var p in TlsProtocols.Ascending)
        {
            if (TlsProtocols.Range(p, TlsProtocol.Tls13) == set)
            {
                return ">=" + TlsProtocols.ToOpenSslName(p);
            }
        }

        var parts = new List<string>();
        foreach (var p in TlsProtocols.Ascending)
        {
            if ((set & TlsProtocols.ToSet(p)) == 0)
            {
                parts.Add("!" + TlsProtocols.ToOpenSslName(p));
            }
        }

        return string.Join(':', parts);
    }
}
