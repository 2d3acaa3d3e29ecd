using CertPolicy.Names;
using CertPolicy.Tls;

namespace CertPolicy.Policy;

/// <summary>
/// Checks a parsed <c>tls_policy</c> table against the partner document's transport rules
/// (R-T4..R-T8). Every finding names its rule. Syntax errors are reported by
/// <see cref="PolicyMap.Parse"/>, not here.
/// </summary>
public static class PolicyLinter
{
    /// <summary>
    /// Lints a map. <paramref name="partnerDomains"/> are the destinations with which mandatory,
    /// verified TLS was agreed (R-T6); each is looked up exactly as smtp(8) would.
    /// </summary>
    /// <param name="map">The parsed table.</param>
    /// <param name="partnerDomains">Mandatory partner domains (may be empty).</param>
    public static IReadOnlyList<PolicyDiagnostic> Lint(PolicyMap map, IReadOnlyList<string> partnerDomains)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(partnerDomains);
        var findings = new List<PolicyDiagnostic>();
        var cache = new LintCache();
        foreach (var entry in map.Entries)
        {
            // Invalid entries are the parser's errors; the valid ones are linted whatever else is wrong in the table.
            if (entry.PeekPolicy() is { } policy)
            {
                LintEntry(map.Source, entry, policy, cache, findings);
            }
        }

        foreach (var partner in partnerDomains)
        {
            LintPartner(map, partner, findings);
        }

        // Source order; stable (List.Sort is not), so findings on one position keep the order they were found in.
        var order = new int[findings.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            var x = findings[a];
            var y = findings[b];
            int c = x.Line != y.Line ? x.Line.CompareTo(y.Line) : x.Column.CompareTo(y.Column);
            return c != 0 ? c : a.CompareTo(b);
        });
        var sorted = new List<PolicyDiagnostic>(findings.Count);
        foreach (int i in order)
        {
            sorted.Add(findings[i]);
        }

        return sorted;
    }

    // The costly part of an entry's checks depends on its attribute text only, and a large table repeats a handful of
    // them: each distinct protocols= list and ciphers=/exclude= pair is evaluated once (a cipher string costs tens of
    // microseconds; evaluated per entry, a 50 MB table took 14 s).
    private sealed class LintCache
    {
        internal readonly Dictionary<string, (bool Ok, TlsProtocolSet Enabled, string? Error)> Protocols = new(StringComparer.Ordinal);
        internal readonly Dictionary<(string? Ciphers, string? Exclude, bool Pkix), string?> Ciphers = [];
    }

    // Checks that hold for any entry, partner or not.
    private static void LintEntry(string source, PolicyEntry entry, TlsPolicy policy, LintCache cache, List<PolicyDiagnostic> findings)
    {
        if (policy.Level == SecurityLevel.Secure && HasHostname(policy))
        {
            // R-T6: "secure" exists to not trust the unauthenticated MX lookup; hostname re-introduces it.
            findings.Add(At(source, entry, "match-hostname-at-secure", "R-T6",
                $"\"{Shown(entry)}\": match=hostname at level secure trusts the (forgeable, unless DNSSEC) MX lookup; name the domain instead (match=.{Shown(entry).TrimStart('.')})"));
        }

        if (policy.Level > SecurityLevel.May && policy.Level != SecurityLevel.Dane && policy.Protocols is { } protocols)
        {
            if (!cache.Protocols.TryGetValue(protocols, out var p))
            {
                bool ok = PostfixProtocols.TryParse(protocols, out var set, out var perror);
                p = (ok, set, perror);
                cache.Protocols.Add(protocols, p);
            }

            if (!p.Ok)
            {
                findings.Add(At(source, entry, "invalid-protocols", "R-T4",
                    $"\"{Shown(entry)}\": protocols={PolicyMap.Printable(protocols)} is invalid ({PolicyMap.Printable(p.Error ?? string.Empty)}); Postfix aborts every TLS handshake for it"));
            }
            else if ((p.Enabled & Legacy) != 0)
            {
                findings.Add(At(source, entry, "legacy-protocols", "R-T4",
                    $"\"{Shown(entry)}\": protocols={PolicyMap.Printable(protocols)} allows {Describe(p.Enabled & Legacy)}; use protocols=>=TLSv1.2"));
            }
            else if ((p.Enabled & (TlsProtocolSet.Tls12 | TlsProtocolSet.Tls13)) == 0)
            {
                findings.Add(At(source, entry, "no-protocols", "R-T4",
                    $"\"{Shown(entry)}\": protocols={PolicyMap.Printable(protocols)} leaves no protocol enabled; every handshake fails"));
            }
        }

        if (policy.Level > SecurityLevel.May && policy.Level != SecurityLevel.Dane && (policy.Ciphers is not null || policy.Exclude is not null))
        {
            // The same evaluation the hot path makes (TlsFloor.TryForPolicy): an unusable entry is refused there.
            var key = (policy.Ciphers, policy.Exclude, policy.Level.IsPkix());
            if (!cache.Ciphers.TryGetValue(key, out string? cipherError))
            {
                cipherError = TlsFloor.TryEvaluateCiphers(policy, out _, out _, out _, out string? e) ? null : e ?? "unusable";
                cache.Ciphers.Add(key, cipherError);
            }

            if (cipherError is not null)
            {
                findings.Add(At(source, entry, "invalid-ciphers", "R-T5",
                    $"\"{Shown(entry)}\": ciphers={PolicyMap.Printable(policy.Ciphers ?? "(default medium)")} exclude={PolicyMap.Printable(policy.Exclude ?? "(none)")} is unusable ({PolicyMap.Printable(cipherError)}): Postfix cannot build a cipher list for it, and CertPolicy refuses the entry (fail closed)"));
            }
        }

        foreach (var m in policy.Match)
        {
            if (m == ".")
            {
                findings.Add(new PolicyDiagnostic(source, entry.Line, entry.Column, DiagnosticSeverity.Warning, "ignored-match-name", null,
                    $"\"{Shown(entry)}\": Postfix ignores the match name \".\""));
            }
        }
    }

    private static bool HasHostname(TlsPolicy policy)
    {
        foreach (var m in policy.Match)
        {
            if (Ascii.EqualsIgnoreCase(m, "hostname"))
            {
                return true;
            }
        }

        return false;
    }

    private static string Shown(PolicyEntry entry) => PolicyMap.Printable(entry.Key);

    private static void LintPartner(PolicyMap map, string partner, List<PolicyDiagnostic> findings)
    {
        var found = map.Lookup(partner);
        if (!found.Found)
        {
            findings.Add(new PolicyDiagnostic(map.Source, 0, 0, DiagnosticSeverity.Finding, "partner-missing", "R-T6",
                $"partner \"{partner}\" has no entry: it gets the global smtp_tls_security_level (Postfix default: may); add \"{partner} secure match=.{partner} ciphers=high protocols=>=TLSv1.2\""));
            return;
        }

        var entry = found.Entry!;
        if (entry.Policy is not { } policy)
        {
            return; // already an error from the parser
        }

        string via = Ascii.EqualsIgnoreCase(entry.Key, partner) ? string.Empty : $" (via key \"{entry.Key}\")";
        if (policy.Level == SecurityLevel.None)
        {
            findings.Add(At(map.Source, entry, "partner-tls-disabled", "R-T8",
                $"partner \"{partner}\"{via}: TLS is turned off (none) although mandatory TLS was agreed"));
            return;
        }

        if (!policy.Level.IsPkix())
        {
            findings.Add(At(map.Source, entry, "partner-not-verified", "R-T6",
                $"partner \"{partner}\"{via}: level {policy.Level.ToPostfixName()} does not verify the chain and name; partners need secure"));
            return;
        }

        var list = MatchList.For(policy, out _);
        if (policy.Level == SecurityLevel.Verify && list is not null && list.Elements.Any(static e => e.Kind == MatchElementKind.HostName))
        {
            findings.Add(At(map.Source, entry, "partner-verify-hostname", "R-T6",
                $"partner \"{partner}\"{via}: verify with the hostname strategy trusts the MX lookup; use secure (R-T6 example: secure match=.{partner} ciphers=high)"));
        }

        if (policy.Ciphers is null || !Ascii.EqualsIgnoreCase(policy.Ciphers, "high"))
        {
            findings.Add(At(map.Source, entry, "partner-ciphers-not-high", "R-T5",
                $"partner \"{partner}\"{via}: ciphers={policy.Ciphers ?? "(main.cf default: medium)"}; partners need ciphers=high (R-T6)"));
        }

        if (policy.Protocols is null)
        {
            findings.Add(At(map.Source, entry, "partner-protocols-default", "R-T4",
                $"partner \"{partner}\"{via}: no protocols= attribute: Postfix's default {PostfixProtocols.Default} allows TLS 1.0 and 1.1; add protocols=>=TLSv1.2"));
        }
    }

    private static PolicyDiagnostic At(string source, PolicyEntry entry, string code, string rule, string message) =>
        new(source, entry.Line, entry.Column, DiagnosticSeverity.Finding, code, rule, message);

    // Below TLS 1.2: refused by R-T4. SSLv2 is left out: OpenSSL 3.0 (what Postfix 3.7 links on
    // Debian 12) cannot negotiate it at all, so a list that "allows" it allows nothing more.
    private const TlsProtocolSet Legacy = TlsProtocolSet.Ssl3 | TlsProtocolSet.Tls10 | TlsProtocolSet.Tls11;

    private static string Describe(TlsProtocolSet set)
    {
        var names = new List<string>();
        foreach (var p in TlsProtocols.Ascending)
        {
            if ((set & TlsProtocols.ToSet(p)) != 0)
            {
                names.Add(TlsProtocols.ToOpenSslName(p));
            }
        }

        return string.Join(", ", names);
    }
}
