namespace CertPolicy.Service;

/// <summary>What <see cref="Netstring.TryRead"/> found at the start of a buffer.</summary>
internal enum NetstringStatus
{
    /// <summary>One whole netstring: payload and consumed length are set.</summary>
    Complete,

    /// <summary>A valid prefix of a netstring: read more bytes (at end of stream: truncated).</summary>
    NeedMore,

    /// <summary>Not a netstring: a non-digit in the length, an empty length, a leading zero, or no comma after the payload.</summary>
    Malformed,

    /// <summary>The announced length is above the limit; nothing of the payload is read.</summary>
    TooLong,
}

/// <summary>
/// Netstrings (D. J. Bernstein, http://cr.yp.to/proto/netstrings.txt): <c>LEN ":" DATA ","</c> with LEN the decimal
/// byte count of DATA, the framing of every socketmap request and reply (socketmap_table(5)). A pure function over a
/// buffer: no stream, no allocation, never throws on data.
/// </summary>
/// <remarks>
/// <para>Limit: <see cref="MaxPayload"/> = 100 000 bytes, Postfix's own: <c>DICT_SOCKMAP_DEF_MAX_REPLY 100000</c> in
/// <c>src/util/dict_sockmap.c</c> (socketmap_table(5): "replies are not longer than 100000 characters (not including
/// the netstring encapsulation)"). The same bound is used for requests: Postfix sends <c>NAME KEY</c>, a few hundred
/// bytes at most.</para>
/// <para>Stricter than Postfix's <c>netstring_get_length()</c>, which accepts leading zeros (<c>007:</c>): the
/// netstring definition forbids them ("[len] begins with &lt;30&gt; exactly when [string] is empty"), and Postfix never
/// sends them, so a leading zero here is <see cref="NetstringStatus.Malformed"/>.</para>
/// </remarks>
internal static class Netstring
{
    /// <summary>Largest payload read or written: 100 000 bytes (dict_sockmap.c, <c>DICT_SOCKMAP_DEF_MAX_REPLY</c>).</summary>
    internal const int MaxPayload = 100_000;

    /// <summary>Longest framing around a payload of at most <see cref="MaxPayload"/>: six digits, colon, comma.</summary>
    internal const int MaxOverhead = 8;

    /// <summary>
    /// Reads one netstring at the start of <paramref name="buffer"/>. On <see cref="NetstringStatus.Complete"/>,
    /// <paramref name="payload"/> is the data's range in the buffer and <paramref name="consumed"/> the bytes used
    /// (framing included). <see cref="NetstringStatus.TooLong"/> is reported as soon as the length digits exceed
    /// <paramref name="maxPayload"/>, before any payload arrives.
    /// </summary>
    internal static NetstringStatus TryRead(ReadOnlySpan<byte> buffer, int maxPayload, out Range payload, out int consumed)
    {
        payload = default;
        consumed = 0;
        long length = 0;
        int i = 0;
        for (; i < buffer.Length; i++)
        {
            byte b = buffer[i];
            if (b == (byte)':')
            {
                break;
            }

            if (b is < (byte)'0' or > (byte)'9')
            {
                return NetstringStatus.Malformed;
            }

            if (i == 1 && buffer[0] == (byte)'0')
            {
                return NetstringStatus.Malformed; // "0" is the only length that starts with a zero
            }

            length = (length * 10) + (b - '0');
            if (length > maxPayload)
            {
                return NetstringStatus.TooLong;
            }
        }

        if (i == buffer.Length)
        {
            return NetstringStatus.NeedMore;
        }

        if (i == 0)
        {
            return NetstringStatus.Malformed; // ":" without digits
        }

        int start = i + 1;
        long end = start + length; // index of the comma
        if (end >= buffer.Length)
        {
            return NetstringStatus.NeedMore;
        }

        if (buffer[(int)end] != (byte)',')
        {
            return NetstringStatus.Malformed;
        }

        payload = start..(int)end;
        consumed = (int)end + 1;
        return NetstringStatus.Complete;
    }

    /// <summary>Bytes <see cref="Write"/> needs for a payload of <paramref name="payloadLength"/> bytes.</summary>
    internal static int EncodedLength(int payloadLength) => Digits(payloadLength) + payloadLength + 2;

    /// <summary>Writes <paramref name="payload"/> as a netstring into <paramref name="destination"/>, which must hold
    /// <see cref="EncodedLength"/> bytes; returns the bytes written.</summary>
    internal static int Write(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        int digits = Digits(payload.Length);
        int n = payload.Length;
        for (int d = digits - 1; d >= 0; d--)
        {
            destination[d] = (byte)('0' + (n % 10));
            n /= 10;
        }

        destination[digits] = (byte)':';
        payload.CopyTo(destination[(digits + 1)..]);
        destination[digits + 1 + payload.Length] = (byte)',';
        return digits + payload.Length + 2;
    }

    /// <summary>A new array with <paramref name="payload"/> as a netstring (for tests and clients).</summary>
    internal static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[EncodedLength(payload.Length)];
        Write(payload, bytes);
        return bytes;
    }

    private static int Digits(int n)
    {
        int digits = 1;
        while (n >= 10)
        {
            n /= 10;
            digits++;
        }

        return digits;
    }
}
