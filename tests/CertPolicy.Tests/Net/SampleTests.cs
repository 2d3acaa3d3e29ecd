using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Net;

/// <summary>
/// samples/MailKitSend, run as a user would run it (its own process, its own MailKit), against the real
/// Postfix smtpd of <see cref="PostfixSmtpd"/>: it sends to the compliant gateway and refuses the others
/// with the rule in its message. Keeps the README's MailKit usage honest.
/// </summary>
public class SampleTests(PostfixSmtpd smtpd) : IClassFixture<PostfixSmtpd>
{
    private (int Exit, string Out, string Err) Send(int port, string profile = "postfix-secure")
    {
        using var dir = new TempDir();
        string roots = dir.File("roots.pem", System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE", smtpd.Ca));
        // The sample runs from its own build output, with its own deps.json, as a user runs it: next to the tests it
        // would resolve its packages from the tests' folder, which lacks those the tests take from the ASP.NET Core
        // shared framework (Microsoft.Extensions.Logging.Abstractions since the MTA-STS tests host Kestrel).
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string sample = Path.Combine(CertPolicy.Tests.Trust.TrustTestSupport.RepoRoot, "samples", "MailKitSend", "bin", testBin.Parent!.Name, testBin.Name, "MailKitSend.dll");
        Assert.True(File.Exists(sample), "the sample is not built: " + sample);
        var r = Tool.Run(
            Tool.DotnetHost(),
            [sample, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--nexthop", "example.net",
                "--from", "sender@client.example", "--to", "partner@example.net", "--profile", profile, "--roots", roots],
            timeoutMs: 120_000);
        return (r.ExitCode, r.Stdout, r.Stderr);
    }

    [Fact]
    public void The_sample_sends_to_the_compliant_gateway()
    {
        var (exit, output, err) = Send(smtpd.CompliantPort);
        Assert.True(exit == 0, $"exit {exit}: {output}{err}{smtpd.Log()}");
        Assert.StartsWith("sent to 127.0.0.1:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_refuses_a_wrong_name_and_a_self_signed_gateway_naming_the_rule()
    {
        var (exit, _, err) = Send(smtpd.WrongNamePort);
        Assert.True(exit == 1, $"exit {exit}: {err}");
        Assert.Contains("R-C2", err, StringComparison.Ordinal);

        var (selfExit, _, selfErr) = Send(smtpd.SelfSignedPort);
        Assert.True(selfExit == 1, $"exit {selfExit}: {selfErr}");
        Assert.StartsWith("refused: example.net: server certificate does not meet the policy: ", selfErr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_refuses_the_test_gateway_under_the_partner_profile()
    {
        // The test CA's leaf carries no organisation and no OV policy: partner-2026 requires them (R-C1, R-C4).
        var (exit, _, err) = Send(smtpd.CompliantPort, "partner-2026");
        Assert.True(exit == 1, $"exit {exit}: {err}");
        Assert.Contains("refused: ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_does_not_send_without_STARTTLS_or_to_a_NULL_cipher_gateway()
    {
        var (noTls, _, noTlsErr) = Send(smtpd.NoTlsPort);
        Assert.True(noTls == 3, $"exit {noTls}: {noTlsErr}");
        Assert.Contains("STARTTLS", noTlsErr, StringComparison.Ordinal);

        var (nullExit, _, nullErr) = Send(smtpd.NullCipherPort);
        Assert.True(nullExit == 3, $"exit {nullExit}: {nullErr}"); // MailKit's default TLS settings cannot even negotiate
    }
}
