using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Dns;
using CertPolicy.Policy;
using CertPolicy.Scan;
using CertPolicy.Tls;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Cli.Commands;

/// <summary>The output formats of <c>certpolicy scan</c>: the common three plus one JSON object per line and CSV.</summary>
internal enum ScanFormat
{
    /// <summary>Lines a person reads, then a summary table.</summary>
    Text,

    /// <summary>One JSON document (docs/schemas/scan.schema.json).</summary>
    Json,

    /// <summary>One JSON object per domain and line (the <c>domains</c> items of the JSON document).</summary>
    Jsonl,

    /// <summary>SARIF 2.1.0: one result per failed (or not evaluated) finding.</summary>
    Sarif,

    /// <summary>RFC 4180 CSV: one row per gateway.</summary>
    Csv,
}

/// <summary>
/// <c>certpolicy scan DOMAIN...</c> (issue 15 item 4): every gateway of every domain, probed and evaluated with the
/// domain's policy entry, with DANE (R-D1) and MTA-STS (R-D2); see docs/scan.md.
/// </summary>
internal static class ScanCommand
{
    private const string Me = "certpolicy scan";

    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var domains = new Argument<string[]>("DOMAIN") { Description = "Domains to scan (recipient domains: their MX hosts are probed).", Arity = ArgumentArity.ZeroOrMore };
        var partners = new Option<string?>("--partners") { Description = "A file of domains, one per line; '#' starts a comment." };
        var fromPolicy = new Option<string?>("--from-policy") { Description = "Scan the domains of a Postfix tls_policy table (plain domain keys), each with its own entry." };
        var policy = new Option<string?>("--policy") { Description = "A tls_policy table: each domain is evaluated with its entry (no entry: may, the global default)." };
        var level = new Option<string?>("--level") { Description = "Security level for every domain, instead of a table (default: secure)." };
        var profile = new Option<string?>("--profile") { Description = "Floor profile: partner-2026 (default), document-2019, postfix-secure." };
        var parallel = new Option<int?>("--parallel") { Description = "At most N gateway probes at once, across all domains (default 8, at most 256)." };
        var shard = new Option<string?>("--shard") { Description = "K/N: scan only the domains of shard K of N (a stable hash of the name); shards are independent." };
        var dns = new Option<string?>("--dns") { Description = "The validating resolver to ask, ADDR[:PORT] (default: the system resolver). Its AD bit is the DNSSEC status." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds allowed for each DNS answer, connect, SMTP reply, TLS handshake and MTA-STS fetch (default 30)." };
        var roots = new Option<string?>("--roots") { Description = "PEM file of anchors that replaces the curated trust store (private PKIs, tests)." };
        var port = new Option<int?>("--port") { Description = "Lab and tests only: the SMTP port to probe instead of 25." };
        var stsConnect = new Option<string?>("--mta-sts-connect") { Description = "Lab and tests only: send every MTA-STS policy fetch to ADDR:PORT (the name checked stays mta-sts.DOMAIN)." };
        var stsRoots = new Option<string?>("--mta-sts-roots") { Description = "Lab and tests only: PEM file of roots for the MTA-STS HTTPS certificate instead of the system store." };
        var format = new Option<string?>("--format") { Description = "Output format: text (default), json, jsonl (one domain per line), sarif (SARIF 2.1.0) or csv (one row per gateway)." };
        var json = new Option<bool>("--json") { Description = "The same as --format json." };
        var cmd = new Command("scan", "Scan partner domains: every MX gateway probed with the domain's policy entry, with DANE and MTA-STS (exit 0 all compliant, 1 any not compliant, 2 unusable input, 3 could not evaluate: retry).")
        {
            domains, partners, fromPolicy, policy, level, profile, parallel, shard, dns, timeout, roots, port, stsConnect, stsRoots, format, json,
        };
        cmd.SetAction(r =>
        {
            if (!TryFormat(r.GetValue(format), r.GetValue(json), stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            var q = new Request(r.GetValue(domains) ?? [], r.GetValue(partners), r.GetValue(fromPolicy), r.GetValue(policy), r.GetValue(level), r.GetValue(profile), r.GetValue(parallel), r.GetValue(shard), r.GetValue(dns), r.GetValue(timeout), r.GetValue(roots), r.GetValue(port), r.GetValue(stsConnect), r.GetValue(stsRoots), fmt);
            return Run(q, stdout, stderr);
        });
        root.Subcommands.Add(cmd);
    }

    private sealed record Request(string[] Domains, string? Partners, string? FromPolicy, string? Policy, string? Level, string? Profile, int? Parallel, string? Shard, string? Dns, double? Timeout, string? Roots, int? Port, string? MtaStsConnect, string? MtaStsRoots, ScanFormat Format);

    internal static bool TryFormat(string? value, bool json, TextWriter stderr, out ScanFormat format)
    {
        format = ScanFormat.Text;
        switch (value)
        {
            case null:
                format = json ? ScanFormat.Json : ScanFormat.Text;
                return true;
            case "json":
                format = ScanFormat.Json;
                return true;
            case "text" or "jsonl" or "sarif" or "csv" when json:
                stderr.WriteLine(Me + ": --json and --format " + value + " contradict each other");
                return false;
            case "text":
                return true;
            case "jsonl":
                format = ScanFormat.Jsonl;
                return true;
            case "sarif":
                format = ScanFormat.Sarif;
                return true;
            case "csv":
                format = ScanFormat.Csv;
                return true;
            default:
                stderr.WriteLine(Me + ": --format: '" + value + "' is not text, json, jsonl, sarif or csv");
                return false;
        }
    }

    private static int Run(Request q, TextWriter stdout, TextWriter stderr)
    {
        if (!TryOptions(q, stderr, out var settings))
        {
            return ExitCodes.Unusable;
        }

        if (!TryDomains(q, stderr, out var requests, out var table, out string tableName))
        {
            return ExitCodes.Unusable;
        }

        int shardK = 0, shardN = 0;
        if (q.Shard is not null)
        {
            if (!ScanInput.TryParseShard(q.Shard, out shardK, out shardN))
            {
                stderr.WriteLine($"{Me}: --shard: expected K/N with 1 <= K <= N <= 65536 (got \"{q.Shard}\")");
                return ExitCodes.Unusable;
            }

            var mine = new List<DomainRequest>();
            foreach (var d in requests)
            {
                if (ScanInput.ShardOf(d.Domain, shardN) == shardK)
                {
                    mine.Add(d);
                }
            }

            requests = mine;
        }

        var now = DateTimeOffset.UtcNow; // the CLI owns the clock
        if (!CliTrust.TryLoad(Me, q.Roots, [], now, stderr, out var store))
        {
            return ExitCodes.Unusable;
        }

        X509Certificate2Collection? stsRoots = null;
        if (q.MtaStsRoots is not null && !CliFiles.TryReadPlatformRoots(q.MtaStsRoots, out stsRoots, out string rootsError))
        {
            stderr.WriteLine(rootsError);
            return ExitCodes.Unusable;
        }

        try
        {
            var resolver = new DomainResolver(new DomainResolverOptions { Server = settings.Dns, Timeout = settings.Timeout, Retries = 1 });
            var scanner = new DomainScanner(new DomainScanOptions
            {
                Resolver = resolver,
                Validator = new ChainValidator(store),
                Now = now,
                Table = table,
                TableName = tableName,
                DefaultPolicy = settings.Policy,
                DefaultPolicySource = settings.PolicySource,
                Floor = settings.Floor,
                Profile = settings.Profile,
                Port = q.Port ?? 25,
                Timeout = settings.Timeout,
                Parallel = q.Parallel ?? 8,
                MtaStsEndpoint = settings.MtaStsEndpoint,
                MtaStsRoots = stsRoots,
                MtaStsTimeout = settings.Timeout,
            });

            var progress = ScanProgress.Create(stderr, q.Format == ScanFormat.Text, requests.Count);
            var results = scanner.ScanAsync(requests, progress is null ? null : _ => progress.Step()).GetAwaiter().GetResult();
            progress?.Done();
            var shardInfo = shardN > 0 ? (shardK, shardN) : ((int, int)?)null;
            switch (q.Format)
            {
                case ScanFormat.Json:
                    ScanOutput.WriteJson(stdout, results, shardInfo);
                    break;
                case ScanFormat.Jsonl:
                    ScanOutput.WriteJsonl(stdout, results);
                    break;
                case ScanFormat.Sarif:
                    ScanOutput.WriteSarif(stdout, results);
                    break;
                case ScanFormat.Csv:
                    ScanOutput.WriteCsv(stdout, results);
                    break;
                default:
                    ScanOutput.WriteText(stdout, results, shardInfo);
                    break;
            }

            return ExitCode(results);
        }
        finally
        {
            if (stsRoots is not null)
            {
                foreach (var c in stsRoots)
                {
                    c.Dispose();
                }
            }
        }
    }

    /// <summary>0 all compliant, 1 any not compliant, 3 could not evaluate (nothing failed).</summary>
    internal static int ExitCode(IReadOnlyList<DomainResult> results)
    {
        bool failed = false, unknown = false;
        foreach (var r in results)
        {
            failed |= r.Verdict == ScanVerdict.NotCompliant;
            unknown |= r.Verdict == ScanVerdict.CouldNotEvaluate;
        }

        return failed ? ExitCodes.Findings : unknown ? ExitCodes.CouldNotEvaluate : ExitCodes.Ok;
    }

    private sealed record Settings(TlsPolicy? Policy, string PolicySource, TlsFloor Floor, ValidationProfile Profile, TimeSpan Timeout, IPEndPoint? Dns, IPEndPoint? MtaStsEndpoint);

    private static bool TryOptions(Request q, TextWriter stderr, out Settings settings)
    {
        settings = null!;
        if (q.Timeout is { } t && (double.IsNaN(t) || t <= 0 || t > 600))
        {
            stderr.WriteLine($"{Me}: --timeout: expected seconds in (0, 600]");
            return false;
        }

        if (q.Parallel is { } p && p is < 1 or > 256)
        {
            stderr.WriteLine($"{Me}: --parallel: expected 1 to 256");
            return false;
        }

        if (q.Port is { } port && port is < 1 or > 65535 or 465)
        {
            stderr.WriteLine($"{Me}: --port: expected 1 to 65535, not 465 (implicit TLS is not used between gateways, R-T1)");
            return false;
        }

        var floor = TlsFloor.Partner2026;
        var vp = ValidationProfile.Partner2026;
        if (q.Profile is not null && (!TlsFloor.TryGetProfile(q.Profile, out floor) || !ValidationProfile.TryGet(q.Profile, out vp)))
        {
            stderr.WriteLine($"{Me}: --profile: unknown profile '{q.Profile}' ({string.Join(", ", TlsFloor.ProfileNames)})");
            return false;
        }

        IPEndPoint? dns = null;
        if (q.Dns is not null && !TryEndpoint(q.Dns, 53, out dns))
        {
            stderr.WriteLine($"{Me}: --dns: expected ADDR[:PORT] with an IP address (got \"{q.Dns}\")");
            return false;
        }

        IPEndPoint? sts = null;
        if (q.MtaStsConnect is not null && !TryEndpoint(q.MtaStsConnect, 443, out sts))
        {
            stderr.WriteLine($"{Me}: --mta-sts-connect: expected ADDR[:PORT] with an IP address (got \"{q.MtaStsConnect}\")");
            return false;
        }

        int given = (q.Policy is null ? 0 : 1) + (q.Level is null ? 0 : 1) + (q.FromPolicy is null ? 0 : 1);
        if (given > 1)
        {
            stderr.WriteLine($"{Me}: give one of --policy, --level and --from-policy");
            return false;
        }

        TlsPolicy? policy = null;
        string source = "default level secure (R-T6)";
        if (q.Level is not null)
        {
            if (!SecurityLevels.TryParse(q.Level, out _) || !TlsPolicy.TryParse(q.Level, out policy, out var error))
            {
                stderr.WriteLine($"{Me}: --level: invalid security level \"{q.Level}\"");
                return false;
            }

            _ = error;
            source = "--level";
        }

        settings = new Settings(policy, source, floor!, vp!, TimeSpan.FromSeconds(q.Timeout ?? 30), dns, sts);
        return true;
    }

    private static bool TryDomains(Request q, TextWriter stderr, out List<DomainRequest> requests, out PolicyMap? table, out string tableName)
    {
        requests = [];
        table = null;
        tableName = "tls_policy";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in q.Domains)
        {
            if (!ScanInput.TryDomain(d, out var domain, out _, out var why))
            {
                stderr.WriteLine($"{Me}: DOMAIN \"{d}\": {why}");
                return false;
            }

            if (seen.Add(domain))
            {
                requests.Add(new DomainRequest(domain));
            }
        }

        if (q.Partners is not null)
        {
            if (!CliFiles.TryReadText(q.Partners, out var text, out var readError))
            {
                stderr.WriteLine(readError);
                return false;
            }

            if (!ScanInput.TryReadPartners(text, out var list, out var error))
            {
                stderr.WriteLine($"{q.Partners}:{error.Line.ToString(CultureInfo.InvariantCulture)}:{error.Column.ToString(CultureInfo.InvariantCulture)}: {error.Message}");
                return false;
            }

            foreach (var domain in list)
            {
                if (seen.Add(domain))
                {
                    requests.Add(new DomainRequest(domain));
                }
            }
        }

        foreach (var file in new[] { q.Policy, q.FromPolicy })
        {
            if (file is null)
            {
                continue;
            }

            if (!CliFiles.TryReadText(file, out var text, out var readError, keepBom: true))
            {
                stderr.WriteLine(readError);
                return false;
            }

            var parsed = PolicyMap.Parse(text, file);
            if (parsed.HasErrors)
            {
                foreach (var diagnostic in parsed.Diagnostics)
                {
                    if (diagnostic.Severity == DiagnosticSeverity.Error)
                    {
                        stderr.WriteLine(diagnostic.ToString());
                    }
                }

                return false;
            }

            if (ReferenceEquals(file, q.Policy))
            {
                table = parsed.Map;
                tableName = file;
            }
            else
            {
                var fromTable = ScanInput.FromPolicy(parsed.Map, file, out var skipped);
                foreach (var r in fromTable)
                {
                    if (seen.Add(r.Domain))
                    {
                        requests.Add(r);
                    }
                    else
                    {
                        // Named on the command line or in --partners too: the table's entry applies.
                        int i = requests.FindIndex(x => x.Domain == r.Domain);
                        requests[i] = r;
                    }
                }

                if (skipped.Count > 0)
                {
                    stderr.WriteLine($"{Me}: {file}: {skipped.Count.ToString(CultureInfo.InvariantCulture)} key(s) that are not plain domains skipped (.parent, [host]:port, host:port): {string.Join(", ", skipped.Take(5))}{(skipped.Count > 5 ? ", ..." : string.Empty)}");
                }
            }
        }

        if (requests.Count == 0)
        {
            stderr.WriteLine($"{Me}: no domain to scan: give DOMAIN arguments, --partners FILE or --from-policy TABLE");
            return false;
        }

        return true;
    }

    /// <summary>ADDR, ADDR:PORT, [IPv6] or [IPv6]:PORT, with an IP address.</summary>
    internal static bool TryEndpoint(string text, int defaultPort, out IPEndPoint? endpoint)
    {
        endpoint = null;
        string host = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                return false;
            }

            host = text[1..close];
            portText = close + 1 < text.Length ? text[(close + 2)..] : null;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        int port = defaultPort;
        if (!IPAddress.TryParse(host, out var address)
            || (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)))
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}

/// <summary>A progress bar on stderr, only when stderr is the process's terminal and the output is text.</summary>
internal sealed class ScanProgress
{
    private readonly TextWriter _stderr;
    private readonly int _total;
    private readonly Lock _lock = new();
    private int _done;

    private ScanProgress(TextWriter stderr, int total)
    {
        _stderr = stderr;
        _total = total;
    }

    internal static ScanProgress? Create(TextWriter stderr, bool text, int total) =>
        text && total > 0 && ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected ? new ScanProgress(stderr, total) : null;

    internal void Step()
    {
        lock (_lock)
        {
            _done++;
            const int Width = 30;
            int filled = _done * Width / _total;
            _stderr.Write("\r[" + new string('#', filled) + new string('.', Width - filled) + "] "
                + _done.ToString(CultureInfo.InvariantCulture) + "/" + _total.ToString(CultureInfo.InvariantCulture) + " domains");
        }
    }

    internal void Done()
    {
        lock (_lock)
        {
            _stderr.Write("\r" + new string(' ', 60) + "\r");
        }
    }
}
