using System.Globalization;
using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace CertPolicy.Messaging;

/// <summary>
/// Reads OpenPGP public keys (R-G1, R-G3): ASCII-armored or binary, one or more transferable public
/// keys. Three stages, each with its own precise error: the armor (structure, base64, CRC-24),
/// the packet framing (tags, lengths, truncation, RFC 9580 10.1 grammar) and the packet contents
/// (parsed by BouncyCastle, one packet at a time so that the failing packet is named).
/// Does not verify signatures, expiry or revocation: that is <see cref="OpenPgpKeyEvaluator"/>'s job.
/// Does not read secret keys, messages or signatures: they are reported as the wrong input.
/// </summary>
public static class OpenPgpKeyReader
{
    /// <summary>Input budget: public keys are kilobytes; anything above this is refused unread.</summary>
    public const int MaxInputBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Reads every transferable public key in <paramref name="data"/>. Never throws on data: any
    /// damage yields <see langword="false"/> and an <paramref name="error"/> that says what and where.
    /// </summary>
    /// <param name="data">The file's bytes (armored text or binary packets).</param>
    /// <param name="certificates">The keys read, in input order; empty on failure.</param>
    /// <param name="error">Why the input is unusable; <see langword="null"/> on success.</param>
    /// <returns><see langword="true"/> when at least one public key was read and every packet parsed.</returns>
    public static bool TryRead(ReadOnlySpan<byte> data, out IReadOnlyList<OpenPgpCertificate> certificates, out OpenPgpReadError? error)
    {
        certificates = [];
        try
        {
            return TryReadCore(data, out certificates, out error);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Fail closed: a parser bug on hostile input is an unusable input, never an escaping exception.
            error = new OpenPgpReadError(OpenPgpReadErrorKind.PacketMalformed, "the key data cannot be parsed (damaged or truncated OpenPGP data)");
            return false;
        }
    }

    private static bool TryReadCore(ReadOnlySpan<byte> data, out IReadOnlyList<OpenPgpCertificate> certificates, out OpenPgpReadError? error)
    {
        certificates = [];
        if (data.Length > MaxInputBytes)
        {
            error = new OpenPgpReadError(OpenPgpReadErrorKind.TooLarge, "the input is " + data.Length.ToString(CultureInfo.InvariantCulture)
                + " bytes; public keys above " + MaxInputBytes.ToString(CultureInfo.InvariantCulture) + " bytes are refused");
            return false;
        }

        int first = 0;
        if (data.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            first = 3; // a UTF-8 byte order mark before the armor (Windows editors write one)
        }

        while (first < data.Length && IsWhiteSpace(data[first]))
        {
            first++;
        }

        if (first == data.Length)
        {
            error = new OpenPgpReadError(OpenPgpReadErrorKind.Empty, data.Length == 0 ? "the file is empty" : "the file holds only white space");
            return false;
        }

        byte[] binary;
        if ((data[first] & 0x80) != 0)
        {
            binary = data.ToArray();
        }
        else
        {
            string text = Encoding.UTF8.GetString(data[first..]);
            if (OpenPgpArmor.LooksArmored(text))
            {
                if (!OpenPgpArmor.TryDecodeAll(text, out binary, out error))
                {
                    return false;
                }
            }
            else if (IsMostlyText(data))
            {
                error = new OpenPgpReadError(OpenPgpReadErrorKind.NotOpenPgp, text.Contains("-----BEGIN ", StringComparison.Ordinal)
                    ? "a PEM file (X.509 certificate, PKCS#7 or key), not OpenPGP: no '-----BEGIN PGP PUBLIC KEY BLOCK-----' line"
                    : "text without OpenPGP armor: no '-----BEGIN PGP PUBLIC KEY BLOCK-----' line");
                return false;
            }
            else if (data[first] == 0x30)
            {
                error = new OpenPgpReadError(OpenPgpReadErrorKind.NotOpenPgp, "not OpenPGP: the data starts like DER (an X.509 certificate or PKCS#7), first byte 0x30 has bit 7 clear");
                return false;
            }
            else
            {
                binary = data.ToArray();
            }
        }

        var packets = new List<OpenPgpPacket>();
        if (!OpenPgpPackets.TryScan(binary, packets, out error))
        {
            return false;
        }

        if (packets.Count == 0)
        {
            error = new OpenPgpReadError(OpenPgpReadErrorKind.PacketMalformed, "the armor holds no OpenPGP packet");
            return false;
        }

        var result = new List<OpenPgpCertificate>();
        int index = 0;
        while (index < packets.Count && packets[index].Tag == 10)
        {
            index++; // RFC 9580 5.8: Marker packets are ignored.
        }

        if (index == packets.Count)
        {
            // Found by fuzzing (fuzz/corpus/pgp/regressions): Marker packets alone used to read as success with no key.
            error = new OpenPgpReadError(OpenPgpReadErrorKind.UnexpectedPacket, "the input holds only Marker packets (tag 10): no Public-Key packet (tag 6) starts a transferable public key (RFC 9580 10.1)");
            return false;
        }

        while (index < packets.Count)
        {
            OpenPgpPacket head = packets[index];
            if (head.Tag != 6)
            {
                error = new OpenPgpReadError(OpenPgpReadErrorKind.UnexpectedPacket, OpenPgpPackets.Name(index + 1, head.Tag, head.HeaderOffset)
                    + (head.Tag is 5 or 7
                        ? " belongs to a secret key: a partner supplies its public key only (R-G1)"
                        : " where a Public-Key packet (tag 6) must start a transferable public key (RFC 9580 10.1)"));
                return false;
            }

            int start = index;
            index++;
            while (index < packets.Count && packets[index].Tag != 6)
            {
                int tag = packets[index].Tag;
                if (tag is not (2 or 12 or 13 or 14 or 17 or 21))
                {
                    error = new OpenPgpReadError(OpenPgpReadErrorKind.UnexpectedPacket, OpenPgpPackets.Name(index + 1, tag, packets[index].HeaderOffset)
                        + (tag is 5 or 7
                            ? " belongs to a secret key: a partner supplies its public key only (R-G1)"
                            : " cannot appear in a transferable public key (RFC 9580 10.1)"));
                    return false;
                }

                index++;
            }

            if (!TryBuild(binary, packets, start, index, result.Count + 1, out OpenPgpCertificate? certificate, out error))
            {
                return false;
            }

            result.Add(certificate!);
        }

        certificates = result;
        error = null;
        return true;
    }

    private static bool TryBuild(byte[] binary, List<OpenPgpPacket> packets, int start, int end, int number, out OpenPgpCertificate? certificate, out OpenPgpReadError? error)
    {
        certificate = null;
        int skippedSignatures = 0;
        using var segment = new MemoryStream();
        for (int i = start; i < end; i++)
        {
            OpenPgpPacket p = packets[i];
            if (p.Tag == 21)
            {
                continue; // RFC 9580 5.15: Padding packets carry nothing.
            }

            if (p.Tag is 6 or 14)
            {
                int version = p.BodyLength == 0 ? -1 : binary[p.BodyOffset];
                if (version is not (3 or 4 or 5 or 6))
                {
                    error = new OpenPgpReadError(OpenPgpReadErrorKind.UnsupportedVersion, OpenPgpPackets.Name(i + 1, p.Tag, p.HeaderOffset)
                        + (version < 0 ? " is empty" : " has key version " + version.ToString(CultureInfo.InvariantCulture) + "; versions 3, 4, 5 and 6 exist"));
                    return false;
                }
            }

            // Parse each packet alone first, so that a damaged one is named precisely.
            try
            {
                using var one = new MemoryStream(binary, p.HeaderOffset, p.End - p.HeaderOffset, writable: false);
                using var bcpg = new BcpgInputStream(one);
                _ = bcpg.ReadPacket();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (p.Tag == 2 && p.BodyLength > 0 && binary[p.BodyOffset] is 5 or 6)
                {
                    // BouncyCastle 2.7.0 reads v6 keys but not v5/v6 signatures. The key stays readable
                    // (fingerprint, R-G3) and the evaluator refuses it, because a skipped signature may
                    // be a revocation (fail closed).
                    skippedSignatures++;
                    continue;
                }

                error = new OpenPgpReadError(OpenPgpReadErrorKind.PacketMalformed, OpenPgpPackets.Name(i + 1, p.Tag, p.HeaderOffset)
                    + " is malformed: " + Describe(ex));
                return false;
            }

            segment.Write(binary, p.HeaderOffset, p.End - p.HeaderOffset);
        }

        try
        {
            certificate = new OpenPgpCertificate(new PgpPublicKeyRing(segment.ToArray()), skippedSignatures);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error = new OpenPgpReadError(OpenPgpReadErrorKind.PacketMalformed, "public key " + number.ToString(CultureInfo.InvariantCulture)
                + " (packets " + (start + 1).ToString(CultureInfo.InvariantCulture) + " to " + end.ToString(CultureInfo.InvariantCulture)
                + ") cannot be assembled: " + Describe(ex));
            return false;
        }
    }

    private static string Describe(Exception ex) => ex is EndOfStreamException
        ? "its body ends before its fields do (truncated content)"
        : "a field does not decode (damaged OpenPGP packet)";

    private static bool IsWhiteSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static bool IsMostlyText(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, 4096);
        int control = 0;
        for (int i = 0; i < n; i++)
        {
            byte b = data[i];
            if (b < 0x20 && !IsWhiteSpace(b))
            {
                control++;
            }
        }

        return control == 0;
    }
}
