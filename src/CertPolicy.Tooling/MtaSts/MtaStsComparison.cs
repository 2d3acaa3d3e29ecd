using System.Collections.Immutable;
using CertPolicy.Names;
using CertPolicy.Policy;

namespace CertPolicy.MtaSts;

/// <summary>How serious an <see cref="MtaStsFinding"/> is (SARIF's levels).</summary>
internal enum MtaStsFindingSeverity : byte
{
    /// <summary>Mail to the partner fails, or is not protected as both sides ask.</summary>
    Error = 0,

    /// <summary>One side is weaker or does not enforce; the other carries the protection.</summary>
    Warning = 1,

    /// <summary>Worth knowing: how the two compare.</summary>
    Note = 2,
}

/// <summary>One finding of the MTA-STS comparison (R-D2).</summary>
/// <param name="Code">Stable code <c>mta-sts.*</c> (codes are API).</param>
/// <param name="Rule">The rule id, <c>R-D2</c>.</param>
/// <param name="Severity">Error, warning or note.</param>
/// <param name="Message">What was found, for a mail administrator, with the RFC section.</param>
internal sealed record MtaStsFinding(string Code, string Rule, MtaStsFindingSeverity Severity, string Message);

/// <summary>
/// What delivery to the partner must meet when both the partner's Postfix rule and its MTA-STS policy apply: the
/// stricter of the two in each respect (R-D2).
/// </summary>
/// <param name="RequiresTls">TLS is required (MTA-STS enforce, or a partner level above <c>may</c>).</param>
/// <param name="RequiresPkix">A PKIX chain to a trusted root is required (enforce, or <c>verify</c>/<c>secure</c>).</param>
/// <param name="Level">
/// The Postfix level that meets both where one exists: the partner's, raised to <c>verify</c> when MTA-STS enforces
/// and the partner asks for less than a certificate check. <c>fingerprint</c> and <c>dane</c>/<c>dane-only</c> stay as
/// they are (no Postfix level combines a pin or DANE with PKIX; <see cref="RequiresPkix"/> says that both apply).
/// </param>
/// <param name="MxPatterns">The MX hosts allowed (the policy's <c>mx</c> patterns) when MTA-STS enforces; else empty.</param>
/// <param name="CertificateMatch">The partner's certificate match list (<c>match=</c> or the level default); empty when its level checks no names.</param>
/// <param name="Summary">The requirement in one sentence.</param>
internal sealed record MtaStsRequirement(bool RequiresTls, bool RequiresPkix, SecurityLevel Level, ImmutableArray<string> MxPatterns, ImmutableArray<string> CertificateMatch, string Summary);

/// <summary>The findings and the effective requirement of <see cref="MtaStsComparison.Compare"/>.</summary>
/// <param name="Findings">Findings in a stable order: mode, partner level, mx coverage.</param>
/// <param name="Effective">The stricter combination.</param>
internal sealed record MtaStsComparisonReport(ImmutableArray<MtaStsFinding> Findings, MtaStsRequirement Effective);

/// <summary>
/// R-D2: compares a partner's MTA-STS policy (RFC 8461) with the partner's Postfix <c>tls_policy</c> entry and says
/// where each is weaker or stronger, and what applies when both are honoured.
/// </summary>
/// <remarks>
/// <para>MTA-STS <c>enforce</c> (RFC 8461 4.1, 4.2, 5) requires TLS, a certificate that chains to a trusted root, that
/// certificate naming the MX host, and the MX host matching an <c>mx</c> pattern. In Postfix terms that is at least
/// <c>verify</c> (match <c>hostname</c>) plus a restriction on MX hosts no Postfix match list expresses. <c>testing</c>
/// and <c>none</c> enforce nothing (RFC 8461 5).</para>
/// <para>A <c>secure</c> entry with a match list is stricter in names (the certificate must carry a name the partner
/// chose, independent of MX records); the <c>mx</c> patterns are stricter in hosts (an MX host outside them is refused).
/// Where DANE applies, RFC 8461 2: MTA-STS must not override a failing DANE validation.</para>
/// <para>Does not fetch, resolve MX records, or look at certificates: the caller passes the policy, the entry, and the
/// gateway host names the partner's rules allow (MX hosts, R-T9).</para>
/// </remarks>
internal static class MtaStsComparison
{
    /// <summary>Compares an MTA-STS policy with a partner's Postfix policy entry.</summary>
    /// <param name="policy">The fetched MTA-STS policy.</param>
    /// <param name="partner">The partner's <c>tls_policy</c> entry (or the global level as a policy).</param>
    /// <param name="nextHopDomain">The partner's domain (Postfix <c>nexthop</c>).</param>
    /// <param name="gatewayHosts">Gateway (MX) host names the partner's rules allow; may be empty.</param>
    internal static MtaStsComparisonReport Compare(MtaStsPolicy policy, TlsPolicy partner, string nextHopDomain, IReadOnlyList<string>? gatewayHosts = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(partner);
        ArgumentNullException.ThrowIfNull(nextHopDomain);
        var findings = ImmutableArray.CreateBuilder<MtaStsFinding>();
        bool enforce = policy.Mode == MtaStsMode.Enforce;
        var level = partner.Level;
        string entry = partner.ToCanonicalString();
        var matchList = MatchList.For(partner, out _);
        var matchElements = matchList is null ? ImmutableArray<MatchElement>.Empty : matchList.Elements;

        // Mode (RFC 8461 5).
        switch (policy.Mode)
        {
            case MtaStsMode.Enforce:
                Add(findings, "mta-sts.enforce", "R-D2", MtaStsFindingSeverity.Note,
                    "MTA-STS mode enforce: delivery needs TLS, a certificate chaining to a trusted root that names the MX host, and an MX host matching one of the mx patterns (" + string.Join(", ", policy.Mx) + ") (RFC 8461 4.1, 4.2, 5)");
                break;
            case MtaStsMode.Testing:
                Add(findings, "mta-sts.testing", "R-D2", MtaStsFindingSeverity.Warning,
                    "MTA-STS mode testing: failures are only reported (TLS-RPT), mail is still delivered (RFC 8461 5); " + (level.IsPkix() ? "the partner rule (" + entry + ") carries the certificate check" : "nothing enforces a certificate check for this partner (" + entry + ")"));
                break;
            default:
                Add(findings, "mta-sts.none", "R-D2", MtaStsFindingSeverity.Warning,
                    "MTA-STS mode none: the partner has no active policy (RFC 8461 5); " + (level.IsPkix() ? "the partner rule (" + entry + ") alone applies" : "nothing enforces a certificate check for this partner (" + entry + ")"));
                break;
        }

        // The partner level against enforce.
        if (enforce)
        {
            switch (level)
            {
                case SecurityLevel.None or SecurityLevel.May or SecurityLevel.Encrypt:
                    Add(findings, "mta-sts.partner-weaker", "R-D2", MtaStsFindingSeverity.Warning,
                        "the partner rule \"" + entry + "\" is weaker than MTA-STS enforce: it " + (level == SecurityLevel.Encrypt ? "requires TLS but checks no certificate" : "does not even require TLS") + "; the stricter applies: at least verify (chain and MX host name) with the mx patterns");
                    break;
                case SecurityLevel.Fingerprint:
                    Add(findings, "mta-sts.partner-not-pkix", "R-D2", MtaStsFindingSeverity.Note,
                        "the partner rule pins the certificate (fingerprint) without a chain check; MTA-STS enforce also needs a chain to a trusted root and the MX host name in the certificate: both apply");
                    break;
                case SecurityLevel.Dane or SecurityLevel.DaneOnly:
                    Add(findings, "mta-sts.dane-precedence", "R-D2", MtaStsFindingSeverity.Note,
                        "the partner rule uses DANE (" + level.ToPostfixName() + "); where DNSSEC-validated TLSA records exist, MTA-STS must not override a failing DANE validation (RFC 8461 2); without them MTA-STS enforce applies");
                    break;
                default:
                    if (IsHostnameOnly(matchElements))
                    {
                        Add(findings, "mta-sts.partner-equivalent", "R-D2", MtaStsFindingSeverity.Note,
                            "the partner rule \"" + entry + "\" checks the chain and the MX host name, as MTA-STS enforce does; MTA-STS adds the mx patterns");
                    }
                    else
                    {
                        Add(findings, "mta-sts.partner-stricter-names", "R-D2", MtaStsFindingSeverity.Note,
                            "the partner rule \"" + entry + "\" is stricter in names: the certificate must match " + (matchList?.ToString() ?? string.Empty) + " whatever the MX records say; MTA-STS enforce accepts a certificate naming any MX host that matches an mx pattern. Both apply");
                    }

                    break;
            }
        }

        // MX coverage (RFC 8461 4.1): gateways the partner allows that the patterns refuse, and patterns the partner's names refuse.
        if (policy.Mode != MtaStsMode.None)
        {
            var severity = enforce ? MtaStsFindingSeverity.Error : MtaStsFindingSeverity.Warning;
            string consequence = enforce ? "senders that honour MTA-STS refuse to deliver to it" : "senders report it as a failure (mode testing)";
            foreach (var host in gatewayHosts ?? [])
            {
                if (!MxPattern.MatchesAny(policy.Mx, host))
                {
                    Add(findings, "mta-sts.mx-not-covered", "R-D2", severity,
                        "the gateway " + host + " matches no mx pattern of the MTA-STS policy (" + string.Join(", ", policy.Mx) + "): " + consequence + " (RFC 8461 4.1)");
                }
            }

            foreach (var e in matchElements)
            {
                if (e.Kind == MatchElementKind.Exact && !MxPattern.MatchesAny(policy.Mx, e.Name) && !Contains(gatewayHosts, e.Name))
                {
                    Add(findings, "mta-sts.mx-not-covered", "R-D2", severity,
                        "the partner rule names the gateway " + e.Name + " (match=), which matches no mx pattern of the MTA-STS policy (" + string.Join(", ", policy.Mx) + "): " + consequence + " (RFC 8461 4.1)");
                }
                else if (e.Kind is MatchElementKind.Suffix or MatchElementKind.DotNextHop)
                {
                    string suffix = e.Kind == MatchElementKind.Suffix ? e.Name : "." + nextHopDomain;
                    Add(findings, "mta-sts.mx-narrower", "R-D2", MtaStsFindingSeverity.Note,
                        "the partner rule allows certificate names anywhere under " + suffix + "; the mx patterns allow only " + string.Join(", ", policy.Mx) + " (a \"*.\" pattern covers exactly one label, RFC 8461 4.1): MTA-STS is stricter in MX hosts");
                }
            }

            if (!matchElements.IsEmpty)
            {
                foreach (var p in policy.Mx)
                {
                    if (!PatternInsideMatch(p, matchElements, nextHopDomain))
                    {
                        Add(findings, "mta-sts.mx-outside-match", "R-D2", MtaStsFindingSeverity.Warning,
                            "the mx pattern " + p + " allows MX hosts whose certificates fail the partner rule \"" + entry + "\" (match " + matchList + "): the partner rule is stricter in names, and mail to such an MX host is deferred");
                    }
                }
            }
        }

        return new MtaStsComparisonReport(findings.ToImmutable(), Effective(policy, partner, matchList));
    }

    /// <summary>
    /// The finding for a fetch that did not give a policy. RFC 8461 3.3: with no policy (and none cached), senders
    /// deliver as if the domain had no MTA-STS, so a broken publication protects nothing.
    /// </summary>
    internal static MtaStsFinding FetchFinding(MtaStsFetchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Status switch
        {
            MtaStsFetchStatus.Ok => new("mta-sts.fetched", "R-D2", MtaStsFindingSeverity.Note, "MTA-STS policy fetched: " + result.Message),
            MtaStsFetchStatus.DnsNoRecord => new("mta-sts.dns-no-record", "R-D2", MtaStsFindingSeverity.Note, "no usable MTA-STS record: " + result.Message),
            MtaStsFetchStatus.TlsCertificate => new("mta-sts.tls-certificate", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy not fetched: " + result.Message),
            MtaStsFetchStatus.Redirect => new("mta-sts.redirect", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy not fetched: " + result.Message),
            MtaStsFetchStatus.TooLarge => new("mta-sts.too-large", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy not fetched: " + result.Message),
            MtaStsFetchStatus.Timeout => new("mta-sts.timeout", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy not fetched: " + result.Message),
            MtaStsFetchStatus.HttpStatus => new("mta-sts.http-status", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy not fetched: " + result.Message),
            MtaStsFetchStatus.ContentType => new("mta-sts.content-type", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy not fetched: " + result.Message),
            MtaStsFetchStatus.ParseError => new("mta-sts.parse-error", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy invalid: " + result.Message),
            _ => new("mta-sts.network", "R-D2", MtaStsFindingSeverity.Warning, "MTA-STS policy not fetched: " + result.Message),
        };
    }

    private static MtaStsRequirement Effective(MtaStsPolicy policy, TlsPolicy partner, MatchList? matchList)
    {
        bool enforce = policy.Mode == MtaStsMode.Enforce;
        var level = partner.Level;
        var effective = enforce && level is SecurityLevel.None or SecurityLevel.May or SecurityLevel.Encrypt ? SecurityLevel.Verify : level;
        bool tls = enforce || level.RequiresTls();
        bool pkix = enforce || level.IsPkix();
        var match = matchList is null ? ImmutableArray<string>.Empty : [.. matchList.ToString().Split(':')];
        var mx = enforce ? policy.Mx : ImmutableArray<string>.Empty;
        var sb = new StringBuilder();
        sb.Append(tls ? "TLS required" : "TLS not required");
        if (pkix)
        {
            sb.Append(", certificate chained to a trusted root");
        }

        if (enforce)
        {
            sb.Append(", naming the MX host; MX host one of ").AppendJoin(", ", policy.Mx);
        }

        if (!match.IsEmpty)
        {
            sb.Append("; partner names: ").AppendJoin(':', match);
        }

        if (enforce && level is SecurityLevel.Fingerprint or SecurityLevel.Dane or SecurityLevel.DaneOnly)
        {
            sb.Append("; and the partner's ").Append(level.ToPostfixName()).Append(" check");
        }

        sb.Append(" (Postfix level ").Append(effective.ToPostfixName()).Append(')');
        return new MtaStsRequirement(tls, pkix, effective, mx, match, sb.ToString());
    }

    private static bool IsHostnameOnly(ImmutableArray<MatchElement> elements)
    {
        foreach (var e in elements)
        {
            if (e.Kind != MatchElementKind.HostName)
            {
                return false;
            }
        }

        return !elements.IsEmpty;
    }

    private static bool Contains(IReadOnlyList<string>? hosts, string name)
    {
        foreach (var h in hosts ?? [])
        {
            if (Ascii.EqualsIgnoreCase(h.AsSpan().TrimEnd('.'), name.AsSpan().TrimEnd('.')))
            {
                return true;
            }
        }

        return false;
    }

    // True when every host the mx pattern matches has a name the partner's match list accepts (certificates naming the MX host).
    private static bool PatternInsideMatch(string pattern, ImmutableArray<MatchElement> elements, string nextHop)
    {
        bool wildcard = pattern.StartsWith("*.", StringComparison.Ordinal);
        var baseName = wildcard ? pattern.AsSpan(2) : pattern.AsSpan();
        foreach (var e in elements)
        {
            switch (e.Kind)
            {
                case MatchElementKind.HostName:
                    return true;
                case MatchElementKind.Exact when !wildcard && Ascii.EqualsIgnoreCase(baseName, e.Name):
                    return true;
                case MatchElementKind.NextHop when !wildcard && Ascii.EqualsIgnoreCase(baseName, nextHop):
                    return true;
                case MatchElementKind.Suffix when UnderOrAt(baseName, e.Name.AsSpan(1), wildcard):
                    return true;
                case MatchElementKind.DotNextHop when UnderOrAt(baseName, nextHop, wildcard):
                    return true;
            }
        }

        return false;

        // A host strictly below domain: name ends with ".domain", or (for "*.name") name is domain itself.
        static bool UnderOrAt(ReadOnlySpan<char> name, ReadOnlySpan<char> domain, bool wildcard) =>
            (wildcard && Ascii.EqualsIgnoreCase(name, domain))
            || (name.Length > domain.Length + 1 && name[name.Length - domain.Length - 1] == '.' && Ascii.EqualsIgnoreCase(name[^domain.Length..], domain));
    }

    private static void Add(ImmutableArray<MtaStsFinding>.Builder findings, string code, string rule, MtaStsFindingSeverity severity, string message) =>
        findings.Add(new MtaStsFinding(code, rule, severity, message));
}
