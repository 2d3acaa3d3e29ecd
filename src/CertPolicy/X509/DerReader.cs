using System.Formats.Asn1;

namespace CertPolicy.X509;

/// <summary>
/// A non-throwing, zero-copy DER reader over a span (STYLE.md, "DER"). Built on
/// <see cref="AsnDecoder.TryReadEncodedValue"/>, which enforces DER's minimal definite lengths; everything else
/// (BOOLEAN, small INTEGERs, BIT STRINGs, times) is decoded here under strict DER. Offsets are absolute in the
/// buffer the reader was created over, so callers can keep <see cref="Range"/>s instead of copies.
/// </summary>
internal ref struct DerReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _end;
    private int _position;

    /// <summary>Reads <paramref name="buffer"/>[<paramref name="start"/>..<paramref name="end"/>).</summary>
    internal DerReader(ReadOnlySpan<byte> buffer, int start, int end)
    {
        _buffer = buffer;
        _position = start;
        _end = end;
    }

    /// <summary>Reads the whole buffer.</summary>
    internal DerReader(ReadOnlySpan<byte> buffer)
        : this(buffer, 0, buffer.Length)
    {
    }

    internal readonly bool HasData => _position < _end;

    internal readonly int Position => _position;

    /// <summary>Peeks the next tag without consuming it.</summary>
    internal readonly bool TryPeekTag(out Asn1Tag tag)
    {
        tag = default;
        return _position < _end && Asn1Tag.TryDecode(_buffer[_position.._end], out tag, out _);
    }

    /// <summary>Reads the next TLV (any tag). <paramref name="content"/> and <paramref name="encoded"/> are absolute ranges.</summary>
    internal bool TryReadAny(out Asn1Tag tag, out Range content, out Range encoded)
    {
        content = default;
        encoded = default;
        tag = default;
        if (_position >= _end)
        {
            return false;
        }

        if (!AsnDecoder.TryReadEncodedValue(_buffer[_position.._end], AsnEncodingRules.DER, out tag, out int contentOffset, out int contentLength, out int consumed))
        {
            return false;
        }

        content = new Range(_position + contentOffset, _position + contentOffset + contentLength);
        encoded = new Range(_position, _position + consumed);
        _position += consumed;
        return true;
    }

    /// <summary>Reads the next TLV, which must carry <paramref name="expected"/>.</summary>
    internal bool TryRead(Asn1Tag expected, out Range content, out Range encoded)
    {
        if (!TryPeekTag(out var tag) || tag != expected)
        {
            content = default;
            encoded = default;
            return false;
        }

        return TryReadAny(out _, out content, out encoded);
    }

    /// <summary>Reads the next TLV, which must carry <paramref name="expected"/>; only the content range is returned.</summary>
    internal bool TryRead(Asn1Tag expected, out Range content) => TryRead(expected, out content, out _);

    /// <summary>Reads an optional element: true with <paramref name="present"/> false when the next tag differs.</summary>
    internal bool TryReadOptional(Asn1Tag expected, out bool present, out Range content)
    {
        content = default;
        present = TryPeekTag(out var tag) && tag == expected;
        return !present || TryReadAny(out _, out content, out _);
    }

    /// <summary>Strict DER BOOLEAN: one byte, 0x00 or 0xFF (X.690 11.1).</summary>
    internal static bool TryDecodeBoolean(ReadOnlySpan<byte> content, out bool value)
    {
        value = false;
        if (content.Length != 1 || (content[0] != 0x00 && content[0] != 0xFF))
        {
            return false;
        }

        value = content[0] == 0xFF;
        return true;
    }

    /// <summary>A non-negative DER INTEGER that fits in an int (minimal encoding, X.690 8.3.2).</summary>
    internal static bool TryDecodeSmallNonNegative(ReadOnlySpan<byte> content, out int value)
    {
        value = 0;
        if (!IsMinimalInteger(content) || (content[0] & 0x80) != 0 || content.Length > 4)
        {
            return false;
        }

        foreach (byte b in content)
        {
            value = (value << 8) | b;
        }

        return value >= 0;
    }

    /// <summary>True when an INTEGER's content is non-empty and minimally encoded.</summary>
    internal static bool IsMinimalInteger(ReadOnlySpan<byte> content) =>
        content.Length > 0
        && !(content.Length > 1 && ((content[0] == 0x00 && (content[1] & 0x80) == 0) || (content[0] == 0xFF && (content[1] & 0x80) != 0)));

    // RFC 5280 4.1 / 5.1: the SIGNED envelope that certificates and CRLs share, SEQUENCE { tbs SEQUENCE, algorithm
    // SEQUENCE, signature BIT STRING }, nothing after it and no unused signature bits. Out: the TBS content and encoding,
    // the outer algorithm's encoding, the signature bytes.
    internal static bool TryReadSigned(ReadOnlySpan<byte> d, out Range tbsContent, out Range tbs, out Range outerAlgorithm, out Range signature)
    {
        tbsContent = tbs = outerAlgorithm = signature = default;
        var outer = new DerReader(d);
        if (!outer.TryRead(Asn1Tag.Sequence, out var whole) || outer.HasData)
        {
            return false;
        }

        var c = new DerReader(d, whole.Start.Value, whole.End.Value);
        if (!c.TryRead(Asn1Tag.Sequence, out tbsContent, out tbs)
            || !c.TryRead(Asn1Tag.Sequence, out _, out outerAlgorithm)
            || !c.TryRead(Asn1Tag.PrimitiveBitString, out var sigBits)
            || c.HasData
            || !TryDecodeBitString(d[sigBits], out int unused, out _) || unused != 0)
        {
            return false;
        }

        signature = new Range(sigBits.Start.Value + 1, sigBits.End.Value);
        return true;
    }

    /// <summary>Strict DER BIT STRING: the unused-bit count and the bits, with unused bits zero (X.690 11.2).</summary>
    internal static bool TryDecodeBitString(ReadOnlySpan<byte> content, out int unusedBits, out ReadOnlySpan<byte> bits)
    {
        unusedBits = 0;
        bits = default;
        if (content.Length == 0 || content[0] > 7 || (content.Length == 1 && content[0] != 0))
        {
            return false;
        }

        unusedBits = content[0];
        bits = content[1..];
        if (unusedBits > 0 && (bits[^1] & ((1 << unusedBits) - 1)) != 0)
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// RFC 5280 4.1.2.5 times: UTCTime <c>YYMMDDHHMMSSZ</c> (years 1950-2049) or GeneralizedTime <c>YYYYMMDDHHMMSSZ</c>,
    /// seconds present, no fractions, always Z. Anything else is refused.
    /// </summary>
    internal static bool TryDecodeTime(Asn1Tag tag, ReadOnlySpan<byte> content, out DateTimeOffset value)
    {
        value = default;
        int year;
        ReadOnlySpan<byte> rest;
        if (tag == Asn1Tag.UtcTime)
        {
            if (content.Length != 13 || !TryDigits(content[..2], out int yy))
            {
                return false;
            }

            year = yy >= 50 ? 1900 + yy : 2000 + yy;
            rest = content[2..];
        }
        else if (tag == Asn1Tag.GeneralizedTime)
        {
            if (content.Length != 15 || !TryDigits(content[..4], out year))
            {
                return false;
            }

            rest = content[4..];
        }
        else
        {
            return false;
        }

        if (rest[^1] != (byte)'Z'
            || !TryDigits(rest[0..2], out int month) || !TryDigits(rest[2..4], out int day)
            || !TryDigits(rest[4..6], out int hour) || !TryDigits(rest[6..8], out int minute) || !TryDigits(rest[8..10], out int second))
        {
            return false;
        }

        if (year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        value = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (byte b in s)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }
}
