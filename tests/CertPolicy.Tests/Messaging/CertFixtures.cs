using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;

namespace CertPolicy.Tests.Messaging;

/// <summary>
/// A root CA, an issuing CA and an S/MIME leaf, generated with BouncyCastle from fixed-seed
/// generators (EC P-256, ECDSA with a seeded nonce source): identical bytes on every run.
/// </summary>
internal static class CertFixtures
{
    private static readonly DateTime NotBefore = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime NotAfter = new(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Lazy<(byte[] Root, byte[] Issuing, byte[] Leaf)> Chain = new(Make);

    internal static byte[] Root => Chain.Value.Root;

    internal static byte[] Issuing => Chain.Value.Issuing;

    internal static byte[] Leaf => Chain.Value.Leaf;

    internal const string RootName = "C=DE, O=CertPolicy Tests, CN=CertPolicy Test Root CA";
    internal const string IssuingName = "C=DE, O=CertPolicy Tests, CN=CertPolicy Test Issuing CA";
    internal const string LeafName = "E=securemail@partner.example, CN=securemail@partner.example, O=Partner AG, C=DE";

    internal static string Pem(byte[] der) =>
        "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n", StringComparison.Ordinal)
        + "\n-----END CERTIFICATE-----\n";

    private static AsymmetricCipherKeyPair Key(string label)
    {
        var gen = new ECKeyPairGenerator();
        gen.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, PgpFixtures.Seeded(label)));
        return gen.GenerateKeyPair();
    }

    private static (byte[] Root, byte[] Issuing, byte[] Leaf) Make()
    {
        AsymmetricCipherKeyPair root = Key("root-ca");
        AsymmetricCipherKeyPair issuing = Key("issuing-ca");
        AsymmetricCipherKeyPair leaf = Key("smime-leaf");
        byte[] rootDer = Issue(1, "CN=CertPolicy Test Root CA,O=CertPolicy Tests,C=DE", "CN=CertPolicy Test Root CA,O=CertPolicy Tests,C=DE", root.Public, root.Private, new BasicConstraints(1));
        byte[] issuingDer = Issue(2, "CN=CertPolicy Test Root CA,O=CertPolicy Tests,C=DE", "CN=CertPolicy Test Issuing CA,O=CertPolicy Tests,C=DE", issuing.Public, root.Private, new BasicConstraints(0));
        byte[] leafDer = Issue(3, "CN=CertPolicy Test Issuing CA,O=CertPolicy Tests,C=DE", "C=DE,O=Partner AG,CN=securemail@partner.example,E=securemail@partner.example", leaf.Public, issuing.Private, new BasicConstraints(false));
        return (rootDer, issuingDer, leafDer);
    }

    private static byte[] Issue(long serial, string issuer, string subject, AsymmetricKeyParameter subjectKey, AsymmetricKeyParameter issuerKey, BasicConstraints bc)
    {
        var gen = new X509V3CertificateGenerator();
        gen.SetSerialNumber(BigInteger.ValueOf(serial));
        gen.SetIssuerDN(new X509Name(issuer));
        gen.SetSubjectDN(new X509Name(subject));
        gen.SetNotBefore(NotBefore);
        gen.SetNotAfter(NotAfter);
        gen.SetPublicKey(subjectKey);
        gen.AddExtension(X509Extensions.BasicConstraints, true, bc);
        return gen.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", issuerKey, PgpFixtures.Seeded("sign-" + serial))).GetEncoded();
    }
}
