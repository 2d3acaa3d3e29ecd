using System.Text.RegularExpressions;
using CertPolicy.Tests.Messaging;

namespace CertPolicy.Tests.X509;

/// <summary>
/// Issue 11, "one verdict pipeline": certificate bytes and PEM text are read only in <c>src/CertPolicy/X509/</c> (the PEM
/// splitter, <c>CertificateView</c>, <c>DerReader</c>, the PKCS#7 reader). Every other file of the library and the CLI
/// uses those; a second reader (its own ASN.1 decoding, its own PEM scanning) fails this test.
/// </summary>
public sealed class NoSecondReaderTests
{
    // What a second reader looks like: the BCL's ASN.1 and PEM readers, tag decoding by hand, PKCS#7 decoding, certificate
    // loading, or a PEM boundary written into the code.
    private static readonly (string Name, Regex Pattern)[] Forbidden =
    [
        ("AsnReader", new Regex(@"\bAsnReader\b", RegexOptions.CultureInvariant)),
        ("AsnDecoder", new Regex(@"\bAsnDecoder\b", RegexOptions.CultureInvariant)),
        ("PemEncoding", new Regex(@"\bPemEncoding\b", RegexOptions.CultureInvariant)),
        ("Asn1Tag.TryDecode / ReadEncodedValue", new Regex(@"\bAsn1Tag\.(Try)?Decode\b|\b(Try)?ReadEncodedValue\b", RegexOptions.CultureInvariant)),
        ("SignedCms", new Regex(@"\bSignedCms\b", RegexOptions.CultureInvariant)),
        ("certificate loading", new Regex(@"\bX509CertificateLoader\b|new\s+X509Certificate2\s*\(|X509Certificate2\.CreateFrom", RegexOptions.CultureInvariant)),
        ("a PEM boundary", new Regex(@"""-----(BEGIN|END)", RegexOptions.CultureInvariant)),
    ];

    // Files outside X509/ that may match, each with why. Keep it minimal.
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["src/CertPolicy.Messaging/Messaging/OpenPgpArmor.cs"] = "OpenPGP ASCII armor (RFC 4880 6.2: '-----BEGIN PGP ...', CRC-24 line) is neither PEM nor DER; it holds OpenPGP packets, not X.509",
        ["src/CertPolicy.Messaging/Messaging/OpenPgpKeyReader.cs"] = "names the mistake when a PEM file is handed to the OpenPGP reader ('a PEM file ..., not OpenPGP'); it reads no PEM",
    };

    [Fact]
    public void Certificate_and_PEM_bytes_are_read_only_in_X509()
    {
        var offenders = new List<string>();
        int scanned = 0;
        foreach (string project in new[] { "src/CertPolicy", "src/CertPolicy.Tooling", "src/CertPolicy.Messaging", "src/CertPolicy.Cli" })
        {
            string root = Path.Combine(TestFiles.RepoRoot, project);
            foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(TestFiles.RepoRoot, file).Replace('\\', '/');
                if (rel.Contains("/obj/", StringComparison.Ordinal) || rel.Contains("/bin/", StringComparison.Ordinal) || rel.StartsWith("src/CertPolicy/X509/", StringComparison.Ordinal))
                {
                    continue;
                }

                scanned++;
                string[] lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    string code = StripComment(lines[i]);
                    foreach (var (name, pattern) in Forbidden)
                    {
                        if (pattern.IsMatch(code) && !Allowed.ContainsKey(rel))
                        {
                            offenders.Add(rel + ":" + (i + 1) + ": " + name + ": " + lines[i].Trim());
                        }
                    }
                }
            }
        }

        Assert.True(scanned > 50, "too few files scanned (" + scanned + "): is the repository root right?");
        Assert.True(offenders.Count == 0, "a second certificate/PEM reader outside src/CertPolicy/X509/ (use PemSplitter, CertificateView, DerReader):\n" + string.Join("\n", offenders));
        foreach (var (file, why) in Allowed)
        {
            Assert.True(File.Exists(Path.Combine(TestFiles.RepoRoot, file)), "stale allow-list entry " + file + " (" + why + ")");
        }
    }

    [Fact]
    public void The_scan_recognises_a_second_reader()
    {
        // The patterns are live: each catches the kind of code the old readers had.
        string[] samples =
        [
            "var outer = new AsnReader(mem, AsnEncodingRules.DER);",
            "AsnDecoder.TryReadEncodedValue(der, AsnEncodingRules.DER, out var tag, out _, out _, out _)",
            "while (PemEncoding.TryFind(rest, out var fields))",
            "return offset < end && Asn1Tag.TryDecode(der[offset..end], out tag, out _);",
            "const string begin = \"-----BEGIN CERTIFICATE-----\";",
            "var cms = new SignedCms();",
        ];
        foreach (string s in samples)
        {
            Assert.Contains(Forbidden, f => f.Pattern.IsMatch(StripComment(s)));
        }

        Assert.DoesNotContain(Forbidden, f => f.Pattern.IsMatch(StripComment("// AsnReader is used only in X509/")));
    }

    // Drops a // comment (outside string literals, which this code base does not nest with //).
    private static string StripComment(string line)
    {
        bool inString = false;
        for (int i = 0; i < line.Length - 1; i++)
        {
            if (line[i] == '"' && (i == 0 || line[i - 1] != '\\'))
            {
                inString = !inString;
            }
            else if (!inString && line[i] == '/' && line[i + 1] == '/')
            {
                return line[..i];
            }
        }

        return line;
    }
}
