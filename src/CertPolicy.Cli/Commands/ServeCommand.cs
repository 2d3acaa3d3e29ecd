using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Cli.Output;
using CertPolicy.Dns;
using CertPolicy.MtaSts;
using CertPolicy.Policy;
using CertPolicy.Service;
using CertPolicy.X509;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy serve --socketmap ADDR:PORT --policy FILE</c>: answers Postfix <c>socketmap:inet:ADDR:PORT:tls_policy</c>
/// look-ups (issue 15, item 5) from a tls_policy table, until SIGINT or SIGTERM. Parses arguments, loads the table,
/// runs <see cref="SocketmapServer"/>.
/// </summary>
internal static class ServeCommand
{
    private const string Me = "certpolicy serve";

    /// <summary>What <c>serve</c> was asked to do, once the arguments are checked.</summary>
    internal sealed record Settings(IPEndPoint Endpoint, string PolicyPath, string MapName, int MaxClients, TimeSpan Timeout)
    {
        /// <summary>The output format of the start report (text: stderr lines only; json: one document on <see cref="Stdout"/>).</summary>
        public OutputFormat Format { get; init; } = OutputFormat.Text;

        /// <summary>Where the JSON start report goes (null: nowhere).</summary>
        public TextWriter? Stdout { get; init; }

        /// <summary>MTA-STS merged in (<c>--mta-sts</c>), or null for the table alone.</summary>
        public MtaStsSettings? MtaSts { get; init; }
    }

    /// <summary>
    /// <c>--mta-sts</c> and its options: the resolver (<c>--dns</c>; null: the system's), where the HTTPS fetch connects
    /// (<c>--mta-sts-connect</c>, lab and tests; null: mta-sts.DOMAIN resolved), extra roots for the HTTPS certificate
    /// (<c>--mta-sts-roots</c>; null: the system store), and how long a look-up waits for a fetch (<c>--mta-sts-wait</c>).
    /// </summary>
    internal sealed record MtaStsSettings(IPEndPoint? Dns, IPEndPoint? Connect, string? RootsPath, TimeSpan Budget);

    // The MTA-STS source of a run (R-D2), its roots loaded from --mta-sts-roots (validated by --check too).
    private static bool TryCreateMtaSts(MtaStsSettings settings, TextWriter stderr, Action<string>? log, out MtaStsPolicySource? source, out X509Certificate2Collection? roots)
    {
        source = null;
        roots = null;
        if (settings.RootsPath is { } path && !CliFiles.TryReadPlatformRoots(path, out roots, out string rootsError))
        {
            stderr.WriteLine(rootsError);
            return false;
        }

        var resolver = new DomainResolver(new DomainResolverOptions { Server = settings.Dns });
        var txt = MtaStsPolicySource.TxtLookupOver(resolver);
        var fetchOptions = new MtaStsFetchOptions { TxtLookup = txt, Endpoint = settings.Connect, CustomRoots = roots, Timeout = TimeSpan.FromSeconds(30) };
        source = new MtaStsPolicySource(
            new MtaStsSourceOptions { LookupBudget = settings.Budget },
            (domain, ct) => MtaStsFetcher.FetchAsync(domain, fetchOptions, ct),
            txt,
            log: log);
        return true;
    }

    private static string DescribeMtaSts(MtaStsSettings m) =>
        "MTA-STS merged in (R-D2, the stricter applies: an enforce policy raises a missing or weaker entry to secure with its mx patterns; verify, secure, fingerprint and dane entries are kept), DNS "
        + (m.Dns?.ToString() ?? "the system resolver") + (m.Connect is null ? string.Empty : ", HTTPS fetches to " + m.Connect)
        + ", a look-up waits at most " + m.Budget.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s for a fetch, then answers from the table alone";

    /// <summary>
    /// <c>--check</c>: the table as it would be served, without listening. Text: one line on stdout and the invalid
    /// entries on stderr; JSON: the start report with <c>listening</c> null. Exit 0, 1 (invalid entries) or 2.
    /// </summary>
    internal static int Check(Settings settings, TextWriter stderr)
    {
        if (!TryLoadServable(settings, stderr, out var parsed))
        {
            return ExitCodes.Unusable;
        }

        if (settings.MtaSts is { } m)
        {
            if (!TryCreateMtaSts(m, stderr, null, out _, out var roots))
            {
                return ExitCodes.Unusable;
            }

            DisposeAll(roots);
        }

        int invalid = CountInvalid(parsed);
        if (settings.Format == OutputFormat.Json)
        {
            WriteReport(settings, parsed, listening: null);
        }
        else
        {
            settings.Stdout?.WriteLine($"{settings.PolicyPath}: {parsed.Map.Count.ToString(CultureInfo.InvariantCulture)} entries would be served as map '{settings.MapName}'"
                + (invalid == 0 ? string.Empty : $"; {invalid.ToString(CultureInfo.InvariantCulture)} invalid, answered TEMP (Postfix defers mail for them)"));
            if (settings.MtaSts is { } mtaSts)
            {
                settings.Stdout?.WriteLine(DescribeMtaSts(mtaSts));
            }
        }

        return invalid == 0 ? ExitCodes.Ok : ExitCodes.Findings;
    }

    // Loads the table; refuses one that cannot be served (an entry Postfix reads that we could not read: NOTFOUND could
    // be a wrong answer). Invalid entries are listed on stderr: they are served as TEMP.
    private static bool TryLoadServable(Settings settings, TextWriter stderr, out PolicyParseResult parsed)
    {
        if (!PolicyCommands.TryLoad(settings.PolicyPath, stderr, out parsed))
        {
            return false;
        }

        if (parsed.IsIncomplete || (parsed.Map.Count == 0 && parsed.HasErrors))
        {
            PolicyCommands.PrintErrors(parsed, stderr);
            return false;
        }

        foreach (var d in parsed.Diagnostics)
        {
            if (d.Severity == DiagnosticSeverity.Error)
            {
                stderr.WriteLine(d.ToString() + " (served as TEMP: Postfix defers mail for this key)");
            }
        }

        return true;
    }

    private static int CountInvalid(PolicyParseResult parsed)
    {
        int n = 0;
        foreach (var e in parsed.Map.Entries)
        {
            if (e.Policy is null)
            {
                n++;
            }
        }

        return n;
    }

    // The start report (docs/schemas/serve.schema.json): what is served, the invalid entries, where it listens.
    private static void WriteReport(Settings settings, PolicyParseResult parsed, string? listening)
    {
        if (settings.Stdout is not { } stdout)
        {
            return;
        }

        Json.Write(stdout, w =>
        {
            w.WriteStartObject();
            w.WriteString("table", settings.PolicyPath);
            w.WriteString("mapName", settings.MapName);
            w.WriteNumber("entries", parsed.Map.Count);
            w.WriteStartArray("invalidEntries");
            foreach (var d in parsed.Diagnostics)
            {
                if (d.Severity == DiagnosticSeverity.Error)
                {
                    w.WriteStartObject();
                    w.WriteNumber("line", d.Line);
                    w.WriteNumber("column", d.Column);
                    w.WriteString("code", d.Code);
                    w.WriteString("message", d.Message);
                    w.WriteString("answer", "TEMP");
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            if (settings.MtaSts is { } m)
            {
                w.WriteStartObject("mtaSts");
                w.WriteString("rule", "R-D2");
                w.WriteString("merge", "stricter");
                WriteEndpoint(w, "dns", m.Dns);
                WriteEndpoint(w, "connect", m.Connect);
                if (m.RootsPath is null)
                {
                    w.WriteNull("roots");
                }
                else
                {
                    w.WriteString("roots", m.RootsPath);
                }

                w.WriteNumber("lookupBudgetSeconds", m.Budget.TotalSeconds);
                w.WriteString("whenPending", "table");
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("mtaSts");
            }

            if (listening is null)
            {
                w.WriteNull("listening");
            }
            else
            {
                w.WriteString("listening", listening);
            }

            w.WriteEndObject();
        });
        stdout.Flush();
    }

    private static void WriteEndpoint(System.Text.Json.Utf8JsonWriter w, string name, IPEndPoint? endpoint)
    {
        if (endpoint is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, endpoint.ToString());
        }
    }

    private static void DisposeAll(X509Certificate2Collection? roots)
    {
        foreach (var c in roots ?? [])
        {
            c.Dispose();
        }
    }

    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var socketmap = new Option<string>("--socketmap")
        {
            Description = "ADDR:PORT to listen on, an IP address (127.0.0.1:10099, [::1]:10099; port 0: any free port, printed on start). The socketmap protocol has no authentication: use a loopback address.",
            Required = true,
        };
        var policy = new Option<string>("--policy") { Description = "The tls_policy table source (postmap input format) to answer from.", Required = true };
        var mapName = new Option<string>("--map-name") { Description = "The socketmap name served, the last field of socketmap:inet:ADDR:PORT:NAME (default tls_policy).", DefaultValueFactory = _ => PolicyLookupHandler.DefaultMapName };
        var maxClients = new Option<int>("--max-clients") { Description = "Connections served at once; more are closed unread (default 64).", DefaultValueFactory = _ => SocketmapServerOptions.DefaultMaxClients };
        var timeout = new Option<double>("--timeout") { Description = "Seconds a connection may take to send one whole request (idle time included) and to take its reply (default 60).", DefaultValueFactory = _ => SocketmapServerOptions.DefaultTimeout.TotalSeconds };
        var mtaSts = new Option<bool>("--mta-sts") { Description = "Merge each domain's MTA-STS policy (RFC 8461) into the answers: the stricter of the table entry and the policy applies (R-D2); docs/mta-sts-merge.md." };
        var dns = new Option<string?>("--dns") { Description = "With --mta-sts: the DNS resolver ADDR:PORT for the _mta-sts TXT look-ups (default: the system resolver)." };
        var mtaStsConnect = new Option<string?>("--mta-sts-connect") { Description = "With --mta-sts (lab and tests): connect every policy fetch to ADDR:PORT instead of mta-sts.DOMAIN (the certificate must still name mta-sts.DOMAIN)." };
        var mtaStsRoots = new Option<string?>("--mta-sts-roots") { Description = "With --mta-sts (lab and tests): PEM file of roots trusted for the policy server's certificate instead of the system store." };
        var mtaStsWait = new Option<double>("--mta-sts-wait") { Description = "With --mta-sts: seconds a look-up waits for a policy fetch in progress before it answers from the table alone (default 2; the fetch goes on for later look-ups).", DefaultValueFactory = _ => MtaStsSourceOptions.DefaultLookupBudget.TotalSeconds };
        var check = new Option<bool>("--check") { Description = "Load the table, report what would be served (entries, invalid entries answered TEMP) and exit without listening: 0 every entry valid, 1 invalid entries, 2 unusable." };
        var cmd = new Command("serve", "Answer Postfix smtp_tls_policy_maps = socketmap:inet:ADDR:PORT:tls_policy look-ups from a tls_policy table, as postmap -q answers them (smtp(8) walks the parent domains itself). Prints 'listening on ADDR:PORT' to stderr (with --format json, also a start report on stdout); runs until SIGINT or SIGTERM, then exits 0. Exit 2: unusable arguments or table, or the address cannot be bound.")
        {
            socketmap, policy, mapName, maxClients, timeout, check, mtaSts, dns, mtaStsConnect, mtaStsRoots, mtaStsWait,
        };
        var format = FormatOption.AddTo(cmd, sarif: false);
        cmd.SetAction(r =>
        {
            if (!format.TryGet(r, Me, stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            if (!TryGetSettings(r.GetValue(socketmap)!, r.GetValue(policy)!, r.GetValue(mapName)!, r.GetValue(maxClients), r.GetValue(timeout), stderr, out var settings))
            {
                return ExitCodes.Unusable;
            }

            if (!TryGetMtaSts(r.GetValue(mtaSts), r.GetValue(dns), r.GetValue(mtaStsConnect), r.GetValue(mtaStsRoots), r.GetValue(mtaStsWait), r.GetResult(mtaStsWait) is { Implicit: false }, stderr, out var mtaStsSettings))
            {
                return ExitCodes.Unusable;
            }

            settings = settings with { Format = fmt, Stdout = stdout, MtaSts = mtaStsSettings };
            if (r.GetValue(check))
            {
                return Check(settings, stderr);
            }

            // SIGINT (Ctrl-C) and SIGTERM (systemd, docker stop) end the service cleanly: exit 0.
            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            return Run(settings, stderr, stop.Token);

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        });
        root.Subcommands.Add(cmd);
    }

    /// <summary>Loads the table, listens, prints <c>listening on ADDR:PORT</c> and serves until <paramref name="stop"/>.</summary>
    internal static int Run(Settings settings, TextWriter stderr, CancellationToken stop)
    {
        // Invalid entries are served as TEMP (Postfix defers their mail, as it would with the table itself): said on stderr.
        if (!TryLoadServable(settings, stderr, out var parsed))
        {
            return ExitCodes.Unusable;
        }

        var log = TextWriter.Synchronized(stderr);
        Action<string> logLine = line => log.WriteLine(Me + ": " + line);
        MtaStsPolicySource? mtaSts = null;
        X509Certificate2Collection? roots = null;
        if (settings.MtaSts is { } m && !TryCreateMtaSts(m, stderr, logLine, out mtaSts, out roots))
        {
            return ExitCodes.Unusable;
        }

        try
        {
            return Serve(settings, parsed, mtaSts, log, logLine, stderr, stop);
        }
        finally
        {
            DisposeAll(roots);
        }
    }

    private static int Serve(Settings settings, PolicyParseResult parsed, MtaStsPolicySource? mtaSts, TextWriter log, Action<string> logLine, TextWriter stderr, CancellationToken stop)
    {
        var handler = new PolicyLookupHandler(settings.MapName, parsed.Map, mtaSts: mtaSts, log: logLine);
        var options = new SocketmapServerOptions { MaxClients = settings.MaxClients, Timeout = settings.Timeout };
        SocketmapServer server;
        try
        {
            server = SocketmapServer.Start(settings.Endpoint, handler, options, logLine);
        }
        catch (SocketException ex)
        {
            stderr.WriteLine($"{Me}: --socketmap {settings.Endpoint}: cannot listen: {ex.Message}");
            return ExitCodes.Unusable;
        }

        using (server)
        {
            log.WriteLine("listening on " + server.LocalEndpoint.ToString());
            if (settings.MtaSts is { } merged)
            {
                log.WriteLine(Me + ": " + DescribeMtaSts(merged));
            }

            log.Flush();
            if (settings.Format == OutputFormat.Json)
            {
                WriteReport(settings, parsed, server.LocalEndpoint.ToString());
            }

            server.RunAsync(stop).GetAwaiter().GetResult();
            log.WriteLine($"{Me}: stopped ({server.Requests.ToString(CultureInfo.InvariantCulture)} requests answered)");
        }

        return ExitCodes.Ok;
    }

    /// <summary>Checks the MTA-STS options: null settings without <c>--mta-sts</c> (its options alone are an error).</summary>
    internal static bool TryGetMtaSts(bool enabled, string? dns, string? connect, string? roots, double waitSeconds, bool waitGiven, TextWriter stderr, out MtaStsSettings? settings)
    {
        settings = null;
        if (!enabled)
        {
            string? stray = dns is not null ? "--dns" : connect is not null ? "--mta-sts-connect" : roots is not null ? "--mta-sts-roots" : waitGiven ? "--mta-sts-wait" : null;
            if (stray is not null)
            {
                stderr.WriteLine($"{Me}: {stray}: needs --mta-sts");
                return false;
            }

            return true;
        }

        IPEndPoint? dnsEndpoint = null;
        IPEndPoint? connectEndpoint = null;
        if (dns is not null && !TryParseEndpoint(dns, out dnsEndpoint))
        {
            stderr.WriteLine($"{Me}: --dns: expected ADDR:PORT with an IP address and a port (127.0.0.1:53), got \"{PolicyMap.Printable(dns)}\"");
            return false;
        }

        if (connect is not null && !TryParseEndpoint(connect, out connectEndpoint))
        {
            stderr.WriteLine($"{Me}: --mta-sts-connect: expected ADDR:PORT with an IP address and a port (127.0.0.1:8443), got \"{PolicyMap.Printable(connect)}\"");
            return false;
        }

        if (!(waitSeconds >= 0 && waitSeconds <= 60))
        {
            stderr.WriteLine($"{Me}: --mta-sts-wait: expected seconds in [0, 60]");
            return false;
        }

        settings = new MtaStsSettings(dnsEndpoint, connectEndpoint, roots, TimeSpan.FromSeconds(waitSeconds));
        return true;
    }

    /// <summary>Checks the arguments; each error is one line on <paramref name="stderr"/>.</summary>
    internal static bool TryGetSettings(string socketmap, string policy, string mapName, int maxClients, double timeoutSeconds, TextWriter stderr, out Settings settings)
    {
        settings = null!;
        if (!TryParseEndpoint(socketmap, out var endpoint))
        {
            stderr.WriteLine($"{Me}: --socketmap: expected ADDR:PORT with an IP address and a port (127.0.0.1:10099, [::1]:10099), got \"{PolicyMap.Printable(socketmap)}\"");
            return false;
        }

        // A Postfix socketmap name cannot hold ':' (dict_sockmap.c splits the endpoint at the last one) nor a space
        // (the request is "NAME KEY").
        if (mapName.Length == 0 || mapName.AsSpan().IndexOfAny(" :\t\r\n,") >= 0)
        {
            stderr.WriteLine($"{Me}: --map-name: expected a name without spaces, commas or colons, got \"{PolicyMap.Printable(mapName)}\"");
            return false;
        }

        if (maxClients is < 1 or > 10_000)
        {
            stderr.WriteLine($"{Me}: --max-clients: expected a number in [1, 10000]");
            return false;
        }

        if (!(timeoutSeconds > 0 && timeoutSeconds <= 3600))
        {
            stderr.WriteLine($"{Me}: --timeout: expected seconds in (0, 3600]");
            return false;
        }

        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            stderr.WriteLine($"{Me}: warning: --socketmap {endpoint}: not a loopback address; the socketmap protocol has no authentication, anyone who can connect can read the table");
        }

        settings = new Settings(endpoint, policy, mapName, maxClients, TimeSpan.FromSeconds(timeoutSeconds));
        return true;
    }

    // An IP literal with an explicit port: "127.0.0.1:10099", "[::1]:10099". No host names (no resolver here).
    private static bool TryParseEndpoint(string s, out IPEndPoint endpoint)
    {
        endpoint = null!;
        int colon = s.LastIndexOf(':');
        if (colon <= 0 || colon == s.Length - 1)
        {
            return false;
        }

        var host = s.AsSpan(0, colon);
        if (host.StartsWith('[') != host.EndsWith(']'))
        {
            return false;
        }

        if (host.StartsWith('['))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            return false; // IPv6 needs brackets around the address
        }

        if (!IPAddress.TryParse(host, out var address)
            || !int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port > IPEndPoint.MaxPort)
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}

