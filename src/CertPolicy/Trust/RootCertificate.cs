using System.Globalization;
using System.Security.Cryptography;
using CertPolicy.X509;

namespace CertPolicy.Trust;

/// <summary>
/// The parts of a root certificate the trust store needs, read from its DER with the one certificate reader,
/// <see cref="CertificateView"/> (no X509Certificate2). Does not verify the signature; the view's strict DER and RFC 5280 field checks apply; keeps every raw encoding (<see cref="SubjectDer"/>, <see cref="SpkiDer"/>) as a slice of <see cref="Der"/>.
/// </summary>
internal sealed class RootCertificate
{
    private RootCertificate(byte[] der)
    {
        Der = der;
        Sha256 = SHA256.HashData(der);
    }

    /// <summary>The certificate's DER encoding.</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>SHA-256 over <see cref="Der"/> (the fingerprint the manifest pins).</summary>
    public ReadOnlyMemory<byte> Sha256 { get; }

    /// <summary>SHA-1 over <see cref="Der"/> (what NSS trust objects reference; not a security decision). Computed on first
    /// use: only bundle builds need it, and a SHA-1 per root was part of every command's start-up (issue 13, item 8).</summary>
    public ReadOnlyMemory<byte> Sha1 => _sha1 ??= SHA1.HashData(Der.Span);

    private byte[]? _sha1;

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

    /// <summary>Reads a DER certificate with the one certificate reader (<see cref="CertificateView"/>). Never throws on malformed data: returns false with a reason.</summary>
    /// <param name="der">The certificate DER; the bytes are copied.</param>
    /// <param name="certificate">The parsed certificate, or null.</param>
    /// <param name="error">Why parsing failed, or null.</param>
    /// <returns>True when the certificate was read.</returns>
    public static bool TryParse(ReadOnlySpan<byte> der, out RootCertificate? certificate, out string? error)
    {
        certificate = null;
        var c = new RootCertificate(der.ToArray());
        if (!CertificateView.TryParse(c.Der, tolerateNonPositiveSerial: true, out var view, out var why))
        {
            error = "not a DER X.509 certificate: " + CertificateView.Describe(why);
            return false;
        }

        var mem = c.Der;
        c.SerialNumber = Slice(mem, view.SerialNumber);
        c.IssuerDer = Slice(mem, view.IssuerDer);
        c.SubjectDer = Slice(mem, view.SubjectDer);
        c.SpkiDer = Slice(mem, view.SpkiDer);
        c.SubjectKeyIdentifier = view.SubjectKeyIdentifier.IsEmpty ? ReadOnlyMemory<byte>.Empty : Slice(mem, view.SubjectKeyIdentifier);
        c.NotBefore = view.NotBefore;
        c.NotAfter = view.NotAfter;
        c.KeySize = view.KeyAlgorithm is X509.KeyAlgorithm.Rsa or X509.KeyAlgorithm.Ec ? view.KeySize : 0;
        c.KeyAlgorithm = view.KeyAlgorithm switch
        {
            X509.KeyAlgorithm.Rsa => "RSA",
            X509.KeyAlgorithm.Ec => "EC",
            _ => view.TryFormatKeyAlgorithmOid(out string oid) ? oid : "",
        };
        if (!DistinguishedName.TryFormat(c.SubjectDer.Span, out string subject))
        {
            error = "not a DER X.509 certificate: the subject name is malformed";
            return false;
        }

        c.Subject = subject;
        certificate = c;
        error = null;
        return true;
    }

    // The view's fields are slices of the same memory: recover each one's offset by overlap.
    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> whole, ReadOnlySpan<byte> part) =>
        whole.Span.Overlaps(part, out int offset) ? whole.Slice(offset, part.Length) : ReadOnlyMemory<byte>.Empty;

    /// <summary>Most certificates read from one roots file or store bundle.</summary>
    internal const int MaxCertificatesPerFile = 4096;

    /// <summary>
    /// Reads every certificate of a PEM file (its CERTIFICATE blocks in order; other text and blocks are ignored exactly as
    /// OpenSSL does, see <see cref="CertificateChainReader"/>) or of one DER certificate.
    /// </summary>
    /// <param name="data">File contents.</param>
    /// <param name="certificates">The certificates read, in file order.</param>
    /// <param name="error">Why reading failed (with its line and column when it has one), or null.</param>
    /// <returns>True when at least one certificate was read and no block was malformed.</returns>
    public static bool TryReadPemOrDer(ReadOnlySpan<byte> data, out List<RootCertificate> certificates, out string? error)
    {
        certificates = [];
        if (!CertificateChainReader.TryRead(data, MaxCertificatesPerFile, out var ders, out PemReadError? pemError))
        {
            error = pemError!.ToString();
            return false;
        }

        foreach (var der in ders)
        {
            if (!TryParse(der, out var cert, out error))
            {
                if (ders.Count > 1)
                {
                    error = "certificate " + (certificates.Count + 1).ToString(CultureInfo.InvariantCulture) + ": " + error;
                }

                return false;
            }

            certificates.Add(cert!);
        }

        error = null;
        return true;
    }

    /// <summary>Encodes the certificate as PEM with 64-character lines and a trailing newline.</summary>
    /// <returns>The PEM text.</returns>
    public string ToPem() => PemSplitter.WriteCertificate(Der.Span);
}
