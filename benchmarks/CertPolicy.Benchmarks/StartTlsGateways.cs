using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Benchmarks;

/// <summary>
/// Lightweight STARTTLS gateways for the scan benchmark (issue 15, benchmarks/README.md "Scan"): COUNT listeners, one per
/// loopback address (<see cref="AddressOf"/>: 127.0.1.1, 127.0.1.2, ... 250 per /24), all on one port, each speaking just
/// enough ESMTP for a STARTTLS probe: banner, EHLO with STARTTLS, STARTTLS, the TLS handshake with the given chain, then
/// EHLO and QUIT inside TLS. One process, async sockets: the gateways cost little CPU, so the figure measures the client.
/// Linux routes all of 127.0.0.0/8 to the loopback interface, so no address needs configuring.
/// </summary>
/// <remarks>Run: <c>dotnet CertPolicy.Benchmarks.dll starttls-gateways COUNT PORT CHAIN.pem KEY.pem</c>; prints
/// <c>ready</c> once every listener is bound and serves until stdin closes or the process is killed.</remarks>
internal static class StartTlsGateways
{
    private const int MaxLine = 4096;

    /// <summary>The address of gateway <paramref name="index"/> (0-based): 127.0.(1 + i / 250).(1 + i % 250).</summary>
    internal static IPAddress AddressOf(int index) =>
        new([127, 0, (byte)(1 + (index / 250)), (byte)(1 + (index % 250))]);

    internal static int Run(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: starttls-gateways COUNT PORT CHAIN.pem KEY.pem");
            return 2;
        }

        int count = int.Parse(args[0], CultureInfo.InvariantCulture);
        int port = int.Parse(args[1], CultureInfo.InvariantCulture);
        if (count is < 1 or > 250 * 254)
        {
            Console.Error.WriteLine("COUNT must be 1 to 63500");
            return 2;
        }

        using var leaf = X509Certificate2.CreateFromPemFile(args[2], args[3]);
        var extra = new X509Certificate2Collection();
        extra.ImportFromPemFile(args[2]);
        extra.RemoveAt(0); // the leaf; the rest is the chain the gateways send
        var context = SslStreamCertificateContext.Create(X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null), extra, offline: true);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            ClientCertificateRequired = false,
            EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
        };

        var listeners = new List<Socket>(count);
        for (int i = 0; i < count; i++)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(new IPEndPoint(AddressOf(i), port));
            s.Listen(64);
            listeners.Add(s);
        }

        using var stop = new CancellationTokenSource();
        foreach (var s in listeners)
        {
            _ = AcceptLoopAsync(s, options, stop.Token);
        }

        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        // Until stdin closes (the driving script holds it open) or the process is killed.
        while (Console.In.ReadLine() is not null)
        {
        }

        stop.Cancel();
        foreach (var s in listeners)
        {
            s.Dispose();
        }

        return 0;
    }

    private static async Task AcceptLoopAsync(Socket listener, SslServerAuthenticationOptions options, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancel).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client, options);
        }
    }

    private static async Task ServeAsync(Socket client, SslServerAuthenticationOptions options)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            using var network = new NetworkStream(client, ownsSocket: true);
            string name = "gw" + ((IPEndPoint)client.LocalEndPoint!).Address.ToString();
            await WriteAsync(network, "220 " + name + " ESMTP\r\n", timeout.Token).ConfigureAwait(false);
            var reader = new LineReader(network);
            while (true)
            {
                string? line = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                if (line is null)
                {
                    return;
                }

                if (line.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase))
                {
                    await WriteAsync(network, "250-" + name + "\r\n250-PIPELINING\r\n250 STARTTLS\r\n", timeout.Token).ConfigureAwait(false);
                }
                else if (line.StartsWith("STARTTLS", StringComparison.OrdinalIgnoreCase))
                {
                    if (reader.Pending != 0)
                    {
                        return; // plaintext pipelined after STARTTLS (RFC 3207 5): hang up
                    }

                    await WriteAsync(network, "220 2.0.0 Ready to start TLS\r\n", timeout.Token).ConfigureAwait(false);
                    break;
                }
                else if (line.StartsWith("QUIT", StringComparison.OrdinalIgnoreCase))
                {
                    await WriteAsync(network, "221 2.0.0 Bye\r\n", timeout.Token).ConfigureAwait(false);
                    return;
                }
                else
                {
                    await WriteAsync(network, "250 2.0.0 Ok\r\n", timeout.Token).ConfigureAwait(false);
                }
            }

            using var tls = new SslStream(network, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(options, timeout.Token).ConfigureAwait(false);
            var tlsReader = new LineReader(tls);
            while (await tlsReader.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase))
                {
                    await WriteAsync(tls, "250-" + name + "\r\n250 PIPELINING\r\n", timeout.Token).ConfigureAwait(false);
                }
                else if (line.StartsWith("QUIT", StringComparison.OrdinalIgnoreCase))
                {
                    await WriteAsync(tls, "221 2.0.0 Bye\r\n", timeout.Token).ConfigureAwait(false);
                    return;
                }
                else
                {
                    await WriteAsync(tls, "250 2.0.0 Ok\r\n", timeout.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
            // A client that hangs up (a probe that got what it needed) is normal.
        }
    }

    private static Task WriteAsync(Stream stream, string text, CancellationToken cancel) =>
        stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text), cancel).AsTask();

    /// <summary>CRLF lines of at most <see cref="MaxLine"/> bytes, read through a buffer. A client sends nothing after
    /// STARTTLS until the 220 reply, so <see cref="Pending"/> must be 0 before the handshake (RFC 3207 5).</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[MaxLine];
        private int _start;
        private int _end;

        /// <summary>Bytes read past the last line returned.</summary>
        internal int Pending => _end - _start;

        internal async Task<string?> ReadLineAsync(CancellationToken cancel)
        {
            while (true)
            {
                int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (nl >= 0)
                {
                    string line = System.Text.Encoding.ASCII.GetString(_buffer, _start, nl - _start).TrimEnd('\r');
                    _start = nl + 1;
                    return line;
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                if (_end == _buffer.Length)
                {
                    return null; // a line longer than MaxLine
                }

                int n = await stream.ReadAsync(_buffer.AsMemory(_end), cancel).ConfigureAwait(false);
                if (n == 0)
                {
                    return null;
                }

                _end += n;
            }
        }
    }
}
