using CertPolicy.Monitoring;

namespace CertPolicy.Tests.Monitoring;

/// <summary>The aggregator and the <c>smtpd_discard_ehlo_keyword_address_maps</c> lines (R-T11).</summary>
public class TlsFailureSummaryTests
{
    private const string Smtp = "Nov 28 12:00:00 gw postfix/smtp[4711]: ";

    private static string Inbound(string ip) => "Nov 28 12:00:00 gw postfix/smtpd[815]: SSL_accept error from c.example[" + ip + "]: -1";

    private static TlsFailureSummary Summarise(params string[] lines)
    {
        var summary = new TlsFailureSummary();
        var scanner = new PostfixTlsLogScanner(new StringReader(string.Join('\n', lines)));
        foreach (var e in scanner.ReadAll())
        {
            summary.Add(e);
        }

        return summary;
    }

    [Fact]
    public void Outbound_failures_count_per_recipient_domain_and_per_relay_and_inbound_per_client()
    {
        var s = Summarise(
            Smtp + "A1B2C3D4E5: to=<a@Partner.example>, relay=mx1.partner.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)",
            Smtp + "A1B2C3D4E6: to=<b@partner.example>, relay=mx1.partner.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)",
            Smtp + "server certificate verification failed for mx1.partner.example[192.0.2.1]:25: num=62:hostname mismatch",
            Smtp + "A1B2C3D4E7: to=<c@other.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (client TLS configuration problem)",
            Inbound("198.51.100.7"),
            Inbound("198.51.100.7"),
            Inbound("203.0.113.1"),
            Smtp + "Verified TLS connection established to mx2.example[192.0.2.2]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");

        Assert.Equal(7, s.TotalEvents);
        Assert.Equal(4, s.OutboundEvents);
        Assert.Equal(3, s.InboundEvents);

        var domains = s.ByDestination();
        Assert.Equal(["partner.example", "other.example"], domains.Select(c => c.Key));
        Assert.Equal([2L, 1L], domains.Select(c => c.Count));
        Assert.Equal([PostfixTlsEventKind.ServerCertificateNotVerified, PostfixTlsEventKind.CannotStartTls], domains[0].Kinds);
        Assert.Equal(1, domains[0].FirstLine);
        Assert.Equal(2, domains[0].LastLine);

        var relay = Assert.Single(s.ByRelay());
        Assert.Equal("mx1.partner.example[192.0.2.1]:25", relay.Key);
        Assert.Equal(3, relay.Count);
        Assert.Contains(PostfixTlsEventKind.CertificateVerificationFailed, relay.Kinds);

        var clients = s.ByClient();
        Assert.Equal(["198.51.100.7", "203.0.113.1"], clients.Select(c => c.Key));
        Assert.Equal([2L, 1L], clients.Select(c => c.Count));
    }

    [Fact]
    public void Discard_map_lists_each_client_with_at_least_N_failures_once_sorted_by_address()
    {
        var s = Summarise(
            Inbound("10.0.0.10"), Inbound("10.0.0.10"),
            Inbound("10.0.0.2"), Inbound("10.0.0.2"), Inbound("10.0.0.2"),
            Inbound("2001:db8::1"), Inbound("2001:db8::1"),
            Inbound("192.0.2.200"),
            "Nov 28 12:00:00 gw postfix/smtpd[1]: SSL_accept error from unknown[unknown]: -1",
            "Nov 28 12:00:00 gw postfix/smtpd[1]: SSL_accept error from unknown[unknown]: -1",
            "Nov 28 12:00:00 gw postfix/smtpd[1]: SSL_accept error from x[1.2.3.4 STARTTLS\n5.6.7.8]: -1");

        var lines = s.DiscardMapLines(2);
        var comments = lines.TakeWhile(l => l.StartsWith('#')).ToList();
        Assert.NotEmpty(comments);
        Assert.Contains(comments, c => c.Contains("R-T6", StringComparison.Ordinal) && c.Contains("R-T8", StringComparison.Ordinal) && c.Contains("NEVER", StringComparison.Ordinal));
        Assert.Equal(["10.0.0.2 STARTTLS", "10.0.0.10 STARTTLS", "2001:db8::1 STARTTLS"], lines.Skip(comments.Count));

        Assert.Equal(["10.0.0.2 STARTTLS"], s.DiscardMapLines(3).Where(l => !l.StartsWith('#')));
        Assert.Equal(4, s.DiscardMapLines(1).Count(l => !l.StartsWith('#')));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.DiscardMapLines(0));
    }

    [Fact]
    public void Outbound_events_never_reach_the_discard_map()
    {
        var s = Summarise(
            Smtp + "certificate verification failed for mx.example[192.0.2.1]:25: self-signed certificate",
            Smtp + "certificate verification failed for mx.example[192.0.2.1]:25: self-signed certificate");
        Assert.DoesNotContain(s.DiscardMapLines(1), l => !l.StartsWith('#'));
        Assert.Empty(s.ByClient());
    }

    [Fact]
    public void Null_event_is_a_caller_error()
    {
        Assert.Throws<ArgumentNullException>(() => new TlsFailureSummary().Add(null!));
    }
}
