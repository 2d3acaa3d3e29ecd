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
    /// <summary>Longest reply line accepted (RFC 5321 4.5.3.1.5 says 512 octets; we allow slack).</summary>
    internal const int MaxLineLength = 2048;

    /// <summary>Most lines in one multi-line reply (an EHLO reply has about a dozen).</summary>
    internal const int MaxReplyLines = 100;

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

        return result;
    }

    /// <summary>One connection: connect, banner, EHLO, STARTTLS, handshake, QUIT.</summary>
    private static async Task<ProbeResult> RunAsync(SmtpProbeOptions options, bool permissive, CancellationToken cancellationToken)
    {
        var result = new ProbeResult(ProbeOutcome.ConnectFailed, string.Empty) { Host = options.Host, Port = options.Port, ImplicitTls = options.ImplicitTls };
        Stream? stream = null;
        string stage = "connect";
        try
        {
            stream = await ConnectAsync(options, result, cancellationToken).ConfigureAwait(false);
            if (stream is null)
            {
                return result;
            }

            if (options.ImplicitTls)
            {
                stage = "handshake";
                var ssl = await HandshakeAsync(stream, options, permissive, result, cancellationToken).ConfigureAwait(false);
                stream = ssl;
                if (ssl is null)
                {
                    return result;
                }

                stage = "banner";
                if (!await GreetAsync(ssl, options, result, cancellationToken).ConfigureAwait(false))
                {
                    return result;
                }

                stage = "quit";
                await QuitAsync(ssl, options, cancellationToken).ConfigureAwait(false);
                return result;
            }

            stage = "banner";
            if (!await GreetAsync(stream, options, result, cancellationToken).ConfigureAwait(false))
            {
                return result;
            }

            if (!result.StartTlsOffered)
            {
                // postfix-tls.md 7.1: "TLS is required, but was not offered by host ..."
                Set(result, ProbeOutcome.StartTlsNotOffered, "TLS is required, but was not offered by host " + NamAddr(result));
                stage = "quit";
                await QuitAsync(stream, options, cancellationToken).ConfigureAwait(false);
                return result;
            }

            stage = "starttls";
            await WriteLineAsync(stream, "STARTTLS", options.ReplyTimeout, cancellationToken).ConfigureAwait(false);
            var starttls = await ReadReplyAsync(stream, options.ReplyTimeout, cancellationToken).ConfigureAwait(false);
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
                await QuitAsync(stream, options, cancellationToken).ConfigureAwait(false);
                return result;
            }

            stage = "handshake";
            var tls = await HandshakeAsync(stream, options, permissive, result, cancellationToken).ConfigureAwait(false);
            if (tls is null)
            {
                stream = null; // disposed by HandshakeAsync
                return result;
            }

            stream = tls;
            stage = "quit";
            await QuitAsync(tls, options, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Set(result, ProbeOutcome.Timeout, "timeout during " + stage + " with " + NamAddr(result));
            return result;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or SmtpSyntaxException)
        {
            if (ex is SmtpSyntaxException)
            {
                Set(result, ProbeOutcome.SmtpError, "malformed SMTP reply from " + NamAddr(result) + " during " + stage + ": " + ex.Message);
            }
            else if (result.Outcome != ProbeOutcome.TlsEstablished)
            {
                Set(result, ProbeOutcome.Timeout, "lost connection with " + NamAddr(result) + " during " + stage + ": " + ex.Message);
            }

            // After the handshake a failed QUIT changes nothing: everything was observed.
            return result;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            // Peer data must never surface as an exception (STYLE.md): anything unforeseen is "could not evaluate".
            if (result.Outcome != ProbeOutcome.TlsEstablished)
            {
                Set(result, ProbeOutcome.SmtpError, "unexpected error during " + stage + " with " + NamAddr(result) + ": " + ex.GetType().Name + ": " + OneLine(ex.Message));
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
    private static async Task<bool> GreetAsync(Stream stream, SmtpProbeOptions options, ProbeResult result, CancellationToken ct)
    {
        var banner = await ReadReplyAsync(stream, options.ReplyTimeout, ct).ConfigureAwait(false);
        if (banner is null)
        {
            Set(result, ProbeOutcome.Timeout, "lost connection with " + NamAddr(result) + " while receiving the initial server greeting");
            return false;
        }

        result.Banner = banner.Value.Text;
        if (banner.Value.Code != 220)
        {
            Set(result, ProbeOutcome.SmtpError, "host " + NamAddr(result) + " refused to talk to me: " + OneLine(banner.Value.Text));
            await QuitAsync(stream, options, ct).ConfigureAwait(false);
            return false;
        }

        await WriteLineAsync(stream, "EHLO " + options.EhloName, options.ReplyTimeout, ct).ConfigureAwait(false);
        var ehlo = await ReadReplyAsync(stream, options.ReplyTimeout, ct).ConfigureAwait(false);
        if (ehlo is null)
        {
            Set(result, ProbeOutcome.Timeout, "lost connection with " + NamAddr(result) + " while performing the EHLO handshake");
            return false;
        }

        result.EhloReply = ehlo.Value.Text;
        if (ehlo.Value.Code != 250)
        {
            Set(result, ProbeOutcome.SmtpError, "host " + NamAddr(result) + " refused EHLO: " + OneLine(ehlo.Value.Text));
            await QuitAsync(stream, options, ct).ConfigureAwait(false);
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
            string detail = ex.InnerException is null ? ex.Message : ex.Message + " (" + ex.InnerException.Message + ")";
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

    /// <summary>Best-effort QUIT: the result is already complete, so a lost connection here changes nothing.</summary>
    private static async Task QuitAsync(Stream stream, SmtpProbeOptions options, CancellationToken ct)
    {
        try
        {
            await WriteLineAsync(stream, "QUIT", options.ReplyTimeout, ct).ConfigureAwait(false);
            _ = await ReadReplyAsync(stream, options.ReplyTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or SmtpSyntaxException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // The peer may close first; nothing to record.
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
    /// Reads one (possibly multi-line) reply; null when the peer closed the connection. Byte at a time on
    /// purpose: a buffered reader could swallow the start of the TLS handshake after STARTTLS.
    /// </summary>
    internal static async Task<(int Code, string Text)?> ReadReplyAsync(Stream stream, TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        var text = new StringBuilder();
        var line = new StringBuilder();
        var one = new byte[1];
        int code = -1;
        for (int lines = 0; lines < MaxReplyLines; lines++)
        {
            line.Clear();
            while (true)
            {
                int n = await stream.ReadAsync(one, timeout.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return null;
                }

                if (one[0] == (byte)'\n')
                {
                    break;
                }

                if (line.Length >= MaxLineLength)
                {
                    throw new SmtpSyntaxException("reply line longer than " + MaxLineLength.ToString(CultureInfo.InvariantCulture) + " bytes");
                }

                // Replies are ASCII (RFC 5321 4.2); anything else is shown as '?'.
                line.Append(one[0] is >= 0x20 and < 0x7F or (byte)'\t' ? (char)one[0] : one[0] == (byte)'\r' ? '\r' : '?');
            }

            string l = line.ToString().TrimEnd('\r');
            if (l.Length < 3 || !char.IsAsciiDigit(l[0]) || !char.IsAsciiDigit(l[1]) || !char.IsAsciiDigit(l[2]) || (l.Length > 3 && l[3] != ' ' && l[3] != '-'))
            {
                throw new SmtpSyntaxException("not an SMTP reply line: \"" + Truncate(l) + "\"");
            }

            int c = ((l[0] - '0') * 100) + ((l[1] - '0') * 10) + (l[2] - '0');
            if (code >= 0 && c != code)
            {
                throw new SmtpSyntaxException("reply code changed within a multi-line reply");
            }

            code = c;
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(l);
            if (l.Length == 3 || l[3] == ' ')
            {
                return (code, text.ToString());
            }
        }

        throw new SmtpSyntaxException("reply with more than " + MaxReplyLines.ToString(CultureInfo.InvariantCulture) + " lines");
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

    /// <summary>A reply that is not SMTP; caught inside the probe and turned into <see cref="ProbeOutcome.SmtpError"/>.</summary>
    internal sealed class SmtpSyntaxException(string message) : Exception(message);
}
