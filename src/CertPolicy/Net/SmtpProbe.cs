using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Net;

/// <summary>
/// An SMTP STARTTLS probe (R-T1, R-T6): connect, read the banner, EHLO, STARTTLS, TLS handshake with
/// <see cref="SslStream"/>, capture what the server sent, QUIT. It sends no mail and no credentials.
/// </summary>
/// <remarks>
/// <para>Certificates: the <see cref="RemoteCertificateValidationCallback"/> records the leaf and the
/// other certificates the server sent. .NET 10 puts the peer's certificates into the callback chain's
/// <c>ChainPolicy.ExtraStore</c> (dotnet/runtime <c>SslStream.Protocol.cs</c>, <c>VerifyRemoteCertificate</c>:
/// <c>chain.ChainPolicy.ExtraStore.AddRange(remoteCertificateStore)</c>); the probe reads only that store and
/// the leaf, never <c>ChainElements</c> (which may contain certificates found locally). The chain .NET
/// builds for the callback uses <see cref="X509ChainPolicy.DisableCertificateDownloads"/>, no revocation and
/// an empty custom root store, so nothing is downloaded or looked up; its result is ignored (the callback
/// accepts every certificate: judging it is <see cref="ProbeEvaluator"/>'s job, and the probe sends QUIT
/// right after the handshake).</para>
/// <para>Does not: look up MX records, try other addresses after a refused STARTTLS, fall back to
/// plaintext, or check revocation; it retries once, permissively, after a failed handshake
/// (<see cref="SmtpProbeOptions.RetryPermissively"/>). Network and peer errors become a <see cref="ProbeOutcome"/>,
/// never an exception; only invalid options and the caller's own cancellation throw.</para>
/// </remarks>
public static class SmtpProbe
{
    /// <summary>Most bytes read and dropped when a server sends plaintext after its STARTTLS reply (before the handshake).</summary>
    private const int MaxDiscardedPlaintext = 64 * 1024;

    /// <summary>Runs the probe.</summary>
    /// <param name="options">Where to connect and the timeouts.</param>
    /// <param name="cancellationToken">Cancels the probe (then <see cref="OperationCanceledException"/> is thrown).</param>
    /// <returns>What was observed; never null.</returns>
    /// <exception cref="ArgumentException">The options are invalid (see <see cref="SmtpProbeOptions.Validate"/>).</exception>
    public static async Task<ProbeResult> ProbeAsync(SmtpProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? invalid = options.Validate();
        if (invalid is not null)
        {
            throw new ArgumentException(invalid, nameof(options));
        }

        var result = await RunAsync(options, permissive: false, cancellationToken).ConfigureAwait(false);
        if (result.Outcome == ProbeOutcome.HandshakeFailed && options.RetryPermissively)
        {
            result.PermissiveRetry = await RunAsync(options, permissive: true, cancellationToken).ConfigureAwait(false);
        }

        // A cancellation by the caller during a best-effort step (QUIT) is still the caller's: report it.
        cancellationToken.ThrowIfCancellationRequested();
        return result;
    }

    /// <summary>One connection: connect, banner, EHLO, STARTTLS, handshake, EHLO again, QUIT; all within <see cref="SmtpProbeOptions.SessionTimeout"/>.</summary>
    private static async Task<ProbeResult> RunAsync(SmtpProbeOptions options, bool permissive, CancellationToken cancellationToken)
    {
        var result = new ProbeResult(ProbeOutcome.ConnectFailed, string.Empty) { Host = options.Host, Port = options.Port, ImplicitTls = options.ImplicitTls };

        // The session deadline bounds the whole connection whatever the peer does: each step also has its own
        // timeout, but a peer that answers every step just in time (or drips one byte a second inside a reply
        // timeout) must not hold the probe for the sum of them. Postfix's smtp(8) times each read or write
        // system call unless smtp_per_record_deadline = yes ("This limits the impact from hostile peers that
        // trickle data one byte at a time", postconf(5)); the probe times each reply and the whole session.
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        session.CancelAfter(options.SessionTimeout);
        var ct = session.Token;
        Stream? stream = null;
        string stage = "connect";
        try
        {
            stream = await ConnectAsync(options, result, ct).ConfigureAwait(false);
            if (stream is null)
            {
                return result;
            }

            if (options.ImplicitTls)
            {
                stage = "handshake";
                var ssl = await HandshakeAsync(stream, options, permissive, result, ct).ConfigureAwait(false);
                stream = ssl;
                if (ssl is null)
                {
                    return result;
                }

                stage = "banner or EHLO";
                var tlsReader = new SmtpReplyReader(ssl);
                if (!await GreetAsync(ssl, tlsReader, options, result, ct).ConfigureAwait(false))
                {
                    return result;
                }

                stage = "quit";
                await QuitAsync(ssl, tlsReader, options, ct).ConfigureAwait(false);
                return result;
            }

            stage = "banner or EHLO";
            var reader = new SmtpReplyReader(stream);
            if (!await GreetAsync(stream, reader, options, result, ct).ConfigureAwait(false))
            {
                return result;
            }

            if (!result.StartTlsOffered)
            {
                // postfix-tls.md 7.1: "TLS is required, but was not offered by host ..."
                Set(result, ProbeOutcome.StartTlsNotOffered, "TLS is required, but was not offered by host " + NamAddr(result));
                stage = "quit";
                await QuitAsync(stream, reader, options, ct).ConfigureAwait(false);
                return result;
            }

            stage = "starttls";
            await WriteLineAsync(stream, "STARTTLS", options.ReplyTimeout, ct).ConfigureAwait(false);
            var starttls = await ReadReplyAsync(reader, options.ReplyTimeout, ct).ConfigureAwait(false);
            if (starttls is null)
            {
                Set(result, ProbeOutcome.Timeout, "lost connection with " + NamAddr(result) + " while sending STARTTLS");
                return result;
            }

            result.StartTlsReply = starttls.Value.Text;
            if (starttls.Value.Code != 220)
            {
                // postfix-tls.md 7.1: the server's reply is copied into the message.
                Set(result, ProbeOutcome.StartTlsRefused, "TLS is required, but host " + NamAddr(result) + " refused to start TLS: " + OneLine(starttls.Value.Text));
                stage = "quit";
                await QuitAsync(stream, reader, options, ct).ConfigureAwait(false);
                return result;
            }

            // RFC 3207 4: after its 220 the server waits for the client's TLS negotiation; plaintext sent now was
            // never asked for. Whatever arrived is dropped, never parsed after the handshake (CVE-2011-0411 class,
            // see SmtpReplyReader), and counted for the report.
            result.PlaintextAfterStartTls = DiscardPlaintext(stream, reader);

            stage = "handshake";
            var tls = await HandshakeAsync(stream, options, permissive, result, ct).ConfigureAwait(false);
            if (tls is null)
            {
                stream = null; // disposed by HandshakeAsync
                return result;
            }

            stream = tls;

            // RFC 3207 4.2: the SMTP session is reset; EHLO again, as Postfix's smtp(8) does ("we have to
            // re-negotiate the EHLO", smtp_start_tls), over a new reader: nothing read before TLS can surface here.
            stage = "ehlo after the handshake";
            var afterTls = new SmtpReplyReader(tls);
            await WriteLineAsync(tls, "EHLO " + options.EhloName, options.ReplyTimeout, ct).ConfigureAwait(false);
            result.EhloReplyAfterTls = (await ReadReplyAsync(afterTls, options.ReplyTimeout, ct).ConfigureAwait(false))?.Text;
            stage = "quit";
            await QuitAsync(tls, afterTls, options, ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (result.Outcome == ProbeOutcome.TlsEstablished && !cancellationToken.IsCancellationRequested
            && ex is IOException or SocketException or ObjectDisposedException or SmtpProtocolException or OperationCanceledException)
        {
            // After the handshake (EHLO again, QUIT) a failure changes nothing: everything judged was observed.
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Set(result, ProbeOutcome.Timeout, session.IsCancellationRequested
                ? "session deadline of " + Seconds(options.SessionTimeout) + " exceeded during " + stage + " with " + NamAddr(result)
                : "timeout during " + stage + " with " + NamAddr(result));
            return result;
        }
        catch (SmtpProtocolException ex)
        {
            Set(result, ProbeOutcome.SmtpError, "malformed SMTP reply from " + NamAddr(result) + " during " + stage + ": " + ex.Message);
            return result;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Set(result, ProbeOutcome.Timeout, "lost connection with " + NamAddr(result) + " during " + stage + ": " + ex.Message);
            return result;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            // Peer data must never surface as an exception (STYLE.md): anything unforeseen is "could not evaluate".
            if (result.Outcome != ProbeOutcome.TlsEstablished)
            {
                Set(result, ProbeOutcome.SmtpError, "unexpected error during " + stage + " with " + NamAddr(result) + ": the connection was abandoned after an unexpected failure");
            }

            return result;
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Drops plaintext the server sent after its STARTTLS reply: what the reader buffered, then what the socket
    /// already holds (up to <see cref="MaxDiscardedPlaintext"/>; more goes into the handshake and fails it). Never
    /// waits: a server that sends nothing costs nothing. Returns the number of bytes dropped.
    /// </summary>
    private static int DiscardPlaintext(Stream stream, SmtpReplyReader reader)
    {
        int dropped = reader.DiscardBuffered();
        if (stream is NetworkStream network)
        {
            Span<byte> scratch = stackalloc byte[512];
            while (dropped < MaxDiscardedPlaintext && network.DataAvailable)
            {
                int n = network.Read(scratch);
                if (n <= 0)
                {
                    break;
                }

                dropped += n;
            }
        }

        return dropped;
    }

    private static async Task<Stream?> ConnectAsync(SmtpProbeOptions options, ProbeResult result, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        IPAddress[] addresses;
        if (IPAddress.TryParse(options.Host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(options.Host, timeout.Token).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                Set(result, ProbeOutcome.DnsFailed, "Host or domain name not found: " + options.Host + " (" + ex.SocketErrorCode.ToString() + ")");
                return null;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Set(result, ProbeOutcome.DnsFailed, "DNS lookup of " + options.Host + " timed out");
                return null;
            }

            if (addresses.Length == 0)
            {
                Set(result, ProbeOutcome.DnsFailed, "Host or domain name not found: " + options.Host);
                return null;
            }
        }

        string lastError = "no address";
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(address, options.Port, timeout.Token).ConfigureAwait(false);
                socket.NoDelay = true;
                result.Address = address.ToString();
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                lastError = address + ": " + ex.SocketErrorCode.ToString();
                socket.Dispose();
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                socket.Dispose();
                Set(result, ProbeOutcome.Timeout, "connect to " + options.Host + "[" + address + "]:" + options.Port.ToString(CultureInfo.InvariantCulture) + ": timed out");
                return null;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        Set(result, ProbeOutcome.ConnectFailed, "connect to " + options.Host + ":" + options.Port.ToString(CultureInfo.InvariantCulture) + ": " + lastError);
        return null;
    }

    /// <summary>Banner and EHLO. Returns false when the session cannot go on (outcome already set).</summary>
    private static async Task<bool> GreetAsync(Stream stream, SmtpReplyReader reader, SmtpProbeOptions options, ProbeResult result, CancellationToken ct)
    {
        var banner = await ReadReplyAsync(reader, options.ReplyTimeout, ct).ConfigureAwait(false);
        if (banner is null)
        {
            Set(result, ProbeOutcome.Timeout, "lost connection with " + NamAddr(result) + " while receiving the initial server greeting");
            return false;
        }

        result.Banner = banner.Value.Text;
        if (banner.Value.Code != 220)
        {
            Set(result, ProbeOutcome.SmtpError, "host " + NamAddr(result) + " refused to talk to me: " + OneLine(banner.Value.Text));
            await QuitAsync(stream, reader, options, ct).ConfigureAwait(false);
            return false;
        }

        await WriteLineAsync(stream, "EHLO " + options.EhloName, options.ReplyTimeout, ct).ConfigureAwait(false);
        var ehlo = await ReadReplyAsync(reader, options.ReplyTimeout, ct).ConfigureAwait(false);
        if (ehlo is null)
        {
            Set(result, ProbeOutcome.Timeout, "lost connection with " + NamAddr(result) + " while performing the EHLO handshake");
            return false;
        }

        result.EhloReply = ehlo.Value.Text;
        if (ehlo.Value.Code != 250)
        {
            Set(result, ProbeOutcome.SmtpError, "host " + NamAddr(result) + " refused EHLO: " + OneLine(ehlo.Value.Text));
            await QuitAsync(stream, reader, options, ct).ConfigureAwait(false);
            return false;
        }

        result.StartTlsOffered = HasKeyword(ehlo.Value.Text, "STARTTLS");
        return true;
    }

    /// <summary>The TLS handshake. Returns null on failure (outcome set, stream disposed).</summary>
    private static async Task<SslStream?> HandshakeAsync(Stream stream, SmtpProbeOptions options, bool permissive, ProbeResult result, CancellationToken ct)
    {
        byte[]? leaf = null;
        var others = new List<byte[]>();
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        var chainPolicy = new X509ChainPolicy
        {
            DisableCertificateDownloads = true,
            RevocationMode = X509RevocationMode.NoCheck,
            TrustMode = X509ChainTrustMode.CustomRootTrust,
        };
        // No SNI unless asked for: Postfix 3.7's smtp(8) sends none by default (smtp_tls_servername empty).
        var tlsOptions = new SslClientAuthenticationOptions
        {
            TargetHost = options.ServerName ?? string.Empty,
            EnabledSslProtocols = options.EnabledProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = chainPolicy,

            // A probe must see the certificate the server presents now: a resumed session (.NET caches
            // sessions per target name; Postfix's tlsmgr shares ticket keys between listeners) would
            // carry the certificate of an earlier handshake and no validation callback.
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (certificate is not null)
                {
                    leaf = certificate.GetRawCertData();
                }

                if (chain is not null)
                {
                    foreach (var c in chain.ChainPolicy.ExtraStore)
                    {
                        if (leaf is null || !c.RawDataMemory.Span.SequenceEqual(leaf))
                        {
                            others.Add(c.RawData);
                        }
                    }
                }

                return true; // captured; judged by ProbeEvaluator
            },
        };

        if (permissive)
        {
            // Diagnosis only (SmtpProbeOptions.RetryPermissively): what does a weak-only server negotiate?
            // AllowNoEncryption makes .NET on OpenSSL offer "ALL:eNULL" at security level 0 (tested
            // against openssl s_server and Postfix in ProbePostfixTests); the session is only used for QUIT.
#pragma warning disable SYSLIB0039, SYSLIB0040 // TLS 1.0/1.1 and NULL suites are offered on purpose, to name them in the report
            tlsOptions.EnabledSslProtocols = SslProtocols.Tls | SslProtocols.Tls11 | SslProtocols.Tls12 | SslProtocols.Tls13;
            tlsOptions.EncryptionPolicy = EncryptionPolicy.AllowNoEncryption;
#pragma warning restore SYSLIB0039, SYSLIB0040
        }
        else if (options.OfferedCipherSuites is { } suites && !OperatingSystem.IsWindows() && !OperatingSystem.IsAndroid() && !OperatingSystem.IsBrowser())
        {
            tlsOptions.CipherSuitesPolicy = new CipherSuitesPolicy(suites);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsClientAsync(tlsOptions, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            Set(result, ProbeOutcome.Timeout, "Cannot start TLS: handshake with " + NamAddr(result) + " timed out");
            return null;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or System.ComponentModel.Win32Exception)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            string detail = Detail(ex);
            Set(result, ProbeOutcome.HandshakeFailed, "Cannot start TLS: handshake failure with " + NamAddr(result) + ": " + OneLine(detail));
            return null;
        }

        result.Protocol = ssl.SslProtocol;
        result.CipherSuite = ssl.NegotiatedCipherSuite;
        var certs = ImmutableArray.CreateBuilder<byte[]>(others.Count + 1);
        if (leaf is not null)
        {
            certs.Add(leaf);
        }

        certs.AddRange(others);
        result.Certificates = certs.ToImmutable();
        Set(result, ProbeOutcome.TlsEstablished, CertPolicy.Tls.TlsProtocols.ToOpenSslName(CertPolicy.Tls.TlsProtocols.FromSslProtocols(ssl.SslProtocol)) + " with cipher " + ssl.NegotiatedCipherSuite.ToString() + " from " + NamAddr(result));
        return ssl;
    }

    /// <summary>Best-effort QUIT: the result is already complete, so a lost connection or a timeout here changes nothing.</summary>
    private static async Task QuitAsync(Stream stream, SmtpReplyReader reader, SmtpProbeOptions options, CancellationToken ct)
    {
        try
        {
            await WriteLineAsync(stream, "QUIT", options.ReplyTimeout, ct).ConfigureAwait(false);
            _ = await ReadReplyAsync(reader, options.ReplyTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or SmtpProtocolException or OperationCanceledException)
        {
            // The peer may close first, or the session deadline may pass; nothing to record. A cancellation by the
            // caller is seen again by ProbeAsync.
        }
    }

    private static async Task WriteLineAsync(Stream stream, string line, TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), timeout.Token).ConfigureAwait(false);
        await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one (possibly multi-line) reply within <paramref name="limit"/> for the whole reply (not per read: a
    /// peer dripping one byte a second cannot stretch it); null when the peer closed the connection. The
    /// line-length and line-count limits are <see cref="SmtpReplyReader"/>'s.
    /// </summary>
    private static async Task<SmtpReply?> ReadReplyAsync(SmtpReplyReader reader, TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        return await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>True when an EHLO reply line after the first names <paramref name="keyword"/> (RFC 5321 4.1.1.1; case-insensitive).</summary>
    internal static bool HasKeyword(string ehloReply, string keyword)
    {
        var lines = ehloReply.Split('\n');
        for (int i = 1; i < lines.Length; i++)
        {
            var rest = lines[i].AsSpan(4).Trim();
            int space = rest.IndexOf(' ');
            var word = space < 0 ? rest : rest[..space];
            if (word.Equals(keyword, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static void Set(ProbeResult result, ProbeOutcome outcome, string message)
    {
        result.Outcome = outcome;
        result.Message = message;
    }

    private static string NamAddr(ProbeResult r) =>
        r.Host + "[" + (r.Address ?? r.Host) + "]:" + r.Port.ToString(CultureInfo.InvariantCulture);

    private static string OneLine(string text) => Truncate(text.Replace('\n', ' ').Replace('\r', ' '));

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "...";

    /// <summary>
    /// The message and its causes: OpenSSL's reason (e.g. "excessive message size" for a certificate chain over
    /// its limit) sits two levels down, under .NET's "Authentication failed" and "SSL_ERROR_SSL".
    /// </summary>
    private static string Detail(Exception ex)
    {
        // .NET's own wording ("Authentication failed, see inner exception.") names its API, not the problem.
        string detail = ex.Message.StartsWith("Authentication failed", StringComparison.Ordinal) ? "the TLS handshake failed" : ex.Message;
        var inner = ex.InnerException;
        for (int depth = 0; inner is not null && depth < 3; depth++, inner = inner.InnerException)
        {
            detail += " (" + inner.Message + ")";
        }

        return detail;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
