using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CertPolicy.Trust;

/// <summary>
/// The parts of a root certificate the trust store needs, read from its DER with System.Formats.Asn1
/// (no X509Certificate2). Does not verify the signature, does not check extensions beyond the subject key
/// identifier, and keeps every raw encoding (<see cref="SubjectDer"/>, <see cref="SpkiDer"/>) as a slice of <see cref="Der"/>.
/// </summary>
public sealed class RootCertificate
{
    private RootCertificate(byte[] der)
    {
        Der = der;
        Sha256 = SHA256.HashData(der);
        Sha1 = SHA1.HashData(der);
    }

    /// <summary>The certificate's DER encoding.</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>SHA-256 over <see cref="Der"/> (the fingerprint the manifest pins).</summary>
    public ReadOnlyMemory<byte> Sha256 { get; }

    /// <summary>SHA-1 over <see cref="Der"/> (what NSS trust objects reference; not a security decision).</summary>
    public ReadOnlyMemory<byte> Sha1 { get; }

    /// <summary>Upper-case hex of <see cref="Sha256"/>.</summary>
    public string Sha256Hex => Convert.ToHexString(Sha256.Span);

    /// <summary>The DER of the subject Name.</summary>
    public ReadOnlyMemory<byte> SubjectDer { get; private set; }

    /// <summary>The DER of the issuer Name.</summary>
    public ReadOnlyMemory<byte> IssuerDer { get; private set; }

    /// <summary>The DER of the serial number INTEGER contents.</summary>
    public ReadOnlyMemory<byte> SerialNumber { get; private set; }

    /// <summary>The DER of the SubjectPublicKeyInfo.</summary>
    public ReadOnlyMemory<byte> SpkiDer { get; private set; }

    /// <summary>The subjectKeyIdentifier extension value, or empty when the certificate has none.</summary>
    public ReadOnlyMemory<byte> SubjectKeyIdentifier { get; private set; }

    /// <summary>The subject rendered like OpenSSL's <c>-nameopt RFC2253</c> (last RDN first, RFC 2253 escapes).</summary>
    public string Subject { get; private set; } = "";

    /// <summary>Start of validity (UTC).</summary>
    public DateTimeOffset NotBefore { get; private set; }

    /// <summary>End of validity (UTC).</summary>
    public DateTimeOffset NotAfter { get; private set; }

    /// <summary>Key algorithm family: <c>RSA</c>, <c>EC</c> or the dotted OID of anything else.</summary>
    public string KeyAlgorithm { get; private set; } = "";

    /// <summary>RSA modulus bits, or EC field size in bits (256/384/521); 0 when unknown.</summary>
    public int KeySize { get; private set; }

    /// <summary>The key as the manifest writes it: <c>RSA-2048</c>, <c>EC-P384</c>.</summary>
    public string KeyDescription => KeyAlgorithm switch
    {
        "RSA" => "RSA-" + KeySize.ToString(CultureInfo.InvariantCulture),
        "EC" => "EC-P" + KeySize.ToString(CultureInfo.InvariantCulture),
        _ => KeyAlgorithm,
    };

    /// <summary>Reads a DER certificate. Never throws on malformed data: returns false with a reason.</summary>
    /// <param name="der">The certificate DER; the bytes are copied.</param>
    /// <param name="certificate">The parsed certificate, or null.</param>
    /// <param name="error">Why parsing failed, or null.</param>
    /// <returns>True when the certificate was read.</returns>
    public static bool TryParse(ReadOnlySpan<byte> der, out RootCertificate? certificate, out string? error)
    {
        certificate = null;
        var c = new RootCertificate(der.ToArray());
        try
        {
            var mem = c.Der;
            var outer = new AsnReader(mem, AsnEncodingRules.DER);
            var cert = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var tbs = cert.ReadSequence();
            cert.ReadSequence(); // signatureAlgorithm
            cert.ReadBitString(out _);
            cert.ThrowIfNotEmpty();

            if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            }

            var serial = tbs.ReadIntegerBytes();
            c.SerialNumber = Slice(mem, serial);
            tbs.ReadSequence(); // signature
            c.IssuerDer = Slice(mem, tbs.ReadEncodedValue());
            var validity = tbs.ReadSequence();
            c.NotBefore = ReadTime(validity);
            c.NotAfter = ReadTime(validity);
            validity.ThrowIfNotEmpty();
            c.SubjectDer = Slice(mem, tbs.ReadEncodedValue());
            c.SpkiDer = Slice(mem, tbs.ReadEncodedValue());
            while (tbs.HasData)
            {
                var tag = tbs.PeekTag();
                if (tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3)))
                {
                    var extsWrapper = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3));
                    var exts = extsWrapper.ReadSequence();
                    while (exts.HasData)
                    {
                        var ext = exts.ReadSequence();
                        string oid = ext.ReadObjectIdentifier();
                        if (ext.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                        {
                            ext.ReadBoolean();
                        }

                        var value = ext.ReadOctetString();
                        if (oid == "2.5.29.14")
                        {
                            var ski = new AsnReader(value, AsnEncodingRules.DER);
                            c.SubjectKeyIdentifier = ski.ReadOctetString();
                        }
                    }
                }
                else
                {
                    tbs.ReadEncodedValue();
                }
            }

            ReadKey(c);
            c.Subject = DistinguishedName.Format(c.SubjectDer.Span);
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException or InvalidOperationException or OverflowException or DecoderFallbackException)
        {
            error = "not a DER X.509 certificate: " + ex.Message;
            return false;
        }

        certificate = c;
        error = null;
        return true;
    }

    private static void ReadKey(RootCertificate c)
    {
        var spki = new AsnReader(c.SpkiDer, AsnEncodingRules.DER).ReadSequence();
        var alg = spki.ReadSequence();
        string oid = alg.ReadObjectIdentifier();
        byte[] key = spki.ReadBitString(out _);
        switch (oid)
        {
            case "1.2.840.113549.1.1.1":
                {
                    var rsa = new AsnReader(key, AsnEncodingRules.DER).ReadSequence();
                    var modulus = rsa.ReadIntegerBytes().Span;
                    int k = 0;
                    while (k < modulus.Length - 1 && modulus[k] == 0)
                    {
                        k++;
                    }

                    int bits = (modulus.Length - k) * 8;
                    byte top = modulus[k];
                    while (bits > 0 && (top & 0x80) == 0)
                    {
                        top <<= 1;
                        bits--;
                    }

                    c.KeyAlgorithm = "RSA";
                    c.KeySize = bits;
                    break;
                }

            case "1.2.840.10045.2.1":
                {
                    string curve = alg.HasData && alg.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier) ? alg.ReadObjectIdentifier() : "";
                    c.KeyAlgorithm = "EC";
                    c.KeySize = curve switch
                    {
                        "1.2.840.10045.3.1.7" => 256,
                        "1.3.132.0.34" => 384,
                        "1.3.132.0.35" => 521,
                        _ => 0,
                    };
                    break;
                }

            default:
                c.KeyAlgorithm = oid;
                c.KeySize = 0;
                break;
        }
    }

    private static DateTimeOffset ReadTime(AsnReader r)
    {
        var tag = r.PeekTag();
        return tag.HasSameClassAndValue(Asn1Tag.UtcTime) ? r.ReadUtcTime() : r.ReadGeneralizedTime();
    }

    private static int Offset(ReadOnlyMemory<byte> whole, ReadOnlyMemory<byte> part)
    {
        // AsnReader returns slices of the memory it was given; recover the offset by overlap.
        if (whole.Span.Overlaps(part.Span, out int offset))
        {
            return offset;
        }

        throw new InvalidOperationException("slice is not part of the input");
    }

    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> whole, ReadOnlyMemory<byte> part) =>
        whole.Slice(Offset(whole, part), part.Length);

    /// <summary>Reads every certificate from PEM text (<c>-----BEGIN CERTIFICATE-----</c> blocks; other text is ignored) or, when there is no PEM block, from DER.</summary>
    /// <param name="data">File contents.</param>
    /// <param name="certificates">The certificates read, in file order.</param>
    /// <param name="error">Why reading failed, or null.</param>
    /// <returns>True when at least one certificate was read and no block was malformed.</returns>
    public static bool TryReadPemOrDer(ReadOnlySpan<byte> data, out List<RootCertificate> certificates, out string? error)
    {
        certificates = [];
        const string begin = "-----BEGIN CERTIFICATE-----";
        const string end = "-----END CERTIFICATE-----";
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            text = "";
        }

        int pos = text.IndexOf(begin, StringComparison.Ordinal);
        if (pos < 0)
        {
            if (TryParse(data, out var one, out error))
            {
                certificates.Add(one!);
                return true;
            }

            error = "no PEM certificate block and not DER: " + error;
            return false;
        }

        while (pos >= 0)
        {
            int stop = text.IndexOf(end, pos, StringComparison.Ordinal);
            if (stop < 0)
            {
                error = "PEM block without " + end;
                return false;
            }

            string b64 = text.Substring(pos + begin.Length, stop - pos - begin.Length);
            byte[] der;
            try
            {
                der = Convert.FromBase64String(b64.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Trim());
            }
            catch (FormatException)
            {
                error = "PEM block is not valid base64";
                return false;
            }

            if (!TryParse(der, out var cert, out error))
            {
                return false;
            }

            certificates.Add(cert!);
            pos = text.IndexOf(begin, stop, StringComparison.Ordinal);
        }

        error = null;
        return true;
    }

    /// <summary>Encodes the certificate as PEM with 64-character lines and a trailing newline.</summary>
    /// <returns>The PEM text.</returns>
    public string ToPem()
    {
        string b64 = Convert.ToBase64String(Der.Span);
        var sb = new StringBuilder(b64.Length + 80);
        sb.Append("-----BEGIN CERTIFICATE-----\n");
        for (int i = 0; i < b64.Length; i += 64)
        {
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        }

        sb.Append("-----END CERTIFICATE-----\n");
        return sb.ToString();
    }
}
