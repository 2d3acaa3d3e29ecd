using System.Collections;
using System.Reflection;
using CertPolicy.Trust;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary>
/// The embedded manifest is compiled at build time (issue 13, item 8): <c>TrustManifestLoader.Compiled.g.cs</c> must be
/// what <see cref="CompiledManifestWriter"/> makes of <c>trust/manifest.cfg</c> today, and the manifest it loads must equal,
/// field by field, the one the text parser makes of the same file.
/// </summary>
public class CompiledManifestTests
{
    private static readonly DateTimeOffset[] Instants =
    [
        FactsDate,
        new(1990, 1, 1, 0, 0, 0, TimeSpan.Zero),
        new(2027, 5, 1, 0, 0, 0, TimeSpan.Zero), // three transitional roots past their tls-sunset
        new(2034, 1, 1, 0, 0, 0, TimeSpan.Zero), // expired roots still marked active or transitional
    ];

    [Fact]
    public void Compiled_manifest_is_fresh()
    {
        string expected = CompiledManifestWriter.Generate(File.ReadAllText(Path.Combine(RepoRoot, "trust", "manifest.cfg")), Path.Combine(RepoRoot, "trust"));
        string path = Path.Combine(RepoRoot, CompiledManifestWriter.RelativePath);
        if (Environment.GetEnvironmentVariable("CERTPOLICY_REGENERATE_MANIFEST") == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), CompiledManifestWriter.RelativePath + " is missing: " + CompiledManifestWriter.RegenerateCommand);
        Assert.True(
            expected == File.ReadAllText(path).ReplaceLineEndings("\n"),
            CompiledManifestWriter.RelativePath + " is not trust/manifest.cfg compiled (the manifest changed?): " + CompiledManifestWriter.RegenerateCommand);
    }

    [Fact]
    public void Compiled_manifest_equals_the_embedded_text_parsed_at_every_instant()
    {
        foreach (var at in Instants)
        {
            var compiled = TrustManifestLoader.LoadEmbedded(at);
            var parsed = TrustManifestLoader.LoadEmbeddedText(at);
            Assert.Equal(83, compiled.Roots.Count);
            Assert.Equal(13, compiled.IncludedRoots().Count);
            Assert.Empty(Differences(parsed, compiled));
        }

        // The instants exercise the time-dependent checks: the compiled path runs them too.
        Assert.Contains(TrustManifestLoader.LoadEmbedded(Instants[3]).Diagnostics, d => d.Code == "TRUST-EXPIRED-ACTIVE");
        Assert.Equal(3, TrustManifestLoader.LoadEmbedded(Instants[2]).Diagnostics.Count(d => d.Code == "TRUST-SUNSET-PASSED"));
    }

    [Fact]
    public void Compiled_manifest_equals_the_repository_file_parsed()
    {
        // The embedded resource is the repository file; the compiled form is compared with the file parsed under the embedded name.
        string text = File.ReadAllText(Path.Combine(RepoRoot, "trust", "manifest.cfg"));
        var parsed = TrustManifestLoader.Load(text, TrustManifestLoader.EmbeddedName, DiskRoots, FactsDate);
        Assert.Empty(Differences(parsed, TrustManifestLoader.LoadEmbedded(FactsDate)));
    }

    [Fact]
    public void The_comparison_names_a_changed_value_and_shifted_positions()
    {
        // The comparison above can fail: one changed reason, and a comment line that moves every position down by one.
        string text = File.ReadAllText(Path.Combine(RepoRoot, "trust", "manifest.cfg"));
        var parsed = TrustManifestLoader.Load(text, TrustManifestLoader.EmbeddedName, DiskRoots, FactsDate);
        int r = text.IndexOf("\nreason = ", text.IndexOf("\n[root ", StringComparison.Ordinal), StringComparison.Ordinal);
        var changed = TrustManifestLoader.Load(text[..r] + "\nreason = \"changed\"" + text[text.IndexOf('\n', r + 1)..], TrustManifestLoader.EmbeddedName, DiskRoots, FactsDate);
        var diffs = Differences(parsed, changed);
        Assert.Equal(["Roots[0].Reason"], diffs.Select(d => d.Split(':')[0]));

        var shifted = TrustManifestLoader.Load("# one more line\n" + text, TrustManifestLoader.EmbeddedName, DiskRoots, FactsDate);
        diffs = Differences(parsed, shifted);
        Assert.Contains(diffs, d => d.StartsWith("Roots[0].Position:", StringComparison.Ordinal));
        Assert.Contains(diffs, d => d.StartsWith("Roots[0].FieldPositionData:", StringComparison.Ordinal));
        Assert.Contains(diffs, d => d.StartsWith("PolicyOids[0].Position:", StringComparison.Ordinal));
        Assert.Contains(diffs, d => d.StartsWith("AnnexCas[0].Position:", StringComparison.Ordinal));
    }

    [Fact]
    public void Compiled_manifest_allocates_far_less_than_parsing_the_text()
    {
        // Counts work, not time: the bytes one load allocates on this thread (warmed up first).
        TrustManifestLoader.LoadEmbedded(FactsDate);
        TrustManifestLoader.LoadEmbeddedText(FactsDate);
        long compiled = Allocated(() => TrustManifestLoader.LoadEmbedded(FactsDate));
        long parsed = Allocated(() => TrustManifestLoader.LoadEmbeddedText(FactsDate));
        Assert.True(compiled * 2 < parsed, $"compiled load {compiled} B, text load {parsed} B");
    }

    private static long Allocated(Func<TrustManifest> load)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(load());
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static bool DiskRoots(string rel, out byte[]? contents, out string? error)
    {
        contents = File.ReadAllBytes(Path.Combine(RepoRoot, "trust", rel));
        error = null;
        return true;
    }

    /// <summary>Every difference between two manifests: the top-level values, every property of every OID, annex CA and
    /// root (found by reflection, so a property added later is compared too), each root's certificate bytes and every
    /// field position, and the diagnostics in order.</summary>
    internal static List<string> Differences(TrustManifest a, TrustManifest b)
    {
        var d = new List<string>();
        Same(d, "Name", a.Name, b.Name);
        Same(d, "AsOf", a.AsOf, b.AsOf);
        Same(d, "RsaFloor", a.RsaFloor, b.RsaFloor);
        Same(d, "EcFloor", a.EcFloor, b.EcFloor);
        Items(d, "PolicyOids", a.PolicyOids, b.PolicyOids);
        Items(d, "AnnexCas", a.AnnexCas, b.AnnexCas);
        Items(d, "Roots", a.Roots, b.Roots);
        for (int i = 0; i < Math.Min(a.Roots.Count, b.Roots.Count); i++)
        {
            foreach (var field in TrustRoot.PositionedFields)
            {
                bool ha = a.Roots[i].TryGetPosition(field, out var pa);
                bool hb = b.Roots[i].TryGetPosition(field, out var pb);
                Same(d, $"Roots[{i}].position of {field}", (ha, pa), (hb, pb));
            }
        }

        Same(d, "Diagnostics", string.Join("\n", a.Diagnostics.Select(x => x.Severity + " " + x)), string.Join("\n", b.Diagnostics.Select(x => x.Severity + " " + x)));
        return d;
    }

    private static void Items<T>(List<string> d, string name, IReadOnlyList<T> a, IReadOnlyList<T> b)
        where T : class
    {
        Same(d, name + ".Count", a.Count, b.Count);
        var props = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.NotEmpty(props);
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            foreach (var p in props)
            {
                Same(d, $"{name}[{i}].{p.Name}", Render(p.GetValue(a[i])), Render(p.GetValue(b[i])));
            }
        }
    }

    private static string Render(object? v) => v switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        RootCertificate c => "certificate " + Convert.ToHexString(c.Der.Span),
        DateTimeOffset t => t.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Render)) + "]",
        _ => v.ToString() ?? "",
    };

    private static void Same<T>(List<string> d, string what, T a, T b)
    {
        if (!EqualityComparer<T>.Default.Equals(a, b))
        {
            d.Add(what + ": " + a + " != " + b);
        }
    }
}
