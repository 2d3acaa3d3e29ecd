using System.Collections.Immutable;
using System.Globalization;

namespace CertPolicy.MtaSts;

/// <summary>The <c>mode</c> of an MTA-STS policy (RFC 8461 3.2, 5).</summary>
internal enum MtaStsMode : byte
{
    /// <summary><c>none</c>: the domain has no active policy (used to withdraw one, RFC 8461 8.3).</summary>
    None = 0,

    /// <summary><c>testing</c>: failures are reported (TLS-RPT, RFC 8460) but mail is still delivered (RFC 8461 5).</summary>
    Testing = 1,

    /// <summary><c>enforce</c>: senders do not deliver to an MX that fails the checks of RFC 8461 4 (RFC 8461 5).</summary>
    Enforce = 2,
}

/// <summary>
/// An MTA-STS policy file (RFC 8461 3.2), as served at <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c>:
/// <c>version: STSv1</c>, <c>mode</c>, <c>mx</c> patterns and <c>max_age</c>. Immutable. Does not fetch
/// (<see cref="MtaStsFetcher"/>), cache, or look at the clock (max_age is reported, not applied).
/// </summary>
internal sealed class MtaStsPolicy
{
    /// <summary>
    /// The largest policy body read: 64 KiB. RFC 8461 3.3 suggests that senders limit the size of the policy body they
    /// fetch (a policy of a few mx lines is well under 1 KiB); 64 KiB is the bound other implementations use.
    /// </summary>
    internal const int MaxBodyBytes = 64 * 1024;

    /// <summary>The largest <c>max_age</c>: 31557600 seconds, one year (RFC 8461 3.2).</summary>
    internal const long MaxMaxAge = 31_557_600;

    private MtaStsPolicy(MtaStsMode mode, ImmutableArray<string> mx, long maxAge, ImmutableArray<KeyValuePair<string, string>> extensions)
    {
        Mode = mode;
        Mx = mx;
        MaxAge = maxAge;
        Extensions = extensions;
    }

    /// <summary>The mode.</summary>
    internal MtaStsMode Mode { get; }

    /// <summary>The <c>mx</c> patterns in order, as written (<c>mail.example.com</c>, <c>*.example.net</c>).</summary>
    internal ImmutableArray<string> Mx { get; }

    /// <summary>The <c>max_age</c> in seconds, 0 to <see cref="MaxMaxAge"/>.</summary>
    internal long MaxAge { get; }

    /// <summary>Unknown keys, in order (RFC 8461 3.2: ignored by senders; kept for reports).</summary>
    internal ImmutableArray<KeyValuePair<string, string>> Extensions { get; }

    /// <summary>The keyword of a mode as written in a policy.</summary>
    internal static string ModeName(MtaStsMode mode) => mode switch
    {
        MtaStsMode.Enforce => "enforce",
        MtaStsMode.Testing => "testing",
        _ => "none",
    };

    /// <summary>
    /// Parses a policy body (RFC 8461 3.2 ABNF <c>sts-policy-record</c>). Never throws on data.
    /// </summary>
    /// <remarks>
    /// <para>Lines end with LF or CRLF; the last terminator is optional. A line is <c>key: value</c> with optional WSP
    /// after the colon and at the end; leading WSP, blank lines (except after the last line) and a bare CR are errors,
    /// as the ABNF has none.</para>
    /// <para>Keys and the values of <c>version</c> and <c>mode</c> are case-sensitive (<c>%s</c> in the ABNF).
    /// Unknown keys are kept in <see cref="Extensions"/> and otherwise ignored (RFC 8461 3.2).</para>
    /// <para>Our choices where RFC 8461 is silent: a repeated <c>version</c>, <c>mode</c> or <c>max_age</c> is an error
    /// (which one a sender uses is not defined, so a report could be wrong either way); <c>mx</c> may repeat and is
    /// required unless the mode is <c>none</c> (a policy that withdraws MTA-STS names no hosts, RFC 8461 8.3).</para>
    /// </remarks>
    internal static bool TryParse(string text, out MtaStsPolicy? policy, out MtaStsSyntaxError error)
    {
        ArgumentNullException.ThrowIfNull(text);
        policy = null;
        if (text.Length > MaxBodyBytes)
        {
            error = new(1, 1, "the policy is larger than " + MaxBodyBytes + " bytes (RFC 8461 3.3)");
            return false;
        }

        string? version = null;
        MtaStsMode? mode = null;
        long? maxAge = null;
        var mx = ImmutableArray.CreateBuilder<string>();
        var extensions = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        int lineNo = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            lineNo++;
            int lf = text.IndexOf('\n', pos);
            int end = lf < 0 ? text.Length : lf;
            int next = lf < 0 ? text.Length : lf + 1;
            if (end > pos && text[end - 1] == '\r')
            {
                end--;
            }

            var line = text.AsSpan(pos, end - pos);
            int cr = line.IndexOf('\r');
            if (cr >= 0)
            {
                error = new(lineNo, cr + 1, "a CR not followed by LF (lines end with LF or CRLF, RFC 8461 3.2)");
                return false;
            }

            if (line.IsEmpty)
            {
                if (text.AsSpan(next).Trim("\r\n").IsEmpty)
                {
                    // Blank lines after the last field: the ABNF allows one terminator; we accept more and say so in the docs.
                    break;
                }

                error = new(lineNo, 1, "an empty line (the policy has one key: value per line, RFC 8461 3.2)");
                return false;
            }

            if (!TryParseLine(line, lineNo, out var key, out var value, out int valueColumn, out error))
            {
                return false;
            }

            switch (key)
            {
                case "version":
                    if (version is not null)
                    {
                        error = new(lineNo, 1, "\"version\" appears twice");
                        return false;
                    }

                    if (value != "STSv1")
                    {
                        error = new(lineNo, valueColumn, "the version must be \"STSv1\", found \"" + value + "\" (RFC 8461 3.2)");
                        return false;
                    }

                    version = value;
                    break;
                case "mode":
                    if (mode is not null)
                    {
                        error = new(lineNo, 1, "\"mode\" appears twice");
                        return false;
                    }

                    mode = value switch
                    {
                        "enforce" => MtaStsMode.Enforce,
                        "testing" => MtaStsMode.Testing,
                        "none" => MtaStsMode.None,
                        _ => null,
                    };
                    if (mode is null)
                    {
                        error = new(lineNo, valueColumn, "the mode must be enforce, testing or none (lower case), found \"" + value + "\" (RFC 8461 3.2)");
                        return false;
                    }

                    break;
                case "max_age":
                    if (maxAge is not null)
                    {
                        error = new(lineNo, 1, "\"max_age\" appears twice");
                        return false;
                    }

                    // RFC 8461 3.2: sts-policy-max-age-value = 1*10(DIGIT), at most 31557600.
                    if (value.Length > 10 || !IsDigits(value))
                    {
                        error = new(lineNo, valueColumn, "max_age must be 1 to 10 digits, found \"" + value + "\" (RFC 8461 3.2)");
                        return false;
                    }

                    long age = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                    if (age > MaxMaxAge)
                    {
                        error = new(lineNo, valueColumn, "max_age " + value + " is above the maximum of 31557600 seconds (RFC 8461 3.2)");
                        return false;
                    }

                    maxAge = age;
                    break;
                case "mx":
                    if (!MxPattern.IsValid(value, out int badAt, out string? why))
                    {
                        error = new(lineNo, valueColumn + badAt, "invalid mx pattern \"" + value + "\": " + why + " (RFC 8461 3.2, 4.1)");
                        return false;
                    }

                    mx.Add(value);
                    break;
                default:
                    extensions.Add(new(key, value));
                    break;
            }

            pos = next;
        }

        int endLine = Math.Max(lineNo, 1);
        if (version is null)
        {
            error = new(endLine, 1, "the policy has no \"version: STSv1\" line (required, RFC 8461 3.2)");
            return false;
        }

        if (mode is null)
        {
            error = new(endLine, 1, "the policy has no \"mode\" line (required, RFC 8461 3.2)");
            return false;
        }

        if (maxAge is null)
        {
            error = new(endLine, 1, "the policy has no \"max_age\" line (required, RFC 8461 3.2)");
            return false;
        }

        if (mx.Count == 0 && mode != MtaStsMode.None)
        {
            error = new(endLine, 1, "the policy has no \"mx\" line; mode " + ModeName(mode.Value) + " needs at least one (RFC 8461 3.2)");
            return false;
        }

        policy = new MtaStsPolicy(mode.Value, mx.ToImmutable(), maxAge.Value, extensions.ToImmutable());
        error = default;
        return true;
    }

    // RFC 8461 3.2: sts-policy-field = key ":" *WSP value, then *WSP before the terminator.
    private static bool TryParseLine(ReadOnlySpan<char> line, int lineNo, out string key, out string value, out int valueColumn, out MtaStsSyntaxError error)
    {
        key = value = string.Empty;
        valueColumn = 0;
        int colon = line.IndexOf(':');
        if (colon < 0)
        {
            error = new(lineNo, line.Length + 1, "expected \"key: value\", found no ':'");
            return false;
        }

        var name = line[..colon];
        if (!MtaStsSyntax.IsExtensionName(name))
        {
            int at = 0;
            if (name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]))
            {
                while (at < name.Length && (char.IsAsciiLetterOrDigit(name[at]) || name[at] is '_' or '-' or '.'))
                {
                    at++;
                }
            }

            error = name.IsEmpty
                ? new(lineNo, 1, "a line begins with ':' (no key)")
                : new(lineNo, Math.Min(at, 32) + 1, "invalid key \"" + name.ToString() + "\" (a letter or digit, then up to 31 letters, digits, '_', '-', '.'; no spaces)");
            return false;
        }

        int v = colon + 1;
        while (v < line.Length && MtaStsSyntax.IsWsp(line[v]))
        {
            v++;
        }

        int e = line.Length;
        while (e > v && MtaStsSyntax.IsWsp(line[e - 1]))
        {
            e--;
        }

        var val = line[v..e];
        if (val.IsEmpty)
        {
            error = new(lineNo, v + 1, "the key \"" + name.ToString() + "\" has no value");
            return false;
        }

        // RFC 8461 3.2: sts-policy-vchar = VCHAR / UTF8-2 / UTF8-3 / UTF8-4, WSP allowed between them; no controls.
        for (int i = 0; i < val.Length; i++)
        {
            char c = val[i];
            if ((c < ' ' && c != '\t') || c == (char)0x7F)
            {
                error = new(lineNo, v + i + 1, "a control character " + MtaStsSyntax.Show(c) + " in the value");
                return false;
            }
        }

        key = name.ToString();
        value = val.ToString();
        valueColumn = v + 1;
        error = default;
        return true;
    }

    private static bool IsDigits(string s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return s.Length > 0;
    }
}
