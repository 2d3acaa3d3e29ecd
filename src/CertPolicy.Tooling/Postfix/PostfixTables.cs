using System.Net;

namespace CertPolicy.Postfix;

/// <summary>How the audit can read a table named in a <c>*_maps</c> parameter.</summary>
internal enum TableAccess
{
    /// <summary>The file named is the source text (<c>texthash:</c>, <c>cidr:</c>).</summary>
    Source,

    /// <summary>An indexed file built by <c>postmap</c> from the source of the same name (<c>hash:</c>, <c>btree:</c>, <c>lmdb:</c>, <c>cdb:</c>, ...).</summary>
    Indexed,

    /// <summary>Not a file we can read (regexp, pcre, SQL, LDAP, socketmap, inline, ...).</summary>
    Unsupported,
}

/// <summary>One table of a map list: <c>type:name</c> as Postfix splits it.</summary>
/// <param name="Spec">The text as written (<c>hash:/etc/postfix/tls_policy</c>).</param>
/// <param name="Type">The table type (<c>default_database_type</c> when none was written; <c>proxy:</c> removed).</param>
/// <param name="Name">The table name (the path for file tables).</param>
internal sealed record TableSpec(string Spec, string Type, string Name)
{
    /// <summary>How the audit reads it.</summary>
    internal TableAccess Access => Type switch
    {
        "texthash" or "cidr" => TableAccess.Source,
        "hash" or "btree" or "lmdb" or "cdb" or "dbm" or "sdbm" => TableAccess.Indexed,
        _ => TableAccess.Unsupported,
    };

    /// <summary>The file <c>postmap</c> builds for an indexed table (<c>.db</c>, <c>.lmdb</c>, <c>.cdb</c>; dbm/sdbm: <c>.dir</c>).</summary>
    internal string? IndexedFile => Type switch
    {
        "hash" or "btree" => Name + ".db",
        "lmdb" => Name + ".lmdb",
        "cdb" => Name + ".cdb",
        "dbm" or "sdbm" => Name + ".dir",
        _ => null,
    };

    /// <summary>
    /// Splits a map list as Postfix does (<c>maps_create()</c>: separators are commas and white space; text inside
    /// <c>{...}</c> stays together). An item without <c>type:</c> gets <paramref name="defaultType"/>.
    /// </summary>
    internal static List<TableSpec> ParseList(string value, string defaultType)
    {
        var list = new List<TableSpec>();
        int i = 0;
        while (i < value.Length)
        {
            while (i < value.Length && (value[i] == ',' || MainCfFile.IsSpace(value[i])))
            {
                i++;
            }

            int start = i;
            int braces = 0;
            while (i < value.Length && (braces > 0 || (value[i] != ',' && !MainCfFile.IsSpace(value[i]))))
            {
                braces += value[i] == '{' ? 1 : value[i] == '}' ? -1 : 0;
                i++;
            }

            if (i > start)
            {
                string item = value[start..i];
                string rest = item.StartsWith("proxy:", StringComparison.Ordinal) ? item[6..] : item;
                int colon = rest.IndexOf(':', StringComparison.Ordinal);
                list.Add(colon > 0 && !rest.StartsWith('/')
                    ? new TableSpec(item, rest[..colon], rest[(colon + 1)..])
                    : new TableSpec(item, defaultType, rest));
            }
        }

        return list;
    }
}

/// <summary>One entry of a table source: the key (lower-cased as postmap stores it), the value and its line.</summary>
internal sealed record TableEntry(string Key, string Value, int Line);

/// <summary>
/// Fixed-string table source text (<c>postmap</c> / <c>texthash</c> syntax, postfix-tls.md 1.4): the same line rules as
/// <c>PolicyMap</c> (comments, continuation lines, first duplicate kept), for tables whose values are not TLS policies
/// (<c>smtpd_discard_ehlo_keyword_address_maps</c>).
/// </summary>
internal static class TableSource
{
    /// <summary>Parses source text into its effective entries (first of duplicate keys kept; keys without a value dropped, as postmap does).</summary>
    internal static List<TableEntry> Parse(string text)
    {
        var entries = new List<TableEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? logical = null;
        int logicalLine = 0;
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.AsSpan();
            int first = 0;
            while (first < line.Length && MainCfFile.IsSpace(line[first]))
            {
                first++;
            }

            if (first == line.Length || line[first] == '#')
            {
                continue;
            }

            if (first > 0)
            {
                if (logical is not null)
                {
                    logical += raw;
                }

                continue;
            }

            Add();
            logical = raw;
            logicalLine = lineNo;
        }

        Add();
        return entries;

        void Add()
        {
            if (logical is null)
            {
                return;
            }

            int k = 0;
            while (k < logical.Length && !MainCfFile.IsSpace(logical[k]))
            {
                k++;
            }

            string key = logical[..k].ToLowerInvariant();
            string value = logical[k..].Trim(' ', '\t', '\r', '\n', '\v', '\f');
            if (value.Length > 0 && seen.Add(key))
            {
                entries.Add(new TableEntry(key, value, logicalLine));
            }

            logical = null;
        }
    }

    /// <summary>
    /// A <c>cidr:</c> table (cidr_table(5)): <c>network/prefix result</c> or <c>address result</c> per line, searched in
    /// order, first match wins. Returns false with <c>line: what is wrong</c> on a line Postfix refuses (host bits set,
    /// bad address); <c>if</c>/<c>endif</c> blocks are not modelled (refused, so the audit says it did not read the table).
    /// </summary>
    internal static bool TryParseCidr(string text, out List<(IPNetwork Network, TableEntry Entry)> rules, out string? error)
    {
        rules = [];
        error = null;
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.Trim(' ', '\t', '\r', '\v', '\f');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int k = 0;
            while (k < line.Length && !MainCfFile.IsSpace(line[k]))
            {
                k++;
            }

            string pattern = line[..k];
            string value = line[k..].Trim();
            if (pattern.Equals("if", StringComparison.OrdinalIgnoreCase) || pattern.Equals("endif", StringComparison.OrdinalIgnoreCase))
            {
                error = $"{lineNo}: if/endif blocks are not read by certpolicy";
                return false;
            }

            bool negate = pattern.StartsWith('!');
            if (negate)
            {
                error = $"{lineNo}: negated patterns are not read by certpolicy";
                return false;
            }

            string p = pattern.StartsWith('[') && pattern.Contains(']', StringComparison.Ordinal) ? pattern.Replace("[", string.Empty, StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal) : pattern;
            IPNetwork net;
            if (p.Contains('/', StringComparison.Ordinal))
            {
                // cidr_table(5): "non-null host address bits" is an error; IPNetwork.TryParse refuses them too.
                if (!IPNetwork.TryParse(p, out net))
                {
                    error = $"{lineNo}: bad network pattern \"{pattern}\" (or host bits set after the prefix)";
                    return false;
                }
            }
            else if (IPAddress.TryParse(p, out var a))
            {
                net = new IPNetwork(a, a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            }
            else
            {
                error = $"{lineNo}: bad address pattern \"{pattern}\"";
                return false;
            }

            if (value.Length == 0)
            {
                error = $"{lineNo}: no lookup result for \"{pattern}\"";
                return false;
            }

            rules.Add((net, new TableEntry(pattern, value, lineNo)));
        }

        return true;
    }
}
