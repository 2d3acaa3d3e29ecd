using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Net;
using CertPolicy.Tls;
using CertPolicy.Validation;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CertPolicy.Tests.Net;

/// <summary>
/// The <see cref="CertPolicyValidation"/> callback in MailKit's <see cref="SmtpClient"/> against a real
/// Postfix smtpd on 127.0.0.1 (<see cref="PostfixSmtpd"/>): a compliant gateway receives the message
/// (seen in Postfix's log), the others are refused with the finding in the exception.
/// </summary>
public class CallbackTests(PostfixSmtpd smtpd) : IClassFixture<PostfixSmtpd>
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private CertPolicyValidationOptions Options(ChainValidator validator, ValidationProfile profile, List<ValidationReport> reports)
    {
        // The fixture issues its certificates relative to the clock: validate inside their window.
        using var leaf = X509CertificateLoader.LoadCertificate(smtpd.Leaf);
        return new CertPolicyValidationOptions
        {
            Validator = validator,
            NextHop = "example.net",
            MxHost = PostfixSmtpd.GatewayName,
            Profile = profile,
            TimeProvider = new FixedTime(new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero).AddMinutes(5)),
            OnVerdict = reports.Add,
            ThrowOnFailure = true,
        };
    }

    private ChainValidator TestCa()
    {
        Assert.True(CustomTrust.TryCreate([smtpd.Ca], [], null, null, out var store, out var error), error);
        return new ChainValidator(store!);
    }

    private static MimeMessage Message(string id)
    {
        var m = new MimeMessage { Subject = "CertPolicy MailKit test", MessageId = id };
        m.From.Add(MailboxAddress.Parse("sender@client.example"));
        m.To.Add(MailboxAddress.Parse("partner@example.org"));
        m.Body = new TextPart("plain") { Text = "delivered through CertPolicy's certificate policy callback" };
        return m;
    }

    [Fact]
    public async Task MailKit_with_the_callback_delivers_to_the_compliant_gateway()
    {
        var reports = new List<ValidationReport>();
        using var client = new SmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 };
        client.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));
        string id = "certpolicy-" + Guid.NewGuid().ToString("N") + "@client.example";

        await client.ConnectAsync("127.0.0.1", smtpd.CompliantPort, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        await client.SendAsync(Message(id));
        await client.DisconnectAsync(quit: true);

        var report = Assert.Single(reports);
        Assert.True(report.Verdict.IsCompliant, string.Join("; ", report.Findings.Select(f => f.Code)));
        Assert.Equal(PostfixSmtpd.GatewayName, report.MatchedName);

        // Postfix's cleanup logged the queued message (no qmgr: it stays in the incoming queue).
        string log = string.Empty;
        for (int i = 0; i < 50 && !log.Contains("message-id=<" + id + ">", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            log = smtpd.Log();
        }

        Assert.Contains("message-id=<" + id + ">", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MailKit_refuses_a_wrong_name_with_the_finding_in_the_exception()
    {
        var reports = new List<ValidationReport>();
        using var client = new SmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 };
        client.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync("127.0.0.1", smtpd.WrongNamePort, SecureSocketOptions.StartTls));
        var policy = FindInner<CertificatePolicyException>(ex);
        Assert.True(policy is not null, ex.ToString());
        Assert.Contains("R-C2 name.mismatch", policy.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(reports).Verdict.IsCompliant);
        Assert.False(client.IsConnected && client.IsSecure);
    }

    [Fact]
    public async Task MailKit_refuses_a_gateway_the_curated_store_does_not_trust()
    {
        var reports = new List<ValidationReport>();
        using var leaf = X509CertificateLoader.LoadCertificate(smtpd.Leaf);
        var manifest = CertPolicy.Trust.TrustManifestLoader.LoadEmbedded(new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero));
        var curated = new ChainValidator(new CertPolicy.Trust.TrustStore(manifest));
        using var client = new SmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 };
        client.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(curated, ValidationProfile.Partner2026, reports));

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync("127.0.0.1", smtpd.CompliantPort, SecureSocketOptions.StartTls));
        var policy = FindInner<CertificatePolicyException>(ex);
        Assert.True(policy is not null, ex.ToString());
        Assert.Contains("R-C3 chain.untrusted", policy.Message, StringComparison.Ordinal);
        Assert.NotNull(policy.Report);
    }

    [Fact]
    public async Task MailKit_refuses_a_self_signed_gateway_with_R_C7_or_an_untrusted_chain()
    {
        var reports = new List<ValidationReport>();
        using var client = new SmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 };
        client.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync("127.0.0.1", smtpd.SelfSignedPort, SecureSocketOptions.StartTls));
        var policy = FindInner<CertificatePolicyException>(ex);
        Assert.True(policy is not null, ex.ToString());
        var report = Assert.Single(reports);
        Assert.False(report.Verdict.IsCompliant);
        Assert.True((report.Verdict.Reasons & (VerdictReasons.SelfSigned | VerdictReasons.UntrustedChain)) != 0, report.Verdict.Reasons.ToString());
        Assert.Matches("R-C7 |R-C3 chain.untrusted", policy.Message);
    }

    [Fact]
    public async Task MailKit_does_not_deliver_to_a_gateway_without_STARTTLS()
    {
        var reports = new List<ValidationReport>();
        using var client = new SmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 };
        client.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));

        // MailKit itself refuses (STARTTLS required but not offered: R-T1, R-T6); the callback is never asked.
        await Assert.ThrowsAnyAsync<NotSupportedException>(() => client.ConnectAsync("127.0.0.1", smtpd.NoTlsPort, SecureSocketOptions.StartTls));
        Assert.Empty(reports);
        Assert.False(client.IsConnected && client.IsSecure);
    }

    [Fact]
    public void Without_ThrowOnFailure_the_callback_returns_false_and_never_throws_on_bad_input()
    {
        var options = new CertPolicyValidationOptions { Validator = TestCa(), NextHop = "example.net" };
        var callback = CertPolicyValidation.CreateCallback(options);
        Assert.False(callback(this, null, null, System.Net.Security.SslPolicyErrors.None));
        using var leaf = X509CertificateLoader.LoadCertificate(smtpd.Leaf);
        using var chain = new X509Chain();
        Assert.False(callback(this, leaf, chain, System.Net.Security.SslPolicyErrors.None)); // partner-2026: the test leaf names no organisation and asserts no OV policy
    }

    /// <summary>MailKit with a lax TLS configuration of its own: it would accept NULL suites and TLS 1.0/1.1.</summary>
    private sealed class LaxSmtpClient : SmtpClient
    {
        protected override SslClientAuthenticationOptions GetSslClientAuthenticationOptions(string host, RemoteCertificateValidationCallback validationCallback)
        {
            var options = base.GetSslClientAuthenticationOptions(host, validationCallback);
#pragma warning disable SYSLIB0040 // the point of this client: a configuration that lets a NULL suite through
            options.EncryptionPolicy = EncryptionPolicy.AllowNoEncryption;
#pragma warning restore SYSLIB0040
            return options;
        }
    }

    [Fact]
    public async Task MailKit_refuses_a_weak_only_cipher_gateway_with_the_rule_in_the_exception()
    {
        // With the platform's TLS settings MailKit cannot even negotiate: the handshake fails, nothing is sent.
        var reports = new List<ValidationReport>();
        using (var strict = new SmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 })
        {
            strict.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));
            await Assert.ThrowsAsync<SslHandshakeException>(() => strict.ConnectAsync("127.0.0.1", smtpd.NullCipherPort, SecureSocketOptions.StartTls));
            Assert.False(strict.IsConnected);
        }

        // A lax client gets a NULL-encryption session; the certificate alone is fine, so the callback accepts,
        // and the one-line check after Connect refuses with the rules (MailKit shows the callback no SslStream).
        using var lax = new LaxSmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 };
        lax.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));
        await lax.ConnectAsync("127.0.0.1", smtpd.NullCipherPort, SecureSocketOptions.StartTls);
        Assert.True(Assert.Single(reports).Verdict.IsCompliant);
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_NULL_SHA, lax.SslCipherSuite);

        var refused = Assert.Throws<CertificatePolicyException>(() => CertPolicyValidation.EnsureNegotiatedTls(lax.SslProtocol, lax.SslCipherSuite, TlsFloor.Partner2026, "example.net"));
        await lax.DisconnectAsync(quit: true);
        Assert.StartsWith("example.net: negotiated TLS does not meet the policy: TLSv1.2 with ECDHE-ECDSA-NULL-SHA (profile partner-2026): ", refused.Message, StringComparison.Ordinal);
        Assert.Contains("R-T2: ", refused.Message, StringComparison.Ordinal);
        Assert.Contains("R-T5: ", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(refused.NegotiatedTls);
        Assert.True((refused.NegotiatedTls.Value.Verdict.Failures & TlsFloorFailures.KeyTooShort) != 0);

        // The same line passes on the compliant gateway (the check is not hard-wired to fail).
        using var good = new SmtpClient { LocalDomain = "client.example", CheckCertificateRevocation = false, Timeout = 30_000 };
        good.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));
        await good.ConnectAsync("127.0.0.1", smtpd.CompliantPort, SecureSocketOptions.StartTls);
        Assert.True(CertPolicyValidation.EnsureNegotiatedTls(good.SslProtocol, good.SslCipherSuite, TlsFloor.Partner2026).IsAcceptable);
        await good.DisconnectAsync(quit: true);
    }

    [Fact]
    public async Task SslStream_callback_refuses_a_NULL_suite_inside_the_handshake()
    {
        var reports = new List<ValidationReport>();
        var callback = CertPolicyValidation.CreateCallback(Options(TestCa(), ValidationProfile.PostfixSecure, reports));

        await using (var weak = await StartTlsAsync(smtpd.NullCipherPort))
        {
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => weak.AuthenticateAsClientAsync(LaxOptions(callback)));
            var refused = FindInner<CertificatePolicyException>(ex);
            Assert.True(refused is not null, ex.ToString());
            Assert.Contains("ECDHE-ECDSA-NULL-SHA", refused.Message, StringComparison.Ordinal);
            Assert.Contains("R-T5: ", refused.Message, StringComparison.Ordinal);
            Assert.Equal(TlsProtocol.Tls12, refused.NegotiatedTls?.Protocol);
        }

        // The compliant gateway passes the same callback with the same lax client options.
        await using var ok = await StartTlsAsync(smtpd.CompliantPort);
        await ok.AuthenticateAsClientAsync(LaxOptions(callback));
        Assert.True(ok.CheckNegotiatedTls(TlsFloor.Partner2026).IsAcceptable);
    }

    private static SslClientAuthenticationOptions LaxOptions(RemoteCertificateValidationCallback callback) => new()
    {
        TargetHost = PostfixSmtpd.GatewayName,
#pragma warning disable SYSLIB0040 // a client that would accept a NULL suite: the callback must still refuse it
        EncryptionPolicy = EncryptionPolicy.AllowNoEncryption,
#pragma warning restore SYSLIB0040
        AllowTlsResume = false,
        RemoteCertificateValidationCallback = callback,
    };

    /// <summary>Banner, EHLO, STARTTLS on a loopback gateway; the returned stream is ready for the handshake.</summary>
    private static async Task<SslStream> StartTlsAsync(int port)
    {
        var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var net = tcp.GetStream();
        net.ReadTimeout = 30_000;
        await ExpectAsync(net, "220");
        await net.WriteAsync("EHLO client.example\r\n"u8.ToArray());
        await ExpectAsync(net, "250");
        await net.WriteAsync("STARTTLS\r\n"u8.ToArray());
        await ExpectAsync(net, "220");
        return new SslStream(net, leaveInnerStreamOpen: false);
    }

    // Reads one SMTP reply byte by byte (no read-ahead into the TLS handshake) and checks its code.
    private static async Task ExpectAsync(Stream s, string code)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            Assert.Equal(1, await s.ReadAsync(one));
            if (one[0] != '\n')
            {
                line.Append((char)one[0]);
                continue;
            }

            string l = line.ToString().TrimEnd('\r');
            Assert.StartsWith(code, l, StringComparison.Ordinal);
            if (l.Length < 4 || l[3] == ' ')
            {
                return;
            }

            line.Clear();
        }
    }

    private static T? FindInner<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T t)
            {
                return t;
            }
        }

        return null;
    }
}
