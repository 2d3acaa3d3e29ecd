using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace CertPolicy.Dns;

/// <summary>
/// One DNS query with the CD bit (checking disabled, RFC 4035 3.2.2) and the DO bit, over UDP, of which only the
/// response code is read: <see cref="DomainResolver"/> uses it to tell a DNSSEC-bogus SERVFAIL from a plain one, since
/// DnsClient cannot set CD. The answer must come from the server the socket is connected to and carry the query's random
/// ID and the QR bit; nothing else of it is read (its records are not used).
/// </summary>
internal static class CheckingDisabledProbe
{
    // RFC 6891 6.2.5: 1232 bytes, the DNS flag day 2020 default.
    private const int UdpPayload = 1232;

    /// <summary>Sends the query (1 + <paramref name="retries"/> tries of <paramref name="timeout"/> each).</summary>
    /// <param name="server">The resolver.</param>
    /// <param name="name">The query name (ASCII, no trailing dot needed).</param>
    /// <param name="type">The query type (e.g. 52 for TLSA).</param>
    /// <param name="timeout">The wait per try.</param>
    /// <param name="retries">Further tries.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>The RCODE (0..15), or null without an answer or for a name that cannot be encoded.</returns>
    internal static async Task<int?> QueryRcodeAsync(IPEndPoint server, string name, ushort type, TimeSpan timeout, int retries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(name);
        if (TryEncode(name, type) is not { } query)
        {
            return null;
        }

        var buffer = new byte[UdpPayload];
        try
        {
            using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            for (int attempt = 0; attempt <= retries; attempt++)
            {
                ushort id = (ushort)RandomNumberGenerator.GetInt32(0x10000);
                BinaryPrimitives.WriteUInt16BigEndian(query, id);
                await socket.SendAsync(query, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(timeout);
                try
                {
                    while (true)
                    {
                        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token).ConfigureAwait(false);
                        if (n >= 12 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id && (buffer[2] & 0x80) != 0)
                        {
                            return buffer[3] & 0x0F;
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // this try timed out: the next one
                }
            }
        }
        catch (SocketException)
        {
            // e.g. ICMP port unreachable: no answer
        }

        return null;
    }

    /// <summary>The query message: header (RD, CD), one question of class IN, and an OPT record with DO (RFC 6891, RFC
    /// 3225). Null when a label is empty, longer than 63 bytes or not ASCII, or the name is longer than 255 bytes.</summary>
    internal static byte[]? TryEncode(string name, ushort type)
    {
        string n = DomainResolver.TrimDot(name);
        var message = new List<byte>(12 + n.Length + 2 + 4 + 11)
        {
            0, 0, // ID, set per try
            0x01, 0x10, // RD | CD
            0, 1, 0, 0, 0, 0, 0, 1, // QDCOUNT 1, ARCOUNT 1
        };
        int nameBytes = 1;
        if (n.Length > 0)
        {
            foreach (var label in n.Split('.'))
            {
                if (label.Length is 0 or > 63)
                {
                    return null;
                }

                message.Add((byte)label.Length);
                foreach (char c in label)
                {
                    if (c > 0x7F)
                    {
                        return null;
                    }

                    message.Add((byte)c);
                }

                nameBytes += 1 + label.Length;
            }
        }

        if (nameBytes > 255)
        {
            return null;
        }

        message.Add(0);
        message.Add((byte)(type >> 8));
        message.Add((byte)type);
        message.AddRange((byte[])[0, 1]); // class IN
        // OPT: root name, type 41, class = UDP payload size, TTL = extended RCODE 0, version 0, flags DO; no RDATA.
        message.AddRange((byte[])[0, 0, 41, UdpPayload >> 8, UdpPayload & 0xFF, 0, 0, 0x80, 0, 0, 0]);
        return [.. message];
    }
}
