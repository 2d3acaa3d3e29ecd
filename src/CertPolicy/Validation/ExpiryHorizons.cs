using System.Globalization;
using System.Security.Cryptography;
using CertPolicy.Trust;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>
/// <c>--warn-days N</c> (issue 13 item 6): what will stop working within N days although it passes today. Warnings, never
/// failures: a certificate of the chain whose notAfter falls within the window (RFC 5280 4.1.2.5), and, for the anchor reached,
/// a root-program distrust-after date (root programs refuse certificates issued after it: a renewal from that CA will fail)
/// or the manifest's TLS sunset (the root program's removal date for the root) within the window. Dates already past are not
/// repeated here: the chain check reports them as failures. Allocates (an explain path, not the verdict path).
/// </summary>
internal static class ExpiryHorizons
{
    /// <summary>The stable code of "a certificate of the chain expires within the window".</summary>
    internal const string ExpiresSoonCode = "expiry.soon";

    /// <summary>The stable code of "the anchor's distrust-after or sunset date falls within the window".</summary>
    internal const string DistrustSoonCode = "trust.distrust-soon";

    /// <summary>The largest accepted window (ten years).</summary>
    internal const int MaxDays = 3650;

    /// <summary>
    /// The warnings for a validated (or presented) chain. <paramref name="path"/> is the report's chain (leaf first, the anchor
    /// marked); its elements are matched to <paramref name="presented"/> and to the store's roots by SHA-256.
    /// </summary>
    /// <param name="store">The trust store whose roots give the anchor's dates.</param>
    /// <param name="presented">The DER certificates as presented.</param>
    /// <param name="path">The report's chain elements.</param>
    /// <param name="purpose">TLS (R-C3) or e-mail (R-G1): which distrust date applies and which rule the warnings name.</param>
    /// <param name="time">The validation time.</param>
    /// <param name="days">The window in days (1..3650); 0 gives no warnings.</param>
    /// <param name="includeLeaf">False when the caller already warns about the leaf's own expiry.</param>
    /// <returns>The warnings as findings with <see cref="VerdictReasons.None"/> and <see cref="FindingStatus.Info"/>.</returns>
    internal static List<Finding> Find(TrustStore store, IReadOnlyList<ReadOnlyMemory<byte>> presented, IReadOnlyList<ChainElement> path, RootPurposes purpose, DateTimeOffset time, int days, bool includeLeaf = true)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(presented);
        ArgumentNullException.ThrowIfNull(path);
        var warnings = new List<Finding>();
        if (days <= 0)
        {
            return warnings;
        }

        var horizon = time.AddDays(Math.Min(days, MaxDays));
        bool email = purpose == RootPurposes.Email;
        string rule = email ? "R-G1" : "R-C3";
        var byHash = new Dictionary<string, CertificateView>(StringComparer.OrdinalIgnoreCase);
        foreach (var der in presented)
        {
            if (CertificateView.TryParse(der, out var view, out _))
            {
                byHash.TryAdd(Convert.ToHexString(SHA256.HashData(der.Span)), view);
            }
        }

        foreach (var e in path)
        {
            if (e.Depth == 0 && !includeLeaf)
            {
                continue;
            }

            string who = (e.Depth == 0 ? "the leaf" : e.IsAnchor ? "the anchor" : "certificate " + e.Depth.ToString(CultureInfo.InvariantCulture)) + " (" + e.Subject + ")";
            TrustRoot? root = e.IsAnchor && e.Sha256.Length == 64 ? store.FindBySha256(Convert.FromHexString(e.Sha256)) : null;
            DateTimeOffset? notAfter = byHash.TryGetValue(e.Sha256, out var c) ? c.NotAfter : root?.NotAfter;

            // RFC 5280 4.1.2.5: notAfter is the last instant of validity.
            if (notAfter is { } na && na > time && na <= horizon)
            {
                warnings.Add(Warning(ExpiresSoonCode, rule, e.Depth, who + " expires " + Iso(na) + ", in " + DaysUntil(time, na) + " (--warn-days " + Days(days) + ")"));
            }

            if (root is null)
            {
                continue;
            }

            // R-C3 / R-G1 with the root programs' dates: certificates issued after distrust-after are refused, so the next
            // renewal from this CA fails although the present certificate (issued before) stays trusted.
            var distrust = email ? root.DistrustAfterEmail : root.DistrustAfterTls;
            if (distrust is { } d && d > time && d <= horizon)
            {
                warnings.Add(Warning(DistrustSoonCode, rule, e.Depth, "the anchor \"" + root.Label + "\" is distrusted for " + (email ? "e-mail" : "TLS") + " certificates issued after " + Iso(d) + ", in " + DaysUntil(time, d) + ": a certificate renewed from this CA after that date will fail (--warn-days " + Days(days) + ")"));
            }

            if (!email && root.TlsSunset is { } s && s > time && s <= horizon)
            {
                warnings.Add(Warning(DistrustSoonCode, rule, e.Depth, "the anchor \"" + root.Label + "\" leaves the root programs' TLS trust on " + Iso(s) + ", in " + DaysUntil(time, s) + ": every certificate chaining to it will fail then (--warn-days " + Days(days) + ")"));
            }
        }

        return warnings;
    }

    private static Finding Warning(string code, string rule, int depth, string message) =>
        new(code, rule, depth, message, VerdictReasons.None) { Status = FindingStatus.Info };

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Days(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string DaysUntil(DateTimeOffset from, DateTimeOffset to)
    {
        int n = (int)Math.Floor((to - from).TotalDays);
        return n == 0 ? "less than a day" : n == 1 ? "1 day" : Days(n) + " days";
    }
}
