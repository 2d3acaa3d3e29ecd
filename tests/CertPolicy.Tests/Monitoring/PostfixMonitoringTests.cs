using System.Text.Json;
using System.Text.RegularExpressions;
using CertPolicy.Monitoring;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Monitoring;

/// <summary>
/// The scanner and <c>certpolicy monitor</c> on the maillog of a REAL Postfix 3.7 relay whose deliveries fail
/// TLS in each R-T11 way (<see cref="PostfixRelay"/>). Traffic only on 127.0.0.1.
/// </summary>
public class PostfixMonitoringTests(PostfixRelay relay) : IClassFixture<PostfixRelay>
{
    private static List<PostfixTlsEvent> Scan(string text, out PostfixTlsLogScanner scanner)
    {
        scanner = new PostfixTlsLogScanner(new StringReader(text));
        return scanner.ReadAll().ToList();
    }

    private static int LinesContaining(string text, string needle) =>
        text.Split('\n').Count(l => l.Contains(needle, StringComparison.Ordinal));

    [Fact]
    public async Task The_scanner_finds_every_R_T11_event_in_a_real_Postfix_maillog()
    {
        string log = await relay.DeliveredLogAsync();
        var events = Scan(log, out var scanner);
        string why = "\n" + string.Join('\n', events.Select(e => $"{e.LineNumber} {e.Kind} {e.RelatedRuleId} {e.Recipient} {e.PeerDisplay}: {e.Reason}")) + relay.Log();
        Assert.Equal(0, scanner.LongLinesSkipped);

        // postlogd's prefix (maillog_file) as Postfix 3.7 really writes it: classic syslog time, the first label of myhostname.
        Assert.All(events, e =>
        {
            Assert.Matches(new Regex("^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}$"), e.Timestamp);
            Assert.Equal("relay", e.LogHost);
            Assert.True(e.ProcessId > 0);
            Assert.Equal("R-T11", e.RuleId);
        });

        PostfixTlsEvent Delivery(string recipient) => Assert.Single(events, e => e.Recipient == recipient && e.Status is not null);

        var notls = Delivery("u@notls.test");
        Assert.Equal(PostfixTlsEventKind.TlsNotOffered, notls.Kind);
        Assert.Equal("R-T6", notls.RelatedRuleId);
        Assert.Equal(("4.7.4", "deferred"), (notls.Dsn, notls.Status));
        Assert.Equal(("127.0.0.1", relay.NoTlsPort), (notls.PeerAddress, notls.PeerPort));
        Assert.Equal("notls.test", notls.RecipientDomain);
        Assert.Equal("postfix/smtp", notls.Program);
        Assert.Matches("^[0-9A-F]{6,}$", notls.QueueId);

        var self = Delivery("u@self.test");
        Assert.Equal(PostfixTlsEventKind.ServerCertificateNotVerified, self.Kind);
        Assert.Equal(("4.7.5", "deferred", relay.SelfSignedPort), (self.Dsn, self.Status, self.PeerPort));

        var wrong = Delivery("u@wrong.test");
        Assert.Equal(PostfixTlsEventKind.ServerCertificateNotVerified, wrong.Kind);
        Assert.Equal(relay.WrongNamePort, wrong.PeerPort);

        var hs = Delivery("u@null.test");
        Assert.Equal(PostfixTlsEventKind.CannotStartTls, hs.Kind);
        Assert.Equal("Cannot start TLS: handshake failure", hs.Reason);
        Assert.Equal(relay.NullCipherPort, hs.PeerPort);

        var bad = Delivery("u@bad.test");
        Assert.Equal(PostfixTlsEventKind.ClientTlsConfigurationProblem, bad.Kind);
        Assert.Null(bad.PeerDisplay);

        // Two next hops: the first (self-signed) logs the "more MX hosts remain" form, the last the delivery line.
        var multi = Delivery("u@multi.test");
        Assert.Equal(PostfixTlsEventKind.TlsNotOffered, multi.Kind);
        var moreHosts = Assert.Single(events, e => e.Status is null && e.Kind == PostfixTlsEventKind.ServerCertificateNotVerified);
        Assert.Equal(multi.QueueId, moreHosts.QueueId);
        Assert.Equal("Server certificate not verified", moreHosts.Reason);

        // The verification lines before the deferrals: self-signed (R-C7) twice (self.test, multi.test), num=62 (R-C2) once.
        var verification = events.Where(e => e.Kind == PostfixTlsEventKind.CertificateVerificationFailed).ToList();
        Assert.True(verification.Count == 3, why);
        Assert.Equal(2, verification.Count(e => e.RelatedRuleId == "R-C7" && e.PeerPort == relay.SelfSignedPort && e.Reason == "self-signed certificate"));
        Assert.Single(verification, e => e.RelatedRuleId == "R-C2" && e.PeerPort == relay.WrongNamePort && e.Reason == "num=62:hostname mismatch");

        // The server side of the NULL-cipher listener (postfix-tls.md 7.2).
        var inbound = events.Where(e => e.Direction == MailDirection.Inbound).ToList();
        Assert.NotEmpty(inbound);
        Assert.All(inbound, e =>
        {
            Assert.Equal(PostfixTlsEventKind.InboundTlsHandshakeFailed, e.Kind);
            Assert.Equal("postfix/smtpd", e.Program);
            Assert.Equal("127.0.0.1", e.PeerAddress);
        });

        // Nothing else: every event above is accounted for, and no event comes from the lines that are not alerts
        // (TLS summaries, SSL_connect error, TLS library warnings, the policy-lookup warning, lost connection).
        Assert.True(events.Count == 6 + 1 + 3 + inbound.Count, why);
        Assert.Equal(LinesContaining(log, "SSL_accept error from "), inbound.Count);
        Assert.True(LinesContaining(log, "TLS connection established") >= 3, "the listeners' TLS summaries are in the log" + relay.Log());

        var summary = new TlsFailureSummary();
        events.ForEach(summary.Add);
        Assert.Equal(["bad.test", "multi.test", "notls.test", "null.test", "self.test", "wrong.test"], summary.ByDestination().Select(c => c.Key).Order(StringComparer.Ordinal));
        var client = Assert.Single(summary.ByClient());
        Assert.Equal("127.0.0.1", client.Key);
        Assert.Contains("127.0.0.1 STARTTLS", summary.DiscardMapLines(1));
    }

    [Fact]
    public async Task Certpolicy_monitor_reports_the_real_maillog_with_exit_1()
    {
        string log = await relay.DeliveredLogAsync();
        int expected = Scan(log, out _).Count;

        // A snapshot: the live maillog keeps growing (postlogd), the CLI must see the text the scanner saw.
        using var dir = new TempDir();
        string snapshot = dir.File("maillog", log);
        string cli = Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll");
        var text = Tool.Run(Tool.DotnetHost(), [cli, "monitor", snapshot], timeoutMs: 120_000);
        Assert.True(text.ExitCode == 1, $"exit {text.ExitCode}: {text.Stdout}{text.Stderr}{relay.Log()}");
        Assert.Empty(text.Stderr);
        var lines = text.Stdout.Split('\n');
        Assert.Equal(expected, lines.Count(l => l.StartsWith(snapshot + ":", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("[R-T11 R-T6] tls-not-offered: ", StringComparison.Ordinal) && l.Contains("to=<u@notls.test>", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("[R-T11 R-C2] certificate-verification-failed: ", StringComparison.Ordinal) && l.EndsWith("num=62:hostname mismatch", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("[R-T11] cannot-start-tls: ", StringComparison.Ordinal) && l.Contains("to=<u@null.test>", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("[R-T11] inbound-tls-handshake-failed: ", StringComparison.Ordinal) && l.Contains("client=localhost[127.0.0.1]", StringComparison.Ordinal));
        Assert.Contains("summary: " + expected + " alert events", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("inbound by client:", text.Stdout, StringComparison.Ordinal);

        var json = Tool.Run(Tool.DotnetHost(), [cli, "monitor", snapshot, "--format", "json", "--discard-after", "1"], timeoutMs: 120_000);
        Assert.True(json.ExitCode == 1, $"exit {json.ExitCode}: {json.Stdout}{json.Stderr}");
        using var doc = JsonDocument.Parse(json.Stdout);
        var root = doc.RootElement;
        Assert.Equal(expected, root.GetProperty("events").GetArrayLength());
        Assert.Equal(expected, root.GetProperty("alerts").GetInt32());
        var kinds = root.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "tls-not-offered", "server-certificate-not-verified", "certificate-verification-failed", "cannot-start-tls", "client-tls-configuration-problem", "inbound-tls-handshake-failed" }, kinds);
        Assert.Contains("127.0.0.1 STARTTLS", root.GetProperty("discardMap").EnumerateArray().Select(e => e.GetString()));
    }
}
