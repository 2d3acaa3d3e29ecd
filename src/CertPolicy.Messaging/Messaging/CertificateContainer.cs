using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.X509;

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
/// in DER or PEM (SignedData decoded in <c>X509/Pkcs7CertificateReader</c>), PEM bundles (split by the one PEM splitter,
/// <c>X509/PemSplitter</c>: text and other blocks ignored as OpenSSL does) and single DER or PEM certificates; every
/// certificate is read by <see cref="CertificateView"/>.
/// Does not validate anything: no signatures, no chains, no revocation, no trust.
/// </summary>
public static class CertificateContainerReader
{
    /// <summary>Input budget: containers above this size are refused unread.</summary>
    public const int MaxInputBytes = 16 * 1024 * 1024;

    /// <summary>Certificate budget per container.</summary>
    public const int MaxCertificates = 1000;

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
            error = new ContainerReadError(ContainerReadErrorKind.MalformedDer, "the container cannot be parsed (truncated or not valid DER)");
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
        if (PemSplitter.IsDer(data[first..], ber: true))
        {
            if (!TryReadDer(data, "the file", certs, notes, out bool isPkcs7, out error))
            {
                return false;
            }

            format = isPkcs7 ? ContainerFormat.Pkcs7Der : ContainerFormat.DerCertificate;
        }
        else
        {
            if (!PemSplitter.ContainsBegin(data))
            {
                error = new ContainerReadError(ContainerReadErrorKind.NotRecognized, "neither PEM (no '-----BEGIN' line) nor DER (first byte 0x"
                    + data[first].ToString("X2", CultureInfo.InvariantCulture) + " is not a SEQUENCE)");
                return false;
            }

            if (!TryReadPem(data, certs, notes, out bool sawPkcs7, out error))
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

    // The one PEM splitter (X509/PemSplitter): blocks in file order, other text ignored as OpenSSL does.
    private static bool TryReadPem(ReadOnlySpan<byte> data, List<ContainerCertificate> certs, List<string> notes, out bool sawPkcs7, out ContainerReadError? error)
    {
        sawPkcs7 = false;
        var blocks = new List<PemBlock>();
        if (!PemSplitter.TrySplit(data, MaxCertificates, blocks, out PemReadError? pemError))
        {
            var kind = pemError!.Kind switch
            {
                PemReadErrorKind.OpenPgp => ContainerReadErrorKind.NotRecognized,
                PemReadErrorKind.TooMany => ContainerReadErrorKind.TooLarge,
                _ => ContainerReadErrorKind.MalformedPem,
            };
            error = new ContainerReadError(kind, "PEM block at line " + pemError.Line.ToString(CultureInfo.InvariantCulture)
                + (pemError.Column > 1 ? ", column " + pemError.Column.ToString(CultureInfo.InvariantCulture) : string.Empty) + ": " + pemError.Message);
            return false;
        }

        foreach (var block in blocks)
        {
            string where = "PEM block at line " + block.Line.ToString(CultureInfo.InvariantCulture);
            if (block.IsCertificate)
            {
                if (!TryAddCertificate(block.Data, where, certs, out error))
                {
                    return false;
                }

                continue;
            }

            if (block.Label is "PKCS7" or "CMS" or "PKCS #7 SIGNED DATA")
            {
                sawPkcs7 = true;
                if (!TryReadDer(block.Data, where, certs, notes, out bool isPkcs7, out error))
                {
                    return false;
                }

                if (!isPkcs7)
                {
                    error = new ContainerReadError(ContainerReadErrorKind.NotSignedData, where + " is labelled " + block.Label + " but holds a certificate, not a ContentInfo");
                    return false;
                }

                continue;
            }

            notes.Add(where + " ('" + block.Label + "') ignored: not a certificate");
        }

        error = null;
        return true;
    }

    // One DER element: a certificate or a PKCS#7 ContentInfo (X509/Pkcs7CertificateReader), each certificate then read by CertificateView.
    private static bool TryReadDer(ReadOnlySpan<byte> data, string where, List<ContainerCertificate> certs, List<string> notes, out bool isPkcs7, out ContainerReadError? error)
    {
        var ders = new List<byte[]>();
        var kind = Pkcs7CertificateReader.TryRead(data, where, MaxCertificates, ders, out isPkcs7, out int signerInfos, out string? message);
        if (kind != DerElementErrorKind.None)
        {
            error = new ContainerReadError(
                kind switch
                {
                    DerElementErrorKind.Truncated => ContainerReadErrorKind.Truncated,
                    DerElementErrorKind.NotSignedData => ContainerReadErrorKind.NotSignedData,
                    DerElementErrorKind.MalformedCertificate => ContainerReadErrorKind.MalformedCertificate,
                    DerElementErrorKind.TooLarge => ContainerReadErrorKind.TooLarge,
                    _ => ContainerReadErrorKind.MalformedDer,
                },
                message!);
            return false;
        }

        for (int i = 0; i < ders.Count; i++)
        {
            string at = isPkcs7 ? where + ", certificate " + (i + 1).ToString(CultureInfo.InvariantCulture) : where;
            if (!TryAddCertificate(ders[i], at, certs, out error))
            {
                return false;
            }
        }

        if (signerInfos > 0)
        {
            notes.Add(where + ": " + signerInfos.ToString(CultureInfo.InvariantCulture) + " signer info(s), not verified");
        }

        error = null;
        return true;
    }

    private static bool TryAddCertificate(byte[] der, string where, List<ContainerCertificate> certs, out ContainerReadError? error)
    {
        if (certs.Count >= MaxCertificates)
        {
            error = new ContainerReadError(ContainerReadErrorKind.TooLarge, "more than " + MaxCertificates.ToString(CultureInfo.InvariantCulture) + " certificates");
            return false;
        }

        // The one certificate reader (X509/CertificateView): strict DER and RFC 5280 fields.
        if (!CertificateView.TryParse(der, tolerateNonPositiveSerial: true, out var view, out var why))
        {
            error = new ContainerReadError(ContainerReadErrorKind.MalformedCertificate, where + ": not a well-formed X.509 certificate: " + CertificateView.Describe(why));
            return false;
        }

        view.TryFormatKeyAlgorithmOid(out string keyOid);
        certs.Add(new ContainerCertificate(der, view.Version, Convert.ToHexString(view.SerialNumber), FormatName(view.SubjectDer), FormatName(view.IssuerDer),
            view.IsSelfIssued, view.NotBefore, view.NotAfter, keyOid, view.HasBasicConstraints, view.IsCa, view.PathLengthConstraint < 0 ? null : view.PathLengthConstraint));
        error = null;
        return true;
    }

    // Display only: the subject as .NET renders it (RFC 4514-like), the form this reader has always shown.
    private static string FormatName(ReadOnlySpan<byte> nameDer)
    {
        try
        {
            return new X500DistinguishedName(nameDer).Name;
        }
        catch (CryptographicException)
        {
            return "#" + Convert.ToHexString(nameDer);
        }
    }
}
