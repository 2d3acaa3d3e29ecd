using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tls;

namespace CertPolicy.Tests.Tls;

/// <summary>
/// Real peers: a real `openssl s_server` negotiates with .NET's <see cref="SslStream"/>; the negotiated
/// (protocol, suite) is then checked, the way a gateway would after the handshake.
/// </summary>
public class HandshakeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static (SslProtocols Protocol, TlsCipherSuite Suite) Handshake(params string[] serverArgs)
    {
        var dir = Directory.CreateTempSubdirectory("certpolicy-tls-");
        Process? server = null;
        try
        {
            using var rsa = RSA.Create(2048);
            var req = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = req.CreateSelfSigned(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2036, 1, 1, 0, 0, 0, TimeSpan.Zero));
            string certPath = Path.Combine(dir.FullName, "cert.pem");
            string keyPath = Path.Combine(dir.FullName, "key.pem");
            File.WriteAllText(certPath, cert.ExportCertificatePem());
            File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());

            var psi = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (var a in (string[])["s_server", "-accept", "127.0.0.1:0", "-cert", certPath, "-key", keyPath, "-naccept", "1", .. serverArgs])
            {
                psi.ArgumentList.Add(a);
            }

            try
            {
                server = Process.Start(psi);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                Assert.Fail("the handshake tests need the real `openssl` binary: install it with `apt-get install openssl` (" + ex.Message + ")");
            }

            Assert.NotNull(server);
            _ = server.StandardError.ReadToEndAsync();
            int port = 0;
            var ready = Task.Run(() =>
            {
                string? line;
                while ((line = server.StandardOutput.ReadLine()) is not null)
                {
                    if (line.StartsWith("ACCEPT ", StringComparison.Ordinal))
                    {
                        port = int.Parse(line[(line.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                        return;
                    }
                }
            });
            Assert.True(ready.Wait(Limit) && port > 0, "openssl s_server did not start");

            using var tcp = new TcpClient();
            tcp.Connect("127.0.0.1", port);
            using var ssl = new SslStream(tcp.GetStream());
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = static (_, _, _, _) => true, // this test checks the cipher floor, not the certificate
            };
            Assert.True(ssl.AuthenticateAsClientAsync(options).Wait(Limit), "TLS handshake did not finish");
            return (ssl.SslProtocol, ssl.NegotiatedCipherSuite);
        }
        finally
        {
            if (server is not null)
            {
                if (!server.WaitForExit(5000))
                {
                    server.Kill();
                }

                server.Dispose();
            }

            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Tls12_ECDHE_RSA_AES256_GCM_passes_both_profiles()
    {
        var (protocol, suite) = Handshake("-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384");
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, suite);
        var p = TlsProtocols.FromSslProtocols(protocol);
        Assert.Equal(TlsProtocol.Tls12, p);
        Assert.True(TlsFloor.Check(p, (ushort)suite, TlsFloor.Partner2026).IsAcceptable);
        Assert.True(TlsFloor.Check(p, (ushort)suite, TlsFloor.Document2019).IsAcceptable);
    }

    [Fact]
    public void Tls13_passes_2026_and_fails_2019()
    {
        var (protocol, suite) = Handshake("-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384");
        Assert.Equal(TlsCipherSuite.TLS_AES_256_GCM_SHA384, suite);
        var p = TlsProtocols.FromSslProtocols(protocol);
        Assert.Equal(TlsProtocol.Tls13, p);
        Assert.True(TlsFloor.Check(p, (ushort)suite, TlsFloor.Partner2026).IsAcceptable);
        Assert.Equal(TlsFloorFailures.ProtocolNotAllowed, TlsFloor.Check(p, (ushort)suite, TlsFloor.Document2019).Failures);
    }

    [Fact]
    public void Tls12_with_a_grade_the_suite_is_not_in_fails_R_T5()
    {
        // ECDHE-RSA-AES128-GCM-SHA256 is HIGH: acceptable by the document's floor; a "null" grade override
        // (as ciphers=null in tls_policy would set) makes it fail R-T5.
        var (protocol, suite) = Handshake("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, suite);
        var p = TlsProtocols.FromSslProtocols(protocol);
        Assert.True(TlsFloor.Check(p, (ushort)suite, TlsFloor.Partner2026).IsAcceptable);
        Assert.Equal(TlsFloorFailures.NotInGrade, TlsFloor.Check(p, (ushort)suite, TlsFloor.Partner2026.WithGrade(PostfixCipherGrade.Null)).Failures);
    }
}
