using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.MtaSts;

/// <summary>What became of one policy fetch. Values are API: never renumber.</summary>
internal enum MtaStsFetchStatus : byte
{
    /// <summary>The policy was fetched and parsed.</summary>
    Ok = 0,

    /// <summary>No usable <c>_mta-sts</c> TXT record (none, several, or invalid; RFC 8461 3.1).</summary>
    DnsNoRecord = 1,

    /// <summary>The HTTPS certificate is not valid for <c>mta-sts.DOMAIN</c> (RFC 8461 3.3).</summary>
    TlsCertificate = 2,

    /// <summary>The server answered with a redirect; senders must not follow it (RFC 8461 3.3).</summary>
    Redirect = 3,

    /// <summary>The body is larger than the limit.</summary>
    TooLarge = 4,

    /// <summary>The fetch did not finish within the time limit.</summary>
    Timeout = 5,

    /// <summary>A status other than 200 (RFC 8461 3.3).</summary>
    HttpStatus = 6,

    /// <summary>The media type is not <c>text/plain</c> (RFC 8461 3.2).</summary>
    ContentType = 7,

    /// <summary>The body is not a valid policy (RFC 8461 3.2), or not UTF-8.</summary>
    ParseError = 8,

    /// <summary>The connection failed (refused, reset, TLS handshake failure other than the certificate).</summary>
    Network = 9,
}

/// <summary>The result of <see cref="MtaStsFetcher.FetchAsync"/>.</summary>
/// <param name="Status">Ok or the failure.</param>
/// <param name="Policy">The policy when <see cref="MtaStsFetchStatus.Ok"/>.</param>
/// <param name="Record">The TXT record when a TXT look-up was configured and it succeeded.</param>
/// <param name="HttpStatusCode">The HTTP status received, or 0 before a response.</param>
/// <param name="Message">What happened, for a mail administrator (with line:column for a parse error).</param>
internal sealed record MtaStsFetchResult(MtaStsFetchStatus Status, MtaStsPolicy? Policy, MtaStsRecord? Record, int HttpStatusCode, string Message)
{
    /// <summary>True when the policy was fetched and parsed.</summary>
    internal bool IsOk => Status == MtaStsFetchStatus.Ok;

    /// <summary>The stable code of the status (<c>ok</c>, <c>dns-no-record</c>, <c>tls-certificate</c>, ...).</summary>
    internal string Code => CodeOf(Status);

    /// <summary>The stable code of a status. Codes are API.</summary>
    internal static string CodeOf(MtaStsFetchStatus status) => status switch
    {
        MtaStsFetchStatus.Ok => "ok",
        MtaStsFetchStatus.DnsNoRecord => "dns-no-record",
        MtaStsFetchStatus.TlsCertificate => "tls-certificate",
        MtaStsFetchStatus.Redirect => "redirect",
        MtaStsFetchStatus.TooLarge => "too-large",
        MtaStsFetchStatus.Timeout => "timeout",
        MtaStsFetchStatus.HttpStatus => "http-status",
        MtaStsFetchStatus.ContentType => "content-type",
        MtaStsFetchStatus.ParseError => "parse-error",
        _ => "network",
    };
}

/// <summary>Settings of <see cref="MtaStsFetcher"/>.</summary>
internal sealed class MtaStsFetchOptions
{
    /// <summary>
    /// The bound on the whole fetch (TXT look-up, connect, TLS, headers, body). RFC 8461 3.3 leaves the value to the
    /// sender; 30 seconds by default.
    /// </summary>
    internal TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest body read, in bytes (default <see cref="MtaStsPolicy.MaxBodyBytes"/>, RFC 8461 3.3).</summary>
    internal int MaxBodyBytes { get; init; } = MtaStsPolicy.MaxBodyBytes;

    /// <summary>
    /// Roots to trust instead of the system store (<see cref="X509ChainTrustMode.CustomRootTrust"/>), e.g. a test CA;
    /// null uses the system store.
    /// </summary>
    internal X509Certificate2Collection? CustomRoots { get; init; }

    /// <summary>
    /// Connect to this address instead of resolving <c>mta-sts.DOMAIN</c> (TLS SNI, certificate name and Host header stay
    /// <c>mta-sts.DOMAIN</c>), e.g. a test server on 127.0.0.1. Null resolves the name.
    /// </summary>
    internal IPEndPoint? Endpoint { get; init; }

    /// <summary>
    /// Looks up the TXT records of a name (<c>_mta-sts.DOMAIN</c>), each record's strings concatenated. When set, the
    /// fetch first requires exactly one valid <c>v=STSv1</c> record (RFC 8461 3.1); when null, the TXT step is skipped.
    /// </summary>
    internal Func<string, CancellationToken, Task<IReadOnlyList<string>>>? TxtLookup { get; init; }
}

/// <summary>
/// Fetches a domain's MTA-STS policy as a sender does (RFC 8461 3.3): optionally the <c>_mta-sts</c> TXT record, then
/// <c>GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c> with a PKIX-valid certificate for that name, no redirects,
/// status 200, media type <c>text/plain</c>, a bounded body and an overall time limit.
/// </summary>
/// <remarks>
/// A network adapter (Tooling, as the probe is in the core's <c>Net/</c>): it uses <see cref="X509Certificate2"/> and the
/// current time for the HTTPS chain. Does not check revocation of the HTTPS certificate, does not cache policies or
/// honour <c>max_age</c>, does not use a proxy, cookies or HTTP compression. One connection per fetch.
/// </remarks>
internal static class MtaStsFetcher
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>The policy URL of a domain (RFC 8461 3.3).</summary>
    internal static Uri PolicyUri(string domain) => new("https://mta-sts." + domain + "/.well-known/mta-sts.txt", UriKind.Absolute);

    /// <summary>Fetches and parses the policy of a domain. Failures are results; only the caller's cancellation throws.</summary>
    /// <param name="domain">The policy domain (the part after <c>@</c>), an A-label host name.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <exception cref="ArgumentException">The domain is not a host name.</exception>
    internal static async Task<MtaStsFetchResult> FetchAsync(string domain, MtaStsFetchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        domain = domain.EndsWith('.') ? domain[..^1] : domain;
        if (domain.StartsWith('*'))
        {
            throw new ArgumentException("not a host name: a wildcard", nameof(domain));
        }

        if (!MxPattern.IsValid(domain, out _, out var why))
        {
            throw new ArgumentException("not a host name: " + why, nameof(domain));
        }

        options ??= new MtaStsFetchOptions();
        if (options.Timeout <= TimeSpan.Zero || options.MaxBodyBytes <= 0)
        {
            throw new ArgumentException("the timeout and the body limit must be positive", nameof(options));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            return await FetchCoreAsync(domain, options, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(MtaStsFetchStatus.Timeout, 0, "no complete answer within " + options.Timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + " s");
        }
    }

    private static async Task<MtaStsFetchResult> FetchCoreAsync(string domain, MtaStsFetchOptions options, CancellationToken token)
    {
        MtaStsRecord? record = null;
        if (options.TxtLookup is { } lookup)
        {
            IReadOnlyList<string> txts;
            try
            {
                txts = await lookup("_mta-sts." + domain, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return Fail(MtaStsFetchStatus.DnsNoRecord, 0, "TXT look-up of _mta-sts." + domain + " failed: " + ex.Message);
            }

            if (!MtaStsRecord.TrySelect(txts, out record, out var recordError))
            {
                return Fail(MtaStsFetchStatus.DnsNoRecord, 0, "_mta-sts." + domain + ": " + recordError);
            }
        }

        string host = "mta-sts." + domain;
        string? certificateProblem = null;
        using var handler = new SocketsHttpHandler
        {
            // RFC 8461 3.3: "senders MUST NOT follow HTTP redirects".
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 1,
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    CheckCertificate(host, certificate, chain, errors, options.CustomRoots, out certificateProblem),
            },
        };
        if (options.Endpoint is { } endpoint)
        {
            handler.ConnectCallback = (context, ct) => ConnectAsync(endpoint, ct);
        }

        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, PolicyUri(domain));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (certificateProblem is not null)
        {
            _ = ex;
            return Fail(MtaStsFetchStatus.TlsCertificate, 0, host + ": " + certificateProblem + " (RFC 8461 3.3)", record);
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException)
        {
            return Fail(MtaStsFetchStatus.Network, 0, host + ": TLS handshake failed: " + ex.InnerException.Message, record);
        }
        catch (HttpRequestException ex)
        {
            return Fail(MtaStsFetchStatus.Network, 0, host + ": " + (ex.InnerException?.Message ?? ex.Message), record);
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            if (status is >= 300 and <= 399)
            {
                string to = response.Headers.Location is { } location ? " to " + location.OriginalString : string.Empty;
                return Fail(MtaStsFetchStatus.Redirect, status, "HTTP " + status + " redirect" + to + " refused (RFC 8461 3.3)", record);
            }

            if (status != 200)
            {
                return Fail(MtaStsFetchStatus.HttpStatus, status, "HTTP status " + status + "; the policy must be served with 200 (RFC 8461 3.3)", record);
            }

            // RFC 8461 3.2: the policy is served with the media type "text/plain" (parameters such as charset allowed).
            string? mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, "text/plain", StringComparison.OrdinalIgnoreCase))
            {
                return Fail(MtaStsFetchStatus.ContentType, status, "media type " + (mediaType is null ? "missing" : "\"" + mediaType + "\"") + "; the policy must be text/plain (RFC 8461 3.2)", record);
            }

            int max = options.MaxBodyBytes;
            if (response.Content.Headers.ContentLength is long declared && declared > max)
            {
                return Fail(MtaStsFetchStatus.TooLarge, status, "the body is " + declared + " bytes (Content-Length), above the limit of " + max + " (RFC 8461 3.3)", record);
            }

            // The declared length is not trusted: read at most max + 1 bytes, whatever the framing says.
            var buffer = new byte[max + 1];
            int total = 0;
            var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                try
                {
                    while (total < buffer.Length)
                    {
                        int n = await stream.ReadAsync(buffer.AsMemory(total), token).ConfigureAwait(false);
                        if (n == 0)
                        {
                            break;
                        }

                        total += n;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    return Fail(MtaStsFetchStatus.Network, status, host + ": the body was cut off: " + (ex.InnerException?.Message ?? ex.Message), record);
                }
            }

            if (total > max)
            {
                return Fail(MtaStsFetchStatus.TooLarge, status, "the body is larger than the limit of " + max + " bytes (RFC 8461 3.3)", record);
            }

            string text;
            try
            {
                text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(buffer, 0, total);
            }
            catch (DecoderFallbackException)
            {
                return Fail(MtaStsFetchStatus.ParseError, status, "the policy is not valid UTF-8 (RFC 8461 3.2)", record);
            }

            if (!MtaStsPolicy.TryParse(text, out var policy, out var error))
            {
                return Fail(MtaStsFetchStatus.ParseError, status, "policy line " + error, record);
            }

            return new MtaStsFetchResult(MtaStsFetchStatus.Ok, policy, record, status, "mode " + MtaStsPolicy.ModeName(policy!.Mode) + ", " + policy.Mx.Length + " mx pattern(s), max_age " + policy.MaxAge);
        }
    }

    private static MtaStsFetchResult Fail(MtaStsFetchStatus status, int httpStatus, string message, MtaStsRecord? record = null) =>
        new(status, null, record, httpStatus, message);

    private static async ValueTask<Stream> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // RFC 8461 3.3: the HTTPS certificate must be valid for mta-sts.DOMAIN and chain to a root the sender trusts.
    private static bool CheckCertificate(string host, X509Certificate? certificate, X509Chain? platformChain, SslPolicyErrors errors, X509Certificate2Collection? roots, out string? problem)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            problem = "the server sent no certificate";
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            problem = "the certificate does not name " + host;
            return false;
        }

        if (roots is null)
        {
            if (errors != SslPolicyErrors.None)
            {
                problem = "the certificate chain is not valid: " + Describe(platformChain);
                return false;
            }

            problem = null;
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthOid));
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (platformChain is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(platformChain.ChainPolicy.ExtraStore);
        }

        // SslStream hands the callback an X509Certificate2; anything else is not validated here (fail closed), and no
        // second certificate reader is written (NoSecondReaderTests).
        if (certificate is not X509Certificate2 leaf)
        {
            problem = "the server certificate could not be examined";
            return false;
        }

        if (!chain.Build(leaf))
        {
            problem = "the certificate chain is not valid: " + Describe(chain);
            return false;
        }

        problem = null;
        return true;
    }

    private static string Describe(X509Chain? chain)
    {
        if (chain is null || chain.ChainStatus.Length == 0)
        {
            return "no chain to a trusted root";
        }

        var sb = new StringBuilder();
        foreach (var s in chain.ChainStatus)
        {
            if (sb.Length > 0)
            {
                sb.Append("; ");
            }

            sb.Append(s.Status switch
            {
                X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain => "no chain to a trusted root",
                X509ChainStatusFlags.NotTimeValid => "a certificate is expired or not yet valid",
                X509ChainStatusFlags.NotValidForUsage => "not valid for TLS server authentication",
                X509ChainStatusFlags.NotSignatureValid => "a signature does not verify",
                _ => s.StatusInformation.Trim(),
            });
        }

        return sb.ToString();
    }
}
