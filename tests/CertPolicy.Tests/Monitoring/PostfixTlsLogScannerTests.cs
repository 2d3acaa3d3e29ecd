using CertPolicy.Monitoring;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests.Monitoring;

/// <summary>
/// The scanner against every line format of postfix-tls.md 7.1/7.2 (exact lines, with the placeholders
/// filled in), lines that must not alert, the three prefixes, and hostile input.
/// </summary>
public class PostfixTlsLogScannerTests
{
    private const string Smtp = "Nov 28 12:00:00 gw postfix/smtp[4711]: ";
    private const string Smtpd = "Nov 28 12:00:00 gw postfix/smtpd[815]: ";
    private const string NamAddr = "mx1.example.net[192.0.2.1]:25";

    private static PostfixTlsEvent Parse(string line)
    {
        Assert.True(PostfixTlsLogScanner.TryParseLine(line, 7, out var e), "no event for: " + line);
        return e!;
    }

    private static List<PostfixTlsEvent> ScanAll(string text, int maxLineLength = PostfixTlsLogScannerOptions.DefaultMaxLineLength)
    {
        var scanner = new PostfixTlsLogScanner(new StringReader(text), new PostfixTlsLogScannerOptions { MaxLineLength = maxLineLength });
        return scanner.ReadAll().ToList();
    }

    // postfix-tls.md 7.1, "Certificate verification failure": every listed text, with the first token as documented.
    public static TheoryData<string, string, string?> VerificationLines => new()
    {
        { "untrusted issuer", "certificate verification failed for " + NamAddr + ": untrusted issuer /O=Rogue/CN=Oracle Rogue Root CA B", "R-C3" },
        { "self-signed", "certificate verification failed for " + NamAddr + ": self-signed certificate", "R-C7" },
        { "not trusted by TLSA", "certificate verification failed for " + NamAddr + ": not trusted by local or TLSA policy", null },
        { "not a server certificate", "certificate verification failed for " + NamAddr + ": not designated for use as a server certificate", null },
        { "chain too long", "certificate verification failed for " + NamAddr + ": certificate chain longer than limit(3)", null },
        { "expired", "server certificate verification failed for " + NamAddr + ": certificate has expired", null },
        { "CA expired", "CA certificate verification failed for " + NamAddr + ": certificate has expired", null },
        { "not yet valid", "server certificate verification failed for " + NamAddr + ": certificate not yet valid", null },
        { "num=62 hostname mismatch", "server certificate verification failed for " + NamAddr + ": num=62:hostname mismatch", "R-C2" },
        { "num=64 IP mismatch", "server certificate verification failed for " + NamAddr + ": num=64:IP address mismatch", "R-C2" },
        { "num=65 DANE-EE", "server certificate verification failed for " + NamAddr + ": num=65:no matching DANE TLSA records", null },
        { "num=65 DANE-TA", "CA certificate verification failed for " + NamAddr + ": num=65:no matching DANE TLSA records", null },
        { "num=1 unspecified", "server certificate verification failed for " + NamAddr + ": num=1:unspecified certificate verification error", null },
    };

    [Theory]
    [MemberData(nameof(VerificationLines))]
    public void Certificate_verification_failures_of_7_1_are_alerts_with_the_peer(string name, string message, string? rule)
    {
        var e = Parse(Smtp + message);
        Assert.Equal(PostfixTlsEventKind.CertificateVerificationFailed, e.Kind);
        Assert.Equal("R-T11", e.RuleId);
        Assert.True(rule == e.RelatedRuleId, name + ": related rule " + e.RelatedRuleId);
        Assert.Equal(MailDirection.Outbound, e.Direction);
        Assert.Equal("mx1.example.net", e.PeerHost);
        Assert.Equal("192.0.2.1", e.PeerAddress);
        Assert.Equal(25, e.PeerPort);
        Assert.Equal(message[(message.IndexOf(NamAddr, StringComparison.Ordinal) + NamAddr.Length + 2)..], e.Reason);
        Assert.Null(e.QueueId);
        Assert.Null(e.Recipient);
    }

    // postfix-tls.md 7.1, "Delivery results" (QID and placeholders filled in) and the "more MX hosts remain" form.
    public static TheoryData<string, string, PostfixTlsEventKind, string?, string?, string?> DeliveryLines => new()
    {
        { "not verified", "3F2A81C0D2: to=<u@nm.example.net>, relay=mx1.example.net[192.0.2.1]:25, delay=0.04, delays=0.01/0.02/0.02/0, dsn=4.7.5, status=deferred (Server certificate not verified)", PostfixTlsEventKind.ServerCertificateNotVerified, "R-T6", "deferred", "4.7.5" },
        { "not offered", "3F2A81C0D2: to=<u@notls.example.net>, relay=mx.notls.example.net[192.0.2.3]:25, delay=0.05, delays=0.01/0.03/0.01/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.notls.example.net[192.0.2.3])", PostfixTlsEventKind.TlsNotOffered, "R-T6", "deferred", "4.7.4" },
        { "refused 454", "3F2A81C0D2: to=<u@st454.example.net>, relay=mx.st454.example.net[192.0.2.4]:25, delay=0.05, delays=0.01/0.03/0.01/0, dsn=4.7.0, status=deferred (TLS is required, but host mx.st454.example.net[192.0.2.4] refused to start TLS: 454 4.7.0 TLS not available due to local problem)", PostfixTlsEventKind.StartTlsRefused, "R-T6", "deferred", "4.7.0" },
        { "refused 554 bounces", "3F2A81C0D2: to=<u@st554.example.net>, relay=mx.st554.example.net[192.0.2.5]:25, delay=0.05, delays=0.01/0.03/0.01/0, dsn=5.7.0, status=bounced (TLS is required, but host mx.st554.example.net[192.0.2.5] refused to start TLS: 554 5.7.0 TLS refused by local policy)", PostfixTlsEventKind.StartTlsRefused, "R-T6", "bounced", "5.7.0" },
        { "handshake failure", "3F2A81C0D2: to=<u@hs.example.net>, relay=mx.hs.example.net[192.0.2.6]:25, delay=0.05, delays=0.01/0.03/0.01/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)", PostfixTlsEventKind.CannotStartTls, null, "deferred", "4.7.5" },
        { "configuration problem", "3F2A81C0D2: to=<u@bad1.example.net>, relay=none, delay=0.03, delays=0.01/0.03/0/0, dsn=4.7.5, status=deferred (client TLS configuration problem)", PostfixTlsEventKind.ClientTlsConfigurationProblem, null, "deferred", "4.7.5" },
        { "more MX: not verified", "3F2A81C0D2: Server certificate not verified", PostfixTlsEventKind.ServerCertificateNotVerified, "R-T6", null, null },
        { "more MX: handshake", "3F2A81C0D2: Cannot start TLS: handshake failure", PostfixTlsEventKind.CannotStartTls, null, null, null },
    };

    [Theory]
    [MemberData(nameof(DeliveryLines))]
    public void Delivery_failures_of_7_1_are_alerts(string name, string message, PostfixTlsEventKind kind, string? rule, string? status, string? dsn)
    {
        var e = Parse(Smtp + message);
        Assert.True(kind == e.Kind, name);
        Assert.Equal(rule, e.RelatedRuleId);
        Assert.Equal(status, e.Status);
        Assert.Equal(dsn, e.Dsn);
        Assert.Equal("3F2A81C0D2", e.QueueId);
        Assert.Equal("R-T11", e.RuleId);
        Assert.Equal(MailDirection.Outbound, e.Direction);
    }

    [Fact]
    public void A_delivery_line_yields_every_field()
    {
        var e = Parse("Nov 28 12:00:00 gw postfix/smtp[4711]: 3F2A81C0D2: to=<U@NM.Example.NET>, orig_to=<alias@example.org>, relay=mx1.example.net[192.0.2.1]:25, delay=0.04, delays=0.01/0.02/0.02/0, dsn=4.7.5, status=deferred (Server certificate not verified)");
        Assert.Equal(7, e.LineNumber);
        Assert.Equal("Nov 28 12:00:00", e.Timestamp);
        Assert.Equal("gw", e.LogHost);
        Assert.Equal("postfix/smtp", e.Program);
        Assert.Equal(4711, e.ProcessId);
        Assert.Equal("U@NM.Example.NET", e.Recipient);
        Assert.Equal("nm.example.net", e.RecipientDomain);
        Assert.Equal("mx1.example.net", e.PeerHost);
        Assert.Equal("192.0.2.1", e.PeerAddress);
        Assert.Equal(25, e.PeerPort);
        Assert.Equal("mx1.example.net[192.0.2.1]:25", e.PeerDisplay);
        Assert.Equal("Server certificate not verified", e.Reason);
    }

    [Fact]
    public void Relay_none_has_no_peer_and_a_recipient_domain()
    {
        var e = Parse(Smtp + "3F2A81C0D2: to=<u@bad1.example.net>, relay=none, delay=0.03, delays=0.01/0.03/0/0, dsn=4.7.5, status=deferred (client TLS configuration problem)");
        Assert.Null(e.PeerHost);
        Assert.Null(e.PeerAddress);
        Assert.Null(e.PeerDisplay);
        Assert.Equal("bad1.example.net", e.RecipientDomain);
    }

    [Fact]
    public void A_long_queue_id_and_an_IPv6_relay_are_read()
    {
        var e = Parse(Smtp + "4Nd5Yq0qGzz9sWm: to=<u@v6.example.net>, relay=mx.v6.example.net[2001:db8::1]:25, delay=0.04, delays=0.01/0.02/0.02/0, dsn=4.7.5, status=deferred (Server certificate not verified)");
        Assert.Equal("4Nd5Yq0qGzz9sWm", e.QueueId);
        Assert.Equal("2001:db8::1", e.PeerAddress);
        Assert.Equal(25, e.PeerPort);
    }

    // postfix-tls.md 7.2: SSL_accept error and its variants.
    [Theory]
    [InlineData("SSL_accept error from client.example[192.0.2.9]: -1", "client.example", "192.0.2.9", "-1")]
    [InlineData("SSL_accept error from client.example[192.0.2.9]: lost connection", "client.example", "192.0.2.9", "lost connection")]
    [InlineData("SSL_accept error from client.example[192.0.2.9]: Connection reset by peer", "client.example", "192.0.2.9", "Connection reset by peer")]
    [InlineData("SSL_accept error from unknown[2001:db8::9]: -1", "unknown", "2001:db8::9", "-1")]
    public void SSL_accept_errors_of_7_2_are_inbound_alerts(string message, string host, string address, string reason)
    {
        var e = Parse(Smtpd + message);
        Assert.Equal(PostfixTlsEventKind.InboundTlsHandshakeFailed, e.Kind);
        Assert.Equal(MailDirection.Inbound, e.Direction);
        Assert.Equal("R-T11", e.RuleId);
        Assert.Equal("postfix/smtpd", e.Program);
        Assert.Equal(815, e.ProcessId);
        Assert.Equal(host, e.PeerHost);
        Assert.Equal(address, e.PeerAddress);
        Assert.Null(e.PeerPort);
        Assert.Equal(reason, e.Reason);
    }

    [Theory]
    [InlineData("Verified TLS connection established to mx1.example.net[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256")]
    [InlineData("Trusted TLS connection established to mx1.example.net[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")]
    [InlineData("Untrusted TLS connection established to mx1.example.net[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")]
    [InlineData("Anonymous TLS connection established to mx1.example.net[192.0.2.1]:25: TLSv1.2 with cipher ADH-AES256-GCM-SHA384 (256/256 bits)")]
    [InlineData("3F2A81C0D2: to=<u@example.net>, relay=mx1.example.net[192.0.2.1]:25, delay=0.2, delays=0.01/0.01/0.1/0.08, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4AB)")]
    [InlineData("3F2A81C0D2: to=<u@example.net>, relay=mx1.example.net[192.0.2.1]:25, delay=0.2, delays=0.01/0.01/0.1/0.08, dsn=2.0.0, status=sent (250 Server certificate not verified)")]
    [InlineData("3F2A81C0D2: to=<u@example.net>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx1.example.net[192.0.2.1]:25: Connection timed out)")]
    [InlineData("3F2A81C0D2: to=<u@nm.example.net>, relay=mx1.example.net[192.0.2.1]:25, dsn=4.7.5, status=sent (Server certificate not verified)")]
    [InlineData("SSL_connect error to mx.hs.example.net[192.0.2.6]:25: -1")]
    [InlineData("warning: TLS library problem: error:0A00042E:SSL routines::tlsv1 alert protocol version:../ssl/record/rec_layer_s3.c:1584:SSL alert number 70:")]
    [InlineData("warning: smtp_tls_policy_maps, next-hop destination \"bad1.example.net\": invalid attribute name: \"foo\"")]
    [InlineData("warning: TLS policy lookup for bad1.example.net/mx1.example.net: client TLS configuration problem")]
    [InlineData("Host offered STARTTLS: [mx1.example.net]")]
    [InlineData("mx1.example.net[192.0.2.1]:25: matched peername: mx1.example.net")]
    [InlineData("3F2A81C0D2: to=<u@x.example>, relay=none, delay=0.01, delays=0/0/0/0, dsn=4.7.5, status=deferred (no TLSA records found)")]
    public void Smtp_lines_that_are_not_alerts(string message)
    {
        Assert.False(PostfixTlsLogScanner.TryParseLine(Smtp + message, 1, out var e), e?.Kind.ToString());
    }

    [Theory]
    [InlineData("Nov 28 12:00:00 gw postfix/smtpd[815]: Anonymous TLS connection established from client.example[192.0.2.9]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")]
    [InlineData("Nov 28 12:00:00 gw postfix/smtpd[815]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:")]
    [InlineData("Nov 28 12:00:00 gw postfix/smtpd[815]: lost connection after STARTTLS from client.example[192.0.2.9]")]
    [InlineData("Nov 28 12:00:00 gw postfix/smtpd[815]: disconnect from client.example[192.0.2.9] ehlo=1 starttls=0/1 commands=1/2")]
    [InlineData("Nov 28 12:00:00 gw postfix/qmgr[90]: 3F2A81C0D2: from=<s@example.net>, status=expired, returned to sender")]
    [InlineData("Nov 28 12:00:00 gw postfix/cleanup[91]: 3F2A81C0D2: Server certificate not verified")]
    [InlineData("Nov 28 12:00:00 gw postfix/smtpd[815]: 3F2A81C0D2: Server certificate not verified")]
    [InlineData("Nov 28 12:00:00 gw postfix/smtp[4711]: SSL_accept error from client.example[192.0.2.9]: -1")]
    [InlineData("Nov 28 12:00:00 gw posttls-finger[77]: certificate verification failed for mx1.example.net[192.0.2.1]:25: self-signed certificate")]
    [InlineData("posttls-finger: server certificate verification failed for mx1.example.net[192.0.2.1]:25: num=62:hostname mismatch")]
    [InlineData("Nov 28 12:00:00 gw postfix/lmtp[4711]: 3F2A81C0D2: Server certificate not verified")]
    [InlineData("Nov 28 12:00:00 gw kernel: certificate verification failed for x[1.2.3.4]:25: self-signed certificate")]
    [InlineData("just some text: SSL_accept error from a[1.2.3.4]: -1")]
    [InlineData("")]
    public void Other_programs_and_other_lines_are_not_alerts(string line)
    {
        Assert.False(PostfixTlsLogScanner.TryParseLine(line, 1, out var e), e?.Kind.ToString());
    }

    // The three prefixes: classic syslog, RFC 3339, and Postfix's own maillog_file (postlogd) as the 3.7.11
    // instance of the integration test writes it (host = first label of myhostname); plus no prefix at all.
    [Theory]
    [InlineData("Nov 28 12:00:00 mail postfix/smtp[123]: ", "Nov 28 12:00:00", "mail", "postfix/smtp")]
    [InlineData("Nov  2 07:05:09 mail postfix/smtp[123]: ", "Nov  2 07:05:09", "mail", "postfix/smtp")]
    [InlineData("2026-11-28T12:00:00.123456+00:00 mail.example.net postfix/smtp[123]: ", "2026-11-28T12:00:00.123456+00:00", "mail.example.net", "postfix/smtp")]
    [InlineData("2026-11-28T12:00:00Z mail postfix-out/smtp[123]: ", "2026-11-28T12:00:00Z", "mail", "postfix-out/smtp")]
    [InlineData("Nov 28 21:22:09 relay postfix/smtp[123]: ", "Nov 28 21:22:09", "relay", "postfix/smtp")]
    [InlineData("Nov 28 12:00:00 postfix/smtp[123]: ", "Nov 28 12:00:00", "", "postfix/smtp")]
    [InlineData("postfix/smtp[123]: ", "", "", "postfix/smtp")]
    public void Each_prefix_is_accepted(string prefix, string timestamp, string host, string program)
    {
        var e = Parse(prefix + "3F2A81C0D2: to=<u@hs.example.net>, relay=mx.hs.example.net[192.0.2.6]:25, delay=0.05, delays=0.01/0.03/0.01/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)");
        Assert.Equal(PostfixTlsEventKind.CannotStartTls, e.Kind);
        Assert.Equal(timestamp, e.Timestamp);
        Assert.Equal(host, e.LogHost);
        Assert.Equal(program, e.Program);
        Assert.Equal(123, e.ProcessId);
    }

    [Fact]
    public void A_syslog_name_prefix_before_smtpd_is_kept()
    {
        var e = Parse("Nov 28 12:00:00 mail postfix/submission/smtpd[9]: SSL_accept error from c.example[198.51.100.7]: lost connection");
        Assert.Equal("postfix/submission/smtpd", e.Program);
        Assert.Equal(MailDirection.Inbound, e.Direction);
    }

    [Fact]
    public void The_scanner_numbers_lines_and_handles_CRLF_and_a_missing_final_newline()
    {
        string text = "Nov 28 12:00:00 gw postfix/smtp[1]: Verified TLS connection established to a[192.0.2.1]:25: TLSv1.3\r\n"
            + "\r\n"
            + Smtp + "3F2A81C0D2: Server certificate not verified\r\n"
            + Smtpd + "SSL_accept error from client.example[192.0.2.9]: -1";
        var scanner = new PostfixTlsLogScanner(new StringReader(text));
        var events = scanner.ReadAll().ToList();
        Assert.Equal([3L, 4L], events.Select(e => e.LineNumber));
        Assert.Equal("Server certificate not verified", events[0].Reason);
        Assert.Equal("-1", events[1].Reason);
        Assert.Equal(4, scanner.LinesRead);
        Assert.Equal(0, scanner.LongLinesSkipped);
    }

    [Fact]
    public void Empty_input_has_no_lines()
    {
        var scanner = new PostfixTlsLogScanner(new StringReader(string.Empty));
        Assert.False(scanner.TryReadNext(out _));
        Assert.Equal(0, scanner.LinesRead);
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_skipped_and_counted_and_the_next_line_still_counts()
    {
        // The long line is itself a valid alert: skipped lines never raise one.
        string alert = Smtpd + "SSL_accept error from client.example[192.0.2.9]: -1";
        string longAlert = Smtpd + "SSL_accept error from client.example[192.0.2.9]: " + new string('x', 200);
        var scanner = new PostfixTlsLogScanner(new StringReader(longAlert + "\n" + alert + "\n"), new PostfixTlsLogScannerOptions { MaxLineLength = 100 });
        var events = scanner.ReadAll().ToList();
        var only = Assert.Single(events);
        Assert.Equal(2, only.LineNumber);
        Assert.Equal(1, scanner.LongLinesSkipped);
        Assert.Equal(2, scanner.LinesRead);
    }

    [Fact]
    public void A_line_of_exactly_the_limit_is_read_with_or_without_CR()
    {
        string alert = Smtpd + "SSL_accept error from client.example[192.0.2.9]: -1";
        var opts = new PostfixTlsLogScannerOptions { MaxLineLength = alert.Length };
        Assert.Single(new PostfixTlsLogScanner(new StringReader(alert + "\n"), opts).ReadAll());
        Assert.Single(new PostfixTlsLogScanner(new StringReader(alert + "\r\n"), opts).ReadAll());
        var over = new PostfixTlsLogScanner(new StringReader(alert + "x\n"), opts);
        Assert.Empty(over.ReadAll());
        Assert.Equal(1, over.LongLinesSkipped);
    }

    [Fact]
    public void A_huge_line_streams_through_without_being_held()
    {
        // 32 M characters without a line break from a generating reader (never a string of that size), then an alert.
        var reader = new GeneratingReader(32 * 1024 * 1024, "\n" + Smtpd + "SSL_accept error from client.example[192.0.2.9]: -1\n");
        var scanner = new PostfixTlsLogScanner(reader);
        var e = Assert.Single(scanner.ReadAll());
        Assert.Equal(2, e.LineNumber);
        Assert.Equal(1, scanner.LongLinesSkipped);
    }

    [Fact]
    public void Binary_and_truncated_lines_raise_nothing()
    {
        var rnd = new Random(20261128);
        var bytes = new byte[64 * 1024];
        rnd.NextBytes(bytes);
        string binary = Encoding.Latin1.GetString(bytes);
        string full = Smtp + "3F2A81C0D2: to=<u@nm.example.net>, relay=mx1.example.net[192.0.2.1]:25, delay=0.04, delays=0.01/0.02/0.02/0, dsn=4.7.5, status=deferred (Server certificate not verified)";
        var sb = new StringBuilder(binary).Append('\n');
        for (int i = 0; i < full.Length; i++)
        {
            sb.Append(full.AsSpan(0, i)).Append('\n'); // every truncation of a valid alert line
        }

        sb.Append("\0\0\0").Append(Smtpd).Append("SSL_accept error from \0[\0]: -1\n"); // a NUL-led line: no prefix
        sb.Append(Smtpd).Append("SSL_accept error from \0[\0]: \0\n");
        var events = ScanAll(sb.ToString());

        // No truncation of the delivery line is an alert (the reason needs its closing parenthesis, the more-MX
        // form needs "QID: reason" as the whole body); the NUL-filled SSL_accept line still has the shape of one.
        Assert.DoesNotContain(events, e => e.Kind != PostfixTlsEventKind.InboundTlsHandshakeFailed);
        Assert.Single(events);
    }

    [Fact]
    public void Options_below_the_minimum_and_a_null_reader_are_caller_errors()
    {
        Assert.Throws<ArgumentNullException>(() => new PostfixTlsLogScanner(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostfixTlsLogScanner(new StringReader(string.Empty), new PostfixTlsLogScannerOptions { MaxLineLength = 10 }));
    }

    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(500).WithReplay(20261128UL, 11UL);

    private static readonly string[] Seeds =
    [
        Smtp + "3F2A81C0D2: to=<u@nm.example.net>, relay=mx1.example.net[192.0.2.1]:25, delay=0.04, delays=0.01/0.02/0.02/0, dsn=4.7.5, status=deferred (Server certificate not verified)",
        Smtp + "server certificate verification failed for " + NamAddr + ": num=62:hostname mismatch",
        Smtpd + "SSL_accept error from client.example[192.0.2.9]: -1",
        "2026-11-28T12:00:00Z mail postfix-out/smtp[123]: 3F2A81C0D2: Cannot start TLS: handshake failure",
    ];

    [Fact]
    public void The_scanner_never_throws_on_arbitrary_or_mutated_text()
    {
        var junk = Gen.ArrayOf(Gen.OneOf(Gen.Elements(" \t\n\r[]:<>(),=/0123456789".ToCharArray()), Gen.Choose(0, 0xFFFF).Select(i => (char)i))).Select(cs => new string(cs));
        var mutated = from seed in Gen.Elements(Seeds)
                      from cut in Gen.Choose(0, 200)
                      from at in Gen.Choose(0, 200)
                      from insert in Gen.Elements("", "[", "]", ":", ": ", ", ", "(", ")", "\n", "\0", "[]", "99999999999", ">, ", "\uFFFD")
                      let i = Math.Min(at, seed.Length)
                      let j = Math.Min(i + (cut % 5), seed.Length)
                      select seed[..i] + insert + seed[j..];
        Prop.ForAll(Gen.OneOf(junk, mutated).ToArbitrary(), text =>
        {
            _ = PostfixTlsLogScanner.TryParseLine(text, 1, out _);
            var scanner = new PostfixTlsLogScanner(new StringReader(text), new PostfixTlsLogScannerOptions { MaxLineLength = 64 });
            foreach (var e in scanner.ReadAll())
            {
                Assert.True(e.LineNumber >= 1 && e.LineNumber <= scanner.LinesRead);
                Assert.NotNull(e.Reason);
                Assert.Equal("R-T11", e.RuleId);
            }
        }).Check(Fixed);
    }

    /// <summary>A reader producing <c>count</c> 'a' characters and then a tail, without ever holding them all.</summary>
    private sealed class GeneratingReader(long count, string tail) : TextReader
    {
        private long produced;
        private int tailPos;

        public override int Read(char[] buffer, int index, int count1)
        {
            if (produced < count)
            {
                int n = (int)Math.Min(count1, count - produced);
                buffer.AsSpan(index, n).Fill('a');
                produced += n;
                return n;
            }

            int m = Math.Min(count1, tail.Length - tailPos);
            tail.CopyTo(tailPos, buffer, index, m);
            tailPos += m;
            return m;
        }
    }
}
