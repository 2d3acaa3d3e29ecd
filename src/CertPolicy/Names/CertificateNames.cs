using System.Formats.Asn1;

namespace CertPolicy.Names;

/// <summary>What kind of presented identifier a <see cref="PresentedName"/> is.</summary>
public enum PresentedNameKind : byte
{
    /// <summary>A subjectAltName dNSName (IA5String).</summary>
    DnsSan = 0,

    /// <summary>A subjectAltName iPAddress (4 or 16 octets).</summary>
    IPAddressSan = 1,

    /// <summary>A subject commonName attribute (any DirectoryString encoding).</summary>
    CommonName = 2,
}

/// <summary>
/// One presented identifier: its kind, the ASN.1 string tag, and where its content lies in the
/// certificate DER (no copy). Use <see cref="CertificateNames.Content"/> to get the bytes.
/// </summary>
/// <param name="Kind">SAN dNSName, SAN iPAddress or subject CN.</param>
/// <param name="StringTag">The universal tag number of a CN's string type (12 UTF8, 19 Printable, 20 Teletex, 22 IA5, 28 Universal, 30 BMP); 0 for SANs.</param>
/// <param name="Offset">Offset of the content in the certificate DER.</param>
/// <param name="Length">Length of the content in bytes.</param>
public readonly record struct PresentedName(PresentedNameKind Kind, byte StringTag, int Offset, int Length);

/// <summary>
/// Reads the presented identifiers of an X.509 certificate straight from its DER, without copies
/// or allocations: the subjectAltName dNSName and iPAddress entries and the subject commonName
/// attributes. Strict DER; never throws on data. This is the minimal reader name checks need; the
/// full certificate view lives in <c>X509/</c>.
/// </summary>
public static class CertificateNames
{
    /// <summary>Most presented names examined; a certificate with more is refused as hostile (webpki and Go bound SAN work similarly).</summary>
    public const int MaxNames = 4096;

    // id-ce-subjectAltName 2.5.29.17 and id-at-commonName 2.5.4.3, as encoded OID contents.
    private static ReadOnlySpan<byte> SubjectAltNameOid => [0x55, 0x1D, 0x11];

    private static ReadOnlySpan<byte> CommonNameOid => [0x55, 0x04, 0x03];

    /// <summary>
    /// Locates the subject Name and the subjectAltName extension value of a certificate.
    /// </summary>
    /// <param name="certificate">The certificate DER.</param>
    /// <param name="subject">Offset and length of the subject Name (the whole SEQUENCE TLV).</param>
    /// <param name="subjectAltNames">Offset and length of the GeneralNames SEQUENCE TLV, or length 0 when absent.</param>
    /// <returns>False when the DER is malformed (including trailing data and duplicate SAN extensions).</returns>
    public static bool TryLocate(ReadOnlySpan<byte> certificate, out Range subject, out Range subjectAltNames)
    {
        subject = default;
        subjectAltNames = default;
        if (!Read(certificate, 0, Asn1Tag.Sequence, out int certContent, out int certLength, out int certConsumed)
            || certConsumed != certificate.Length)
        {
            return false;
        }

        if (!Read(certificate, certContent, Asn1Tag.Sequence, out int tbs, out int tbsLength, out _))
        {
            return false;
        }

        int end = tbs + tbsLength;
        if (end > certContent + certLength)
        {
            return false;
        }

        int p = tbs;
        var v0 = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (Peek(certificate, p, end, out var tag) && tag == v0)
        {
            if (!Skip(certificate, ref p, end))
            {
                return false;
            }
        }

        // serialNumber, signature, issuer, validity
        for (int i = 0; i < 4; i++)
        {
            if (!Skip(certificate, ref p, end))
            {
                return false;
            }
        }

        int subjectStart = p;
        if (!Peek(certificate, p, end, out tag) || tag != Asn1Tag.Sequence || !Skip(certificate, ref p, end))
        {
            return false;
        }

        subject = new Range(subjectStart, p);
        if (!Skip(certificate, ref p, end))
        {
            return false; // subjectPublicKeyInfo
        }

        var ext = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        while (p < end)
        {
            if (!Peek(certificate, p, end, out tag))
            {
                return false;
            }

            if (tag != ext)
            {
                if (!Skip(certificate, ref p, end))
                {
                    return false;
                }

                continue;
            }

            if (!Read(certificate[..end], p, ext, out int extsOuter, out int extsOuterLength, out int consumed)
                || !Read(certificate[..(extsOuter + extsOuterLength)], extsOuter, Asn1Tag.Sequence, out int exts, out int extsLength, out _))
            {
                return false;
            }

            p += consumed;
            int q = exts;
            int extsEnd = exts + extsLength;
            while (q < extsEnd)
            {
                if (!Read(certificate[..extsEnd], q, Asn1Tag.Sequence, out int e, out int eLength, out int eConsumed))
                {
                    return false;
                }

                q += eConsumed;
                int eEnd = e + eLength;
                if (!Read(certificate[..eEnd], e, Asn1Tag.ObjectIdentifier, out int oid, out int oidLength, out int oidConsumed))
                {
                    return false;
                }

                int r = e + oidConsumed;
                if (Peek(certificate, r, eEnd, out tag) && tag == Asn1Tag.Boolean && !Skip(certificate, ref r, eEnd))
                {
                    return false;
                }

                if (!Read(certificate[..eEnd], r, Asn1Tag.PrimitiveOctetString, out int value, out int valueLength, out int valueConsumed)
                    || r + valueConsumed != eEnd)
                {
                    return false;
                }

                if (certificate.Slice(oid, oidLength).SequenceEqual(SubjectAltNameOid))
                {
                    if (subjectAltNames.End.Value != 0)
                    {
                        return false; // RFC 5280 4.2: a certificate MUST NOT include more than one instance of an extension
                    }

                    if (!Read(certificate[..(value + valueLength)], value, Asn1Tag.Sequence, out _, out _, out int sanConsumed)
                        || sanConsumed != valueLength)
                    {
                        return false;
                    }

                    subjectAltNames = new Range(value, value + valueLength);
                }
            }
        }

        return p == end;
    }

    /// <summary>
    /// Enumerates presented names into <paramref name="destination"/>: every dNSName and
    /// iPAddress SAN, then every subject CN. Returns the count written, or -1 when the certificate is
    /// malformed or has more names than <paramref name="destination"/> holds (at most <see cref="MaxNames"/>).
    /// </summary>
    public static int Read(ReadOnlySpan<byte> certificate, Span<PresentedName> destination)
    {
        if (!TryLocate(certificate, out var subject, out var san))
        {
            return -1;
        }

        int n = 0;
        var (sanStart, sanLength) = san.GetOffsetAndLength(certificate.Length);
        if (sanLength > 0)
        {
            if (!Read(certificate, sanStart, Asn1Tag.Sequence, out int g, out int gLength, out _))
            {
                return -1;
            }

            int gEnd = g + gLength;
            var dns = new Asn1Tag(TagClass.ContextSpecific, 2);
            var ip = new Asn1Tag(TagClass.ContextSpecific, 7);
            while (g < gEnd)
            {
                if (!AsnDecoder.TryReadEncodedValue(certificate[g..gEnd], AsnEncodingRules.DER, out var tag, out int c, out int l, out int consumed))
                {
                    return -1;
                }

                if (tag == dns || tag == ip)
                {
                    if (n == destination.Length)
                    {
                        return -1;
                    }

                    destination[n++] = new PresentedName(tag == dns ? PresentedNameKind.DnsSan : PresentedNameKind.IPAddressSan, 0, g + c, l);
                }

                g += consumed;
            }
        }

        var (subjectStart, _) = subject.GetOffsetAndLength(certificate.Length);
        if (!Read(certificate, subjectStart, Asn1Tag.Sequence, out int s, out int sLength, out _))
        {
            return -1;
        }

        int sEnd = s + sLength;
        while (s < sEnd)
        {
            if (!Read(certificate[..sEnd], s, Asn1Tag.SetOf, out int rdn, out int rdnLength, out int rdnConsumed))
            {
                return -1;
            }

            s += rdnConsumed;
            int rdnEnd = rdn + rdnLength;
            while (rdn < rdnEnd)
            {
                if (!Read(certificate[..rdnEnd], rdn, Asn1Tag.Sequence, out int atv, out int atvLength, out int atvConsumed))
                {
                    return -1;
                }

                rdn += atvConsumed;
                int atvEnd = atv + atvLength;
                if (!Read(certificate[..atvEnd], atv, Asn1Tag.ObjectIdentifier, out int oid, out int oidLength, out int oidConsumed))
                {
                    return -1;
                }

                if (!AsnDecoder.TryReadEncodedValue(certificate[(atv + oidConsumed)..atvEnd], AsnEncodingRules.DER, out var vt, out int vc, out int vl, out int vConsumed)
                    || atv + oidConsumed + vConsumed != atvEnd)
                {
                    return -1;
                }

                if (certificate.Slice(oid, oidLength).SequenceEqual(CommonNameOid))
                {
                    if (vt.TagClass != TagClass.Universal || vt.IsConstructed || !IsDirectoryString(vt.TagValue))
                    {
                        return -1;
                    }

                    if (n == destination.Length)
                    {
                        return -1;
                    }

                    destination[n++] = new PresentedName(PresentedNameKind.CommonName, (byte)vt.TagValue, atv + oidConsumed + vc, vl);
                }
            }
        }

        return n;
    }

    /// <summary>The content bytes of a presented name inside the certificate DER.</summary>
    public static ReadOnlySpan<byte> Content(ReadOnlySpan<byte> certificate, in PresentedName name) =>
        certificate.Slice(name.Offset, name.Length);

    /// <summary>
    /// Writes a CN's text as the bytes OpenSSL compares (<c>ASN1_STRING_to_UTF8</c>) for the ASCII
    /// range: BMPString and UniversalString code units below U+0080 become that byte, a NUL stays NUL
    /// (never matches), and every other character becomes 0xFF, which no ASCII reference equals.
    /// UTF8String, PrintableString, IA5String and TeletexString bytes are copied. Returns the length.
    /// </summary>
    internal static int ToComparable(ReadOnlySpan<byte> content, byte stringTag, Span<byte> destination)
    {
        int unit = stringTag switch { 30 => 2, 28 => 4, _ => 1 };
        if (content.Length % unit != 0 || content.Length / unit > destination.Length)
        {
            return -1;
        }

        if (unit == 1)
        {
            content.CopyTo(destination);
            return content.Length;
        }

        int n = 0;
        for (int i = 0; i < content.Length; i += unit)
        {
            uint cp = unit == 2
                ? (uint)((content[i] << 8) | content[i + 1])
                : (uint)((content[i] << 24) | (content[i + 1] << 16) | (content[i + 2] << 8) | content[i + 3]);
            destination[n++] = cp < 0x80 ? (byte)cp : (byte)0xFF;
        }

        return n;
    }

    private static bool IsDirectoryString(int tag) => tag is 12 or 19 or 20 or 22 or 28 or 30;

    private static bool Peek(ReadOnlySpan<byte> der, int offset, int end, out Asn1Tag tag)
    {
        tag = default;
        return offset < end && Asn1Tag.TryDecode(der[offset..end], out tag, out _);
    }

    private static bool Skip(ReadOnlySpan<byte> der, ref int offset, int end)
    {
        if (offset >= end || !AsnDecoder.TryReadEncodedValue(der[offset..end], AsnEncodingRules.DER, out _, out _, out _, out int consumed))
        {
            return false;
        }

        offset += consumed;
        return true;
    }

    private static bool Read(ReadOnlySpan<byte> der, int offset, Asn1Tag expected, out int contentOffset, out int contentLength, out int consumed)
    {
        contentOffset = contentLength = consumed = 0;
        if (offset >= der.Length
            || !AsnDecoder.TryReadEncodedValue(der[offset..], AsnEncodingRules.DER, out var tag, out int c, out int l, out consumed)
            || tag != expected)
        {
            return false;
        }

        contentOffset = offset + c;
        contentLength = l;
        return true;
    }
}
