using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CertPolicy.Tests.Support;

/// <summary>Hands one message to a Postfix instance's plaintext loopback listener (the tests' injection port).</summary>
internal static class LoopbackInjection
{
    /// <summary>Sends one message from sender@client.example to <paramref name="recipients"/> on 127.0.0.1:<paramref name="port"/>.</summary>
    internal static async Task SendAsync(int port, IEnumerable<string> recipients, string subject, string messageIdPrefix, string text)
    {
        var message = new MimeMessage { Subject = subject, MessageId = messageIdPrefix + "-" + Guid.NewGuid().ToString("N") + "@client.example" };
        message.From.Add(MailboxAddress.Parse("sender@client.example"));
        foreach (var r in recipients)
        {
            message.To.Add(MailboxAddress.Parse(r));
        }

        message.Body = new TextPart("plain") { Text = text };
        using var client = new SmtpClient { LocalDomain = "client.example", Timeout = 30_000 };
        await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
    }
}
