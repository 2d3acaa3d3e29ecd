using CertPolicy.Trust;

namespace CertPolicy.Validation;

/// <summary>
/// Why a chain is not compliant, one flag per failure kind; each maps to one rule of RULES.md (see
/// <see cref="Finding.Rule"/>). Values are API: never renumber.
/// </summary>
[Flags]
public enum VerdictReasons
{
    /// <summary>Compliant.</summary>
    None = 0,

    /// <summary>The input is not a usable certificate chain (R-C3).</summary>
    MalformedInput = 1 << 0,

    /// <summary>Validation itself failed; the verdict fails closed (R-C3).</summary>
    InternalError = 1 << 1,

    /// <summary>No path from the leaf to a trusted anchor (R-C3).</summary>
    UntrustedChain = 1 << 2,

    /// <summary>A path exists but a certificate on it breaks RFC 5280 (CA bit, path length, key usage, EKU, name constraints, critical extensions) (R-C3).</summary>
    InvalidChain = 1 << 3,

    /// <summary>A certificate on the path is expired or not yet valid at the validation time (R-C3).</summary>
    Expired = 1 << 4,

    /// <summary>The work budget ran out before a path was found (R-C3).</summary>
    BudgetExceeded = 1 << 5,

    /// <summary>The anchor distrusts certificates issued when the leaf was, or is not trusted for TLS (R-C3).</summary>
    DistrustedAnchor = 1 << 6,

    /// <summary>The anchor belongs to no CA of the document's annex (R-C3, R-A1; document-2019 only).</summary>
    NotAnnexCa = 1 << 7,

    /// <summary>No presented name satisfies the match list (R-C2).</summary>
    NameMismatch = 1 << 8,

    /// <summary>An EV policy is asserted but its root binding or the CAs' policies do not support it, or EV is required and absent (R-C1).</summary>
    EvNotEstablished = 1 << 9,

    /// <summary>No known validation policy: the holder's validation cannot be established (R-C4).</summary>
    NotDocumentValidated = 1 << 10,

    /// <summary>The leaf is domain validated, or (document-2019) the anchor also vouches for DV (R-C5).</summary>
    DomainValidated = 1 << 11,

    /// <summary>The subject names no organisation (R-C6).</summary>
    NoOrganization = 1 << 12,

    /// <summary>The leaf is self-signed (R-C7).</summary>
    SelfSigned = 1 << 13,

    /// <summary>The assurance is below the profile's minimum, e.g. IV where Class 3 is required (R-C8).</summary>
    AssuranceTooLow = 1 << 14,

    /// <summary>A key on the path is below the floor (R-C10).</summary>
    WeakKey = 1 << 15,

    /// <summary>A signature on the path uses MD5 or SHA-1 (R-C10).</summary>
    WeakSignature = 1 << 16,

    /// <summary>A certificate of the path breaks RFC 5280's MUSTs or the CA/B Forum certificate profiles (R-C11; strict profiles only).</summary>
    ProfileViolation = 1 << 17,

    /// <summary>A certificate of the path is revoked by a CRL the caller supplied (R-C12).</summary>
    Revoked = 1 << 18,

    /// <summary>A CRL the caller supplied for a certificate of the path cannot be used (bad signature, expired, indirect, ...): revocation status unknown, fail closed (R-C12).</summary>
    RevocationUnknown = 1 << 19,
}

/// <summary>
/// The cheap result of a validation: compliant or not, which reasons failed, and the assurance established.
/// The full report (<see cref="ValidationReport"/>) comes from the same code path on request.
/// </summary>
public readonly struct Verdict : IEquatable<Verdict>
{
    /// <summary>Creates a verdict.</summary>
    /// <param name="reasons">The failed reasons (None means compliant).</param>
    /// <param name="assurance">The assurance established (None when unknown or not evaluated).</param>
    public Verdict(VerdictReasons reasons, AssuranceLevel assurance)
    {
        Reasons = reasons;
        Assurance = assurance;
    }

    /// <summary>True when no reason failed.</summary>
    public bool IsCompliant => Reasons == VerdictReasons.None;

    /// <summary>The failed reasons.</summary>
    public VerdictReasons Reasons { get; }

    /// <summary>The assurance established for the leaf under the anchor reached.</summary>
    public AssuranceLevel Assurance { get; }

    /// <inheritdoc/>
    public bool Equals(Verdict other) => Reasons == other.Reasons && Assurance == other.Assurance;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Verdict v && Equals(v);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Reasons, Assurance);

    /// <summary>Equality.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>Whether equal.</returns>
    public static bool operator ==(Verdict left, Verdict right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>Whether different.</returns>
    public static bool operator !=(Verdict left, Verdict right) => !left.Equals(right);
}

/// <summary>One finding of a report.</summary>
/// <param name="Code">Stable code, e.g. <c>chain.expired</c> (API: never renamed).</param>
/// <param name="Rule">The rule id from RULES.md, e.g. <c>R-C3</c>.</param>
/// <param name="Depth">The certificate it concerns (0 = leaf, counting up to the anchor), or -1 for the whole input.</param>
/// <param name="Message">A human-readable explanation.</param>
/// <param name="Reason">The verdict flag this finding sets.</param>
/// <remarks>One finding type for the whole connection pipeline (<c>Evaluation.CompiledPolicy.Explain</c>): chain, names,
/// TLS floor and policy findings carry the same fields; <see cref="Status"/> says whether it failed, passed, informs or
/// could not be evaluated. Findings of the chain engine always fail.</remarks>
public sealed record Finding(string Code, string Rule, int Depth, string Message, VerdictReasons Reason)
{
    /// <summary>Failed (the default), passed, information only, or not evaluated.</summary>
    public FindingStatus Status { get; init; } = FindingStatus.Failed;
}

/// <summary>A certificate of the reported chain.</summary>
/// <param name="Depth">0 = leaf.</param>
/// <param name="Subject">The subject, RFC 2253 style.</param>
/// <param name="Sha256">Upper-case hex SHA-256 of the DER.</param>
/// <param name="IsAnchor">True for the trust anchor reached.</param>
public sealed record ChainElement(int Depth, string Subject, string Sha256, bool IsAnchor);

/// <summary>The rich result of a validation: the verdict, every finding, the chain and the matched name.</summary>
public sealed class ValidationReport
{
    internal ValidationReport(Verdict verdict, string profile, IReadOnlyList<Finding> findings, IReadOnlyList<ChainElement> chain, string? matchedName)
    {
        Verdict = verdict;
        Profile = profile;
        Findings = findings;
        Chain = chain;
        MatchedName = matchedName;
    }

    /// <summary>The verdict.</summary>
    public Verdict Verdict { get; }

    /// <summary>The profile name applied.</summary>
    public string Profile { get; }

    /// <summary>The findings, in the order they were made.</summary>
    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>The validated path (leaf to anchor) when one was built, else the presented certificates that could be read.</summary>
    public IReadOnlyList<ChainElement> Chain { get; }

    /// <summary>The presented name that satisfied the match list, or null.</summary>
    public string? MatchedName { get; }
}
