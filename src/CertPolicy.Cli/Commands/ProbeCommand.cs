using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using CertPolicy.Cli.Output;
using CertPolicy.Dane;
using CertPolicy.Dns;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tls;
using CertPolicy.Validation;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy probe</c>: connect to one gateway with SMTP STARTTLS and evaluate what it presents
/// (R-T1, R-T2..R-T6, R-C2; the chain through <see cref="IChainValidator"/> once the engine lands).
/// Traffic goes only to the host the user names.
/// </summary>
internal static class ProbeCommand
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var target = new Argument<string>("HOST[:PORT]") { Description = "The gateway to probe: host, host:port, IP, or [IPv6]:port. Default port 25 (465 with --smtps)." };
        var nexthop = new Option<string>("--nexthop") { Description = "The next-hop (destination) domain the policy applies to.", Required = true };
        var mx = new Option<string?>("--mx") { Description = "The MX host name (for the hostname match strategy). Default: HOST." };
        var policy = new Option<string?>("--policy") { Description = "A Postfix tls_policy table source; the entry for --nexthop applies." };
        var level = new Option<string?>("--level") { Description = "Security level to evaluate at, instead of --policy (default: secure). At dane and dane-only the TLSA records of _25._tcp.MX are looked up (see --dns)." };
        var match = new Option<string?>("--match") { Description = "match= patterns in Postfix table syntax (with --level verify/secure), e.g. nexthop:dot-nexthop." };
        var profile = new Option<string?>("--profile") { Description = "Floor profile: partner-2026 (default), document-2019, postfix-secure." };
        var smtps = new Option<bool>("--smtps") { Description = "Use implicit TLS (SMTPS) instead of STARTTLS. Gateways do not use it (R-T1): the report fails R-T1." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds allowed for the connect, each SMTP reply and the TLS handshake (default 30); one whole connection gets four times this." };
        var legacy = new Option<bool>("--offer-legacy") { Description = "Besides what the policy allows (its grade, exclude= and protocols=, as Postfix offers them), also offer TLS 1.0/1.1 and CBC suites, so that a legacy-only gateway is reported by its protocol (R-T4) rather than as a handshake failure. OpenSSL's security level still applies (OPENSSL_CONF)." };
        var noRetry = new Option<bool>("--no-retry") { Description = "After a failed handshake, do not connect again with a permissive offer (TLS 1.0-1.3, NULL suites, security level 0) to name what a weak-only gateway negotiates." };
        var roots = new Option<string?>("--roots") { Description = "PEM file of anchors that replaces the curated trust store (private PKIs, tests)." };
        var partner = new Option<string[]>("--partner") { Description = "A partner domain with mandatory TLS (R-T6), repeatable: for it a level that does not verify fails (R-T8 for none), and so does a gateway without STARTTLS." };
        var warnDays = new Option<int>("--warn-days") { Description = "Warn (without failing) about certificates the server sent that expire within N days, and the anchor's distrust-after or sunset dates within N days." };
        var dns = new Option<string?>("--dns") { Description = "At levels dane and dane-only: the DNS resolver for the TLSA look-up, ADDR[:PORT] (default: the system resolver). It must validate DNSSEC and be reached over a trusted path (loopback): its AD bit is the only DNSSEC check made." };
        var cmd = new Command("probe", "Probe a gateway with SMTP STARTTLS and evaluate it (exit 0 compliant, 1 not compliant, 2 unusable input, 3 could not evaluate: retry).")
        {
            target, nexthop, mx, policy, level, match, profile, smtps, timeout, legacy, noRetry, roots, partner, warnDays, dns,
        };
        var format = FormatOption.AddTo(cmd, sarif: true);
        cmd.SetAction(r => format.TryGet(r, "certpolicy probe", stderr, out var fmt)
            ? Run(
                new Request(r.GetValue(target)!, r.GetValue(nexthop)!, r.GetValue(mx), r.GetValue(policy), r.GetValue(level), r.GetValue(match), r.GetValue(profile), r.GetValue(smtps), r.GetValue(timeout), r.GetValue(legacy), r.GetValue(noRetry), fmt, r.GetValue(roots), r.GetValue(partner) ?? [], r.GetValue(warnDays), r.GetValue(dns)),
                stdout,
                stderr)
            : ExitCodes.Unusable);
        root.Subcommands.Add(cmd);
    }

    private sealed record Request(string Target, string NextHop, string? Mx, string? PolicyFile, string? Level, string? Match, string? Profile, bool Smtps, double? Timeout, bool OfferLegacy, bool NoRetry, OutputFormat Format, string? Roots, string[] Partners, int WarnDays, string? Dns);

    private static int Run(Request q, TextWriter stdout, TextWriter stderr)
    {
        const string Me = "certpolicy probe";
        if (!TryParseTarget(q.Target, q.Smtps, out string host, out int port, out string? targetError))
        {
            stderr.WriteLine($"{Me}: {targetError}");
            return ExitCodes.Unusable;
        }

        if (q.NextHop.Length == 0 || q.NextHop.AsSpan().IndexOfAny("[]: /") >= 0)
        {
            stderr.WriteLine($"{Me}: --nexthop: give the next-hop domain without brackets or port (got \"{q.NextHop}\")");
            return ExitCodes.Unusable;
        }

        if (q.Timeout is { } t && (double.IsNaN(t) || t <= 0 || t > 600))
        {
            stderr.WriteLine($"{Me}: --timeout: expected seconds in (0, 600]");
            return ExitCodes.Unusable;
        }

        var floor = TlsFloor.Partner2026;
        if (q.Profile is not null && !TlsFloor.TryGetProfile(q.Profile, out floor))
        {
            stderr.WriteLine($"{Me}: --profile: unknown profile '{q.Profile}' ({string.Join(", ", TlsFloor.ProfileNames)})");
            return ExitCodes.Unusable;
        }

        // The same profile names select the chain rules (Validation/) and the TLS floor (Tls/).
        var validationProfile = ValidationProfile.Partner2026;
        if (q.Profile is not null && !ValidationProfile.TryGet(q.Profile, out validationProfile))
        {
            stderr.WriteLine($"{Me}: --profile: unknown profile '{q.Profile}'");
            return ExitCodes.Unusable;
        }

        if (q.WarnDays is < 0 or > ExpiryHorizons.MaxDays)
        {
            stderr.WriteLine($"{Me}: --warn-days: expected 0 to 3650 days");
            return ExitCodes.Unusable;
        }

        var now = DateTimeOffset.UtcNow; // the CLI owns the clock; the library takes the time as a parameter
        if (!CliTrust.TryLoad(Me, q.Roots, [], now, stderr, out var store))
        {
            return ExitCodes.Unusable;
        }

        if (!TryResolvePolicy(q, stderr, out var tlsPolicy, out string source))
        {
            return ExitCodes.Unusable;
        }

        if (tlsPolicy.Level is SecurityLevel.Fingerprint)
        {
            stderr.WriteLine($"{Me}: level {tlsPolicy.Level.ToPostfixName()} ({source}) is not modelled by the probe (pins)");
            return ExitCodes.Unusable;
        }

        bool daneLevel = tlsPolicy.Level is SecurityLevel.Dane or SecurityLevel.DaneOnly;
        IPEndPoint? dnsServer = null;
        if (q.Dns is not null && !TryParseDns(q.Dns, out dnsServer))
        {
            stderr.WriteLine($"{Me}: --dns: expected an IP address with an optional port, e.g. 127.0.0.1:53 or [::1]:5353 (got \"{q.Dns}\")");
            return ExitCodes.Unusable;
        }

        string mxName = q.Mx ?? host;
        if (daneLevel && IPAddress.TryParse(mxName, out _))
        {
            stderr.WriteLine($"{Me}: level {tlsPolicy.Level.ToPostfixName()} looks up TLSA records at the MX host name: give --mx (the target is an address)");
            return ExitCodes.Unusable;
        }

        // RFC 7672 2.2 and 2.2.3: the TLSA records of _25._tcp.MX (or of its secure CNAME expansion), before connecting.
        TlsaLookup? tlsa = null;
        if (daneLevel)
        {
            DomainResolver resolver;
            try
            {
                resolver = new DomainResolver(new DomainResolverOptions { Server = dnsServer, Timeout = TimeSpan.FromSeconds(Math.Min(q.Timeout ?? 5, 30)) });
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or System.Net.Sockets.SocketException)
            {
                // No usable system resolver (e.g. no nameserver in /etc/resolv.conf): the TLSA records cannot be looked up.
                stderr.WriteLine($"{Me}: level {tlsPolicy.Level.ToPostfixName()}: no DNS resolver to look up the TLSA records; give --dns ADDR[:PORT]");
                return ExitCodes.CouldNotEvaluate;
            }

            tlsa = resolver.LookupTlsaForHostAsync(mxName).GetAwaiter().GetResult();
        }

        // The client offers what the policy allows (Postfix semantics: grade, exclude=, protocols=), so the gateway is
        // judged by what it can do under the policy, not by .NET's default offer.
        if (!ProbeOffer.TryFor(tlsPolicy, q.OfferLegacy, out var offer, out string? offerError))
        {
            stderr.WriteLine($"{Me}: policy {tlsPolicy.ToCanonicalString()} ({source}): {offerError}");
            return ExitCodes.Unusable;
        }

        var limit = TimeSpan.FromSeconds(q.Timeout ?? 30);
        var options = new SmtpProbeOptions
        {
            Host = host,
            Port = port,
            ImplicitTls = q.Smtps,
            // RFC 7672 8.1: at the DANE levels the client sends the TLSA base domain as SNI (Postfix does).
            ServerName = tlsa is not null ? tlsa.BaseDomain : ServerNameFor(tlsPolicy, q.NextHop, q.Mx ?? host),
            ConnectTimeout = limit,
            ReplyTimeout = limit,
            HandshakeTimeout = limit,
            SessionTimeout = limit * 4, // connect, banner and EHLO, STARTTLS, handshake: one --timeout each
            EnabledProtocols = offer!.SslProtocols,
            OfferedCipherSuites = offer.Suites,
            RetryPermissively = !q.NoRetry,
        };
        string? invalid = options.Validate();
        if (invalid is not null)
        {
            stderr.WriteLine($"{Me}: {invalid}");
            return ExitCodes.Unusable;
        }

        var probe = SmtpProbe.ProbeAsync(options).GetAwaiter().GetResult();
        var validator = new ChainValidator(store);
        var report = ProbeEvaluator.Evaluate(probe, new ProbeEvaluationInput
        {
            NextHop = q.NextHop,
            MxHost = q.Mx,
            Policy = tlsPolicy,
            PolicySource = source,
            Floor = floor!,
            Validator = validator,
            Profile = validationProfile!,
            MandatoryTlsPartners = q.Partners,
            ValidationTime = now,
            Offer = offer,
            Dane = tlsa is null ? null : DaneCheck.ToInput(tlsa),
        });

        var warnings = Warnings(validator, store, probe, validationProfile!, now, q.WarnDays);
        if (q.Format == OutputFormat.Json)
        {
            WriteJson(stdout, report, warnings, tlsa);
        }
        else if (q.Format == OutputFormat.Sarif)
        {
            WriteSarif(stdout, report, warnings);
        }
        else
        {
            WriteText(stdout, report, warnings, tlsa);
        }

        return report.Verdict switch
        {
            ProbeVerdict.Compliant => ExitCodes.Ok,
            ProbeVerdict.NotCompliant => ExitCodes.Findings,
            _ => ExitCodes.CouldNotEvaluate,
        };
    }

    /// <summary>The SNI name as Postfix's <c>servername=</c> gives it: none by default (smtp_tls_servername empty).</summary>
    private static string? ServerNameFor(TlsPolicy policy, string nextHop, string mx) => policy.ServerName switch
    {
        null or "" => null,
        { } h when h.Equals("hostname", StringComparison.OrdinalIgnoreCase) => IPAddress.TryParse(mx, out _) ? null : mx,
        { } n when n.Equals("nexthop", StringComparison.OrdinalIgnoreCase) => nextHop,
        { } literal => literal,
    };

    /// <summary>ADDR, ADDR:PORT, [IPv6]:PORT or a bare IPv6 address; port 53 when none is given.</summary>
    internal static bool TryParseDns(string text, out IPEndPoint? server)
    {
        server = null;
        if (!text.StartsWith('[') && IPAddress.TryParse(text, out var bare))
        {
            server = new IPEndPoint(bare, 53); // a bare IPv4 or IPv6 address
            return true;
        }

        if (!IPEndPoint.TryParse(text, out var ep))
        {
            return false;
        }

        server = ep.Port == 0 ? new IPEndPoint(ep.Address, 53) : ep;
        return true;
    }

    /// <summary>HOST, HOST:PORT, IPv4:PORT, [IPv6]:PORT or a bare IPv6 literal.</summary>
    internal static bool TryParseTarget(string text, bool smtps, out string host, out int port, out string? error)
    {
        host = string.Empty;
        port = smtps ? SmtpProbeOptions.SmtpsPort : 25;
        error = null;
        string portText = string.Empty;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                error = $"HOST[:PORT]: malformed bracketed address \"{text}\"";
                return false;
            }

            host = text[1..close];
            portText = close + 1 < text.Length ? text[(close + 2)..] : string.Empty;
            if (!IPAddress.TryParse(host, out _))
            {
                error = $"HOST[:PORT]: \"{host}\" in brackets is not an IP address";
                return false;
            }
        }
        else if (text.Count(c => c == ':') > 1)
        {
            host = text; // a bare IPv6 literal
            if (!IPAddress.TryParse(host, out _))
            {
                error = $"HOST[:PORT]: \"{text}\" is not an IPv6 address (write [address]:port)";
                return false;
            }
        }
        else
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? string.Empty : text[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            error = "HOST[:PORT]: empty host";
            return false;
        }

        if (portText.Length > 0 && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"HOST[:PORT]: invalid port \"{portText}\"";
            return false;
        }

        if (port == SmtpProbeOptions.SmtpsPort && !smtps)
        {
            error = "port 465 is implicit TLS (SMTPS), which gateways do not use (R-T1); pass --smtps to probe it anyway";
            return false;
        }

        return true;
    }

    private static bool TryResolvePolicy(Request q, TextWriter stderr, out TlsPolicy policy, out string source)
    {
        const string Me = "certpolicy probe";
        policy = null!;
        source = string.Empty;
        if (q.PolicyFile is not null)
        {
            if (q.Level is not null || q.Match is not null)
            {
                stderr.WriteLine($"{Me}: give either --policy or --level/--match, not both");
                return false;
            }

            if (!CliFiles.TryReadText(q.PolicyFile, out var text, out var readError, keepBom: true))
            {
                stderr.WriteLine(readError);
                return false;
            }

            var parsed = PolicyMap.Parse(text, q.PolicyFile);
            if (parsed.HasErrors)
            {
                foreach (var d in parsed.Diagnostics)
                {
                    if (d.Severity == DiagnosticSeverity.Error)
                    {
                        stderr.WriteLine(d.ToString());
                    }
                }

                return false;
            }

            var found = parsed.Map.Lookup(q.NextHop);
            if (found.Entry is { Policy: { } p } e)
            {
                policy = p;
                source = $"{q.PolicyFile} line {e.Line.ToString(CultureInfo.InvariantCulture)}: {e.Key}";
                return true;
            }

            // No entry: the global smtp_tls_security_level applies; evaluated as opportunistic (R-T7).
            TlsPolicy.TryParse("may", out var may, out _);
            policy = may!;
            source = $"{q.PolicyFile}: no entry for {q.NextHop}, global default taken as may (R-T7)";
            return true;
        }

        string value = q.Level ?? "secure";
        if (!SecurityLevels.TryParse(value, out var level))
        {
            stderr.WriteLine($"{Me}: --level: invalid security level \"{value}\"");
            return false;
        }

        if (q.Match is not null)
        {
            if (!level.IsPkix())
            {
                stderr.WriteLine($"{Me}: --match: attribute \"match\" invalid at security level \"{level.ToPostfixName()}\"");
                return false;
            }

            value += " match=" + q.Match;
        }

        if (!TlsPolicy.TryParse(value, out var given, out var error))
        {
            stderr.WriteLine($"{Me}: {error.Message}");
            return false;
        }

        policy = given!;
        source = q.Level is null ? "default level secure (R-T6)" : "--level";
        return true;
    }

    private static string VerdictWord(ProbeVerdict v) => v switch
    {
        ProbeVerdict.Compliant => "pass",
        ProbeVerdict.NotCompliant => "fail",
        _ => "could-not-evaluate",
    };

    private static string StatusWord(FindingStatus s) => s switch
    {
        FindingStatus.Passed => "pass",
        FindingStatus.Failed => "fail",
        FindingStatus.NotEvaluated => "not-evaluated",
        _ => "info",
    };

    // SARIF: failed checks are errors, checks that could not be evaluated warnings, information notes; passes are left out.
    private static void WriteSarif(TextWriter o, ProbeReport r, List<Finding> warnings)
    {
        var results = new List<SarifResult>();
        foreach (var f in r.Findings)
        {
            string? level = f.Status switch
            {
                FindingStatus.Failed => "error",
                FindingStatus.NotEvaluated => "warning",
                FindingStatus.Passed => null,
                _ => "note",
            };
            if (level is not null)
            {
                results.Add(new SarifResult(f.RuleId, level, f.Message, f.Code));
            }
        }

        foreach (var f in warnings)
        {
            results.Add(new SarifResult(f.Rule, "warning", f.Message, f.Code));
        }

        Sarif.Write(o, results);
    }

    // --warn-days (ExpiryHorizons) over what the server sent, with the path the validator builds from it: warnings only.
    private static List<Finding> Warnings(ChainValidator validator, CertPolicy.Trust.TrustStore store, ProbeResult probe, ValidationProfile profile, DateTimeOffset now, int days)
    {
        var session = probe.Outcome == ProbeOutcome.TlsEstablished ? probe : probe.PermissiveRetry;
        if (days <= 0 || session is null || session.Certificates.IsDefaultOrEmpty)
        {
            return [];
        }

        var chain = new List<ReadOnlyMemory<byte>>(session.Certificates.Length);
        foreach (var c in session.Certificates)
        {
            chain.Add(c);
        }

        var path = validator.ExplainChain(chain, profile, now).Chain;
        return ExpiryHorizons.Find(store, chain, path, CertPolicy.Trust.RootPurposes.TlsServer, now, days);
    }

    private static void WriteText(TextWriter o, ProbeReport r, List<Finding> warnings, TlsaLookup? tlsa)
    {
        var p = r.Probe;
        o.WriteLine($"probe {p.Host}:{p.Port.ToString(CultureInfo.InvariantCulture)} next hop {r.Input.NextHop}, MX {r.MxHost}: {VerdictWord(r.Verdict)}");
        o.WriteLine($"  {p.Message}");
        if (p.Outcome == ProbeOutcome.TlsEstablished)
        {
            o.WriteLine($"  certificates sent: {p.Certificates.Length.ToString(CultureInfo.InvariantCulture)}");
        }

        if (tlsa is not null)
        {
            o.WriteLine($"  TLSA {tlsa.TlsaName}: {TlsaState(tlsa)}{(tlsa.Why is null ? string.Empty : "; " + tlsa.Why)}");
            foreach (var record in tlsa.Answer.Records)
            {
                o.WriteLine($"    {record}");
            }
        }

        foreach (var f in r.Findings)
        {
            o.WriteLine($"  [{StatusWord(f.Status)}] {f.RuleId} {f.Code}: {f.Message}");
        }

        foreach (var f in warnings)
        {
            o.WriteLine($"  [warn] {f.Rule} {f.Code}: {f.Message}");
        }
    }

    // The negotiated parameters and what the server sent: of the probe, or of its permissive retry.
    private static void WriteSession(System.Text.Json.Utf8JsonWriter w, ProbeResult session)
    {
        w.WriteString("protocol", TlsProtocols.ToOpenSslName(TlsProtocols.FromSslProtocols(session.Protocol)));
        w.WriteString("cipherSuite", session.CipherSuite.ToString());
        w.WriteNumber("cipherSuiteId", (ushort)session.CipherSuite);
        w.WriteStartArray("certificatesSha256");
        foreach (var c in session.Certificates)
        {
            w.WriteStringValue(Convert.ToHexStringLower(SHA256.HashData(c)));
        }

        w.WriteEndArray();
    }

    // What the client offered (ProbeOffer): protocols, the cipher string and its source, every suite by name.
    private static void WriteOffer(System.Text.Json.Utf8JsonWriter w, ProbeOffer offer)
    {
        w.WriteStartObject("offer");
        w.WriteStartArray("protocols");
        foreach (var name in offer.ProtocolNames)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        w.WriteString("cipherString", offer.CipherString);
        w.WriteString("source", offer.Source);
        w.WriteBoolean("legacy", offer.Legacy);
        w.WriteNumber("suiteCount", offer.Suites.Count);
        w.WriteNumber("tls13SuiteCount", offer.Tls13Count);
        w.WriteStartArray("suites");
        foreach (var name in offer.SuiteNames)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    // The TLSA look-up in one word: records (secure or insecure), none, or failed/bogus.
    private static string TlsaState(TlsaLookup t) => t.Answer.Dnssec == DnssecStatus.Bogus ? "bogus"
        : t.Answer.Outcome switch
        {
            DnsOutcome.Answer => t.Answer.IsSecure ? "secure" : "insecure",
            DnsOutcome.NoData or DnsOutcome.NxDomain => t.Answer.IsSecure ? "none-secure" : "none",
            _ => "failed",
        };

    private static void WriteTlsa(System.Text.Json.Utf8JsonWriter w, TlsaLookup t)
    {
        w.WriteStartObject("tlsa");
        w.WriteString("name", t.TlsaName);
        w.WriteString("baseDomain", t.BaseDomain);
        w.WriteString("state", TlsaState(t));
        if (t.Why is not null)
        {
            w.WriteString("note", t.Why);
        }

        w.WriteStartArray("records");
        foreach (TlsaRecord record in t.Answer.Records)
        {
            w.WriteStringValue(record.ToString());
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteJson(TextWriter o, ProbeReport r, List<Finding> warnings, TlsaLookup? tlsa)
    {
        var p = r.Probe;
        Json.Write(o, w =>
        {
            w.WriteStartObject();
            w.WriteString("verdict", VerdictWord(r.Verdict));
            w.WriteString("host", p.Host);
            w.WriteNumber("port", p.Port);
            if (p.Address is not null)
            {
                w.WriteString("address", p.Address);
            }

            w.WriteString("nexthop", r.Input.NextHop);
            w.WriteString("mx", r.MxHost);
            w.WriteString("level", r.Input.Policy.Level.ToPostfixName());
            w.WriteString("policy", r.Input.Policy.ToCanonicalString());
            w.WriteString("policySource", r.Input.PolicySource);
            w.WriteString("profile", r.Input.Floor.Name);
            w.WriteString("outcome", p.Outcome.ToString());
            w.WriteString("message", p.Message);
            if (r.Input.Offer is { } offer)
            {
                WriteOffer(w, offer);
            }

            if (tlsa is not null)
            {
                WriteTlsa(w, tlsa);
            }

            if (p.Outcome == ProbeOutcome.TlsEstablished)
            {
                WriteSession(w, p);
            }

            if (p.PermissiveRetry is { Outcome: ProbeOutcome.TlsEstablished } retry)
            {
                w.WriteStartObject("permissiveRetry");
                WriteSession(w, retry);
                w.WriteEndObject();
            }

            w.WriteStartArray("findings");
            foreach (var f in r.Findings)
            {
                w.WriteStartObject();
                w.WriteString("code", f.Code);
                w.WriteString("rule", f.RuleId);
                w.WriteString("status", StatusWord(f.Status));
                w.WriteString("message", f.Message);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("warnings");
            foreach (var f in warnings)
            {
                w.WriteStartObject();
                w.WriteString("code", f.Code);
                w.WriteString("rule", f.Rule);
                w.WriteNumber("depth", f.Depth);
                w.WriteString("message", f.Message);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
