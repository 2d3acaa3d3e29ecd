using System.Collections.Immutable;
using CertPolicy.Names;
using CertPolicy.Policy;

namespace CertPolicy.MtaSts;

/// <summary>Which rule of <see cref="MtaStsMerge.Merge"/> decided an answer. Values are API: never renumber.</summary>
internal enum MtaStsMergeDecision : byte
{
    /// <summary>No MTA-STS policy (none published, not fetched yet, fetch failed without a cached one): the table alone.</summary>
    NoPolicy = 0,

    /// <summary>MTA-STS mode <c>testing</c> or <c>none</c> enforces nothing (RFC 8461 5): the table alone.</summary>
    NotEnforced = 1,

    /// <summary>No table entry, MTA-STS <c>enforce</c>: the policy as a Postfix <c>secure</c> entry.</summary>
    FromMtaSts = 2,

    /// <summary>A table entry weaker than MTA-STS <c>enforce</c> (none, may, encrypt): raised to <c>secure</c>, its
    /// protocols, ciphers, exclude, servername and connection_reuse kept.</summary>
    Upgraded = 3,

    /// <summary>A table entry at verify or secure: the partner rule is kept (stricter or explicit names, R-D2).</summary>
    TableStricter = 4,

    /// <summary>A <c>dane</c> or <c>dane-only</c> table entry is kept (RFC 8461 2: DANE takes precedence).</summary>
    TableDane = 5,

    /// <summary>A <c>fingerprint</c> table entry is kept (a pin admits only the named certificates).</summary>
    TableFingerprint = 6,
}

/// <summary>The answer of <see cref="MtaStsMerge.Merge"/>.</summary>
/// <param name="Policy">The policy to serve, or null for no entry at all (Postfix then uses its global level).</param>
/// <param name="Decision">Which rule decided.</param>
/// <param name="ChangesTable">True when <see cref="Policy"/> differs from the table's entry (MTA-STS made it stricter).</param>
internal sealed record MtaStsMergeResult(TlsPolicy? Policy, MtaStsMergeDecision Decision, bool ChangesTable)
{
    /// <summary>The stable code of the decision (<c>mta-sts.merge.upgraded</c>, ...). Codes are API.</summary>
    internal string Code => MtaStsMerge.CodeOf(Decision);
}

/// <summary>
/// R-D2 (RULES.md) for the policy service: "the stricter of the two applies" between the partner's <c>tls_policy</c>
/// entry and the domain's MTA-STS policy (RFC 8461), as one Postfix policy value. Never weakens a table entry.
/// </summary>
/// <remarks>
/// <para>The rules (docs/mta-sts-merge.md):</para>
/// <list type="bullet">
/// <item>no policy, or mode testing/none: the table alone (RFC 8461 5: testing and none enforce nothing);</item>
/// <item>enforce, no table entry: <c>secure match=PATTERNS servername=hostname</c>, what postfix-mta-sts-resolver answers;</item>
/// <item>enforce, entry none/may/encrypt: the same, keeping the entry's protocols, ciphers, exclude, servername and
/// connection_reuse (the partner's explicit transport choices);</item>
/// <item>enforce, entry verify/secure: the entry (explicit partner names; R-T9 names the gateways);</item>
/// <item>enforce, entry dane/dane-only: the entry (RFC 8461 2: MTA-STS must not override DANE);</item>
/// <item>enforce, entry fingerprint: the entry (a pin admits only the named certificates).</item>
/// </list>
/// <para><b>Patterns.</b> An MTA-STS <c>*.example.com</c> matches exactly one more label (RFC 8461 4.1); Postfix has no
/// such match element: <c>.example.com</c> accepts any depth (postfix-tls.md 3.3) and a literal <c>*.example.com</c>
/// reference matches only a certificate that carries that exact string (postfix-tls.md 3.1). We list it as
/// <c>.example.com</c> (as postfix-mta-sts-resolver does): wider than MTA-STS in depth (a certificate for
/// <c>a.b.example.com</c> passes), never narrower, so no MX the policy allows is refused. Postfix checks the
/// certificate's names, not the MX host name against the patterns (no Postfix level does): a certificate with a
/// listed name passes whatever MX host presents it. Both differences are documented, not hidden.</para>
/// </remarks>
internal static class MtaStsMerge
{
    /// <summary>The stable code of a decision. Codes are API.</summary>
    internal static string CodeOf(MtaStsMergeDecision decision) => decision switch
    {
        MtaStsMergeDecision.NoPolicy => "mta-sts.merge.no-policy",
        MtaStsMergeDecision.NotEnforced => "mta-sts.merge.not-enforced",
        MtaStsMergeDecision.FromMtaSts => "mta-sts.merge.from-mta-sts",
        MtaStsMergeDecision.Upgraded => "mta-sts.merge.upgraded",
        MtaStsMergeDecision.TableStricter => "mta-sts.merge.table-stricter",
        MtaStsMergeDecision.TableDane => "mta-sts.merge.table-dane",
        _ => "mta-sts.merge.table-fingerprint",
    };

    /// <summary>Merges a table entry with an MTA-STS policy (R-D2). Never throws on data; never weaker than the entry.</summary>
    /// <param name="entry">The table's entry for the destination (after smtp(8)'s parent walk), or null when none.</param>
    /// <param name="policy">The MTA-STS policy in force for the domain, or null when there is none.</param>
    internal static MtaStsMergeResult Merge(TlsPolicy? entry, MtaStsPolicy? policy)
    {
        if (policy is null)
        {
            return new(entry, MtaStsMergeDecision.NoPolicy, false);
        }

        // RFC 8461 5: testing reports failures but delivers; none withdraws the policy.
        if (policy.Mode != MtaStsMode.Enforce || policy.Mx.IsEmpty)
        {
            return new(entry, MtaStsMergeDecision.NotEnforced, false);
        }

        if (entry is null)
        {
            return new(Secure(policy, null), MtaStsMergeDecision.FromMtaSts, true);
        }

        return entry.Level switch
        {
            // RFC 8461 4.1, 4.2: enforce needs TLS, a PKIX chain and a certificate naming the MX host: above these levels.
            SecurityLevel.None or SecurityLevel.May or SecurityLevel.Encrypt => new(Secure(policy, entry), MtaStsMergeDecision.Upgraded, true),

            // RFC 8461 2: senders must not let MTA-STS override a failing DANE validation.
            SecurityLevel.Dane or SecurityLevel.DaneOnly => new(entry, MtaStsMergeDecision.TableDane, false),
            SecurityLevel.Fingerprint => new(entry, MtaStsMergeDecision.TableFingerprint, false),
            _ => new(entry, MtaStsMergeDecision.TableStricter, false),
        };
    }

    /// <summary>
    /// The policy's mx patterns as Postfix match elements, in order, duplicates (ASCII case-insensitive) dropped:
    /// <c>mx1.example.com</c> stays, <c>*.example.com</c> becomes <c>.example.com</c> (any depth; see the remarks).
    /// </summary>
    internal static ImmutableArray<string> MatchElements(MtaStsPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var result = ImmutableArray.CreateBuilder<string>(policy.Mx.Length);
        foreach (var mx in policy.Mx)
        {
            string element = mx.StartsWith("*.", StringComparison.Ordinal) ? mx[1..] : mx;
            bool seen = false;
            foreach (var e in result)
            {
                seen |= Ascii.EqualsIgnoreCase(e, element);
            }

            if (!seen)
            {
                result.Add(element);
            }
        }

        return result.ToImmutable();
    }

    /// <summary>The mx patterns that widen when written for Postfix (<c>*.</c> patterns: one label becomes any depth).</summary>
    internal static IEnumerable<string> WidenedPatterns(MtaStsPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        foreach (var mx in policy.Mx)
        {
            if (mx.StartsWith("*.", StringComparison.Ordinal))
            {
                yield return mx;
            }
        }
    }

    // secure match=PATTERNS, the entry's transport attributes, servername: the entry's, else hostname (the MX host as
    // SNI, as postfix-mta-sts-resolver sends with require_sni; Postfix 3.4+).
    private static TlsPolicy Secure(MtaStsPolicy policy, TlsPolicy? entry) =>
        new(
            SecurityLevel.Secure,
            MatchElements(policy),
            entry?.Ciphers,
            entry?.Protocols,
            entry?.Exclude,
            [],
            entry?.ServerName ?? "hostname",
            entry?.ConnectionReuse,
            []);
}
