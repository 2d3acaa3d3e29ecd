namespace CertPolicy.Monitoring;

/// <summary>
/// The TLS failures in a Postfix log that must raise an alert (R-T11, RULES.md). The line formats are
/// in postfix-tls.md section 7. Public values are API: never renumber.
/// </summary>
public enum PostfixTlsEventKind
{
    /// <summary>
    /// smtp(8): <c>[server |CA ]certificate verification failed for host[addr]:port: reason</c>, logged before
    /// the TLS summary line at levels that require a match (postfix-tls.md 7.1). Delivery is deferred on the
    /// same connection with <see cref="ServerCertificateNotVerified"/>.
    /// </summary>
    CertificateVerificationFailed = 1,

    /// <summary>
    /// smtp(8): delivery deferred with <c>dsn=4.7.5, status=deferred (Server certificate not verified)</c>, or
    /// <c>QID: Server certificate not verified</c> when more MX hosts remain (postfix-tls.md 5, 7.1).
    /// </summary>
    ServerCertificateNotVerified = 2,

    /// <summary>smtp(8): <c>status=deferred (Cannot start TLS: handshake failure)</c> (postfix-tls.md 7.1).</summary>
    CannotStartTls = 3,

    /// <summary>smtp(8): <c>status=deferred (TLS is required, but was not offered by host ...)</c> (postfix-tls.md 7.1).</summary>
    TlsNotOffered = 4,

    /// <summary>
    /// smtp(8): <c>(TLS is required, but host ... refused to start TLS: 454 ...)</c>; deferred for a 4xx reply,
    /// bounced at once for a 5xx reply (postfix-tls.md 7.1).
    /// </summary>
    StartTlsRefused = 5,

    /// <summary>
    /// smtp(8): <c>relay=none, ..., dsn=4.7.5, status=deferred (client TLS configuration problem)</c>: an invalid
    /// <c>smtp_tls_policy_maps</c> entry (postfix-tls.md 7.1, 9 item 4).
    /// </summary>
    ClientTlsConfigurationProblem = 6,

    /// <summary>smtpd(8): <c>SSL_accept error from client[addr]: -1</c> (or <c>: lost connection</c>, <c>: errno text</c>) (postfix-tls.md 7.2).</summary>
    InboundTlsHandshakeFailed = 7,
}

/// <summary>Which side of the gateway an event concerns.</summary>
public enum MailDirection
{
    /// <summary>Delivery to another gateway: Postfix's smtp(8) client.</summary>
    Outbound = 0,

    /// <summary>A client connecting to this gateway: Postfix's smtpd(8) server.</summary>
    Inbound = 1,
}

/// <summary>
/// One alert-raising TLS event read from a Postfix log line (R-T11). Every text property is a copy of
/// what the log line says (not validated, not normalised): treat it as untrusted data when rendering it.
/// </summary>
/// <remarks>
/// The event does not say whether the destination is a partner with mandatory TLS (R-T6): that is a
/// question for the <c>tls_policy</c> table, not for the log.
/// </remarks>
public sealed class PostfixTlsEvent
{
    /// <summary>The rule every event belongs to: <c>R-T11</c> (monitoring).</summary>
    public const string MonitoringRuleId = "R-T11";

    /// <summary>What happened.</summary>
    public required PostfixTlsEventKind Kind { get; init; }

    /// <summary>Outbound (smtp) or inbound (smtpd).</summary>
    public MailDirection Direction => Kind == PostfixTlsEventKind.InboundTlsHandshakeFailed ? MailDirection.Inbound : MailDirection.Outbound;

    /// <summary>Always <see cref="MonitoringRuleId"/> (<c>R-T11</c>).</summary>
    public string RuleId => MonitoringRuleId;

    /// <summary>
    /// The specific rule the event points to when it is obvious from the line, else <see langword="null"/>:
    /// <c>R-C2</c> (num=62 hostname / num=64 IP address mismatch), <c>R-C7</c> (self-signed), <c>R-C3</c>
    /// (untrusted issuer), <c>R-T6</c> (mandatory verified TLS not achieved: not verified, not offered, refused).
    /// </summary>
    public string? RelatedRuleId { get; init; }

    /// <summary>1-based line number in the scanned text.</summary>
    public required long LineNumber { get; init; }

    /// <summary>The timestamp exactly as logged (classic syslog or RFC 3339); empty for a line without one.</summary>
    public required string Timestamp { get; init; }

    /// <summary>The logging host as written in the line; empty when the line has none.</summary>
    public required string LogHost { get; init; }

    /// <summary>The program, including any <c>syslog_name</c> prefix: <c>postfix/smtp</c>, <c>postfix-out/smtp</c>, <c>postfix/smtpd</c>.</summary>
    public required string Program { get; init; }

    /// <summary>The process id in <c>program[pid]</c>.</summary>
    public required int ProcessId { get; init; }

    /// <summary>The queue id of a delivery line, else <see langword="null"/>.</summary>
    public string? QueueId { get; init; }

    /// <summary>The recipient of a delivery line (without angle brackets), else <see langword="null"/>.</summary>
    public string? Recipient { get; init; }

    /// <summary>
    /// The recipient's domain (after the last <c>@</c>), lower-cased ASCII; the next-hop domain unless
    /// <c>transport_maps</c> or a relayhost route it elsewhere. <see langword="null"/> without a recipient.
    /// </summary>
    public string? RecipientDomain { get; init; }

    /// <summary>Outbound: the relay (server) host name; inbound: the client host name (<c>unknown</c> as Postfix logs it). <see langword="null"/> when the line names none (<c>relay=none</c>).</summary>
    public string? PeerHost { get; init; }

    /// <summary>The peer's IP address text from <c>host[addr]</c>, else <see langword="null"/>.</summary>
    public string? PeerAddress { get; init; }

    /// <summary>The peer's port when logged (<c>host[addr]:port</c>), else <see langword="null"/>.</summary>
    public int? PeerPort { get; init; }

    /// <summary>The reason text: the parenthesised delivery reason or the text after <c>host[addr]: </c>.</summary>
    public required string Reason { get; init; }

    /// <summary>The enhanced status code of a delivery line (<c>4.7.5</c>), else <see langword="null"/>.</summary>
    public string? Dsn { get; init; }

    /// <summary>The delivery status (<c>deferred</c>, <c>bounced</c>), else <see langword="null"/> (e.g. the "more MX hosts remain" form).</summary>
    public string? Status { get; init; }

    /// <summary>The relay as <c>host[addr]:port</c> (or <c>host[addr]</c>), or <see langword="null"/> without a peer.</summary>
    public string? PeerDisplay => PeerHost is null && PeerAddress is null
        ? null
        : (PeerHost ?? string.Empty) + (PeerAddress is null ? string.Empty : "[" + PeerAddress + "]")
          + (PeerPort is int p ? ":" + p.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);

    /// <summary>A short stable name for <see cref="Kind"/>, as used in CLI and JSON output (e.g. <c>tls-not-offered</c>).</summary>
    public static string KindName(PostfixTlsEventKind kind) => kind switch
    {
        PostfixTlsEventKind.CertificateVerificationFailed => "certificate-verification-failed",
        PostfixTlsEventKind.ServerCertificateNotVerified => "server-certificate-not-verified",
        PostfixTlsEventKind.CannotStartTls => "cannot-start-tls",
        PostfixTlsEventKind.TlsNotOffered => "tls-not-offered",
        PostfixTlsEventKind.StartTlsRefused => "starttls-refused",
        PostfixTlsEventKind.ClientTlsConfigurationProblem => "client-tls-configuration-problem",
        PostfixTlsEventKind.InboundTlsHandshakeFailed => "inbound-tls-handshake-failed",
        _ => "unknown",
    };
}
