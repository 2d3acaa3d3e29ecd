using System.Security.Authentication;

namespace CertPolicy.Net;

/// <summary>
/// What <see cref="SmtpProbe.ProbeAsync"/> connects to and how long it waits. The probe connects only to
/// <see cref="Host"/>: it does no MX lookup and follows no referral.
/// </summary>
public sealed class SmtpProbeOptions
{
    /// <summary>The port of implicit TLS (SMTPS, RFC 8314), not used between gateways (R-T1).</summary>
    public const int SmtpsPort = 465;

    /// <summary>The gateway's host name or IP literal (IPv6 without brackets).</summary>
    public required string Host { get; init; }

    /// <summary>The TCP port; default 25 (R-T1).</summary>
    public int Port { get; init; } = 25;

    /// <summary>
    /// Implicit TLS (SMTPS): the TLS handshake starts right after connecting, without STARTTLS. Gateways
    /// do not use it (R-T1): without this flag a probe of port 465 is refused before connecting, and with
    /// it the evaluation reports an R-T1 failure.
    /// </summary>
    public bool ImplicitTls { get; init; }

    /// <summary>The name sent in EHLO; default <c>certpolicy.invalid</c>.</summary>
    public string EhloName { get; init; } = "certpolicy.invalid";

    /// <summary>
    /// The TLS server name (SNI) to send; default null: none, like Postfix 3.7's smtp(8) with an empty
    /// <c>smtp_tls_servername</c> (the policy attribute <c>servername=</c> sets it). Some servers choose their
    /// certificate by SNI, so the probe sees what Postfix would see.
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>Time allowed for DNS resolution plus the TCP connect; default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for each SMTP reply (banner, EHLO, STARTTLS, QUIT); default 30 s.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for the TLS handshake; default 30 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Time allowed for one whole connection, from the connect to the QUIT; default 2 minutes. Each step also has
    /// its own timeout above, but a server that answers every step just before its timeout (or drips one byte a
    /// second) is stopped here: the outcome is then <see cref="ProbeOutcome.Timeout"/>. The permissive retry
    /// (<see cref="RetryPermissively"/>) is a second connection with its own deadline.
    /// </summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The protocols the probe offers; default <see cref="SslProtocols.None"/> (the operating system's
    /// default, TLS 1.2 and 1.3 with OpenSSL 3). Offering older versions lets the report name a legacy-only
    /// server's protocol (R-T4) instead of a bare handshake failure.
    /// </summary>
    public SslProtocols EnabledProtocols { get; init; } = SslProtocols.None;

    /// <summary>
    /// The TLS 1.2-and-older suites the probe offers (with the TLS 1.3 suites), in preference order; null
    /// for .NET's default list (which on Linux offers only AEAD suites, so a server limited to TLS 1.0/1.1
    /// shows as "no shared cipher"). Supported where .NET supports <see cref="System.Net.Security.CipherSuitesPolicy"/>
    /// (Linux, macOS); ignored elsewhere.
    /// </summary>
    public IReadOnlyList<System.Net.Security.TlsCipherSuite>? OfferedCipherSuites { get; init; }

    /// <summary>
    /// When the handshake with this offer fails, connect once more and offer everything the platform can
    /// still negotiate: TLS 1.0 to 1.3, CBC and NULL suites, OpenSSL security level 0
    /// (<see cref="System.Net.Security.EncryptionPolicy.AllowNoEncryption"/>). A server that only offers
    /// weak parameters is then reported by what it negotiates (R-T2..R-T5) instead of by a bare handshake
    /// failure. The retry is <see cref="ProbeResult.PermissiveRetry"/>; the probe's own outcome stays
    /// <see cref="ProbeOutcome.HandshakeFailed"/> (a client with standard settings cannot connect). Default true.
    /// </summary>
    public bool RetryPermissively { get; init; } = true;

    /// <summary>Checks the options; returns an error text or null. Called by the probe (which throws on an error: a caller mistake).</summary>
    /// <returns>Null when usable, else what is wrong.</returns>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Host) || Host.Length > 253 || Host.AsSpan().IndexOfAny("[]/ \t\r\n") >= 0)
        {
            return "Host must be a host name or an IP literal without brackets";
        }

        if (Port is < 1 or > 65535)
        {
            return "Port must be 1..65535";
        }

        if (Port == SmtpsPort && !ImplicitTls)
        {
            return "port 465 is implicit TLS (SMTPS), which gateways do not use (R-T1); set ImplicitTls to probe it anyway";
        }

        if (string.IsNullOrWhiteSpace(EhloName) || EhloName.AsSpan().IndexOfAny(" \t\r\n") >= 0)
        {
            return "EhloName must be one word";
        }

        if (ConnectTimeout <= TimeSpan.Zero || ReplyTimeout <= TimeSpan.Zero || HandshakeTimeout <= TimeSpan.Zero || SessionTimeout <= TimeSpan.Zero)
        {
            return "timeouts must be positive";
        }

        // CancellationTokenSource.CancelAfter takes at most int.MaxValue milliseconds (about 24.8 days).
        var longest = TimeSpan.FromMilliseconds(int.MaxValue - 1);
        if (ConnectTimeout > longest || ReplyTimeout > longest || HandshakeTimeout > longest || SessionTimeout > longest)
        {
            return "timeouts must be at most 24 days";
        }

        return null;
    }
}
