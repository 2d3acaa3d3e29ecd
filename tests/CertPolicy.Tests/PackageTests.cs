using System.Reflection;
using CertPolicy.Tests.Trust;

namespace CertPolicy.Tests;

/// <summary>
/// The three packages (docs/design.md, "Packages"): the core `CertPolicy` has a small public API and no BouncyCastle;
/// `CertPolicy.Messaging` is the only one that references BouncyCastle; `CertPolicy.Tooling` builds on the core.
/// </summary>
public class PackageTests
{
    private const int CoreApiLineLimit = 500;

    private static readonly Assembly Core = typeof(CertPolicy.Validation.ChainValidator).Assembly;
    private static readonly Assembly Tooling = typeof(CertPolicy.Trust.TrustBundle).Assembly;
    private static readonly Assembly Messaging = typeof(CertPolicy.Messaging.OpenPgpKeyReader).Assembly;

    private static bool ReferencesBouncyCastle(Assembly a) =>
        a.GetReferencedAssemblies().Any(n => n.Name!.StartsWith("BouncyCastle", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void Each_package_is_its_own_assembly()
    {
        Assert.Equal("CertPolicy", Core.GetName().Name);
        Assert.Equal("CertPolicy.Tooling", Tooling.GetName().Name);
        Assert.Equal("CertPolicy.Messaging", Messaging.GetName().Name);
        // Namespaces did not change with the move: using-directives keep working.
        Assert.Equal("CertPolicy.Trust", typeof(CertPolicy.Trust.TrustBundle).Namespace);
        Assert.Equal("CertPolicy.Messaging", typeof(CertPolicy.Messaging.OpenPgpKeyReader).Namespace);
    }

    [Fact]
    public void Only_messaging_references_bouncycastle()
    {
        Assert.False(ReferencesBouncyCastle(Core), "the core package CertPolicy references BouncyCastle: " + string.Join(", ", Core.GetReferencedAssemblies().Select(n => n.Name)));
        Assert.False(ReferencesBouncyCastle(Tooling), "CertPolicy.Tooling references BouncyCastle");
        Assert.True(ReferencesBouncyCastle(Messaging), "CertPolicy.Messaging should be the package that references BouncyCastle (OpenPGP)");
    }

    [Fact]
    public void Only_tooling_references_dnsclient()
    {
        // The DNS look-ups of issue 15 (CertPolicy.Dns) keep the core free of a DNS library.
        static bool ReferencesDnsClient(Assembly a) => a.GetReferencedAssemblies().Any(n => n.Name == "DnsClient");
        Assert.False(ReferencesDnsClient(Core), "the core package CertPolicy references DnsClient");
        Assert.False(ReferencesDnsClient(Messaging), "CertPolicy.Messaging references DnsClient");
        Assert.True(ReferencesDnsClient(Tooling), "CertPolicy.Tooling should reference DnsClient (Dns/)");
    }

    [Fact]
    public void Tooling_and_messaging_build_on_the_core_and_the_core_on_neither()
    {
        Assert.Contains(Tooling.GetReferencedAssemblies(), n => n.Name == "CertPolicy");
        Assert.Contains(Messaging.GetReferencedAssemblies(), n => n.Name == "CertPolicy");
        Assert.DoesNotContain(Core.GetReferencedAssemblies(), n => n.Name!.StartsWith("CertPolicy.", StringComparison.Ordinal));
    }

    [Fact]
    public void Core_public_api_is_at_most_500_lines()
    {
        int lines = 0;
        foreach (var name in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
        {
            string path = Path.Combine(TrustTestSupport.RepoRoot, "src", "CertPolicy", name);
            Assert.True(File.Exists(path), path + " is missing");
            lines += File.ReadAllLines(path).Count(l => l.Trim().Length > 0 && l.Trim() != "#nullable enable");
        }

        Assert.InRange(lines, 1, CoreApiLineLimit);
    }

    [Fact]
    public void Core_public_types_match_its_api_file()
    {
        // Cross-check of the line count above with the assembly itself: every exported type is listed in the file.
        string text = File.ReadAllText(Path.Combine(TrustTestSupport.RepoRoot, "src", "CertPolicy", "PublicAPI.Unshipped.txt"))
            + File.ReadAllText(Path.Combine(TrustTestSupport.RepoRoot, "src", "CertPolicy", "PublicAPI.Shipped.txt"));
        foreach (var t in Core.GetExportedTypes())
        {
            Assert.Contains(t.FullName!.Replace('+', '.'), text, StringComparison.Ordinal);
        }
    }
}
