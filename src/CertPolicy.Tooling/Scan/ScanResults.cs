using System.Net;
using CertPolicy.Dns;
using CertPolicy.MtaSts;
using CertPolicy.Net;
using CertPolicy.Policy;

namespace CertPolicy.Scan;

/// <summary>The verdict of one gateway or one domain of a scan.</summary>
internal enum ScanVerdict : byte
{
    /// <summary>Every check ran and passed.</summary>
    Compliant = 0,

    /// <summary>At least one check failed (fail closed).</summary>
    NotCompliant = 1,

    /// <summary>Nothing failed, but at least one check could not be carried out (DNS or network trouble): retry.</summary>
    CouldNotEvaluate = 2,
}

/// <summary>The status of one scan finding.</summary>
internal enum ScanFindingStatus : byte
{
    /// <summary>The check ran and the requirement holds.</summary>
    Pass = 0,

    /// <summary>The requirement does not hold: the verdict is not compliant.</summary>
    Fail = 1,

    /// <summary>Worth acting on, but not a failure of the partner (e.g. our own rule is weaker than the partner's MTA-STS policy).</summary>
    Warn = 2,

    /// <summary>Information only.</summary>
    Info = 3,

    /// <summary>The check could not be carried out: the verdict is at best "could not evaluate".</summary>
    NotEvaluated = 4,
}

/// <summary>One finding of a scan: a stable code, its rule id (RULES.md), status and an English message.</summary>
/// <param name="Code">Stable code, e.g. <c>scan.mx-dnssec-bogus</c>, <c>dane.ee-mismatch</c>, <c>tls-not-offered</c>.</param>
/// <param name="Rule">The rule id, e.g. <c>R-D1</c>.</param>
/// <param name="Status">Pass, fail, warn, info or not evaluated.</param>
/// <param name="Message">What was found, for a mail administrator.</param>
internal sealed record ScanFinding(string Code, string Rule, ScanFindingStatus Status, string Message);

/// <summary>One domain to scan, with its own policy entry when the caller has one (<c>--from-policy</c>).</summary>
/// <param name="Domain">The domain (the next hop).</param>
/// <param name="Policy">The entry that applies; null: the scanner's table or default level decides.</param>
/// <param name="PolicySource">Where <paramref name="Policy"/> comes from, for the report.</param>
internal sealed record DomainRequest(string Domain, TlsPolicy? Policy = null, string? PolicySource = null);

/// <summary>One gateway: an address of an MX host, probed and evaluated.</summary>
/// <param name="MxHost">The MX host name (the certificate name checked, the SNI sent, the TLSA base domain).</param>
/// <param name="Preference">The MX preference.</param>
/// <param name="Address">The address connected to.</param>
/// <param name="Port">The port connected to.</param>
/// <param name="Verdict">The gateway's verdict: the probe evaluation and DANE together.</param>
/// <param name="Report">The probe evaluation (null only when the probe could not be run at all).</param>
/// <param name="Dane">The DANE outcome, or null when DANE was not looked at (insecure MX or address answers).</param>
/// <param name="Findings">The probe's findings, then the DANE findings, in order.</param>
internal sealed record GatewayResult(string MxHost, int Preference, IPAddress Address, int Port, ScanVerdict Verdict, ProbeReport? Report, DaneCheckResult? Dane, IReadOnlyList<ScanFinding> Findings);

/// <summary>What the MTA-STS step found for a domain (R-D2).</summary>
/// <param name="Status">The fetch status, or null when no MTA-STS record is published or the TXT look-up failed.</param>
/// <param name="Mode">The policy's mode (<c>enforce</c>, <c>testing</c>, <c>none</c>) when fetched.</param>
/// <param name="Mx">The policy's mx patterns when fetched.</param>
/// <param name="Effective">The stricter combination of the partner rule and the policy when fetched.</param>
internal sealed record MtaStsOutcome(MtaStsFetchStatus? Status, string? Mode, IReadOnlyList<string> Mx, MtaStsRequirement? Effective);

/// <summary>The result of one domain.</summary>
/// <param name="Domain">The domain as given (lower case).</param>
/// <param name="Verdict">Compliant only when every gateway is compliant and no domain-level check failed.</param>
/// <param name="Policy">The policy the gateways were evaluated against (canonical Postfix form).</param>
/// <param name="PolicySource">Where it comes from.</param>
/// <param name="MxHosts">The MX hosts in delivery order (host, preference).</param>
/// <param name="Gateways">One result per MX host address, in MX order, addresses in resolver order (IPv4 first).</param>
/// <param name="Findings">Domain-level findings: MX, addresses, MTA-STS, TLS-RPT.</param>
/// <param name="MtaSts">The MTA-STS outcome.</param>
internal sealed record DomainResult(string Domain, ScanVerdict Verdict, TlsPolicy Policy, string PolicySource, IReadOnlyList<MailExchanger> MxHosts, IReadOnlyList<GatewayResult> Gateways, IReadOnlyList<ScanFinding> Findings, MtaStsOutcome MtaSts);
