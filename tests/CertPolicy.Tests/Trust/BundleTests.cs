using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using CertPolicy.Trust;
using FsCheck.Xunit;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary>Bundle writers against real OpenSSL and .NET's SignedCms; determinism as a property.</summary>
public class BundleTests
{
    private static readonly Lazy<string> EmbeddedOut = new(() =>
    {
        var dir = Path.Combine(TempDir(), "bundle");
        var (code, o, e) = RunCli("bundle", "build", "--out", dir, "--at", "2026-11-28T00:00:00Z", "--partner", "audi.de", "--partner", "audi.hu=.audi.de");
        Assert.True(code == 0, o + e);
        return dir;
    });

    private static readonly TrustManifest Embedded = TrustManifestLoader.LoadEmbedded(FactsDate);

    [Fact]
    public void Build_on_the_embedded_manifest_needs_no_files_and_prints_one_line_per_annex_CA()
    {
        var dir = Path.Combine(TempDir(), "b");
        var (code, o, e) = RunCli("bundle", "build", "--out", dir, "--at", "2026-11-28T00:00:00Z");
        Assert.True(code == 0, e);
        var lines = o.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var n in TrustManifestLoader.AnnexCaNames)
        {
            Assert.Single(lines, l => l.StartsWith(n + ": ", StringComparison.Ordinal));
        }

        Assert.Contains(lines, l => l.StartsWith("Entrust.net: distrusted", StringComparison.Ordinal) && l.Contains("included 0;", StringComparison.Ordinal) && l.Contains("Entrust Root Certification Authority - G2 (distrusted)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GlobalSign: active", StringComparison.Ordinal) && l.Contains("GlobalSign Root R46 (active)", StringComparison.Ordinal) && l.Contains("GlobalSign ECC Root CA - R4 (active, excluded by policy)", StringComparison.Ordinal));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(dir)!, ".*staging*"));
    }

    [Fact]
    public void Capath_file_names_agree_with_openssl_subject_hash_and_rehash()
    {
        var capath = Path.Combine(EmbeddedOut.Value, "capath");
        var names = Directory.GetFiles(capath).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Equal(13, names.Count);
        var ssl = OpenSsl();
        var rehashDir = TempDir();
        foreach (var f in Directory.GetFiles(capath))
        {
            var (code, o, _) = Run(ssl, "x509", "-in", f, "-noout", "-subject_hash");
            Assert.Equal(0, code);
            Assert.StartsWith(o.Trim() + ".", Path.GetFileName(f), StringComparison.Ordinal);
            File.Copy(f, Path.Combine(rehashDir, "root-" + Path.GetFileName(f) + ".pem"));
        }

        var (rc, _, rerr) = Run(ssl, "rehash", rehashDir);
        Assert.True(rc == 0, rerr);
        var links = Directory.GetFiles(rehashDir).Select(Path.GetFileName).Where(n => !n!.StartsWith("root-", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Equal(names, links);
    }

    [Fact]
    public void Openssl_verify_with_the_capath_accepts_a_chain_under_an_included_root_and_rejects_an_excluded_one()
    {
        // Names that exercise OpenSSL's canonical form: case, inner and outer blanks, a non-ASCII UTF8String.
        var included = MakeRoot(Name("  Mixed   CASE Test Root ", "Zertifizierungsstelle Ü GmbH"));
        var excluded = MakeRoot("Excluded Test Root");
        var path = WriteManifest([new(included, "Included Root"), new(excluded, "Excluded Root", Status: "distrusted", Bundle: "exclude")]);
        var outDir = Path.Combine(Path.GetDirectoryName(path)!, "out");
        var (code, o, e) = RunCli("bundle", "build", "--manifest", path, "--out", outDir, "--bundle-formats", "capath,pem", "--at", "2026-11-28T00:00:00Z");
        Assert.True(code == 0, o + e);
        Assert.Single(Directory.GetFiles(Path.Combine(outDir, "capath")));

        var good = Path.Combine(outDir, "..", "good.pem");
        var bad = Path.Combine(outDir, "..", "bad.pem");
        File.WriteAllText(good, MakeLeafPem(included, "mailin1.example.de"));
        File.WriteAllText(bad, MakeLeafPem(excluded, "mailin2.example.de"));
        var ssl = OpenSsl();
        var capath = Path.Combine(outDir, "capath");
        var ok = Run(ssl, "verify", "-no-CAfile", "-no-CAstore", "-CApath", capath, "-attime", "1767225600", good);
        Assert.True(ok.Code == 0, ok.Out + ok.Err);
        Assert.Contains(": OK", ok.Out, StringComparison.Ordinal);
        var ko = Run(ssl, "verify", "-no-CAfile", "-no-CAstore", "-CApath", capath, "-attime", "1767225600", bad);
        Assert.NotEqual(0, ko.Code);
        Assert.Contains("unable to get local issuer certificate", ko.Out + ko.Err, StringComparison.Ordinal);

        // The same leaf verifies against the PEM bundle (CAfile) too.
        var viaFile = Run(ssl, "verify", "-no-CApath", "-no-CAstore", "-CAfile", Path.Combine(outDir, "certpolicy-trust.pem"), "-attime", "1767225600", good);
        Assert.True(viaFile.Code == 0, viaFile.Out + viaFile.Err);
    }

    [Fact]
    public void P7b_opens_with_openssl_pkcs7_and_SignedCms()
    {
        var p7b = Path.Combine(EmbeddedOut.Value, "certpolicy-trust.p7b");
        var (code, o, e) = Run(OpenSsl(), "pkcs7", "-inform", "DER", "-in", p7b, "-print_certs", "-noout");
        Assert.True(code == 0, e);
        Assert.Equal(13, o.Split('\n').Count(l => l.StartsWith("subject=", StringComparison.Ordinal)));

        var cms = new SignedCms();
        cms.Decode(File.ReadAllBytes(p7b));
        Assert.Empty(cms.SignerInfos);
        var got = cms.Certificates.Cast<X509Certificate2>().Select(c => Sha256Hex(c.RawData)).OrderBy(x => x, StringComparer.Ordinal);
        var want = Embedded.IncludedRoots().Select(r => r.Sha256).OrderBy(x => x, StringComparer.Ordinal);
        Assert.Equal(want, got);
    }

    [Fact]
    public void Pem_bundle_opens_with_crl2pkcs7_and_storeutl()
    {
        var pem = Path.Combine(EmbeddedOut.Value, "certpolicy-trust.pem");
        var ssl = OpenSsl();
        var p7 = Path.Combine(TempDir(), "from-pem.p7b");
        var (code, _, e) = Run(ssl, "crl2pkcs7", "-nocrl", "-certfile", pem, "-outform", "DER", "-out", p7);
        Assert.True(code == 0, e);
        var printed = Run(ssl, "pkcs7", "-inform", "DER", "-in", p7, "-print_certs", "-noout");
        Assert.Equal(13, printed.Out.Split('\n').Count(l => l.StartsWith("subject=", StringComparison.Ordinal)));
        var store = Run(ssl, "storeutl", "-noout", "-certs", pem);
        Assert.True(store.Code == 0, store.Err);
        Assert.Contains("Total found: 13", store.Out, StringComparison.Ordinal);
        var text = File.ReadAllText(pem);
        Assert.Contains("# SHA-256: CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_side_manifest_keeps_distrust_after_purposes_and_EV_OIDs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(EmbeddedOut.Value, "certpolicy-trust.json")));
        var roots = doc.RootElement.GetProperty("roots").EnumerateArray().ToList();
        Assert.Equal(13, roots.Count);
        var tClass3 = roots.Single(r => r.GetProperty("sha256").GetString() == "FD73DAD31C644FF1B43BEF0CCDDA96710B9CD9875ECA7E31707AF3E96D522BBD");
        Assert.Equal("transitional", tClass3.GetProperty("status").GetString());
        Assert.Contains("1.3.6.1.4.1.7879.13.24.1", tClass3.GetProperty("evPolicyOids").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(["tls-server"], tClass3.GetProperty("purposes").EnumerateArray().Select(x => x.GetString()!).ToArray());
        var entrust = doc.RootElement.GetProperty("excluded").EnumerateArray().Single(r => r.GetProperty("sha256").GetString() == "43DF5774B03E7FEF5FE40D931A7BEDF1BB2E6B42738C4E6D3841103D3AA7F339");
        Assert.Equal("2024-11-30T23:59:59Z", entrust.GetProperty("distrustAfterTls").GetString());
    }

    [Fact]
    public void Postfix_tls_policy_lines_carry_secure_match_and_high_ciphers()
    {
        var lines = File.ReadAllLines(Path.Combine(EmbeddedOut.Value, "postfix", "tls_policy")).Where(l => !l.StartsWith('#')).ToArray();
        Assert.Equal(["audi.de secure match=.audi.de ciphers=high protocols=>=TLSv1.2", "audi.hu secure match=.audi.de ciphers=high protocols=>=TLSv1.2"], lines);

        // The generated table passes CertPolicy's own partner lint (R-T4..R-T8) with no finding.
        var parsed = CertPolicy.Policy.PolicyMap.Parse(string.Join('\n', lines) + "\n", "tls_policy");
        Assert.False(parsed.HasErrors);
        Assert.Empty(CertPolicy.Policy.PolicyLinter.Lint(parsed.Map, ["audi.de", "audi.hu"]));
        var (code, _, e) = RunCli("bundle", "build", "--out", Path.Combine(TempDir(), "x"), "--bundle-formats", "postfix", "--partner", "bad domain!");
        Assert.Equal(2, code);
        Assert.Contains("--partner", e, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_format_exits_2_and_writes_nothing()
    {
        var dir = Path.Combine(TempDir(), "x");
        var (code, _, e) = RunCli("bundle", "build", "--out", dir, "--bundle-formats", "pem,zip");
        Assert.Equal(2, code);
        Assert.Contains("unknown format 'zip'", e, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Rebuilding_into_an_existing_folder_replaces_a_stale_capath()
    {
        var dir = Path.Combine(TempDir(), "again");
        Directory.CreateDirectory(Path.Combine(dir, "capath"));
        File.WriteAllText(Path.Combine(dir, "capath", "deadbeef.0"), "stale");
        var (code, _, e) = RunCli("bundle", "build", "--out", dir, "--bundle-formats", "capath", "--at", "2026-11-28T00:00:00Z");
        Assert.True(code == 0, e);
        Assert.False(File.Exists(Path.Combine(dir, "capath", "deadbeef.0")));
        Assert.Equal(13, Directory.GetFiles(Path.Combine(dir, "capath")).Length);
    }

    // ---- determinism: a property over generated manifests (fixed seed) ----

    private static readonly TestCa[] Pool = [MakeRoot("Pool Root 0"), MakeRoot("Pool Root 1"), MakeRoot(Name("Pool Root 2", null)), MakeRoot("Pool Root 3"), MakeRoot(Name("pool root 3", null))];

    private static readonly Dictionary<string, byte[]> PoolFiles = Pool.Select((c, i) => ("roots/P" + i + ".pem", Encoding.ASCII.GetBytes(c.Pem))).ToDictionary(x => x.Item1, x => x.Item2);

    private static byte[] Concat(IReadOnlyList<BundleFile> files)
    {
        using var ms = new MemoryStream();
        foreach (var f in files)
        {
            ms.Write(Encoding.UTF8.GetBytes(f.RelativePath + "\n"));
            ms.Write(f.Content);
        }

        return ms.ToArray();
    }

    [Property(Replay = "(1234567890123,987654321987)", MaxTest = 60)]
    public bool Same_manifest_gives_byte_identical_bundles_whatever_the_section_order(byte mask, byte statuses, int shuffleSeed)
    {
        var specs = new List<RootSpec>();
        for (int i = 0; i < Pool.Length; i++)
        {
            if ((mask & (1 << i)) == 0)
            {
                continue;
            }

            bool include = (statuses & (1 << i)) != 0;
            specs.Add(new(Pool[i], "Pool " + i, Status: include ? ((statuses >> 5) % 2 == 0 ? "active" : "transitional") : "removed", Bundle: include ? "include" : "exclude", File: "roots/P" + i + ".pem"));
        }

        var text = ManifestText(specs);
        var partners = new[] { new PartnerDomain("audi.hu", ".audi.de"), new PartnerDomain("audi.de", ".audi.de") };
        var first = Concat(TrustBundle.Build(LoadInMemory(text, PoolFiles), BundleFormats.All, partners));
        var second = Concat(TrustBundle.Build(LoadInMemory(text, PoolFiles), BundleFormats.All, partners));

        // Shuffle the [root] sections (deterministically from the generated seed) and the partner order.
        var parts = text.Split("\n\n[root ", StringSplitOptions.None).ToList();
        var head = parts[0];
        var rootSections = parts.Skip(1).Select(p => "[root " + p.TrimEnd('\n')).ToList();
        var rng = new Random(shuffleSeed);
        var shuffled = head + "\n\n" + string.Join("\n\n", rootSections.OrderBy(_ => rng.Next())) + "\n";
        var third = Concat(TrustBundle.Build(LoadInMemory(shuffled, PoolFiles), BundleFormats.All, partners.Reverse().ToArray()));
        return first.AsSpan().SequenceEqual(second) && first.AsSpan().SequenceEqual(third);
    }

    [Fact]
    public void Building_the_embedded_manifest_twice_through_the_CLI_gives_identical_files()
    {
        var a = Path.Combine(TempDir(), "a");
        var b = Path.Combine(TempDir(), "b");
        Assert.Equal(0, RunCli("bundle", "build", "--out", a, "--at", "2026-11-28T00:00:00Z").Code);
        Assert.Equal(0, RunCli("bundle", "build", "--out", b, "--at", "2026-11-29T00:00:00Z").Code);
        var fa = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).OrderBy(x => x, StringComparer.Ordinal).ToList();
        var fb = Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).OrderBy(x => x, StringComparer.Ordinal).ToList();
        Assert.Equal(fa, fb);
        foreach (var f in fa)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
        }
    }
}
