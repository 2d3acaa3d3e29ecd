using System.Globalization;

namespace CertPolicy.Validation;

/// <summary>
/// The registry-controlled suffixes of the Public Suffix List (its ICANN section), embedded as a dated copy: the R-C11
/// rule <c>profile.wildcard-public-suffix</c> (CA/B BR 3.2.2.6) refuses a wildcard directly under one of them
/// (<c>*.co.uk</c>, <c>*.com</c>). Does not read the list's PRIVATE section (suffixes run by companies, e.g.
/// <c>github.io</c>, whose owner may hold a wildcard certificate for it, as Chromium's certificate checks also
/// exclude private registries), does not download updates, and holds Unicode entries in their A-label (xn--) form.
/// </summary>
internal static class PublicSuffixList
{
    /// <summary>The date of the embedded list (Debian 12 <c>publicsuffix</c> 20230209.2326-1).</summary>
    public const string Version = "2023-02-09";

    private static readonly Lazy<Rules> Loaded = new(Load);

    /// <summary>True when <paramref name="name"/> (ASCII, any case, no trailing dot) is itself a public suffix:
    /// a single label (the list's implicit <c>*</c> rule), an exact rule, or one label under a wildcard rule that no
    /// exception rule names.</summary>
    /// <param name="name">A DNS name (A-labels).</param>
    /// <returns>Whether it is a public suffix.</returns>
    public static bool IsPublicSuffix(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 253)
        {
            return false;
        }

        Span<char> lower = stackalloc char[name.Length];
        if (name.ToLowerInvariant(lower) != name.Length)
        {
            return false;
        }

        // The list's implicit "*" rule: every top-level label is a public suffix.
        var rules = Loaded.Value;
        if (lower.IndexOf('.') < 0 || rules.Exact.Contains(lower))
        {
            return true;
        }

        int dot = lower.IndexOf('.');
        return dot > 0 && rules.Wildcard.Contains(lower[(dot + 1)..]) && !rules.Exception.Contains(lower);
    }

    /// <summary>The number of rules loaded (exact, wildcard and exception): for tests and diagnostics.</summary>
    public static int RuleCount => Loaded.Value.Count;

    private sealed class Rules
    {
        internal readonly HashSet<string> ExactSet = new(StringComparer.Ordinal);
        internal readonly HashSet<string> WildcardSet = new(StringComparer.Ordinal);
        internal readonly HashSet<string> ExceptionSet = new(StringComparer.Ordinal);

        internal HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Exact => ExactSet.GetAlternateLookup<ReadOnlySpan<char>>();

        internal HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Wildcard => WildcardSet.GetAlternateLookup<ReadOnlySpan<char>>();

        internal HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Exception => ExceptionSet.GetAlternateLookup<ReadOnlySpan<char>>();

        internal int Count => ExactSet.Count + WildcardSet.Count + ExceptionSet.Count;
    }

    // publicsuffix.org/list format: one rule per line, "//" comments, "*." wildcard rules, "!" exception rules.
    private static Rules Load()
    {
        var rules = new Rules();
        var idn = new IdnMapping { AllowUnassigned = true };
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream("CertPolicy.Validation.public_suffix_list.dat")
            ?? throw new InvalidOperationException("the embedded public suffix list is missing");
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var rule = line.Trim();
            if (rule.Length == 0 || rule.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var set = rules.ExactSet;
            if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                set = rules.WildcardSet;
                rule = rule[2..];
            }
            else if (rule.StartsWith('!'))
            {
                set = rules.ExceptionSet;
                rule = rule[1..];
            }

            set.Add(idn.GetAscii(rule).ToLowerInvariant());
        }

        return rules;
    }
}
