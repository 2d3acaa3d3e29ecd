using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
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
/// instance from a temp directory (never the system service), set up as <c>Net/PostfixSmtpd.cs</c> explains
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

    private readonly TempDir dir = new();
    private readonly string postfix;
    private readonly string conf = string.Empty;
    private readonly string queue = string.Empty;
    private readonly EventHandler? onExit;
    private readonly Lazy<Task<string>> delivered;
    private int started;

    public PostfixRelay()
    {
        delivered = new Lazy<Task<string>>(InjectAndWaitAsync);
        postfix = Tool.Require("postfix", "postfix");
        foreach (var daemon in new[] { "smtpd", "smtp", "qmgr", "master", "postlogd" })
        {
            if (!File.Exists("/usr/lib/postfix/sbin/" + daemon))
            {
                Assert.Fail($"Postfix's {daemon} is not installed (/usr/lib/postfix/sbin); run ./test.sh as root, or: apt-get install -y postfix");
            }
        }

        if (Environment.UserName != "root")
        {
            Assert.Fail("the Postfix relay fixture needs root (postfix start, chown postfix): run ./test.sh as root");
        }

        onExit = (_, _) =>
        {
            try
            {
                Stop();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // best effort: an exception escaping a ProcessExit handler would crash the test host
            }
        };
        AppDomain.CurrentDomain.ProcessExit += onExit;

        try
        {
            conf = Directory.CreateDirectory(Path.Combine(dir.Path, "conf")).FullName;
            queue = Directory.CreateDirectory(Path.Combine(dir.Path, "queue")).FullName;
            string data = Directory.CreateDirectory(Path.Combine(dir.Path, "data")).FullName;
            var chown = Tool.Run(Tool.Require("chown", "coreutils"), ["postfix", data], timeoutMs: 30_000);
            Assert.True(chown.ExitCode == 0, "chown postfix " + data + ": " + chown.Stderr);

            using var pki = new TestPki("CN=CertPolicy Monitoring Test CA, O=CertPolicy Tests");
            using var good = pki.IssueLeaf([GatewayName], [new SanEntry(SanKind.Dns, GatewayName)]);
            using var wrong = pki.IssueLeaf(["gateway.other.test"], [new SanEntry(SanKind.Dns, "gateway.other.test")]);
            string caFile = Path.Combine(conf, "ca.pem");
            File.WriteAllText(caFile, pki.CaPem);
            string goodChain = WriteKeyAndChain("good.pem", good.GetECDsaPrivateKey()!, good, pki.Ca);
            string wrongChain = WriteKeyAndChain("wrong.pem", wrong.GetECDsaPrivateKey()!, wrong, pki.Ca);
            string selfChain = WriteSelfSigned("self.pem");

            int[] ports = FreePorts(6);
            (InjectPort, NoTlsPort, SelfSignedPort, WrongNamePort, NullCipherPort, UnusedPort) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
            LogFile = Path.Combine(dir.Path, "maillog");
            string P(int port) => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
            string Hop(int port) => "[127.0.0.1]:" + port.ToString(CultureInfo.InvariantCulture);

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
            File.WriteAllText(Path.Combine(conf, "main.cf"), string.Join('\n', [
                "compatibility_level = 3.6",
                "queue_directory = " + queue,
                "data_directory = " + data,
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = " + RelayName,
                "mydomain = example.net",
                "mydestination =",
                "local_recipient_maps =",
                "alias_maps =",
                "alias_database =",
                "relay_domains =",
                "fast_flush_domains =",
                "mynetworks = 127.0.0.0/8",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "maillog_file = " + LogFile,
                "maillog_file_prefixes = " + dir.Path,
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
                string.Empty]));
            File.WriteAllText(Path.Combine(conf, "master.cf"), string.Join('\n', [
                P(InjectPort) + " inet n - n - - smtpd",
                P(NoTlsPort) + " inet n - n - - smtpd -o smtpd_tls_security_level=none",
                P(SelfSignedPort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + selfChain,
                P(WrongNamePort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + wrongChain,
                P(NullCipherPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=null -o tls_null_cipherlist=eNULL:!aNULL:@SECLEVEL=0",
                "postlog unix-dgram n - n - 1 postlogd",
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
                string.Empty]));

            var check = Tool.Run(postfix, ["-c", conf, "check"], timeoutMs: 60_000);
            Assert.True(check.ExitCode == 0, "postfix check failed: " + check.Stdout + check.Stderr + Log());
            started = 1; // before the call: a start that times out may still leave master running
            var start = Tool.Run(postfix, ["-c", conf, "start"], timeoutMs: 60_000);
            Assert.True(start.ExitCode == 0, "postfix start failed: " + start.Stdout + start.Stderr + Log());
        }
        catch
        {
            Dispose();
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
    public string LogFile { get; } = string.Empty;

    /// <summary>
    /// Injects one message for <see cref="Recipients"/> (once per fixture) and waits until every recipient has
    /// a delivery line and smtpd has logged its SSL_accept error; returns the log text.
    /// </summary>
    public Task<string> DeliveredLogAsync() => delivered.Value;

    /// <summary>The tail of Postfix's log, for assertion messages.</summary>
    public string Log()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return "\n--- maillog ---\n" + string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 60)));
        }
        catch (IOException)
        {
            return "\n(no maillog)";
        }
    }

    public void Dispose()
    {
        if (onExit is not null)
        {
            AppDomain.CurrentDomain.ProcessExit -= onExit;
        }

        Stop();
        dir.Dispose();
    }

    private async Task<string> InjectAndWaitAsync()
    {
        var message = new MimeMessage { Subject = "CertPolicy monitoring test", MessageId = "monitoring-" + Guid.NewGuid().ToString("N") + "@client.example" };
        message.From.Add(MailboxAddress.Parse("sender@client.example"));
        foreach (var r in Recipients)
        {
            message.To.Add(MailboxAddress.Parse(r));
        }

        message.Body = new TextPart("plain") { Text = "must stay deferred" };
        using (var client = new SmtpClient { LocalDomain = "client.example", Timeout = 30_000 })
        {
            await client.ConnectAsync("127.0.0.1", InjectPort, SecureSocketOptions.None);
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }

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

    private void Stop()
    {
        if (Interlocked.Exchange(ref started, 0) == 1)
        {
            try
            {
                Tool.Run(postfix, ["-c", conf, "stop"], timeoutMs: 60_000);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Fall through to the pid kill below.
            }

            KillMasterIfAlive();
        }
    }

    private void KillMasterIfAlive()
    {
        string pidFile = Path.Combine(queue, "pid", "master.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return;
        }

        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            if (p.ProcessName == "master" && !p.WaitForExit(10_000))
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(10_000);
            }
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }
    }

    // smtpd_tls_chain_files: key first, then the leaf, then the issuers (postconf(5)).
    private string WriteKeyAndChain(string name, ECDsa key, X509Certificate2 leaf, X509Certificate2? ca)
    {
        string pem = key.ExportPkcs8PrivateKeyPem() + "\n" + leaf.ExportCertificatePem() + "\n" + (ca is null ? string.Empty : ca.ExportCertificatePem() + "\n");
        string path = Path.Combine(conf, name);
        File.WriteAllText(path, pem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    private string WriteSelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + GatewayName + ", O=Self Signed Gateway", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(GatewayName);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30));
        return WriteKeyAndChain(name, key, cert, null);
    }

    private static int[] FreePorts(int n)
    {
        var listeners = new TcpListener[n];
        try
        {
            for (int i = 0; i < n; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var l in listeners)
            {
                l?.Stop();
            }
        }
    }
}
