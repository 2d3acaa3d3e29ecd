using System.Formats.Asn1;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Messaging;

/// <summary>How a certificate container was encoded (values are API: never renumbered).</summary>
public enum ContainerFormat
{
    /// <summary>A DER (or BER) PKCS#7 / CMS SignedData, as in <c>.p7b</c> / <c>.p7c</c> files.</summary>
    Pkcs7Der = 1,

    /// <summary>A PEM file whose blocks are PKCS#7 (<c>-----BEGIN PKCS7-----</c>) and possibly certificates.</summary>
    Pkcs7Pem = 2,

    /// <summary>A PEM file with one or more <c>-----BEGIN CERTIFICATE-----</c> blocks.</summary>
    PemBundle = 3,

    /// <summary>A single DER-encoded certificate.</summary>
    DerCertificate = 4,
}

/// <summary>Why a container could not be read (values are API: never renumbered).</summary>
public enum ContainerReadErrorKind
{
    /// <summary>The file is empty or holds only white space.</summary>
    Empty = 1,

    /// <summary>Neither PEM nor DER.</summary>
    NotRecognized = 2,

    /// <summary>A DER structure declares more bytes than the file holds.</summary>
    Truncated = 3,

    /// <summary>The DER (or BER) structure is malformed, or bytes follow it.</summary>
    MalformedDer = 4,

    /// <summary>A PEM block is malformed (bad base64, missing or mismatched END line).</summary>
    MalformedPem = 5,

    /// <summary>A PKCS#7 ContentInfo whose content type is not SignedData.</summary>
    NotSignedData = 6,

    /// <summary>The container is well formed but holds no certificate.</summary>
    NoCertificates = 7,

    /// <summary>A certificate inside the container cannot be parsed.</summary>
    MalformedCertificate = 8,

    /// <summary>The input exceeds the size or certificate-count budget.</summary>
    TooLarge = 9,
}

/// <summary>A precise, one-line description of why a certificate container is unusable.</summary>
/// <param name="Kind">The class of damage.</param>
/// <param name="Message">What is wrong and where, in English.</param>
public sealed record ContainerReadError(ContainerReadErrorKind Kind, string Message);

/// <summary>What a certificate container holds (R-G2: the partner's S/MIME certificate comes as a PKCS#7 container).</summary>
public sealed class CertificateContainer
{
    internal CertificateContainer(ContainerFormat format, IReadOnlyList<ContainerCertificate> certificates, IReadOnlyList<string> notes)
    {
        Format = format;
        Certificates = certificates;
        Notes = notes;
    }

    /// <summary>The container's encoding.</summary>
    public ContainerFormat Format { get; }

    /// <summary>The certificates in container order.</summary>
    public IReadOnlyList<ContainerCertificate> Certificates { get; }

    /// <summary>Remarks that do not make the container unusable (ignored PEM blocks, CRLs in a PKCS#7).</summary>
    public IReadOnlyList<string> Notes { get; }
}

/// <summary>
/// One certificate as found in a container: its bytes and the fields a reviewer needs to tell
/// leaf from CA. Parsed, not validated: no signature, path or revocation check happens here
/// (S/MIME chain validation belongs to the validation engine).
/// </summary>
public sealed class ContainerCertificate
{
    internal ContainerCertificate(byte[] der, int version, string serialHex, string subject, string issuer, bool isSelfIssued,
        DateTimeOffset notBefore, DateTimeOffset notAfter, string publicKeyAlgorithmOid, bool hasBasicConstraints, bool isCa, int? pathLength)
    {
        RawData = der;
        Version = version;
        SerialNumberHex = serialHex;
        Subject = subject;
        Issuer = issuer;
        IsSelfIssued = isSelfIssued;
        NotBefore = notBefore;
        NotAfter = notAfter;
        PublicKeyAlgorithmOid = publicKeyAlgorithmOid;
        HasBasicConstraints = hasBasicConstraints;
        IsCertificateAuthority = isCa;
        PathLengthConstraint = pathLength;
        Sha256 = Convert.ToHexString(SHA256.HashData(der));
    }

    /// <summary>The certificate's DER encoding.</summary>
    public ReadOnlyMemory<byte> RawData { get; }

    /// <summary>The X.509 version (1, 2 or 3).</summary>
    public int Version { get; }

    /// <summary>The serial number in upper-case hex, as encoded.</summary>
    public string SerialNumberHex { get; }

    /// <summary>The subject distinguished name (RFC 4514-like, as .NET formats it).</summary>
    public string Subject { get; }

    /// <summary>The issuer distinguished name.</summary>
    public string Issuer { get; }

    /// <summary>True when subject and issuer encodings are identical (a root or a self-signed leaf; the signature is not checked).</summary>
    public bool IsSelfIssued { get; }

    /// <summary>Start of the validity period.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>End of the validity period.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The subjectPublicKeyInfo algorithm OID (1.2.840.113549.1.1.1 RSA, 1.2.840.10045.2.1 EC, ...).</summary>
    public string PublicKeyAlgorithmOid { get; }

    /// <summary>True when the certificate has a basicConstraints extension (RFC 5280 4.2.1.9).</summary>
    public bool HasBasicConstraints { get; }

    /// <summary>basicConstraints cA: true for a CA certificate, false for a leaf (or when the extension is absent).</summary>
    public bool IsCertificateAuthority { get; }

    /// <summary>basicConstraints pathLenConstraint, when present.</summary>
    public int? PathLengthConstraint { get; }

    /// <summary>SHA-256 of <see cref="RawData"/> in upper-case hex (the certificate fingerprint most tools print).</summary>
    public string Sha256 { get; }

    /// <summary><c>CA</c> or <c>leaf</c>, from basicConstraints cA alone.</summary>
    public string Role => IsCertificateAuthority ? "CA" : "leaf";
}

/// <summary>
/// Reads certificates from the containers partners publish (R-G2): PKCS#7 <c>.p7b</c>/<c>.p7c</c>
/// in DER or PEM (decoded with <see cref="SignedCms"/>, because <see cref="X509CertificateLoader"/>
/// refuses PKCS#7 since .NET 9), PEM bundles and single DER or PEM certificates.
/// Does not validate anything: no signatures, no chains, no revocation, no trust.
/// </summary>
public static class CertificateContainerReader
{
    /// <summary>Input budget: containers above this size are refused unread.</summary>
    public const int MaxInputBytes = 16 * 1024 * 1024;

    /// <summary>Certificate budget per container.</summary>
    public const int MaxCertificates = 1000;

    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string BasicConstraintsOid = "2.5.29.19";

    /// <summary>
    /// Reads every certificate in <paramref name="data"/>. Never throws on data: damage yields
    /// <see langword="false"/> and an <paramref name="error"/> saying what is wrong.
    /// </summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="container">The certificates read; <see langword="null"/> on failure.</param>
    /// <param name="error">Why the input is unusable; <see langword="null"/> on success.</param>
    /// <returns><see langword="true"/> when the container held at least one certificate and all of them parsed.</returns>
    public static bool TryRead(ReadOnlySpan<byte> data, out CertificateContainer? container, out ContainerReadError? error)
    {
        container = null;
        try
        {
            return TryReadCore(data, out container, out error);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Fail closed: a parser surprise on hostile input is an unusable input, never an escaping exception.
            error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, "the container cannot be parsed: " + ex.GetType().Name + ": " + ex.Message);
            return false;
        }
    }

    private static bool TryReadCore(ReadOnlySpan<byte> data, out CertificateContainer? container, out ContainerReadError? error)
    {
        container = null;
        if (data.Length > MaxInputBytes)
        {
            error = new ContainerReadError(ContainerReadErrorKind.TooLarge, "the file is " + data.Length.ToString(CultureInfo.InvariantCulture) + " bytes; the limit is "
                + MaxInputBytes.ToString(CultureInfo.InvariantCulture));
            return false;
        }

        int first = 0;
        while (first < data.Length && data[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            first++;
        }

        if (first == data.Length)
        {
            error = new ContainerReadError(ContainerReadErrorKind.Empty, data.Length == 0 ? "the file is empty" : "the file holds only white space");
            return false;
        }

        var certs = new List<ContainerCertificate>();
        var notes = new List<string>();
        ContainerFormat format;
        if (data[first] == 0x30)
        {
            if (!TryReadDer(data, "the file", certs, notes, out bool isPkcs7, out error))
            {
                return false;
            }

            format = isPkcs7 ? ContainerFormat.Pkcs7Der : ContainerFormat.DerCertificate;
        }
        else
        {
            string text = System.Text.Encoding.UTF8.GetString(data);
            if (!text.Contains("-----BEGIN ", StringComparison.Ordinal))
            {
                error = new ContainerReadError(ContainerReadErrorKind.NotRecognized, "neither PEM (no '-----BEGIN' line) nor DER (first byte 0x"
                    + data[first].ToString("X2", CultureInfo.InvariantCulture) + " is not a SEQUENCE)");
                return false;
            }

            if (!TryReadPem(text, certs, notes, out bool sawPkcs7, out error))
            {
                return false;
            }

            format = sawPkcs7 ? ContainerFormat.Pkcs7Pem : ContainerFormat.PemBundle;
        }

        if (certs.Count == 0)
        {
            error = new ContainerReadError(ContainerReadErrorKind.NoCertificates, format is ContainerFormat.Pkcs7Der or ContainerFormat.Pkcs7Pem
                ? "the PKCS#7 SignedData holds no certificate" + (notes.Count > 0 ? " (" + string.Join("; ", notes) + ")" : string.Empty)
                : "the PEM file holds no certificate" + (notes.Count > 0 ? " (" + string.Join("; ", notes) + ")" : string.Empty));
            return false;
        }

        container = new CertificateContainer(format, certs, notes);
        error = null;
        return true;
    }

    private static bool TryReadPem(string text, List<ContainerCertificate> certs, List<string> notes, out bool sawPkcs7, out ContainerReadError? error)
    {
        sawPkcs7 = false;
        error = null;
        int pos = 0;
        while (true)
        {
            int begin = text.IndexOf("-----BEGIN ", pos, StringComparison.Ordinal);
            if (begin < 0)
            {
                return true;
            }

            string where = "PEM block at line " + LineOf(text, begin).ToString(CultureInfo.InvariantCulture);
            if (string.CompareOrdinal(text, begin, "-----BEGIN PGP ", 0, 15) == 0)
            {
                error = new ContainerReadError(ContainerReadErrorKind.NotRecognized, where + " is OpenPGP armor, not an X.509 certificate or PKCS#7 container");
                return false;
            }

            if (!PemEncoding.TryFind(text.AsSpan(begin), out PemFields fields) || fields.Location.Start.GetOffset(text.Length - begin) != 0)
            {
                int eol = text.IndexOf('\n', begin);
                string label = (eol < 0 ? text[begin..] : text[begin..eol]).TrimEnd('\r');
                error = new ContainerReadError(ContainerReadErrorKind.MalformedPem, where + " ('" + label
                    + "') is malformed: bad base64 in its body, or its '-----END' line is missing or does not match");
                return false;
            }

            string span = text.Substring(begin, fields.Location.End.GetOffset(text.Length - begin));
            string labelText = span[fields.Label];
            byte[] der = Convert.FromBase64String(span[fields.Base64Data]);
            switch (labelText)
            {
                case "CERTIFICATE" or "X509 CERTIFICATE":
                    if (!TryAddCertificate(der, where, certs, out error))
                    {
                        return false;
                    }

                    break;
                case "PKCS7" or "CMS" or "PKCS #7 SIGNED DATA":
                    sawPkcs7 = true;
                    if (!TryReadDer(der, where, certs, notes, out bool isPkcs7, out error))
                    {
                        return false;
                    }

                    if (!isPkcs7)
                    {
                        error = new ContainerReadError(ContainerReadErrorKind.NotSignedData, where + " is labelled " + labelText + " but holds a certificate, not a ContentInfo");
                        return false;
                    }

                    break;
                default:
                    notes.Add(where + " ('" + labelText + "') ignored: not a certificate");
                    break;
            }

            pos = begin + span.Length;
        }
    }

    // One DER element: a certificate (SEQUENCE { SEQUENCE tbs, ...}) or a PKCS#7 ContentInfo (SEQUENCE { OID, [0] }).
    private static bool TryReadDer(ReadOnlySpan<byte> data, string where, List<ContainerCertificate> certs, List<string> notes, out bool isPkcs7, out ContainerReadError? error)
    {
        isPkcs7 = false;
        if (!TryReadBer(data, out Asn1Tag tag, out int contentOffset, out int contentLength, out int consumed))
        {
            error = ExplainBadHeader(data, where);
            return false;
        }

        if (tag != Asn1Tag.Sequence)
        {
            error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, where + ": the outer element is " + tag + ", not a SEQUENCE");
            return false;
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
                error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, where + ": " + extra.ToString(CultureInfo.InvariantCulture)
                    + " byte(s) follow the DER structure (offset 0x" + consumed.ToString("X", CultureInfo.InvariantCulture) + ")");
                return false;
            }
        }

        ReadOnlySpan<byte> element = data[..consumed];
        ReadOnlySpan<byte> content = element.Slice(contentOffset, contentLength);
        if (!TryReadBer(content, out Asn1Tag innerTag, out _, out _, out _))
        {
            error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, where + ": the content of the outer SEQUENCE is not valid DER");
            return false;
        }

        if (innerTag == Asn1Tag.Sequence)
        {
            return TryAddCertificate(element.ToArray(), where, certs, out error);
        }

        if (innerTag != Asn1Tag.ObjectIdentifier)
        {
            error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, where + ": neither a certificate nor a PKCS#7 ContentInfo (first inner element is " + innerTag + ")");
            return false;
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
            error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, where + ": the PKCS#7 content type is not a valid OBJECT IDENTIFIER");
            return false;
        }

        if (!string.Equals(contentType, SignedDataOid, StringComparison.Ordinal))
        {
            error = new ContainerReadError(ContainerReadErrorKind.NotSignedData, where + ": PKCS#7 content type " + contentType
                + " is not signedData (" + SignedDataOid + "), so it carries no certificates");
            return false;
        }

        var cms = new SignedCms();
        try
        {
            cms.Decode(element);
        }
        catch (CryptographicException ex)
        {
            error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, where + ": the PKCS#7 SignedData cannot be decoded: " + ex.Message);
            return false;
        }

        // SignedCms hands out X509Certificate2 objects; only their bytes are kept (STYLE.md keeps
        // X509Certificate2 out of the core; this is the one place the BCL offers no byte-level API).
        X509Certificate2Collection found;
        try
        {
            found = cms.Certificates;
        }
        catch (CryptographicException ex)
        {
            error = new ContainerReadError(ContainerReadErrorKind.MalformedCertificate, where + ": a certificate inside the PKCS#7 cannot be read: " + ex.Message);
            return false;
        }

        if (found.Count > MaxCertificates)
        {
            error = new ContainerReadError(ContainerReadErrorKind.TooLarge, where + ": more than " + MaxCertificates.ToString(CultureInfo.InvariantCulture) + " certificates");
            return false;
        }

        int index = 0;
        foreach (X509Certificate2 c in found)
        {
            byte[] raw = c.RawData;
            c.Dispose();
            index++;
            if (!TryAddCertificate(raw, where + ", certificate " + index.ToString(CultureInfo.InvariantCulture), certs, out error))
            {
                return false;
            }
        }

        if (cms.SignerInfos.Count > 0)
        {
            notes.Add(where + ": " + cms.SignerInfos.Count.ToString(CultureInfo.InvariantCulture) + " signer info(s), not verified");
        }

        error = null;
        return true;
    }

    // AsnDecoder.TryReadEncodedValue returns false on most bad headers but throws AsnContentException under BER when an
    // indefinite-length element has no valid end-of-contents (found by fuzzing: fuzz/corpus/container/regressions).
    private static bool TryReadBer(ReadOnlySpan<byte> data, out Asn1Tag tag, out int contentOffset, out int contentLength, out int consumed)
    {
        try
        {
            return AsnDecoder.TryReadEncodedValue(data, AsnEncodingRules.BER, out tag, out contentOffset, out contentLength, out consumed);
        }
        catch (AsnContentException)
        {
            tag = default;
            contentOffset = contentLength = consumed = 0;
            return false;
        }
    }

    private static ContainerReadError ExplainBadHeader(ReadOnlySpan<byte> data, string where)
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
                return new ContainerReadError(ContainerReadErrorKind.Truncated, where + ": the outer DER SEQUENCE declares "
                    + declared.ToString(CultureInfo.InvariantCulture) + " content bytes but only " + (data.Length - header).ToString(CultureInfo.InvariantCulture)
                    + " follow: the file is truncated");
            }
        }

        return new ContainerReadError(data.Length < 2 ? ContainerReadErrorKind.Truncated : ContainerReadErrorKind.MalformedDer,
            where + (data.Length < 2 ? ": the DER header is cut off: the file is truncated" : ": the outer DER header is malformed"));
    }

    private static bool TryAddCertificate(byte[] der, string where, List<ContainerCertificate> certs, out ContainerReadError? error)
    {
        if (certs.Count >= MaxCertificates)
        {
            error = new ContainerReadError(ContainerReadErrorKind.TooLarge, "more than " + MaxCertificates.ToString(CultureInfo.InvariantCulture) + " certificates");
            return false;
        }

        try
        {
            certs.Add(ParseCertificate(der));
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException or OverflowException)
        {
            error = new ContainerReadError(ContainerReadErrorKind.MalformedCertificate, where + ": not a well-formed X.509 certificate: " + ex.Message);
            return false;
        }
    }

    // RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
    private static ContainerCertificate ParseCertificate(byte[] der)
    {
        var cert = new AsnReader(der, AsnEncodingRules.DER);
        AsnReader outer = cert.ReadSequence();
        cert.ThrowIfNotEmpty();
        AsnReader tbs = outer.ReadSequence();
        _ = outer.ReadSequence(); // signatureAlgorithm
        _ = outer.ReadBitString(out _);
        outer.ThrowIfNotEmpty();

        int version = 1;
        var v0 = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (tbs.PeekTag().HasSameClassAndValue(v0))
        {
            AsnReader explicitVersion = tbs.ReadSequence(v0);
            version = (int)explicitVersion.ReadInteger() + 1;
        }

        BigInteger serialValue = tbs.ReadInteger();
        string serial = Convert.ToHexString(serialValue.ToByteArray(isUnsigned: false, isBigEndian: true));
        _ = tbs.ReadSequence(); // signature
        ReadOnlyMemory<byte> issuer = tbs.ReadEncodedValue();
        AsnReader validity = tbs.ReadSequence();
        DateTimeOffset notBefore = ReadTime(validity);
        DateTimeOffset notAfter = ReadTime(validity);
        ReadOnlyMemory<byte> subject = tbs.ReadEncodedValue();
        AsnReader spki = tbs.ReadSequence();
        string keyOid = spki.ReadSequence().ReadObjectIdentifier();

        bool hasBc = false;
        bool isCa = false;
        int? pathLen = null;
        var ext3 = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        while (tbs.HasData)
        {
            Asn1Tag t = tbs.PeekTag();
            if (!t.HasSameClassAndValue(ext3))
            {
                _ = tbs.ReadEncodedValue(); // issuerUniqueID / subjectUniqueID
                continue;
            }

            AsnReader extensions = tbs.ReadSequence(ext3).ReadSequence();
            while (extensions.HasData)
            {
                AsnReader ext = extensions.ReadSequence();
                string oid = ext.ReadObjectIdentifier();
                if (ext.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                {
                    _ = ext.ReadBoolean();
                }

                byte[] value = ext.ReadOctetString();
                if (string.Equals(oid, BasicConstraintsOid, StringComparison.Ordinal))
                {
                    // RFC 5280 4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
                    hasBc = true;
                    AsnReader bc = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
                    if (bc.HasData && bc.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                    {
                        isCa = bc.ReadBoolean();
                    }

                    if (bc.HasData)
                    {
                        pathLen = (int)bc.ReadInteger();
                    }
                }
            }
        }

        bool selfIssued = issuer.Span.SequenceEqual(subject.Span);
        return new ContainerCertificate(der, version, serial, new X500DistinguishedName(subject.Span).Name, new X500DistinguishedName(issuer.Span).Name,
            selfIssued, notBefore, notAfter, keyOid, hasBc, isCa, pathLen);
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    private static int LineOf(string text, int index)
    {
        int line = 1;
        for (int i = 0; i < index; i++)
        {
            if (text[i] == '\n')
            {
                line++;
            }
        }

        return line;
    }
}
