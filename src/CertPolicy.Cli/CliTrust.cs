using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Cli;

/// <summary>The trust store a command validates against: the embedded curated manifest, or <c>--roots</c> anchors.</summary>
internal static class CliTrust
{
    /// <summary>
    /// Loads the curated store (manifest embedded in the library) or, with <paramref name="rootsPath"/>,
    /// a custom store of those anchors with <paramref name="evPolicies"/> bound to them. Errors are
    /// printed as one line; returns false then.
    /// </summary>
    internal static bool TryLoad(string command, string? rootsPath, IReadOnlyList<string> evPolicies, DateTimeOffset time, TextWriter stderr, out TrustStore store)
    {
        store = null!;
        if (rootsPath is null)
        {
            if (evPolicies.Count > 0)
            {
                stderr.WriteLine($"{command}: --ev-policy binds OIDs to --roots anchors; give --roots (the curated store has its own EV bindings)");
                return false;
            }

            var manifest = TrustManifestLoader.LoadEmbedded(time);
            if (!manifest.IsUsable)
            {
                stderr.WriteLine(TrustManifestLoader.EmbeddedName + ": the embedded trust manifest has errors (run certpolicy trust list)");
                return false;
            }

            store = new TrustStore(manifest);
            return true;
        }

        // The one PEM splitter: the same file rules as the chain (BOM, text and other blocks ignored as OpenSSL does).
        if (!CliFiles.TryReadCertificates(rootsPath, CliFiles.MaxCertificatesPerFile, out var anchors, out var rootsError))
        {
            stderr.WriteLine(rootsError);
            return false;
        }

        var ders = new List<ReadOnlyMemory<byte>>(anchors.Count);
        foreach (var c in anchors)
        {
            ders.Add(c);
        }

        if (!CustomTrust.TryCreate(ders, evPolicies, null, null, out var custom, out var trustError))
        {
            stderr.WriteLine(rootsPath + ": " + trustError);
            return false;
        }

        store = custom!;
        return true;
    }
}
