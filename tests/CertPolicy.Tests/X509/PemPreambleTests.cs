using System.Security.Cryptography;
using System.Text.Json;
using CertPolicy.Tests.Messaging;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;

namespace CertPolicy.Tests.X509;

/// <summary>
/// Issue 11: a file with a UTF-8 byte-order mark, text, or a private key before its first certificate block. Every
/// command that reads certificates takes the FIRST certificate block as the leaf, and that is the certificate the real
/// <c>openssl x509 -noout -subject</c> prints for the same file (the old BOM bug made <c>names</c> check the second).
/// Each file holds two different leaves, so the command's verdict shows which one it took.
/// </summary>
public sealed class PemPreambleTests : IDisposable
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];
    private readonly TempDir _dir = new();

    public static TheoryData<string> Preambles => new() { "bom", "text", "private-key", "bom+private-key", "bom+text-after-key" };

    public void Dispose() => _dir.Dispose();

    // The same preamble rules for every command: BOM, prose, or a PKCS#8 key block before the certificates.
    private static byte[] WithPreamble(string preamble, string pem)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string keyPem = PemEncoding.WriteString("PRIVATE KEY", key.ExportPkcs8PrivateKey()) + "\n";
        string body = preamble switch
        {
            "bom" => pem,
            "text" => "Certificate for the partner gateway\r\nsubject: see below\n\n" + pem,
            "private-key" => keyPem + pem,
            "bom+private-key" => keyPem + pem,
            "bom+text-after-key" => keyPem + "# the certificates:\n" + pem,
            _ => throw new ArgumentOutOfRangeException(nameof(preamble)),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        return preamble.StartsWith("bom", StringComparison.Ordinal) ? [.. Bom, .. bytes] : bytes;
    }

    private string Write(string name, byte[] data)
    {
        string path = Path.Combine(_dir.Path, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    // What the real OpenSSL reads as the file's certificate: the CN of `openssl x509 -noout -subject -nameopt RFC2253`.
    private static string OpenSslFirstCn(string path)
    {
        var (code, stdout, stderr) = Tool.Run(Tool.Require("openssl", "openssl"), ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", path]);
        Assert.True(code == 0, "openssl x509 could not read " + path + ": " + stderr);
        string subject = stdout.Trim();
        int cn = subject.IndexOf("CN=", StringComparison.Ordinal);
        Assert.True(cn >= 0, subject);
        int end = subject.IndexOf(',', cn);
        return end < 0 ? subject[(cn + 3)..] : subject[(cn + 3)..end];
    }

    [Theory]
    [MemberData(nameof(Preambles))]
    public void Names_checks_the_certificate_openssl_reads(string preamble)
    {
        var a = TestCertificates.Create("CN=a.example", dns: ["a.example"]);
        var b = TestCertificates.Create("CN=b.example", dns: ["b.example"]);
        string path = Write("names.pem", WithPreamble(preamble, TestCertificates.ToPem(a) + TestCertificates.ToPem(b)));
        Assert.Equal("a.example", OpenSslFirstCn(path));

        var first = CliRunner.Run("names", "--cert", path, "--level", "secure", "--nexthop", "a.example");
        Assert.True(first.Exit == 0, first.Out + first.Err);
        var second = CliRunner.Run("names", "--cert", path, "--level", "secure", "--nexthop", "b.example");
        Assert.True(second.Exit == 1, "names must not look at the second certificate: " + second.Out + second.Err);
    }

    [Theory]
    [MemberData(nameof(Preambles))]
    public void Verify_takes_the_first_block_as_the_leaf_and_reads_roots_files_alike(string preamble)
    {
        var chainA = TestChains.Create(new ChainSpec { LeafName = "CN=a.example,O=Example GmbH,C=DE", LeafDns = ["a.example"] });
        var chainB = TestChains.Create(new ChainSpec { LeafName = "CN=b.example,O=Example GmbH,C=DE", LeafDns = ["b.example"] });
        string chain = Write("chain.pem", WithPreamble(preamble, TestCertificates.ToPem(chainA.Leaf) + TestCertificates.ToPem(chainB.Leaf) + TestCertificates.ToPem(chainA.Intermediate)));
        Assert.Equal("a.example", OpenSslFirstCn(chain));

        // --roots: the same preamble; the anchor is the first block, an unrelated root follows.
        var other = TestChains.RootFor(1, "CN=Unrelated Root,O=Elsewhere,C=DE").ToArray();
        string roots = Write("roots.pem", WithPreamble(preamble, TestCertificates.ToPem(chainA.Root) + TestCertificates.ToPem(other)));
        Assert.Equal("Test Root CA", OpenSslFirstCn(roots));

        string at = TestChains.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var r = CliRunner.Run("verify", chain, "--nexthop", "a.example", "--roots", roots, "--at", at, "--profile", "postfix-secure", "--format", "json");
        Assert.True(r.Exit == 0, r.Out + r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal("a.example", doc.RootElement.GetProperty("matchedName").GetString());
        Assert.Contains("CN=a.example", doc.RootElement.GetProperty("chain")[0].GetProperty("subject").GetString(), StringComparison.Ordinal);

        var wrong = CliRunner.Run("verify", chain, "--nexthop", "b.example", "--roots", roots, "--at", at, "--profile", "postfix-secure");
        Assert.True(wrong.Exit == 1, "verify must not take the second certificate as the leaf: " + wrong.Out + wrong.Err);
    }

    [Theory]
    [MemberData(nameof(Preambles))]
    public void Container_lists_the_certificate_openssl_reads_first(string preamble)
    {
        var a = TestCertificates.Create("CN=a.example", dns: ["a.example"]);
        var b = TestCertificates.Create("CN=b.example", dns: ["b.example"]);
        string path = Write("bundle.pem", WithPreamble(preamble, TestCertificates.ToPem(a) + TestCertificates.ToPem(b)));
        string cn = OpenSslFirstCn(path);

        var r = CliRunner.Run("container", path, "--json");
        Assert.True(r.Exit == 0, r.Out + r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var certs = doc.RootElement.GetProperty("certificates");
        Assert.Equal(2, certs.GetArrayLength());
        Assert.Equal("CN=" + cn, certs[0].GetProperty("subject").GetString());
        Assert.Equal("CN=b.example", certs[1].GetProperty("subject").GetString());
    }

    [Theory]
    [MemberData(nameof(Preambles))]
    public void Smime_evaluates_the_certificate_openssl_reads_first(string preamble)
    {
        // Two end-entity certificates that both bind the domain: the evaluator takes the first that binds (its rule for
        // containers with several user certificates), so the file order decides which one is reported as the leaf.
        byte[] first = SmimeFixtures.Build(SmimeFixtures.DomainCert);
        byte[] second = SmimeFixtures.Build(SmimeFixtures.DomainCert with { Subject = "CN=second.partner.example, O=Partner AG, C=DE", Serial = 102 });
        string path = Write("smime.pem", WithPreamble(preamble, TestCertificates.ToPem(first) + TestCertificates.ToPem(second) + TestCertificates.ToPem(SmimeFixtures.Issuing)));
        string cn = OpenSslFirstCn(path);
        Assert.Equal("partner.example", cn);
        string roots = Write("smime-roots.pem", WithPreamble(preamble, TestCertificates.ToPem(SmimeFixtures.Root)));
        string at = SmimeFixtures.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        var r = CliRunner.Run("smime", path, "--domain", SmimeFixtures.Domain, "--roots", roots, "--at", at);
        Assert.True(r.Exit == 0, r.Out + r.Err);
        string leaf = r.Out.Split('\n').Single(l => l.StartsWith("leaf:", StringComparison.Ordinal));
        Assert.Contains("CN=" + cn + ",", leaf, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_between_and_after_blocks_is_ignored_like_openssl_verify_does()
    {
        var chain = TestChains.Create(new ChainSpec());
        string pem = TestCertificates.ToPem(chain.Leaf) + "garbage between blocks\n" + TestCertificates.ToPem(chain.Intermediate) + "trailing text";
        string path = Write("chain.pem", Encoding.UTF8.GetBytes(pem));
        string roots = Write("roots.pem", Encoding.UTF8.GetBytes(chain.RootPem));
        var o = Tool.Run(Tool.Require("openssl", "openssl"), ["verify", "-attime", TestChains.At.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "-CAfile", roots, "-untrusted", path, path]);
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);

        string at = TestChains.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var r = CliRunner.Run("verify", path, "--nexthop", "example.com", "--roots", roots, "--at", at, "--profile", "postfix-secure");
        Assert.True(r.Exit == 0, r.Out + r.Err);
    }
}
