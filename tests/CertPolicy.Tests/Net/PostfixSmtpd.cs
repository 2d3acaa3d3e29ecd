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
/// Runs on <see cref="PostfixInstance"/> (what Postfix needs to run from a temp dir is written there). smtpd
/// asks <c>proxymap</c> for <c>local_recipient_maps</c> (proxy:unix:passwd.byname) as soon as a client
/// connects ("connect #1 to subsystem .../private/proxymap: No such file"): with only smtpd in master.cf
/// set <c>local_recipient_maps =</c> and <c>mydestination =</c>.
/// </remarks>
public sealed class PostfixSmtpd : IDisposable
{
    /// <summary>Client-side TLS names.</summary>
    public const string GatewayName = "mx.example.net";

    /// <summary>The name in the wrong certificate.</summary>
    public const string WrongName = "gateway.other.test";

    private readonly PostfixInstance postfix;

    public PostfixSmtpd()
    {
        postfix = new PostfixInstance("smtpd", "cleanup", "trivial-rewrite", "tlsmgr");
        try
        {
            using var pki = new TestPki("CN=CertPolicy Probe Test CA, O=CertPolicy Tests");
            Ca = pki.Ca.RawData;
            using var good = pki.IssueLeaf([GatewayName], [new SanEntry(SanKind.Dns, GatewayName)]);
            using var wrong = pki.IssueLeaf([WrongName], [new SanEntry(SanKind.Dns, WrongName)]);
            Leaf = good.RawData;
            string goodChain = postfix.WriteKeyAndChain("good.pem", good.GetECDsaPrivateKey()!, good, pki.Ca);
            string wrongChain = postfix.WriteKeyAndChain("wrong.pem", wrong.GetECDsaPrivateKey()!, wrong, pki.Ca);
            string selfSignedChain = postfix.WriteSelfSigned("self.pem", GatewayName);

            int[] ports = PostfixInstance.FreePorts(6);
            (CompliantPort, WrongNamePort, WeakPort, NoTlsPort, SelfSignedPort, NullCipherPort) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
            static string P(int port) => PostfixInstance.Listener(port);
            postfix.Start(
                GatewayName,
                [
                    "mydomain = example.net",
                    "mydestination =",
                    "local_recipient_maps =",
                    "alias_maps =",
                    "alias_database =",
                    "smtpd_tls_security_level = may",
                    "smtpd_tls_chain_files = " + goodChain,
                    "smtpd_tls_loglevel = 1",
                ],
                [
                    P(CompliantPort) + " inet n - n - - smtpd",
                    P(WrongNamePort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + wrongChain,
                    P(WeakPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.1 -o smtpd_tls_ciphers=medium -o tls_medium_cipherlist=DEFAULT:@SECLEVEL=0",
                    P(NoTlsPort) + " inet n - n - - smtpd -o smtpd_tls_security_level=none",
                    P(SelfSignedPort) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + selfSignedChain,
                    P(NullCipherPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=null -o tls_null_cipherlist=eNULL:!aNULL:@SECLEVEL=0",
                    // cleanup + trivial-rewrite let smtpd accept and queue a message (the MailKit test); with
                    // no qmgr it stays in the incoming queue, and cleanup logs its message-id to maillog.
                    "cleanup unix n - n - 0 cleanup",
                    "rewrite unix - - n - - trivial-rewrite",
                    "tlsmgr unix - - n 1000? 1 tlsmgr",
                ]);
        }
        catch
        {
            postfix.Dispose();
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
    public string LogFile => postfix.LogFile;

    /// <summary>The tail of Postfix's log, for assertion messages.</summary>
    public string Log() => postfix.Log(30);

    public void Dispose() => postfix.Dispose();
}
