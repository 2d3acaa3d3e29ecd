using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Messaging;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;
using CertPolicy.Tests.Validation;

namespace CertPolicy.Tests.Cli;

/// <summary>
/// Issue 13 item 6, "Messages": bad input of every kind, given to every command that reads it, is refused with one line
/// on stderr and exit 2, and no message names a .NET type, an exception or an ASN.1 tag class. <see cref="CliRunner"/>
/// scans every output the test suite captures for the same pattern; this test feeds it the inputs most likely to leak.
/// </summary>
public sealed class MessageScanTests : IDisposable
{
    private const string At = "2026-06-01T12:00:00Z";
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private string Bytes(string name, byte[] data)
    {
        string p = Path.Combine(dir.Path, name);
        File.WriteAllBytes(p, data);
        return p;
    }

    [Fact]
    public void Bad_inputs_give_one_line_exit_2_and_no_dotnet_internals()
    {
        var chain = TestChains.Create(new ChainSpec());
        string good = dir.File("good.pem", chain.PresentedPem);
        string roots = dir.File("roots.pem", chain.RootPem);

        // Malformed DER: a SEQUENCE whose length runs past the end; a certificate cut in half; a PrintableString where a
        // SEQUENCE belongs (the input that made the decoder say "tagged with 'Universal' class value '19'").
        string der = Bytes("bad.der", [0x30, 0x82, 0xFF, 0xFF, 0x01, 0x02]);
        string halfCert = Bytes("half.der", chain.Leaf[..(chain.Leaf.Length / 2)]);
        string wrongTag = Bytes("tag.der", [0x13, 0x03, 0x61, 0x62, 0x63]);

        // PEM without END line; PEM whose body is not base64.
        string noEnd = dir.File("noend.pem", "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(chain.Leaf)[..64] + "\n");
        string badBase64 = dir.File("b64.pem", "-----BEGIN CERTIFICATE-----\n!!!!not base64!!!!\n-----END CERTIFICATE-----\n");

        // Truncated PKCS#7 (DER and PEM), and a PKCS#7 whose certificate set holds garbage.
        var cms = new SignedCms(new ContentInfo([0x2A]), detached: true);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.NoSignature));
        cms.AddCertificate(X509CertificateLoader.LoadCertificate(chain.Leaf));
        cms.AddCertificate(X509CertificateLoader.LoadCertificate(chain.Intermediate));
        byte[] p7 = cms.Encode();
        string p7Cut = Bytes("cut.p7b", p7[..(p7.Length * 2 / 3)]);
        // ContentInfo signedData whose content is a RELATIVE-OID (universal tag 13) instead of a SignedData SEQUENCE: the
        // decoder's own message said "tagged with 'Universal' class value '13'".
        string p7WrongTag = Bytes("tag13.p7b", [0x30, 0x10, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02, 0xA0, 0x03, 0x0D, 0x01, 0x01]);
        string p7PemCut = dir.File("cut.p7.pem", "-----BEGIN PKCS7-----\n" + Convert.ToBase64String(p7[..(p7.Length / 2)]) + "\n-----END PKCS7-----\n");

        // A bad policy line; a damaged PGP armor (bad base64, and a truncated key); a bad manifest; a broken limbo file.
        string badPolicy = dir.File("tls_policy", "example.com secure foo\n");
        string badArmor = dir.File("bad.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!****\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n");
        byte[] key = PgpFixtures.Build(PgpFixtures.Good);
        string cutKey = Bytes("cut.gpg", key[..(key.Length / 2)]);
        string badManifest = TrustTestSupport.WriteManifest([], t => t + "\nthis line is broken\n");
        string notJson = dir.File("limbo.json", "{ \"testcases\": [ { \"id\": 1, ");
        string limboWrongType = dir.File("limbo2.json", "{ \"testcases\": [ { \"id\": 7, \"expected_result\": 1 } ] }");
        string emptyDir = Path.Combine(dir.Path, "empty-source");
        Directory.CreateDirectory(emptyDir);
        string log = dir.File("maillog", "Nov 28 12:00:00 gw postfix/smtpd[815]: connect from x[192.0.2.9]\n");
        string fp = "4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 87381923";

        string[][] invocations =
        [
            // malformed DER
            ["verify", der, "--nexthop", "example.com", "--roots", roots, "--at", At],
            ["verify", halfCert, "--nexthop", "example.com", "--roots", roots, "--at", At],
            ["verify", wrongTag, "--nexthop", "example.com", "--roots", roots, "--at", At],
            ["verify", good, "--nexthop", "example.com", "--roots", der, "--at", At],
            ["verify", good, "--nexthop", "example.com", "--roots", roots, "--at", At, "--crl", wrongTag],
            ["names", "--cert", der, "--level", "secure", "--nexthop", "example.com"],
            ["names", "--cert", halfCert, "--level", "secure", "--nexthop", "example.com"],
            ["container", der],
            ["container", wrongTag],
            ["smime", halfCert, "--domain", "example.com", "--roots", roots, "--at", At],
            ["probe", "127.0.0.1:25", "--nexthop", "example.net", "--roots", der],

            // PEM without END, bad base64
            ["verify", noEnd, "--nexthop", "example.com", "--roots", roots],
            ["verify", badBase64, "--nexthop", "example.com", "--roots", roots],
            ["names", "--cert", noEnd, "--level", "secure", "--nexthop", "example.com"],
            ["container", noEnd],
            ["smime", badBase64, "--domain", "example.com", "--roots", roots],
            ["probe", "127.0.0.1:25", "--nexthop", "example.net", "--roots", noEnd],

            // truncated PKCS#7
            ["container", p7Cut],
            ["container", p7PemCut],
            ["container", p7WrongTag],
            ["smime", p7WrongTag, "--domain", "example.com", "--roots", roots],
            ["verify", p7WrongTag, "--nexthop", "example.com", "--roots", roots],
            ["smime", p7Cut, "--domain", "example.com", "--roots", roots],
            ["verify", p7Cut, "--nexthop", "example.com", "--roots", roots],
            ["verify", p7PemCut, "--nexthop", "example.com", "--roots", roots],

            // bad policy line
            ["policy", "check", badPolicy],
            ["policy", "lookup", badPolicy, "example.com"],
            ["policy", "format", badPolicy],
            ["probe", "127.0.0.1:25", "--nexthop", "example.com", "--policy", badPolicy],

            // damaged PGP
            ["pgp", badArmor, "--fingerprint", fp],
            ["pgp", cutKey, "--fingerprint", fp],
            ["pgp", der, "--fingerprint", fp],
            ["pgp", good, "--fingerprint", "not a fingerprint"],

            // bad manifest, bad source
            ["bundle", "build", "--manifest", badManifest, "--out", Path.Combine(dir.Path, "never")],
            ["bundle", "diff", "--manifest", badManifest, "--source", emptyDir],
            ["bundle", "diff", "--source", Path.Combine(dir.Path, "no-such-dir")],
            ["trust", "list", "--manifest", badManifest],

            // bad cipher strings, suites, grades
            ["ciphers", "FOO:+BAR"],
            ["ciphers", ""],
            ["tls", "check", "--protocol", "TLSv1.2", "--cipher", "NOPE-CIPHER"],
            ["tls", "check", "--protocol", "TLSv9", "--cipher", "AES128-SHA"],
            ["tls", "check", "--protocol", "TLSv1.2", "--cipher", "AES128-SHA", "--grade", "bogus"],
            ["tls", "check", "--protocol", "TLSv1.2", "--cipher", "AES128-SHA", "--protocols", "TLSv7"],

            // bad dates
            ["verify", good, "--nexthop", "example.com", "--roots", roots, "--at", "yesterday"],
            ["smime", good, "--domain", "example.com", "--roots", roots, "--at", "31.12.2026"],
            ["pgp", badArmor, "--fingerprint", fp, "--at", "2026-13-45"],
            ["bundle", "build", "--out", Path.Combine(dir.Path, "never"), "--at", "soon"],
            ["bundle", "diff", "--source", emptyDir, "--at", "soon"],
            ["trust", "list", "--at", "2026-02-30T00:00:00Z"],
            ["conformance", "limbo", notJson, "--now", "later"],

            // unknown profiles
            ["verify", good, "--nexthop", "example.com", "--roots", roots, "--profile", "strict-2030"],
            ["probe", "127.0.0.1:25", "--nexthop", "example.net", "--profile", "strict-2030"],
            ["smime", good, "--domain", "example.com", "--roots", roots, "--profile", "strict-2030"],
            ["tls", "check", "--protocol", "TLSv1.2", "--cipher", "AES128-SHA", "--profile", "strict-2030"],

            // numbers that are not numbers (System.CommandLine named the type: "System.Nullable`1[System.Int32]")
            ["probe", "127.0.0.1:25", "--nexthop", "example.net", "--timeout", "ten"],
            ["monitor", log, "--discard-after", "many"],
            ["smime", good, "--domain", "example.com", "--expiry-warning-days", "x"],
            ["pgp", badArmor, "--fingerprint", fp, "--min-rsa-bits", "2k"],

            // other unusable files and options
            ["conformance", "limbo", notJson],
            ["conformance", "limbo", limboWrongType],
            ["conformance", "limbo", limboWrongType, "--exceptions", notJson],
            ["monitor", Path.Combine(dir.Path, "no-such.log")],
            ["names", "--cert", good, "--level", "secure", "--nexthop", "[example.com]:25"],
            ["verify", good],
            ["frobnicate"],
        ];

        foreach (var args in invocations)
        {
            var (exit, stdout, stderr) = CliRunner.Run(args);
            string line = "certpolicy " + string.Join(' ', args);
            Assert.True(exit == 2, line + ": exit " + exit + "\n" + stdout + stderr);
            // One error line; warnings before it (e.g. cipher words OpenSSL skips, each named) are not errors.
            var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains(": warning: ", StringComparison.Ordinal)).ToList();
            Assert.True(stderr.EndsWith('\n') && errors.Count == 1, line + ": not one error line on stderr:\n" + stderr);
            Assert.DoesNotMatch(CliRunner.Forbidden(), stderr + stdout);
        }
    }

    [Fact]
    public void Every_captured_output_is_recorded_and_scanned()
    {
        // The recorder sees what CliRunner captured, and refuses output that leaks a type or exception name.
        string marker = "scan-" + Guid.NewGuid().ToString("N");
        CliRunner.Run("policy", "lookup", "/nonexistent/" + marker, "x.example");
        Assert.Contains(CliRunner.Captured, c => c.Args.Contains(marker, StringComparison.Ordinal) && c.Err.Contains(marker, StringComparison.Ordinal));
        foreach (var leak in new[] { "x: System.InvalidOperationException: y", "internal error: NullReferenceException", "tagged with 'Universal' class value '13'" })
        {
            var ex = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => CliRunner.Record(["test"], string.Empty, leak + "\n"));
            Assert.Contains("leaks .NET internals", ex.Message, StringComparison.Ordinal);
        }

        CliRunner.Record(["test"], "a STALE exception in lower case is an English word\n", string.Empty);
    }
}
