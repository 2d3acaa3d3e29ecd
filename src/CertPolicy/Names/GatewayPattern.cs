namespace CertPolicy.Names;

/// <summary>
/// The partner document's gateway-name pattern (R-T9, e.g. <c>mailin*.audi.de</c>): a CertPolicy
/// extension, not Postfix syntax (in a Postfix match list a <c>*</c> is a literal character).
/// Each <c>*</c> stands for zero or more letters, digits or hyphens inside one label: it never
/// crosses a dot. Matching is ASCII case-insensitive; a trailing dot is not accepted on either side.
/// Used to check that an MX host name follows the published pattern; the certificate must then
/// name that host (R-C2).
/// </summary>
internal sealed class GatewayPattern
{
    private readonly string _pattern;

    private GatewayPattern(string pattern) => _pattern = pattern;

    /// <summary>
    /// Parses a pattern: labels of letters, digits, <c>-</c> and <c>*</c>, at least two labels, the
    /// last one without <c>*</c>.
    /// </summary>
    public static bool TryParse(string text, out GatewayPattern? pattern, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        pattern = null;
        var labels = text.Split('.');
        if (labels.Length < 2)
        {
            error = $"gateway pattern \"{text}\" needs at least two labels (e.g. mailin*.example.net)";
            return false;
        }

        foreach (var label in labels)
        {
            if (label.Length == 0)
            {
                error = $"gateway pattern \"{text}\" has an empty label";
                return false;
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '*'))
                {
                    error = $"gateway pattern \"{text}\" has an invalid character '{c}'";
                    return false;
                }
            }
        }

        if (labels[^1].Contains('*', StringComparison.Ordinal))
        {
            error = $"gateway pattern \"{text}\" has a '*' in its last label";
            return false;
        }

        pattern = new GatewayPattern(text);
        error = null;
        return true;
    }

    /// <summary>True when the host name matches the pattern. Allocates nothing.</summary>
    public bool Matches(ReadOnlySpan<char> hostName) => Glob(_pattern, hostName);

    /// <inheritdoc/>
    public override string ToString() => _pattern;

    private static bool Glob(ReadOnlySpan<char> p, ReadOnlySpan<char> s)
    {
        // Iterative glob with single-star backtracking, '*' restricted to [A-Za-z0-9-].
        int pi = 0, si = 0, starP = -1, starS = -1;
        while (si < s.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                starP = pi++;
                starS = si;
            }
            else if (pi < p.Length && Ascii.EqualsIgnoreCase(p.Slice(pi, 1), s.Slice(si, 1)))
            {
                pi++;
                si++;
            }
            else if (starP >= 0 && (char.IsAsciiLetterOrDigit(s[starS]) || s[starS] == '-'))
            {
                pi = starP + 1;
                si = ++starS;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }
}
