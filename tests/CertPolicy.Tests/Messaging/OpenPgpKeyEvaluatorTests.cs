using CertPolicy.Messaging;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace CertPolicy.Tests.Messaging;

public class OpenPgpKeyEvaluatorTests
{
    private const string AudiFingerprint = "4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 87381923";

    private static OpenPgpKeyReport Evaluate(PgpFixtures.Spec spec, string? published = null, string? domain = PgpFixtures.Domain,
        OpenPgpKeyPolicy? policy = null, DateTimeOffset? at = null)
    {
        byte[] key = PgpFixtures.Build(spec);
        Assert.True(OpenPgpKeyReader.TryRead(key, out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? error), error?.Message);
        string fpr = published ?? Convert.ToHexString((spec.PrimaryKey ?? PgpFixtures.Primary).PublicKey.GetFingerprint());
        Assert.True(PublishedKeyIdentifier.TryParse(fpr, out PublishedKeyIdentifier id, out string? idError), idError);
        return OpenPgpKeyEvaluator.Evaluate(certs, id, at ?? PgpFixtures.At, domain, policy);
    }

    private static string Codes(OpenPgpKeyReport r) => string.Join(",", r.Findings.Select(f => f.Code));

    private static MessagingFinding Single(OpenPgpKeyReport r, string code)
    {
        MessagingFinding f = Assert.Single(r.Findings, x => x.Code == code);
        return f;
    }

    [Fact]
    public void Good_key_with_matching_fingerprint_is_acceptable()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good);
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.Empty(r.Findings);
        Assert.NotNull(r.MatchedCertificate);
        Assert.Equal(PgpFixtures.Fingerprint(PgpFixtures.Subkey), r.EncryptionKey!.Fingerprint);
        Assert.Equal(new DateTimeOffset(PgpFixtures.Created.AddSeconds(PgpFixtures.FiveYears)), r.ExpiresAt);
        Assert.Equal("RSA", r.MatchedCertificate!.Primary.AlgorithmName);
        Assert.Equal(2048, r.MatchedCertificate.Primary.Bits);
        Assert.Equal(4, r.MatchedCertificate.Primary.Version);
    }

    [Fact]
    public void Mismatched_fingerprint_fails_with_R_G3()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good, published: AudiFingerprint);
        Assert.False(r.IsAcceptable);
        MessagingFinding f = Single(r, OpenPgpFindingCodes.FingerprintMismatch);
        Assert.Equal("R-G3", f.RuleId);
        Assert.Equal(FindingSeverity.Error, f.Severity);
        Assert.Contains("4C23 B19F 8CA3 BCB3", f.Message, StringComparison.Ordinal);
        Assert.Null(r.MatchedCertificate);
    }

    [Fact]
    public void Expired_key_fails()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { PrimaryExpirySeconds = 365L * 86400 });
        Assert.False(r.IsAcceptable);
        MessagingFinding f = Single(r, OpenPgpFindingCodes.KeyExpired);
        Assert.Equal("R-G1", f.RuleId);
        Assert.Contains("2024-12-31T00:00:00Z", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expiry_is_judged_at_the_given_time_not_the_clock()
    {
        var spec = PgpFixtures.Good with { PrimaryExpirySeconds = 365L * 86400 };
        Assert.True(Evaluate(spec, at: new DateTimeOffset(2024, 12, 30, 23, 59, 59, TimeSpan.Zero)).IsAcceptable);
        Assert.False(Evaluate(spec, at: new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero)).IsAcceptable);
    }

    [Fact]
    public void Key_created_after_the_evaluation_time_fails()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good, at: new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.KeyNotYetValid);
        Assert.False(r.IsAcceptable);
    }

    [Fact]
    public void Revoked_key_fails_with_reason()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { RevokedAt = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        Assert.False(r.IsAcceptable);
        MessagingFinding f = Single(r, OpenPgpFindingCodes.KeyRevoked);
        Assert.Equal("R-G1", f.RuleId);
        Assert.Contains("key compromised", f.Message, StringComparison.Ordinal);
        Assert.Contains("test revocation", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revocation_by_another_key_is_a_warning_not_a_verdict()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with
        {
            RevokedAt = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            RevokedBy = PgpFixtures.Ed25519("designated-revoker"),
        });
        MessagingFinding f = Assert.Single(r.Findings);
        Assert.Equal((OpenPgpFindingCodes.RevocationUnverified, FindingSeverity.Warning), (f.Code, f.Severity));
        Assert.True(r.IsAcceptable);
    }

    [Fact]
    public void Hard_revocation_applies_even_before_its_creation_time()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { RevokedAt = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            at: new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.KeyRevoked);
    }

    [Fact]
    public void Soft_revocation_applies_only_from_its_creation_time()
    {
        var spec = PgpFixtures.Good with
        {
            RevokedAt = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            RevocationReason = RevocationReasonTag.KeySuperseded,
        };
        Assert.True(Evaluate(spec, at: new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero)).IsAcceptable);
        Assert.Contains(Evaluate(spec).Findings, f => f.Code == OpenPgpFindingCodes.KeyRevoked);
    }

    [Fact]
    public void Rsa_1024_key_fails_with_R_C10()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with
        {
            PrimaryKey = PgpFixtures.Weak,
            PrimaryFlags = PgpFixtures.CertifySign | PgpFixtures.Encrypt,
            WithSubkey = false,
        });
        Assert.False(r.IsAcceptable);
        MessagingFinding f = Assert.Single(r.Findings);
        Assert.Equal(OpenPgpFindingCodes.WeakKey, f.Code);
        Assert.Equal("R-C10", f.RuleId);
        Assert.Contains("RSA 1024 bits, below the floor of 2048", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rsa_floor_is_configurable()
    {
        var spec = PgpFixtures.Good with
        {
            PrimaryKey = PgpFixtures.Weak,
            PrimaryFlags = PgpFixtures.CertifySign | PgpFixtures.Encrypt,
            WithSubkey = false,
        };
        Assert.True(Evaluate(spec, policy: new OpenPgpKeyPolicy { MinRsaBits = 1024 }).IsAcceptable);
        Assert.False(Evaluate(PgpFixtures.Good, policy: new OpenPgpKeyPolicy { MinRsaBits = 3072 }).IsAcceptable);
    }

    [Fact]
    public void Key_without_encryption_subkey_fails()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { WithSubkey = false });
        Assert.False(r.IsAcceptable);
        MessagingFinding f = Assert.Single(r.Findings);
        Assert.Equal(OpenPgpFindingCodes.NoEncryptionKey, f.Code);
        Assert.Equal("R-G1", f.RuleId);
        Assert.Contains("key flags 0x03 without encryption", f.Message, StringComparison.Ordinal);
        Assert.Null(r.EncryptionKey);
    }

    [Fact]
    public void Subkey_flagged_for_signing_only_is_not_an_encryption_key()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { SubkeyFlags = PgpKeyFlags.CanSign });
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.NoEncryptionKey);
    }

    [Fact]
    public void Primary_flagged_for_encryption_serves_when_there_is_no_subkey()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { WithSubkey = false, PrimaryFlags = PgpFixtures.CertifySign | PgpFixtures.Encrypt });
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.True(r.EncryptionKey!.IsPrimary);
    }

    [Fact]
    public void Expired_encryption_subkey_is_ignored_and_the_key_fails()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { SubkeyExpirySeconds = 86400 });
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.SubkeyUnusable && f.Severity == FindingSeverity.Warning);
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.NoEncryptionKey);
        Assert.False(r.IsAcceptable);
    }

    [Fact]
    public void Tampered_self_signature_is_reported_and_leaves_no_valid_user_id()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good with { CorruptUserIdSignature = true });
        Assert.False(r.IsAcceptable);
        Assert.Equal("R-G1", Single(r, OpenPgpFindingCodes.SelfSignatureInvalid).RuleId);
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.NoValidSelfSignature);
        Assert.Contains(r.Findings, f => f.Code == OpenPgpFindingCodes.UserIdDomainMismatch);
    }

    [Fact]
    public void Sha1_self_signatures_fail_by_default_and_pass_under_the_2019_profile()
    {
        var spec = PgpFixtures.Good with { Hash = HashAlgorithmTag.Sha1 };
        OpenPgpKeyReport r = Evaluate(spec);
        Assert.Equal("R-C10", Single(r, OpenPgpFindingCodes.WeakSignatureHash).RuleId);
        Assert.False(r.IsAcceptable);
        Assert.True(Evaluate(spec, policy: OpenPgpKeyPolicy.Document2019).IsAcceptable);
    }

    [Theory]
    [InlineData("partner.example")]
    [InlineData("PARTNER.Example")]
    [InlineData("partner.example.")]
    [InlineData(null)]
    public void Domain_matching_ignores_case_and_one_trailing_dot(string? domain)
    {
        Assert.True(Evaluate(PgpFixtures.Good, domain: domain).IsAcceptable);
    }

    [Theory]
    [InlineData("audi.de")]
    [InlineData("example")]
    [InlineData("sub.partner.example")]
    public void User_id_outside_the_partner_domain_fails(string domain)
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good, domain: domain);
        Assert.False(r.IsAcceptable);
        Assert.Equal("R-G1", Single(r, OpenPgpFindingCodes.UserIdDomainMismatch).RuleId);
    }

    [Fact]
    public void Published_value_in_any_common_spelling_matches()
    {
        string fpr = PgpFixtures.Fingerprint(PgpFixtures.Primary);
        string grouped = string.Join(" ", Enumerable.Range(0, 10).Select(i => fpr.Substring(i * 4, 4)));
        string[] spellings =
        [
            fpr, fpr.ToLowerInvariant(), grouped, "0x" + fpr, string.Join(":", Enumerable.Range(0, 20).Select(i => fpr.Substring(i * 2, 2))),
            "  " + grouped.ToLowerInvariant() + "  ",
        ];
        foreach (string s in spellings)
        {
            OpenPgpKeyReport r = Evaluate(PgpFixtures.Good, published: s);
            Assert.True(r.IsAcceptable, s + ": " + Codes(r));
            Assert.Empty(r.Findings);
        }

        foreach (string id in new[] { fpr[24..], "0x" + fpr[24..].ToLowerInvariant(), fpr[32..], "0x" + fpr[32..] })
        {
            OpenPgpKeyReport r = Evaluate(PgpFixtures.Good, published: id);
            Assert.True(r.IsAcceptable, id);
            Assert.Equal("R-G3", Single(r, OpenPgpFindingCodes.MatchedByKeyIdOnly).RuleId);
        }
    }

    [Fact]
    public void Published_subkey_fingerprint_matches_with_a_warning()
    {
        OpenPgpKeyReport r = Evaluate(PgpFixtures.Good, published: PgpFixtures.Fingerprint(PgpFixtures.Subkey));
        Assert.True(r.IsAcceptable);
        Assert.False(r.MatchedKey!.IsPrimary);
        Assert.Single(r.Findings, f => f.Code == OpenPgpFindingCodes.MatchedSubkey);
    }

    [Theory]
    [InlineData("4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 87381923", PublishedKeyIdentifierKind.V4Fingerprint, "4C23B19F8CA3BCB3216E4F5C0FDC51D387381923")]
    [InlineData("4c23 b19f 8ca3 bcb3 216e  4f5c 0fdc 51d3 8738 1923", PublishedKeyIdentifierKind.V4Fingerprint, "4C23B19F8CA3BCB3216E4F5C0FDC51D387381923")]
    [InlineData("87 38 19 23", PublishedKeyIdentifierKind.ShortKeyId, "87381923")]
    [InlineData("0x87381923", PublishedKeyIdentifierKind.ShortKeyId, "87381923")]
    [InlineData("0x0FDC51D387381923", PublishedKeyIdentifierKind.LongKeyId, "0FDC51D387381923")]
    [InlineData("0FDC51D3:87381923", PublishedKeyIdentifierKind.LongKeyId, "0FDC51D387381923")]
    public void Published_identifier_parses(string text, PublishedKeyIdentifierKind kind, string hex)
    {
        Assert.True(PublishedKeyIdentifier.TryParse(text, out PublishedKeyIdentifier id, out string? error), error);
        Assert.Equal(kind, id.Kind);
        Assert.Equal(hex, id.Hex);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("87381923x", "not a hex digit")]
    [InlineData("4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 8738192", "39 hex digits")]
    [InlineData("8738 19", "6 hex digits")]
    public void Bad_published_identifier_is_rejected_with_a_reason(string text, string expected)
    {
        Assert.False(PublishedKeyIdentifier.TryParse(text, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ed25519_with_Curve25519_subkey_is_acceptable_and_curves_are_named()
    {
        var spec = PgpFixtures.Good with { PrimaryKey = PgpFixtures.Ed25519("ed25519-primary"), SubkeyPair = PgpFixtures.X25519("x25519-subkey") };
        OpenPgpKeyReport r = Evaluate(spec);
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.Equal("Ed25519", r.MatchedCertificate!.Primary.Curve);
        Assert.Equal("Curve25519", r.MatchedCertificate.Subkeys[0].Curve);
        Assert.Equal("ECDH", r.EncryptionKey!.AlgorithmName);
    }

    [Fact]
    public void Fixture_keys_are_the_same_on_every_run_and_machine()
    {
        // Pinned: a change here means the fixed-seed generation changed (or BouncyCastle did).
        Assert.Equal("F56B9E096D04AC95AD33D2359DF65E20E56F541E", PgpFixtures.Fingerprint(PgpFixtures.Primary));
        Assert.Equal("FB36656DEB57D49BD02AC0AD3105AC478116C677", PgpFixtures.Fingerprint(PgpFixtures.Subkey));
        Assert.Equal("FF1915FDB74EE022B42AB6232FF3605FFB3E910E", PgpFixtures.Fingerprint(PgpFixtures.Weak));
        Assert.Equal("AAC18FE82850DAF1589C1D10DDA33A6E40642326", PgpFixtures.Fingerprint(PgpFixtures.Ed25519("ed25519-primary")));
        Assert.Equal("EAAA8EC02FBCFD3CCF04BCFA00C6CC2FF69FD1DC6F47BDF3CDC51A0E90E23564",
            Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(PgpFixtures.Build(PgpFixtures.Good))));
        Assert.Equal("5CF6F13D97ED55E2AF9EA5963C73DDFB17A9482398C5C924CD85045240489F7C",
            Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(CertFixtures.Root)));
    }

    [Fact]
    public void Fixtures_are_deterministic()
    {
        Assert.Equal(PgpFixtures.Build(PgpFixtures.Good), PgpFixtures.Build(PgpFixtures.Good));
        Assert.Equal(PgpFixtures.Build(PgpFixtures.Good with { PrimaryKey = PgpFixtures.Ed25519("e") }),
            PgpFixtures.Build(PgpFixtures.Good with { PrimaryKey = PgpFixtures.Ed25519("e") }));
    }
}
