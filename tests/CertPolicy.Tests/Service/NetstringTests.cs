using CertPolicy.Service;

namespace CertPolicy.Tests.Service;

/// <summary>The netstring reader and writer (http://cr.yp.to/proto/netstrings.txt; the socketmap framing).</summary>
public class NetstringTests
{
    public static TheoryData<string, string, string?, int> Cases => new()
    {
        // description, input (ASCII), expected status, payload (when complete), bytes consumed
        { "empty payload", "0:,", "Complete", 3 },
        { "one request", "10:tls_policy,", "Complete", 14 },
        { "request with key", "26:tls_policy partner.example,", "Complete", 30 },
        { "a second netstring after the first is left unread", "1:a,1:b,", "Complete", 4 },
        { "payload may hold colons and commas", "5:a:b,c,", "Complete", 8 },
        { "nothing yet", "", "NeedMore", 0 },
        { "length only", "12", "NeedMore", 0 },
        { "truncated payload", "10:tls_po", "NeedMore", 0 },
        { "payload without its comma yet", "3:abc", "NeedMore", 0 },
        { "missing comma", "3:abcd", "Malformed", 0 },
        { "comma replaced by newline", "3:abc\n", "Malformed", 0 },
        { "no digits before the colon", ":abc,", "Malformed", 0 },
        { "non-digit length", "x:abc,", "Malformed", 0 },
        { "digit then letter", "3a:abc,", "Malformed", 0 },
        { "negative length", "-3:abc,", "Malformed", 0 },
        { "space before the length", " 3:abc,", "Malformed", 0 },
        { "leading zero (Postfix accepts it, the definition forbids it)", "03:abc,", "Malformed", 0 },
        { "zero then colon-less digits", "00", "Malformed", 0 },
        { "HTTP request", "GET / HTTP/1.1\r\n", "Malformed", 0 },
        { "TLS ClientHello byte", "\u0016\u0003\u0001", "Malformed", 0 },
        { "length 100000 is allowed (payload pending)", "100000:", "NeedMore", 0 },
        { "length 100001 is too long", "100001:", "TooLong", 0 },
        { "too long is seen before the colon", "1000000", "TooLong", 0 },
        { "huge length", "99999999999999999999999:", "TooLong", 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reads_one_netstring_or_says_why_not(string description, string input, string? expected, int consumed)
    {
        var bytes = Encoding.Latin1.GetBytes(input);
        var status = Netstring.TryRead(bytes, Netstring.MaxPayload, out var payload, out int used);
        Assert.True(expected == status.ToString(), $"{description}: {status}");
        Assert.Equal(consumed, used);
        if (status == NetstringStatus.Complete)
        {
            int colon = input.IndexOf(':', StringComparison.Ordinal);
            Assert.Equal(input[(colon + 1)..(used - 1)], Encoding.Latin1.GetString(bytes.AsSpan(payload)));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("OK secure match=nexthop:dot-nexthop")]
    [InlineData("NOTFOUND ")]
    [InlineData("123456789")]
    public void Write_then_read_round_trips(string payload)
    {
        var bytes = Netstring.Encode(Encoding.UTF8.GetBytes(payload));
        Assert.Equal(payload.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + payload + ",", Encoding.UTF8.GetString(bytes));
        Assert.Equal(NetstringStatus.Complete, Netstring.TryRead(bytes, Netstring.MaxPayload, out var range, out int used));
        Assert.Equal(bytes.Length, used);
        Assert.Equal(payload, Encoding.UTF8.GetString(bytes.AsSpan(range)));
    }

    [Fact]
    public void The_largest_payload_is_read_and_one_byte_more_is_refused_from_its_length()
    {
        var max = Netstring.Encode(new byte[Netstring.MaxPayload]);
        Assert.Equal(Netstring.MaxPayload + Netstring.MaxOverhead, max.Length);
        Assert.Equal(NetstringStatus.Complete, Netstring.TryRead(max, Netstring.MaxPayload, out _, out int used));
        Assert.Equal(max.Length, used);
        Assert.Equal(NetstringStatus.TooLong, Netstring.TryRead("100001:"u8, Netstring.MaxPayload, out _, out _));
        Assert.Equal(NetstringStatus.TooLong, Netstring.TryRead("11:"u8, 10, out _, out _));
    }

    [Fact]
    public void Every_prefix_of_a_netstring_needs_more_and_never_completes_early()
    {
        var bytes = Netstring.Encode("tls_policy partner.example"u8);
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.Equal(NetstringStatus.NeedMore, Netstring.TryRead(bytes.AsSpan(0, n), Netstring.MaxPayload, out _, out _));
        }
    }

    [Fact]
    public void Random_bytes_never_throw_and_a_complete_read_stays_inside_the_buffer()
    {
        var random = new Random(20261205); // fixed seed
        var buffer = new byte[64];
        for (int i = 0; i < 20_000; i++)
        {
            int n = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, n));
            if (n > 0 && random.Next(2) == 0)
            {
                buffer[0] = (byte)('1' + random.Next(9)); // start like a length more often
            }

            var status = Netstring.TryRead(buffer.AsSpan(0, n), 40, out var payload, out int used);
            if (status == NetstringStatus.Complete)
            {
                Assert.InRange(used, 3, n);
                Assert.Equal((byte)',', buffer[used - 1]);
                Assert.True(payload.End.Value == used - 1);
            }
            else
            {
                Assert.Equal(0, used);
            }
        }
    }
}
