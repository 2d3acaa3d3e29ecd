using CertPolicy.Trust;
using CertPolicy.X509;

namespace CertPolicy.Tests.Validation;

/// <summary>The curated anchors must all be readable by the strict certificate view, or chains to them would silently fail.</summary>
public sealed class CuratedAnchorTests
{
    [Fact]
    public void Every_curated_anchor_parses_under_strict_der_and_is_self_issued()
    {
        var manifest = TrustManifestLoader.LoadEmbedded(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));
        var store = new TrustStore(manifest);
        Assert.NotEmpty(store.Anchors);
        var refused = new List<string>();
        foreach (var a in store.Anchors)
        {
            if (!CertificateView.TryParse(a.Certificate!.Der, out var v, out var e))
            {
                refused.Add(a.Label + ": " + e);
                continue;
            }

            Assert.True(v.IsSelfIssued, a.Label);

            // What ChainValidator checks on an anchor: no unprocessed critical extension, CA when basicConstraints
            // is present, keyCertSign when keyUsage is present, a key it can verify with and that meets R-C10.
            if (v.HasUnknownCriticalExtension || (v.HasBasicConstraints && !v.IsCa) || (v.HasKeyUsage && (v.KeyUsage & KeyUsages.KeyCertSign) == 0)
                || v.KeyAlgorithm is not (KeyAlgorithm.Rsa or KeyAlgorithm.Ec) || (v.KeyAlgorithm == KeyAlgorithm.Rsa ? v.KeySize < 2048 : v.KeySize < 256))
            {
                refused.Add(a.Label + ": unusable as an anchor (" + v.KeyAlgorithm + "-" + v.KeySize + ")");
            }

            Assert.Equal(a.Certificate.SpkiDer.ToArray(), v.SpkiDer.ToArray());
        }

        Assert.True(refused.Count == 0, string.Join("\n", refused));
    }
}
