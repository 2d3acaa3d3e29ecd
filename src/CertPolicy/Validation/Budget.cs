namespace CertPolicy.Validation;

/// <summary>
/// Bounds the work one validation may do (STYLE.md; CVE-2018-16875 class of path-building denial of service).
/// Passed by <c>ref</c> through the path search; a spent budget ends the search with
/// <see cref="VerdictReasons.BudgetExceeded"/>. The defaults are rustls/webpki's (src/verify_cert.rs, <c>Budget::default</c>).
/// </summary>
internal struct Budget
{
    /// <summary>webpki: 100 signature verifications per validation.</summary>
    public const int DefaultSignatures = 100;

    /// <summary>webpki: 200 000 path-building calls (here: issuer candidates considered).</summary>
    public const int DefaultCandidates = 200_000;

    /// <summary>webpki: 250 000 name-constraint comparisons.</summary>
    public const int DefaultNameConstraintComparisons = 250_000;

    /// <summary>Creates a budget with explicit limits.</summary>
    /// <param name="signatures">Signature verifications allowed.</param>
    /// <param name="candidates">Issuer candidates that may be considered.</param>
    /// <param name="nameConstraintComparisons">Name-constraint comparisons allowed.</param>
    public Budget(int signatures, int candidates, int nameConstraintComparisons)
    {
        Signatures = signatures;
        Candidates = candidates;
        NameConstraintComparisons = nameConstraintComparisons;
    }

    /// <summary>The webpki defaults.</summary>
    public static Budget Default => new(DefaultSignatures, DefaultCandidates, DefaultNameConstraintComparisons);

    /// <summary>Signature verifications left.</summary>
    public int Signatures { get; private set; }

    /// <summary>Issuer candidates left.</summary>
    public int Candidates { get; private set; }

    /// <summary>Name-constraint comparisons left.</summary>
    public int NameConstraintComparisons { get; private set; }

    internal bool TryConsumeSignature() => Signatures-- > 0;

    internal bool TryConsumeCandidate() => Candidates-- > 0;

    internal bool TryConsumeNameConstraint() => NameConstraintComparisons-- > 0;
}
