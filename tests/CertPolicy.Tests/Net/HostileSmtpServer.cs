using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace CertPolicy.Tests.Net;

/// <summary>
/// A loopback SMTP peer that misbehaves on purpose (issue 14 item 3): each accepted connection runs one
/// <see cref="Behaviour"/> (the probe's permissive retry connects twice, so every connection gets the same
/// script). Huge inputs are generated on the fly from one reused buffer, never allocated: a "1 GB" banner costs
/// what the probe reads of it before giving up. Dispose stops every session; a session also ends when the probe
/// closes its side (writes fail) or after 60 s.
/// </summary>
internal sealed class HostileSmtpServer : IAsyncDisposable
{
    /// <summary>1 GiB: the size of the endless banners and replies.</summary>
    public const long OneGigabyte = 1L << 30;

    private static readonly byte[] Filler = CreateFiller();

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new(TimeSpan.FromSeconds(60));
    private readonly Task acceptLoop;
    private readonly List<Task> sessions = [];
    private long bytesSent;
    private int connections;

    /// <param name="behaviour">What the server does on each connection.</param>
    public HostileSmtpServer(Func<Session, Task> behaviour)
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = AcceptAsync(behaviour);
    }

    public int Port { get; }

    /// <summary>Bytes the server handed to its sockets (all connections).</summary>
    public long BytesSent => Interlocked.Read(ref bytesSent);

    /// <summary>Connections accepted.</summary>
    public int Connections => Volatile.Read(ref connections);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        Task[] all;
        lock (sessions)
        {
            all = [acceptLoop, .. sessions];
        }

        foreach (var t in all)
        {
            try
            {
                await t;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
            }
        }

        stop.Dispose();
    }

    private static byte[] CreateFiller()
    {
        var b = new byte[64 * 1024];
        b.AsSpan().Fill((byte)'x');
        return b;
    }

    private async Task AcceptAsync(Func<Session, Task> behaviour)
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            Interlocked.Increment(ref connections);
            var task = Task.Run(async () =>
            {
                using (client)
                {
                    client.NoDelay = true;
                    try
                    {
                        await behaviour(new Session(this, client.GetStream()));
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
                    {
                        // The probe gave up and closed: the expected end of every hostile session.
                    }
                }
            });
            lock (sessions)
            {
                sessions.Add(task);
            }
        }
    }

    /// <summary>One connection and the hostile moves available on it.</summary>
    internal sealed class Session(HostileSmtpServer server, NetworkStream stream)
    {
        public NetworkStream Stream { get; } = stream;

        public CancellationToken Token => server.stop.Token;

        /// <summary>Sends bytes as they are (no CRLF added), in one write, on the plaintext connection or <paramref name="over"/>.</summary>
        public async Task SendAsync(string text, Stream? over = null)
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            await (over ?? Stream).WriteAsync(bytes, Token);
            Interlocked.Add(ref server.bytesSent, bytes.Length);
        }

        /// <summary>Sends <paramref name="count"/> filler bytes ('x'), generated on the fly (long.MaxValue: until the peer stops reading).</summary>
        public async Task SendFillerAsync(long count)
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, Filler.Length);
                await Stream.WriteAsync(Filler.AsMemory(0, n), Token);
                Interlocked.Add(ref server.bytesSent, n);
                count -= n;
            }
        }

        /// <summary>Sends the lines of <paramref name="line"/> (with CRLF) forever: a multi-line reply without end.</summary>
        public async Task SendForeverAsync(string line)
        {
            var bytes = Encoding.ASCII.GetBytes(line);
            var block = new byte[bytes.Length * (4096 / bytes.Length)];
            for (int i = 0; i < block.Length; i += bytes.Length)
            {
                bytes.CopyTo(block, i);
            }

            while (true)
            {
                await Stream.WriteAsync(block, Token);
                Interlocked.Add(ref server.bytesSent, block.Length);
            }
        }

        /// <summary>Sends one byte per <paramref name="interval"/>.</summary>
        public async Task DripAsync(string text, TimeSpan interval)
        {
            var one = new byte[1];
            foreach (char c in text)
            {
                one[0] = (byte)c;
                await Stream.WriteAsync(one, Token);
                Interlocked.Increment(ref server.bytesSent);
                await Task.Delay(interval, Token);
            }
        }

        /// <summary>Reads one command line (bounded) from the plaintext connection or <paramref name="over"/>; null when the peer closed.</summary>
        public async Task<string?> ReadCommandAsync(Stream? over = null)
        {
            var line = new StringBuilder();
            var one = new byte[1];
            while (line.Length < 1000)
            {
                if (await (over ?? Stream).ReadAsync(one, Token) == 0)
                {
                    return null;
                }

                if (one[0] == (byte)'\n')
                {
                    return line.ToString().TrimEnd('\r');
                }

                line.Append((char)one[0]);
            }

            return line.ToString();
        }

        /// <summary>A well-behaved start: banner, EHLO with STARTTLS, then waits for the STARTTLS command.</summary>
        public async Task UpToStartTlsAsync()
        {
            await SendAsync("220 hostile.example ESMTP\r\n");
            await ExpectAsync("EHLO");
            await SendAsync("250-hostile.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
            await ExpectAsync("STARTTLS");
        }

        public async Task ExpectAsync(string verb, Stream? over = null)
        {
            string? command = await ReadCommandAsync(over);
            if (command is null || !command.StartsWith(verb, StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException("hostile server: expected " + verb + ", got " + (command ?? "end of stream"));
            }
        }

        /// <summary>Waits until the peer closes (or the server stops), reading and dropping what it sends.</summary>
        public async Task DrainUntilClosedAsync()
        {
            var sink = new byte[4096];
            while (await Stream.ReadAsync(sink, Token) > 0)
            {
            }
        }

        /// <summary>Reads one TLS record (the client's ClientHello) and returns its body (at most 16 KiB + 2048, RFC 8446 5.2).</summary>
        public async Task<byte[]> ReadTlsRecordAsync()
        {
            var header = new byte[5];
            await Stream.ReadExactlyAsync(header, Token);
            int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3));
            if (header[0] != 0x16 || length > (1 << 14) + 2048)
            {
                throw new IOException("hostile server: not a TLS handshake record");
            }

            var body = new byte[length];
            await Stream.ReadExactlyAsync(body, Token);
            return body;
        }

        /// <summary>Writes one TLS 1.2 record of <paramref name="type"/> (RFC 5246 6.2.1).</summary>
        public async Task WriteTlsRecordAsync(byte type, ReadOnlyMemory<byte> fragment)
        {
            var header = new byte[5];
            header[0] = type;
            header[1] = 3;
            header[2] = 3;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(3), (ushort)fragment.Length);
            await Stream.WriteAsync(header, Token);
            await Stream.WriteAsync(fragment, Token);
            Interlocked.Add(ref server.bytesSent, 5 + fragment.Length);
        }

        /// <summary>Completes a real TLS handshake as the server (SslStream) and returns the TLS stream.</summary>
        public async Task<SslStream> AcceptTlsAsync(SslStreamCertificateContext certificate)
        {
            var tls = new SslStream(Stream, leaveInnerStreamOpen: true);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = certificate }, Token);
            return tls;
        }
    }

    /// <summary>The raw TLS 1.2 pieces the hostile handshakes need (RFC 5246 7.4); no cryptography is ever done.</summary>
    internal static class RawTls
    {
        /// <summary>
        /// A TLS 1.2 ServerHello (RFC 5246 7.4.1.3) choosing a suite the client offered in <paramref name="clientHello"/>
        /// (a TLS 1.2 ECDHE suite, else the first TLS 1.2 suite), an empty session id, no compression and the empty
        /// renegotiation_info extension (RFC 5746 3.6; OpenSSL 3 clients refuse a server without it).
        /// </summary>
        public static byte[] ServerHello(byte[] clientHello)
        {
            ushort suite = ChooseSuite(clientHello);
            var random = RandomNumberGenerator.GetBytes(32);
            byte[] extensions = [0xFF, 0x01, 0x00, 0x01, 0x00];
            var body = new List<byte> { 0x03, 0x03 };
            body.AddRange(random);
            body.Add(0); // session id length
            body.Add((byte)(suite >> 8));
            body.Add((byte)suite);
            body.Add(0); // compression: null
            body.Add(0);
            body.Add((byte)extensions.Length);
            body.AddRange(extensions);
            return [2, 0, (byte)(body.Count >> 8), (byte)body.Count, .. body];
        }

        private static ushort ChooseSuite(byte[] hello)
        {
            // handshake header (4) + version (2) + random (32) + session id (1 + n) + cipher suites (2 + 2k)
            int p = 4 + 2 + 32;
            p += 1 + hello[p];
            int length = BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(p));
            var suites = hello.AsSpan(p + 2, length);
            ushort first = 0;
            for (int i = 0; i + 1 < suites.Length; i += 2)
            {
                ushort s = BinaryPrimitives.ReadUInt16BigEndian(suites[i..]);
                if (s is 0xC02F or 0xC030 or 0xC02B or 0xC02C)
                {
                    return s;
                }

                if (first == 0 && (s >> 8) != 0x13 && s is not 0x00FF and not 0x5600)
                {
                    first = s;
                }
            }

            return first != 0 ? first : throw new IOException("hostile server: the client offered no TLS 1.2 suite");
        }
    }
}
