using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CertPolicy.Messaging;

namespace CertPolicy.Tests.Messaging;

public class CertificateContainerTests
{
    private static readonly byte[][] All = [CertFixtures.Root, CertFixtures.Issuing, CertFixtures.Leaf];

    private static string Sha(byte[] der) => Convert.ToHexString(SHA256.HashData(der));

    private static CertificateContainer Reads(byte[] data)
    {
        Assert.True(CertificateContainerReader.TryRead(data, out CertificateContainer? c, out ContainerReadError? e), e?.Message);
        return c!;
    }

    private static ContainerReadError Fails(byte[] data)
    {
        Assert.False(CertificateContainerReader.TryRead(data, out CertificateContainer? c, out ContainerReadError? e));
        Assert.Null(c);
        Assert.DoesNotContain('\n', e!.Message);
        return e;
    }

    // Order-independent: PKCS#7 certificate sets are SET OF, which DER sorts.
    private static void HoldsTheChain(CertificateContainer c)
    {
        Assert.Equal(3, c.Certificates.Count);
        Assert.Equal(All.Select(Sha).Order(), c.Certificates.Select(x => x.Sha256).Order());
        ContainerCertificate root = c.Certificates.Single(x => x.Sha256 == Sha(CertFixtures.Root));
        ContainerCertificate issuing = c.Certificates.Single(x => x.Sha256 == Sha(CertFixtures.Issuing));
        ContainerCertificate leaf = c.Certificates.Single(x => x.Sha256 == Sha(CertFixtures.Leaf));
        Assert.Equal(("CA", true, 1), (root.Role, root.IsSelfIssued, root.PathLengthConstraint));
        Assert.Equal(("CA", false, 0), (issuing.Role, issuing.IsSelfIssued, issuing.PathLengthConstraint));
        Assert.Equal(("leaf", false, (int?)null), (leaf.Role, leaf.IsSelfIssued, leaf.PathLengthConstraint));
        Assert.True(leaf.HasBasicConstraints);
        Assert.Equal(CertFixtures.RootName, root.Subject);
        Assert.Equal(CertFixtures.IssuingName, leaf.Issuer);
        Assert.Equal(CertFixtures.LeafName, leaf.Subject);
        Assert.Equal(3, leaf.Version);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), leaf.NotAfter);
        Assert.Equal("1.2.840.10045.2.1", leaf.PublicKeyAlgorithmOid);
    }

    private static byte[] Openssl(string dir, params string[] args)
    {
        string output = Path.Combine(dir, "out-" + Guid.NewGuid().ToString("N")[..8]);
        var r = TestFiles.Run("openssl", "openssl", [.. args, "-out", output]);
        Assert.True(r.ExitCode == 0, "openssl " + string.Join(' ', args) + ": " + r.Stderr);
        return File.ReadAllBytes(output);
    }

    [Fact]
    public void Openssl_crl2pkcs7_der_and_pem_list_the_right_certificates()
    {
        string dir = TestFiles.NewTempDirectory();
        try
        {
            string bundle = Path.Combine(dir, "chain.pem");
            File.WriteAllText(bundle, string.Concat(All.Select(CertFixtures.Pem)));

            CertificateContainer der = Reads(Openssl(dir, "crl2pkcs7", "-nocrl", "-certfile", bundle, "-outform", "DER"));
            Assert.Equal(ContainerFormat.Pkcs7Der, der.Format);
            HoldsTheChain(der);

            byte[] pem = Openssl(dir, "crl2pkcs7", "-nocrl", "-certfile", bundle, "-outform", "PEM");
            Assert.StartsWith("-----BEGIN PKCS7-----", Encoding.ASCII.GetString(pem), StringComparison.Ordinal);
            CertificateContainer fromPem = Reads(pem);
            Assert.Equal(ContainerFormat.Pkcs7Pem, fromPem.Format);
            HoldsTheChain(fromPem);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Openssl_pkcs7_without_certificates_is_a_typed_error()
    {
        string dir = TestFiles.NewTempDirectory();
        try
        {
            ContainerReadError e = Fails(Openssl(dir, "crl2pkcs7", "-nocrl", "-outform", "DER"));
            Assert.Equal(ContainerReadErrorKind.NoCertificates, e.Kind);
            Assert.Equal("the PKCS#7 SignedData holds no certificate", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x30, 0x03, 0x06, 0x01, 0x80 })] // content type OID whose only arc never ends (found by fuzzing)
    [InlineData(new byte[] { 0x30, 0x80, 0x00, 0x5F, 0x06, 0x01, 0x2A })] // indefinite length whose end-of-contents has a length byte
    [InlineData(new byte[] { 0x30, 0x80, 0x06, 0x01, 0x2A })] // indefinite length, no end-of-contents at all
    public void Malformed_ber_is_a_typed_error_not_an_internal_one(byte[] data)
    {
        ContainerReadError e = Fails(data);
        Assert.Contains(e.Kind, new[] { ContainerReadErrorKind.MalformedDer, ContainerReadErrorKind.Truncated });
        Assert.DoesNotContain("cannot be parsed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SignedCms_container_lists_the_right_certificates()
    {
        var cms = new SignedCms(new ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.NoSignature));
        foreach (byte[] der in All)
        {
            cms.AddCertificate(X509CertificateLoader.LoadCertificate(der));
        }

        CertificateContainer c = Reads(cms.Encode());
        Assert.Equal(ContainerFormat.Pkcs7Der, c.Format);
        HoldsTheChain(c);
    }

    [Fact]
    public void SignedCms_without_certificates_is_a_typed_error()
    {
        var cms = new SignedCms(new ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.NoSignature));
        ContainerReadError e = Fails(cms.Encode());
        Assert.Equal(ContainerReadErrorKind.NoCertificates, e.Kind);
        Assert.StartsWith("the PKCS#7 SignedData holds no certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pem_bundle_and_single_certificates_are_read()
    {
        string bundle = "subject=whatever openssl prints\n" + string.Concat(All.Select(CertFixtures.Pem));
        CertificateContainer c = Reads(Encoding.ASCII.GetBytes(bundle));
        Assert.Equal(ContainerFormat.PemBundle, c.Format);
        HoldsTheChain(c);
        Assert.Equal(Sha(CertFixtures.Root), c.Certificates[0].Sha256); // PEM keeps file order

        CertificateContainer single = Reads(CertFixtures.Leaf);
        Assert.Equal(ContainerFormat.DerCertificate, single.Format);
        Assert.Equal("leaf", Assert.Single(single.Certificates).Role);

        CertificateContainer singlePem = Reads(Encoding.ASCII.GetBytes(CertFixtures.Pem(CertFixtures.Issuing)));
        Assert.Equal("CA", Assert.Single(singlePem.Certificates).Role);
    }

    [Fact]
    public void Non_certificate_pem_blocks_are_noted_not_read()
    {
        string text = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" + CertFixtures.Pem(CertFixtures.Leaf);
        CertificateContainer c = Reads(Encoding.ASCII.GetBytes(text));
        Assert.Single(c.Certificates);
        Assert.Contains("'PUBLIC KEY') ignored", Assert.Single(c.Notes), StringComparison.Ordinal);

        ContainerReadError e = Fails(Encoding.ASCII.GetBytes("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
        Assert.Equal(ContainerReadErrorKind.NoCertificates, e.Kind);
    }

    [Fact]
    public void Truncated_pkcs7_is_reported_as_truncated()
    {
        var cms = new SignedCms(new ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.NoSignature));
        cms.AddCertificate(X509CertificateLoader.LoadCertificate(CertFixtures.Leaf));
        byte[] full = cms.Encode();
        ContainerReadError e = Fails(full[..(full.Length / 2)]);
        Assert.Equal(ContainerReadErrorKind.Truncated, e.Kind);
        Assert.Contains("declares " + (full.Length - 4) + " content bytes but only", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_certificate_is_reported_as_truncated()
    {
        ContainerReadError e = Fails(CertFixtures.Leaf[..100]);
        Assert.Equal(ContainerReadErrorKind.Truncated, e.Kind);
    }

    [Fact]
    public void Junk_empty_and_damaged_pem_are_typed_errors()
    {
        Assert.Equal(ContainerReadErrorKind.Empty, Fails([]).Kind);
        Assert.Equal(ContainerReadErrorKind.Empty, Fails("\n\n"u8.ToArray()).Kind);

        byte[] junk = new byte[200];
        new Random(11).NextBytes(junk);
        junk[0] = 0x17;
        ContainerReadError j = Fails(junk);
        Assert.Equal(ContainerReadErrorKind.NotRecognized, j.Kind);
        Assert.Contains("first byte 0x17", j.Message, StringComparison.Ordinal);

        string pem = CertFixtures.Pem(CertFixtures.Leaf);
        ContainerReadError bad = Fails(Encoding.ASCII.GetBytes(pem.Replace("-----END CERTIFICATE-----", string.Empty, StringComparison.Ordinal)));
        Assert.Equal(ContainerReadErrorKind.MalformedPem, bad.Kind);
        Assert.Contains("PEM block at line 1", bad.Message, StringComparison.Ordinal);

        ContainerReadError trailing = Fails([.. CertFixtures.Leaf, 0x01, 0x02]);
        Assert.Equal(ContainerReadErrorKind.MalformedDer, trailing.Kind);
        Assert.Contains("2 byte(s) follow the DER structure", trailing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenPgp_armor_handed_to_the_container_reader_is_named_as_such()
    {
        ContainerReadError e = Fails(Encoding.ASCII.GetBytes(PgpFixtures.Armor(PgpFixtures.Build(PgpFixtures.Good))));
        Assert.Equal(ContainerReadErrorKind.NotRecognized, e.Kind);
        Assert.Contains("is OpenPGP armor, not an X.509 certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pkcs7_that_is_not_signed_data_is_refused()
    {
        // ContentInfo { id-data, [0] OCTET STRING "" }
        byte[] data = [0x30, 0x0F, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01, 0xA0, 0x02, 0x04, 0x00];
        ContainerReadError e = Fails(data);
        Assert.Equal(ContainerReadErrorKind.NotSignedData, e.Kind);
        Assert.Contains("1.2.840.113549.1.7.1 is not signedData", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_containers_never_throw()
    {
        var cms = new SignedCms(new ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.NoSignature));
        foreach (byte[] der in All)
        {
            cms.AddCertificate(X509CertificateLoader.LoadCertificate(der));
        }

        byte[] good = cms.Encode();
        var rnd = new Random(7355608);
        for (int i = 0; i < 500; i++)
        {
            byte[] m = (byte[])good.Clone();
            if (i % 2 == 0)
            {
                m[rnd.Next(m.Length)] ^= (byte)(1 << rnd.Next(8));
            }
            else
            {
                m = m[..rnd.Next(m.Length)];
            }

            bool ok = CertificateContainerReader.TryRead(m, out CertificateContainer? c, out ContainerReadError? e);
            Assert.Equal(ok, c is not null);
            Assert.Equal(!ok, e is not null);
        }
    }
}
