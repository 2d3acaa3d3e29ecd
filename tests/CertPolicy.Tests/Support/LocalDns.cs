using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CertPolicy.Dns;

namespace CertPolicy.Tests.Support;

/// <summary>One zone served by <see cref="LocalDns"/>.</summary>
/// <param name="Name">The origin, e.g. <c>example.test</c>.</param>
/// <param name="Records">The records (zone-file lines relative to the origin); SOA and NS are added.</param>
/// <param name="Signed">Signed with ldns-signzone and its DS made a trust anchor of unbound (secure); else unsigned (insecure).</param>
/// <param name="AfterSigning">Changes the signed zone text (to make an RRset bogus); null leaves it.</param>
internal sealed record LocalZone(string Name, string Records, bool Signed = true, Func<string, string>? AfterSigning = null);

/// <summary>
/// REAL DNS on loopback for the domain-level tests (issue 15): zones written to a temp directory, the signed ones signed
/// with ldnsutils (ECDSAP256SHA256 key from <c>ldns-keygen -k</c>, used as KSK and ZSK), served by a private <c>nsd</c>,
/// and a private validating <c>unbound</c> with their DS records as trust anchors. Both listen on 127.0.0.1 high ports,
/// run in the foreground from the temp directory and are killed on dispose (and at process exit). Nothing is a system
/// service; no query leaves 127.0.0.1 (unbound has <c>local-zone: "test." nodefault</c> and a stub for "." at nsd).
/// A tool that is missing fails the caller, naming the package (test.sh installs them).
/// </summary>
internal sealed class LocalDns : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];
    private readonly StringBuilder _log = new();
    private readonly EventHandler _onExit;

    /// <summary>Generates, signs and serves the zones; returns once unbound answers <paramref name="readyName"/> (SOA).</summary>
    /// <param name="zones">The zones.</param>
    /// <param name="lameStubs">Names delegated to nsd that nsd does not serve (SERVFAIL that is not DNSSEC).</param>
    /// <param name="readyName">A signed zone's name asked until it answers.</param>
    internal LocalDns(IReadOnlyList<LocalZone> zones, IReadOnlyList<string> lameStubs, string readyName)
    {
        string nsd = Tool.Require("nsd", "nsd");
        string unbound = Tool.Require("unbound", "unbound");
        string keygen = Tool.Require("ldns-keygen", "ldnsutils");
        string signzone = Tool.Require("ldns-signzone", "ldnsutils");
        _onExit = (_, _) => Stop();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
        try
        {
            string d = _dir.Path;
            var anchors = new StringBuilder();
            foreach (var zone in zones)
            {
                _dir.File(zone.Name + ".zone", Zone(zone.Name, zone.Records));
                if (!zone.Signed)
                {
                    File.Copy(Path.Combine(d, zone.Name + ".zone"), Path.Combine(d, zone.Name + ".signed"));
                    continue;
                }

                var (kexit, key, kerr) = Tool.Run(keygen, ["-a", "ECDSAP256SHA256", "-k", zone.Name], workingDirectory: d, timeoutMs: 30_000, package: "ldnsutils");
                Assert.True(kexit == 0, "ldns-keygen " + zone.Name + ": " + kerr);
                key = key.Trim();
                var (sexit, _, serr) = Tool.Run(signzone, ["-o", zone.Name + ".", "-f", zone.Name + ".signed", zone.Name + ".zone", key], workingDirectory: d, timeoutMs: 30_000, package: "ldnsutils");
                Assert.True(sexit == 0, "ldns-signzone " + zone.Name + ": " + serr);
                anchors.Append(File.ReadAllText(Path.Combine(d, key + ".ds")));
                if (zone.AfterSigning is { } change)
                {
                    string signed = Path.Combine(d, zone.Name + ".signed");
                    File.WriteAllText(signed, change(File.ReadAllText(signed)));
                }
            }

            _dir.File("anchors", anchors.ToString());

            int nsdPort = FreePort();
            Authoritative = new IPEndPoint(IPAddress.Loopback, nsdPort);
            var nsdConf = new StringBuilder($"""
                server:
                  ip-address: 127.0.0.1@{nsdPort}
                  port: {nsdPort}
                  username: ""
                  chroot: ""
                  zonesdir: "{d}"
                  database: ""
                  pidfile: "{d}/nsd.pid"
                  xfrdfile: "{d}/xfrd.state"
                  xfrdir: "{d}"
                  zonelistfile: "{d}/zone.list"
                  logfile: "{d}/nsd.log"
                  server-count: 1
                  reuseport: no
                  verbosity: 1
                remote-control:
                  control-enable: no

                """);
            foreach (var zone in zones)
            {
                nsdConf.Append(CultureInfo.InvariantCulture, $"zone:\n  name: {zone.Name}\n  zonefile: {zone.Name}.signed\n");
            }

            _dir.File("nsd.conf", nsdConf.ToString());
            Start(nsd, ["-d", "-c", Path.Combine(d, "nsd.conf")]);

            int unboundPort = FreePort();
            Resolver = new IPEndPoint(IPAddress.Loopback, unboundPort);
            var unboundConf = new StringBuilder($"""
                server:
                  interface: 127.0.0.1@{unboundPort}
                  port: {unboundPort}
                  username: ""
                  chroot: ""
                  directory: "{d}"
                  pidfile: "{d}/unbound.pid"
                  use-syslog: no
                  logfile: "{d}/unbound.log"
                  do-daemonize: no
                  verbosity: 1
                  num-threads: 1
                  so-reuseport: no
                  do-not-query-localhost: no
                  module-config: "validator iterator"
                  val-permissive-mode: no
                  trust-anchor-file: "{d}/anchors"
                  local-zone: "test." nodefault
                remote-control:
                  control-enable: no
                stub-zone:
                  name: "."
                  stub-addr: 127.0.0.1@{nsdPort}

                """);
            foreach (var name in zones.Select(z => z.Name).Concat(lameStubs))
            {
                unboundConf.Append(CultureInfo.InvariantCulture, $"stub-zone:\n  name: \"{name}\"\n  stub-addr: 127.0.0.1@{nsdPort}\n");
            }

            _dir.File("unbound.conf", unboundConf.ToString());
            Start(unbound, ["-d", "-c", Path.Combine(d, "unbound.conf")]);

            // Ready when nsd serves the zone and unbound answers through it (a few hundred ms; at most 15 s).
            var deadline = Stopwatch.StartNew();
            foreach (var server in new[] { Authoritative, Resolver })
            {
                while (CheckingDisabledProbe.QueryRcodeAsync(server, readyName, 6, TimeSpan.FromMilliseconds(250), 0, CancellationToken.None).GetAwaiter().GetResult() != 0)
                {
                    foreach (var p in _processes)
                    {
                        Assert.False(p.HasExited, Path.GetFileName(p.StartInfo.FileName) + " exited: " + Diagnostics());
                    }

                    Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), server + " does not answer for " + readyName + ": " + Diagnostics());
                    Thread.Sleep(50);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>unbound, the validating resolver.</summary>
    internal IPEndPoint Resolver { get; } = new(IPAddress.Loopback, 0);

    /// <summary>nsd, the authoritative server (answers without AD: it does not validate).</summary>
    internal IPEndPoint Authoritative { get; } = new(IPAddress.Loopback, 0);

    /// <summary>The processes' output and logs, for a failure message.</summary>
    internal string Diagnostics()
    {
        var s = new StringBuilder();
        lock (_log)
        {
            s.Append(_log);
        }

        foreach (var name in new[] { "nsd.log", "unbound.log" })
        {
            string p = Path.Combine(_dir.Path, name);
            if (File.Exists(p))
            {
                s.Append('\n').Append(name).Append(":\n").Append(File.ReadAllText(p));
            }
        }

        return s.ToString();
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        Stop();
        _dir.Dispose();
    }

    private void Stop()
    {
        lock (_processes)
        {
            foreach (var p in _processes)
            {
                try
                {
                    if (!p.HasExited)
                    {
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit(5_000);
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // already gone
                }

                p.Dispose();
            }

            _processes.Clear();
        }
    }

    private void Start(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException(file + " did not start");
        DataReceivedEventHandler keep = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_log)
                {
                    _log.Append(Path.GetFileName(file)).Append(": ").AppendLine(e.Data);
                }
            }
        };
        p.OutputDataReceived += keep;
        p.ErrorDataReceived += keep;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        lock (_processes)
        {
            _processes.Add(p);
        }
    }

    private static string Zone(string origin, string records) =>
        $"$ORIGIN {origin}.\n$TTL 300\n@ SOA ns1.{origin}. hostmaster.{origin}. 1 3600 600 86400 300\n@ NS ns1.{origin}.\nns1 A 127.0.0.1\n{records}\n";

    // A port free for both UDP and TCP on 127.0.0.1 (the servers need both); tried a few times against races.
    private static int FreePort()
    {
        for (int i = 0; i < 20; i++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken for UDP: another one
            }
        }

        Assert.Fail("no free port on 127.0.0.1 for both UDP and TCP");
        return 0;
    }
}
