using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Dane;
using CertPolicy.Dns;
using CertPolicy.MtaSts;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tls;
using CertPolicy.Validation;

namespace CertPolicy.Scan;

/// <summary>Settings of <see cref="DomainScanner"/>.</summary>
internal sealed class DomainScanOptions
{
    /// <summary>The resolver for MX, A/AAAA, TLSA and TXT (its AD bit is the DNSSEC status).</summary>
    internal required DomainResolver Resolver { get; init; }

    /// <summary>The chain validator over the trust store (the partner rules R-C*).</summary>
    internal required ChainValidator Validator { get; init; }

    /// <summary>The time certificates are validated at (the library has no clock).</summary>
    internal required DateTimeOffset Now { get; init; }

    /// <summary>A <c>tls_policy</c> table: a domain's entry is looked up there (no entry: <c>may</c>, the global default, R-T7).</summary>
    internal PolicyMap? Table { get; init; }

    /// <summary>The table's name for the report.</summary>
    internal string TableName { get; init; } = "tls_policy";

    /// <summary>The level without a table; default <c>secure</c> (as <c>certpolicy probe</c>).</summary>
    internal TlsPolicy? DefaultPolicy { get; init; }

    /// <summary>Where <see cref="DefaultPolicy"/> comes from.</summary>
    internal string DefaultPolicySource { get; init; } = "default level secure (R-T6)";

    /// <summary>The negotiated-parameter floor.</summary>
    internal TlsFloor Floor { get; init; } = TlsFloor.Partner2026;

    /// <summary>The chain rules.</summary>
    internal ValidationProfile Profile { get; init; } = ValidationProfile.Partner2026;

    /// <summary>Partner domains with mandatory TLS (R-T6).</summary>
    internal IReadOnlyList<string> MandatoryTlsPartners { get; init; } = [];

    /// <summary>The SMTP port (25; another one only in a lab).</summary>
    internal int Port { get; init; } = 25;

    /// <summary>The time allowed for the connect, each SMTP reply and the handshake; a whole connection gets four times it.</summary>
    internal TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most gateway probes running at once, across all domains.</summary>
    internal int Parallel { get; init; } = 8;

    /// <summary>After a failed handshake, probe once more with a permissive offer (to name what a weak gateway negotiates).</summary>
    internal bool RetryPermissively { get; init; } = true;

    /// <summary>Send the MTA-STS policy fetch to this address instead of resolving <c>mta-sts.DOMAIN</c> (a lab option).</summary>
    internal IPEndPoint? MtaStsEndpoint { get; init; }

    /// <summary>Roots for the MTA-STS HTTPS certificate instead of the system store (a lab option).</summary>
    internal X509Certificate2Collection? MtaStsRoots { get; init; }

    /// <summary>The bound on one MTA-STS fetch.</summary>
    internal TimeSpan MtaStsTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// <c>certpolicy scan</c> (issue 15 item 4): for each domain the policy entry, the MX hosts and their addresses in
/// delivery order, a STARTTLS probe of every address (MX host name as SNI and as the certificate name), the partner
/// evaluation (<see cref="ProbeEvaluator"/>), DANE for MX hosts whose MX and address answers are DNSSEC-secure
/// (R-D1, RFC 7672 2.2.1 and 2.2.2), and MTA-STS and TLS-RPT once per domain (R-D2); one verdict per gateway and one per
/// domain.
/// </summary>
/// <remarks>
/// <para>Verdicts. A gateway is compliant when its probe evaluation is and DANE does not fail; a domain is compliant
/// when every gateway is and no domain-level check failed; "could not evaluate" when nothing failed but something
/// could not be carried out (a DNS time-out, an unreachable gateway). A DNSSEC-bogus MX or address answer fails (R-D1):
/// a validating sender defers the mail. Null MX, a failed MX look-up and a domain without any gateway cannot be
/// evaluated.</para>
/// <para>Concurrency: at most <see cref="DomainScanOptions.Parallel"/> probes run at once across all domains (a
/// semaphore around each probe), and as many domains are resolved at once; results come back in input order.</para>
/// <para>Never throws on data or network trouble: every failure is a finding with a code and a rule id; an unexpected
/// error inside one domain is a failed <c>scan.internal-error</c> finding (fail closed). Only the caller's
/// cancellation throws.</para>
/// </remarks>
internal sealed class DomainScanner
{
    private readonly DomainScanOptions _o;
    private readonly TlsPolicy _default;
    private readonly DaneMatcher _dane;

    /// <summary>A scanner with the given settings.</summary>
    /// <param name="options">The settings.</param>
    internal DomainScanner(DomainScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Parallel, 1, nameof(options));
        _o = options;
        _default = options.DefaultPolicy ?? Parse("secure");
        _dane = new DaneMatcher(options.Validator);
    }

    /// <summary>Scans the domains; results in input order.</summary>
    /// <param name="domains">The domains.</param>
    /// <param name="completed">Called once per finished domain (from any thread), e.g. for a progress bar.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>One result per domain, same order.</returns>
    internal async Task<IReadOnlyList<DomainResult>> ScanAsync(IReadOnlyList<DomainRequest> domains, Action<DomainResult>? completed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domains);
        var results = new DomainResult[domains.Count];
        using var probes = new SemaphoreSlim(_o.Parallel, _o.Parallel);
        using var inFlight = new SemaphoreSlim(_o.Parallel, _o.Parallel);
        var tasks = new List<Task>(domains.Count);
        for (int i = 0; i < domains.Count; i++)
        {
            await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            int index = i;
            tasks.Add(Task.Run(
                async () =>
                {
                    try
                    {
                        var r = await ScanDomainAsync(domains[index], probes, cancellationToken).ConfigureAwait(false);
                        results[index] = r;
                        completed?.Invoke(r);
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                },
                cancellationToken));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return results;
    }

    /// <summary>Scans one domain (the probes bounded by <paramref name="probes"/>). Never throws but for cancellation.</summary>
    internal async Task<DomainResult> ScanDomainAsync(DomainRequest request, SemaphoreSlim probes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        string domain = DomainResolver.TrimDot(request.Domain).ToLowerInvariant();
        var (policy, source) = PolicyFor(domain, request);
        var findings = new List<ScanFinding>();
        try
        {
            return await ScanCoreAsync(domain, policy, source, findings, probes, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // DESIGN.md "Verdicts": an error inside the evaluation is a failure, never an exception for the caller.
            findings.Add(new("scan.internal-error", "R-T6", ScanFindingStatus.Fail, "internal error while scanning " + domain + "; failing closed"));
            return new DomainResult(domain, ScanVerdict.NotCompliant, policy, source, [], [], findings, new MtaStsOutcome(null, null, [], null));
        }
    }

    private async Task<DomainResult> ScanCoreAsync(string domain, TlsPolicy policy, string source, List<ScanFinding> findings, SemaphoreSlim probes, CancellationToken ct)
    {
        // MX and MTA-STS at the same time: both are needed before the probes (MTA-STS enforce can raise the level, R-D2).
        var mxTask = _o.Resolver.LookupMailHostsAsync(domain, ct);
        var stsTask = MtaStsAsync(domain, ct);
        var rptTask = _o.Resolver.LookupTlsRptAsync(domain, ct);
        var hosts = await mxTask.ConfigureAwait(false);
        var (stsFindings, sts, stsPolicy) = await stsTask.ConfigureAwait(false);
        var rpt = await rptTask.ConfigureAwait(false);

        var mxHosts = hosts.Mx.Hosts;
        var gatewayNames = new List<string>(mxHosts.Count);
        foreach (var h in mxHosts)
        {
            gatewayNames.Add(h.Host);
        }

        MxFindings(domain, hosts, findings);
        var outcome = new MtaStsOutcome(null, null, [], null);
        findings.AddRange(stsFindings);
        if (sts is { } fetched)
        {
            outcome = new MtaStsOutcome(fetched.Status, null, [], null);
            if (stsPolicy is { } p)
            {
                // R-D2 (RULES.md), RFC 8461 4.1 and 5: the policy against the partner rule and the MX hosts.
                var comparison = MtaStsComparison.Compare(p, policy, domain, gatewayNames);
                foreach (var f in comparison.Findings)
                {
                    findings.Add(new(f.Code, f.Rule, f.Severity switch
                    {
                        MtaStsFindingSeverity.Error => ScanFindingStatus.Fail,
                        MtaStsFindingSeverity.Warning => ScanFindingStatus.Warn,
                        _ => ScanFindingStatus.Info,
                    }, f.Message));
                }

                outcome = new MtaStsOutcome(fetched.Status, MtaStsPolicy.ModeName(p.Mode), p.Mx, comparison.Effective);

                // The stricter of the two applies (R-D2): enforce asks for at least verify with the MX host's name.
                if (p.Mode == MtaStsMode.Enforce && policy.Level is SecurityLevel.None or SecurityLevel.May or SecurityLevel.Encrypt)
                {
                    var raised = Parse("verify match=hostname");
                    findings.Add(new("scan.level-raised", "R-D2", ScanFindingStatus.Info,
                        "the gateways are evaluated at \"" + raised.ToCanonicalString() + "\" instead of \"" + policy.ToCanonicalString() + "\": the partner enforces MTA-STS, and the stricter of the two applies (RFC 8461 4.2)"));
                    source += "; raised to verify by MTA-STS enforce";
                    policy = raised;
                }
            }
        }

        TlsRptFindings(domain, rpt, findings);

        // Every address of every MX host, in MX order. TLSA once per host, and only for secure MX and address answers.
        // What the probes offer depends on the policy only: once per domain.
        bool offered = ProbeOffer.TryFor(policy, false, out var offer, out string? offerError);
        var gateways = new List<Task<GatewayResult>>();
        bool mxSecure = hosts.Mx.Answer.IsSecure;
        for (int i = 0; i < hosts.Hosts.Count; i++)
        {
            var host = hosts.Hosts[i];
            var mx = mxHosts[i];
            Task<TlsaLookup>? tlsa = null;
            ScanFinding? daneSkipped = null;
            if (host.Addresses.Count == 0)
            {
                continue;
            }

            if (!mxSecure)
            {
                // RFC 7672 2.2.1: an MX RRset that is not DNSSEC-validated makes DANE inapplicable.
                daneSkipped = new("dane.mx-insecure", "R-D1", ScanFindingStatus.Info,
                    "the MX records of " + domain + " are not DNSSEC-validated (the resolver did not set the AD bit): DANE does not apply (RFC 7672 2.2.1)");
            }
            else if (!host.IsSecure)
            {
                // RFC 7672 2.2.2: TLSA is looked up only for an MX host whose address records are secure.
                daneSkipped = new("dane.address-insecure", "R-D1", ScanFindingStatus.Info,
                    "the addresses of " + mx.Host + " are not DNSSEC-validated: DANE does not apply to this host (RFC 7672 2.2.2)");
            }
            else
            {
                // RFC 7672 2.2.3: a CNAME'd MX host's TLSA base domain is its secure expansion (DomainResolver).
                tlsa = _o.Resolver.LookupTlsaForHostAsync(host.A, 25, ct);
            }

            foreach (var address in host.Addresses)
            {
                gateways.Add(offered
                    ? GatewayAsync(domain, mx, address, policy, source, offer!, tlsa, daneSkipped, probes, ct)
                    : Task.FromResult(Unofferable(mx, address, policy, source, offerError)));
            }
        }

        var results = new GatewayResult[gateways.Count];
        for (int i = 0; i < gateways.Count; i++)
        {
            results[i] = await gateways[i].ConfigureAwait(false);
        }

        if (results.Length == 0 && !Has(findings, ScanFindingStatus.Fail) && !Has(findings, ScanFindingStatus.NotEvaluated))
        {
            findings.Add(new("scan.no-gateway", "R-T1", ScanFindingStatus.NotEvaluated, "no gateway address to probe for " + domain));
        }

        return new DomainResult(domain, DomainVerdict(findings, results), policy, source, mxHosts, results, findings, outcome);
    }

    // A policy the probe cannot offer (its ciphers or protocols name nothing): each gateway fails with the reason.
    private GatewayResult Unofferable(MailExchanger mx, IPAddress address, TlsPolicy policy, string source, string? offerError) =>
        new(mx.Host, mx.Preference, address, _o.Port, ScanVerdict.NotCompliant, null, null,
            [new("scan.policy-unusable", "R-T6", ScanFindingStatus.Fail, "the policy " + policy.ToCanonicalString() + " (" + source + ") cannot be offered: " + offerError)]);

    private async Task<GatewayResult> GatewayAsync(string domain, MailExchanger mx, IPAddress address, TlsPolicy policy, string source, ProbeOffer offer, Task<TlsaLookup>? tlsaTask, ScanFinding? daneSkipped, SemaphoreSlim probes, CancellationToken ct)
    {
        var findings = new List<ScanFinding>();

        var options = new SmtpProbeOptions
        {
            Host = address.ToString(),
            Port = _o.Port,
            ServerName = ServerName(policy, domain, mx.Host),
            ConnectTimeout = _o.Timeout,
            ReplyTimeout = _o.Timeout,
            HandshakeTimeout = _o.Timeout,
            SessionTimeout = _o.Timeout * 4, // connect, banner and EHLO, STARTTLS, handshake
            EnabledProtocols = offer.SslProtocols,
            OfferedCipherSuites = offer.Suites,
            RetryPermissively = _o.RetryPermissively,
        };

        ProbeResult probe;
        await probes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            probe = await SmtpProbe.ProbeAsync(options, ct).ConfigureAwait(false);
        }
        finally
        {
            probes.Release();
        }

        // DANE (R-D1, RFC 7672 3.1) against the chain the gateway presented, before the evaluation.
        DaneCheckResult? dane = null;
        DaneInput? daneInput = null;

        // At the DANE levels the evaluation itself matches the records and reports them (DaneLevel): the scan adds only
        // what the evaluation cannot say (the TLSA base domain, RFC 7672 2.2.3, and why DANE was skipped).
        bool levelReportsDane = policy.Level is SecurityLevel.Dane or SecurityLevel.DaneOnly;
        var daneFindings = new List<ScanFinding>();
        if (daneSkipped is not null)
        {
            daneFindings.Add(daneSkipped);
            daneInput = DaneInput.None(secure: false); // RFC 7672 2.2.1/2.2.2: DANE does not apply (dane: as may)
        }
        else if (tlsaTask is not null)
        {
            var lookup = await tlsaTask.ConfigureAwait(false);
            var tlsa = lookup.Answer;
            daneInput = DaneCheck.ToInput(lookup);
            var session = probe.Outcome == ProbeOutcome.TlsEstablished ? probe : null;
            if (session is null || session.Certificates.IsDefaultOrEmpty)
            {
                bool published = tlsa.Outcome == DnsOutcome.Answer || tlsa.Dnssec == DnssecStatus.Bogus;
                daneFindings.Add(new("dane.no-certificate", "R-D1", ScanFindingStatus.Info,
                    (published ? "TLSA records are published for " + mx.Host + ", but" : "no TLSA records for " + mx.Host + ", and") + " no TLS session with a certificate was made: nothing to match"));
                if (tlsa.Dnssec == DnssecStatus.Bogus)
                {
                    dane = DaneCheck.Evaluate(lookup, Array.Empty<ReadOnlyMemory<byte>>(), domain, _o.Now, _dane);
                    AddDane(dane, daneFindings, levelReportsDane);
                }
            }
            else
            {
                var chain = new ReadOnlyMemory<byte>[session.Certificates.Length];
                for (int i = 0; i < chain.Length; i++)
                {
                    chain[i] = session.Certificates[i];
                }

                dane = DaneCheck.Evaluate(lookup, chain, domain, _o.Now, _dane);
                AddDane(dane, daneFindings, levelReportsDane);
            }
        }

        var report = Evaluate(probe, domain, mx.Host, policy, source, daneInput, offer);

        foreach (var f in report.Findings)
        {
            findings.Add(new(f.Code, f.RuleId, f.Status switch
            {
                FindingStatus.Passed => ScanFindingStatus.Pass,
                FindingStatus.Failed => ScanFindingStatus.Fail,
                FindingStatus.NotEvaluated => ScanFindingStatus.NotEvaluated,
                _ => ScanFindingStatus.Info,
            }, f.Message));
        }

        findings.AddRange(daneFindings);
        var verdict = report.Verdict switch
        {
            ProbeVerdict.NotCompliant => ScanVerdict.NotCompliant,
            ProbeVerdict.CouldNotEvaluate => ScanVerdict.CouldNotEvaluate,
            _ => ScanVerdict.Compliant,
        };
        if (Has(daneFindings, ScanFindingStatus.Fail))
        {
            verdict = ScanVerdict.NotCompliant;
        }

        return new GatewayResult(mx.Host, mx.Preference, address, _o.Port, verdict, report, dane, findings);
    }

    /// <summary>
    /// The one place where a gateway is evaluated against the partner rules. <paramref name="dane"/> is what DNS gave for
    /// the gateway's TLSA records (null when they were not looked up): the levels <c>dane</c> and <c>dane-only</c> are
    /// evaluated with it (DaneLevel, R-D1).
    /// </summary>
    private ProbeReport Evaluate(ProbeResult probe, string domain, string mxHost, TlsPolicy policy, string source, DaneInput? dane, ProbeOffer offer)
    {
        return ProbeEvaluator.Evaluate(probe, new ProbeEvaluationInput
        {
            NextHop = domain,
            MxHost = mxHost,
            Policy = policy,
            PolicySource = source,
            Floor = _o.Floor,
            Validator = _o.Validator,
            Profile = _o.Profile,
            MandatoryTlsPartners = _o.MandatoryTlsPartners,
            ValidationTime = _o.Now,
            Offer = offer,
            Dane = dane,
        });
    }

    // R-D1 (RULES.md), RFC 7672 2.2 and 3.1: a mismatch or a bogus/failed TLSA look-up makes a DANE sender defer: a failure.
    private static void AddDane(DaneCheckResult dane, List<ScanFinding> findings, bool levelReportsDane)
    {
        foreach (var f in dane.Findings)
        {
            if (levelReportsDane && f.Code != "dane.tlsa-base-domain")
            {
                continue; // the evaluation at the dane level reports it
            }

            var status = dane.Status switch
            {
                DaneCheckStatus.Valid => f.Code == "dane.valid" ? ScanFindingStatus.Pass : ScanFindingStatus.Info,
                DaneCheckStatus.Invalid or DaneCheckStatus.DnsFailure => f.Code is "dane.record-unusable" or "dane.too-many-records" or "dane.tlsa-base-domain" ? ScanFindingStatus.Info : ScanFindingStatus.Fail,
                _ => ScanFindingStatus.Info,
            };
            if (dane.Status == DaneCheckStatus.Valid && string.Equals(f.Rule, "R-C7", StringComparison.Ordinal))
            {
                status = ScanFindingStatus.Warn; // DANE-valid, still breaks R-C7 (the probe evaluation reports the failure)
            }

            findings.Add(new(f.Code, f.Rule ?? "R-D1", status, f.Message));
        }
    }

    private static void MxFindings(string domain, MailHosts hosts, List<ScanFinding> findings)
    {
        var mx = hosts.Mx;
        var answer = mx.Answer;
        if (answer.Dnssec == DnssecStatus.Bogus)
        {
            // R-D1 (RULES.md), RFC 4035 5.5: a validating sender gets SERVFAIL and defers all mail to the domain.
            findings.Add(new("scan.mx-dnssec-bogus", "R-D1", ScanFindingStatus.Fail,
                "the MX records of " + domain + " fail DNSSEC validation (bogus): a validating sender cannot deliver mail to this domain" + (answer.Why is null ? string.Empty : " (" + answer.Why + ")")));
            return;
        }

        switch (mx.Kind)
        {
            case MxKind.None when answer.Outcome == DnsOutcome.NxDomain:
                findings.Add(new("scan.domain-not-found", "R-T1", ScanFindingStatus.Fail, "the domain " + domain + " does not exist (NXDOMAIN): mail to it cannot be delivered"));
                return;
            case MxKind.None:
                findings.Add(new("scan.mx-lookup-failed", "R-T1", ScanFindingStatus.NotEvaluated, "the MX look-up of " + domain + " failed: " + (answer.Why ?? answer.Outcome.ToString())));
                return;
            case MxKind.NullMx:
                findings.Add(new("scan.null-mx", "R-T1", ScanFindingStatus.NotEvaluated, domain + " publishes a null MX (RFC 7505): it accepts no mail, there is no gateway to check"));
                return;
            case MxKind.Implicit:
                findings.Add(new("scan.mx-implicit", "R-T1", ScanFindingStatus.Info, domain + " has no MX records: the domain itself is the mail host (implicit MX, RFC 5321 5.1)"));
                break;
            default:
                findings.Add(new("scan.mx", "R-T1", ScanFindingStatus.Info, MxList(mx.Hosts) + (answer.IsSecure ? " (DNSSEC-validated)" : " (not DNSSEC-validated)") + (answer.Why is null ? string.Empty : "; " + answer.Why)));
                break;
        }

        if (mx.Hosts.Count > hosts.Hosts.Count)
        {
            findings.Add(new("scan.mx-too-many", "R-T1", ScanFindingStatus.Info,
                mx.Hosts.Count.ToString(CultureInfo.InvariantCulture) + " MX hosts; only the first " + hosts.Hosts.Count.ToString(CultureInfo.InvariantCulture) + " are probed"));
        }

        foreach (var host in hosts.Hosts)
        {
            if (host.A.Dnssec == DnssecStatus.Bogus || host.Aaaa.Dnssec == DnssecStatus.Bogus)
            {
                // RFC 7672 2.2.2: a bogus address answer: a validating sender skips this MX host.
                findings.Add(new("scan.mx-address-dnssec-bogus", "R-D1", ScanFindingStatus.Fail,
                    "the address records of the MX host " + host.Host + " fail DNSSEC validation (bogus): a validating sender cannot use this gateway"));
            }
            else if (Failed(host.A) || Failed(host.Aaaa))
            {
                findings.Add(new("scan.mx-address-lookup-failed", "R-T1", ScanFindingStatus.NotEvaluated,
                    "the address look-up of the MX host " + host.Host + " failed: " + (Failed(host.A) ? host.A.Why : host.Aaaa.Why)));
            }
            else if (host.Addresses.Count == 0)
            {
                findings.Add(new("scan.mx-no-address", "R-T1", ScanFindingStatus.Fail,
                    "the MX host " + host.Host + " has no address (no A or AAAA record): mail cannot be delivered through it"));
            }
        }

        static bool Failed(DnsAnswer<IPAddress> a) => a.Outcome is DnsOutcome.ServerFailure or DnsOutcome.Failure or DnsOutcome.Timeout or DnsOutcome.NetworkError;
    }

    private static string MxList(IReadOnlyList<MailExchanger> hosts)
    {
        var sb = new StringBuilder("MX ");
        for (int i = 0; i < hosts.Count; i++)
        {
            sb.Append(i == 0 ? string.Empty : ", ").Append(hosts[i].Preference.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(hosts[i].Host);
        }

        return sb.ToString();
    }

    // R-D2 (RULES.md), RFC 8461 3.1-3.3: the _mta-sts TXT record through our resolver, then the HTTPS fetch.
    private async Task<(List<ScanFinding> Findings, MtaStsFetchResult? Fetched, MtaStsPolicy? Policy)> MtaStsAsync(string domain, CancellationToken ct)
    {
        var findings = new List<ScanFinding>();
        var txt = await _o.Resolver.LookupMtaStsAsync(domain, ct).ConfigureAwait(false);
        if (txt.Dnssec == DnssecStatus.Bogus)
        {
            findings.Add(new("mta-sts.dnssec-bogus", "R-D2", ScanFindingStatus.Fail,
                "the MTA-STS record _mta-sts." + domain + " fails DNSSEC validation (bogus): validating senders cannot find the policy"));
            return (findings, null, null);
        }

        if (txt.Outcome is DnsOutcome.ServerFailure or DnsOutcome.Failure or DnsOutcome.Timeout or DnsOutcome.NetworkError)
        {
            findings.Add(new("mta-sts.dns-failed", "R-D2", ScanFindingStatus.NotEvaluated,
                "the TXT look-up of _mta-sts." + domain + " failed: " + (txt.Why ?? txt.Outcome.ToString())));
            return (findings, null, null);
        }

        bool any = false;
        foreach (var r in txt.Records)
        {
            any |= r.StartsWith("v=STSv1", StringComparison.Ordinal);
        }

        if (!any)
        {
            findings.Add(new("mta-sts.dns-no-record", "R-D2", ScanFindingStatus.Info, "no MTA-STS record (_mta-sts." + domain + "): the partner publishes no MTA-STS policy"));
            return (findings, null, null);
        }

        var options = new MtaStsFetchOptions
        {
            Timeout = _o.MtaStsTimeout,
            Endpoint = _o.MtaStsEndpoint,
            CustomRoots = _o.MtaStsRoots,

            // The records of the look-up above (the same resolver, the same --dns server): one query, one answer.
            TxtLookup = (name, _) => Task.FromResult<IReadOnlyList<string>>(
                string.Equals(name, txt.Name, StringComparison.OrdinalIgnoreCase) ? txt.Records : []),
        };
        var fetched = await MtaStsFetcher.FetchAsync(domain, options, ct).ConfigureAwait(false);
        var finding = MtaStsComparison.FetchFinding(fetched);

        // RFC 8461 3.3: a published policy that cannot be fetched protects nothing (senders deliver as without
        // MTA-STS): a failure of the partner's publication. A time-out or a network error may pass: not evaluated.
        var status = fetched.Status switch
        {
            MtaStsFetchStatus.Ok => ScanFindingStatus.Pass,
            MtaStsFetchStatus.Timeout or MtaStsFetchStatus.Network => ScanFindingStatus.NotEvaluated,
            MtaStsFetchStatus.DnsNoRecord => ScanFindingStatus.Warn,
            _ => ScanFindingStatus.Fail,
        };
        findings.Add(new(finding.Code, finding.Rule, status, finding.Message));
        return (findings, fetched, fetched.Policy);
    }

    // RFC 8460 3: the TLS-RPT record, reported (R-D2 asks MTA-STS users to run it); never a failure.
    private static void TlsRptFindings(string domain, DnsAnswer<string> rpt, List<ScanFinding> findings)
    {
        if (rpt.Outcome is DnsOutcome.ServerFailure or DnsOutcome.Failure or DnsOutcome.Timeout or DnsOutcome.NetworkError)
        {
            findings.Add(new("tls-rpt.dns-failed", "R-D2", ScanFindingStatus.Info, "the TXT look-up of _smtp._tls." + domain + " failed: " + (rpt.Why ?? rpt.Outcome.ToString())));
            return;
        }

        if (rpt.Outcome != DnsOutcome.Answer)
        {
            findings.Add(new("tls-rpt.none", "R-D2", ScanFindingStatus.Info, "no TLS-RPT record (_smtp._tls." + domain + "): the partner receives no TLS failure reports (RFC 8460)"));
            return;
        }

        if (TlsRptRecord.TrySelect(rpt.Records, out var record, out var error))
        {
            var sb = new StringBuilder("TLS-RPT reports go to ");
            for (int i = 0; i < record!.Rua.Length; i++)
            {
                sb.Append(i == 0 ? string.Empty : ", ").Append(record.Rua[i].OriginalString);
            }

            findings.Add(new("tls-rpt.record", "R-D2", ScanFindingStatus.Info, sb.ToString()));
        }
        else
        {
            findings.Add(new("tls-rpt.invalid", "R-D2", ScanFindingStatus.Warn, "_smtp._tls." + domain + ": " + error.ToString()));
        }
    }

    private (TlsPolicy Policy, string Source) PolicyFor(string domain, DomainRequest request)
    {
        if (request.Policy is { } given)
        {
            return (given, request.PolicySource ?? "given");
        }

        if (_o.Table is { } table)
        {
            var found = table.Lookup(domain);
            if (found.Entry is { Policy: { } p } e)
            {
                return (p, _o.TableName + " line " + e.Line.ToString(CultureInfo.InvariantCulture) + ": " + e.Key);
            }

            // No entry: the global smtp_tls_security_level applies; evaluated as opportunistic (R-T7), as probe does.
            return (Parse("may"), _o.TableName + ": no entry for " + domain + ", global default taken as may (R-T7)");
        }

        return (_default, _o.DefaultPolicySource);
    }

    /// <summary>The SNI name: the policy's <c>servername=</c> when set, else the MX host name.</summary>
    private static string? ServerName(TlsPolicy policy, string nextHop, string mx) => policy.ServerName switch
    {
        null or "" => mx,
        { } h when h.Equals("hostname", StringComparison.OrdinalIgnoreCase) => mx,
        { } n when n.Equals("nexthop", StringComparison.OrdinalIgnoreCase) => nextHop,
        { } literal => literal,
    };

    private static ScanVerdict DomainVerdict(List<ScanFinding> findings, GatewayResult[] gateways)
    {
        bool failed = Has(findings, ScanFindingStatus.Fail);
        bool notEvaluated = Has(findings, ScanFindingStatus.NotEvaluated);
        foreach (var g in gateways)
        {
            failed |= g.Verdict == ScanVerdict.NotCompliant;
            notEvaluated |= g.Verdict == ScanVerdict.CouldNotEvaluate;
        }

        return failed ? ScanVerdict.NotCompliant : notEvaluated || gateways.Length == 0 ? ScanVerdict.CouldNotEvaluate : ScanVerdict.Compliant;
    }

    private static bool Has(List<ScanFinding> findings, ScanFindingStatus status)
    {
        foreach (var f in findings)
        {
            if (f.Status == status)
            {
                return true;
            }
        }

        return false;
    }

    private static TlsPolicy Parse(string value) =>
        TlsPolicy.TryParse(value, out var p, out var e) ? p! : throw new InvalidOperationException("built-in policy \"" + value + "\": " + e.Message);
}
