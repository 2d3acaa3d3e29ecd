using CertPolicy.Messaging;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace CertPolicy.Tests.Messaging;

/// <summary>
/// Issue 14, bounded work on OpenPGP input: key parameters above GnuPG's MPI limit or with an unusable RSA exponent are
/// refused before any signature is verified; at most 256 self-signatures are verified per key; a damaged armor is
/// reported as the first problems plus a count, in memory bounded by the input.
/// </summary>
public sealed class OpenPgpLimitsTests
{
    // A key packet (v4, RSA) with the given modulus and exponent, the fixture's user ID and the fixture key's real
    // self-signature over it: that signature cannot verify under the forged parameters, so a SELFSIG-INVALID finding
    // would show that a verification was attempted.
    private static byte[] ForgedRsaKey(byte[] modulus, byte[] exponent)
    {
        using var ms = new MemoryStream();
        using var body = new MemoryStream();
        body.WriteByte(4);
        uint created = (uint)new DateTimeOffset(PgpFixtures.Created).ToUnixTimeSeconds();
        body.Write([(byte)(created >> 24), (byte)(created >> 16), (byte)(created >> 8), (byte)created]);
        body.WriteByte(1); // RSA (Encrypt or Sign)
        WriteMpi(body, modulus);
        WriteMpi(body, exponent);
        PgpFixtures.WritePacket(ms, 6, body.ToArray());
        PgpFixtures.WritePacket(ms, 13, Encoding.UTF8.GetBytes(PgpFixtures.UserId));
        var good = new PgpPublicKeyRing(PgpFixtures.Build(PgpFixtures.Good with { WithSubkey = false }));
        foreach (PgpSignature sig in good.GetPublicKey().GetSignaturesForId(PgpFixtures.UserId))
        {
            sig.Encode(ms);
        }

        return ms.ToArray();
    }

    private static void WriteMpi(Stream s, byte[] bigEndian)
    {
        int bits = ((bigEndian.Length - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)bigEndian[0]));
        s.WriteByte((byte)(bits >> 8));
        s.WriteByte((byte)bits);
        s.Write(bigEndian);
    }

    private static OpenPgpKeyReport EvaluateOwn(byte[] key)
    {
        Assert.True(OpenPgpKeyReader.TryRead(key, out var certs, out var error), error?.Message);
        Assert.True(PublishedKeyIdentifier.TryParse(certs[0].Fingerprint, out var id, out var idError), idError);
        return OpenPgpKeyEvaluator.Evaluate(certs, id, PgpFixtures.At, PgpFixtures.Domain);
    }

    private static byte[] RealModulus()
    {
        var rsa = (RsaPublicBcpgKey)PgpFixtures.Primary.PublicKey.PublicKeyPacket.Key;
        return rsa.Modulus.ToByteArrayUnsigned();
    }

    [Fact]
    public void A_modulus_above_16384_bits_is_refused_before_any_signature_is_verified()
    {
        byte[] modulus = new byte[(16384 / 8) + 1];
        modulus[0] = 1; // 16385 bits
        modulus[^1] = 0xFF;
        OpenPgpKeyReport r = EvaluateOwn(ForgedRsaKey(modulus, [1, 0, 1]));
        Assert.False(r.IsAcceptable);
        MessagingFinding f = Assert.Single(r.Findings, x => x.Code == OpenPgpFindingCodes.KeyParametersOutOfBounds);
        Assert.Contains("RSA modulus of 16385 bits; at most 16384 are accepted", f.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(r.Findings, x => x.Code == OpenPgpFindingCodes.SelfSignatureInvalid);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0 }, "65536")] // even
    [InlineData(new byte[] { 1, 0, 0, 0, 1 }, "4294967297")] // 2^32 + 1: odd, but not below 2^32
    public void An_even_or_huge_exponent_is_refused_before_any_signature_is_verified(byte[] exponent, string shown)
    {
        OpenPgpKeyReport r = EvaluateOwn(ForgedRsaKey(RealModulus(), exponent));
        MessagingFinding f = Assert.Single(r.Findings, x => x.Code == OpenPgpFindingCodes.KeyParametersOutOfBounds);
        Assert.Contains("RSA public exponent " + shown + "; an odd exponent below 2^32 is required", f.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(r.Findings, x => x.Code == OpenPgpFindingCodes.SelfSignatureInvalid);
    }

    [Fact]
    public void The_real_exponent_and_modulus_pass_the_bounds_and_the_forged_self_signature_is_then_checked()
    {
        // The control: the same construction within the bounds reaches signature verification.
        var rsa = (RsaPublicBcpgKey)PgpFixtures.Primary.PublicKey.PublicKeyPacket.Key;
        byte[] key = ForgedRsaKey(RealModulus(), rsa.PublicExponent.ToByteArrayUnsigned());
        OpenPgpKeyReport r = EvaluateOwn(key);
        Assert.DoesNotContain(r.Findings, x => x.Code == OpenPgpFindingCodes.KeyParametersOutOfBounds);
    }

    [Fact]
    public void At_most_256_self_signatures_are_verified_per_key_and_the_rest_are_reported()
    {
        PgpKeyPair primary = PgpFixtures.Ed25519("budget");
        PgpPublicKey pub = primary.PublicKey;
        const int certifications = 300;
        for (int i = 0; i < certifications; i++)
        {
            var g = new PgpSignatureGenerator(primary.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
            g.InitSign(PgpSignature.PositiveCertification, primary.PrivateKey, PgpFixtures.Seeded("budget-sig"));
            var sp = new PgpSignatureSubpacketGenerator();
            sp.SetSignatureCreationTime(false, PgpFixtures.Created.AddMinutes(i));
            sp.SetIssuerKeyID(false, primary.KeyId);
            sp.SetKeyFlags(false, PgpFixtures.CertifySign);
            g.SetHashedSubpackets(sp.Generate());
            pub = PgpPublicKey.AddCertification(pub, PgpFixtures.UserId, g.GenerateCertification(PgpFixtures.UserId, primary.PublicKey));
        }

        using var ms = new MemoryStream();
        pub.Encode(ms);
        OpenPgpKeyReport r = EvaluateOwn(ms.ToArray());
        Assert.False(r.IsAcceptable);
        MessagingFinding f = Assert.Single(r.Findings, x => x.Code == OpenPgpFindingCodes.SignatureBudgetExceeded);
        Assert.Equal("R-G1", f.RuleId);
        Assert.Contains("than the 256 checked per key; " + (certifications - 256) + " were not verified", f.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(r.Findings, x => x.Code == OpenPgpFindingCodes.SelfSignatureInvalid);
    }

    [Fact]
    public void A_damaged_armor_of_many_short_bad_lines_is_reported_in_memory_bounded_by_the_input()
    {
        // 16 MiB of two-byte lines that are not base64: 8 million problems. Before the fix every line became a string
        // and every problem a message (2.2 GB for this input); now the first 8 are listed and the rest counted.
        const int size = 16 * 1024 * 1024 - 64;
        var sb = new StringBuilder(size + 64);
        sb.Append("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n");
        int badLines = 0;
        while (sb.Length < size)
        {
            sb.Append("#\n");
            badLines++;
        }

        sb.Append("-----END PGP PUBLIC KEY BLOCK-----\n");
        byte[] input = Encoding.ASCII.GetBytes(sb.ToString());
        sb.Clear();
        Assert.True(input.Length <= OpenPgpKeyReader.MaxInputBytes);

        _ = OpenPgpKeyReader.TryRead("x"u8, out _, out _); // JIT and statics outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool ok = OpenPgpKeyReader.TryRead(input, out _, out OpenPgpReadError? error);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(ok);
        Assert.Equal(OpenPgpReadErrorKind.ArmorMalformed, error!.Kind);
        // 8 listed, then the rest of the bad lines plus "no base64 body" counted.
        Assert.EndsWith("; and " + (badLines - 8 + 1) + " more problem(s)", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("damaged armor: line 3: '#' is not base64", error.Message, StringComparison.Ordinal);

        // The decoded text is 2 bytes per input byte (UTF-16); everything else must be small beside it.
        Assert.True(allocated < 3L * input.Length, $"allocated {allocated} bytes for {input.Length} input bytes");
    }
}
