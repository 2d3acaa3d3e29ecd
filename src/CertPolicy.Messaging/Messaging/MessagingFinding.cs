namespace CertPolicy.Messaging;

/// <summary>How much a <see cref="MessagingFinding"/> weighs in the verdict.</summary>
public enum FindingSeverity
{
    /// <summary>The key or certificate is not acceptable while this finding stands.</summary>
    Error = 0,

    /// <summary>Worth a reviewer's attention; does not make the key unacceptable on its own.</summary>
    Warning = 1,
}

/// <summary>
/// One result of a messaging check: a stable <see cref="Code"/> (API: never renamed), the rule it
/// enforces from RULES.md (<c>R-G1</c>, <c>R-G3</c>, <c>R-C10</c>), a human message and the key or
/// certificate it concerns.
/// </summary>
/// <param name="Code">Stable identifier such as <c>PGP-KEY-EXPIRED</c>; see <see cref="OpenPgpFindingCodes"/>.</param>
/// <param name="RuleId">The RULES.md rule id this finding enforces.</param>
/// <param name="Severity">Whether the finding makes the verdict "not acceptable".</param>
/// <param name="Message">What is wrong, in one line of English.</param>
/// <param name="Subject">Fingerprint (hex) of the key concerned, or <see langword="null"/> when the finding is about the whole input.</param>
public sealed record MessagingFinding(string Code, string RuleId, FindingSeverity Severity, string Message, string? Subject);

/// <summary>The stable codes of OpenPGP findings (public API: never renamed or reused).</summary>
public static class OpenPgpFindingCodes
{
    /// <summary>R-G3: no key in the input has the published fingerprint or key ID.</summary>
    public const string FingerprintMismatch = "PGP-FINGERPRINT-MISMATCH";

    /// <summary>R-G3: the key matched only by key ID (8 or 16 hex digits), which can be forged; compare the full fingerprint.</summary>
    public const string MatchedByKeyIdOnly = "PGP-KEYID-ONLY-MATCH";

    /// <summary>R-G3: the published value is the fingerprint of a subkey, not of the primary key.</summary>
    public const string MatchedSubkey = "PGP-MATCHED-SUBKEY";

    /// <summary>R-C10: an RSA, DSA or ElGamal key below the floor, or an elliptic curve smaller than the floor.</summary>
    public const string WeakKey = "PGP-KEY-WEAK";

    /// <summary>R-C10: an elliptic-curve key on a curve this library does not know by name.</summary>
    public const string UnknownCurve = "PGP-CURVE-UNKNOWN";

    /// <summary>R-C10: a public-key algorithm that is unknown or deprecated (ElGamal sign+encrypt, v3 keys).</summary>
    public const string DeprecatedAlgorithm = "PGP-ALGORITHM-DEPRECATED";

    /// <summary>R-C10: a self-signature the verdict relies on uses MD5 or SHA-1 (or an unknown hash).</summary>
    public const string WeakSignatureHash = "PGP-SIG-WEAK-HASH";

    /// <summary>R-G1: no usable key (primary or subkey) can encrypt: none is encryption-capable, bound, unexpired and unrevoked.</summary>
    public const string NoEncryptionKey = "PGP-NO-ENCRYPTION-KEY";

    /// <summary>R-G1: the primary key has expired at the evaluation time.</summary>
    public const string KeyExpired = "PGP-KEY-EXPIRED";

    /// <summary>R-G1: the primary key (or its first self-signature) was created after the evaluation time.</summary>
    public const string KeyNotYetValid = "PGP-KEY-NOT-YET-VALID";

    /// <summary>R-G1: the primary key carries a valid revocation signature.</summary>
    public const string KeyRevoked = "PGP-KEY-REVOKED";

    /// <summary>R-G1: a revocation signature issued by another key (designated revoker) that cannot be verified here.</summary>
    public const string RevocationUnverified = "PGP-REVOCATION-UNVERIFIED";

    /// <summary>R-G1: a signature issued by the primary key over its own user ID or subkey does not verify.</summary>
    public const string SelfSignatureInvalid = "PGP-SELFSIG-INVALID";

    /// <summary>R-G1: no valid self-certification binds any user ID (or a direct-key signature) to the primary key.</summary>
    public const string NoValidSelfSignature = "PGP-NO-SELFSIG";

    /// <summary>R-G1: a subkey has no valid binding signature, or is expired or revoked, and is ignored.</summary>
    public const string SubkeyUnusable = "PGP-SUBKEY-UNUSABLE";

    /// <summary>R-G1: no valid, unrevoked user ID has an e-mail address in the partner domain.</summary>
    public const string UserIdDomainMismatch = "PGP-UID-DOMAIN-MISMATCH";

    /// <summary>R-G1: the key carries signatures (version 5 or 6) that cannot be verified with BouncyCastle 2.7.0; fail closed.</summary>
    public const string UnsupportedSignature = "PGP-SIG-UNSUPPORTED";

    /// <summary>R-C10: a key's RSA modulus or DSA/ElGamal prime exceeds 16384 bits, or its RSA exponent is even or at least 2^32; no signature was verified.</summary>
    public const string KeyParametersOutOfBounds = "PGP-KEY-PARAMETERS";

    /// <summary>R-G1: the key carries more self-signatures than are verified per key (256); the rest were not checked (fail closed).</summary>
    public const string SignatureBudgetExceeded = "PGP-SIG-BUDGET-EXCEEDED";

    /// <summary>R-G1: the evaluation itself failed on this key (fail closed: the key is not acceptable).</summary>
    public const string InternalError = "PGP-INTERNAL-ERROR";
}
