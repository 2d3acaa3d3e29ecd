using System.Globalization;
using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace CertPolicy.Messaging;

/// <summary>The verdict on an OpenPGP key offered for gateway encryption (R-G1, R-G3, R-C10).</summary>
public sealed class OpenPgpKeyReport
{
    internal OpenPgpKeyReport(PublishedKeyIdentifier published, DateTimeOffset evaluatedAt, IReadOnlyList<OpenPgpCertificate> certificates,
        OpenPgpCertificate? matched, OpenPgpKeyInfo? matchedKey, OpenPgpKeyInfo? encryptionKey, DateTimeOffset? expiresAt, IReadOnlyList<MessagingFinding> findings)
    {
        Published = published;
        EvaluatedAt = evaluatedAt;
        Certificates = certificates;
        MatchedCertificate = matched;
        MatchedKey = matchedKey;
        EncryptionKey = encryptionKey;
        ExpiresAt = expiresAt;
        Findings = findings;
        bool ok = true;
        foreach (MessagingFinding f in findings)
        {
            ok &= f.Severity != FindingSeverity.Error;
        }

        IsAcceptable = ok;
    }

    /// <summary>True when no finding of severity <see cref="FindingSeverity.Error"/> was raised.</summary>
    public bool IsAcceptable { get; }

    /// <summary>Every finding, errors and warnings, in the order the checks ran.</summary>
    public IReadOnlyList<MessagingFinding> Findings { get; }

    /// <summary>The published fingerprint or key ID the keys were compared with.</summary>
    public PublishedKeyIdentifier Published { get; }

    /// <summary>The evaluation time (a parameter: the library never reads the clock).</summary>
    public DateTimeOffset EvaluatedAt { get; }

    /// <summary>Every key in the input.</summary>
    public IReadOnlyList<OpenPgpCertificate> Certificates { get; }

    /// <summary>The key whose fingerprint (or key ID) matched the published value, if any.</summary>
    public OpenPgpCertificate? MatchedCertificate { get; }

    /// <summary>The primary key or subkey that matched, if any.</summary>
    public OpenPgpKeyInfo? MatchedKey { get; }

    /// <summary>The key a sender would encrypt to (the newest usable encryption subkey, else the primary), if any.</summary>
    public OpenPgpKeyInfo? EncryptionKey { get; }

    /// <summary>When the matched primary key expires according to its newest valid self-signature; <see langword="null"/> if never or unknown.</summary>
    public DateTimeOffset? ExpiresAt { get; }
}

/// <summary>
/// Judges OpenPGP public keys against a published fingerprint and the key floors (R-G3, R-G1,
/// R-C10). Verifies every self-signature (user ID certifications, direct-key signatures, subkey
/// bindings and revocations issued by the primary key) with BouncyCastle. Time is a parameter.
/// Does not: verify third-party certifications or the web of trust, verify revocations issued
/// by designated revokers (reported as a warning), check primary-key back-signatures of signing
/// subkeys (irrelevant for encryption), map IDNA domains, or fetch keys or revocations from key servers.
/// </summary>
public static class OpenPgpKeyEvaluator
{
    private const int KeyFlagEncryptCommunications = 0x04;
    private const int KeyFlagEncryptStorage = 0x08;

    /// <summary>
    /// Evaluates the keys read by <see cref="OpenPgpKeyReader"/>. Never throws on key data (a
    /// failure inside the checks becomes a <see cref="OpenPgpFindingCodes.InternalError"/> finding).
    /// Not thread-safe for the same <paramref name="certificates"/>: BouncyCastle keeps verifier state
    /// in each signature object, so evaluate one file's keys from one thread at a time.
    /// </summary>
    /// <param name="certificates">The keys from one file.</param>
    /// <param name="published">The fingerprint or key ID the partner published (R-G3).</param>
    /// <param name="at">The evaluation time (expiry, revocation and signature times are judged at this instant).</param>
    /// <param name="partnerDomain">When given, a valid user ID must have an e-mail address in this domain (exact match, ASCII case-insensitive, no subdomains).</param>
    /// <param name="policy">Floors; <see cref="OpenPgpKeyPolicy.Default"/> when <see langword="null"/>.</param>
    /// <returns>The verdict with every finding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificates"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="published"/> is the default value.</exception>
    public static OpenPgpKeyReport Evaluate(IReadOnlyList<OpenPgpCertificate> certificates, PublishedKeyIdentifier published, DateTimeOffset at,
        string? partnerDomain = null, OpenPgpKeyPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        if (published.Hex is null)
        {
            throw new ArgumentException("A published fingerprint or key ID is required (R-G3).", nameof(published));
        }

        policy ??= OpenPgpKeyPolicy.Default;
        policy.Validate();
        string? domain = NormalizeDomain(partnerDomain);
        var findings = new List<MessagingFinding>();

        OpenPgpCertificate? matched = null;
        OpenPgpKeyInfo? matchedKey = null;
        foreach (OpenPgpCertificate c in certificates)
        {
            if (published.Matches(c.Primary))
            {
                (matched, matchedKey) = (c, c.Primary);
                break;
            }

            foreach (OpenPgpKeyInfo s in c.Subkeys)
            {
                if (published.Matches(s))
                {
                    (matched, matchedKey) = (c, s);
                    break;
                }
            }

            if (matched is not null)
            {
                break;
            }
        }

        OpenPgpKeyInfo? encryptionKey = null;
        DateTimeOffset? expiresAt = null;
        if (matched is null)
        {
            // R-G3 (RULES.md): a key is used only if its fingerprint matches the published one.
            var present = new StringBuilder();
            foreach (OpenPgpCertificate c in certificates)
            {
                present.Append(present.Length == 0 ? string.Empty : ", ").Append(Group(c.Fingerprint));
                if (c.UserIds.Count > 0)
                {
                    present.Append(" \"").Append(c.UserIds[0]).Append('"');
                }
            }

            findings.Add(new MessagingFinding(OpenPgpFindingCodes.FingerprintMismatch, "R-G3", FindingSeverity.Error,
                "no key has the published " + KindText(published.Kind) + " " + published + "; the file holds "
                + certificates.Count.ToString(CultureInfo.InvariantCulture) + " key(s): " + present, null));
            foreach (OpenPgpCertificate c in certificates)
            {
                _ = CheckCertificateFailClosed(c, at, domain, policy, findings, out _, out _);
            }
        }
        else
        {
            if (!published.IsFingerprint)
            {
                // R-G3: key IDs collide by construction (32-bit IDs are forged in seconds).
                findings.Add(new MessagingFinding(OpenPgpFindingCodes.MatchedByKeyIdOnly, "R-G3", FindingSeverity.Warning,
                    "the key matches only the published " + KindText(published.Kind) + " " + published
                    + "; compare the full fingerprint " + Group(matched.Fingerprint), matched.Fingerprint));
            }

            if (matchedKey is not null && !matchedKey.IsPrimary)
            {
                findings.Add(new MessagingFinding(OpenPgpFindingCodes.MatchedSubkey, "R-G3", FindingSeverity.Warning,
                    "the published value names subkey " + Group(matchedKey.Fingerprint) + " of key " + Group(matched.Fingerprint), matched.Fingerprint));
            }

            _ = CheckCertificateFailClosed(matched, at, domain, policy, findings, out encryptionKey, out expiresAt);
        }

        return new OpenPgpKeyReport(published, at, certificates, matched, matchedKey, encryptionKey, expiresAt, findings);
    }

    // DESIGN.md "Verdicts": validation fails closed; an exception becomes a finding, never an escape.
    private static bool CheckCertificateFailClosed(OpenPgpCertificate cert, DateTimeOffset at, string? domain, OpenPgpKeyPolicy policy,
        List<MessagingFinding> findings, out OpenPgpKeyInfo? encryptionKey, out DateTimeOffset? expiresAt)
    {
        try
        {
            return CheckCertificate(cert, at, domain, policy, findings, out encryptionKey, out expiresAt);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            encryptionKey = null;
            expiresAt = null;
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.InternalError, "R-G1", FindingSeverity.Error,
                "the key could not be evaluated (a packet or value it needs is damaged)", cert.Fingerprint));
            return false;
        }
    }

    private static bool CheckCertificate(OpenPgpCertificate cert, DateTimeOffset atOffset, string? domain, OpenPgpKeyPolicy policy,
        List<MessagingFinding> findings, out OpenPgpKeyInfo? encryptionKey, out DateTimeOffset? expiresAt)
    {
        int before = findings.Count;
        encryptionKey = null;
        expiresAt = null;
        DateTime at = atOffset.UtcDateTime;
        PgpPublicKey primary = cert.Primary.Key;
        string fp = cert.Fingerprint;
        var weakHashes = new List<string>();

        CheckStrength(cert.Primary, policy, findings, fp);

        // Issue 14, bounded work (OpenPgpLimits: GnuPG's MPI limit, an odd RSA exponent below 2^32): checked before any
        // signature is verified, so an oversized key costs no verification at all.
        if (OpenPgpLimits.CheckKeyParameters(cert) is { } outOfBounds)
        {
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.KeyParametersOutOfBounds, "R-C10", FindingSeverity.Error,
                outOfBounds + "; no signature of this key was verified", fp));
            return false;
        }

        var budget = new SignatureBudget(OpenPgpLimits.MaxSignatureVerifications);
        if (cert.UnsupportedSignatureCount > 0)
        {
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.UnsupportedSignature, "R-G1", FindingSeverity.Error,
                cert.UnsupportedSignatureCount.ToString(CultureInfo.InvariantCulture) + " signature(s) of version 5 or 6 cannot be verified"
                + " (BouncyCastle 2.7.0 reads v6 keys but not v6 signatures): self-signatures, bindings and revocations are unknown", fp));
        }

        // R-G1 (RULES.md): the partner's key must be certified by its owner. Self-certifications over
        // user IDs (RFC 9580 5.2.1 types 0x10..0x13, revoked by 0x30).
        var selfCerts = new List<PgpSignature>();
        var validUids = new List<string>();
        foreach (byte[] rawUid in primary.GetRawUserIds())
        {
            string uid = OpenPgpCertificate.UserIdText(rawUid);
            PgpSignature? latest = null;
            PgpSignature? revocation = null;
            foreach (PgpSignature sig in primary.GetSignaturesForId(rawUid) ?? [])
            {
                if (!IsIssuedBy(sig, cert.Primary))
                {
                    continue; // third-party certification: not judged here
                }

                int type = sig.SignatureType;
                bool isCert = type is >= 0x10 and <= 0x13;
                if (!isCert && type != 0x30)
                {
                    continue;
                }

                string what = (isCert ? "self-certification" : "certification revocation") + " of user ID \"" + uid + "\"";
                if (!Verify(sig, primary, s => VerifyUserId(s, primary, rawUid), what, findings, fp, budget) || !IsInForce(sig, at))
                {
                    continue;
                }

                if (isCert && (latest is null || sig.CreationTime > latest.CreationTime))
                {
                    latest = sig;
                }
                else if (!isCert && (revocation is null || sig.CreationTime > revocation.CreationTime))
                {
                    revocation = sig;
                }
            }

            if (latest is not null && (revocation is null || revocation.CreationTime < latest.CreationTime))
            {
                validUids.Add(uid);
                selfCerts.Add(latest);
            }
        }

        // Direct-key signatures (0x1F) and key revocations (0x20) sit right after the key packet.
        var revocations = new List<PgpSignature>();
        foreach (PgpSignature sig in primary.GetKeySignatures() ?? [])
        {
            int type = sig.SignatureType;
            if (type is not (0x1F or 0x20))
            {
                continue;
            }

            if (!IsIssuedBy(sig, cert.Primary))
            {
                if (type == 0x20)
                {
                    findings.Add(new MessagingFinding(OpenPgpFindingCodes.RevocationUnverified, "R-G1", FindingSeverity.Warning,
                        "a key revocation issued by another key (" + unchecked((ulong)sig.KeyId).ToString("X16", CultureInfo.InvariantCulture)
                        + ", a designated revoker?) cannot be verified here; ask the partner whether the key is revoked", fp));
                }

                continue;
            }

            string what = type == 0x1F ? "direct-key self-signature" : "key revocation signature";
            if (!Verify(sig, primary, s => s.VerifyCertification(primary), what, findings, fp, budget))
            {
                continue;
            }

            if (type == 0x1F)
            {
                if (IsInForce(sig, at))
                {
                    selfCerts.Add(sig);
                }
            }
            else
            {
                revocations.Add(sig);
            }
        }

        // R-G1: validity of the primary key at the evaluation time (creation, expiry, revocation).
        bool primaryUsable = true;
        PgpSignature? newest = null;
        foreach (PgpSignature s in selfCerts)
        {
            if (newest is null || s.CreationTime > newest.CreationTime)
            {
                newest = s;
            }

            NoteWeakHash(s, "self-signature", policy, weakHashes);
        }

        DateTime created = DateTime.SpecifyKind(primary.CreationTime, DateTimeKind.Utc);
        if (created > at)
        {
            primaryUsable = false;
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.KeyNotYetValid, "R-G1", FindingSeverity.Error,
                "the key was created " + Iso(created) + ", after the evaluation time " + Iso(at), fp));
        }
        else if (newest is null)
        {
            primaryUsable = false;
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.NoValidSelfSignature, "R-G1", FindingSeverity.Error,
                "no valid self-signature binds a user ID (or a direct-key signature) to the primary key at " + Iso(at)
                + ": the key is not certified by its owner", fp));
        }
        else
        {
            long seconds = newest.GetHashedSubPackets()?.GetKeyExpirationTime() ?? 0;
            if (seconds > 0)
            {
                DateTime expiry = created.AddSeconds(seconds);
                expiresAt = new DateTimeOffset(expiry);
                if (expiry <= at)
                {
                    primaryUsable = false;
                    findings.Add(new MessagingFinding(OpenPgpFindingCodes.KeyExpired, "R-G1", FindingSeverity.Error,
                        "the key expired " + Iso(expiry) + " (created " + Iso(created) + ", valid for "
                        + (seconds / 86400).ToString(CultureInfo.InvariantCulture) + " days); evaluated at " + Iso(at), fp));
                }
            }
        }

        foreach (PgpSignature r in revocations)
        {
            RevocationReason? reason = r.GetHashedSubPackets()?.GetRevocationReason();
            RevocationReasonTag tag = reason?.GetRevocationReason() ?? RevocationReasonTag.NoReason;

            // RFC 9580 5.2.3.31: "superseded" and "retired" revoke from their creation time; no
            // reason or "compromised" revoke retroactively ("hard" revocation).
            bool soft = tag is RevocationReasonTag.KeySuperseded or RevocationReasonTag.KeyRetired;
            if (soft && r.CreationTime > at)
            {
                continue;
            }

            primaryUsable = false;
            string description = reason?.GetRevocationDescription() ?? string.Empty;
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.KeyRevoked, "R-G1", FindingSeverity.Error,
                "the key was revoked " + Iso(r.CreationTime) + " (reason: " + ReasonText(tag)
                + (description.Length > 0 ? ", \"" + description + "\"" : string.Empty) + ")", fp));
            break;
        }

        int? primaryFlags = newest is not null && newest.GetHashedSubPackets() is { } hp && hp.HasSubpacket(SignatureSubpacketTag.KeyFlags)
            ? hp.GetKeyFlags() : null;
        var reasons = new List<string>();
        if (primaryUsable && cert.Primary.IsEncryptionAlgorithm && (primaryFlags is null || (primaryFlags.Value & (KeyFlagEncryptCommunications | KeyFlagEncryptStorage)) != 0))
        {
            encryptionKey = cert.Primary;
        }
        else
        {
            reasons.Add("primary " + cert.Primary.AlgorithmName + (!cert.Primary.IsEncryptionAlgorithm ? " cannot encrypt"
                : !primaryUsable ? " is not usable" : " has key flags 0x" + primaryFlags!.Value.ToString("X2", CultureInfo.InvariantCulture) + " without encryption"));
        }

        // R-G1: the key must be able to encrypt to the gateway. Subkeys count only with a valid binding
        // (0x18) and no revocation (0x28) by the primary key (RFC 9580 5.2.1).
        DateTime newestEncryptionBinding = DateTime.MinValue;
        foreach (OpenPgpKeyInfo sub in cert.Subkeys)
        {
            PgpSignature? binding = null;
            bool subRevoked = false;
            foreach (PgpSignature sig in sub.Key.GetSignatures() ?? [])
            {
                if (!IsIssuedBy(sig, cert.Primary) || sig.SignatureType is not (0x18 or 0x28))
                {
                    continue;
                }

                bool isBinding = sig.SignatureType == 0x18;
                string what = (isBinding ? "binding signature" : "revocation") + " of subkey " + Group(sub.Fingerprint);
                if (!Verify(sig, primary, s => s.VerifyCertification(primary, sub.Key), what, findings, fp, budget))
                {
                    continue;
                }

                if (isBinding)
                {
                    if (IsInForce(sig, at) && (binding is null || sig.CreationTime > binding.CreationTime))
                    {
                        binding = sig;
                    }
                }
                else
                {
                    RevocationReasonTag tag = sig.GetHashedSubPackets()?.GetRevocationReason()?.GetRevocationReason() ?? RevocationReasonTag.NoReason;
                    subRevoked |= !(tag is RevocationReasonTag.KeySuperseded or RevocationReasonTag.KeyRetired) || sig.CreationTime <= at;
                }
            }

            string? problem = null;
            DateTime subCreated = DateTime.SpecifyKind(sub.Key.CreationTime, DateTimeKind.Utc);
            if (binding is null)
            {
                problem = "has no valid binding signature in force at " + Iso(at);
            }
            else if (subRevoked)
            {
                problem = "is revoked";
            }
            else if (subCreated > at)
            {
                problem = "was created " + Iso(subCreated) + ", after the evaluation time";
            }
            else if ((binding.GetHashedSubPackets()?.GetKeyExpirationTime() ?? 0) is long subSeconds && subSeconds > 0 && subCreated.AddSeconds(subSeconds) <= at)
            {
                problem = "expired " + Iso(subCreated.AddSeconds(subSeconds));
            }

            if (problem is not null)
            {
                findings.Add(new MessagingFinding(OpenPgpFindingCodes.SubkeyUnusable, "R-G1", FindingSeverity.Warning,
                    "subkey " + Group(sub.Fingerprint) + " (" + sub.AlgorithmName + ") " + problem + " and is ignored", fp));
                reasons.Add("subkey " + sub.KeyIdHex + " " + problem);
                continue;
            }

            CheckStrength(sub, policy, findings, fp);
            NoteWeakHash(binding!, "binding of subkey " + sub.KeyIdHex, policy, weakHashes);
            PgpSignatureSubpacketVector? bp = binding!.GetHashedSubPackets();
            int? flags = bp is not null && bp.HasSubpacket(SignatureSubpacketTag.KeyFlags) ? bp.GetKeyFlags() : null;
            if (sub.IsEncryptionAlgorithm && (flags is null || (flags.Value & (KeyFlagEncryptCommunications | KeyFlagEncryptStorage)) != 0))
            {
                if (encryptionKey is null || encryptionKey.IsPrimary || binding.CreationTime > newestEncryptionBinding)
                {
                    encryptionKey = sub;
                    newestEncryptionBinding = binding.CreationTime;
                }
            }
            else
            {
                reasons.Add("subkey " + sub.KeyIdHex + " (" + sub.AlgorithmName + ") " + (sub.IsEncryptionAlgorithm ? "is not flagged for encryption" : "cannot encrypt"));
            }
        }

        budget.Report(findings, fp);
        if (weakHashes.Count > 0)
        {
            // R-C10 (RULES.md): no MD5/SHA-1 signatures by default.
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.WeakSignatureHash, "R-C10", FindingSeverity.Error,
                string.Join("; ", weakHashes) + (policy.AllowSha1SelfSignatures ? string.Empty : " (SHA-1 is refused by the 2026 policy)"), fp));
        }

        if (policy.RequireEncryptionKey && encryptionKey is null)
        {
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.NoEncryptionKey, "R-G1", FindingSeverity.Error,
                "no usable key can encrypt mail to the partner: " + (cert.Subkeys.Count == 0 ? "no subkeys; " : string.Empty) + string.Join("; ", reasons), fp));
        }

        if (domain is not null)
        {
            // R-G1: a domain key names the partner's domain in a valid user ID (exact domain, ASCII
            // case-insensitive, one trailing dot ignored; no subdomains, no IDNA mapping).
            bool found = false;
            foreach (string uid in validUids)
            {
                string? d = EmailDomain(uid);
                if (d is not null && AsciiEqualsIgnoreCase(d, domain))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                findings.Add(new MessagingFinding(OpenPgpFindingCodes.UserIdDomainMismatch, "R-G1", FindingSeverity.Error,
                    "no valid user ID has an e-mail address in " + domain + " (valid user IDs: "
                    + (validUids.Count == 0 ? "none" : "\"" + string.Join("\", \"", validUids) + "\"") + ")", fp));
            }
        }

        for (int i = before; i < findings.Count; i++)
        {
            if (findings[i].Severity == FindingSeverity.Error)
            {
                return false;
            }
        }

        return true;
    }

    // R-C10 (RULES.md): RSA, DSA, ElGamal >= MinRsaBits; curves >= MinEcBits and known by name.
    private static void CheckStrength(OpenPgpKeyInfo key, OpenPgpKeyPolicy policy, List<MessagingFinding> findings, string fp)
    {
        string which = (key.IsPrimary ? "primary key " : "subkey ") + Group(key.Fingerprint);
        if (key.Version == 3)
        {
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.DeprecatedAlgorithm, "R-C10", FindingSeverity.Error,
                which + " is a version 3 key (MD5 fingerprint), which RFC 9580 5.5.2 forbids using", fp));
        }

        switch (key.AlgorithmId)
        {
            case 1 or 2 or 3 or 16 or 17:
                if (key.Bits < policy.MinRsaBits)
                {
                    findings.Add(new MessagingFinding(OpenPgpFindingCodes.WeakKey, "R-C10", FindingSeverity.Error,
                        which + " is " + key.AlgorithmName + " " + key.Bits.ToString(CultureInfo.InvariantCulture) + " bits, below the floor of "
                        + policy.MinRsaBits.ToString(CultureInfo.InvariantCulture) + " bits", fp));
                }

                break;
            case 18 or 19 or 22 or 25 or 26 or 27 or 28:
                if (!OpenPgpAlgorithms.IsKnownCurve(key.Curve))
                {
                    findings.Add(new MessagingFinding(OpenPgpFindingCodes.UnknownCurve, "R-C10", FindingSeverity.Error,
                        which + " is " + key.AlgorithmName + " on an unknown curve (" + (key.Curve ?? "no OID") + ")", fp));
                }
                else if (key.Bits < policy.MinEcBits)
                {
                    findings.Add(new MessagingFinding(OpenPgpFindingCodes.WeakKey, "R-C10", FindingSeverity.Error,
                        which + " is " + key.AlgorithmName + " on " + key.Curve + " (" + key.Bits.ToString(CultureInfo.InvariantCulture)
                        + " bits), below the floor of " + policy.MinEcBits.ToString(CultureInfo.InvariantCulture) + " bits", fp));
                }

                break;
            default:
                findings.Add(new MessagingFinding(OpenPgpFindingCodes.DeprecatedAlgorithm, "R-C10", FindingSeverity.Error,
                    which + " uses " + key.AlgorithmName + (key.AlgorithmId == 20 ? ", which RFC 9580 9.1 forbids" : ", which this library does not accept"), fp));
                break;
        }
    }

    private static void NoteWeakHash(PgpSignature sig, string what, OpenPgpKeyPolicy policy, List<string> weak)
    {
        HashAlgorithmTag h = sig.HashAlgorithm;
        bool bad = h switch
        {
            HashAlgorithmTag.MD5 or HashAlgorithmTag.MD2 or HashAlgorithmTag.Tiger192 or HashAlgorithmTag.Haval5pass160 => true,
            HashAlgorithmTag.Sha1 or HashAlgorithmTag.RipeMD160 => !policy.AllowSha1SelfSignatures,
            _ => false,
        };
        if (bad)
        {
            weak.Add(what + " (" + Iso(sig.CreationTime) + ") uses " + h);
        }
    }

    private static bool Verify(PgpSignature sig, PgpPublicKey primary, Func<PgpSignature, bool> verify, string what, List<MessagingFinding> findings, string fp, SignatureBudget budget)
    {
        if (!budget.TryTake())
        {
            return false; // not verified: counted, and reported once by SignatureBudget.Report (fail closed)
        }

        string? why;
        try
        {
            sig.InitVerify(primary);
            if (verify(sig))
            {
                return true;
            }

            why = "the signature does not verify";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            why = "it cannot be verified (the signature or key value is damaged)";
        }

        findings.Add(new MessagingFinding(OpenPgpFindingCodes.SelfSignatureInvalid, "R-G1", FindingSeverity.Error,
            "the " + what + " made " + Iso(sig.CreationTime) + " is invalid: " + why, fp));
        return false;
    }

    // The issuer is named by key ID (v4 Issuer subpacket) or by fingerprint (Issuer Fingerprint,
    // RFC 9580 5.2.3.35). BouncyCastle 2.7.0 derives a v6 key's ID from the wrong end of the
    // fingerprint, so both its ID and the RFC one are accepted.
    private static bool IsIssuedBy(PgpSignature sig, OpenPgpKeyInfo key)
    {
        if (sig.KeyId == key.Key.KeyId || unchecked((ulong)sig.KeyId) == key.KeyId)
        {
            return true;
        }

        byte[]? issuerFingerprint = sig.GetHashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint();
        return issuerFingerprint is not null && string.Equals(Convert.ToHexString(issuerFingerprint), key.Fingerprint, StringComparison.Ordinal);
    }

    // User IDs are verified over their raw bytes: BouncyCastle's string overload re-encodes the
    // text as UTF-8, which changes a user ID that is not valid UTF-8 (RFC 9580 5.2.4: 0xB4,
    // four-octet length, the user ID octets).
    private static bool VerifyUserId(PgpSignature sig, PgpPublicKey primary, byte[] rawId)
    {
        if (OpenPgpCertificate.TryUtf8(rawId) is { } text)
        {
            return sig.VerifyCertification(text, primary);
        }

        if (sig.Version != 4)
        {
            throw new NotSupportedException("a user ID that is not UTF-8 under a version " + sig.Version.ToString(CultureInfo.InvariantCulture) + " signature");
        }

        byte[] body = primary.PublicKeyPacket.GetEncodedContents();
        sig.Update([0x99, (byte)(body.Length >> 8), (byte)body.Length]);
        sig.Update(body);
        sig.Update([0xB4, (byte)(rawId.Length >> 24), (byte)(rawId.Length >> 16), (byte)(rawId.Length >> 8), (byte)rawId.Length]);
        sig.Update(rawId);
        return sig.Verify();
    }

    // A signature counts from its creation time until its own expiry (RFC 9580 5.2.3.18).
    private static bool IsInForce(PgpSignature sig, DateTime at)
    {
        if (sig.CreationTime > at)
        {
            return false;
        }

        long expires = sig.GetHashedSubPackets()?.GetSignatureExpirationTime() ?? 0;
        return expires <= 0 || sig.CreationTime.AddSeconds(expires) > at;
    }

    internal static string? EmailDomain(string userId)
    {
        int lt = userId.LastIndexOf('<');
        int gt = userId.LastIndexOf('>');
        string address = lt >= 0 && gt > lt ? userId[(lt + 1)..gt] : userId.Trim();
        int atSign = address.LastIndexOf('@');
        if (atSign <= 0 || atSign == address.Length - 1 || address.Contains(' ', StringComparison.Ordinal))
        {
            return null;
        }

        return address[(atSign + 1)..].TrimEnd('.');
    }

    private static string? NormalizeDomain(string? domain)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            return null;
        }

        string d = domain.Trim().TrimStart('@').TrimEnd('.');
        return d.Length == 0 ? null : d;
    }

    // ASCII-only case folding (STYLE.md "Names"): never culture-aware, never Unicode folding.
    private static bool AsciiEqualsIgnoreCase(string a, string b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            char x = a[i];
            char y = b[i];
            if (x == y)
            {
                continue;
            }

            if (!char.IsAsciiLetter(x) || (x | 0x20) != (y | 0x20))
            {
                return false;
            }
        }

        return true;
    }

    private static string ReasonText(RevocationReasonTag tag) => tag switch
    {
        RevocationReasonTag.NoReason => "no reason given",
        RevocationReasonTag.KeySuperseded => "key superseded",
        RevocationReasonTag.KeyCompromised => "key compromised",
        RevocationReasonTag.KeyRetired => "key retired",
        RevocationReasonTag.UserNoLongerValid => "user ID no longer valid",
        _ => "reason " + ((int)tag).ToString(CultureInfo.InvariantCulture),
    };

    private static string KindText(PublishedKeyIdentifierKind kind) => kind switch
    {
        PublishedKeyIdentifierKind.ShortKeyId => "short key ID",
        PublishedKeyIdentifierKind.LongKeyId => "key ID",
        _ => "fingerprint",
    };

    internal static string Iso(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    internal static string Group(string hex)
    {
        var sb = new StringBuilder(hex.Length + (hex.Length / 4));
        for (int i = 0; i < hex.Length; i += 4)
        {
            sb.Append(i == 0 ? string.Empty : " ").Append(hex.AsSpan(i, Math.Min(4, hex.Length - i)));
        }

        return sb.ToString();
    }
}
