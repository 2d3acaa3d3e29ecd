using CertPolicy.Fuzz;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Fuzz;

/// <summary>
/// Runs every fuzz target (fuzz/CertPolicy.Fuzz/FuzzTargets.cs) in-process over every committed corpus file,
/// crash reproducers under <c>regressions/</c> included, so CI checks the fuzz invariants without AFL.
/// </summary>
public sealed class FuzzCorpusTests
{
    private static readonly Lazy<FuzzTargets> Targets = new(() => new FuzzTargets(Path.Combine(FuzzRepo.Root, "fuzz", "fixtures")));

    public static TheoryData<string, string> CorpusFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (string target in FuzzTargets.Names)
        {
            string dir = Path.Combine(FuzzRepo.Root, "fuzz", "corpus", target);
            var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (string file in files)
            {
                data.Add(target, Path.GetRelativePath(dir, file).Replace('\\', '/'));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Target_holds_its_invariants_on_the_corpus_file(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(FuzzRepo.Root, "fuzz", "corpus", target, file));
        Targets.Value.Run(target, input); // throws FuzzInvariantException on a violation
    }

    [Fact]
    public void Every_target_has_a_seed_corpus()
    {
        foreach (string target in FuzzTargets.Names)
        {
            string dir = Path.Combine(FuzzRepo.Root, "fuzz", "corpus", target);
            Assert.True(Directory.Exists(dir) && Directory.GetFiles(dir).Length > 0, target + " has no seeds in " + dir);
        }
    }

    [Fact]
    public void The_genuine_leaf_is_compliant_so_the_fail_closed_invariant_is_not_vacuous()
    {
        // The chain-validator target asserts "only the genuine leaf is compliant"; if the fixtures stopped
        // validating (expiry, profile change) that invariant would hold trivially.
        string fixtures = Path.Combine(FuzzRepo.Root, "fuzz", "fixtures");
        byte[] root = File.ReadAllBytes(Path.Combine(fixtures, "root.der"));
        byte[] intermediate = File.ReadAllBytes(Path.Combine(fixtures, "intermediate.der"));
        byte[] leaf = File.ReadAllBytes(Path.Combine(fixtures, "leaf.der"));
        Assert.True(CustomTrust.TryCreate([new CustomAnchor(root, [])], out var store, out var error), error);
        var report = new ChainValidator(store!).Explain([leaf, intermediate], new ValidationRequest
        {
            Time = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero),
            NextHop = "example.com",
            Profile = ValidationProfile.Partner2026,
        });
        Assert.True(report.Verdict.IsCompliant, string.Join("; ", report.Findings.Select(f => f.Code + ": " + f.Message)));
    }

    [Fact]
    public void An_unknown_target_is_a_caller_mistake()
    {
        // A wrong target name is a harness mistake (ArgumentException), not an invariant violation.
        Assert.Throws<ArgumentException>(() => Targets.Value.Run("no-such-target", [1, 2, 3]));
    }
}

/// <summary>The repository root: the directory above the test binaries that holds CertPolicy.sln.</summary>
internal static class FuzzRepo
{
    internal static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CertPolicy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("CertPolicy.sln not found above " + AppContext.BaseDirectory);
    }
}
