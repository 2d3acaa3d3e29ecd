using System.Security.Cryptography;
using System.Text.Json;
using CertPolicy.Trust;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary>The curated manifest in trust/ (embedded in the library): R-A1, R-C3, R-C9, against ca-facts.json.</summary>
public class EmbeddedManifestTests
{
    private static readonly TrustManifest Embedded = TrustManifestLoader.LoadEmbedded(FactsDate);

    [Fact]
    public void Embedded_manifest_has_no_error_or_finding_at_the_facts_date()
    {
        Assert.Empty(Embedded.Diagnostics.Select(d => d.ToString()));
        Assert.Equal(new DateOnly(2026, 11, 28), Embedded.AsOf);
    }

    [Fact]
    public void Embedded_manifest_equals_the_repository_file()
    {
        // The embedded default is trust/manifest.cfg itself, not a stale copy.
        var fromDisk = TrustManifestLoader.LoadFile(Path.Combine(RepoRoot, "trust", "manifest.cfg"), FactsDate);
        Assert.Empty(fromDisk.Diagnostics);
        Assert.Equal(Embedded.Roots.Select(r => r.Sha256 + r.Status + r.Bundle), fromDisk.Roots.Select(r => r.Sha256 + r.Status + r.Bundle));
    }

    [Fact]
    public void All_eight_annex_CAs_have_a_status_a_fate_and_a_reason()
    {
        Assert.Equal(TrustManifestLoader.AnnexCaNames.OrderBy(n => n, StringComparer.Ordinal), Embedded.AnnexCas.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal));
        foreach (var ca in Embedded.AnnexCas)
        {
            Assert.False(string.IsNullOrWhiteSpace(ca.Reason), ca.Name);
            Assert.False(string.IsNullOrWhiteSpace(ca.Fate), ca.Name);
        }

        Assert.Equal(AnnexCaStatus.Distrusted, Embedded.AnnexCas.Single(c => c.Name == "Entrust.net").Status);
        Assert.Equal(AnnexCaStatus.Defunct, Embedded.AnnexCas.Single(c => c.Name == "TC TrustCenter").Status);
    }

    [Fact]
    public void Every_root_and_CA_of_ca_facts_json_is_in_the_manifest_with_the_same_facts()
    {
        using var facts = JsonDocument.Parse(File.ReadAllText(CaFactsPath));
        var roots = facts.RootElement.GetProperty("roots").EnumerateArray().ToList();
        Assert.Equal(roots.Count, Embedded.Roots.Count);
        foreach (var f in roots)
        {
            string sha = f.GetProperty("sha256").GetString()!;
            var r = Embedded.FindRoot(sha);
            Assert.True(r is not null, "missing root " + sha + " " + f.GetProperty("nss_label").GetString());
            Assert.Equal(f.GetProperty("subject").GetString(), r!.Subject);
            Assert.Equal(f.GetProperty("key").GetString(), r.Key);
            Assert.Equal(DateTimeOffset.Parse(f.GetProperty("not_after").GetString()!, System.Globalization.CultureInfo.InvariantCulture), r.NotAfter);
            string status = f.GetProperty("status").GetString()!;
            if (r.Status != RootStatus.Transitional)
            {
                Assert.Equal(status, TrustBundleStatus(r.Status));
            }
            else
            {
                Assert.Equal("active", status);
            }
        }
    }

    [Fact]
    public void Every_active_or_transitional_TLS_root_of_ca_facts_json_is_present_with_its_file()
    {
        using var facts = JsonDocument.Parse(File.ReadAllText(CaFactsPath));
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in facts.RootElement.GetProperty("seed_cas").EnumerateArray())
        {
            foreach (var key in new[] { "tls_roots_2026", "transitional_tls_roots" })
            {
                if (s.TryGetProperty(key, out var list))
                {
                    foreach (var x in list.EnumerateArray())
                    {
                        wanted.Add(x.GetString()!);
                    }
                }
            }
        }

        foreach (var f in facts.RootElement.GetProperty("roots").EnumerateArray())
        {
            var nss = f.GetProperty("mozilla").GetProperty("certdata_nss_2_86_upstream_2026_04");
            if (f.GetProperty("status").GetString() == "active" && nss.ValueKind == JsonValueKind.Object && nss.GetProperty("websites").GetString() == "trusted")
            {
                wanted.Add(f.GetProperty("sha256").GetString()!);
            }
        }

        Assert.Equal(18, wanted.Count); // 13 accepted/transitional + Sectigo R46/E46, SSL.com RSA/ECC 2022, GlobalSign ECC R4 (excluded by policy)
        foreach (var sha in wanted)
        {
            var r = Embedded.FindRoot(sha);
            Assert.NotNull(r);
            Assert.NotNull(r!.File);
            Assert.NotNull(r.Certificate);
            Assert.Equal(sha, r.Certificate!.Sha256Hex);
        }

        // The 13 roots of ca-facts.md section 2.10 are exactly what the bundle includes.
        Assert.Equal(13, Embedded.IncludedRoots().Count);
        Assert.All(Embedded.IncludedRoots(), r => Assert.Contains(r.Status, new[] { RootStatus.Active, RootStatus.Transitional }));
    }

    public static TheoryData<string> RootFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot, "trust", "roots")).OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RootFiles))]
    public void Root_file_sha256_matches_the_manifest_and_openssl(string fileName)
    {
        var path = Path.Combine(RepoRoot, "trust", "roots", fileName);
        // Independent of the library's PEM reader: .NET's PEM decoder, then SHA-256.
        var pem = PemEncoding.Find(File.ReadAllText(path));
        var der = Convert.FromBase64String(File.ReadAllText(path)[pem.Base64Data]);
        string sha = Sha256Hex(der);
        var r = Embedded.Roots.SingleOrDefault(x => x.File == "roots/" + fileName);
        Assert.True(r is not null, fileName + " is not referenced by the manifest");
        Assert.Equal(r!.Sha256, sha);

        var (code, o, _) = Run(OpenSsl(), "x509", "-in", path, "-noout", "-fingerprint", "-sha256", "-subject", "-nameopt", "RFC2253", "-subject_hash");
        Assert.Equal(0, code);
        var lines = o.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(sha, lines[0].Split('=')[1].Replace(":", "", StringComparison.Ordinal));
        Assert.Equal("subject=" + r.Subject, lines[1]);
        Assert.True(DistinguishedName.TryComputeOpenSslHash(r.Certificate!.SubjectDer.Span, out uint h));
        Assert.Equal(lines[2], DistinguishedName.FormatHash(h));
    }

    [Fact]
    public void Policy_OIDs_classify_assurance_from_the_manifest()
    {
        var store = new TrustStore(Embedded);
        Assert.Equal(AssuranceLevel.Ev, store.ClassifyPolicy("2.23.140.1.1"));
        Assert.Equal(AssuranceLevel.Ov, store.ClassifyPolicy("2.23.140.1.2.2"));
        Assert.Equal(AssuranceLevel.Iv, store.ClassifyPolicy("2.23.140.1.2.3"));
        Assert.Equal(AssuranceLevel.Dv, store.ClassifyPolicy("2.23.140.1.2.1"));
        Assert.Equal(AssuranceLevel.Ov, store.ClassifyPolicy("2.16.840.1.113733.1.7.23.3")); // VeriSign "Class 3" (R-C8)
        Assert.Equal(AssuranceLevel.None, store.ClassifyPolicy("1.2.3.4"));
    }

    [Fact]
    public void Trust_list_shows_every_annex_CA_and_root()
    {
        var (code, o, e) = RunCli("trust", "list", "--at", "2026-11-28T00:00:00Z");
        Assert.True(code == 0, e);
        foreach (var n in TrustManifestLoader.AnnexCaNames)
        {
            Assert.Contains(n, o, StringComparison.Ordinal);
        }

        var (jcode, json, jerr) = RunCli("trust", "list", "--json", "--at", "2026-11-28T00:00:00Z");
        Assert.True(jcode == 0, jerr);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(8, doc.RootElement.GetProperty("annexCas").GetArrayLength());
        Assert.Equal(83, doc.RootElement.GetProperty("roots").GetArrayLength());
        var entrustG2 = doc.RootElement.GetProperty("roots").EnumerateArray().Single(r => r.GetProperty("sha256").GetString() == "43DF5774B03E7FEF5FE40D931A7BEDF1BB2E6B42738C4E6D3841103D3AA7F339");
        Assert.Equal("2024-11-30T23:59:59Z", entrustG2.GetProperty("distrustAfterTls").GetString());
        Assert.Equal("distrusted", entrustG2.GetProperty("status").GetString());
    }

    [Fact]
    public void Embedded_manifest_reports_a_transitional_root_once_it_has_expired()
    {
        // T-TeleSec GlobalRoot Class 2/3 expire 2033-10-01: judged in 2034 the manifest must be reviewed (R-C3).
        var later = TrustManifestLoader.LoadEmbedded(new DateTimeOffset(2034, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Contains(later.Diagnostics, d => d.Code == "TRUST-EXPIRED-ACTIVE" && d.Message.Contains("T-TeleSec GlobalRoot Class 3", StringComparison.Ordinal));
    }

    private static string TrustBundleStatus(RootStatus s) => s.ToString().ToLowerInvariant();
}
