// Sends one message to a partner gateway with MailKit, and refuses the gateway unless it meets the
// partner policy: the certificate (curated trust store, assurance, names for the next hop) in MailKit's
// certificate callback, the negotiated protocol and cipher suite (R-T2..R-T5) right after Connect.
//
//   dotnet run --project samples/MailKitSend -- --host mailin1.audi.de --nexthop audi.de \
//       --from you@example.com --to postmaster@audi.de
//
// Exit 0 sent, 1 refused by the policy (each finding with its rule on stderr), 2 bad arguments,
// 3 other errors (connection, SMTP).
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Net;
using CertPolicy.Trust;
using CertPolicy.Validation;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

var a = Args.Parse(args);
if (a is null)
{
    Console.Error.WriteLine("usage: MailKitSend --host HOST [--port 25] --nexthop DOMAIN --from ADDR --to ADDR [--profile partner-2026|document-2019|postfix-secure] [--roots ROOTS.pem]");
    return 2;
}

if (!ValidationProfile.TryGet(a.Profile, out var profile))
{
    Console.Error.WriteLine($"--profile: unknown profile \"{a.Profile}\"");
    return 2;
}

// The curated store embedded in the library, or a private PKI's roots (tests, internal gateways).
ChainValidator validator;
if (a.Roots is null)
{
    validator = new ChainValidator(new TrustStore(TrustManifestLoader.LoadEmbedded(DateTimeOffset.UtcNow)));
}
else
{
    var roots = new X509Certificate2Collection();
    roots.ImportFromPemFile(a.Roots);
    if (!CustomTrust.TryCreate(roots.Select(r => (ReadOnlyMemory<byte>)r.RawData), [], null, null, out var store, out var error))
    {
        Console.Error.WriteLine($"{a.Roots}: {error}");
        return 2;
    }

    validator = new ChainValidator(store!);
}

var options = new CertPolicyValidationOptions
{
    Validator = validator,
    NextHop = a.NextHop,
    MxHost = a.Host,
    Profile = profile!,
    ThrowOnFailure = true, // the findings travel in the exception MailKit throws
};

var message = new MimeMessage { Subject = "CertPolicy MailKit sample" };
message.From.Add(MailboxAddress.Parse(a.From));
message.To.Add(MailboxAddress.Parse(a.To));
message.Body = new TextPart("plain") { Text = "Sent only because the gateway met the partner policy." };

using var client = new SmtpClient { CheckCertificateRevocation = false, Timeout = 30_000 };
client.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(options);
try
{
    await client.ConnectAsync(a.Host, a.Port, SecureSocketOptions.StartTls); // R-T1: STARTTLS, never plaintext
    CertPolicyValidation.EnsureNegotiatedTls(client.SslProtocol, client.SslCipherSuite, nextHop: a.NextHop);
    await client.SendAsync(message);
    await client.DisconnectAsync(quit: true);
    Console.WriteLine($"sent to {a.Host}:{a.Port} for {a.NextHop} over {client.SslProtocol} with {client.SslCipherSuite}");
    return 0;
}
catch (Exception ex) when (Find<CertificatePolicyException>(ex) is { } refused)
{
    Console.Error.WriteLine("refused: " + refused.Message);
    return 1;
}
catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or NotSupportedException or IOException or System.Net.Sockets.SocketException or SslHandshakeException)
{
    // NotSupportedException: the server offers no STARTTLS (MailKit refuses to go on in plaintext).
    Console.Error.WriteLine("failed: " + ex.Message);
    return 3;
}

static T? Find<T>(Exception? e)
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

internal sealed record Args(string Host, int Port, string NextHop, string From, string To, string Profile, string? Roots)
{
    internal static Args? Parse(string[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                return null;
            }

            d[args[i]] = args[i + 1];
        }

        if (args.Length % 2 != 0 || !d.TryGetValue("--host", out var host) || !d.TryGetValue("--nexthop", out var nextHop)
            || !d.TryGetValue("--from", out var from) || !d.TryGetValue("--to", out var to))
        {
            return null;
        }

        int port = 25;
        if (d.TryGetValue("--port", out var p) && (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            return null;
        }

        return new Args(host, port, nextHop, from, to, d.GetValueOrDefault("--profile", "partner-2026"), d.GetValueOrDefault("--roots"));
    }
}
