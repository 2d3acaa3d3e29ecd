using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using CertPolicy.X509;

namespace CertPolicy.Trust;

/// <summary>
/// X.501 Name helpers: OpenSSL's subject hash (the CApath file name) and an RFC 2253 rendering.
/// Works on the Name's DER only; does not validate attribute semantics.
/// </summary>
internal static class DistinguishedName
{
    /// <summary>
    /// OpenSSL's <c>X509_NAME_hash</c> (what <c>openssl x509 -subject_hash</c> prints and <c>openssl rehash</c>
    /// names files after): SHA-1 of the canonical encoding of the name, first 4 bytes little-endian.
    /// The canonical encoding (crypto/x509/x_name.c, <c>x509_name_canon</c>) is the concatenation of each RDN's
    /// DER SET with string values converted to UTF8String, ASCII-lowercased, leading/trailing whitespace removed
    /// and inner whitespace runs collapsed to one space; the outer SEQUENCE is left out.
    /// </summary>
    /// <param name="nameDer">The DER of the Name.</param>
    /// <param name="hash">The hash, formatted by callers as 8 lower-case hex digits.</param>
    /// <returns>False when the Name is malformed or a string value cannot be converted to UTF-8 (OpenSSL fails then too).</returns>
    public static bool TryComputeOpenSslHash(ReadOnlySpan<byte> nameDer, out uint hash)
    {
        hash = 0;
        byte[] canon;
        try
        {
            canon = CanonicalEncoding(nameDer);
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or DecoderFallbackException or ArgumentException)
        {
            return false;
        }

        Span<byte> sha1 = stackalloc byte[20];
        SHA1.HashData(canon, sha1);
        hash = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(sha1);
        return true;
    }

    /// <summary>Formats an OpenSSL subject hash as the 8 lower-case hex digits used in CApath file names.</summary>
    /// <param name="hash">The hash from <see cref="TryComputeOpenSslHash"/>.</param>
    /// <returns>For example <c>b0e59380</c>.</returns>
    public static string FormatHash(uint hash) => hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    // Walks the Name with the X509 DER reader (the one reader of certificate bytes); AsnWriter only writes.
    private static byte[] CanonicalEncoding(ReadOnlySpan<byte> d)
    {
        var reader = new DerReader(d);
        if (!reader.TryRead(Asn1Tag.Sequence, out var name) || reader.HasData)
        {
            throw new AsnContentException("malformed Name");
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using var output = new MemoryStream();
        var rdns = new DerReader(d, name.Start.Value, name.End.Value);
        while (rdns.HasData)
        {
            if (!rdns.TryRead(Asn1Tag.SetOf, out var rdn))
            {
                throw new AsnContentException("malformed RDN");
            }

            writer.Reset();
            writer.PushSetOf();
            var avas = new DerReader(d, rdn.Start.Value, rdn.End.Value);
            while (avas.HasData)
            {
                if (!avas.TryRead(Asn1Tag.Sequence, out var ava))
                {
                    throw new AsnContentException("malformed attribute");
                }

                var a = new DerReader(d, ava.Start.Value, ava.End.Value);
                if (!a.TryReadAny(out _, out _, out var oid) || !a.TryReadAny(out var valueTag, out var valueContent, out var valueEncoded) || a.HasData)
                {
                    throw new AsnContentException("malformed attribute");
                }

                writer.PushSequence();
                writer.WriteEncodedValue(d[oid]);
                if (TryDecodeString(valueTag, d[valueContent], out string? text))
                {
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, Canonicalize(text!));
                }
                else
                {
                    writer.WriteEncodedValue(d[valueEncoded]);
                }

                writer.PopSequence();
            }

            writer.PopSetOf();
            output.Write(writer.Encode());
        }

        return output.ToArray();
    }

    private static bool TryDecodeString(Asn1Tag tag, ReadOnlySpan<byte> content, out string? text)
    {
        text = null;
        if (tag.TagClass != TagClass.Universal || tag.IsConstructed)
        {
            return false;
        }

        Encoding? enc = (UniversalTagNumber)tag.TagValue switch
        {
            UniversalTagNumber.UTF8String => new UTF8Encoding(false, true),
            UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String or UniversalTagNumber.VisibleString or UniversalTagNumber.T61String => Encoding.Latin1,
            UniversalTagNumber.BMPString => new UnicodeEncoding(true, false, true),
            UniversalTagNumber.UniversalString => new UTF32Encoding(true, false, true),
            _ => null,
        };
        if (enc is null)
        {
            return false;
        }

        text = enc.GetString(content);
        return true;
    }

    // Display only: a value that does not decode is shown as #hex instead of throwing DecoderFallbackException, which
    // Format's callers do not expect (found by fuzzing the chain validator: fuzz/corpus/chain-validator/regressions).
    // The subject hash keeps failing on such a value, as OpenSSL does.
    private static bool TryDecodeDisplayString(Asn1Tag tag, ReadOnlySpan<byte> content, out string? text)
    {
        try
        {
            return TryDecodeString(tag, content, out text);
        }
        catch (DecoderFallbackException)
        {
            text = null;
            return false;
        }
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    private static string Canonicalize(string s)
    {
        // asn1_string_canon (crypto/x509/x_name.c): trim, collapse ASCII whitespace, ASCII lower-case only.
        int a = 0;
        int b = s.Length;
        while (a < b && IsSpace(s[a]))
        {
            a++;
        }

        while (b > a && IsSpace(s[b - 1]))
        {
            b--;
        }

        var sb = new StringBuilder(b - a);
        for (int i = a; i < b; i++)
        {
            char c = s[i];
            if (IsSpace(c))
            {
                sb.Append(' ');
                while (i + 1 < b && IsSpace(s[i + 1]))
                {
                    i++;
                }
            }
            else
            {
                sb.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Renders a Name like <c>openssl x509 -subject -nameopt RFC2253</c>: last RDN first, short attribute names,
    /// RFC 2253 escapes, non-ASCII UTF-8 bytes as <c>\XX</c>, unknown attributes as <c>OID=#hex</c>, and a string value
    /// that does not decode in its type (invalid UTF-8, odd-length BMPString) as <c>SN=#hex</c>.
    /// </summary>
    /// <param name="nameDer">The DER of the Name.</param>
    /// <returns>The rendered name.</returns>
    /// <exception cref="AsnContentException">The Name is malformed.</exception>
    public static string Format(ReadOnlySpan<byte> nameDer) =>
        TryFormat(nameDer, out string text) ? text : throw new AsnContentException("malformed Name");

    /// <summary><see cref="Format"/> without the exception: false when the Name is malformed.</summary>
    /// <param name="d">The DER of the Name.</param>
    /// <param name="text">The rendered name, or empty.</param>
    /// <returns>Whether the Name was read.</returns>
    internal static bool TryFormat(ReadOnlySpan<byte> d, out string text)
    {
        text = string.Empty;
        var reader = new DerReader(d);
        if (!reader.TryRead(Asn1Tag.Sequence, out var name))
        {
            return false;
        }

        var rdns = new List<string>();
        var rr = new DerReader(d, name.Start.Value, name.End.Value);
        while (rr.HasData)
        {
            if (!rr.TryRead(Asn1Tag.SetOf, out var rdn))
            {
                return false;
            }

            var parts = new List<string>();
            var avas = new DerReader(d, rdn.Start.Value, rdn.End.Value);
            while (avas.HasData)
            {
                if (!avas.TryRead(Asn1Tag.Sequence, out var ava))
                {
                    return false;
                }

                var a = new DerReader(d, ava.Start.Value, ava.End.Value);
                if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var oidRange) || !Oids.TryFormat(d[oidRange], out string oid)
                    || !a.TryReadAny(out var tag, out var content, out var value))
                {
                    return false;
                }

                string? sn = ShortName(oid);
                if (sn is not null && TryDecodeDisplayString(tag, d[content], out string? decoded))
                {
                    parts.Add(sn + "=" + Escape(decoded!));
                }
                else
                {
                    parts.Add((sn ?? oid) + "=#" + Convert.ToHexString(d[value]));
                }
            }

            rdns.Add(string.Join("+", parts));
        }

        rdns.Reverse();
        text = string.Join(",", rdns);
        return true;
    }

    private static string Escape(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        var sb = new StringBuilder(utf8.Length + 8);
        for (int i = 0; i < utf8.Length; i++)
        {
            byte c = utf8[i];
            bool first = i == 0;
            bool last = i == utf8.Length - 1;
            if (c >= 0x80 || c < 0x20 || c == 0x7f)
            {
                sb.Append('\\').Append(c.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (c is (byte)',' or (byte)'+' or (byte)'"' or (byte)'\\' or (byte)'<' or (byte)'>' or (byte)';'
                || (first && (c == (byte)'#' || c == (byte)' ')) || (last && c == (byte)' '))
            {
                sb.Append('\\').Append((char)c);
            }
            else
            {
                sb.Append((char)c);
            }
        }

        return sb.ToString();
    }

    private static string? ShortName(string oid) => oid switch
    {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.15" => "businessCategory",
        "2.5.4.17" => "postalCode",
        "2.5.4.41" => "name",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.97" => "organizationIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => null,
    };
}
