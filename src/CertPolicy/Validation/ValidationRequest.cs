using CertPolicy.Names;
using CertPolicy.Trust;

namespace CertPolicy.Validation;

/// <summary>What to validate a chain for: the profile, the time, and the reference names (R-C2).</summary>
public sealed class ValidationRequest
{
    /// <summary>The profile (default partner-2026).</summary>
    public ValidationProfile Profile { get; init; } = ValidationProfile.Partner2026;

    /// <summary>The validation time. There is no default: the library never reads the clock.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The next-hop domain (Postfix <c>nexthop</c>).</summary>
    public required string NextHop { get; init; }

    /// <summary>The MX host connected to, or null (Postfix <c>hostname</c>).</summary>
    public string? MxHost { get; init; }

    /// <summary>The match list (default: Postfix <c>secure</c>'s <c>nexthop:dot-nexthop</c>).</summary>
    public MatchList MatchList { get; init; } = MatchList.SecureDefault;

    /// <summary>
    /// What the leaf is validated for: <see cref="RootPurposes.TlsServer"/> (default: EKU serverAuth, TLS distrust-after,
    /// names per R-C2) or <see cref="RootPurposes.Email"/> (EKU emailProtection, e-mail distrust-after, anchors trusted
    /// for e-mail; the DNS name check is skipped: S/MIME names are checked by <c>Messaging.SmimeCertificateEvaluator</c>).
    /// Exactly one purpose; a combination is a caller mistake.
    /// </summary>
    public RootPurposes Purpose { get; init; } = RootPurposes.TlsServer;

    /// <summary>
    /// For <see cref="RootPurposes.TlsServer"/>: the extended key usages the leaf and its CAs must allow (default
    /// serverAuth; every flag set is required; <see cref="RequiredEku.None"/> checks no purpose, e.g. for conformance
    /// suites that ask for none). The leaf's key usage is checked for the same roles. Ignored for <see cref="RootPurposes.Email"/>.
    /// </summary>
    internal RequiredEku RequiredEku { get; init; } = RequiredEku.ServerAuth;

    /// <summary>The work limits (default: webpki's).</summary>
    internal Budget Budget { get; init; } = Budget.Default;

    /// <summary>
    /// DER certificate revocation lists supplied by the caller (R-C12); none by default. The library never fetches a CRL (no
    /// network: no CRL distribution point, AIA or OCSP look-up). Each certificate of the path below the anchor is checked
    /// against the CRLs that apply to it (issuer name, issuing distribution point; RFC 5280 6.3): a listed serial fails with
    /// <see cref="VerdictReasons.Revoked"/>; an applicable CRL that cannot be used (bad signature, expired, no CRL number,
    /// indirect, delta, unknown critical extension, issuer without cRLSign, unreadable) fails closed with
    /// <see cref="VerdictReasons.RevocationUnknown"/>. A certificate no supplied CRL applies to is not checked (the report
    /// says so) unless <see cref="RequireCrlForEveryCertificate"/> is set. At most 64 CRLs.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Crls { get; init; } = [];

    /// <summary>
    /// Complete CRL checking (like <c>openssl verify -crl_check_all</c>): when <see cref="Crls"/> is not empty, a
    /// certificate of the path below the anchor that no supplied CRL applies to fails with
    /// <see cref="VerdictReasons.RevocationUnknown"/>. Default false: such a certificate is not checked and the report notes it.
    /// Without CRLs this has no effect (no revocation checking is asked for).
    /// </summary>
    public bool RequireCrlForEveryCertificate { get; init; }
}
