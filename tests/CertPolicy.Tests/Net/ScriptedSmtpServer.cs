using System.Net;
using System.Net.Sockets;

namespace CertPolicy.Tests.Net;

/// <summary>
/// A one-connection SMTP peer on 127.0.0.1 that answers from a script: a banner (or silence), then a reply
/// per command verb (or silence). For the protocol cases a real Postfix cannot be made to produce on
/// demand (STARTTLS refused, 5xx banner, non-SMTP bytes, a server that never answers). Every session has a
/// deadline; dispose stops it.
/// </summary>
internal sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new(TimeSpan.FromSeconds(60));
    private readonly Task session;

    /// <param name="banner">Sent on connect (CRLF added per line); null: say nothing.</param>
    /// <param name="replies">Verb (upper case) → reply text (lines separated by \n); a missing verb gets 502; a null reply: silence.</param>
    public ScriptedSmtpServer(string? banner, IReadOnlyDictionary<string, string?> replies)
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        session = ServeAsync(banner, replies);
    }

    public int Port { get; }

    public List<string> Received { get; } = [];

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await session;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task ServeAsync(string? banner, IReadOnlyDictionary<string, string?> replies)
    {
        using var client = await listener.AcceptTcpClientAsync(stop.Token);
        var stream = client.GetStream();
        if (banner is not null)
        {
            await WriteAsync(stream, banner);
        }

        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, stop.Token) == 1)
        {
            if (one[0] != (byte)'\n')
            {
                line.Append((char)one[0]);
                continue;
            }

            string command = line.ToString().TrimEnd('\r');
            line.Clear();
            lock (Received)
            {
                Received.Add(command);
            }

            string verb = command.Split(' ', 2)[0].ToUpperInvariant();
            if (!replies.TryGetValue(verb, out string? reply))
            {
                reply = verb == "QUIT" ? "221 2.0.0 Bye" : "502 5.5.2 Error: command not recognized";
            }

            if (reply is not null)
            {
                await WriteAsync(stream, reply);
            }

            if (verb == "QUIT")
            {
                return;
            }
        }
    }

    private async Task WriteAsync(NetworkStream stream, string text)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n"), stop.Token);
    }
}
