using System.CommandLine;
using System.Globalization;
using CertPolicy.Cli.Output;
using CertPolicy.Dane;
using CertPolicy.Evaluation;
using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Trust;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy verify CHAIN.pem --nexthop DOMAIN</c>: validates a presented chain against the curated trust store (or
/// <c>--roots</c>) under a profile. Exit 0 compliant, 1 not compliant, 2 unusable input (one line <c>file: what is wrong</c>).
/// </summary>
internal static class VerifyCommand
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var chain = new Argument<string>("CHAIN.pem") { Description = "The presented chain: leaf first, then intermediates (PEM, or one DER certificate)." };
        var nexthop = new Option<string>("--nexthop") { Description = "The next-hop domain, without brackets or port.", Required = true };
        var mx = new Option<string?>("--mx") { Description = "The MX host name connected to (needed by the hostname strategy)." };
        var level = new Option<string?>("--level") { Description = "Postfix security level: verify or secure (default), or dane or dane-only with --tlsa (default dane when --tlsa is given)." };
        var match = new Option<string?>("--match") { Description = "A match= value in Postfix syntax (needs --level); default: the level's." };
        var profile = new Option<string?>("--profile") { Description = "postfix-secure, document-2019 or partner-2026 (default)." };
        var roots = new Option<string?>("--roots") { Description = "PEM file of anchors that replaces the curated trust store." };
        var ev = new Option<string[]>("--ev-policy") { Description = "A dotted EV policy OID bound to the --roots anchors; repeatable.", AllowMultipleArgumentsPerToken = false };
        var at = new Option<string?>("--at") { Description = "Validation time (ISO 8601, e.g. 2026-11-28T00:00:00Z); default: now." };
        var crl = new Option<string[]>("--crl") { Description = "CRL file(s) (PEM X509 CRL blocks or one DER CRL) to check revocation against (R-C12); repeatable. Nothing is fetched.", AllowMultipleArgumentsPerToken = true };
        var warnDays = new Option<int>("--warn-days") { Description = "Warn (without failing) about certificates of the chain that expire within N days, and the anchor's distrust-after or sunset dates within N days." };
        var tlsa = new Option<string[]>("--tlsa") { Description = "A TLSA record of the gateway for an offline DANE check, e.g. \"3 1 1 HEX\" (usage, selector, matching type, data); repeatable. Taken as DNSSEC-validated. With --level dane (the default with --tlsa) or dane-only; at dane-only no --tlsa means no records.", AllowMultipleArgumentsPerToken = false };
        var crlAll = new Option<bool>("--crl-check-all") { Description = "With --crl: every certificate below the anchor needs an applicable CRL (like openssl verify -crl_check_all)." };
        var cmd = new Command("verify", "Validate a presented certificate chain against the trust store and a rule profile (exit 0 compliant, 1 not, 2 unusable input).")
        {
            chain, nexthop, mx, level, match, profile, roots, ev, at, crl, crlAll, warnDays, tlsa,
        };
        var format = FormatOption.AddTo(cmd, sarif: true);
        cmd.SetAction(r => format.TryGet(r, "certpolicy verify", stderr, out var fmt)
            ? Run(
                new Args(r.GetValue(chain)!, r.GetValue(nexthop)!, r.GetValue(mx), r.GetValue(level), r.GetValue(match), r.GetValue(profile), r.GetValue(roots), r.GetValue(ev) ?? [], r.GetValue(at), fmt, r.GetValue(crl) ?? [], r.GetValue(crlAll), r.GetValue(warnDays), r.GetValue(tlsa) ?? []),
                stdout,
                stderr)
            : ExitCodes.Unusable);
        root.Subcommands.Add(cmd);

        // The x509-limbo runner exercises the same validator; registered here to keep CliApp to one line per area.
        ConformanceCommand.Add(root, stdout, stderr);
    }

    private sealed record Args(string Chain, string NextHop, string? Mx, string? Level, string? Match, string? Profile, string? Roots, string[] EvPolicies, string? At, OutputFormat Format, string[] Crls, bool CrlCheckAll, int WarnDays, string[] Tlsa);

    private static int Run(Args a, TextWriter stdout, TextWriter stderr)
    {
        ValidationProfile? profile = ValidationProfile.Partner2026;
        if (a.Profile is not null && !ValidationProfile.TryGet(a.Profile, out profile))
        {
            stderr.WriteLine("certpolicy verify: --profile: '" + a.Profile + "' is not postfix-secure, document-2019 or partner-2026");
            return ExitCodes.Unusable;
        }

        if (a.NextHop.Length == 0 || a.NextHop.StartsWith('[') || a.NextHop.Contains(':', StringComparison.Ordinal))
        {
            stderr.WriteLine("certpolicy verify: --nexthop: give the next-hop domain without brackets or port (got \"" + a.NextHop + "\")");
            return ExitCodes.Unusable;
        }

        var securityLevel = a.Tlsa.Length > 0 ? SecurityLevel.Dane : SecurityLevel.Secure;
        if (a.Level is not null && (!SecurityLevels.TryParse(a.Level, out securityLevel) || !(securityLevel.IsPkix() || securityLevel is SecurityLevel.Dane or SecurityLevel.DaneOnly)))
        {
            stderr.WriteLine("certpolicy verify: --level: '" + a.Level + "' must be verify, secure, dane or dane-only (the levels that check certificates)");
            return ExitCodes.Unusable;
        }

        bool daneLevel = securityLevel is SecurityLevel.Dane or SecurityLevel.DaneOnly;
        if (a.Tlsa.Length > 0 && !daneLevel)
        {
            stderr.WriteLine("certpolicy verify: --tlsa needs --level dane or dane-only");
            return ExitCodes.Unusable;
        }

        if (daneLevel && a.Match is not null)
        {
            stderr.WriteLine("certpolicy verify: --match: attribute \"match\" invalid at security level \"" + securityLevel.ToPostfixName() + "\" (the DANE names are fixed: the MX host and the next-hop domain)");
            return ExitCodes.Unusable;
        }

        var records = new List<TlsaRecord>(a.Tlsa.Length);
        foreach (var text in a.Tlsa)
        {
            if (!TlsaRecord.TryParse(text, out var record, out var tlsaError))
            {
                stderr.WriteLine("certpolicy verify: --tlsa '" + text + "': " + tlsaError);
                return ExitCodes.Unusable;
            }

            records.Add(record!);
        }

        if (a.Match is not null && a.Level is null)
        {
            stderr.WriteLine("certpolicy verify: --match needs --level");
            return ExitCodes.Unusable;
        }

        MatchList? list = daneLevel ? DaneMatcher.TaNames : MatchList.DefaultFor(securityLevel);
        if (a.Match is not null && !MatchList.TryParse(a.Match, out list, out var matchError))
        {
            stderr.WriteLine("certpolicy verify: --match: " + matchError);
            return ExitCodes.Unusable;
        }

        if (list!.Elements.Any(e => e.Kind == MatchElementKind.HostName) && string.IsNullOrEmpty(a.Mx))
        {
            stderr.WriteLine(daneLevel
                ? "certpolicy verify: level " + securityLevel.ToPostfixName() + " needs --mx (the MX host name: the TLSA base domain)"
                : "certpolicy verify: the hostname strategy needs --mx (the MX host name)");
            return ExitCodes.Unusable;
        }

        DateTimeOffset time;
        if (!CliTime.TryParseOrNow(a.At, out time))
        {
            stderr.WriteLine("certpolicy verify: --at: '" + a.At + "' is not an ISO 8601 date/time");
            return ExitCodes.Unusable;
        }

        if (!CliTrust.TryLoad("certpolicy verify", a.Roots, a.EvPolicies, time, stderr, out var store))
        {
            return ExitCodes.Unusable;
        }

        if (!CliFiles.TryReadCertificates(a.Chain, CertificateChainReader.MaxCertificates, out var chainDers, out var chainError))
        {
            stderr.WriteLine(chainError);
            return ExitCodes.Unusable;
        }

        if (a.WarnDays is < 0 or > ExpiryHorizons.MaxDays)
        {
            stderr.WriteLine("certpolicy verify: --warn-days: expected 0 to 3650 days");
            return ExitCodes.Unusable;
        }

        if (a.CrlCheckAll && a.Crls.Length == 0)
        {
            stderr.WriteLine("certpolicy verify: --crl-check-all needs --crl");
            return ExitCodes.Unusable;
        }

        var crls = new List<ReadOnlyMemory<byte>>();
        foreach (var file in a.Crls)
        {
            if (!CliFiles.TryReadBytes(file, out var crlBytes, out var crlError))
            {
                stderr.WriteLine(crlError);
                return ExitCodes.Unusable;
            }

            if (!CertPolicy.X509.CrlReader.TryRead(crlBytes, out var ders, out var why))
            {
                stderr.WriteLine(file + ": " + why);
                return ExitCodes.Unusable;
            }

            crls.AddRange(ders.Select(d => new ReadOnlyMemory<byte>(d)));
        }

        // The one pipeline (CompiledPolicy): the level and match list are the next hop's policy, as in a tls_policy entry.
        string policyText = securityLevel.ToPostfixName() + (a.Match is null ? string.Empty : " match=" + a.Match);
        if (!TlsPolicy.TryParse(policyText, out var tlsPolicy, out var policyError))
        {
            stderr.WriteLine("certpolicy verify: --match: " + policyError.Message);
            return ExitCodes.Unusable;
        }

        var compiled = new CompiledPolicy([], new ChainValidator(store), new CompiledPolicyOptions
        {
            CacheSize = 1,
            Profile = profile!,
            DefaultPolicy = tlsPolicy,
            Crls = crls,
            RequireCrlForEveryCertificate = a.CrlCheckAll,
        });
        var chain = new List<ReadOnlyMemory<byte>>(chainDers.Count);
        foreach (var d in chainDers)
        {
            chain.Add(d);
        }

        // --tlsa: the records are taken as DNSSEC-validated (given by the user, not looked up); none means no records.
        var dane = daneLevel ? DaneInput.WithRecords(records, secure: true, "_25._tcp." + a.Mx) : null;
        var connection = compiled.Explain(a.NextHop, a.Mx, chain, null, time, dane);
        if (connection.Certificate is { } checkedChain && (checkedChain.Verdict.Reasons & VerdictReasons.MalformedInput) != 0)
        {
            var f = checkedChain.Findings.First(x => x.Reason == VerdictReasons.MalformedInput);
            stderr.WriteLine(a.Chain + ": " + f.Message);
            return ExitCodes.Unusable;
        }

        var report = daneLevel ? DaneView(connection, profile!) : connection.Certificate!;

        // --warn-days: warnings only, the verdict and exit code stay as they are.
        var warnings = ExpiryHorizons.Find(store, chain, report.Chain, RootPurposes.TlsServer, time, a.WarnDays);
        if (a.Format == OutputFormat.Json)
        {
            WriteJson(stdout, report, warnings);
        }
        else if (a.Format == OutputFormat.Sarif)
        {
            WriteSarif(stdout, a.Chain, report, warnings);
        }
        else
        {
            WriteText(stdout, report, warnings);
        }

        return report.Verdict.IsCompliant ? ExitCodes.Ok : ExitCodes.Findings;
    }

    // At the DANE levels the certificate part may be absent (postfix-secure: the DANE match replaces the chain; a dane
    // that falls back to may/encrypt checks no certificate): the report shown is the certificate part, if any, plus the
    // DANE findings (dane.*), with the connection's verdict. A failed DANE finding carries the "untrusted" flag (the TLSA
    // records do not authenticate the server) so that it renders as an error like the chain's own findings.
    private static ValidationReport DaneView(ConnectionReport connection, ValidationProfile profile)
    {
        var findings = new List<Finding>();
        if (connection.Certificate is { } chainPart)
        {
            findings.AddRange(chainPart.Findings);
        }

        foreach (var f in connection.Findings)
        {
            if (f.Code.StartsWith("dane.", StringComparison.Ordinal))
            {
                findings.Add(f.Status == FindingStatus.Failed ? f with { Reason = VerdictReasons.UntrustedChain } : f);
            }
        }

        var verdict = new Verdict(connection.Verdict.IsCompliant ? VerdictReasons.None : VerdictReasons.UntrustedChain | (connection.Certificate?.Verdict.Reasons ?? VerdictReasons.None), connection.Certificate?.Verdict.Assurance ?? AssuranceLevel.None);
        return new ValidationReport(verdict, profile.Name, findings, connection.Certificate?.Chain ?? [], connection.Certificate?.MatchedName);
    }

    private static string AssuranceName(AssuranceLevel level) => level switch
    {
        AssuranceLevel.Ev => "ev",
        AssuranceLevel.Ov => "ov",
        AssuranceLevel.Iv => "iv",
        AssuranceLevel.Dv => "dv",
        _ => "unknown",
    };

    private static void WriteJson(TextWriter stdout, ValidationReport report, List<Finding> warnings) => Json.Write(stdout, w =>
    {
        w.WriteStartObject();
        w.WriteString("verdict", report.Verdict.IsCompliant ? "pass" : "fail");
        w.WriteString("profile", report.Profile);
        w.WriteString("assurance", AssuranceName(report.Verdict.Assurance));
        if (report.MatchedName is null)
        {
            w.WriteNull("matchedName");
        }
        else
        {
            w.WriteString("matchedName", report.MatchedName);
        }

        Json.WriteChain(w, report.Chain);
        w.WriteStartArray("findings");
        foreach (var f in report.Findings)
        {
            w.WriteStartObject();
            w.WriteString("code", f.Code);
            w.WriteString("rule", f.Rule);
            w.WriteNumber("depth", f.Depth);
            w.WriteString("severity", f.Reason == VerdictReasons.None ? "note" : "error");
            w.WriteString("message", f.Message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteWarnings(w, warnings);
        w.WriteEndObject();
    });

    // One SARIF result per finding: a finding without a reason flag is a note (it does not fail the verdict).
    private static void WriteSarif(TextWriter stdout, string chainPath, ValidationReport report, List<Finding> warnings)
    {
        var results = new List<SarifResult>();
        foreach (var f in report.Findings)
        {
            results.Add(new SarifResult(f.Rule, f.Reason == VerdictReasons.None ? "note" : "error", f.Message + " (depth " + f.Depth.ToString(CultureInfo.InvariantCulture) + ")", f.Code, chainPath));
        }

        foreach (var f in warnings)
        {
            results.Add(new SarifResult(f.Rule, "warning", f.Message + " (depth " + f.Depth.ToString(CultureInfo.InvariantCulture) + ")", f.Code, chainPath));
        }

        Sarif.Write(stdout, results);
    }

    // --warn-days (ExpiryHorizons): a "warnings" array beside "findings", same fields.
    private static void WriteWarnings(System.Text.Json.Utf8JsonWriter w, List<Finding> warnings)
    {
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
    }

    private static void WriteText(TextWriter stdout, ValidationReport report, List<Finding> warnings)
    {
        stdout.WriteLine("verdict: " + (report.Verdict.IsCompliant ? "pass" : "fail"));
        stdout.WriteLine("profile: " + report.Profile);
        stdout.WriteLine("assurance: " + AssuranceName(report.Verdict.Assurance));
        stdout.WriteLine("matched name: " + (report.MatchedName ?? "(none)"));
        stdout.WriteLine("chain:");
        foreach (var c in report.Chain)
        {
            stdout.WriteLine("  " + c.Depth.ToString(CultureInfo.InvariantCulture) + (c.IsAnchor ? " anchor " : " ") + c.Subject + " sha256=" + c.Sha256);
        }

        foreach (var f in report.Findings)
        {
            // A finding without a reason flag is a note (e.g. revocation.not-checked): it does not fail the verdict.
            stdout.WriteLine((f.Reason == VerdictReasons.None ? "note: " : string.Empty) + f.Rule + " " + f.Code + " (depth " + f.Depth.ToString(CultureInfo.InvariantCulture) + "): " + f.Message);
        }

        foreach (var f in warnings)
        {
            stdout.WriteLine("warning: " + f.Rule + " " + f.Code + " (depth " + f.Depth.ToString(CultureInfo.InvariantCulture) + "): " + f.Message);
        }
    }
}
