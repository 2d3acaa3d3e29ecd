using System.Globalization;
using CertPolicy.MtaSts;
using CertPolicy.Policy;

namespace CertPolicy.Scan;

/// <summary>One error in a scan input, with its position (1-based; 0 when the input has no lines).</summary>
/// <param name="Line">The line.</param>
/// <param name="Column">The column.</param>
/// <param name="Message">What is wrong.</param>
internal readonly record struct ScanInputError(int Line, int Column, string Message);

/// <summary>
/// The inputs of <c>certpolicy scan</c>: domain names, a partner list file, a <c>tls_policy</c> table as a domain list,
/// and sharding (<c>--shard K/N</c>).
/// </summary>
internal static class ScanInput
{
    /// <summary>The most domains one scan takes (a bound on memory; split larger lists with shards).</summary>
    internal const int MaxDomains = 1_000_000;

    /// <summary>
    /// Checks and normalises one domain: lower case, one trailing dot removed, an RFC 5321 host name of ASCII labels
    /// (A-labels for international names), no wildcard, no brackets or port.
    /// </summary>
    /// <param name="text">The domain as given.</param>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="badAt">0-based index of the character at fault.</param>
    /// <param name="why">What is wrong.</param>
    internal static bool TryDomain(string text, out string domain, out int badAt, out string? why)
    {
        ArgumentNullException.ThrowIfNull(text);
        domain = (text.EndsWith('.') ? text[..^1] : text).ToLowerInvariant();
        if (domain.StartsWith('*'))
        {
            badAt = 0;
            why = "a wildcard is not a domain";
            return false;
        }

        if (!MxPattern.IsValid(domain, out badAt, out why))
        {
            return false;
        }

        if (domain.IndexOf('.', StringComparison.Ordinal) < 0)
        {
            badAt = 0;
            why = "\"" + domain + "\" is not a domain (no dot)";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads a partner list: one domain per line; blank lines and comments (<c>#</c> to the end of the line) are
    /// ignored; surrounding white space is ignored. Duplicates (after normalising) are kept once, first place.
    /// </summary>
    /// <param name="text">The file's text.</param>
    /// <param name="domains">The domains in file order.</param>
    /// <param name="error">The first error.</param>
    internal static bool TryReadPartners(string text, out List<string> domains, out ScanInputError error)
    {
        ArgumentNullException.ThrowIfNull(text);
        domains = [];
        error = default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.EndsWith('\r') ? raw[..^1] : raw;
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            string content = hash < 0 ? line : line[..hash];
            int start = 0;
            while (start < content.Length && char.IsWhiteSpace(content[start]))
            {
                start++;
            }

            string token = content.Trim();
            if (token.Length == 0)
            {
                continue;
            }

            int space = token.AsSpan().IndexOfAny(" \t");
            if (space >= 0)
            {
                error = new(lineNo, start + space + 1, "one domain per line (found more after \"" + token[..space] + "\")");
                return false;
            }

            if (!TryDomain(token, out var domain, out int badAt, out var why))
            {
                error = new(lineNo, start + badAt + 1, why ?? "not a domain");
                return false;
            }

            if (domains.Count >= MaxDomains)
            {
                error = new(lineNo, start + 1, "more than " + MaxDomains.ToString(CultureInfo.InvariantCulture) + " domains: split the list (--shard)");
                return false;
            }

            if (seen.Add(domain))
            {
                domains.Add(domain);
            }
        }

        return true;
    }

    /// <summary>
    /// The domains of a <c>tls_policy</c> table with their own entries: keys that are plain domains. Keys Postfix uses
    /// for other next hops are skipped and counted: <c>.parent</c> (every subdomain; the subdomains cannot be listed),
    /// <c>[host]</c> and <c>[host]:port</c> (a relay host without MX look-up, not a recipient domain) and
    /// <c>host:port</c>; invalid entries are the table's own errors.
    /// </summary>
    /// <param name="map">The parsed table.</param>
    /// <param name="source">The table's name for the policy source.</param>
    /// <param name="skipped">The keys skipped, in table order.</param>
    internal static List<DomainRequest> FromPolicy(PolicyMap map, string source, out List<string> skipped)
    {
        ArgumentNullException.ThrowIfNull(map);
        var requests = new List<DomainRequest>();
        skipped = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in map.Entries)
        {
            if (e.Policy is not { } policy || e.Key.StartsWith('.') || e.Key.StartsWith('[') || e.Key.Contains(':', StringComparison.Ordinal)
                || !TryDomain(e.Key, out var domain, out _, out _))
            {
                skipped.Add(e.Key);
                continue;
            }

            if (seen.Add(domain))
            {
                requests.Add(new DomainRequest(domain, policy, source + " line " + e.Line.ToString(CultureInfo.InvariantCulture) + ": " + e.Key));
            }
        }

        return requests;
    }

    /// <summary>Reads <c>K/N</c> (1 &lt;= K &lt;= N &lt;= 65536).</summary>
    internal static bool TryParseShard(string text, out int k, out int n)
    {
        k = n = 0;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            && int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out k)
            && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out n)
            && n is >= 1 and <= 65_536 && k >= 1 && k <= n;
    }

    /// <summary>
    /// The shard (1-based) a domain belongs to out of <paramref name="n"/>: FNV-1a (32 bit) of the lower-case name's
    /// bytes, modulo N, plus 1. Stable across processes, machines and .NET versions (string.GetHashCode is randomised per
    /// process and must not be used), so shards run anywhere partition the same list the same way.
    /// </summary>
    internal static int ShardOf(string domain, int n)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        uint hash = 2166136261; // FNV-1a offset basis (32 bit)
        foreach (char ch in domain)
        {
            char c = ch is >= 'A' and <= 'Z' ? (char)(ch + 32) : ch;
            hash = unchecked((hash ^ (byte)c) * 16777619); // FNV prime, modulo 2^32; names are ASCII (checked by TryDomain)
        }

        return (int)(hash % (uint)n) + 1;
    }
}
