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
    public RequiredEku RequiredEku { get; init; } = RequiredEku.ServerAuth;

    /// <summary>The work limits (default: webpki's).</summary>
    public Budget Budget { get; init; } = Budget.Default;

    /// <summary>DER certificate revocation lists supplied by the caller (R-C12); none by default. The library never fetches a CRL.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Crls { get; init; } = [];
}
