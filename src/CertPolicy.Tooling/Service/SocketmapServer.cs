using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CertPolicy.Service;

/// <summary>Limits of a <see cref="SocketmapServer"/>.</summary>
internal sealed class SocketmapServerOptions
{
    /// <summary>Default <see cref="MaxClients"/>: 64 connections. Each smtp(8) process keeps one connection per
    /// socketmap endpoint (auto_clnt), and <c>default_process_limit</c> is 100, shared by every service.</summary>
    internal const int DefaultMaxClients = 64;

    /// <summary>Default <see cref="Timeout"/>: 60 s, above the 10 s after which Postfix closes an idle socketmap
    /// connection itself (<c>DICT_SOCKMAP_DEF_MAX_IDLE</c>, dict_sockmap.c), so a live client is not cut off.</summary>
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Connections served at once; a connection beyond this is closed at once, unread (the client sees EOF:
    /// Postfix retries once, then defers with a table lookup error).</summary>
    internal int MaxClients { get; init; } = DefaultMaxClients;

    /// <summary>Time for one whole request to arrive, idle time before it included, and for its reply to be sent;
    /// a connection that exceeds it is closed (an idle client, a slow or stalled one).</summary>
    internal TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Largest request payload (<c>NAME KEY</c>); a longer announced length closes the connection unread.</summary>
    internal int MaxRequestBytes { get; init; } = Netstring.MaxPayload;
}

/// <summary>
/// A socketmap server (socketmap_table(5)) over TCP: netstring requests <c>NAME KEY</c>, netstring replies, many
/// requests per connection (Postfix keeps its connection open and sends one request at a time), answered by an
/// <see cref="ISocketmapHandler"/>.
/// </summary>
/// <remarks>
/// <para>Hostile or broken input is an outcome, never an exception that escapes: a malformed netstring gets
/// <c>PERM malformed request</c> and the connection is closed (the framing is lost); an announced length above
/// <see cref="SocketmapServerOptions.MaxRequestBytes"/> closes the connection before any payload is read; a
/// well-framed payload without a space gets <c>PERM malformed request</c> and the connection stays open; a handler
/// exception becomes <c>TEMP internal error</c>. Memory per connection is one buffer, grown only up to the largest
/// request allowed. The socketmap protocol has no authentication (socketmap_table(5), SECURITY): bind to loopback.</para>
/// <para>Does not: speak the unix-domain form (<c>socketmap:unix:</c>), reload the table, or limit requests per
/// connection (Postfix itself closes a connection after 100 s, <c>DICT_SOCKMAP_DEF_MAX_TTL</c>).</para>
/// </remarks>
internal sealed class SocketmapServer : IDisposable
{
    private const int InitialBuffer = 4096;
    private const int LingerBytes = 64 * 1024;
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);
    private static readonly byte[] MalformedReply = Netstring.Encode("PERM malformed request"u8);

    private readonly TcpListener listener;
    private readonly ISocketmapHandler handler;
    private readonly SocketmapServerOptions options;
    private readonly Action<string>? log;
    private readonly ConcurrentDictionary<Task, byte> connections = new();
    private int active;
    private long refused;
    private long requests;

    private SocketmapServer(TcpListener listener, ISocketmapHandler handler, SocketmapServerOptions options, Action<string>? log)
    {
        this.listener = listener;
        this.handler = handler;
        this.options = options;
        this.log = log;
    }

    /// <summary>The address and port listened on (the port chosen by the system when 0 was asked for).</summary>
    internal IPEndPoint LocalEndpoint => (IPEndPoint)listener.LocalEndpoint;

    /// <summary>Connections being served now.</summary>
    internal int ActiveConnections => Volatile.Read(ref active);

    /// <summary>Connections closed unread because <see cref="SocketmapServerOptions.MaxClients"/> were being served.</summary>
    internal long RefusedConnections => Interlocked.Read(ref refused);

    /// <summary>Requests answered so far.</summary>
    internal long Requests => Interlocked.Read(ref requests);

    /// <summary>Binds and listens on <paramref name="endpoint"/> (port 0: any free port); call <see cref="RunAsync"/> to serve.</summary>
    /// <param name="endpoint">The address to listen on.</param>
    /// <param name="handler">Answers the requests (called concurrently).</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <param name="log">One line per notable event (a refused connection, a malformed request); may be called concurrently.</param>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    internal static SocketmapServer Start(IPEndPoint endpoint, ISocketmapHandler handler, SocketmapServerOptions? options = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new SocketmapServerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxClients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRequestBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxRequestBytes, Netstring.MaxPayload);
        var listener = new TcpListener(endpoint);
        listener.Start(backlog: 128);
        return new SocketmapServer(listener, handler, options, log);
    }

    /// <summary>
    /// Accepts and serves connections until <paramref name="cancellationToken"/> is cancelled, then stops listening,
    /// closes every connection (a request being answered is finished first only if it completes before its socket
    /// closes) and returns once all have ended. Does not throw on client behaviour.
    /// </summary>
    internal async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    // A client that reset before accept, or no descriptors left (EMFILE): not fatal; pause so a
                    // persistent error does not spin.
                    log?.Invoke("accept failed: " + ex.SocketErrorCode);
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (Interlocked.Increment(ref active) > options.MaxClients)
                {
                    Interlocked.Decrement(ref active);
                    Interlocked.Increment(ref refused);
                    log?.Invoke("connection closed: " + options.MaxClients + " clients already connected (--max-clients)");
                    socket.Dispose();
                    continue;
                }

                var task = ServeAsync(socket, cancellationToken);
                connections.TryAdd(task, 0);
                _ = task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _), connections, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // shutdown
        }
        finally
        {
            listener.Stop();
            await Task.WhenAll(connections.Keys).ConfigureAwait(false);
        }
    }

    /// <summary>Stops listening (connections end through the token given to <see cref="RunAsync"/>).</summary>
    public void Dispose() => listener.Dispose();

    // One connection: read a request, answer, repeat; every exit path closes the socket and releases the slot.
    private async Task ServeAsync(Socket socket, CancellationToken shutdown)
    {
        await Task.Yield(); // the accept loop goes on at once
        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        int filled = 0;
        try
        {
            socket.NoDelay = true;
            while (!shutdown.IsCancellationRequested)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
                deadline.CancelAfter(options.Timeout);
                NetstringStatus status;
                Range payload;
                int consumed;
                while ((status = Netstring.TryRead(buffer.AsSpan(0, filled), options.MaxRequestBytes, out payload, out consumed)) == NetstringStatus.NeedMore)
                {
                    if (filled == buffer.Length)
                    {
                        // Cannot pass the bound: TryRead says TooLong once the digits exceed it, so a pending request
                        // is at most MaxRequestBytes + framing.
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, options.MaxRequestBytes + Netstring.MaxOverhead));
                        buffer.AsSpan(0, filled).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return; // EOF: between requests a normal close, inside one a truncated request
                    }

                    filled += n;
                }

                if (status == NetstringStatus.TooLong)
                {
                    log?.Invoke("connection closed: request longer than " + options.MaxRequestBytes + " bytes");
                    return;
                }

                if (status == NetstringStatus.Malformed)
                {
                    log?.Invoke("connection closed: malformed netstring");
                    await socket.SendAsync(MalformedReply, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                    await LingerAsync(socket, buffer, shutdown).ConfigureAwait(false);
                    return;
                }

                var reply = await AnswerAsync(buffer, payload, deadline.Token).ConfigureAwait(false);
                Interlocked.Increment(ref requests);
                await socket.SendAsync(reply, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (OperationCanceledException)
        {
            // timeout or shutdown: close
        }
        catch (SocketException)
        {
            // reset by the client
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            socket.Dispose();
            Interlocked.Decrement(ref active);
        }
    }

    // After an error reply: send FIN, then read and drop what the client still sends, for a short while and a bounded
    // amount, before closing. Closing with unread input would send a reset, which can destroy the reply in flight.
    private static async Task LingerAsync(Socket socket, byte[] scratch, CancellationToken shutdown)
    {
        socket.Shutdown(SocketShutdown.Send);
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        linger.CancelAfter(LingerTime);
        int total = 0;
        while (total < LingerBytes)
        {
            int n = await socket.ReceiveAsync(scratch, SocketFlags.None, linger.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            total += n;
        }
    }

    // NAME SP KEY -> the handler's reply as a netstring. The name ends at the first space (dict_sockmap.c sends
    // "%s %s"); the key is the rest, spaces included.
    private async ValueTask<byte[]> AnswerAsync(byte[] buffer, Range range, CancellationToken cancellationToken)
    {
        var (offset, length) = range.GetOffsetAndLength(buffer.Length);
        var request = new ReadOnlyMemory<byte>(buffer, offset, length);
        int space = request.Span.IndexOf((byte)' ');
        if (space <= 0)
        {
            return MalformedReply;
        }

        SocketmapReply reply;
        if (!System.Text.Unicode.Utf8.IsValid(request.Span))
        {
            // No table key holds bytes that are not UTF-8 (PolicyMap ignores such lines, as Postfix does).
            reply = SocketmapReply.NotFound;
        }
        else
        {
            try
            {
                reply = await handler.LookupAsync(Encoding.UTF8.GetString(request.Span[..space]), Encoding.UTF8.GetString(request.Span[(space + 1)..]), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                log?.Invoke("lookup failed: " + ex.GetType().Name);
                reply = new SocketmapReply(SocketmapStatus.Temp, "internal error");
            }
        }

        byte[] payload = Encoding.UTF8.GetBytes(reply.ToPayload());
        if (payload.Length > Netstring.MaxPayload)
        {
            // Postfix refuses a longer reply (dict_sockmap.c, netstring_get with DICT_SOCKMAP_DEF_MAX_REPLY).
            payload = "TEMP reply too long"u8.ToArray();
        }

        return Netstring.Encode(payload);
    }
}
