using System.Globalization;

namespace CertPolicy.Monitoring;

/// <summary>Options for <see cref="PostfixTlsLogScanner"/>.</summary>
public sealed class PostfixTlsLogScannerOptions
{
    /// <summary>Default <see cref="MaxLineLength"/>: 8192 characters.</summary>
    /// <remarks>
    /// Postfix's own lines are short: msg(3) truncates a log record to a few kB (a long SMTP reply in a
    /// reason included), and syslog daemons cap records at 1024..8192 bytes by default.
    /// </remarks>
    public const int DefaultMaxLineLength = 8192;

    /// <summary>
    /// Lines longer than this (in characters, without the line break) are skipped unread and counted in
    /// <see cref="PostfixTlsLogScanner.LongLinesSkipped"/>; they never raise an event. At least 64.
    /// </summary>
    public int MaxLineLength { get; init; } = DefaultMaxLineLength;
}

/// <summary>
/// Streams Postfix log text line by line and returns the TLS failures that must raise an alert (R-T11,
/// RULES.md), in the formats of postfix-tls.md section 7. Never loads the whole input: one line buffer of
/// at most <see cref="PostfixTlsLogScannerOptions.MaxLineLength"/> characters; longer lines are skipped and
/// counted. Never throws on data (garbage, binary, truncated lines are simply not events); exceptions come
/// only from the <see cref="TextReader"/> itself (I/O errors).
/// </summary>
/// <remarks>
/// <para>Accepted line prefixes (each followed by <c>program[pid]: message</c>):</para>
/// <list type="bullet">
/// <item>classic syslog and Postfix's own <c>maillog_file</c> (postlogd): <c>Nov 28 12:00:00 host postfix/smtp[123]: ...</c>
/// (postlogd in Postfix 3.7.11 writes exactly this form, with the first label of <c>myhostname</c> as host:
/// checked against a real instance, see the integration test);</item>
/// <item>RFC 3339 (rsyslog high precision, journald <c>short-iso</c>): <c>2026-11-28T12:00:00.123456+00:00 host postfix/smtp[123]: ...</c>;</item>
/// <item>no prefix at all: <c>postfix/smtp[123]: ...</c> (as quoted in postfix-tls.md 7).</item>
/// </list>
/// <para>
/// Only programs whose last path segment is <c>smtp</c> (outbound) or <c>smtpd</c> (inbound) count, with any
/// <c>syslog_name</c> before it (<c>postfix-out/smtp</c>). Not recognised: lmtp(8), posttls-finger (postfix-tls.md 7.3),
/// <c>no TLSA records found</c> (DANE), and the <c>warning: TLS policy lookup ...</c> line (the delivery line that
/// follows it is the event). The scanner does not correlate lines: the "more MX hosts remain" form
/// (<c>QID: Server certificate not verified</c>) has no relay or recipient.
/// </para>
/// <para>Not thread-safe: one scanner per reader.</para>
/// </remarks>
public sealed class PostfixTlsLogScanner
{
    private const int ChunkSize = 4096;
    private readonly TextReader reader;
    private readonly char[] chunk = new char[ChunkSize];
    private readonly char[] line;
    private int chunkPos;
    private int chunkLen;
    private bool eof;

    /// <summary>Creates a scanner over <paramref name="reader"/>; the caller keeps ownership of the reader.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PostfixTlsLogScannerOptions.MaxLineLength"/> is below 64 or above 1 MiB characters.</exception>
    public PostfixTlsLogScanner(TextReader reader, PostfixTlsLogScannerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int max = (options ?? new PostfixTlsLogScannerOptions()).MaxLineLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, 1024 * 1024);
        this.reader = reader;
        line = new char[max + 1];
    }

    /// <summary>Lines read so far (including skipped ones).</summary>
    public long LinesRead { get; private set; }

    /// <summary>Lines skipped because they were longer than <see cref="PostfixTlsLogScannerOptions.MaxLineLength"/>.</summary>
    public long LongLinesSkipped { get; private set; }

    /// <summary>Reads up to the next alert event; <see langword="false"/> at the end of the input.</summary>
    public bool TryReadNext([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PostfixTlsEvent? tlsEvent)
    {
        while (TryReadLine(out int length, out bool tooLong))
        {
            LinesRead++;
            if (tooLong)
            {
                LongLinesSkipped++;
                continue;
            }

            if (TryParseLine(line.AsSpan(0, length), LinesRead, out tlsEvent))
            {
                return true;
            }
        }

        tlsEvent = null;
        return false;
    }

    /// <summary>All remaining events, read lazily (streaming) as the sequence is enumerated.</summary>
    public IEnumerable<PostfixTlsEvent> ReadAll()
    {
        while (TryReadNext(out var e))
        {
            yield return e;
        }
    }

    /// <summary>
    /// Parses one log line (without its line break). <see langword="false"/> for anything that is not one
    /// of the R-T11 events, including malformed text; never throws.
    /// </summary>
    public static bool TryParseLine(ReadOnlySpan<char> text, long lineNumber, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PostfixTlsEvent? tlsEvent)
    {
        tlsEvent = null;
        if (!LinePrefix.TryParse(text, out var prefix))
        {
            return false;
        }

        var program = text.Slice(prefix.ProgramStart, prefix.ProgramLength);
        int slash = program.LastIndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        var daemon = program[(slash + 1)..];
        var message = text[prefix.MessageStart..];
        if (daemon.SequenceEqual("smtp"))
        {
            return TryParseSmtp(text, prefix, message, lineNumber, out tlsEvent);
        }

        if (daemon.SequenceEqual("smtpd"))
        {
            return TryParseSmtpd(text, prefix, message, lineNumber, out tlsEvent);
        }

        return false;
    }

    // postfix-tls.md 7.1: smtp(8) client lines.
    private static bool TryParseSmtp(ReadOnlySpan<char> text, in LinePrefix prefix, ReadOnlySpan<char> message, long lineNumber, out PostfixTlsEvent? tlsEvent)
    {
        tlsEvent = null;

        // "[server |CA ]certificate verification failed for <namaddr>: <reason>" (7.1).
        var rest = message;
        if (rest.StartsWith("server "))
        {
            rest = rest["server ".Length..];
        }
        else if (rest.StartsWith("CA "))
        {
            rest = rest["CA ".Length..];
        }

        if (rest.StartsWith("certificate verification failed for "))
        {
            rest = rest["certificate verification failed for ".Length..];
            if (!NamAddr.TryParse(rest, out var peer) || !rest[peer.Length..].StartsWith(": "))
            {
                return false;
            }

            var reason = rest[(peer.Length + 2)..];
            tlsEvent = Create(text, prefix, lineNumber, PostfixTlsEventKind.CertificateVerificationFailed, RuleForVerification(reason), reason, rest, peer, default);
            return true;
        }

        // "QID: to=<rcpt>, relay=..., delay=..., delays=..., dsn=X.Y.Z, status=S (reason)" or
        // "QID: <reason>" when more MX hosts remain (7.1).
        int qidLength = QueueIdLength(message);
        if (qidLength == 0)
        {
            return false;
        }

        var qid = message[..qidLength];
        var body = message[(qidLength + 2)..];
        if (!body.StartsWith("to=<"))
        {
            // "more MX hosts remain": the whole body is the reason.
            if (!TryClassifyReason(body, out var k, out var r))
            {
                return false;
            }

            tlsEvent = Create(text, prefix, lineNumber, k, r, body, [], null, new Delivery { QueueId = qid.ToString() });
            return true;
        }

        var afterTo = body["to=<".Length..];
        int rcptEnd = afterTo.IndexOf(">, ");
        if (rcptEnd < 0)
        {
            return false;
        }

        var recipient = afterTo[..rcptEnd];
        var fields = afterTo[(rcptEnd + 1)..];

        // status= is the last field: the reason in parentheses runs to the end of the line and may itself
        // contain ", " (e.g. a copied SMTP reply), so the fields before it are searched only up to it.
        int statusAt = fields.IndexOf(", status=");
        if (statusAt < 0)
        {
            return false;
        }

        var head = fields[..statusAt];
        var statusPart = fields[(statusAt + ", status=".Length)..];
        int space = statusPart.IndexOf(' ');
        var status = space < 0 ? statusPart : statusPart[..space];
        if (!(status.SequenceEqual("deferred") || status.SequenceEqual("bounced") || status.SequenceEqual("undeliverable")))
        {
            return false;
        }

        var reasonText = ReadOnlySpan<char>.Empty;
        if (space >= 0)
        {
            var paren = statusPart[(space + 1)..];
            if (paren.Length >= 2 && paren[0] == '(' && paren[^1] == ')')
            {
                reasonText = paren[1..^1];
            }
        }

        if (!TryClassifyReason(reasonText, out var kind, out var rule))
        {
            return false;
        }

        var relay = Field(head, ", relay=");
        var dsn = Field(head, ", dsn=");
        var delivery = new Delivery
        {
            QueueId = qid.ToString(),
            Recipient = recipient.ToString(),
            RecipientDomain = DomainOf(recipient),
            Dsn = dsn.IsEmpty ? null : dsn.ToString(),
            Status = status.ToString(),
        };
        NamAddr? relayPeer = null;
        if (relay.IsEmpty || relay.SequenceEqual("none"))
        {
            relay = [];
        }
        else if (NamAddr.TryParse(relay, out var parsed) && parsed.Length == relay.Length)
        {
            relayPeer = parsed;
        }
        else
        {
            delivery = delivery with { RelayText = relay.ToString() };
        }

        tlsEvent = Create(text, prefix, lineNumber, kind, rule, reasonText, relay, relayPeer, delivery);
        return true;
    }

    // postfix-tls.md 7.2: "SSL_accept error from <client>: -1" (or ": lost connection", ": <errno text>").
    private static bool TryParseSmtpd(ReadOnlySpan<char> text, in LinePrefix prefix, ReadOnlySpan<char> message, long lineNumber, out PostfixTlsEvent? tlsEvent)
    {
        tlsEvent = null;
        if (!message.StartsWith("SSL_accept error from "))
        {
            return false;
        }

        var rest = message["SSL_accept error from ".Length..];
        if (!NamAddr.TryParse(rest, out var peer))
        {
            return false;
        }

        var after = rest[peer.Length..];
        var reason = after.StartsWith(": ") ? after[2..] : after;
        tlsEvent = Create(text, prefix, lineNumber, PostfixTlsEventKind.InboundTlsHandshakeFailed, null, reason, rest, peer, default);
        return true;
    }

    // Delivery reasons of postfix-tls.md 7.1 (the text inside "status=... (...)").
    private static bool TryClassifyReason(ReadOnlySpan<char> reason, out PostfixTlsEventKind kind, out string? rule)
    {
        rule = null;
        if (reason.StartsWith("Server certificate not verified"))
        {
            // 5: at verify/secure/fingerprint/dane the verdict was not "Verified": mandatory verified TLS failed.
            (kind, rule) = (PostfixTlsEventKind.ServerCertificateNotVerified, "R-T6");
        }
        else if (reason.StartsWith("Cannot start TLS"))
        {
            // Handshake failure: protocol or cipher mismatch, or a broken peer; which rule is not obvious.
            kind = PostfixTlsEventKind.CannotStartTls;
        }
        else if (reason.StartsWith("TLS is required, but was not offered"))
        {
            (kind, rule) = (PostfixTlsEventKind.TlsNotOffered, "R-T6");
        }
        else if (reason.StartsWith("TLS is required, but host ") && reason.Contains(" refused to start TLS", StringComparison.Ordinal))
        {
            (kind, rule) = (PostfixTlsEventKind.StartTlsRefused, "R-T6");
        }
        else if (reason.StartsWith("client TLS configuration problem"))
        {
            kind = PostfixTlsEventKind.ClientTlsConfigurationProblem;
        }
        else
        {
            kind = default;
            return false;
        }

        return true;
    }

    // 7.1 verification texts: num=62 hostname / num=64 IP address mismatch -> R-C2; self-signed -> R-C7;
    // untrusted issuer -> R-C3 (the issuer is not a CA we trust). Others (expiry, TLSA, ...) name no single rule.
    private static string? RuleForVerification(ReadOnlySpan<char> reason)
    {
        if (reason.StartsWith("num=62:") || reason.StartsWith("num=64:") || reason.Contains("hostname mismatch", StringComparison.Ordinal))
        {
            return "R-C2";
        }

        if (reason.StartsWith("self-signed certificate") || reason.StartsWith("self signed certificate"))
        {
            return "R-C7";
        }

        if (reason.StartsWith("untrusted issuer"))
        {
            return "R-C3";
        }

        return null;
    }

    private static PostfixTlsEvent Create(
        ReadOnlySpan<char> text, in LinePrefix prefix, long lineNumber, PostfixTlsEventKind kind, string? rule, ReadOnlySpan<char> reason,
        ReadOnlySpan<char> peerText, NamAddr? peer, Delivery delivery) => new()
        {
            Kind = kind,
            RelatedRuleId = rule,
            LineNumber = lineNumber,
            Timestamp = text.Slice(prefix.TimestampStart, prefix.TimestampLength).ToString(),
            LogHost = text.Slice(prefix.HostStart, prefix.HostLength).ToString(),
            Program = text.Slice(prefix.ProgramStart, prefix.ProgramLength).ToString(),
            ProcessId = prefix.ProcessId,
            Reason = reason.ToString(),
            QueueId = delivery.QueueId,
            Recipient = delivery.Recipient,
            RecipientDomain = delivery.RecipientDomain,
            Dsn = delivery.Dsn,
            Status = delivery.Status,
            PeerHost = peer is { } p ? p.Host(peerText) : delivery.RelayText,
            PeerAddress = peer is { } a ? a.Address(peerText) : null,
            PeerPort = peer is { Port: >= 0 } n ? n.Port : null,
        };

    private readonly record struct Delivery
    {
        public string? QueueId { get; init; }

        public string? Recipient { get; init; }

        public string? RecipientDomain { get; init; }

        public string? Dsn { get; init; }

        public string? Status { get; init; }

        public string? RelayText { get; init; }
    }

    // The value of ", name=" up to the next ", " (or the end of the span).
    private static ReadOnlySpan<char> Field(ReadOnlySpan<char> fields, ReadOnlySpan<char> name)
    {
        int at = fields.IndexOf(name);
        if (at < 0)
        {
            return [];
        }

        var value = fields[(at + name.Length)..];
        int end = value.IndexOf(", ");
        return end < 0 ? value : value[..end];
    }

    private static string? DomainOf(ReadOnlySpan<char> recipient)
    {
        int at = recipient.LastIndexOf('@');
        if (at < 0 || at == recipient.Length - 1)
        {
            return null;
        }

        var domain = recipient[(at + 1)..];
        return string.Create(domain.Length, domain, static (dest, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                char c = src[i];
                dest[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c; // ASCII only (STYLE.md: no Unicode case folding)
            }
        });
    }

    // Postfix queue ids: short hex ids (D450FB24391) or long ids (enable_long_queue_ids, base-52 plus 'z'
    // separator), followed by ": ". Returns the id length, or 0.
    private static int QueueIdLength(ReadOnlySpan<char> message)
    {
        int i = 0;
        while (i < message.Length && i <= 32 && char.IsAsciiLetterOrDigit(message[i]))
        {
            i++;
        }

        return i >= 5 && i <= 32 && message[i..].StartsWith(": ") ? i : 0;
    }

    private void FillChunk()
    {
        chunkPos = 0;
        chunkLen = eof ? 0 : reader.Read(chunk, 0, chunk.Length);
        if (chunkLen <= 0)
        {
            chunkLen = 0;
            eof = true;
        }
    }

    // Reads one line (LF or CRLF terminated; a lone CR is data) into `line`, whose capacity is the limit plus
    // one for the CR of a CRLF. A longer line is consumed to its end without being stored (tooLong). False
    // only at the end of the input with nothing read.
    private bool TryReadLine(out int length, out bool tooLong)
    {
        length = 0;
        tooLong = false;
        bool any = false;
        while (true)
        {
            if (chunkPos >= chunkLen)
            {
                FillChunk();
                if (eof)
                {
                    break;
                }
            }

            any = true;
            var available = chunk.AsSpan(chunkPos, chunkLen - chunkPos);
            int nl = available.IndexOf('\n');
            var part = nl < 0 ? available : available[..nl];
            if (!tooLong)
            {
                if (length + part.Length <= line.Length)
                {
                    part.CopyTo(line.AsSpan(length));
                    length += part.Length;
                }
                else
                {
                    tooLong = true;
                }
            }

            chunkPos += nl < 0 ? part.Length : nl + 1;
            if (nl >= 0)
            {
                break;
            }
        }

        if (!tooLong && length > 0 && line[length - 1] == '\r')
        {
            length--;
        }

        tooLong |= length > line.Length - 1;
        return any;
    }

    // "host[addr]" or "host[addr]:port" at the start of a span (postfix-tls.md 7: <namaddr>).
    private readonly struct NamAddr
    {
        public readonly int HostLength;
        public readonly int AddressStart;
        public readonly int AddressLength;
        public readonly int Port;
        public readonly int Length;

        private NamAddr(int hostLength, int addressStart, int addressLength, int port, int length)
        {
            HostLength = hostLength;
            AddressStart = addressStart;
            AddressLength = addressLength;
            Port = port;
            Length = length;
        }

        public static bool TryParse(ReadOnlySpan<char> s, out NamAddr value)
        {
            value = default;
            int open = s.IndexOfAny('[', ' ');
            if (open < 0 || s[open] != '[')
            {
                return false;
            }

            int close = s[open..].IndexOfAny(']', ' ');
            if (close < 0 || s[open + close] != ']')
            {
                return false;
            }

            close += open;
            int end = close + 1;
            int port = -1;
            if (end < s.Length && s[end] == ':')
            {
                int i = end + 1;
                int p = 0;
                while (i < s.Length && i - end <= 5 && char.IsAsciiDigit(s[i]))
                {
                    p = (p * 10) + (s[i] - '0');
                    i++;
                }

                if (i > end + 1 && i - end <= 6 && p <= 65535)
                {
                    port = p;
                    end = i;
                }
            }

            value = new NamAddr(open, open + 1, close - open - 1, port, end);
            return true;
        }

        public string Host(ReadOnlySpan<char> s) => s[..HostLength].ToString();

        public string Address(ReadOnlySpan<char> s) => s.Slice(AddressStart, AddressLength).ToString();
    }

    // "<timestamp> <host> program[pid]: " or "program[pid]: " (see the class remarks).
    private readonly struct LinePrefix
    {
        public int TimestampStart { get; init; }

        public int TimestampLength { get; init; }

        public int HostStart { get; init; }

        public int HostLength { get; init; }

        public int ProgramStart { get; init; }

        public int ProgramLength { get; init; }

        public int ProcessId { get; init; }

        public int MessageStart { get; init; }

        public static bool TryParse(ReadOnlySpan<char> s, out LinePrefix prefix)
        {
            prefix = default;
            int tsLength = ClassicTimestampLength(s);
            if (tsLength == 0)
            {
                tsLength = Rfc3339TimestampLength(s);
            }

            if (tsLength == 0)
            {
                // No timestamp: "program[pid]: message".
                if (!TryProgram(s, 0, out int pl, out int pidValue, out int ms))
                {
                    return false;
                }

                prefix = new LinePrefix { ProgramStart = 0, ProgramLength = pl, ProcessId = pidValue, MessageStart = ms };
                return true;
            }

            int pos = tsLength;
            if (pos >= s.Length || s[pos] != ' ')
            {
                return false;
            }

            pos++;

            // A host token, unless the token is already the program (a log without host names).
            if (TryProgram(s, pos, out int progLength, out int pid, out int messageStart))
            {
                prefix = new LinePrefix { TimestampLength = tsLength, HostStart = pos, ProgramStart = pos, ProgramLength = progLength, ProcessId = pid, MessageStart = messageStart };
                return true;
            }

            int hostEnd = s[pos..].IndexOf(' ');
            if (hostEnd <= 0)
            {
                return false;
            }

            int programStart = pos + hostEnd + 1;
            if (!TryProgram(s, programStart, out progLength, out pid, out messageStart))
            {
                return false;
            }

            prefix = new LinePrefix
            {
                TimestampLength = tsLength,
                HostStart = pos,
                HostLength = hostEnd,
                ProgramStart = programStart,
                ProgramLength = progLength,
                ProcessId = pid,
                MessageStart = messageStart,
            };
            return true;
        }

        // "name[digits]: " at s[start..]; name is 1..100 characters without blanks or '['.
        private static bool TryProgram(ReadOnlySpan<char> s, int start, out int programLength, out int pid, out int messageStart)
        {
            programLength = 0;
            pid = 0;
            messageStart = 0;
            var t = s[start..];
            int open = t.IndexOfAny('[', ' ');
            if (open <= 0 || open > 100 || t[open] != '[')
            {
                return false;
            }

            int i = open + 1;
            int value = 0;
            while (i < t.Length && i - open <= 9 && char.IsAsciiDigit(t[i]))
            {
                value = (value * 10) + (t[i] - '0');
                i++;
            }

            if (i == open + 1 || !t[i..].StartsWith("]: "))
            {
                return false;
            }

            programLength = open;
            pid = value;
            messageStart = start + i + 3;
            return true;
        }

        // "Mmm dd hh:mm:ss" or "Mmm  d hh:mm:ss" (RFC 3164; also postlogd's maillog_file), optional ".ffffff".
        private static int ClassicTimestampLength(ReadOnlySpan<char> s)
        {
            if (s.Length < 15 || !char.IsAsciiLetterUpper(s[0]) || !char.IsAsciiLetterLower(s[1]) || !char.IsAsciiLetterLower(s[2]) || s[3] != ' ')
            {
                return 0;
            }

            if (!(s[4] == ' ' || char.IsAsciiDigit(s[4])) || !char.IsAsciiDigit(s[5]) || s[6] != ' ')
            {
                return 0;
            }

            if (!IsTime(s[7..]))
            {
                return 0;
            }

            int end = 15;
            if (end < s.Length && s[end] == '.')
            {
                int i = end + 1;
                while (i < s.Length && i - end <= 9 && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }

                end = i > end + 1 ? i : end;
            }

            return end;
        }

        // "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)" (RFC 3339 5.6); the token runs to the first blank.
        private static int Rfc3339TimestampLength(ReadOnlySpan<char> s)
        {
            if (s.Length < 20 || !IsDigits(s[..4]) || s[4] != '-' || !IsDigits(s.Slice(5, 2)) || s[7] != '-' || !IsDigits(s.Slice(8, 2))
                || (s[10] != 'T' && s[10] != 't') || !IsTime(s[11..]))
            {
                return 0;
            }

            int space = s.IndexOf(' ');
            return space < 19 || space > 40 ? 0 : space;
        }

        private static bool IsTime(ReadOnlySpan<char> s) =>
            s.Length >= 8 && IsDigits(s[..2]) && s[2] == ':' && IsDigits(s.Slice(3, 2)) && s[5] == ':' && IsDigits(s.Slice(6, 2));

        private static bool IsDigits(ReadOnlySpan<char> s)
        {
            foreach (char c in s)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
