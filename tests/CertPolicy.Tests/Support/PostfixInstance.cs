using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Tests.Support;

/// <summary>
/// One private, REAL Postfix 3.7 instance run from a temp directory (never the system service): the part
/// every Postfix fixture shares. The fixture writes its own main.cf/master.cf lines; this class adds the
/// lines every instance needs, runs <c>postfix check</c> and <c>postfix start</c>, and always stops it.
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
/// <item><c>postfix start</c> daemonises master and returns once it is up (<c>master -w</c>); <c>postfix stop</c>
/// ends it. Dispose falls back to killing the pid in <c>queue/pid/master.pid</c> (only that pid).</item>
/// </list>
/// </remarks>
internal sealed class PostfixInstance : IDisposable
{
    private readonly TempDir dir = new();
    private readonly string postfix;
    private readonly EventHandler onExit;
    private int started;

    /// <summary>Checks that Postfix and the given daemons are installed and that the tests run as root; creates the directories.</summary>
    /// <param name="daemons">The daemons master.cf will run (checked in /usr/lib/postfix/sbin).</param>
    internal PostfixInstance(params string[] daemons)
    {
        postfix = Tool.Require("postfix", "postfix");
        foreach (var daemon in daemons.Append("master").Append("postlogd"))
        {
            if (!File.Exists("/usr/lib/postfix/sbin/" + daemon))
            {
                Assert.Fail($"Postfix's {daemon} is not installed (/usr/lib/postfix/sbin); run ./test.sh as root, or: apt-get install -y postfix");
            }
        }

        if (Environment.UserName != "root")
        {
            Assert.Fail("a Postfix fixture needs root (postfix start, chown postfix): run ./test.sh as root");
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

        Conf = Directory.CreateDirectory(Path.Combine(dir.Path, "conf")).FullName;
        Queue = Directory.CreateDirectory(Path.Combine(dir.Path, "queue")).FullName;
        Data = Directory.CreateDirectory(Path.Combine(dir.Path, "data")).FullName;
        LogFile = Path.Combine(dir.Path, "maillog");
        var chown = Tool.Run(Tool.Require("chown", "coreutils"), ["postfix", Data], timeoutMs: 30_000);
        Assert.True(chown.ExitCode == 0, "chown postfix " + Data + ": " + chown.Stderr);
    }

    /// <summary>The configuration directory (<c>postfix -c</c>); certificate and table files go here too.</summary>
    internal string Conf { get; }

    /// <summary>The queue directory.</summary>
    internal string Queue { get; }

    /// <summary>The data directory (owned by postfix).</summary>
    internal string Data { get; }

    /// <summary>Postfix's own log (<c>maillog_file</c>, written by postlogd).</summary>
    internal string LogFile { get; }

    /// <summary>Writes main.cf and master.cf (with the lines every instance needs) and starts Postfix.</summary>
    /// <param name="myhostname">The instance's host name.</param>
    /// <param name="mainCf">The fixture's own main.cf lines.</param>
    /// <param name="masterCf">The fixture's own master.cf lines (listeners and services; postlog is added).</param>
    internal void Start(string myhostname, IEnumerable<string> mainCf, IEnumerable<string> masterCf)
    {
        File.WriteAllText(Path.Combine(Conf, "main.cf"), string.Join('\n', [
            "compatibility_level = 3.6",
            "queue_directory = " + Queue,
            "data_directory = " + Data,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "myhostname = " + myhostname,
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "maillog_file = " + LogFile,
            "maillog_file_prefixes = " + dir.Path,
            .. mainCf,
            string.Empty]));
        File.WriteAllText(Path.Combine(Conf, "master.cf"), string.Join('\n', [
            .. masterCf,
            "postlog unix-dgram n - n - 1 postlogd",
            string.Empty]));

        var check = Tool.Run(postfix, ["-c", Conf, "check"], timeoutMs: 60_000);
        Assert.True(check.ExitCode == 0, "postfix check failed: " + check.Stdout + check.Stderr + Log(30));
        started = 1; // before the call: a start that times out may still leave master running
        var start = Tool.Run(postfix, ["-c", Conf, "start"], timeoutMs: 60_000);
        Assert.True(start.ExitCode == 0, "postfix start failed: " + start.Stdout + start.Stderr + Log(30));
    }

    /// <summary>The tail of Postfix's log, for assertion messages.</summary>
    /// <param name="lines">How many of the last lines.</param>
    internal string Log(int lines)
    {
        try
        {
            var all = File.ReadAllLines(LogFile);
            return "\n--- maillog ---\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "\n(no maillog)";
        }
    }

    /// <summary>Writes <c>smtpd_tls_chain_files</c> content: key first, then the leaf, then the issuer (postconf(5)).</summary>
    internal string WriteKeyAndChain(string name, ECDsa key, X509Certificate2 leaf, X509Certificate2? ca)
    {
        string pem = key.ExportPkcs8PrivateKeyPem() + "\n" + leaf.ExportCertificatePem() + "\n" + (ca is null ? string.Empty : ca.ExportCertificatePem() + "\n");
        string path = Path.Combine(Conf, name);
        File.WriteAllText(path, pem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    /// <summary>Writes a self-signed P-256 serverAuth certificate for <paramref name="hostName"/> with its key.</summary>
    internal string WriteSelfSigned(string name, string hostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + hostName + ", O=Self Signed Gateway", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(hostName);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30));
        return WriteKeyAndChain(name, key, cert, null);
    }

    /// <summary>Ports free on 127.0.0.1 right now (for the listeners).</summary>
    internal static int[] FreePorts(int n)
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

    /// <summary><c>127.0.0.1:PORT</c>, a master.cf listener address.</summary>
    internal static string Listener(int port) => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= onExit;
        Stop();
        dir.Dispose();
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref started, 0) == 1)
        {
            try
            {
                Tool.Run(postfix, ["-c", Conf, "stop"], timeoutMs: 60_000);
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
        string pidFile = Path.Combine(Queue, "pid", "master.pid");
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
}
