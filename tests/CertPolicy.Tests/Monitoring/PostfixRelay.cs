using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Support;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CertPolicy.Tests.Monitoring;

/// <summary>
/// A REAL Postfix 3.7 relay on 127.0.0.1 whose own smtp(8) client fails TLS in every way R-T11 names, so that
/// its <c>maillog_file</c> (written by postlogd) holds real lines of postfix-tls.md 7.1/7.2. One private
/// instance from a temp directory (never the system service), set up by <see cref="PostfixInstance"/>
/// (root, <c>postfix -c DIR</c>, data_directory owned by postfix, maillog_file + postlog service), plus
/// qmgr, smtp, bounce/defer/trace so that outbound deliveries are attempted and deferred.
/// </summary>
/// <remarks>
/// Mail is injected by SMTP without TLS on <see cref="InjectPort"/>; <c>transport_maps</c> routes each test
/// domain to a loopback listener of the same instance, and <c>smtp_tls_policy_maps</c> (texthash, keys
/// <c>[127.0.0.1]:PORT</c>, postfix-tls.md 1.2) sets its level:
/// <list type="bullet">
/// <item><c>notls.test</c>: encrypt, listener without STARTTLS -> "TLS is required, but was not offered";</item>
/// <item><c>self.test</c>: secure, self-signed certificate -> "certificate verification failed ...: self-signed certificate" and "Server certificate not verified";</item>
/// <item><c>wrong.test</c>: secure match=mx.example.net, CA-issued certificate for gateway.other.test -> "num=62:hostname mismatch";</item>
/// <item><c>null.test</c>: encrypt, listener offering only NULL ciphers -> "Cannot start TLS: handshake failure" (client) and "SSL_accept error" (server);</item>
/// <item><c>bad.test</c>: an invalid policy entry (<c>foo=bar</c>) -> "client TLS configuration problem" (relay=none);</item>
/// <item><c>multi.test</c>: two next hops (self-signed, then no STARTTLS) -> "QID: Server certificate not verified" (more hosts remain), then "not offered".</item>
/// </list>
/// Nothing is ever delivered (no loops, no bounces): every message stays deferred (maximal backoff is minutes)
/// until Dispose stops the instance.
/// </remarks>
public sealed class PostfixRelay : IDisposable
{
    /// <summary>The relay's host name; postlogd logs its first label.</summary>
    public const string RelayName = "relay.example.net";

    /// <summary>The name every listener's policy requires.</summary>
    public const string GatewayName = "mx.example.net";

    /// <summary>The recipients injected, one per failure.</summary>
    public static readonly string[] Recipients = ["u@notls.test", "u@self.test", "u@wrong.test", "u@null.test", "u@bad.test", "u@multi.test"];

    private readonly PostfixInstance postfix;
    private readonly Lazy<Task<string>> delivered;

    public PostfixRelay()
    {
        delivered = new Lazy<Task<string>>(InjectAndWaitAsync);
        postfix = new PostfixInstance("smtpd", "smtp", "qmgr", "cleanup", "trivial-rewrite", "bounce", "tlsmgr", "anvil", "proxymap");
        try
        {
            string conf = postfix.Conf;
            using var pki = new TestPki("CN=CertPolicy Monitoring Test CA, O=CertPolicy Tests");
            using var good = pki.IssueLeaf([GatewayName], [new SanEntry(SanKind.Dns, GatewayName)]);
            using var wrong = pki.IssueLeaf(["gateway.other.test"], [new SanEntry(SanKind.Dns, "gateway.other.test")]);
            string caFile = Path.Combine(conf, "ca.pem");
            File.WriteAllText(caFile, pki.CaPem);
            string goodChain = postfix.WriteKeyAndChain("good.pem", good.GetECDsaPrivateKey()!, good, pki.Ca);
            string wrongChain = postfix.WriteKeyAndChain("wrong.pem", wrong.GetECDsaPrivateKey()!, wrong, pki.Ca);
            string selfChain = postfix.WriteSelfSigned("self.pem", GatewayName);

            int[] ports = PostfixInstance.FreePorts(6);
            (InjectPort, NoTlsPort, SelfSignedPort, WrongNamePort, NullCipherPort, UnusedPort) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
            static string P(int port) => PostfixInstance.Listener(port);
            static string Hop(int port) => "[127.0.0.1]:" + port.ToString(CultureInfo.InvariantCulture);

            File.WriteAllText(Path.Combine(conf, "transport"), string.Join('\n', [
                "notls.test smtp:" + Hop(NoTlsPort),
                "self.test smtp:" + Hop(SelfSignedPort),
                "wrong.test smtp:" + Hop(WrongNamePort),
                "null.test smtp:" + Hop(NullCipherPort),
                "bad.test smtp:" + Hop(UnusedPort),
                "multi.test smtp:" + Hop(SelfSignedPort) + ", " + Hop(NoTlsPort),
                string.Empty]));
            File.WriteAllText(Path.Combine(conf, "tls_policy"), string.Join('\n', [
                Hop(NoTlsPort) + " encrypt",
                Hop(SelfSignedPort) + " secure match=" + GatewayName,
                Hop(WrongNamePort) + " secure match=" + GatewayName,
                Hop(NullCipherPort) + " encrypt",
                Hop(UnusedPort) + " secure foo=bar",
                string.Empty]));
            postfix.Start(
                RelayName,
                [
                    "mydomain = example.net",
                    "mydestination =",
                    "local_recipient_maps =",
                    "alias_maps =",
                    "alias_database =",
                    "relay_domains =",
                    "fast_flush_domains =",
                    "mynetworks = 127.0.0.0/8",
                    "smtpd_tls_security_level = may",
                    "smtpd_tls_chain_files = " + goodChain,
                    "smtpd_tls_loglevel = 1",
                    "smtp_tls_security_level = may",
                    "smtp_tls_loglevel = 1",
                    "smtp_tls_CAfile = " + caFile,
                    "smtp_tls_policy_maps = texthash:" + Path.Combine(conf, "tls_policy"),
                    "transport_maps = texthash:" + Path.Combine(conf, "transport"),
                    "smtp_connection_cache_on_demand = no",
                    // One attempt per message during the test: no retry before Dispose.
                    "minimal_backoff_time = 30m",
                    "maximal_backoff_time = 60m",
                    "queue_run_delay = 30m",
                ],
                [
                    P(InjectPort) + " inet n - n - - smtpd",
                    P(NoTlsPort) + " inet n - n - - smtpd -o smtpd_tls_security_level=none",
                    P(SelfSignedPort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + selfChain,
                    P(WrongNamePort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + wrongChain,
                    P(NullCipherPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=null -o tls_null_cipherlist=eNULL:!aNULL:@SECLEVEL=0",
                    "cleanup unix n - n - 0 cleanup",
                    "rewrite unix - - n - - trivial-rewrite",
                    "qmgr unix n - n 300 1 qmgr",
                    "smtp unix - - n - - smtp",
                    "bounce unix - - n - 0 bounce",
                    "defer unix - - n - 0 bounce",
                    "trace unix - - n - 0 bounce",
                    "tlsmgr unix - - n 1000? 1 tlsmgr",
                    "anvil unix - - n - 1 anvil",
                    "proxymap unix - - n - - proxymap",
                ]);
        }
        catch
        {
            postfix.Dispose();
            throw;
        }
    }

    public int InjectPort { get; }

    public int NoTlsPort { get; }

    public int SelfSignedPort { get; }

    public int WrongNamePort { get; }

    public int NullCipherPort { get; }

    /// <summary>The next hop of the invalid policy entry (never connected to).</summary>
    public int UnusedPort { get; }

    /// <summary>Postfix's own log (maillog_file, written by postlogd).</summary>
    public string LogFile => postfix.LogFile;

    /// <summary>
    /// Injects one message for <see cref="Recipients"/> (once per fixture) and waits until every recipient has
    /// a delivery line and smtpd has logged its SSL_accept error; returns the log text.
    /// </summary>
    public Task<string> DeliveredLogAsync() => delivered.Value;

    /// <summary>The tail of Postfix's log, for assertion messages.</summary>
    public string Log() => postfix.Log(60);

    public void Dispose() => postfix.Dispose();

    private async Task<string> InjectAndWaitAsync()
    {
        await LoopbackInjection.SendAsync(InjectPort, Recipients, "CertPolicy monitoring test", "monitoring", "must stay deferred");

        // Bounded poll: each recipient's delivery line, and the server side of the NULL-cipher handshake.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            string text = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile, CancellationToken.None) : string.Empty;
            if (Recipients.All(r => text.Contains("to=<" + r + ">, ", StringComparison.Ordinal)) && text.Contains("SSL_accept error from ", StringComparison.Ordinal))
            {
                return text;
            }

            if (deadline.IsCancellationRequested)
            {
                Assert.Fail("Postfix did not log every delivery attempt within 60 s" + Log());
            }

            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                // one last read above
            }
        }
    }
}
