using System.Security.Cryptography;
using System.Text;
using CertPolicy.Messaging;

namespace CertPolicy.Tests.Messaging;

public class OpenPgpKeyReaderTests
{
    private static OpenPgpReadError Fails(byte[] data)
    {
        Assert.False(OpenPgpKeyReader.TryRead(data, out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? error));
        Assert.Empty(certs);
        Assert.NotNull(error);
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    private static OpenPgpReadError Fails(string text) => Fails(Encoding.ASCII.GetBytes(text));

    private static string GoodArmor => PgpFixtures.Armor(PgpFixtures.Build(PgpFixtures.Good));

    [Fact]
    public void Armored_and_binary_keys_read_alike()
    {
        byte[] binary = PgpFixtures.Build(PgpFixtures.Good);
        Assert.True(OpenPgpKeyReader.TryRead(binary, out IReadOnlyList<OpenPgpCertificate> fromBinary, out OpenPgpReadError? e1), e1?.Message);
        Assert.True(OpenPgpKeyReader.TryRead(Encoding.ASCII.GetBytes(GoodArmor), out IReadOnlyList<OpenPgpCertificate> fromArmor, out OpenPgpReadError? e2), e2?.Message);
        OpenPgpCertificate a = Assert.Single(fromBinary);
        OpenPgpCertificate b = Assert.Single(fromArmor);
        Assert.Equal(PgpFixtures.Fingerprint(PgpFixtures.Primary), a.Fingerprint);
        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.Equal(PgpFixtures.UserId, Assert.Single(a.UserIds));
        Assert.Equal(PgpFixtures.Fingerprint(PgpFixtures.Subkey), Assert.Single(a.Subkeys).Fingerprint);
        Assert.Equal(a.Fingerprint[24..], a.Primary.KeyIdHex);
    }

    [Theory]
    [InlineData(new byte[] { 0xA8, 0x00 })] // old-format Marker packet, empty body (found by fuzzing)
    [InlineData(new byte[] { 0xCA, 0x00 })] // new-format Marker packet, empty body
    [InlineData(new byte[] { 0xA8, 0x03, 0x50, 0x47, 0x50, 0xCA, 0x03, 0x50, 0x47, 0x50 })] // two well-formed Marker packets "PGP"
    public void Marker_packets_alone_are_not_a_key(byte[] data)
    {
        // RFC 9580 5.8: Marker packets are ignored; without a Public-Key packet after them there is no key.
        Assert.Equal(OpenPgpReadErrorKind.UnexpectedPacket, Fails(data).Kind);
    }

    [Fact]
    public void V4_fingerprint_is_sha1_of_the_key_packet()
    {
        // RFC 9580 5.5.4.2: SHA-1 over 0x99, a two-octet length and the key packet body.
        byte[] body = PgpFixtures.Primary.PublicKey.PublicKeyPacket.GetEncodedContents();
        byte[] framed = [0x99, (byte)(body.Length >> 8), (byte)body.Length, .. body];
        string expected = Convert.ToHexString(SHA1.HashData(framed));
        Assert.True(OpenPgpKeyReader.TryRead(PgpFixtures.Build(PgpFixtures.Good), out IReadOnlyList<OpenPgpCertificate> certs, out _));
        Assert.Equal(expected, certs[0].Fingerprint);
    }

    [Fact]
    public void V6_key_fingerprint_is_sha256_and_key_id_its_first_eight_bytes()
    {
        // RFC 9580 5.5.2.3: v6 key packet = version, creation time, algorithm, key material length, key material.
        byte[] material = new byte[32];
        for (int i = 0; i < material.Length; i++)
        {
            material[i] = (byte)(i * 7 + 1);
        }

        byte[] body = [6, 0x65, 0x92, 0x00, 0x00, 27, 0, 0, 0, 32, .. material];
        using var ms = new MemoryStream();
        PgpFixtures.WritePacket(ms, 6, body);
        byte[] framed = [0x9B, 0, 0, 0, (byte)body.Length, .. body];
        string expected = Convert.ToHexString(SHA256.HashData(framed));

        Assert.True(OpenPgpKeyReader.TryRead(ms.ToArray(), out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? error), error?.Message);
        OpenPgpCertificate c = Assert.Single(certs);
        Assert.Equal(6, c.Primary.Version);
        Assert.Equal(expected, c.Fingerprint);
        Assert.Equal(expected[..16], c.Primary.KeyIdHex);
        Assert.Equal("Ed25519", c.Primary.AlgorithmName);

        // No self-signature: readable, but not acceptable.
        Assert.True(PublishedKeyIdentifier.TryParse(expected, out PublishedKeyIdentifier id, out _));
        Assert.Equal(PublishedKeyIdentifierKind.V6Fingerprint, id.Kind);
        OpenPgpKeyReport r = OpenPgpKeyEvaluator.Evaluate(certs, id, PgpFixtures.At);
        Assert.NotNull(r.MatchedCertificate);
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.NoValidSelfSignature);
    }

    // RFC 9580 Appendix A.3, "Sample Version 6 Certificate (Transferable Public Key)": an Ed25519
    // primary key with a direct-key self-signature and an X25519 subkey, created 2022-11-30.
    private const string Rfc9580V6Certificate = """
        -----BEGIN PGP PUBLIC KEY BLOCK-----

        xioGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laPCsQYf
        GwoAAABCBYJjh3/jAwsJBwUVCg4IDAIWAAKbAwIeCSIhBssYbE8GCaaX5NUt+mxy
        KwwfHifBilZwj2Ul7Ce62azJBScJAgcCAAAAAK0oIBA+LX0ifsDm185Ecds2v8lw
        gyU2kCcUmKfvBXbAf6rhRYWzuQOwEn7E/aLwIwRaLsdry0+VcallHhSu4RN6HWaE
        QsiPlR4zxP/TP7mhfVEe7XWPxtnMUMtf15OyA51YBM4qBmOHf+MZAAAAIIaTJINn
        +eUBXbki+PSAld2nhJh/LVmFsS+60WyvXkQ1wpsGGBsKAAAALAWCY4d/4wKbDCIh
        BssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce62azJAAAAAAQBIKbpGG2dWTX8
        j+VjFM21J0hqWlEg+bdiojWnKfA5AQpWUWtnNwDEM0g12vYxoWM8Y81W+bHBw805
        I8kWVkXU6vFOi+HWvv/ira7ofJu16NnoUkhclkUrk0mXubZvyl4GBg==
        -----END PGP PUBLIC KEY BLOCK-----

        """;

    [Fact]
    public void Rfc9580_v6_sample_certificate_reads_with_the_published_fingerprint_but_fails_closed()
    {
        Assert.True(OpenPgpKeyReader.TryRead(Encoding.ASCII.GetBytes(Rfc9580V6Certificate), out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? e), e?.Message);
        OpenPgpCertificate c = Assert.Single(certs);
        Assert.Equal(6, c.Primary.Version);

        // RFC 9580 5.5.4.3 and A.3 state these values for this key.
        Assert.Equal("CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9", c.Fingerprint);
        Assert.Equal("CB186C4F0609A697", c.Primary.KeyIdHex);
        Assert.Equal("12C83F1E706F6308FE151A417743A1F033790E93E9978488D1DB378DA9930885", Assert.Single(c.Subkeys).Fingerprint);
        Assert.Equal(("Ed25519", "X25519"), (c.Primary.AlgorithmName, c.Subkeys[0].AlgorithmName));

        // Its two v6 signatures (direct-key, subkey binding) are beyond BouncyCastle 2.7.0: the
        // fingerprint still matches (R-G3), but the key is refused rather than trusted unverified.
        Assert.Equal(2, c.UnsupportedSignatureCount);
        Assert.True(PublishedKeyIdentifier.TryParse("cb186c4f 0609a697 e4d52dfa 6c722b0c 1f1e27c1 8a56708f 6525ec27 bad9acc9", out PublishedKeyIdentifier id, out _));
        OpenPgpKeyReport r = OpenPgpKeyEvaluator.Evaluate(certs, id, PgpFixtures.At);
        Assert.Same(c, r.MatchedCertificate);
        Assert.False(r.IsAcceptable);
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.UnsupportedSignature && f.Severity == FindingSeverity.Error);
        Assert.DoesNotContain(r.Findings, f => f.Code == OpenPgpFindingCodes.FingerprintMismatch);
    }

    [Fact]
    public void Seed_document_key_block_gives_a_precise_error()
    {
        // The block exactly as printed in the Audi document (R-G3): extraction lost characters and
        // inserted a code fence with blank lines. GnuPG rejects it too ("CRC error", "invalid armor header").
        OpenPgpReadError e = Fails(File.ReadAllBytes(TestFiles.Fixture("audi-seed-key-block.asc")));
        Assert.Equal(OpenPgpReadErrorKind.ArmorMalformed, e.Kind);
        Assert.StartsWith("damaged armor: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 4: no blank line between the armor headers and the base64 body", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 50: '```' is not base64", e.Message, StringComparison.Ordinal);
        Assert.Contains("lines 51-54: 4 blank lines inside the base64 body", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a multiple of 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("11 body line(s) differ from the usual 64 characters (line 9, 14, 15, 16, 17, 25, ...): characters were lost (10 shorter) or added (1 longer)",
            e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Armor_variants_real_files_use_are_read()
    {
        string armor = GoodArmor;
        string fpr = PgpFixtures.Fingerprint(PgpFixtures.Primary);
        string noChecksum = string.Join('\n', armor.Split('\n').Where(l => !(l.Length == 5 && l[0] == '=')));
        string[] variants =
        [
            armor.Replace("\n", "\r\n", StringComparison.Ordinal), // CRLF
            "\uFEFF" + armor, // UTF-8 byte order mark
            noChecksum, // RFC 9580 6.1: the CRC is optional
            "Here is our key:\n\n" + armor + "\nRegards\n", // text around the block
        ];
        foreach (string v in variants)
        {
            Assert.True(OpenPgpKeyReader.TryRead(Encoding.UTF8.GetBytes(v), out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? e), e?.Message);
            Assert.Equal(fpr, Assert.Single(certs).Fingerprint);
        }
    }

    [Fact]
    public void Several_armored_blocks_are_all_read_and_a_damaged_second_block_is_named()
    {
        string second = PgpFixtures.Armor(PgpFixtures.Build(PgpFixtures.Good with { PrimaryKey = PgpFixtures.Ed25519("second"), WithSubkey = false }));
        Assert.True(OpenPgpKeyReader.TryRead(Encoding.ASCII.GetBytes(GoodArmor + second), out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? e), e?.Message);
        Assert.Equal(2, certs.Count);

        string damaged = second.Replace("\n=", "\n```\n=", StringComparison.Ordinal);
        OpenPgpReadError error = Fails(GoodArmor + damaged);
        Assert.StartsWith("armor block 2: damaged armor: line ", error.Message, StringComparison.Ordinal);

        string firstCut = string.Join('\n', GoodArmor.Split('\n').Where(l => !l.StartsWith("-----END", StringComparison.Ordinal)));
        OpenPgpReadError cut = Fails(firstCut + second);
        Assert.Equal(OpenPgpReadErrorKind.ArmorTruncated, cut.Kind);
        Assert.Contains("a new armor block begins before the '-----END PGP PUBLIC KEY BLOCK-----' line of the block at line 1", cut.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_is_reported_as_empty()
    {
        Assert.Equal("the file is empty", Fails(Array.Empty<byte>()).Message);
        Assert.Equal(OpenPgpReadErrorKind.Empty, Fails(" \r\n\t\n").Kind);
    }

    [Fact]
    public void Binary_junk_is_not_openpgp()
    {
        byte[] junk = new byte[256];
        new Random(7).NextBytes(junk);
        junk[0] = 0x13; // bit 7 clear
        OpenPgpReadError e = Fails(junk);
        Assert.Equal(OpenPgpReadErrorKind.NotOpenPgp, e.Kind);
        Assert.Contains("first byte 0x13 has bit 7 clear", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_junk_that_looks_like_a_packet_header_is_rejected_precisely()
    {
        byte[] junk = [0xC2, 0x05, 1, 2, 3, 4, 5]; // a new-format Signature packet, not a key
        OpenPgpReadError e = Fails(junk);
        Assert.Equal(OpenPgpReadErrorKind.UnexpectedPacket, e.Kind);
        Assert.Contains("packet 1 (Signature, tag 2) at offset 0x0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_without_armor_is_not_openpgp()
    {
        OpenPgpReadError e = Fails("Hello, this is not a key.\n");
        Assert.Equal(OpenPgpReadErrorKind.NotOpenPgp, e.Kind);
        Assert.Contains("no '-----BEGIN PGP PUBLIC KEY BLOCK-----' line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificates_handed_to_the_pgp_reader_are_named_as_such()
    {
        Assert.StartsWith("a PEM file (X.509 certificate", Fails(CertFixtures.Pem(CertFixtures.Leaf)).Message, StringComparison.Ordinal);
        Assert.Contains("starts like DER", Fails(CertFixtures.Leaf).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_armor_is_reported_as_truncated()
    {
        string armor = GoodArmor;
        string cut = armor[..(armor.Length / 2)];
        cut = cut[..(cut.LastIndexOf('\n') + 1)];
        OpenPgpReadError e = Fails(cut);
        Assert.Equal(OpenPgpReadErrorKind.ArmorTruncated, e.Kind);
        Assert.Contains("without its '-----END PGP PUBLIC KEY BLOCK-----' line: the file is truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_crc_is_reported_with_both_values()
    {
        string armor = GoodArmor;
        int eq = armor.IndexOf("\n=", StringComparison.Ordinal) + 1;
        string stated = armor.Substring(eq + 1, 4);
        string other = stated == "AAAA" ? "AAAB" : "AAAA";
        OpenPgpReadError e = Fails(armor[..(eq + 1)] + other + armor[(eq + 5)..]);
        Assert.Equal(OpenPgpReadErrorKind.ArmorChecksumMismatch, e.Kind);
        Assert.Contains("CRC-24 mismatch: the armor states 0x", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Altered_base64_body_fails_the_crc()
    {
        string armor = GoodArmor;
        int body = armor.IndexOf("\n\n", StringComparison.Ordinal) + 2;
        int pos = body + 100;
        char replacement = armor[pos] == 'A' ? 'B' : 'A';
        OpenPgpReadError e = Fails(armor[..pos] + replacement + armor[(pos + 1)..]);
        Assert.Equal(OpenPgpReadErrorKind.ArmorChecksumMismatch, e.Kind);
    }

    [Fact]
    public void Truncated_binary_names_the_packet()
    {
        byte[] key = PgpFixtures.Build(PgpFixtures.Good);
        OpenPgpReadError e = Fails(key[..(key.Length - 10)]);
        Assert.Equal(OpenPgpReadErrorKind.PacketTruncated, e.Kind);
        Assert.Contains("(Signature, tag 2)", e.Message, StringComparison.Ordinal);
        Assert.Contains("only", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("the data is truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_armor_with_intact_lines_is_caught_by_the_packet_walk_or_the_crc()
    {
        // Drop one whole body line but keep checksum and tail: CRC catches it.
        string armor = GoodArmor;
        string[] lines = armor.Split('\n');
        int bodyStart = Array.IndexOf(lines, string.Empty) + 1;
        string removed = string.Join('\n', lines.Where((_, i) => i != bodyStart + 2));
        OpenPgpReadError e = Fails(removed);
        Assert.Equal(OpenPgpReadErrorKind.ArmorChecksumMismatch, e.Kind);
    }

    [Fact]
    public void Secret_key_block_is_refused()
    {
        OpenPgpReadError e = Fails("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nAAAA\n-----END PGP PRIVATE KEY BLOCK-----\n");
        Assert.Equal(OpenPgpReadErrorKind.WrongBlockType, e.Kind);
        Assert.Contains("secret key block", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbled_key_material_names_the_packet()
    {
        // A Public-Key packet whose RSA modulus MPI claims more bits than the packet holds.
        byte[] body = [4, 0x65, 0x92, 0x00, 0x00, 1, 0x08, 0x00, 0xAB, 0xCD];
        using var ms = new MemoryStream();
        PgpFixtures.WritePacket(ms, 6, body);
        OpenPgpReadError e = Fails(ms.ToArray());
        Assert.Equal(OpenPgpReadErrorKind.PacketMalformed, e.Kind);
        Assert.Contains("packet 1 (Public-Key, tag 6) at offset 0x0 is malformed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_version_is_reported()
    {
        using var ms = new MemoryStream();
        PgpFixtures.WritePacket(ms, 6, [9, 0, 0, 0, 0, 1]);
        OpenPgpReadError e = Fails(ms.ToArray());
        Assert.Equal(OpenPgpReadErrorKind.UnsupportedVersion, e.Kind);
        Assert.Contains("key version 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_keys_in_one_file_are_both_read()
    {
        byte[] a = PgpFixtures.Build(PgpFixtures.Good);
        byte[] b = PgpFixtures.Build(PgpFixtures.Good with { PrimaryKey = PgpFixtures.Ed25519("second"), WithSubkey = false });
        Assert.True(OpenPgpKeyReader.TryRead([.. a, .. b], out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? e), e?.Message);
        Assert.Equal(2, certs.Count);
        Assert.Equal(PgpFixtures.Fingerprint(PgpFixtures.Ed25519("second")), certs[1].Fingerprint);
    }

    [Fact]
    public void Mutated_keys_never_throw_and_changed_keys_or_user_ids_are_never_acceptable()
    {
        // Fixed-seed mutation run (STYLE.md, tests 5): bit flips, truncations, insertions, overwrites.
        byte[] good = PgpFixtures.Build(PgpFixtures.Good);
        byte[] armored = Encoding.ASCII.GetBytes(GoodArmor);
        Assert.True(PublishedKeyIdentifier.TryParse(PgpFixtures.Fingerprint(PgpFixtures.Primary), out PublishedKeyIdentifier id, out _));
        var goodPackets = new List<OpenPgpPacket>();
        Assert.True(OpenPgpPackets.TryScan(good, goodPackets, out _));
        var rnd = new Random(20261128);
        int rejected = 0;
        int acceptedSignatureEdits = 0;
        for (int i = 0; i < 400; i++)
        {
            bool binary = i % 3 != 0;
            byte[] m = (byte[])(binary ? good : armored).Clone();
            switch (i % 4)
            {
                case 0:
                    m[rnd.Next(m.Length)] ^= (byte)(1 << rnd.Next(8));
                    break;
                case 1:
                    m = m[..rnd.Next(m.Length)];
                    break;
                case 2:
                    int at = rnd.Next(m.Length);
                    m = [.. m[..at], (byte)rnd.Next(256), .. m[at..]];
                    break;
                default:
                    for (int k = 0; k < 8; k++)
                    {
                        m[rnd.Next(m.Length)] = (byte)rnd.Next(256);
                    }

                    break;
            }

            bool ok = OpenPgpKeyReader.TryRead(m, out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? error);
            Assert.Equal(ok, error is null);
            if (!ok)
            {
                rejected++;
                continue;
            }

            OpenPgpKeyReport r = OpenPgpKeyEvaluator.Evaluate(certs, id, PgpFixtures.At, PgpFixtures.Domain);
            if (binary && r.IsAcceptable && !m.AsSpan().SequenceEqual(good))
            {
                // Only the unsigned parts of a signature packet (its unhashed subpackets) may change
                // without consequence; a change to a key or user ID packet must never pass.
                int d = 0;
                while (d < Math.Min(m.Length, good.Length) && m[d] == good[d])
                {
                    d++;
                }

                OpenPgpPacket hit = goodPackets.Single(p => p.HeaderOffset <= d && d < p.End);
                Assert.True(hit.Tag == 2, "mutation " + i + " at offset " + d + " inside packet tag " + hit.Tag + " was accepted");
                acceptedSignatureEdits++;
            }
        }

        Assert.True(rejected > 200, rejected + " of 400 mutations rejected by the reader");
        Assert.True(acceptedSignatureEdits < 10, acceptedSignatureEdits + " mutations accepted");
    }
}
