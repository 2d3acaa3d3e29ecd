using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.X509;

/// <summary>Why one DER element (a certificate or a PKCS#7 ContentInfo) could not be read.</summary>
internal enum DerElementErrorKind : byte
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>A DER structure declares more bytes than the input holds.</summary>
    Truncated,

    /// <summary>The DER (or BER) structure is malformed, or bytes follow it.</summary>
    MalformedDer,

    /// <summary>A PKCS#7 ContentInfo whose content type is not SignedData.</summary>
    NotSignedData,

    /// <summary>A certificate inside the PKCS#7 cannot be read.</summary>
    MalformedCertificate,

    /// <summary>More certificates than the limit.</summary>
    TooLarge,
}

/// <summary>
/// Reads one DER element that is either an X.509 certificate or a PKCS#7 / CMS ContentInfo carrying SignedData
/// (<c>.p7b</c>/<c>.p7c</c>, RFC 5652 5.1), and returns the certificate DER blobs. The outer structure may use BER (as
/// PKCS#7 producers do); SignedData is decoded with <see cref="SignedCms"/>, because <c>X509CertificateLoader</c>
/// refuses PKCS#7 since .NET 9, and only the certificates' bytes are kept (they are then read by
/// <see cref="CertificateView"/>, the one certificate reader). Does not verify signer infos.
/// </summary>
internal static class Pkcs7CertificateReader
{
    private const string SignedDataOid = "1.2.840.113549.1.7.2";

    /// <summary>Reads one element's header. Never throws.</summary>
    /// <param name="data">The input.</param>
    /// <param name="ber">BER (indefinite lengths allowed) instead of DER.</param>
    /// <param name="tag">The tag.</param>
    /// <param name="contentOffset">Content offset.</param>
    /// <param name="contentLength">Content length.</param>
    /// <param name="consumed">Bytes of the whole element.</param>
    /// <returns>False on a bad header or a truncated element.</returns>
    // AsnDecoder.TryReadEncodedValue returns false on most bad headers but throws AsnContentException under BER when an
    // indefinite-length element has no valid end-of-contents (found by fuzzing: fuzz/corpus/container/regressions).
    internal static bool TryReadHeader(ReadOnlySpan<byte> data, bool ber, out Asn1Tag tag, out int contentOffset, out int contentLength, out int consumed)
    {
        try
        {
            return AsnDecoder.TryReadEncodedValue(data, ber ? AsnEncodingRules.BER : AsnEncodingRules.DER, out tag, out contentOffset, out contentLength, out consumed);
        }
        catch (AsnContentException)
        {
            tag = default;
            contentOffset = contentLength = consumed = 0;
            return false;
        }
    }

    /// <summary>
    /// Reads one element: a certificate (SEQUENCE { SEQUENCE tbs, ... }) or a PKCS#7 ContentInfo (SEQUENCE { OID, [0] }).
    /// Trailing white space or NUL bytes after the element are tolerated (files saved by text tools).
    /// </summary>
    /// <param name="data">The element.</param>
    /// <param name="where">Where the element is, for messages ("the file", "PEM block at line 3").</param>
    /// <param name="maxCertificates">Most certificates accepted from a SignedData.</param>
    /// <param name="certificates">Receives the certificate DER blobs.</param>
    /// <param name="isPkcs7">True when the element is a ContentInfo.</param>
    /// <param name="signerInfos">Number of SignerInfos in a SignedData (not verified).</param>
    /// <param name="error">What is wrong, in English, or null.</param>
    /// <returns>The error class; <see cref="DerElementErrorKind.None"/> on success.</returns>
    internal static DerElementErrorKind TryRead(ReadOnlySpan<byte> data, string where, int maxCertificates, List<byte[]> certificates, out bool isPkcs7, out int signerInfos, out string? error)
    {
        isPkcs7 = false;
        signerInfos = 0;
        error = null;
        if (!TryReadHeader(data, ber: true, out Asn1Tag tag, out int contentOffset, out int contentLength, out int consumed))
        {
            return ExplainBadHeader(data, where, out error);
        }

        if (tag != Asn1Tag.Sequence)
        {
            error = where + ": the outer element is " + tag + ", not a SEQUENCE";
            return DerElementErrorKind.MalformedDer;
        }

        if (consumed != data.Length)
        {
            int extra = data.Length - consumed;
            bool onlyWhiteSpace = true;
            foreach (byte b in data[consumed..])
            {
                onlyWhiteSpace &= b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0;
            }

            if (!onlyWhiteSpace)
            {
                error = where + ": " + extra.ToString(CultureInfo.InvariantCulture) + " byte(s) follow the DER structure (offset 0x" + consumed.ToString("X", CultureInfo.InvariantCulture) + ")";
                return DerElementErrorKind.MalformedDer;
            }
        }

        ReadOnlySpan<byte> element = data[..consumed];
        ReadOnlySpan<byte> content = element.Slice(contentOffset, contentLength);
        if (!TryReadHeader(content, ber: true, out Asn1Tag innerTag, out _, out _, out _))
        {
            error = where + ": the content of the outer SEQUENCE is not valid DER";
            return DerElementErrorKind.MalformedDer;
        }

        if (innerTag == Asn1Tag.Sequence)
        {
            certificates.Add(element.ToArray());
            return DerElementErrorKind.None;
        }

        if (innerTag != Asn1Tag.ObjectIdentifier)
        {
            error = where + ": neither a certificate nor a PKCS#7 ContentInfo (first inner element is " + innerTag + ")";
            return DerElementErrorKind.MalformedDer;
        }

        isPkcs7 = true;
        string contentType;
        try
        {
            contentType = AsnDecoder.ReadObjectIdentifier(content, AsnEncodingRules.BER, out _);
        }
        catch (AsnContentException)
        {
            // Found by fuzzing (fuzz/corpus/container/regressions): e.g. an arc whose last byte has bit 7 set.
            error = where + ": the PKCS#7 content type is not a valid OBJECT IDENTIFIER";
            return DerElementErrorKind.MalformedDer;
        }

        if (!string.Equals(contentType, SignedDataOid, StringComparison.Ordinal))
        {
            error = where + ": PKCS#7 content type " + contentType + " is not signedData (" + SignedDataOid + "), so it carries no certificates";
            return DerElementErrorKind.NotSignedData;
        }

        var cms = new SignedCms();
        try
        {
            cms.Decode(element);
        }
        catch (CryptographicException)
        {
            // The decoder's own message names ASN.1 tag classes and .NET types: an administrator gets plain words instead.
            error = where + ": the PKCS#7 SignedData cannot be decoded (truncated or not valid DER)";
            return DerElementErrorKind.MalformedDer;
        }

        // SignedCms hands out X509Certificate2 objects; only their bytes are kept (STYLE.md keeps
        // X509Certificate2 out of the core; this is the one place the BCL offers no byte-level API).
        X509Certificate2Collection found;
        try
        {
            found = cms.Certificates;
        }
        catch (CryptographicException)
        {
            error = where + ": a certificate inside the PKCS#7 cannot be read (not a valid DER certificate)";
            return DerElementErrorKind.MalformedCertificate;
        }

        if (found.Count > maxCertificates)
        {
            foreach (X509Certificate2 c in found)
            {
                c.Dispose();
            }

            error = where + ": more than " + maxCertificates.ToString(CultureInfo.InvariantCulture) + " certificates";
            return DerElementErrorKind.TooLarge;
        }

        foreach (X509Certificate2 c in found)
        {
            certificates.Add(c.RawData);
            c.Dispose();
        }

        signerInfos = cms.SignerInfos.Count;
        return DerElementErrorKind.None;
    }

    private static DerElementErrorKind ExplainBadHeader(ReadOnlySpan<byte> data, string where, out string error)
    {
        // Decode the outer length by hand to tell truncation from garbage.
        if (data.Length >= 2)
        {
            int l = data[1];
            long declared = -1;
            int header = 2;
            if (l < 0x80)
            {
                declared = l;
            }
            else if (l is > 0x80 and <= 0x84 && data.Length >= 2 + (l & 0x7F))
            {
                declared = 0;
                for (int i = 0; i < (l & 0x7F); i++)
                {
                    declared = (declared << 8) | data[2 + i];
                }

                header = 2 + (l & 0x7F);
            }

            if (declared >= 0 && header + declared > data.Length)
            {
                error = where + ": the outer DER SEQUENCE declares " + declared.ToString(CultureInfo.InvariantCulture) + " content bytes but only "
                    + (data.Length - header).ToString(CultureInfo.InvariantCulture) + " follow: the file is truncated";
                return DerElementErrorKind.Truncated;
            }
        }

        error = where + (data.Length < 2 ? ": the DER header is cut off: the file is truncated" : ": the outer DER header is malformed");
        return data.Length < 2 ? DerElementErrorKind.Truncated : DerElementErrorKind.MalformedDer;
    }
}
