using CertPolicy.Net;

namespace CertPolicy.Tests.Net;

/// <summary>
/// <see cref="SmtpReplyReader"/> over a memory stream: its limits at their exact boundaries (RFC 5321 4.5.3.1.5,
/// lenient to 4096 bytes; 100 lines), what it shows of odd bytes, and what stays buffered after a reply (the
/// bytes the probe must discard before a TLS handshake).
/// </summary>
public class SmtpReplyReaderTests
{
    private static async Task<(SmtpReply? Reply, SmtpReplyReader Reader)> Read(string input)
    {
        var reader = new SmtpReplyReader(new MemoryStream(Encoding.Latin1.GetBytes(input)));
        return (await reader.ReadAsync(CancellationToken.None), reader);
    }

    [Fact]
    public async Task Line_of_exactly_the_limit_is_read_one_more_byte_is_refused()
    {
        string at = "250 " + new string('a', SmtpReplyReader.MaxLineLength - 4);
        var (reply, _) = await Read(at + "\r\n");
        Assert.Equal(at, reply?.Text);

        var over = await Assert.ThrowsAsync<SmtpProtocolException>(() => Read(at + "a\r\n"));
        Assert.Equal("reply line longer than 4096 bytes", over.Message);
    }

    [Fact]
    public async Task Reply_of_exactly_100_lines_is_read_101_are_refused()
    {
        string Lines(int n) => string.Concat(Enumerable.Repeat("250-x\r\n", n - 1)) + "250 end\r\n";
        var (reply, _) = await Read(Lines(SmtpReplyReader.MaxReplyLines));
        Assert.Equal(SmtpReplyReader.MaxReplyLines, reply?.Text.Split('\n').Length);

        var over = await Assert.ThrowsAsync<SmtpProtocolException>(() => Read(Lines(SmtpReplyReader.MaxReplyLines + 1)));
        Assert.Equal("reply with more than 100 lines", over.Message);
    }

    [Theory]
    [InlineData("220 ok\n", 220, "220 ok")]                       // bare LF ends a line, as before
    [InlineData("220 a\rb\r\n", 220, "220 a?b")]                  // a CR inside the line is shown, not a line end
    [InlineData("220 caf\u00e9 \u0000\r\r\n", 220, "220 caf? ??")] // outside printable ASCII: '?'
    [InlineData("250\r\n", 250, "250")]
    [InlineData("250-a\r\n250 b\r\n", 250, "250-a\n250 b")]
    public async Task Replies_are_read_and_shown_in_ascii(string input, int code, string text)
    {
        var (reply, _) = await Read(input);
        Assert.Equal(new SmtpReply(code, text), reply);
    }

    [Theory]
    [InlineData("")]
    [InlineData("220 no line end")]
    [InlineData("250-first line only\r\n")]
    public async Task End_of_stream_before_a_complete_reply_is_null(string input)
    {
        var (reply, _) = await Read(input);
        Assert.Null(reply);
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\n", "not an SMTP reply line")]
    [InlineData("22\r\n", "not an SMTP reply line")]
    [InlineData("220x\r\n", "not an SMTP reply line")]
    [InlineData("250-a\r\n251 b\r\n", "reply code changed within a multi-line reply")]
    public async Task Malformed_replies_are_protocol_errors(string input, string message)
    {
        var ex = await Assert.ThrowsAsync<SmtpProtocolException>(() => Read(input));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_after_a_reply_stay_buffered_until_discarded()
    {
        var (reply, reader) = await Read("220 go ahead\r\n250 injected\r\n");
        Assert.Equal("220 go ahead", reply?.Text);
        Assert.Equal(14, reader.Buffered);
        Assert.Equal(14, reader.DiscardBuffered());
        Assert.Equal(0, reader.Buffered);
        Assert.Null(await reader.ReadAsync(CancellationToken.None)); // the injected reply is gone
    }
}
