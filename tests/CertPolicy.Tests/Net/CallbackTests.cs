using System.Security.Cryptography.X509Certificates;
using CertPolicy.Net;
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
