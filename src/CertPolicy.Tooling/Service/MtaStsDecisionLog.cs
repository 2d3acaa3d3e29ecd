using System.Collections.Concurrent;
using CertPolicy.MtaSts;
using CertPolicy.Policy;

namespace CertPolicy.Service;

/// <summary>
/// The merge decisions of the policy service on its log (stderr), rate-limited: one line per key and fetched policy
/// (a new fetch of the domain may log again), none while MTA-STS changes nothing (no policy, testing, none).
/// Remembers at most as many keys as the MTA-STS cache holds domains; past that it starts afresh.
/// </summary>
internal sealed class MtaStsDecisionLog(Action<string> log, int maxKeys)
{
    private readonly ConcurrentDictionary<string, MtaStsPolicy> logged = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Logs the decision for <paramref name="key"/> unless this key was logged with this policy already.</summary>
    internal void Note(string key, PolicyEntry? entry, MtaStsLookup found, MtaStsMergeResult merged)
    {
        if (found.Policy is not { } policy || merged.Decision is MtaStsMergeDecision.NoPolicy or MtaStsMergeDecision.NotEnforced)
        {
            return;
        }

        if (logged.TryGetValue(key, out var last) && ReferenceEquals(last, policy))
        {
            return;
        }

        if (logged.Count >= maxKeys)
        {
            logged.Clear();
        }

        logged[key] = policy;
        string from = entry is null ? string.Empty : " (table key " + entry.Key + ")";
        string table = entry?.Policy?.ToCanonicalString() ?? string.Empty;
        string code = merged.Code;
        switch (merged.Decision)
        {
            case MtaStsMergeDecision.FromMtaSts:
                log(code + ": " + key + ": no table entry, MTA-STS enforce: served \"" + merged.Policy!.ToCanonicalString() + "\" (R-D2)" + Widened(policy));
                break;
            case MtaStsMergeDecision.Upgraded:
                log(code + ": " + key + ": the table entry \"" + table + "\"" + from + " is weaker than MTA-STS enforce: served \"" + merged.Policy!.ToCanonicalString() + "\" (R-D2, the stricter applies)" + Widened(policy));
                break;
            case MtaStsMergeDecision.TableDane:
                log(code + ": " + key + ": the table entry \"" + table + "\"" + from + " is kept over MTA-STS enforce (RFC 8461 2: DANE takes precedence); where an MX host has no DNSSEC-validated TLSA records, Postfix's dane level falls back to opportunistic TLS, weaker than MTA-STS enforce");
                break;
            case MtaStsMergeDecision.TableFingerprint:
                log(code + ": " + key + ": the table entry \"" + table + "\"" + from + " is kept over MTA-STS enforce: the pinned certificates are the only ones accepted (R-D2)");
                break;
            default:
                var sb = new StringBuilder(code + ": " + key + ": the table entry \"" + table + "\"" + from + " is kept over MTA-STS enforce (R-D2: the partner rule is stricter or explicit)");
                foreach (var f in MtaStsComparison.Compare(policy, entry!.Policy!, key).Findings)
                {
                    if (f.Code is "mta-sts.mx-outside-match" or "mta-sts.mx-not-covered")
                    {
                        sb.Append("; ").Append(f.Code).Append(": ").Append(f.Message);
                    }
                }

                log(sb.ToString());
                break;
        }
    }

    private static string Widened(MtaStsPolicy policy)
    {
        string widened = string.Join(", ", MtaStsMerge.WidenedPatterns(policy));
        return widened.Length == 0 ? string.Empty
            : "; note: the mx pattern(s) " + widened + " cover exactly one label in MTA-STS (RFC 8461 4.1); Postfix's \".domain\" match accepts any depth";
    }
}
