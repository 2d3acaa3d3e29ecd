using System.Text;

namespace CertPolicy.Trust;

/// <summary>Kinds of difference between the manifest and a source store. Values are API: never renumber.</summary>
public enum TrustDifferenceKind
{
    /// <summary>The source trusts a root the manifest does not know at all.</summary>
    Added = 0,

    /// <summary>The manifest includes a root the source does not have.</summary>
    Removed = 1,

    /// <summary>The source trusts for TLS a root the manifest excludes (distrusted, expired, removed or a policy choice).</summary>
    TrustedButExcluded = 2,

    /// <summary>Trust bits differ (TLS server / e-mail) between the manifest's purposes and the source.</summary>
    TrustChanged = 3,

    /// <summary>A distrust-after date differs, or the source trusts a root without the distrust-after the manifest records.</summary>
    DistrustChanged = 4,
}

/// <summary>One difference.</summary>
/// <param name="Kind">What differs.</param>
/// <param name="Sha256">The root's SHA-256 (upper-case hex).</param>
/// <param name="Label">Manifest label, else the source's label.</param>
/// <param name="Message">Explanation.</param>
public sealed record TrustDifference(TrustDifferenceKind Kind, string Sha256, string Label, string Message)
{
    /// <summary>One line: <c>kind SHA256 label: message</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => string.Concat(KindName(Kind), " ", Sha256, " \"", Label, "\": ", Message);

    /// <summary>The kind as written in reports.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>For example <c>removed</c>.</returns>
    public static string KindName(TrustDifferenceKind kind) => kind switch
    {
        TrustDifferenceKind.Added => "added",
        TrustDifferenceKind.Removed => "removed",
        TrustDifferenceKind.TrustedButExcluded => "trusted-but-excluded",
        TrustDifferenceKind.TrustChanged => "trust-changed",
        _ => "distrust-changed",
    };
}

/// <summary>Compares a manifest with a source store (R-C9: the curated list versus what an OS or root program ships).</summary>
public static class TrustDiff
{
    /// <summary>Lists the differences, ordered by kind then SHA-256.</summary>
    /// <param name="manifest">The manifest.</param>
    /// <param name="source">The source store.</param>
    /// <returns>The differences (empty when the source agrees).</returns>
    public static IReadOnlyList<TrustDifference> Compare(TrustManifest manifest, SourceStore source)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(source);
        var result = new List<TrustDifference>();
        var src = new Dictionary<string, SourceRoot>(StringComparer.Ordinal);
        foreach (var s in source.Roots)
        {
            src[s.Sha256] = s;
        }

        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in manifest.Roots)
        {
            known.Add(r.Sha256);
            src.TryGetValue(r.Sha256, out var s);
            bool included = r.Bundle == BundleDecision.Include;
            if (s is null)
            {
                if (included)
                {
                    result.Add(new(TrustDifferenceKind.Removed, r.Sha256, r.Label, "included by the manifest (" + TrustBundle.StatusName(r.Status) + ") but absent from the source"));
                }

                continue;
            }

            if (!included && s.TlsTrusted)
            {
                result.Add(new(TrustDifferenceKind.TrustedButExcluded, r.Sha256, r.Label, "the source trusts it for TLS; the manifest excludes it (" + TrustBundle.StatusName(r.Status) + "): " + r.Reason));
            }

            if (s.HasTrustInfo)
            {
                bool mTls = (r.Purposes & RootPurposes.TlsServer) != 0;
                bool mMail = (r.Purposes & RootPurposes.Email) != 0;
                if (mTls != s.TlsTrusted || mMail != s.EmailTrusted)
                {
                    result.Add(new(TrustDifferenceKind.TrustChanged, r.Sha256, r.Label, "purposes: manifest " + Purposes(mTls, mMail) + ", source " + Purposes(s.TlsTrusted, s.EmailTrusted)));
                }

                if (r.DistrustAfterTls != s.ServerDistrustAfter)
                {
                    result.Add(new(TrustDifferenceKind.DistrustChanged, r.Sha256, r.Label, "TLS distrust-after: manifest " + D(r.DistrustAfterTls) + ", source " + D(s.ServerDistrustAfter)));
                }

                if (r.DistrustAfterEmail != s.EmailDistrustAfter)
                {
                    result.Add(new(TrustDifferenceKind.DistrustChanged, r.Sha256, r.Label, "e-mail distrust-after: manifest " + D(r.DistrustAfterEmail) + ", source " + D(s.EmailDistrustAfter)));
                }
            }
            else if (r.DistrustAfterTls is { } d && s.TlsTrusted)
            {
                result.Add(new(TrustDifferenceKind.DistrustChanged, r.Sha256, r.Label, "the source trusts it for TLS without the TLS distrust-after " + D(d) + " the manifest records (a flat bundle cannot express it)"));
            }
        }

        foreach (var s in source.Roots)
        {
            if (!known.Contains(s.Sha256) && (s.TlsTrusted || s.EmailTrusted))
            {
                result.Add(new(TrustDifferenceKind.Added, s.Sha256, s.Label, "trusted by the source (" + Purposes(s.TlsTrusted, s.EmailTrusted) + "), not in the manifest"));
            }
        }

        result.Sort(static (a, b) =>
        {
            int c = a.Kind.CompareTo(b.Kind);
            return c != 0 ? c : string.CompareOrdinal(a.Sha256, b.Sha256);
        });
        return result;
    }

    private static string D(DateTimeOffset? d) => d is { } v ? TrustManifestLoader.Iso(v) : "none";

    private static string Purposes(bool tls, bool mail)
    {
        var sb = new StringBuilder();
        if (tls)
        {
            sb.Append("tls-server");
        }

        if (mail)
        {
            sb.Append(sb.Length > 0 ? ", email" : "email");
        }

        return sb.Length == 0 ? "none" : sb.ToString();
    }
}
