using System.Globalization;

namespace CertPolicy.Messaging;

/// <summary>One packet's framing: its tag and where its body lies in the input.</summary>
internal readonly record struct OpenPgpPacket(int Tag, int HeaderOffset, int BodyOffset, int BodyLength)
{
    internal int End => BodyOffset + BodyLength;
}

/// <summary>
/// Walks the packet framing (RFC 9580 4.2) before BouncyCastle sees the bytes, so that a
/// truncated or garbled stream is reported with the packet number, tag and byte offset instead of
/// BouncyCastle's generic end-of-stream exception. Bounded: at most <see cref="MaxPackets"/> packets.
/// </summary>
internal static class OpenPgpPackets
{
    /// <summary>Packet budget: a real certificate with many third-party signatures stays far below it.</summary>
    internal const int MaxPackets = 10_000;

    internal static bool TryScan(ReadOnlySpan<byte> data, List<OpenPgpPacket> packets, out OpenPgpReadError? error)
    {
        error = null;
        int off = 0;
        while (off < data.Length)
        {
            int number = packets.Count + 1;
            if (packets.Count >= MaxPackets)
            {
                error = new OpenPgpReadError(OpenPgpReadErrorKind.TooLarge, "more than " + MaxPackets.ToString(CultureInfo.InvariantCulture) + " packets");
                return false;
            }

            byte b = data[off];
            if ((b & 0x80) == 0)
            {
                error = off == 0
                    ? new OpenPgpReadError(OpenPgpReadErrorKind.NotOpenPgp, "not OpenPGP: neither ASCII armor nor a binary packet (first byte 0x"
                        + b.ToString("X2", CultureInfo.InvariantCulture) + " has bit 7 clear, RFC 9580 4.2)")
                    : new OpenPgpReadError(OpenPgpReadErrorKind.PacketMalformed, "byte 0x" + b.ToString("X2", CultureInfo.InvariantCulture)
                        + " at offset " + Hex(off) + " after packet " + (number - 1).ToString(CultureInfo.InvariantCulture)
                        + " is not a packet header (bit 7 clear): junk after the key data");
                return false;
            }

            int tag;
            long length;
            int headerLength;
            if ((b & 0x40) != 0)
            {
                // New format (RFC 9580 4.2.1).
                tag = b & 0x3F;
                if (off + 1 >= data.Length)
                {
                    error = Truncated(number, tag, off, "its length octets are missing");
                    return false;
                }

                int l1 = data[off + 1];
                if (l1 < 192)
                {
                    length = l1;
                    headerLength = 2;
                }
                else if (l1 < 224)
                {
                    if (off + 2 >= data.Length)
                    {
                        error = Truncated(number, tag, off, "its two-octet length is cut off");
                        return false;
                    }

                    length = ((l1 - 192) << 8) + data[off + 2] + 192;
                    headerLength = 3;
                }
                else if (l1 == 255)
                {
                    if (off + 5 >= data.Length)
                    {
                        error = Truncated(number, tag, off, "its five-octet length is cut off");
                        return false;
                    }

                    length = ((long)data[off + 2] << 24) | ((long)data[off + 3] << 16) | ((long)data[off + 4] << 8) | data[off + 5];
                    headerLength = 6;
                }
                else
                {
                    error = new OpenPgpReadError(OpenPgpReadErrorKind.PacketMalformed, Name(number, tag, off)
                        + " uses a partial body length, which only data packets may use (RFC 9580 4.2.1.4)");
                    return false;
                }
            }
            else
            {
                // Legacy format (RFC 9580 4.2.2).
                tag = (b >> 2) & 0x0F;
                int lengthType = b & 0x03;
                if (lengthType == 3)
                {
                    error = new OpenPgpReadError(OpenPgpReadErrorKind.PacketMalformed, Name(number, tag, off)
                        + " has an indeterminate length, which a key packet may not have (RFC 9580 4.2.2)");
                    return false;
                }

                int octets = 1 << lengthType;
                if (off + octets >= data.Length)
                {
                    error = Truncated(number, tag, off, "its length octets are cut off");
                    return false;
                }

                length = 0;
                for (int i = 1; i <= octets; i++)
                {
                    length = (length << 8) | data[off + i];
                }

                headerLength = 1 + octets;
            }

            long available = data.Length - off - headerLength;
            if (length > available)
            {
                error = new OpenPgpReadError(OpenPgpReadErrorKind.PacketTruncated, Name(number, tag, off) + " declares a "
                    + length.ToString(CultureInfo.InvariantCulture) + "-byte body but only " + available.ToString(CultureInfo.InvariantCulture)
                    + " byte(s) remain: the data is truncated");
                return false;
            }

            packets.Add(new OpenPgpPacket(tag, off, off + headerLength, (int)length));
            off += headerLength + (int)length;
        }

        return true;
    }

    internal static string TagName(int tag) => tag switch
    {
        1 => "Public-Key Encrypted Session Key",
        2 => "Signature",
        3 => "Symmetric-Key Encrypted Session Key",
        4 => "One-Pass Signature",
        5 => "Secret-Key",
        6 => "Public-Key",
        7 => "Secret-Subkey",
        8 => "Compressed Data",
        9 => "Symmetrically Encrypted Data",
        10 => "Marker",
        11 => "Literal Data",
        12 => "Trust",
        13 => "User ID",
        14 => "Public-Subkey",
        17 => "User Attribute",
        18 => "Encrypted and Integrity Protected Data",
        19 => "Modification Detection Code",
        20 => "AEAD Encrypted Data",
        21 => "Padding",
        _ => "unknown",
    };

    internal static string Name(int number, int tag, int offset) =>
        "packet " + number.ToString(CultureInfo.InvariantCulture) + " (" + TagName(tag) + ", tag "
        + tag.ToString(CultureInfo.InvariantCulture) + ") at offset " + Hex(offset);

    internal static string Hex(int offset) => "0x" + offset.ToString("X", CultureInfo.InvariantCulture);

    private static OpenPgpReadError Truncated(int number, int tag, int offset, string what) =>
        new(OpenPgpReadErrorKind.PacketTruncated, Name(number, tag, offset) + ": " + what + ": the data is truncated");
}
