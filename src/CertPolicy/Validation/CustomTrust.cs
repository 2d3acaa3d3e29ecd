using System.Globalization;
using CertPolicy.Trust;

namespace CertPolicy.Validation;

/// <summary>
/// Builds a <see cref="TrustStore"/> from caller-supplied anchors instead of the curated manifest (the CLI's
/// <c>--roots</c>; tests). The anchors are trusted for TLS server authentication (or what <see cref="CustomAnchor.Purposes"/> says); their OID table is the four
/// CA/Browser Forum TLS policies (EV 2.23.140.1.1, DV .2.1, OV .2.2, IV .2.3) plus the given EV OIDs, every one of
/// them bound to every anchor. Does not review the anchors (R-C9 is the curated manifest's job).
/// </summary>
public static class CustomTrust
{
    /// <summary>Creates the store with the same EV OIDs, distrust date and annex membership for every anchor.</summary>
    /// <param name="anchors">Anchor certificates (DER).</param>
    /// <param name="evOids">Dotted EV policy OIDs bound to every anchor.</param>
    /// <param name="distrustAfterTls">A distrust-after date applied to every anchor, or null.</param>
    /// <param name="annexCa">The annex 7.1 CA the anchors count as (document-2019), or null for none.</param>
    /// <param name="store">The store, or null.</param>
    /// <param name="error">Why an anchor is unusable, or null.</param>
    /// <returns>True when every anchor was read.</returns>
    public static bool TryCreate(IEnumerable<ReadOnlyMemory<byte>> anchors, IEnumerable<string> evOids, DateTimeOffset? distrustAfterTls, string? annexCa, out TrustStore? store, out string? error)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(evOids);
        var ev = new List<string>(evOids);
        var list = new List<CustomAnchor>();
        foreach (var a in anchors)
        {
            list.Add(new CustomAnchor(a, ev, distrustAfterTls, annexCa));
        }

        return TryCreate(list, out store, out error);
    }

    /// <summary>Creates the store from anchors that each carry their own EV OIDs, distrust date and annex membership.</summary>
    /// <param name="anchors">The anchors.</param>
    /// <param name="store">The store, or null.</param>
    /// <param name="error">Why an anchor is unusable, or null.</param>
    /// <returns>True when every anchor was read.</returns>
    internal static bool TryCreate(IEnumerable<CustomAnchor> anchors, out TrustStore? store, out string? error)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        store = null;
        var oids = new List<PolicyOid>
        {
            Oid("2.23.140.1.1", "ev", AssuranceLevel.Ev),
            Oid("2.23.140.1.2.1", "dv", AssuranceLevel.Dv),
            Oid("2.23.140.1.2.2", "ov", AssuranceLevel.Ov),
            Oid("2.23.140.1.2.3", "iv", AssuranceLevel.Iv),
        };
        var roots = new List<TrustRoot>();
        int n = 0;
        foreach (var anchor in anchors)
        {
            n++;
            var ev = new List<string> { "2.23.140.1.1" };
            foreach (var o in anchor.EvOids)
            {
                if (!IsDottedOid(o))
                {
                    error = "\"" + o + "\" is not a dotted OID";
                    return false;
                }

                if (!oids.Exists(p => p.Oid == o))
                {
                    oids.Add(Oid(o, "ev", AssuranceLevel.Ev));
                }

                ev.Add(o);
            }

            if (!RootCertificate.TryParse(anchor.Der.Span, out var cert, out var why))
            {
                error = "anchor " + n.ToString(CultureInfo.InvariantCulture) + ": " + why;
                return false;
            }

            roots.Add(new TrustRoot
            {
                Sha256 = cert!.Sha256Hex,
                Label = "custom anchor " + n.ToString(CultureInfo.InvariantCulture),
                Subject = cert.Subject,
                NotBefore = cert.NotBefore,
                NotAfter = cert.NotAfter,
                Key = cert.KeyDescription,
                Purposes = anchor.Purposes,
                EvOids = ev,
                Assurance = anchor.Assurance ?? (AssuranceLevel.Ev | AssuranceLevel.Ov | AssuranceLevel.Iv),
                DistrustAfterTls = anchor.DistrustAfterTls,
                DistrustAfterEmail = anchor.DistrustAfterEmail,
                Status = RootStatus.Active,
                Bundle = BundleDecision.Include,
                SeedCas = anchor.AnnexCa is null ? [] : [anchor.AnnexCa],
                Role = "custom",
                Source = "caller-supplied anchors",
                Reason = "given by the caller",
                Certificate = cert,
            });
        }

        if (roots.Count == 0)
        {
            error = "no anchor certificate";
            return false;
        }

        var manifest = new TrustManifest("custom anchors", default, 0, 0, oids, [], roots, []);
        store = new TrustStore(manifest);
        error = null;
        return true;
    }

    private static PolicyOid Oid(string oid, string meaning, AssuranceLevel level) =>
        new() { Oid = oid, Meaning = meaning, Assurance = level, Owner = "caller", Description = meaning, Source = "custom" };

    private static bool IsDottedOid(string s)
    {
        if (s.Length == 0 || s.Length > 200)
        {
            return false;
        }

        int arcs = 0;
        bool digit = false;
        foreach (char c in s)
        {
            if (c == '.')
            {
                if (!digit)
                {
                    return false;
                }

                digit = false;
                arcs++;
            }
            else if (c is >= '0' and <= '9')
            {
                digit = true;
            }
            else
            {
                return false;
            }
        }

        return digit && arcs >= 1;
    }
}

/// <summary>A caller-supplied anchor for <see cref="CustomTrust"/>.</summary>
/// <param name="Der">The anchor certificate DER.</param>
/// <param name="EvOids">Dotted EV policy OIDs bound to this anchor (2.23.140.1.1 is always bound).</param>
/// <param name="DistrustAfterTls">Distrust-after date for TLS server certificates, or null.</param>
/// <param name="AnnexCa">The annex 7.1 CA this anchor counts as, or null.</param>
/// <param name="Assurance">The levels the anchor vouches for (default EV, OV and IV; include DV for an anchor that also issues DV, R-C5).</param>
/// <param name="Purposes">What the anchor is trusted for (default TLS server authentication only; S/MIME needs <see cref="RootPurposes.Email"/>).</param>
/// <param name="DistrustAfterEmail">Distrust-after date for e-mail (S/MIME) certificates, or null.</param>
internal sealed record CustomAnchor(ReadOnlyMemory<byte> Der, IReadOnlyList<string> EvOids, DateTimeOffset? DistrustAfterTls = null, string? AnnexCa = null, AssuranceLevel? Assurance = null,
    RootPurposes Purposes = RootPurposes.TlsServer, DateTimeOffset? DistrustAfterEmail = null);
