using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CertPolicy.Policy;
using CertPolicy.Service;

namespace CertPolicy.Benchmarks;

/// <summary>
/// Load test of the socketmap policy service (issue 15, <c>certpolicy serve</c>): the server in this process on
/// 127.0.0.1, N client threads each with one persistent connection sending one request at a time (as Postfix's
/// smtp(8) does), half the keys in the table, half not. Prints look-ups per second and latency percentiles. Not a
/// BenchmarkDotNet benchmark (a throughput and tail-latency figure under concurrency, not a mean per call); clients
/// and server share the machine's cores, so the figure is a floor for the server alone.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release -- socketmap-load [clients] [seconds] [entries]</c> (defaults 8, 10, 10000).</remarks>
internal static class SocketmapLoad
{
    internal static int Run(string[] args)
    {
        int clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        int entries = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;

        var table = new StringBuilder();
        for (int i = 0; i < entries; i++)
        {
            table.Append("partner").Append(i).Append(".example secure match=nexthop:dot-nexthop ciphers=high protocols=>=TLSv1.2\n");
        }

        var map = PolicyMap.Parse(table.ToString(), "bench").Map;
        using var stop = new CancellationTokenSource();
        using var server = SocketmapServer.Start(new IPEndPoint(IPAddress.Loopback, 0), new PolicyLookupHandler("tls_policy", map), new SocketmapServerOptions { MaxClients = clients + 1 });
        var serving = server.RunAsync(stop.Token);
        int port = server.LocalEndpoint.Port;

        long warmupEnd = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 2;
        long end = warmupEnd + (long)(Stopwatch.Frequency * seconds);
        var latencies = new List<long>[clients];
        var threads = new Thread[clients];
        for (int c = 0; c < clients; c++)
        {
            int id = c;
            latencies[id] = new List<long>(1 << 20);
            threads[id] = new Thread(() => Client(id, port, entries, warmupEnd, end, latencies[id])) { IsBackground = true };
            threads[id].Start();
        }

        foreach (var t in threads)
        {
            t.Join();
        }

        stop.Cancel();
        serving.GetAwaiter().GetResult();

        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double P(double q) => Ms(all[Math.Min(all.Length - 1, (int)(q * all.Length))]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"socketmap load: {clients} clients, {entries} entries, {seconds} s measured after 2 s warm-up, {Environment.ProcessorCount} cores"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"look-ups: {all.Length}, {all.Length / seconds:F0}/s; latency p50 {P(0.50):F3} ms, p99 {P(0.99):F3} ms, p99.9 {P(0.999):F3} ms, max {Ms(all[^1]):F3} ms"));
        return 0;
    }

    private static void Client(int id, int port, int entries, long warmupEnd, long end, List<long> latencies)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, port);
        var random = new Random(id); // fixed seed per client
        var reply = new byte[4096];
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            if (start >= end)
            {
                return;
            }

            int n = random.Next(entries * 2); // half the keys are in the table
            var request = Netstring.Encode(Encoding.ASCII.GetBytes("tls_policy partner" + n.ToString(CultureInfo.InvariantCulture) + ".example"));
            socket.Send(request);
            int filled = 0;
            while (Netstring.TryRead(reply.AsSpan(0, filled), Netstring.MaxPayload, out _, out _) == NetstringStatus.NeedMore)
            {
                int got = socket.Receive(reply, filled, reply.Length - filled, SocketFlags.None);
                if (got == 0)
                {
                    throw new InvalidOperationException("server closed the connection");
                }

                filled += got;
            }

            long done = Stopwatch.GetTimestamp();
            if (start >= warmupEnd)
            {
                latencies.Add(done - start);
            }
        }
    }
}
