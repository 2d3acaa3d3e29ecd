using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Tests.Messaging;

/// <summary>
/// S/MIME test PKI made with .NET's CertificateRequest: a root, an issuing CA (EKU emailProtection) and leaves
/// built from a <see cref="Leaf"/> spec. Times and serial numbers are fixed; the keys come from the OS generator
/// (CertificateRequest takes no seeded key), and no test outcome depends on key bytes.
/// </summary>
internal static class SmimeFixtures
{
    internal const string Domain = "partner.example";
    internal static readonly DateTimeOffset NotBefore = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal static readonly DateTimeOffset NotAfter = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal static readonly DateTimeOffset At = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    internal const string EmailProtection = "1.3.6.1.5.5.7.3.4";
    internal const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    private static readonly Lazy<(X509Certificate2 Root, X509Certificate2 Issuing)> Pki = new(() => MakeCa("CertPolicy S/MIME Test"));
    private static readonly Lazy<(X509Certificate2 Root, X509Certificate2 Issuing)> OtherPki = new(() => MakeCa("Unrelated Test"));
    private static readonly Lazy<(X509Certificate2 Root, X509Certificate2 Issuing)> TlsPki = new(() => MakeCa("TLS-only Intermediate Test", ServerAuth));

    /// <summary>A root whose issuing CA restricts its EKU to serverAuth.</summary>
    internal static byte[] TlsRoot => TlsPki.Value.Root.RawData;

    internal static byte[] TlsIssuing => TlsPki.Value.Issuing.RawData;

    internal static byte[] Root => Pki.Value.Root.RawData;

    internal static byte[] Issuing => Pki.Value.Issuing.RawData;

    internal enum KeyKind
    {
        EcP256,
        Rsa2048,
        Rsa1024,
    }

    /// <summary>A leaf certificate spec.</summary>
    internal sealed record Leaf
    {
        public string Subject { get; init; } = "CN=partner.example, O=Partner AG, C=DE";
        public string[] Emails { get; init; } = ["partner.example"];
        public KeyKind Key { get; init; } = KeyKind.EcP256;
        public string? Eku { get; init; } = EmailProtection;
        public X509KeyUsageFlags? KeyUsage { get; init; } = X509KeyUsageFlags.KeyAgreement | X509KeyUsageFlags.DigitalSignature;
        public string[] Policies { get; init; } = ["2.23.140.1.5.2.2"];
        public DateTimeOffset NotBefore { get; init; } = SmimeFixtures.NotBefore;
        public DateTimeOffset NotAfter { get; init; } = SmimeFixtures.NotAfter;
        public bool UntrustedIssuer { get; init; }
        public bool TlsOnlyIssuer { get; init; }
        public int Serial { get; init; } = 100;
    }

    /// <summary>A good domain certificate: rfc822Name "partner.example", EC P-256, keyAgreement, OV multipurpose.</summary>
    internal static Leaf DomainCert { get; } = new();

    /// <summary>A good user certificate: alice@partner.example, RSA-2048, keyEncipherment + digitalSignature, IV strict.</summary>
    internal static Leaf UserCert { get; } = new()
    {
        Subject = "CN=Alice Example, O=Partner AG, C=DE",
        Emails = ["alice@partner.example"],
        Key = KeyKind.Rsa2048,
        KeyUsage = X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature,
        Policies = ["2.23.140.1.5.4.3"],
        Serial = 101,
    };

    private static (X509Certificate2 Root, X509Certificate2 Issuing) MakeCa(string label, string issuingEku = EmailProtection)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootReq = new CertificateRequest("CN=" + label + " Root, O=CertPolicy Tests, C=DE", rootKey, HashAlgorithmName.SHA256);
        rootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootReq.PublicKey, false));
        var root = rootReq.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var issuingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + label + " Issuing CA, O=CertPolicy Tests, C=DE", issuingKey, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(issuingEku)], false));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var issuingPublic = req.Create(root, new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2035, 1, 1, 0, 0, 0, TimeSpan.Zero), [0x10]);
        var issuing = issuingPublic.CopyWithPrivateKey(issuingKey);
        return (root, issuing);
    }

    /// <summary>Issues the leaf and returns its DER.</summary>
    internal static byte[] Build(Leaf spec)
    {
        var issuer = spec.UntrustedIssuer ? OtherPki.Value.Issuing : spec.TlsOnlyIssuer ? TlsPki.Value.Issuing : Pki.Value.Issuing;
        AsymmetricAlgorithm key = spec.Key switch
        {
            KeyKind.EcP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            KeyKind.Rsa2048 => RSA.Create(2048),
            _ => RSA.Create(1024),
        };
        try
        {
            var req = key is RSA rsa
                ? new CertificateRequest(spec.Subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                : new CertificateRequest(spec.Subject, (ECDsa)key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            if (spec.KeyUsage is { } ku)
            {
                req.CertificateExtensions.Add(new X509KeyUsageExtension(ku, true));
            }

            if (spec.Eku is { } eku)
            {
                req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
            }

            if (spec.Emails.Length > 0)
            {
                var san = new SubjectAlternativeNameBuilder();
                foreach (var e in spec.Emails)
                {
                    san.AddEmailAddress(e);
                }

                req.CertificateExtensions.Add(san.Build());
            }

            if (spec.Policies.Length > 0)
            {
                var w = new AsnWriter(AsnEncodingRules.DER);
                using (w.PushSequence())
                {
                    foreach (var p in spec.Policies)
                    {
                        using (w.PushSequence())
                        {
                            w.WriteObjectIdentifier(p);
                        }
                    }
                }

                req.CertificateExtensions.Add(new X509Extension("2.5.29.32", w.Encode(), false));
            }

            req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            // One positive byte: a minimal DER INTEGER (the strict view refuses a padded one).
            using var issuerKey = issuer.GetECDsaPrivateKey()!;
            using var cert = req.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), spec.NotBefore, spec.NotAfter, [checked((byte)spec.Serial)]);
            return cert.RawData;
        }
        finally
        {
            key.Dispose();
        }
    }

    /// <summary>A certs-only PKCS#7 (SignedData without signers) made with .NET's SignedCms.</summary>
    internal static byte[] P7b(params byte[][] certificates)
    {
        var cms = new SignedCms(new ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.NoSignature));
        foreach (var der in certificates)
        {
            cms.AddCertificate(X509CertificateLoader.LoadCertificate(der));
        }

        return cms.Encode();
    }

    internal static string Pem(params byte[][] certificates)
    {
        var sb = new StringBuilder();
        foreach (var der in certificates)
        {
            sb.Append(PemEncoding.Write("CERTIFICATE", der)).Append('\n');
        }

        return sb.ToString();
    }
}
