using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CertPolicy.Tests.Names;

/// <summary>
/// A minimal ESMTP server on 127.0.0.1 (random free port) that offers STARTTLS and presents a
/// given leaf and chain: 220 banner; EHLO → 250-... 250 STARTTLS; STARTTLS → 220, then the TLS
/// handshake (<see cref="SslStream"/>); after TLS it answers EHLO, QUIT and anything else. Every
/// session has a deadline; errors are collected in <see cref="Errors"/> for failure messages.
/// </summary>
internal sealed class LoopbackSmtpServer : IAsyncDisposable
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(20);
    private readonly TcpListener listener;
    private readonly SslStreamCertificateContext context;
    private readonly CancellationTokenSource stop = new();
    private readonly Task acceptLoop;
    private readonly ConcurrentBag<Task> sessions = [];

    public LoopbackSmtpServer(X509Certificate2 leafWithKey, X509Certificate2 issuer)
    {
        context = SslStreamCertificateContext.Create(leafWithKey, [issuer], offline: true);
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The loopback port listened on.</summary>
    public int Port { get; }

    /// <summary>Session errors (for diagnostics only; a probe that quits early causes harmless ones).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Number of TLS handshakes completed.</summary>
    public int Handshakes => handshakes;

    private int handshakes;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        listener.Stop();
        try
        {
            await acceptLoop.ConfigureAwait(false);
            await Task.WhenAll(sessions).WaitAsync(SessionTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Errors.Enqueue("session did not end on dispose");
        }

        stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            sessions.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        timeout.CancelAfter(SessionTimeout);
        var ct = timeout.Token;
        using (client)
        {
            try
            {
                client.NoDelay = true;
                Stream stream = client.GetStream();
                await WriteAsync(stream, "220 localhost ESMTP CertPolicy test server", ct).ConfigureAwait(false);
                bool tls = false;
                while (true)
                {
                    string? line = await ReadLineAsync(stream, ct).ConfigureAwait(false);
                    if (line is null)
                    {
                        return;
                    }

                    string verb = line.Split(' ', 2)[0].ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await WriteAsync(stream, tls ? "250-localhost\r\n250 8BITMIME" : "250-localhost\r\n250-8BITMIME\r\n250 STARTTLS", ct).ConfigureAwait(false);
                            break;
                        case "HELO":
                            await WriteAsync(stream, "250 localhost", ct).ConfigureAwait(false);
                            break;
                        case "STARTTLS" when !tls:
                            await WriteAsync(stream, "220 2.0.0 Ready to start TLS", ct).ConfigureAwait(false);
                            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                            await ssl.AuthenticateAsServerAsync(
                                new SslServerAuthenticationOptions { ServerCertificateContext = context, ClientCertificateRequired = false },
                                ct).ConfigureAwait(false);
                            Interlocked.Increment(ref handshakes);
                            stream = ssl;
                            tls = true;
                            break;
                        case "QUIT":
                            await WriteAsync(stream, "221 2.0.0 Bye", ct).ConfigureAwait(false);
                            await stream.DisposeAsync().ConfigureAwait(false);
                            return;
                        default:
                            await WriteAsync(stream, "502 5.5.2 Error: command not recognized", ct).ConfigureAwait(false);
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                Errors.Enqueue(ex.GetType().Name + ": " + ex.Message);
            }
        }
    }

    private static async Task WriteAsync(Stream stream, string reply, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    // Byte-at-a-time on purpose: a buffered reader could swallow the start of the TLS handshake.
    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (line.Length < 4096)
        {
            int n = await stream.ReadAsync(one, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }

        throw new IOException("SMTP line too long");
    }
}
