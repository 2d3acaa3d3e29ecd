using System.Collections.Immutable;
using System.Net.Security;
using System.Security.Authentication;

namespace CertPolicy.Net;

/// <summary>How far an SMTP probe got. Public values are API: never renumber.</summary>
public enum ProbeOutcome : byte
{
    /// <summary>The TLS handshake completed; protocol, suite and certificates are known.</summary>
    TlsEstablished = 0,

    /// <summary>The EHLO reply did not list STARTTLS (Postfix: "TLS is required, but was not offered").</summary>
    StartTlsNotOffered = 1,

    /// <summary>The server answered STARTTLS with a 4xx/5xx reply.</summary>
    StartTlsRefused = 2,

    /// <summary>The TLS handshake failed (Postfix: "Cannot start TLS: handshake failure").</summary>
    HandshakeFailed = 3,

    /// <summary>The server rejected the session (banner or EHLO not 2xx) or spoke something other than SMTP.</summary>
    SmtpError = 4,

    /// <summary>The host name did not resolve.</summary>
    DnsFailed = 5,

    /// <summary>The TCP connection was refused or failed.</summary>
    ConnectFailed = 6,

    /// <summary>A connect, reply or handshake timeout expired, or the connection was lost mid-session.</summary>
    Timeout = 7,
}

/// <summary>
/// What an SMTP STARTTLS probe observed: the outcome, the SMTP replies, and after a handshake the
/// negotiated protocol and suite and the certificates the server sent (DER, as received; nothing fetched).
/// </summary>
public sealed class ProbeResult
{
    internal ProbeResult(ProbeOutcome outcome, string message)
    {
        Outcome = outcome;
        Message = message;
    }

    /// <summary>How far the probe got.</summary>
    public ProbeOutcome Outcome { get; internal set; }

    /// <summary>A one-line description of the outcome (Postfix wording where it has one).</summary>
    public string Message { get; internal set; }

    /// <summary>The host connected to (as given).</summary>
    public string Host { get; internal init; } = string.Empty;

    /// <summary>The port connected to.</summary>
    public int Port { get; internal init; }

    /// <summary>The address connected to, when the TCP connection was made.</summary>
    public string? Address { get; internal set; }

    /// <summary>True when the probe used implicit TLS (SMTPS) rather than STARTTLS.</summary>
    public bool ImplicitTls { get; internal init; }

    /// <summary>The banner (220 greeting), lines joined with a line feed; null before it arrived.</summary>
    public string? Banner { get; internal set; }

    /// <summary>The EHLO reply lines; null before it arrived.</summary>
    public string? EhloReply { get; internal set; }

    /// <summary>The STARTTLS reply; null when STARTTLS was not sent.</summary>
    public string? StartTlsReply { get; internal set; }

    /// <summary>The EHLO reply over TLS (RFC 3207 4.2: the session starts again after the handshake); null when not received.</summary>
    internal string? EhloReplyAfterTls { get; set; }

    /// <summary>
    /// Bytes of plaintext the server sent after its 220 reply to STARTTLS and before the TLS handshake (dropped
    /// unread; the CVE-2011-0411 class); 0 for a well-behaved server.
    /// </summary>
    internal int PlaintextAfterStartTls { get; set; }

    /// <summary>True when the EHLO reply listed STARTTLS.</summary>
    public bool StartTlsOffered { get; internal set; }

    /// <summary>The negotiated protocol (after a handshake).</summary>
    public SslProtocols Protocol { get; internal set; }

    /// <summary>The negotiated suite's IANA code point (after a handshake).</summary>
    public TlsCipherSuite CipherSuite { get; internal set; }

    /// <summary>The certificates the server sent, DER, leaf first, in the order sent (empty for anonymous suites or before a handshake).</summary>
    public ImmutableArray<byte[]> Certificates { get; internal set; } = [];

    /// <summary>
    /// After a <see cref="ProbeOutcome.HandshakeFailed"/>: the second, permissive attempt
    /// (<see cref="SmtpProbeOptions.RetryPermissively"/>) on a new connection, whose protocol, suite and
    /// certificates show what a weak-only server negotiates; null when no retry was made.
    /// </summary>
    public ProbeResult? PermissiveRetry { get; internal set; }
}
