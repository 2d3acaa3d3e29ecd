using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Policy;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Support;
using CertPolicy.Service;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CertPolicy.Tests.Service;

/// <summary>
/// End to end: a REAL Postfix 3.7 smtp(8) with <c>smtp_tls_policy_maps = socketmap:inet:127.0.0.1:PORT:tls_policy</c>,
/// the port served by <see cref="SocketmapServer"/> in this test, delivering to loopback smtpd listeners of the same
/// private instance (<see cref="PostfixInstance"/>). The served level decides: <c>secure</c> toward a gateway with a
/// CA-issued certificate delivers, <c>secure</c> toward a self-signed one defers ("Server certificate not verified"),
/// <c>encrypt</c> toward the same self-signed one delivers, an invalid entry (TEMP) defers.
/// </summary>
/// <remarks>
/// The receiving listeners pass every message to the discard transport (<c>-o content_filter=discard:</c>), so nothing
/// loops back through the relay; the relay's own delivery line (<c>status=sent (250 ...)</c>) is what is checked.
/// </remarks>
public class SocketmapDeliveryTests
{
    private const string GatewayName = "mx.example.net";

    [Fact(Timeout = 240_000)]
    public async Task Real_smtp_client_enforces_the_level_the_service_serves()
    {
        int[] ports = PostfixInstance.FreePorts(5);
        (int inject, int good, int selfSecure, int selfEncrypt, int unused) = (ports[0], ports[1], ports[2], ports[3], ports[4]);
        static string Hop(int port) => "[127.0.0.1]:" + port.ToString(CultureInfo.InvariantCulture);

        string table = string.Join('\n', [
            Hop(good) + " secure match=" + GatewayName,
            Hop(selfSecure) + " secure match=" + GatewayName,
            Hop(selfEncrypt) + " encrypt",
            Hop(unused) + " secure foo=bar",
            string.Empty]);
        var recording = new RecordingHandler(new PolicyLookupHandler("tls_policy", PolicyMap.Parse(table, "served").Map));
        using var stop = new CancellationTokenSource();
        using var server = SocketmapServer.Start(new IPEndPoint(IPAddress.Loopback, 0), recording);
        var serving = server.RunAsync(stop.Token);
        try
        {
            using var postfix = new PostfixInstance("smtpd", "smtp", "qmgr", "cleanup", "trivial-rewrite", "bounce", "tlsmgr", "anvil", "proxymap", "discard");
            using var pki = new TestPki("CN=CertPolicy Service Test CA, O=CertPolicy Tests");
            using var leaf = pki.IssueLeaf([GatewayName], [new SanEntry(SanKind.Dns, GatewayName)]);
            string caFile = Path.Combine(postfix.Conf, "ca.pem");
            File.WriteAllText(caFile, pki.CaPem);
            string goodChain = postfix.WriteKeyAndChain("good.pem", leaf.GetECDsaPrivateKey()!, leaf, pki.Ca);
            string selfChain = postfix.WriteSelfSigned("self.pem", GatewayName);
            File.WriteAllText(Path.Combine(postfix.Conf, "transport"), string.Join('\n', [
                "good.test smtp:" + Hop(good),
                "self-secure.test smtp:" + Hop(selfSecure),
                "self-encrypt.test smtp:" + Hop(selfEncrypt),
                "bad.test smtp:" + Hop(unused),
                string.Empty]));

            // The receivers: another host name (no "loops back to myself"), and every message discarded once accepted.
            const string Receiver = " inet n - n - - smtpd -o myhostname=" + GatewayName + " -o content_filter=discard:";
            postfix.Start(
                "relay.example.net",
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
                    "smtp_tls_security_level = may",
                    "smtp_tls_loglevel = 1",
                    "smtp_tls_CAfile = " + caFile,
                    "smtp_tls_policy_maps = socketmap:inet:127.0.0.1:" + server.LocalEndpoint.Port.ToString(CultureInfo.InvariantCulture) + ":tls_policy",
                    "transport_maps = texthash:" + Path.Combine(postfix.Conf, "transport"),
                    "smtp_connection_cache_on_demand = no",
                    "minimal_backoff_time = 30m",
                    "maximal_backoff_time = 60m",
                    "queue_run_delay = 30m",
                ],
                [
                    PostfixInstance.Listener(inject) + " inet n - n - - smtpd",
                    PostfixInstance.Listener(good) + Receiver,
                    PostfixInstance.Listener(selfSecure) + Receiver + " -o smtpd_tls_chain_files=" + selfChain,
                    PostfixInstance.Listener(selfEncrypt) + Receiver + " -o smtpd_tls_chain_files=" + selfChain,
                    "cleanup unix n - n - 0 cleanup",
                    "rewrite unix - - n - - trivial-rewrite",
                    "qmgr unix n - n 300 1 qmgr",
                    "smtp unix - - n - - smtp",
                    "discard unix - - n - - discard",
                    "bounce unix - - n - 0 bounce",
                    "defer unix - - n - 0 bounce",
                    "trace unix - - n - 0 bounce",
                    "tlsmgr unix - - n 1000? 1 tlsmgr",
                    "anvil unix - - n - 1 anvil",
                    "proxymap unix - - n - - proxymap",
                ]);

            string[] recipients = ["u@good.test", "u@self-secure.test", "u@self-encrypt.test", "u@bad.test"];
            await LoopbackInjection.SendAsync(inject, recipients, "CertPolicy socketmap test", "serve", "policy from the socketmap service");

            string log = await WaitForDeliveryLines(postfix, recipients);
            string Line(string rcpt) => log.Split('\n').First(l => IsSmtpLine(l, rcpt));
            Assert.True(Line("u@good.test").Contains("status=sent (250 ", StringComparison.Ordinal), Line("u@good.test") + postfix.Log(60));
            Assert.Contains(log.Split('\n'), l => l.Contains("Verified TLS connection established to ", StringComparison.Ordinal) && l.Contains("[127.0.0.1]:" + good + ": ", StringComparison.Ordinal));
            Assert.True(Line("u@self-secure.test").Contains("dsn=4.7.5, status=deferred (Server certificate not verified)", StringComparison.Ordinal), Line("u@self-secure.test") + postfix.Log(60));
            Assert.True(Line("u@self-encrypt.test").Contains("status=sent (250 ", StringComparison.Ordinal), Line("u@self-encrypt.test") + postfix.Log(60));
            Assert.True(Line("u@bad.test").Contains("status=deferred", StringComparison.Ordinal), Line("u@bad.test") + postfix.Log(60));
            Assert.Contains("socketmap server temporary error: invalid policy entry", log, StringComparison.Ordinal);

            // smtp(8) sent the next hop verbatim (brackets and port), one key per destination: no parent walk for it.
            foreach (int port in new[] { good, selfSecure, selfEncrypt, unused })
            {
                Assert.Contains("tls_policy " + Hop(port), recording.Requests);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await serving;
        }
    }

    private static async Task<string> WaitForDeliveryLines(PostfixInstance postfix, string[] recipients)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (true)
        {
            string text = File.Exists(postfix.LogFile) ? await File.ReadAllTextAsync(postfix.LogFile, CancellationToken.None) : string.Empty;
            var lines = text.Split('\n');
            if (recipients.All(r => lines.Any(l => IsSmtpLine(l, r))))
            {
                return text;
            }

            if (deadline.IsCancellationRequested)
            {
                Assert.Fail("Postfix did not log every delivery attempt within 120 s" + postfix.Log(60));
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                // one last read above
            }
        }
    }

    // The relay's own smtp(8) delivery line for a recipient (not the discard line of the receiving side).
    private static bool IsSmtpLine(string line, string recipient) =>
        line.Contains(" postfix/smtp[", StringComparison.Ordinal) && line.Contains(": to=<" + recipient + ">, relay=", StringComparison.Ordinal);

    private sealed class RecordingHandler(ISocketmapHandler inner) : ISocketmapHandler
    {
        internal System.Collections.Concurrent.ConcurrentQueue<string> Requests { get; } = new();

        public SocketmapReply Lookup(string mapName, string key)
        {
            Requests.Enqueue(mapName + " " + key);
            return inner.Lookup(mapName, key);
        }
    }
}
