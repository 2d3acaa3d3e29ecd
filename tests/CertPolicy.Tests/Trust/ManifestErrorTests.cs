using CertPolicy.Trust;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary>Malformed manifests: positioned message, exit 2 (unusable) or 1 (policy), nothing written to --out.</summary>
public class ManifestErrorTests
{
    private static readonly TestCa RootA = MakeRoot("Err Test Root A");
    private static readonly TestCa RootB = MakeRoot("Err Test Root B");
    private static readonly TestCa Weak = MakeRoot(Name("Err Weak RSA1024 Root"), rsa1024: true);

    private static RootSpec[] Good => [new(RootA, "Root A"), new(RootB, "Root B")];

    public static TheoryData<string, int, string, string, bool> Cases() => new()
    {
        // case name, expected exit, expected code, needle whose position the message must carry, whether the column is exact
        { "syntax: line without '='", 2, "TRUST-SYNTAX", "this line is broken", true },
        { "bad hex in the root id", 2, "TRUST-VALUE", "G", true },
        { "unknown status", 2, "TRUST-VALUE", "trusted-forever", true },
        { "missing root file", 2, "TRUST-FILE", "roots/Missing.pem", true },
        { "unterminated quote", 2, "TRUST-SYNTAX", "\"Root A", false },
        { "unknown key", 2, "TRUST-UNKNOWN-KEY", "colour = blue", true },
        { "wrong fingerprint", 1, "TRUST-FINGERPRINT", "", true },
        { "duplicate root", 1, "TRUST-DUPLICATE", "", false },
        { "expired root marked active", 1, "TRUST-EXPIRED-ACTIVE", "active\nbundle = include\nseed-ca", true },
        { "excluded status included", 1, "TRUST-INCLUDE-STATUS", "include\nseed-ca = \"GlobalSign\"\nrole = successor\nsource = \"test\"\nreason = \"distrusted\"", true },
    };

    private static (string Path, string Needle) Build(string name, string needle)
    {
        string a = RootA.Sha256;
        switch (name)
        {
            case "syntax: line without '='":
                return (WriteManifest(Good, t => t.Replace("label = \"Root B\"\n", "label = \"Root B\"\nthis line is broken\n", StringComparison.Ordinal)), needle);
            case "bad hex in the root id":
                return (WriteManifest(Good, t => t.Replace("[root " + a, "[root G" + a[1..], StringComparison.Ordinal)), "G" + a[1..]);
            case "unknown status":
                return (WriteManifest(Good, t => ReplaceInSection(t, "Root B", "status = active", "status = trusted-forever")), needle);
            case "missing root file":
                return (WriteManifest(Good, t => t.Replace("file = roots/Root_B.pem", "file = roots/Missing.pem", StringComparison.Ordinal)), needle);
            case "unterminated quote":
                return (WriteManifest(Good, t => t.Replace("label = \"Root A\"", "label = \"Root A", StringComparison.Ordinal)), needle);
            case "unknown key":
                return (WriteManifest(Good, t => t.Replace("label = \"Root B\"\n", "label = \"Root B\"\ncolour = blue\n", StringComparison.Ordinal)), needle);
            case "wrong fingerprint":
                // Root B's file holds Root A: its SHA-256 differs from the id of Root B's section.
                var path = WriteManifest(Good);
                File.Copy(Path.Combine(Path.GetDirectoryName(path)!, "roots", "Root_A.pem"), Path.Combine(Path.GetDirectoryName(path)!, "roots", "Root_B.pem"), true);
                return (path, RootB.Sha256);
            case "duplicate root":
                return (WriteManifest([.. Good, new(RootA, "Root A again")]), "[root " + a + "]\nlabel = \"Root A again\"");
            case "expired root marked active":
                return (WriteManifest(Good), needle); // judged in 2041, after notAfter 2040-01-01
            default: // "excluded status included"
                return (WriteManifest(Good, t => ReplaceInSection(ReplaceInSection(t, "Root B", "status = active", "status = distrusted"), "Root B", "reason = \"test root\"", "reason = \"distrusted\"")), needle);
        }
    }

    private static string ReplaceInSection(string text, string label, string from, string to)
    {
        int s = text.IndexOf("label = \"" + label + "\"", StringComparison.Ordinal);
        int e = text.IndexOf("\n\n", s, StringComparison.Ordinal);
        string section = text[s..e];
        Assert.Contains(from, section, StringComparison.Ordinal);
        return text[..s] + section.Replace(from, to, StringComparison.Ordinal) + text[e..];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_manifest_gives_a_positioned_message_and_writes_nothing(string name, int exit, string code, string needle, bool exactColumn)
    {
        var (path, where) = Build(name, needle);
        string at = name == "expired root marked active" ? "2041-01-01T00:00:00Z" : "2026-11-28T00:00:00Z";
        var (line, col) = PositionOf(File.ReadAllText(path), where);
        var outDir = Path.Combine(Path.GetDirectoryName(path)!, "out");
        var (rc, _, err) = RunCli("bundle", "build", "--manifest", path, "--out", outDir, "--at", at);
        Assert.True(exit == rc, name + ": exit " + rc + "\n" + err);
        string expected = path + ":" + line + ":" + (exactColumn ? col + ": " : "");
        var message = err.Split('\n').FirstOrDefault(l => l.StartsWith(expected, StringComparison.Ordinal) && l.Contains(" " + code + " ", StringComparison.Ordinal));
        Assert.True(message is not null, name + ": expected " + code + " at " + expected + "\n" + err);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal); // no stack trace
        Assert.False(Directory.Exists(outDir), "nothing may be written on failure");
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(path)!, ".out.certpolicy-staging-*"));
    }

    [Fact]
    public void Root_key_below_the_floor_is_a_finding()
    {
        var path = WriteManifest([new(Weak, "Weak Root")]);
        var m = TrustManifestLoader.LoadFile(path, FactsDate);
        var d = Assert.Single(m.Diagnostics);
        Assert.Equal("TRUST-KEY-FLOOR", d.Code);
        Assert.Equal("R-C10", d.Rule);
        Assert.Equal(PositionOf(File.ReadAllText(path), "RSA-1024").Line, d.Position.Line);
    }

    [Fact]
    public void Unreadable_manifest_path_exits_2()
    {
        var (rc, _, err) = RunCli("bundle", "build", "--manifest", "/nonexistent/manifest.cfg", "--out", Path.Combine(TempDir(), "o"));
        Assert.Equal(2, rc);
        Assert.Contains("/nonexistent/manifest.cfg:1:1:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_annex_CA_and_unknown_seed_reference_are_findings()
    {
        var text = ManifestText(Good).Replace("[ca \"TC TrustCenter\"]\nstatus = defunct\nfate = \"test\"\nreason = \"test manifest\"\n", "", StringComparison.Ordinal);
        var files = new Dictionary<string, byte[]> { ["roots/Root_A.pem"] = System.Text.Encoding.ASCII.GetBytes(RootA.Pem), ["roots/Root_B.pem"] = System.Text.Encoding.ASCII.GetBytes(RootB.Pem) };
        var m = LoadInMemory(text, files);
        Assert.True(m.IsUsable);
        var d = Assert.Single(m.Diagnostics);
        Assert.Equal("TRUST-ANNEX-MISSING", d.Code);
        Assert.Equal("R-A1", d.Rule);
    }

    [Fact]
    public void Loader_never_throws_on_mutated_manifests()
    {
        // Every single-character deletion in the first root section must give diagnostics or a clean load, never an exception.
        var files = new Dictionary<string, byte[]> { ["roots/Root_A.pem"] = System.Text.Encoding.ASCII.GetBytes(RootA.Pem), ["roots/Root_B.pem"] = System.Text.Encoding.ASCII.GetBytes(RootB.Pem) };
        var text = ManifestText(Good);
        int start = text.IndexOf("[root ", StringComparison.Ordinal);
        int errors = 0;
        for (int i = start; i < Math.Min(text.Length, start + 900); i++)
        {
            var m = LoadInMemory(text.Remove(i, 1), files);
            errors += m.Diagnostics.Count > 0 ? 1 : 0;
        }

        Assert.True(errors > 100, "mutations must be noticed");
    }

    [Fact]
    public void Shared_files_and_duplicate_fingerprints_are_reported_in_manifest_order()
    {
        // Root A and Root B share one file; a third section repeats Root B's fingerprint and the same file. The loader's
        // hash look-ups must give what a scan of the earlier roots gave: a file finding for Root B (A uses the file), then,
        // for the third, a file finding for A only (the roots before the first section with its fingerprint) and the
        // duplicate finding. Diagnostics are sorted by position.
        RootSpec[] roots = [new(RootA, "Root A", File: "roots/shared.pem"), new(RootB, "Root B", File: "roots/shared.pem"), new(RootB, "Root B again", File: "roots/shared.pem")];
        var manifest = LoadInMemory(ManifestText(roots), new Dictionary<string, byte[]> { ["roots/shared.pem"] = System.Text.Encoding.ASCII.GetBytes(RootA.Pem) });
        var dups = manifest.Diagnostics.Where(d => d.Code == "TRUST-DUPLICATE").Select(d => d.Message).ToList();
        int lineA = manifest.Roots[0].Position.Line;
        int lineB = manifest.Roots[1].Position.Line;
        Assert.Equal(
            [
                "file 'roots/shared.pem' is already used by the root at line " + lineA,
                "duplicate root " + RootB.Sha256 + " (first at line " + lineB + ")", // at the section header: sorted before its file line
                "file 'roots/shared.pem' is already used by the root at line " + lineA,
            ],
            dups);
        Assert.Equal(2, manifest.Roots.Count);
    }
}
