using CertPolicy.Validation;

namespace CertPolicy.Messaging;

/// <summary>What the partner's S/MIME certificate must be fit for (RFC 8550 4.4.2). Values are API: never renumber.</summary>
[Flags]
public enum SmimeUsage
{
    /// <summary>No key usage requirement.</summary>
    None = 0,

    /// <summary>Encrypting to the partner (R-G1): keyEncipherment for RSA, keyAgreement for EC.</summary>
    Encryption = 1,

    /// <summary>Verifying the partner's signatures: digitalSignature.</summary>
    Signing = 2,
}

/// <summary>The validation type of a CA/Browser Forum S/MIME policy OID <c>2.23.140.1.5.T.G</c> (S/MIME BR 7.1.6.1). Values are API.</summary>
public enum SmimeValidationType
{
    /// <summary>No CA/B Forum S/MIME policy OID (a pre-2023 or privately issued certificate).</summary>
    None = 0,

    /// <summary><c>2.23.140.1.5.1.*</c>: mailbox control only (an e-mail robot, cf. R-C4).</summary>
    MailboxValidated = 1,

    /// <summary><c>2.23.140.1.5.2.*</c>: organization-validated.</summary>
    OrganizationValidated = 2,

    /// <summary><c>2.23.140.1.5.3.*</c>: sponsor-validated (an individual affiliated with a validated organization).</summary>
    SponsorValidated = 3,

    /// <summary><c>2.23.140.1.5.4.*</c>: individual-validated.</summary>
    IndividualValidated = 4,
}

/// <summary>The profile generation of a CA/Browser Forum S/MIME policy OID <c>2.23.140.1.5.T.G</c>. Values are API.</summary>
public enum SmimeGeneration
{
    /// <summary>No CA/B Forum S/MIME policy OID.</summary>
    None = 0,

    /// <summary><c>.1</c> legacy (one CA's CPS says the legacy generation was sunset on 2025-07-15; secondary source, ca-facts.md 3.1).</summary>
    Legacy = 1,

    /// <summary><c>.2</c> multipurpose.</summary>
    Multipurpose = 2,

    /// <summary><c>.3</c> strict.</summary>
    Strict = 3,
}

/// <summary>What to check an S/MIME certificate for: the partner domain, optionally one mailbox, the time and the profile.</summary>
public sealed class SmimeRequest
{
    /// <summary>The partner's mail domain (ASCII; compared case-insensitively, no IDNA mapping).</summary>
    public required string Domain { get; init; }

    /// <summary>One mailbox that must be bound (user certificate, R-E1), or null to accept any binding to <see cref="Domain"/>. Must lie in <see cref="Domain"/>.</summary>
    public string? Address { get; init; }

    /// <summary>The evaluation time. No default: the library never reads the clock.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>
    /// The chain rules: the key and signature floors (R-C10) and distrust-after of the profile are applied for the
    /// e-mail purpose; its TLS assurance rules (EV/OV, organisation, annex CAs) are not (S/MIME has its own policy OIDs).
    /// </summary>
    public ValidationProfile Profile { get; init; } = ValidationProfile.Partner2026;

    /// <summary>Required key usage (default: encryption, what a gateway needs to encrypt to the partner, R-G1).</summary>
    public SmimeUsage Usage { get; init; } = SmimeUsage.Encryption;

    /// <summary>Warn when the leaf expires within this many days (default 30; 0 disables the warning).</summary>
    public int ExpiryWarningDays { get; init; } = 30;

    /// <summary>Refuse mailbox-validated certificates (R-C4: never validated by an e-mail robot). On for document-2019 in the CLI.</summary>
    public bool RefuseMailboxValidated { get; init; }
}

/// <summary>The result of an S/MIME certificate evaluation.</summary>
public sealed class SmimeReport
{
    internal SmimeReport(DateTimeOffset evaluatedAt, string profile, IReadOnlyList<MessagingFinding> findings, bool inputUnusable)
    {
        EvaluatedAt = evaluatedAt;
        Profile = profile;
        Findings = findings;
        InputUnusable = inputUnusable;
    }

    /// <summary>True when no finding has <see cref="FindingSeverity.Error"/>.</summary>
    public bool IsAcceptable
    {
        get
        {
            foreach (var f in Findings)
            {
                if (f.Severity == FindingSeverity.Error)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>True when the input held no end-entity certificate to evaluate (the CLI's exit 2).</summary>
    public bool InputUnusable { get; }

    /// <summary>The evaluation time.</summary>
    public DateTimeOffset EvaluatedAt { get; }

    /// <summary>The profile name applied.</summary>
    public string Profile { get; }

    /// <summary>Every finding, in the order made.</summary>
    public IReadOnlyList<MessagingFinding> Findings { get; }

    /// <summary>The leaf's subject (RFC 2253 style), or null.</summary>
    public string? LeafSubject { get; internal set; }

    /// <summary>Upper-case hex SHA-256 of the leaf, or null.</summary>
    public string? LeafSha256 { get; internal set; }

    /// <summary>The leaf's notAfter, or null.</summary>
    public DateTimeOffset? NotAfter { get; internal set; }

    /// <summary>The name that bound the request (a mailbox, <c>*@domain</c> or a bare domain), or null.</summary>
    public string? MatchedName { get; internal set; }

    /// <summary>True when the leaf is a domain certificate (it covers every mailbox of the domain).</summary>
    public bool IsDomainCertificate { get; internal set; }

    /// <summary>The CA/B Forum S/MIME validation type asserted by the leaf.</summary>
    public SmimeValidationType ValidationType { get; internal set; }

    /// <summary>The CA/B Forum S/MIME profile generation asserted by the leaf.</summary>
    public SmimeGeneration Generation { get; internal set; }

    /// <summary>The path (leaf to anchor) the chain validator built, or the readable presented certificates.</summary>
    public IReadOnlyList<ChainElement> Chain { get; internal set; } = [];
}

/// <summary>
/// The stable codes of S/MIME findings (public API: never renamed or reused). Chain findings of
/// <see cref="ChainValidator"/> not listed here are reported as <c>SMIME-</c> plus the validator's code in upper case
/// with dots as hyphens (e.g. <c>chain.not-ca</c> becomes <c>SMIME-CHAIN-NOT-CA</c>); those codes are API too.
/// </summary>
public static class SmimeFindingCodes
{
    /// <summary>Input: no certificate could be read.</summary>
    public const string NoCertificate = "SMIME-NO-CERTIFICATE";

    /// <summary>Input: every certificate is a CA; there is no end-entity certificate.</summary>
    public const string NoEndEntity = "SMIME-NO-END-ENTITY";

    /// <summary>Warning: several end-entity certificates; the first that binds the request was evaluated.</summary>
    public const string SeveralEndEntities = "SMIME-SEVERAL-END-ENTITIES";

    /// <summary>R-G1: no path to an anchor trusted for e-mail (validator <c>chain.untrusted</c>).</summary>
    public const string Untrusted = "SMIME-CHAIN-UNTRUSTED";

    /// <summary>R-G1: a certificate of the path is expired (validator <c>chain.expired</c>).</summary>
    public const string Expired = "SMIME-CHAIN-EXPIRED";

    /// <summary>R-G1: a certificate of the path is not yet valid (validator <c>chain.not-yet-valid</c>).</summary>
    public const string NotYetValid = "SMIME-CHAIN-NOT-YET-VALID";

    /// <summary>R-G1: the anchor is not trusted for e-mail (validator <c>trust.not-for-email</c>).</summary>
    public const string AnchorNotForEmail = "SMIME-TRUST-NOT-FOR-EMAIL";

    /// <summary>R-G1: the leaf was issued after the anchor's e-mail distrust-after date (validator <c>trust.distrusted-after</c>).</summary>
    public const string DistrustedAfter = "SMIME-TRUST-DISTRUSTED-AFTER";

    /// <summary>R-C10: a key of the path is below the floor (validator <c>key.too-weak</c>).</summary>
    public const string WeakKey = "SMIME-KEY-TOO-WEAK";

    /// <summary>R-C10: a certificate of the path is signed with MD5 or SHA-1 (validator <c>signature.weak-hash</c>).</summary>
    public const string WeakSignature = "SMIME-SIGNATURE-WEAK-HASH";

    /// <summary>R-G1: the leaf has no extKeyUsage, or one without emailProtection (RFC 8550 4.4.4, S/MIME BR 7.1.2.3).</summary>
    public const string EkuNotEmail = "SMIME-EKU-NOT-EMAIL";

    /// <summary>R-G1: the key usage does not allow encryption (keyEncipherment for RSA, keyAgreement for EC).</summary>
    public const string KeyUsageEncryption = "SMIME-KEY-USAGE-ENCRYPTION";

    /// <summary>R-G1: the key usage does not allow signing (digitalSignature).</summary>
    public const string KeyUsageSigning = "SMIME-KEY-USAGE-SIGNING";

    /// <summary>Warning: no keyUsage extension (RFC 5280 allows every use; S/MIME BR requires the extension).</summary>
    public const string KeyUsageAbsent = "SMIME-KEY-USAGE-ABSENT";

    /// <summary>R-G1: no rfc822Name (or legacy emailAddress / domain-certificate name) binds the mailbox or domain.</summary>
    public const string NameMismatch = "SMIME-NAME-MISMATCH";

    /// <summary>Warning: the binding came from the legacy subject emailAddress attribute (no rfc822Name SAN; RFC 5280 4.1.2.6).</summary>
    public const string LegacyEmailAttribute = "SMIME-LEGACY-EMAIL-ATTRIBUTE";

    /// <summary>Warning (R-E1): a domain certificate answers a request for one mailbox; secret information needs the recipient's personal certificate.</summary>
    public const string DomainCertificateForMailbox = "SMIME-DOMAIN-CERT-FOR-MAILBOX";

    /// <summary>Warning: the leaf asserts no CA/B Forum S/MIME policy OID (2.23.140.1.5.*).</summary>
    public const string NoSmimePolicy = "SMIME-POLICY-NONE";

    /// <summary>Warning: the leaf asserts several CA/B Forum S/MIME policy OIDs (the S/MIME BR allow exactly one).</summary>
    public const string SeveralSmimePolicies = "SMIME-POLICY-SEVERAL";

    /// <summary>R-C4: mailbox-validated (2.23.140.1.5.1.*) where the profile requires holder validation.</summary>
    public const string MailboxValidated = "SMIME-POLICY-MAILBOX-VALIDATED";

    /// <summary>Warning: the leaf expires within the horizon ("expires in N days").</summary>
    public const string ExpiresSoon = "SMIME-EXPIRES-SOON";

    /// <summary>R-G1: the names of the leaf cannot be read.</summary>
    public const string NamesMalformed = "SMIME-NAMES-MALFORMED";

    /// <summary>The evaluation itself failed (fail closed: not acceptable).</summary>
    public const string InternalError = "SMIME-INTERNAL-ERROR";
}
