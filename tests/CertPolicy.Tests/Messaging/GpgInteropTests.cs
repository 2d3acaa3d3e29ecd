using CertPolicy.Messaging;

namespace CertPolicy.Tests.Messaging;

/// <summary>
/// Differential tests against the real GnuPG (apt package <c>gnupg</c>): same fingerprints, same
/// verdict on self-signatures, keys passed both ways. Each test uses its own temporary GNUPGHOME
/// and stops the agents it started. A missing gpg fails the test (never a silent skip).
/// </summary>
public class GpgInteropTests
{
    private static (int ExitCode, string Stdout, string Stderr) Gpg(string home, params string[] args) =>
        TestFiles.Run("gpg", "gnupg", ["--homedir", home, "--batch", "--no-tty", "--no-auto-check-trustdb", .. args]);

    private static List<string[]> Colons(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')).ToList();

    [Fact]
    public void Gpg_imports_the_fixture_with_the_same_fingerprints_and_valid_self_signatures()
    {
        string home = TestFiles.NewTempDirectory();
        try
        {
            byte[] key = PgpFixtures.Build(PgpFixtures.Good);
            string file = Path.Combine(home, "fixture.asc");
            File.WriteAllText(file, PgpFixtures.Armor(key));
            var import = Gpg(home, "--import", file);
            Assert.True(import.ExitCode == 0, "gpg --import failed: " + import.Stderr);

            var list = Gpg(home, "--with-colons", "--fingerprint", "--with-subkey-fingerprint", "--check-signatures");
            Assert.True(list.ExitCode == 0, list.Stderr);
            List<string[]> rows = Colons(list.Stdout);
            string[] gpgFingerprints = rows.Where(r => r[0] == "fpr").Select(r => r[9]).ToArray();
            string[] gpgKeyIds = rows.Where(r => r[0] is "pub" or "sub").Select(r => r[4]).ToArray();
            string[] sigValidity = rows.Where(r => r[0] == "sig").Select(r => r[1]).ToArray();

            Assert.True(OpenPgpKeyReader.TryRead(key, out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? error), error?.Message);
            OpenPgpCertificate c = Assert.Single(certs);
            Assert.Equal([c.Fingerprint, c.Subkeys[0].Fingerprint], gpgFingerprints);
            Assert.Equal([c.Primary.KeyIdHex, c.Subkeys[0].KeyIdHex], gpgKeyIds);

            // gpg's "!" = good signature: the self-certification and the subkey binding.
            Assert.Equal(["!", "!"], sigValidity);

            // And back: gpg's binary export reads as the same key and passes.
            string exported = Path.Combine(home, "export.gpg");
            var export = Gpg(home, "--output", exported, "--export", c.Fingerprint);
            Assert.True(export.ExitCode == 0, export.Stderr);
            Assert.True(OpenPgpKeyReader.TryRead(File.ReadAllBytes(exported), out IReadOnlyList<OpenPgpCertificate> back, out error), error?.Message);
            Assert.Equal(c.Fingerprint, Assert.Single(back).Fingerprint);
            Assert.True(PublishedKeyIdentifier.TryParse(gpgFingerprints[0], out PublishedKeyIdentifier id, out _));
            Assert.True(OpenPgpKeyEvaluator.Evaluate(back, id, PgpFixtures.At, PgpFixtures.Domain).IsAcceptable);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void Gpg_also_rejects_the_tampered_self_signature()
    {
        string home = TestFiles.NewTempDirectory();
        try
        {
            string file = Path.Combine(home, "tampered.asc");
            File.WriteAllText(file, PgpFixtures.Armor(PgpFixtures.Build(PgpFixtures.Good with { CorruptUserIdSignature = true })));
            _ = Gpg(home, "--import", file);
            var list = Gpg(home, "--with-colons", "--fingerprint");

            // gpg drops a user ID without a valid self-signature and then the key itself ("no valid user IDs").
            Assert.DoesNotContain(Colons(list.Stdout), r => r[0] == "uid");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void A_key_generated_by_gpg_reads_with_gpg_fingerprints_and_passes()
    {
        string home = TestFiles.NewTempDirectory();
        try
        {
            // Fixed clock for gpg too: the key is created 2025-01-01 and valid two years.
            string[] fixedTime = ["--faked-system-time", "20250101T000000!", "--pinentry-mode", "loopback", "--passphrase", ""];
            var gen = Gpg(home, [.. fixedTime, "--quick-gen-key", "Gpg Generated <gpg@partner.example>", "ed25519", "cert,sign", "2y"]);
            Assert.True(gen.ExitCode == 0, gen.Stderr);
            string primary = Colons(Gpg(home, "--with-colons", "--fingerprint").Stdout).First(r => r[0] == "fpr")[9];
            var add = Gpg(home, [.. fixedTime, "--quick-add-key", primary, "cv25519", "encr", "2y"]);
            Assert.True(add.ExitCode == 0, add.Stderr);

            string exported = Path.Combine(home, "gpg-key.asc");
            var export = Gpg(home, "--armor", "--output", exported, "--export", primary);
            Assert.True(export.ExitCode == 0, export.Stderr);
            string[] gpgFingerprints = Colons(Gpg(home, "--with-colons", "--fingerprint", "--with-subkey-fingerprint").Stdout)
                .Where(r => r[0] == "fpr").Select(r => r[9]).ToArray();

            Assert.True(OpenPgpKeyReader.TryRead(File.ReadAllBytes(exported), out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? error), error?.Message);
            OpenPgpCertificate c = Assert.Single(certs);
            Assert.Equal(gpgFingerprints, new[] { c.Fingerprint }.Concat(c.Subkeys.Select(s => s.Fingerprint)).ToArray());
            Assert.Equal("Ed25519", c.Primary.Curve);
            Assert.Equal("Curve25519", c.Subkeys[0].Curve);

            Assert.True(PublishedKeyIdentifier.TryParse(primary, out PublishedKeyIdentifier id, out _));
            OpenPgpKeyReport ok = OpenPgpKeyEvaluator.Evaluate(certs, id, PgpFixtures.At, PgpFixtures.Domain);
            Assert.True(ok.IsAcceptable, string.Join("; ", ok.Findings.Select(f => f.Code + " " + f.Message)));
            Assert.Equal(c.Subkeys[0].Fingerprint, ok.EncryptionKey!.Fingerprint);
            Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), ok.ExpiresAt);

            OpenPgpKeyReport late = OpenPgpKeyEvaluator.Evaluate(certs, id, new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero), PgpFixtures.Domain);
            Assert.Contains(late.Findings, f => f.Code == OpenPgpFindingCodes.KeyExpired);
        }
        finally
        {
            _ = TestFiles.Run("gpgconf", "gnupg", "--homedir", home, "--kill", "all");
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void A_missing_tool_fails_the_test_with_the_install_command()
    {
        // What every test here does when gpg is absent: fail, naming the package (never a silent skip).
        var ex = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => TestFiles.Run("certpolicy-no-such-gpg", "gnupg", "--version"));
        Assert.Contains("apt-get install -y gnupg", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpg_also_refuses_the_seed_document_key_block()
    {
        string home = TestFiles.NewTempDirectory();
        try
        {
            var import = Gpg(home, "--import", TestFiles.Fixture("audi-seed-key-block.asc"));
            Assert.NotEqual(0, import.ExitCode);
            Assert.Matches("CRC error|invalid armor|invalid radix64", import.Stderr);
            Assert.Contains("Total number processed: 0", import.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
