using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Net;

/// <summary>
/// A REAL Postfix 3.7 smtpd on 127.0.0.1 (private temp directory, never the system service) with gateways whose
/// cipher and protocol choice is narrow, for the probe's policy offer (<see cref="CertPolicy.Net.ProbeOffer"/>). All
/// present an RSA certificate for <c>mx.example.net</c> (the ECDHE-RSA and plain-RSA suites need an RSA key) issued by
/// the test CA, chain file = key + leaf + CA:
/// <list type="bullet">
/// <item><see cref="CbcOnlyPort"/>: TLS 1.2 only (<c>smtpd_tls_protocols=TLSv1.2</c>), <c>smtpd_tls_ciphers=high</c> with
/// <c>tls_high_cipherlist=ECDHE-RSA-AES128-SHA</c>: a CBC-SHA suite that is in OpenSSL's HIGH list and Postfix's
/// <c>high</c> grade, and nothing else;</item>
/// <item><see cref="PlainRsaOnlyPort"/>: TLS 1.2 only, <c>tls_high_cipherlist=AES128-SHA</c> (AES-CBC with plain RSA key
/// exchange, no forward secrecy: HIGH, but excluded by a policy's <c>exclude=kRSA</c>);</item>
/// <item><see cref="ModernPort"/>: Postfix's defaults (TLS 1.2 and 1.3, every HIGH suite).</item>
/// </list>
/// OpenSSL 3.0 here has no suite outside HIGH but the NULL ones (<see cref="PostfixSmtpd"/>), so "a suite outside the
/// policy" is made by the policy's <c>exclude=</c>.
/// </summary>
public sealed class PostfixOfferGateways : IDisposable
{
    private readonly PostfixInstance postfix;

    public PostfixOfferGateways()
    {
        postfix = new PostfixInstance("smtpd", "tlsmgr");
        try
        {
            using var pki = new TestPki("CN=CertPolicy Offer Test CA, O=CertPolicy Tests");
            Ca = pki.Ca.RawData;
            CaPem = pki.CaPem;
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=" + PostfixSmtpd.GatewayName + ", O=CertPolicy Tests", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(PostfixSmtpd.GatewayName);
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(pki.Ca, true, false));
            var now = DateTimeOffset.UtcNow;
            using var caKey = pki.Ca.GetECDsaPrivateKey()!;
            using var leaf = request.Create(pki.Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddHours(-1), now.AddDays(1), [0x01, 0x42]);
            Leaf = leaf.RawData;
            string chain = Path.Combine(postfix.Conf, "rsa.pem");
            File.WriteAllText(chain, rsa.ExportPkcs8PrivateKeyPem() + "\n" + leaf.ExportCertificatePem() + "\n" + pki.CaPem + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(chain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            int[] ports = PostfixInstance.FreePorts(3);
            (CbcOnlyPort, PlainRsaOnlyPort, ModernPort) = (ports[0], ports[1], ports[2]);
            static string P(int port) => PostfixInstance.Listener(port);
            postfix.Start(
                PostfixSmtpd.GatewayName,
                [
                    "mydomain = example.net",
                    "mydestination =",
                    "local_recipient_maps =",
                    "alias_maps =",
                    "alias_database =",
                    "smtpd_tls_security_level = may",
                    "smtpd_tls_chain_files = " + chain,
                    "smtpd_tls_loglevel = 1",
                ],
                [
                    P(CbcOnlyPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=ECDHE-RSA-AES128-SHA",
                    P(PlainRsaOnlyPort) + " inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1.2 -o smtpd_tls_ciphers=high -o tls_high_cipherlist=AES128-SHA",
                    P(ModernPort) + " inet n - n - - smtpd",
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

    /// <summary>The test CA certificate (PEM).</summary>
    public string CaPem { get; } = string.Empty;

    /// <summary>The gateways' RSA leaf certificate (DER).</summary>
    public byte[] Leaf { get; } = [];

    /// <summary>TLS 1.2 with ECDHE-RSA-AES128-SHA only.</summary>
    public int CbcOnlyPort { get; }

    /// <summary>TLS 1.2 with AES128-SHA (plain RSA key exchange) only.</summary>
    public int PlainRsaOnlyPort { get; }

    /// <summary>Postfix's defaults: TLS 1.2 and 1.3.</summary>
    public int ModernPort { get; }

    /// <summary>The tail of Postfix's log, for assertion messages.</summary>
    public string Log() => postfix.Log(30);

    public void Dispose() => postfix.Dispose();
}
