using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Net;

/// <summary>
/// A REAL Postfix 3.7 smtpd on 127.0.0.1, run by the test from a private temp directory (never the
/// system service), with six listeners on free ports, each a gateway configuration under test:
/// <list type="bullet">
/// <item><see cref="CompliantPort"/>: STARTTLS, default protocols/ciphers (TLS 1.2/1.3, HIGH), certificate
/// <c>mx.example.net</c> issued by the test CA, chain file = key + leaf + CA (so two certificates are sent);</item>
/// <item><see cref="WrongNamePort"/>: the same, with a certificate for <c>gateway.other.test</c>;</item>
/// <item><see cref="WeakPort"/>: TLS 1.1 only (<c>smtpd_tls_protocols=TLSv1.1</c>, <c>@SECLEVEL=0</c>), the
/// only weak configuration OpenSSL 3.0 on this machine still offers (it has no MEDIUM/LOW/RC4/3DES suites:
/// <c>openssl ciphers -v 'ALL:!HIGH:@SECLEVEL=0'</c> lists only eNULL suites);</item>
/// <item><see cref="NullCipherPort"/>: the weak-only cipher configuration: TLS 1.2 with Postfix's <c>null</c> grade
/// (<c>smtpd_tls_ciphers=null</c>, <c>tls_null_cipherlist=eNULL:!aNULL:@SECLEVEL=0</c>), so only
/// authentication-without-encryption suites (ECDHE-ECDSA-NULL-SHA with the test ECDSA key) (R-T2, R-T5);</item>
/// <item><see cref="NoTlsPort"/>: <c>smtpd_tls_security_level=none</c> (EHLO without STARTTLS);</item>
/// <item><see cref="SelfSignedPort"/>: a self-signed certificate for <c>mx.example.net</c> (R-C7).</item>
/// </list>
/// </summary>
/// <remarks>
/// What Postfix 3.7 needs to run as root from a temp dir (found by trying, 2026-11):
/// <list type="number">
/// <item><c>postfix -c DIR</c> with a private main.cf/master.cf works without any <c>/etc/postfix/main.cf</c>.</item>
/// <item><c>queue_directory</c> may be a root-owned 0755 directory: <c>postfix check</c> (post-install
/// create-missing) creates its subdirectories (active, private, public, pid, ...) owned by
/// <c>mail_owner=postfix</c> / <c>setgid_group=postdrop</c>.</item>
/// <item><c>data_directory</c> must be owned by <c>postfix</c>, else master dies with "open lock file
/// .../master.lock: cannot create file exclusively: Permission denied" (so: <c>chown postfix</c>).</item>
/// <item>Errors of the <c>postfix</c> command go to syslog (stderr only when it is a tty): set
/// <c>maillog_file</c> plus <c>maillog_file_prefixes</c> (default <c>/var, /dev/stdout</c>, so a /tmp
/// path is refused: "maillog_file value ... does not match any prefix") and a <c>postlog unix-dgram</c>
/// service in master.cf.</item>
/// <item>smtpd asks <c>proxymap</c> for <c>local_recipient_maps</c> (proxy:unix:passwd.byname) as soon as a
/// client connects ("connect #1 to subsystem .../private/proxymap: No such file"): with only smtpd in
/// master.cf set <c>local_recipient_maps =</c> and <c>mydestination =</c>.</item>
/// <item><c>postfix start</c> daemonises master and returns once it is up (<c>master -w</c>); <c>postfix stop</c>
/// ends it. Dispose falls back to killing the pid in <c>queue/pid/master.pid</c> (only that pid).</item>
/// </list>
/// </remarks>
public sealed class PostfixSmtpd : IDisposable
{
    /// <summary>Client-side TLS names.</summary>
    public const string GatewayName = "mx.example.net";

    /// <summary>The name in the wrong certificate.</summary>
    public const string WrongName = "gateway.other.test";

    private readonly TempDir dir = new();
    private readonly string postfix;
    private readonly string conf;
    private readonly string queue;
    private readonly EventHandler? onExit;
    private int started;

    public PostfixSmtpd()
    {
        postfix = Tool.Require("postfix", "postfix");
        if (!File.Exists("/usr/lib/postfix/sbin/smtpd") || !File.Exists("/usr/lib/postfix/sbin/master"))
        {
            Assert.Fail("Postfix's smtpd/master are not installed (/usr/lib/postfix/sbin); run ./test.sh as root, or: apt-get install -y postfix");
        }

        if (Environment.UserName != "root")
        {
            Assert.Fail("the Postfix smtpd fixture needs root (postfix start, chown postfix): run ./test.sh as root");
        }

        // If the test host exits without disposing fixtures, master must not outlive it.
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

            using var pki = new TestPki("CN=CertPolicy Probe Test CA, O=CertPolicy Tests");
            Ca = pki.Ca.RawData;
            using var good = pki.IssueLeaf([GatewayName], [new SanEntry(SanKind.Dns, GatewayName)]);
            using var wrong = pki.IssueLeaf([WrongName], [new SanEntry(SanKind.Dns, WrongName)]);
            Leaf = good.RawData;
            string goodChain = WriteChain("good.pem", good, pki.Ca);
            string wrongChain = WriteChain("wrong.pem", wrong, pki.Ca);
            string selfSignedChain = WriteSelfSigned("self.pem");

            int[] ports = FreePorts(6);
            (CompliantPort, WrongNamePort, WeakPort, NoTlsPort, SelfSignedPort, NullCipherPort) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
            LogFile = Path.Combine(dir.Path, "maillog");
            File.WriteAllText(Path.Combine(conf, "main.cf"), string.Join('\n', [
                "compatibility_level = 3.6",
                "queue_directory = " + queue,
                "data_directory = " + data,
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = " + GatewayName,
                "mydomain = example.net",
                "mydestination =",
                "local_recipient_maps =",
                "alias_maps =",
                "alias_database =",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "maillog_file = " + LogFile,
                "maillog_file_prefixes = " + dir.Path,
                "smtpd_tls_security_level = may",
                "smtpd_tls_chain_files = " + goodChain,
                "smtpd_tls_loglevel = 1",
                string.Empty]));
            string P(int port) => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(Path.Combine(conf, "master.cf"), string.Join('\n', [
                P(CompliantPort) + " inet n - n - - smtpd",
                P(WrongNamePort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + wrongChain,
                P(WeakPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.1 -o smtpd_tls_ciphers=medium -o tls_medium_cipherlist=DEFAULT:@SECLEVEL=0",
                P(NoTlsPort) + " inet n - n - - smtpd -o smtpd_tls_security_level=none",
                P(SelfSignedPort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + selfSignedChain,
                P(NullCipherPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=null -o tls_null_cipherlist=eNULL:!aNULL:@SECLEVEL=0",
                "postlog unix-dgram n - n - 1 postlogd",
                // cleanup + trivial-rewrite let smtpd accept and queue a message (the MailKit test); with
                // no qmgr it stays in the incoming queue, and cleanup logs its message-id to maillog.
                "cleanup unix n - n - 0 cleanup",
                "rewrite unix - - n - - trivial-rewrite",
                "tlsmgr unix - - n 1000? 1 tlsmgr",
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

    /// <summary>The test CA certificate (DER).</summary>
    public byte[] Ca { get; } = [];

    /// <summary>The compliant gateway's leaf certificate (DER).</summary>
    public byte[] Leaf { get; } = [];

    public int CompliantPort { get; }

    public int WrongNamePort { get; }

    public int WeakPort { get; }

    public int NoTlsPort { get; }

    /// <summary>Port of the gateway with a self-signed certificate for <see cref="GatewayName"/>.</summary>
    public int SelfSignedPort { get; }

    /// <summary>Port of the gateway that offers only NULL-encryption suites over TLS 1.2 (weak-only ciphers).</summary>
    public int NullCipherPort { get; }

    /// <summary>Postfix's own log (for failure messages).</summary>
    public string LogFile { get; } = string.Empty;

    /// <summary>The tail of Postfix's log, for assertion messages.</summary>
    public string Log()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return "\n--- maillog ---\n" + string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 30)));
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

    private string WriteChain(string name, X509Certificate2 leaf, X509Certificate2 ca)
    {
        // smtpd_tls_chain_files: key first, then the leaf, then the issuers (postconf(5)).
        var key = leaf.GetECDsaPrivateKey()!;
        string pem = key.ExportPkcs8PrivateKeyPem() + "\n" + leaf.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n";
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
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + GatewayName + ", O=Self Signed Gateway", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(GatewayName);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30));
        string path = Path.Combine(conf, name);
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem() + "\n" + cert.ExportCertificatePem() + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
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
