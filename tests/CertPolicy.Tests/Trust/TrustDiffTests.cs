using System.Security.Cryptography;
using CertPolicy.Trust;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary><c>bundle diff</c> against the machine's /etc/ssl/certs and a certdata.txt fixture (R-C9).</summary>
public class TrustDiffTests
{
    private const string EntrustG2 = "43DF5774B03E7FEF5FE40D931A7BEDF1BB2E6B42738C4E6D3841103D3AA7F339";
    private const string GlobalSignR1 = "EBD41040E4BB3EC742C9E381D31EF2A41A48B6685C96E7CEF3C1DF6CD4331C99";
    private const string IsrgX1 = "96BCEC06264976F37460779ACF28C5A7CFE8A3C0AAE11A8FFCEE05C0BDDF08C6";
    private const string DigiCertG2 = "CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F";
    private const string TTeleSecClass3 = "FD73DAD31C644FF1B43BEF0CCDDA96710B9CD9875ECA7E31707AF3E96D522BBD";

    private static string Fixture => Path.Combine(RepoRoot, "tests", "CertPolicy.Tests", "Trust", "Fixtures", "certdata-nss274-excerpt.txt");

    private static readonly TrustManifest Embedded = TrustManifestLoader.LoadEmbedded(FactsDate);

    [Fact]
    public void Diff_against_etc_ssl_certs_reports_the_known_differences()
    {
        const string dir = "/etc/ssl/certs";
        Assert.True(Directory.Exists(dir) && Directory.GetFiles(dir, "*.pem").Length > 50,
            dir + " is missing or empty: install the Debian package ca-certificates (apt-get install -y ca-certificates)");

        // What the directory holds, computed without the library: .NET's PEM decoder and SHA-256.
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in Directory.GetFiles(dir, "*.pem"))
        {
            var text = File.ReadAllText(f);
            if (PemEncoding.TryFind(text, out var pem))
            {
                present.Add(Convert.ToHexString(SHA256.HashData(Convert.FromBase64String(text[pem.Base64Data]))));
            }
        }

        var (code, o, e) = RunCli("bundle", "diff", "--source", dir, "--at", "2026-11-28T00:00:00Z");
        Assert.True(code == 1, e);
        var lines = o.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // Removed: exactly the included roots the system store lacks (Debian 20230311 has no Telekom Security TLS roots).
        var removed = lines.Where(l => l.StartsWith("removed ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).OrderBy(x => x, StringComparer.Ordinal);
        var expectRemoved = Embedded.IncludedRoots().Select(r => r.Sha256).Where(s => !present.Contains(s)).OrderBy(x => x, StringComparer.Ordinal);
        Assert.Equal(expectRemoved, removed);

        // Entrust G2 is in both Debian bookworm bundles, unconditionally trusted: the store loses its distrust-after.
        Assert.True(present.Contains(EntrustG2), "Entrust G2 expected in " + dir + " (Debian ships it in 20230311 and 20250419)");
        Assert.Contains(lines, l => l.StartsWith("trusted-but-excluded " + EntrustG2, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("distrust-changed " + EntrustG2, StringComparison.Ordinal) && l.Contains("2024-11-30T23:59:59Z", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(DigiCertG2, StringComparison.Ordinal));

        // Added: every store root the manifest does not know.
        var known = Embedded.Roots.Select(r => r.Sha256).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(present.Count(p => !known.Contains(p)), lines.Count(l => l.StartsWith("added ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Diff_against_a_certdata_fixture_reads_trust_bits_and_distrust_after()
    {
        var (code, o, e) = RunCli("bundle", "diff", "--source", Fixture, "--at", "2026-11-28T00:00:00Z");
        Assert.True(code == 1, e);
        var lines = o.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains(" differences between ", StringComparison.Ordinal)).ToList();
        var kinds = lines.Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]).ToList();

        Assert.Contains("added " + IsrgX1, kinds);
        Assert.Contains("trusted-but-excluded " + EntrustG2, kinds);
        Assert.Contains("trusted-but-excluded " + GlobalSignR1, kinds);
        // NSS 2.74 still had the websites bit on for Entrust G2 and GlobalSign R1; the manifest (NSS 2.86) has email only.
        Assert.Contains(lines, l => l.StartsWith("trust-changed " + EntrustG2, StringComparison.Ordinal) && l.EndsWith("manifest email, source tls-server, email", StringComparison.Ordinal));
        // The distrust-after dates agree (2024-11-30T23:59:59Z on both sides): no distrust-changed line.
        Assert.DoesNotContain(kinds, k => k.StartsWith("distrust-changed", StringComparison.Ordinal));
        Assert.DoesNotContain(kinds, k => k.EndsWith(DigiCertG2, StringComparison.Ordinal) || k.EndsWith(TTeleSecClass3, StringComparison.Ordinal));
        Assert.Equal(11, kinds.Count(k => k.StartsWith("removed ", StringComparison.Ordinal))); // 13 included, 2 in the excerpt
        Assert.Equal(16, lines.Count);

        var source = SourceStore.Load(Fixture);
        var entrust = source.Roots.Single(r => r.Sha256 == EntrustG2);
        Assert.Equal(new DateTimeOffset(2024, 11, 30, 23, 59, 59, TimeSpan.Zero), entrust.ServerDistrustAfter);
        Assert.Null(entrust.EmailDistrustAfter);
        Assert.True(entrust.TlsTrusted && entrust.EmailTrusted);
        var tClass3 = source.Roots.Single(r => r.Sha256 == TTeleSecClass3);
        Assert.True(tClass3.TlsTrusted);
        Assert.False(tClass3.EmailTrusted);
    }

    [Fact]
    public void A_changed_distrust_after_date_is_reported()
    {
        // A copy of trust/ whose Entrust G2 entry forgets the distrust-after date.
        var dir = TempDir();
        var text = File.ReadAllText(Path.Combine(RepoRoot, "trust", "manifest.cfg"));
        int s = text.IndexOf("[root " + EntrustG2 + "]", StringComparison.Ordinal);
        int d = text.IndexOf("distrust-after-tls = 2024-11-30T23:59:59Z", s, StringComparison.Ordinal);
        text = text[..d] + "distrust-after-tls = none" + text[(d + "distrust-after-tls = 2024-11-30T23:59:59Z".Length)..];
        File.WriteAllText(Path.Combine(dir, "manifest.cfg"), text);
        Directory.CreateDirectory(Path.Combine(dir, "roots"));
        foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot, "trust", "roots")))
        {
            File.Copy(f, Path.Combine(dir, "roots", Path.GetFileName(f)));
        }

        var (code, o, e) = RunCli("bundle", "diff", "--manifest", Path.Combine(dir, "manifest.cfg"), "--source", Fixture, "--at", "2026-11-28T00:00:00Z");
        Assert.True(code == 1, e);
        Assert.Contains("distrust-changed " + EntrustG2 + " \"Entrust Root Certification Authority - G2\": TLS distrust-after: manifest none, source 2024-11-30T23:59:59Z", o, StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_capath_and_pem_bundle_agree_with_the_manifest()
    {
        var outDir = Path.Combine(TempDir(), "own");
        Assert.Equal(0, RunCli("bundle", "build", "--out", outDir, "--bundle-formats", "capath,pem", "--at", "2026-11-28T00:00:00Z").Code);
        foreach (var source in new[] { Path.Combine(outDir, "capath"), Path.Combine(outDir, "certpolicy-trust.pem") })
        {
            var (code, o, e) = RunCli("bundle", "diff", "--source", source, "--at", "2026-11-28T00:00:00Z");
            Assert.True(code == 0, o + e);
            Assert.Equal("0 differences between embedded:trust/manifest.cfg and " + source + " (13 source roots)", o.Trim());
        }
    }

    [Fact]
    public void Malformed_certdata_gives_a_positioned_error_and_exit_2()
    {
        var path = Path.Combine(TempDir(), "certdata.txt");
        File.WriteAllText(path, "BEGINDATA\nCKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_VALUE MULTILINE_OCTAL\n\\060\\202\\09x\nEND\n");
        var (code, _, e) = RunCli("bundle", "diff", "--source", path);
        Assert.Equal(2, code);
        Assert.Contains(path + ":4:9:", e, StringComparison.Ordinal);

        var (code2, _, e2) = RunCli("bundle", "diff", "--source", "/nonexistent/certs");
        Assert.Equal(2, code2);
        Assert.Contains("/nonexistent/certs:1:1:", e2, StringComparison.Ordinal);
    }
}
