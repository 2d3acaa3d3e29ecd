using System.Text.Json;

namespace CertPolicy.Tests.Messaging;

public class MessagingCliTests : IDisposable
{
    private const string At = "2026-06-01T00:00:00Z";
    private readonly string dir = TestFiles.NewTempDirectory();

    public void Dispose()
    {
        Directory.Delete(dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static (int Code, string Out, string Err) Cli(params string[] args)
        => CertPolicy.Tests.Support.CliRunner.Run(args);

    private string Write(string name, byte[] data)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    private string KeyFile(PgpFixtures.Spec spec) =>
        Write("key.asc", System.Text.Encoding.ASCII.GetBytes(PgpFixtures.Armor(PgpFixtures.Build(spec))));

    private static string Grouped => string.Join(" ", Enumerable.Range(0, 10).Select(i => PgpFixtures.Fingerprint(PgpFixtures.Primary).Substring(i * 4, 4)));

    [Fact]
    public void Pgp_good_key_exits_0()
    {
        var r = Cli("pgp", KeyFile(PgpFixtures.Good), "--fingerprint", Grouped, "--domain", PgpFixtures.Domain, "--at", At);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains(": acceptable", r.Out, StringComparison.Ordinal);
        Assert.Contains("[encryption key]", r.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, r.Err);
    }

    [Fact]
    public void Pgp_mismatched_fingerprint_exits_1_with_the_finding()
    {
        var r = Cli("pgp", KeyFile(PgpFixtures.Good), "--fingerprint", "4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 87381923", "--at", At);
        Assert.Equal(1, r.Code);
        Assert.Contains("ERROR   PGP-FINGERPRINT-MISMATCH [R-G3]", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Pgp_expired_key_exits_1_and_json_carries_the_finding()
    {
        var r = Cli("pgp", KeyFile(PgpFixtures.Good with { PrimaryExpirySeconds = 86400 }), "--fingerprint", Grouped, "--at", At, "--format", "json");
        Assert.Equal(1, r.Code);
        using JsonDocument doc = JsonDocument.Parse(r.Out);
        Assert.False(doc.RootElement.GetProperty("acceptable").GetBoolean());
        JsonElement f = Assert.Single(doc.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal("PGP-KEY-EXPIRED", f.GetProperty("code").GetString());
        Assert.Equal("R-G1", f.GetProperty("rule").GetString());
        Assert.Equal(PgpFixtures.Fingerprint(PgpFixtures.Primary), doc.RootElement.GetProperty("matchedFingerprint").GetString());
        Assert.Contains("\"Partner Gateway Key <gateway@partner.example>\"", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Pgp_min_rsa_bits_raises_the_floor()
    {
        var r = Cli("pgp", KeyFile(PgpFixtures.Good), "--fingerprint", Grouped, "--at", At, "--min-rsa-bits", "3072");
        Assert.Equal(1, r.Code);
        Assert.Contains("PGP-KEY-WEAK [R-C10]", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Pgp_seed_block_exits_2_with_one_line_naming_the_damage()
    {
        string path = TestFiles.Fixture("audi-seed-key-block.asc");
        var r = Cli("pgp", path, "--fingerprint", "4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 87381923");
        Assert.Equal(2, r.Code);
        Assert.Equal(string.Empty, r.Out);
        Assert.StartsWith(path + ": damaged armor: line 4: no blank line", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0], "the file is empty")]
    [InlineData(new byte[] { 0x01, 0x02, 0x03, 0xFF }, "not OpenPGP")]
    public void Pgp_unusable_files_exit_2(byte[] data, string expected)
    {
        string path = Write("bad.bin", data);
        var r = Cli("pgp", path, "--fingerprint", "87381923");
        Assert.Equal(2, r.Code);
        Assert.StartsWith(path + ": ", r.Err, StringComparison.Ordinal);
        Assert.Contains(expected, r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Pgp_bad_arguments_exit_2()
    {
        string key = KeyFile(PgpFixtures.Good);
        Assert.Equal(2, Cli("pgp", key, "--fingerprint", "not-hex").Code);
        Assert.Equal(2, Cli("pgp", key, "--fingerprint", Grouped, "--at", "yesterday").Code);
        Assert.Equal(2, Cli("pgp", key).Code); // --fingerprint is required (R-G3)
        Assert.Equal(2, Cli("pgp", Path.Combine(dir, "missing.asc"), "--fingerprint", Grouped).Code);
        Assert.Equal(2, Cli("pgp", key, "--fingerprint", Grouped, "--format", "xml").Code);
    }

    [Fact]
    public void Container_lists_certificates_as_text_and_json()
    {
        string bundle = Write("chain.pem", System.Text.Encoding.ASCII.GetBytes(
            CertFixtures.Pem(CertFixtures.Root) + CertFixtures.Pem(CertFixtures.Issuing) + CertFixtures.Pem(CertFixtures.Leaf)));
        var text = Cli("container", bundle);
        Assert.True(text.Code == 0, text.Err);
        Assert.Contains("PEM bundle, 3 certificate(s)", text.Out, StringComparison.Ordinal);
        Assert.Contains("[3] leaf", text.Out, StringComparison.Ordinal);
        Assert.Contains("[1] CA (self-issued) pathLen=1", text.Out, StringComparison.Ordinal);

        var json = Cli("container", bundle, "--json");
        Assert.Equal(0, json.Code);
        using JsonDocument doc = JsonDocument.Parse(json.Out);
        string roles = string.Join(",", doc.RootElement.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("role").GetString()));
        Assert.Equal("CA,CA,leaf", roles);
    }

    [Fact]
    public void Container_unusable_input_exits_2_with_one_line()
    {
        string empty = Write("empty.p7b", []);
        var r = Cli("container", empty);
        Assert.Equal(2, r.Code);
        Assert.Equal(empty + ": the file is empty" + Environment.NewLine, r.Err);

        var cms = new System.Security.Cryptography.Pkcs.SignedCms(new System.Security.Cryptography.Pkcs.ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new System.Security.Cryptography.Pkcs.CmsSigner(System.Security.Cryptography.Pkcs.SubjectIdentifierType.NoSignature));
        string noCerts = Write("nocerts.p7b", cms.Encode());
        var n = Cli("container", noCerts);
        Assert.Equal(2, n.Code);
        Assert.StartsWith(noCerts + ": the PKCS#7 SignedData holds no certificate", n.Err, StringComparison.Ordinal);

        string truncated = Write("cut.der", CertFixtures.Leaf[..50]);
        var t = Cli("container", truncated, "--json");
        Assert.Equal(2, t.Code);
        Assert.Contains("truncated", t.Err, StringComparison.Ordinal);
    }
}
