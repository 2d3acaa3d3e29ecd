using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Messaging;
using CertPolicy.Tests.Validation;

namespace CertPolicy.Tests.Fuzz;

/// <summary>
/// The generator of fuzz/fixtures and of the generated seeds in fuzz/corpus (fuzz/README.md). Keys are random, so
/// regenerating gives other bytes: run it only to replace the fixtures, with CERTPOLICY_WRITE_FUZZ_SEEDS=1.
/// Without that variable it checks that the committed fixtures are there.
/// </summary>
public sealed class FuzzSeeds
{
    [Fact]
    public void Fixtures_exist_or_are_written_on_request()
    {
        string fuzz = Path.Combine(FuzzRepo.Root, "fuzz");
        if (Environment.GetEnvironmentVariable("CERTPOLICY_WRITE_FUZZ_SEEDS") != "1")
        {
            foreach (string f in new[] { "root.der", "intermediate.der", "leaf.der" })
            {
                Assert.True(File.Exists(Path.Combine(fuzz, "fixtures", f)), f);
            }

            return;
        }

        var chain = TestChains.Create(new ChainSpec());
        Write(fuzz, "fixtures/root.der", chain.Root);
        Write(fuzz, "fixtures/intermediate.der", chain.Intermediate);
        Write(fuzz, "fixtures/leaf.der", chain.Leaf);

        Write(fuzz, "corpus/der/leaf.der", chain.Leaf);
        Write(fuzz, "corpus/der/intermediate.der", chain.Intermediate);
        Write(fuzz, "corpus/names/leaf.der", chain.Leaf);
        Write(fuzz, "corpus/chain-reader/chain.pem", Encoding.ASCII.GetBytes(chain.PresentedPem));
        Write(fuzz, "corpus/chain-reader/leaf.der", chain.Leaf);
        Write(fuzz, "corpus/chain-validator/leaf.der", chain.Leaf);
        var rsaLeaf = TestChains.Create(new ChainSpec { LeafKey = "rsa2048", LeafDns = ["mx.example.com", "*.example.com"] });
        Write(fuzz, "corpus/names/leaf-rsa-wildcard.der", rsaLeaf.Leaf);

        var cms = new SignedCms(new ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.NoSignature));
        cms.AddCertificate(X509CertificateLoader.LoadCertificate(chain.Leaf));
        cms.AddCertificate(X509CertificateLoader.LoadCertificate(chain.Intermediate));
        byte[] p7b = cms.Encode();
        Write(fuzz, "corpus/container/chain.p7b", p7b);
        Write(fuzz, "corpus/container/chain.p7b.pem", Encoding.ASCII.GetBytes(PemEncoding.WriteString("PKCS7", p7b) + "\n"));
        Write(fuzz, "corpus/container/chain.pem", Encoding.ASCII.GetBytes(chain.PresentedPem));

        byte[] key = PgpFixtures.Build(PgpFixtures.Good with { PrimaryKey = PgpFixtures.Ed25519("fuzz-primary"), SubkeyPair = PgpFixtures.X25519("fuzz-sub") });
        Write(fuzz, "corpus/pgp/ed25519.gpg", key);
        Write(fuzz, "corpus/pgp/ed25519.asc", Encoding.ASCII.GetBytes(PgpFixtures.Armor(key)));
    }

    private static void Write(string fuzz, string relative, byte[] data)
    {
        string path = Path.Combine(fuzz, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data);
    }
}
