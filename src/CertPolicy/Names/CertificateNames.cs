using System.Formats.Asn1;
using CertPolicy.X509;

namespace CertPolicy.Names;

/// <summary>What kind of presented identifier a <see cref="PresentedName"/> is.</summary>
internal enum PresentedNameKind : byte
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
internal readonly record struct PresentedName(PresentedNameKind Kind, byte StringTag, int Offset, int Length);

/// <summary>
/// Reads the presented identifiers of an X.509 certificate straight from its DER, without copies
/// or allocations: the subjectAltName dNSName and iPAddress entries and the subject commonName
/// attributes. Strict DER; never throws on data. The certificate itself is read by <see cref="CertificateView"/>
/// (the one certificate reader in <c>X509/</c>); this class only walks the two name fields it located.
/// </summary>
internal static class CertificateNames
{
    /// <summary>Most presented names examined; a certificate with more is refused as hostile (webpki and Go bound SAN work similarly).</summary>
    public const int MaxNames = 4096;

    // id-at-commonName 2.5.4.3, as encoded OID content.
    private static ReadOnlySpan<byte> CommonNameOid => [0x55, 0x04, 0x03];

    /// <summary>
    /// Locates the subject Name and the subjectAltName extension value of a certificate. The certificate is read by the
    /// one certificate reader (<see cref="CertificateView"/>, strict DER and RFC 5280 fields), so a certificate the chain
    /// validator refuses is malformed here too.
    /// </summary>
    /// <param name="certificate">The certificate DER.</param>
    /// <param name="subject">Offset and length of the subject Name (the whole SEQUENCE TLV).</param>
    /// <param name="subjectAltNames">Offset and length of the GeneralNames SEQUENCE TLV, or length 0 when absent.</param>
    /// <returns>False when the certificate is malformed (including trailing data and duplicate SAN extensions).</returns>
    public static bool TryLocate(ReadOnlySpan<byte> certificate, out Range subject, out Range subjectAltNames) =>
        CertificateView.TryLocateNames(certificate, out subject, out subjectAltNames) == CertificateError.None;

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
        if (san.End.Value > san.Start.Value)
        {
            var outer = new DerReader(certificate, san.Start.Value, san.End.Value);
            if (!outer.TryRead(Asn1Tag.Sequence, out var names))
            {
                return -1;
            }

            var dns = new Asn1Tag(TagClass.ContextSpecific, 2);
            var ip = new Asn1Tag(TagClass.ContextSpecific, 7);
            var g = new DerReader(certificate, names.Start.Value, names.End.Value);
            while (g.HasData)
            {
                if (!g.TryReadAny(out var tag, out var content, out _))
                {
                    return -1;
                }

                if (tag == dns || tag == ip)
                {
                    if (n == destination.Length)
                    {
                        return -1;
                    }

                    var (offset, length) = content.GetOffsetAndLength(certificate.Length);
                    destination[n++] = new PresentedName(tag == dns ? PresentedNameKind.DnsSan : PresentedNameKind.IPAddressSan, 0, offset, length);
                }
            }
        }

        var name = new DerReader(certificate, subject.Start.Value, subject.End.Value);
        if (!name.TryRead(Asn1Tag.Sequence, out var rdns))
        {
            return -1;
        }

        var r = new DerReader(certificate, rdns.Start.Value, rdns.End.Value);
        while (r.HasData)
        {
            if (!r.TryRead(Asn1Tag.SetOf, out var rdn))
            {
                return -1;
            }

            var atvs = new DerReader(certificate, rdn.Start.Value, rdn.End.Value);
            while (atvs.HasData)
            {
                if (!atvs.TryRead(Asn1Tag.Sequence, out var atv))
                {
                    return -1;
                }

                var a = new DerReader(certificate, atv.Start.Value, atv.End.Value);
                if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var oid) || !a.TryReadAny(out var vt, out var value, out _) || a.HasData)
                {
                    return -1;
                }

                if (certificate[oid].SequenceEqual(CommonNameOid))
                {
                    if (vt.TagClass != TagClass.Universal || vt.IsConstructed || !IsDirectoryString(vt.TagValue))
                    {
                        return -1;
                    }

                    if (n == destination.Length)
                    {
                        return -1;
                    }

                    var (offset, length) = value.GetOffsetAndLength(certificate.Length);
                    destination[n++] = new PresentedName(PresentedNameKind.CommonName, (byte)vt.TagValue, offset, length);
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
            uint cp = CodeUnit(content, i, unit);
            destination[n++] = cp < 0x80 ? (byte)cp : (byte)0xFF;
        }

        return n;
    }

    /// <summary>
    /// The code unit at <paramref name="offset"/> of a 1-, 2- (BMPString) or 4-byte (UniversalString, big-endian) string.
    /// Widened byte by byte as unsigned values: a UniversalString unit of 0x80000000 or more (not a character; RFC 5280
    /// 4.1.2.6 permits only UCS-4 text) used to overflow the checked conversion of a negative int and throw inside the
    /// name check (issue 14).
    /// </summary>
    internal static uint CodeUnit(ReadOnlySpan<byte> content, int offset, int unit) => unit switch
    {
        4 => ((uint)content[offset] << 24) | ((uint)content[offset + 1] << 16) | ((uint)content[offset + 2] << 8) | content[offset + 3],
        2 => ((uint)content[offset] << 8) | content[offset + 1],
        _ => content[offset],
    };

    /// <summary>
    /// Appends a CN's text for a message: printable ASCII as is, every other code unit (control characters, non-ASCII,
    /// values that are no character at all such as a UniversalString unit above U+10FFFF) as <c>?</c>.
    /// </summary>
    internal static void AppendDisplay(StringBuilder sb, ReadOnlySpan<byte> content, byte stringTag)
    {
        int unit = stringTag switch { 30 => 2, 28 => 4, _ => 1 };
        int whole = content.Length - (content.Length % unit);
        for (int i = 0; i < whole; i += unit)
        {
            uint cp = CodeUnit(content, i, unit);
            sb.Append(cp is >= 0x20 and < 0x7F ? (char)cp : '?');
        }

        if (whole < content.Length)
        {
            sb.Append('?'); // a trailing partial code unit
        }
    }

    private static bool IsDirectoryString(int tag) => tag is 12 or 19 or 20 or 22 or 28 or 30;
}
