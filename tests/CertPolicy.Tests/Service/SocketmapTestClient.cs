using System.Net;
using System.Net.Sockets;
using CertPolicy.Policy;
using CertPolicy.Service;

namespace CertPolicy.Tests.Service;

/// <summary>A raw socketmap client for tests: sends any bytes, reads netstring replies with a timeout.</summary>
internal sealed class SocketmapTestClient : IDisposable
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private byte[] buffer = new byte[4096];
    private int filled;

    private SocketmapTestClient(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    internal static async Task<SocketmapTestClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tcp.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        return new SocketmapTestClient(tcp);
    }

    internal async Task SendAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await stream.WriteAsync(bytes, cts.Token);
    }

    internal Task SendRequestAsync(string payload) => SendAsync(Netstring.Encode(Encoding.UTF8.GetBytes(payload)));

    internal async Task<string?> LookupAsync(string payload)
    {
        await SendRequestAsync(payload);
        return await ReadReplyAsync();
    }

    /// <summary>The next reply payload, or null when the server closed the connection (EOF or reset) first.</summary>
    internal async Task<string?> ReadReplyAsync(double timeoutSeconds = 10)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        while (true)
        {
            var status = Netstring.TryRead(buffer.AsSpan(0, filled), Netstring.MaxPayload, out var payload, out int used);
            if (status == NetstringStatus.Complete)
            {
                string text = Encoding.UTF8.GetString(buffer.AsSpan(payload));
                buffer.AsSpan(used, filled - used).CopyTo(buffer);
                filled -= used;
                return text;
            }

            Assert.Equal(NetstringStatus.NeedMore, status);
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            int n;
            try
            {
                n = await stream.ReadAsync(buffer.AsMemory(filled), cts.Token);
            }
            catch (IOException ex) when (ex.InnerException is SocketException)
            {
                return null; // reset: closed with unread data
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no reply and no close within {timeoutSeconds} s");
                throw;
            }

            if (n == 0)
            {
                Assert.True(filled == 0, "the server closed inside a reply");
                return null;
            }

            filled += n;
        }
    }

    public void Dispose()
    {
        stream.Dispose();
        tcp.Dispose();
    }
}

/// <summary>A <see cref="SocketmapServer"/> on 127.0.0.1, any free port, answering from a table; stopped on dispose.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();

    internal RunningServer(string table, SocketmapServerOptions? options = null, ISocketmapHandler? handler = null, IEnumerable<IPolicySource>? others = null)
    {
        var parsed = PolicyMap.Parse(table, "tls_policy");
        Server = SocketmapServer.Start(new IPEndPoint(IPAddress.Loopback, 0), handler ?? new PolicyLookupHandler("tls_policy", parsed.Map, others), options, Log.Enqueue);
        Run = Server.RunAsync(stop.Token);
    }

    internal SocketmapServer Server { get; }

    internal Task Run { get; }

    internal int Port => Server.LocalEndpoint.Port;

    internal System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

    /// <summary>Cancels and waits (at most 10 s) for the server to end; fails the test if it does not.</summary>
    internal async Task StopAsync()
    {
        await stop.CancelAsync();
        var done = await Task.WhenAny(Run, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(done == Run, "the server did not stop within 10 s of cancellation");
        await Run; // rethrows if it faulted
    }

    public async ValueTask DisposeAsync()
    {
        if (!Run.IsCompleted)
        {
            await StopAsync();
        }

        Server.Dispose();
        stop.Dispose();
    }
}
