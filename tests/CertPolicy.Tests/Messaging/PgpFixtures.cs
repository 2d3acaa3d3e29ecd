using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace CertPolicy.Tests.Messaging;

/// <summary>
/// Generates the OpenPGP test keys with BouncyCastle from fixed-seed generators, so every run
/// (and every machine) produces the same keys, signatures and fingerprints. Self-signatures carry
/// explicit creation times: nothing depends on the clock. Keys are built packet by packet (not
/// with PgpKeyRingGenerator) so that each fixture can break exactly one thing.
/// </summary>
internal static class PgpFixtures
{
    internal static readonly DateTime Created = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The evaluation time used by the tests (2.4 years after creation).</summary>
    internal static readonly DateTimeOffset At = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    internal const string UserId = "Partner Gateway Key <gateway@partner.example>";
    internal const string Domain = "partner.example";
    internal const long FiveYears = 5L * 365 * 86400;

    internal const int CertifySign = PgpKeyFlags.CanCertify | PgpKeyFlags.CanSign;
    internal const int Encrypt = PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage;

    private static readonly Lazy<PgpKeyPair> PrimaryRsa = new(() => Rsa("primary-rsa-2048", 2048));
    private static readonly Lazy<PgpKeyPair> SubRsa = new(() => Rsa("subkey-rsa-2048", 2048));
    private static readonly Lazy<PgpKeyPair> WeakRsa = new(() => Rsa("weak-rsa-1024", 1024));

    internal static PgpKeyPair Primary => PrimaryRsa.Value;

    internal static PgpKeyPair Subkey => SubRsa.Value;

    internal static PgpKeyPair Weak => WeakRsa.Value;

    internal static SecureRandom Seeded(string label)
    {
        SecureRandom r = SecureRandom.GetInstance("SHA256PRNG", false);
        r.SetSeed(Encoding.UTF8.GetBytes("CertPolicy test fixture: " + label));
        return r;
    }

    private static PgpKeyPair Rsa(string label, int bits)
    {
        var gen = new RsaKeyPairGenerator();
        gen.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(0x10001), Seeded(label), bits, 80));
        return new PgpKeyPair(PublicKeyAlgorithmTag.RsaGeneral, gen.GenerateKeyPair(), Created);
    }

    internal static PgpKeyPair Ed25519(string label)
    {
        var gen = new Ed25519KeyPairGenerator();
        gen.Init(new Ed25519KeyGenerationParameters(Seeded(label)));
        return new PgpKeyPair(PublicKeyAlgorithmTag.EdDsa_Legacy, gen.GenerateKeyPair(), Created);
    }

    internal static PgpKeyPair X25519(string label)
    {
        var gen = new X25519KeyPairGenerator();
        gen.Init(new X25519KeyGenerationParameters(Seeded(label)));
        return new PgpKeyPair(PublicKeyAlgorithmTag.ECDH, gen.GenerateKeyPair(), Created);
    }

    /// <summary>What to put into one test key.</summary>
    internal sealed record Spec
    {
        public PgpKeyPair? PrimaryKey { get; init; }
        public string UserId { get; init; } = PgpFixtures.UserId;
        public int PrimaryFlags { get; init; } = CertifySign;
        public long PrimaryExpirySeconds { get; init; } = FiveYears;
        public HashAlgorithmTag Hash { get; init; } = HashAlgorithmTag.Sha256;
        public bool WithSubkey { get; init; } = true;
        public PgpKeyPair? SubkeyPair { get; init; }
        public int SubkeyFlags { get; init; } = Encrypt;
        public long SubkeyExpirySeconds { get; init; }
        public DateTime? RevokedAt { get; init; }
        public RevocationReasonTag RevocationReason { get; init; } = RevocationReasonTag.KeyCompromised;
        public PgpKeyPair? RevokedBy { get; init; }
        public bool CorruptUserIdSignature { get; init; }
    }

    internal static Spec Good => new();

    /// <summary>Builds the binary transferable public key for <paramref name="spec"/>.</summary>
    internal static byte[] Build(Spec spec)
    {
        PgpKeyPair primary = spec.PrimaryKey ?? Primary;
        PgpPublicKey pub = primary.PublicKey;

        // Signed over another user ID, then attached to this one: a self-signature that does not verify.
        string signedId = spec.CorruptUserIdSignature ? spec.UserId + " (tampered)" : spec.UserId;
        PgpSignature uidSig = Sign(primary, PgpSignature.PositiveCertification, Created, spec.Hash, sp =>
        {
            sp.SetKeyFlags(false, spec.PrimaryFlags);
            sp.SetPrimaryUserId(false, true);
            if (spec.PrimaryExpirySeconds > 0)
            {
                sp.SetKeyExpirationTime(false, spec.PrimaryExpirySeconds);
            }
        }, g => g.GenerateCertification(signedId, pub));
        pub = PgpPublicKey.AddCertification(pub, spec.UserId, uidSig);

        if (spec.RevokedAt is { } revokedAt)
        {
            PgpPublicKey target = pub;
            PgpSignature rev = Sign(spec.RevokedBy ?? primary, PgpSignature.KeyRevocation, revokedAt, spec.Hash,
                sp => sp.SetRevocationReason(false, spec.RevocationReason, "test revocation"), g => g.GenerateCertification(target));
            pub = PgpPublicKey.AddCertification(pub, rev);
        }

        using var ms = new MemoryStream();
        pub.Encode(ms);
        if (spec.WithSubkey)
        {
            PgpKeyPair sub = spec.SubkeyPair ?? Subkey;
            PgpSignature bind = Sign(primary, PgpSignature.SubkeyBinding, Created, spec.Hash, sp =>
            {
                sp.SetKeyFlags(false, spec.SubkeyFlags);
                if (spec.SubkeyExpirySeconds > 0)
                {
                    sp.SetKeyExpirationTime(false, spec.SubkeyExpirySeconds);
                }
            }, g => g.GenerateCertification(primary.PublicKey, sub.PublicKey));

            // RFC 9580 5.5.1.2: a subkey is the key packet's contents under tag 14.
            WritePacket(ms, 14, sub.PublicKey.PublicKeyPacket.GetEncodedContents());
            bind.Encode(ms);
        }

        return ms.ToArray();
    }

    internal static string Armor(byte[] binary)
    {
        using var ms = new MemoryStream();
        using (var armor = new ArmoredOutputStream(ms))
        {
            armor.Write(binary, 0, binary.Length);
        }

        return Encoding.ASCII.GetString(ms.ToArray());
    }

    internal static string Fingerprint(PgpKeyPair pair) => Convert.ToHexString(pair.PublicKey.GetFingerprint());

    internal static void WritePacket(Stream s, int tag, byte[] body)
    {
        s.WriteByte((byte)(0xC0 | tag));
        s.WriteByte(0xFF);
        s.WriteByte((byte)(body.Length >> 24));
        s.WriteByte((byte)(body.Length >> 16));
        s.WriteByte((byte)(body.Length >> 8));
        s.WriteByte((byte)body.Length);
        s.Write(body);
    }

    private static PgpSignature Sign(PgpKeyPair signer, int type, DateTime when, HashAlgorithmTag hash,
        Action<PgpSignatureSubpacketGenerator> hashed, Func<PgpSignatureGenerator, PgpSignature> generate)
    {
        var g = new PgpSignatureGenerator(signer.PublicKey.Algorithm, hash);
        g.InitSign(type, signer.PrivateKey, Seeded("signature"));
        var sp = new PgpSignatureSubpacketGenerator();
        sp.SetSignatureCreationTime(false, when);
        sp.SetIssuerKeyID(false, signer.KeyId);
        hashed(sp);
        g.SetHashedSubpackets(sp.Generate());
        return generate(g);
    }
}
