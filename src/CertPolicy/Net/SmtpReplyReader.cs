using System.Globalization;

namespace CertPolicy.Net;

/// <summary>One SMTP reply (RFC 5321 4.2): its code and its lines joined with a line feed (CR removed, bytes outside printable ASCII shown as '?').</summary>
/// <param name="Code">The three-digit reply code.</param>
/// <param name="Text">The reply lines, each starting with the code.</param>
internal readonly record struct SmtpReply(int Code, string Text);

/// <summary>A reply the peer sent that is not SMTP or breaks a limit of <see cref="SmtpReplyReader"/>; the probe turns it into <see cref="ProbeOutcome.SmtpError"/>.</summary>
internal sealed class SmtpProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong, for a mail administrator.</param>
    public SmtpProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception (analyzer CA1032).</summary>
    public SmtpProtocolException()
    {
    }

    /// <summary>Creates the exception (analyzer CA1032).</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="inner">The cause.</param>
    public SmtpProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Reads SMTP replies from a peer nobody here controls, with fixed limits: bounded memory and work whatever
/// the peer sends (an endless line, a 1 GB banner, a multi-line reply without end). Time is the caller's:
/// every read takes its token, and the probe cancels it at the reply timeout and the session deadline.
/// </summary>
/// <remarks>
/// <para>Buffered (reads of up to <see cref="BufferSize"/> bytes, not one byte per call). Whatever the buffer
/// holds beyond the reply just read is <see cref="Buffered"/>; before a TLS handshake the caller must
/// <see cref="DiscardBuffered"/> it (the CVE-2011-0411 class: plaintext sent before the handshake must never be
/// read as if it came after it). Postfix does the same: smtp(8) and posttls-finger purge their stream buffers
/// around the TLS start (<c>vstream_fpurge(..., VSTREAM_PURGE_BOTH)</c>, smtp_proto.c <c>smtp_start_tls</c>:
/// "At this point there must not be any pending data in the stream buffers").</para>
/// <para>A small internal type over any <see cref="Stream"/> so that a fuzz target can drive it over a
/// <see cref="MemoryStream"/>: <see cref="ReadAsync"/> returns a reply, null at the end of the stream, or throws
/// <see cref="SmtpProtocolException"/>; nothing else escapes for any input (stream errors excepted).</para>
/// </remarks>
internal sealed class SmtpReplyReader
{
    /// <summary>
    /// Longest reply line accepted, without its CRLF. RFC 5321 4.5.3.1.5: "The maximum total length of a reply
    /// line including the reply code and the &lt;CRLF&gt; is 512 octets"; we are lenient (8x: some servers send long
    /// banners; Postfix's smtp(8) reads reply lines up to <c>line_length_limit</c> = 2048), and a line longer than
    /// this is a malformed reply, never read to its end.
    /// </summary>
    internal const int MaxLineLength = 4096;

    /// <summary>Most lines in one multi-line reply (RFC 5321 4.2.1 sets no limit; an EHLO reply has about a dozen).</summary>
    internal const int MaxReplyLines = 100;

    /// <summary>Bytes read from the stream per call.</summary>
    internal const int BufferSize = 1024;

    private readonly Stream stream;
    private readonly byte[] buffer = new byte[BufferSize];
    private readonly char[] line = new char[MaxLineLength];
    private int start;
    private int end;

    /// <summary>Creates a reader over <paramref name="stream"/> (not owned: the caller disposes it).</summary>
    /// <param name="stream">The connection (plaintext or TLS).</param>
    public SmtpReplyReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        this.stream = stream;
    }

    /// <summary>Bytes received and not yet consumed by a reply (the peer sent more than one reply's worth).</summary>
    public int Buffered => end - start;

    /// <summary>Drops the bytes buffered beyond the last reply and returns how many there were.</summary>
    /// <returns>The number of bytes dropped.</returns>
    public int DiscardBuffered()
    {
        int n = end - start;
        start = end = 0;
        return n;
    }

    /// <summary>Reads one (possibly multi-line) reply.</summary>
    /// <param name="cancellationToken">Cancels the read (the caller's reply timeout or session deadline).</param>
    /// <returns>The reply, or null when the stream ended before a complete reply.</returns>
    /// <exception cref="SmtpProtocolException">The bytes are not an SMTP reply, or a limit was exceeded.</exception>
    public async ValueTask<SmtpReply?> ReadAsync(CancellationToken cancellationToken)
    {
        System.Text.StringBuilder? text = null;
        int code = -1;
        for (int lines = 0; lines < MaxReplyLines; lines++)
        {
            int length = 0;
            bool sawCr = false;
            while (true)
            {
                if (start == end)
                {
                    start = 0;
                    end = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    if (end <= 0)
                    {
                        end = 0;
                        return null;
                    }
                }

                byte b = buffer[start++];
                if (b == (byte)'\n')
                {
                    break;
                }

                if (sawCr)
                {
                    // A CR not followed by LF is part of the text; shown as '?'.
                    Append(ref length, '?');
                }

                sawCr = b == (byte)'\r';
                if (!sawCr)
                {
                    // Replies are ASCII (RFC 5321 4.2); anything else is shown as '?'.
                    Append(ref length, b is >= 0x20 and < 0x7F or (byte)'\t' ? (char)b : '?');
                }
            }

            var l = line.AsSpan(0, length);
            if (l.Length < 3 || !char.IsAsciiDigit(l[0]) || !char.IsAsciiDigit(l[1]) || !char.IsAsciiDigit(l[2]) || (l.Length > 3 && l[3] != ' ' && l[3] != '-'))
            {
                throw new SmtpProtocolException("not an SMTP reply line: \"" + Truncate(l) + "\"");
            }

            int c = ((l[0] - '0') * 100) + ((l[1] - '0') * 10) + (l[2] - '0');
            if (code >= 0 && c != code)
            {
                throw new SmtpProtocolException("reply code changed within a multi-line reply");
            }

            code = c;
            text ??= new System.Text.StringBuilder(length);
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(l);
            if (l.Length == 3 || l[3] == ' ')
            {
                return new SmtpReply(code, text.ToString());
            }
        }

        throw new SmtpProtocolException("reply with more than " + MaxReplyLines.ToString(CultureInfo.InvariantCulture) + " lines");
    }

    private void Append(ref int length, char c)
    {
        if (length >= MaxLineLength)
        {
            // Never read to the end of an endless line: the limit is the reason, stated in the message.
            throw new SmtpProtocolException("reply line longer than " + MaxLineLength.ToString(CultureInfo.InvariantCulture) + " bytes");
        }

        line[length++] = c;
    }

    private static string Truncate(ReadOnlySpan<char> s) => s.Length <= 300 ? s.ToString() : string.Concat(s[..300], "...");
}
