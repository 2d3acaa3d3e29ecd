using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CertPolicy.Messaging;
using CertPolicy.Trust;
using CertPolicy.Validation;
using static CertPolicy.Tests.Messaging.SmimeFixtures;

namespace CertPolicy.Tests.Messaging;

/// <summary>S/MIME certificate checks (R-G1, R-G2, R-E1, R-C10) through the library and the <c>smime</c> command.</summary>
public class SmimeEvaluatorTests : IDisposable
{
    private readonly string dir = TestFiles.NewTempDirectory();

    public void Dispose()
    {
        Directory.Delete(dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static ChainValidator Validator(RootPurposes purposes = RootPurposes.Email, DateTimeOffset? distrustAfterEmail = null, byte[]? root = null)
    {
        Assert.True(CustomTrust.TryCreate([new CustomAnchor(root ?? Root, [], Purposes: purposes, DistrustAfterEmail: distrustAfterEmail)], out var store, out var error), error);
        return new ChainValidator(store!);
    }

    // Through the container reader, as the CLI does: a .NET SignedCms certs-only .p7b.
    private static SmimeReport Evaluate(Leaf spec, string? address = null, DateTimeOffset? at = null, ChainValidator? validator = null, ValidationProfile? profile = null, bool refuseMailbox = false)
    {
        byte[] p7b = P7b(Issuing, Build(spec));
        Assert.True(CertificateContainerReader.TryRead(p7b, out var container, out var error), error?.Message);
        var ders = container!.Certificates.Select(c => c.RawData).ToList();
        return SmimeCertificateEvaluator.Evaluate(validator ?? Validator(), ders, new SmimeRequest
        {
            Domain = Domain,
            Address = address,
            Time = at ?? SmimeFixtures.At,
            Profile = profile ?? ValidationProfile.Partner2026,
            RefuseMailboxValidated = refuseMailbox,
        });
    }

    private static string Codes(SmimeReport r) => string.Join(", ", r.Findings.Select(f => f.Severity + " " + f.Code + ": " + f.Message));

    private static void AssertError(SmimeReport r, string code, string rule)
    {
        Assert.False(r.IsAcceptable, Codes(r));
        Assert.Contains(r.Findings, f => f.Code == code && f.RuleId == rule && f.Severity == FindingSeverity.Error);
    }

    [Fact]
    public void Good_domain_certificate_is_acceptable_and_classified()
    {
        var r = Evaluate(DomainCert);
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.True(r.IsDomainCertificate);
        Assert.Equal("partner.example", r.MatchedName);
        Assert.Equal(SmimeValidationType.OrganizationValidated, r.ValidationType);
        Assert.Equal(SmimeGeneration.Multipurpose, r.Generation);
        Assert.Equal(3, r.Chain.Count);
        Assert.True(r.Chain[2].IsAnchor);
        Assert.Empty(r.Findings);
    }

    [Theory]
    [InlineData("*@partner.example")]
    [InlineData("PARTNER.example")]
    public void Domain_certificate_forms_in_rfc822Name_are_recognised(string name)
    {
        var r = Evaluate(DomainCert with { Emails = [name] });
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.True(r.IsDomainCertificate);
    }

    [Fact]
    public void Domain_certificate_named_only_in_the_CN_is_recognised()
    {
        var r = Evaluate(DomainCert with { Emails = [] });
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.True(r.IsDomainCertificate);
        Assert.Equal("partner.example", r.MatchedName);
    }

    [Fact]
    public void Subdomain_is_not_a_domain_certificate_for_the_parent()
    {
        var r = Evaluate(DomainCert with { Emails = ["mail.partner.example"], Subject = "CN=mail.partner.example, O=Partner AG, C=DE" });
        AssertError(r, SmimeFindingCodes.NameMismatch, "R-G1");
    }

    [Fact]
    public void Good_user_certificate_is_acceptable_for_its_mailbox()
    {
        var r = Evaluate(UserCert, address: "alice@partner.example");
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.False(r.IsDomainCertificate);
        Assert.Equal("alice@partner.example", r.MatchedName);
        Assert.Equal(SmimeValidationType.IndividualValidated, r.ValidationType);
        Assert.Equal(SmimeGeneration.Strict, r.Generation);
    }

    [Fact]
    public void User_certificate_for_another_mailbox_fails()
    {
        var r = Evaluate(UserCert, address: "bob@partner.example");
        AssertError(r, SmimeFindingCodes.NameMismatch, "R-G1");
    }

    [Fact]
    public void Domain_certificate_for_a_mailbox_warns_R_E1()
    {
        var r = Evaluate(DomainCert, address: "alice@partner.example");
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.Contains(r.Findings, f => f.Code == SmimeFindingCodes.DomainCertificateForMailbox && f.RuleId == "R-E1" && f.Severity == FindingSeverity.Warning);
    }

    [Fact]
    public void Wrong_eku_fails()
    {
        var r = Evaluate(DomainCert with { Eku = ServerAuth });
        AssertError(r, SmimeFindingCodes.EkuNotEmail, "R-G1");
    }

    [Fact]
    public void Missing_eku_fails()
    {
        var r = Evaluate(DomainCert with { Eku = null });
        AssertError(r, SmimeFindingCodes.EkuNotEmail, "R-G1");
    }

    [Fact]
    public void Wrong_domain_fails()
    {
        var r = Evaluate(UserCert with { Emails = ["alice@other.example"] });
        AssertError(r, SmimeFindingCodes.NameMismatch, "R-G1");
    }

    [Fact]
    public void Expired_certificate_fails()
    {
        var r = Evaluate(DomainCert, at: new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero));
        AssertError(r, SmimeFindingCodes.Expired, "R-G1");
    }

    [Fact]
    public void Rsa_1024_fails_the_key_floor()
    {
        var r = Evaluate(UserCert with { Key = KeyKind.Rsa1024 });
        AssertError(r, SmimeFindingCodes.WeakKey, "R-C10");
    }

    [Fact]
    public void Untrusted_chain_fails()
    {
        // Issued by an unrelated CA; the container holds our issuing CA, which did not sign the leaf.
        var r = Evaluate(DomainCert with { UntrustedIssuer = true });
        AssertError(r, SmimeFindingCodes.Untrusted, "R-G1");
    }

    [Fact]
    public void Anchor_trusted_only_for_tls_fails_for_email()
    {
        var r = Evaluate(DomainCert, validator: Validator(RootPurposes.TlsServer));
        AssertError(r, SmimeFindingCodes.AnchorNotForEmail, "R-G1");
    }

    [Fact]
    public void Email_distrust_after_applies_to_leaves_issued_later()
    {
        var after = Evaluate(DomainCert, validator: Validator(distrustAfterEmail: new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero)));
        AssertError(after, SmimeFindingCodes.DistrustedAfter, "R-G1");
        var before = Evaluate(DomainCert, validator: Validator(distrustAfterEmail: new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero)));
        Assert.True(before.IsAcceptable, Codes(before));
    }

    [Fact]
    public void Intermediate_restricted_to_server_auth_breaks_the_email_chain()
    {
        byte[] leaf = Build(DomainCert with { TlsOnlyIssuer = true });
        var r = SmimeCertificateEvaluator.Evaluate(Validator(root: TlsRoot), [leaf, TlsIssuing], new SmimeRequest { Domain = Domain, Time = SmimeFixtures.At });
        AssertError(r, "SMIME-CHAIN-CA-EKU", "R-G1");
    }

    [Fact]
    public void Several_end_entities_pick_the_one_that_binds_the_address()
    {
        var ders = new List<ReadOnlyMemory<byte>> { Build(DomainCert with { Emails = ["other.example"], Subject = "CN=other.example" }), Build(UserCert), Issuing };
        var r = SmimeCertificateEvaluator.Evaluate(Validator(), ders, new SmimeRequest { Domain = Domain, Address = "alice@partner.example", Time = SmimeFixtures.At });
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.Equal("alice@partner.example", r.MatchedName);
        Assert.Contains(r.Findings, f => f.Code == SmimeFindingCodes.SeveralEndEntities && f.Severity == FindingSeverity.Warning);
    }

    [Fact]
    public void An_exception_inside_the_evaluation_fails_closed()
    {
        var r = SmimeCertificateEvaluator.Evaluate(Validator(), new ThrowingList(), new SmimeRequest { Domain = Domain, Time = SmimeFixtures.At });
        Assert.False(r.IsAcceptable);
        Assert.Equal(SmimeFindingCodes.InternalError, Assert.Single(r.Findings).Code);
    }

    [Fact]
    public void Address_outside_the_domain_is_a_caller_mistake()
    {
        Assert.Throws<ArgumentException>(() => SmimeCertificateEvaluator.Evaluate(Validator(), [Issuing], new SmimeRequest { Domain = Domain, Address = "a@other.example", Time = SmimeFixtures.At }));
    }

    [Fact]
    public void Validator_purpose_selects_the_eku_and_anchor_trust()
    {
        byte[] leaf = Build(DomainCert);
        var both = Validator(RootPurposes.Email | RootPurposes.TlsServer);
        var chain = new List<ReadOnlyMemory<byte>> { leaf, Issuing };
        var email = both.Explain(chain, new ValidationRequest { Profile = ValidationProfile.PostfixSecure, Time = SmimeFixtures.At, NextHop = "other.example", Purpose = RootPurposes.Email });
        Assert.True(email.Verdict.IsCompliant, string.Join(", ", email.Findings.Select(f => f.Code)));

        // The e-mail purpose skips the DNS name check (S/MIME names are the evaluator's); TLS (the default purpose) is
        // unchanged: the issuing CA's EKU excludes serverAuth, and the name check runs.
        var tls = both.Explain(chain, new ValidationRequest { Profile = ValidationProfile.PostfixSecure, Time = SmimeFixtures.At, NextHop = "other.example" });
        Assert.Contains(tls.Findings, f => f.Code == "chain.ca-eku" && f.Rule == "R-C3");
        Assert.Contains(tls.Findings, f => f.Code == "leaf.eku" && f.Rule == "R-C3");
        Assert.Contains(tls.Findings, f => f.Code == "name.mismatch");

        Assert.Throws<ArgumentException>(() => both.Explain(chain, new ValidationRequest { Time = SmimeFixtures.At, NextHop = Domain, Purpose = RootPurposes.Email | RootPurposes.TlsServer }));
    }

    private sealed class ThrowingList : IReadOnlyList<ReadOnlyMemory<byte>>
    {
        public ReadOnlyMemory<byte> this[int index] => throw new InvalidOperationException("test: failing input source");

        public int Count => 1;

        public IEnumerator<ReadOnlyMemory<byte>> GetEnumerator() => throw new InvalidOperationException("test: failing input source");

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void Ec_key_without_key_agreement_cannot_encrypt()
    {
        var r = Evaluate(DomainCert with { KeyUsage = X509KeyUsageFlags.DigitalSignature });
        AssertError(r, SmimeFindingCodes.KeyUsageEncryption, "R-G1");
    }

    [Fact]
    public void Rsa_key_without_key_encipherment_cannot_encrypt()
    {
        var r = Evaluate(UserCert with { KeyUsage = X509KeyUsageFlags.DigitalSignature }, address: "alice@partner.example");
        AssertError(r, SmimeFindingCodes.KeyUsageEncryption, "R-G1");
    }

    [Fact]
    public void Expiry_horizon_warns_with_the_days_left()
    {
        var r = Evaluate(DomainCert, at: SmimeFixtures.NotAfter.AddDays(-10));
        Assert.True(r.IsAcceptable, Codes(r));
        var f = Assert.Single(r.Findings, f => f.Code == SmimeFindingCodes.ExpiresSoon);
        Assert.Equal(FindingSeverity.Warning, f.Severity);
        Assert.Contains("expires in 10 days", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Warn_days_also_warn_about_the_anchors_email_distrust_after_date()
    {
        // --warn-days (issue 13 item 6): the anchor's e-mail distrust-after date within the window is a warning, not an error.
        var r = Evaluate(DomainCert, validator: Validator(distrustAfterEmail: SmimeFixtures.At.AddDays(10)));
        Assert.True(r.IsAcceptable, Codes(r));
        var f = Assert.Single(r.Findings);
        Assert.Equal((SmimeCertificateEvaluator.DistrustSoonCode, "R-G1", FindingSeverity.Warning), (f.Code, f.RuleId, f.Severity));
        Assert.Contains("distrusted for e-mail certificates issued after", f.Message, StringComparison.Ordinal);
        Assert.Empty(Evaluate(DomainCert, validator: Validator(distrustAfterEmail: SmimeFixtures.At.AddDays(40))).Findings);
    }

    [Fact]
    public void Cli_warn_days_is_the_new_name_of_expiry_warning_days()
    {
        string p7b = Write("domain.p7b", P7b(Issuing, Build(DomainCert)));
        var quiet = Cli("smime", p7b, "--domain", Domain, "--roots", Roots(), "--at", AtText);
        Assert.True(quiet.Code == 0, quiet.Out + quiet.Err);
        Assert.DoesNotContain("WARNING", quiet.Out, StringComparison.Ordinal);

        // The leaf expires 2027-01-01, 214 days after --at.
        var warned = Cli("smime", p7b, "--domain", Domain, "--roots", Roots(), "--at", AtText, "--warn-days", "250");
        Assert.True(warned.Code == 0, warned.Out + warned.Err);
        Assert.Contains("WARNING SMIME-EXPIRES-SOON [R-G1] the certificate expires in 214 days", warned.Out, StringComparison.Ordinal);
        var alias = Cli("smime", p7b, "--domain", Domain, "--roots", Roots(), "--at", AtText, "--expiry-warning-days", "250");
        Assert.Equal(warned, alias);
        Assert.Equal(2, Cli("smime", p7b, "--domain", Domain, "--roots", Roots(), "--at", AtText, "--warn-days", "-1").Code);
    }

    [Fact]
    public void Legacy_email_attribute_binds_with_a_warning_when_no_san()
    {
        var r = Evaluate(UserCert with { Emails = [], Subject = "E=alice@partner.example, CN=Alice Example, O=Partner AG, C=DE" }, address: "alice@partner.example");
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.Contains(r.Findings, f => f.Code == SmimeFindingCodes.LegacyEmailAttribute);
    }

    [Fact]
    public void Mailbox_validated_is_refused_only_when_the_profile_asks()
    {
        var spec = UserCert with { Policies = ["2.23.140.1.5.1.2"] };
        Assert.True(Evaluate(spec, address: "alice@partner.example").IsAcceptable);
        AssertError(Evaluate(spec, address: "alice@partner.example", refuseMailbox: true), SmimeFindingCodes.MailboxValidated, "R-C4");
    }

    [Fact]
    public void No_cab_policy_is_a_warning()
    {
        var r = Evaluate(DomainCert with { Policies = [] });
        Assert.True(r.IsAcceptable, Codes(r));
        Assert.Equal(SmimeValidationType.None, r.ValidationType);
        Assert.Contains(r.Findings, f => f.Code == SmimeFindingCodes.NoSmimePolicy && f.Severity == FindingSeverity.Warning);
    }

    [Fact]
    public void Only_ca_certificates_is_unusable_input()
    {
        var r = SmimeCertificateEvaluator.Evaluate(Validator(), [Issuing, Root], new SmimeRequest { Domain = Domain, Time = SmimeFixtures.At });
        Assert.True(r.InputUnusable);
        Assert.False(r.IsAcceptable);
        Assert.Equal(SmimeFindingCodes.NoEndEntity, Assert.Single(r.Findings).Code);
    }

    [Theory]
    [InlineData("2.23.140.1.5.1.1", SmimeValidationType.MailboxValidated, SmimeGeneration.Legacy)]
    [InlineData("2.23.140.1.5.2.3", SmimeValidationType.OrganizationValidated, SmimeGeneration.Strict)]
    [InlineData("2.23.140.1.5.3.2", SmimeValidationType.SponsorValidated, SmimeGeneration.Multipurpose)]
    [InlineData("2.23.140.1.5.4.1", SmimeValidationType.IndividualValidated, SmimeGeneration.Legacy)]
    [InlineData("2.23.140.1.5.5.1", SmimeValidationType.None, SmimeGeneration.None)]
    [InlineData("2.23.140.1.5.1.4", SmimeValidationType.None, SmimeGeneration.None)]
    [InlineData("2.23.140.1.5.1.10", SmimeValidationType.None, SmimeGeneration.None)]
    [InlineData("2.23.140.1.2.2", SmimeValidationType.None, SmimeGeneration.None)]
    public void Cab_smime_policy_oids_are_classified(string oid, SmimeValidationType type, SmimeGeneration generation)
    {
        bool known = SmimeCertificateEvaluator.TryClassify(oid, out var t, out var g);
        Assert.Equal(type != SmimeValidationType.None, known);
        Assert.Equal(type, t);
        Assert.Equal(generation, g);
    }

    // ---- CLI ----

    private static (int Code, string Out, string Err) Cli(params string[] args)
        => CertPolicy.Tests.Support.CliRunner.Run(args);

    private string Write(string name, byte[] data)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    private string Roots() => Write("roots.pem", Encoding.ASCII.GetBytes(Pem(Root)));

    private const string AtText = "2026-06-01T00:00:00Z";

    [Fact]
    public void Cli_user_certificate_in_an_openssl_crl2pkcs7_container_exits_0()
    {
        string chain = Write("chain.pem", Encoding.ASCII.GetBytes(Pem(Build(UserCert), Issuing)));
        string p7b = Path.Combine(dir, "audi_cert_container.p7b");
        var o = TestFiles.Run("openssl", "openssl", "crl2pkcs7", "-nocrl", "-certfile", chain, "-outform", "DER", "-out", p7b);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var r = Cli("smime", p7b, "--domain", Domain, "--address", "alice@partner.example", "--roots", Roots(), "--at", AtText);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains(": acceptable", r.Out, StringComparison.Ordinal);
        Assert.Contains("IndividualValidated, Strict", r.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, r.Err);
    }

    [Fact]
    public void Cli_domain_certificate_json()
    {
        string p7b = Write("domain.p7b", P7b(Issuing, Build(DomainCert)));
        var r = Cli("smime", p7b, "--domain", Domain, "--roots", Roots(), "--at", AtText, "--format", "json");
        Assert.True(r.Code == 0, r.Out + r.Err);
        using JsonDocument doc = JsonDocument.Parse(r.Out);
        Assert.True(doc.RootElement.GetProperty("acceptable").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("domainCertificate").GetBoolean());
        Assert.Equal("OrganizationValidated", doc.RootElement.GetProperty("validationType").GetString());
    }

    [Fact]
    public void Cli_wrong_domain_exits_1_with_the_finding()
    {
        string p7b = Write("domain.p7b", P7b(Issuing, Build(DomainCert)));
        var r = Cli("smime", p7b, "--domain", "other.example", "--roots", Roots(), "--at", AtText);
        Assert.Equal(1, r.Code);
        Assert.Contains("ERROR   SMIME-NAME-MISMATCH [R-G1]", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_p7b_without_certificates_exits_2_with_one_line()
    {
        string p7b = Write("empty.p7b", P7b());
        var r = Cli("smime", p7b, "--domain", Domain, "--roots", Roots(), "--at", AtText);
        Assert.Equal(2, r.Code);
        Assert.Equal(string.Empty, r.Out);
        string line = r.Err.TrimEnd('\n', '\r');
        Assert.StartsWith(p7b + ": ", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Cli_pem_bundle_leaf_last_exits_0()
    {
        string pem = Write("bundle.pem", Encoding.ASCII.GetBytes(Pem(Issuing, Build(DomainCert))));
        var r = Cli("smime", pem, "--domain", Domain, "--roots", Roots(), "--at", AtText);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("bound by:  partner.example (domain certificate)", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_without_roots_uses_the_curated_store_which_does_not_know_the_test_root()
    {
        string p7b = Write("domain.p7b", P7b(Issuing, Build(DomainCert)));
        var r = Cli("smime", p7b, "--domain", Domain, "--at", AtText);
        Assert.Equal(1, r.Code);
        Assert.Contains("ERROR   SMIME-CHAIN-UNTRUSTED [R-G1]", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_address_outside_the_domain_exits_2()
    {
        string p7b = Write("domain.p7b", P7b(Issuing, Build(DomainCert)));
        var r = Cli("smime", p7b, "--domain", Domain, "--address", "alice@other.example", "--roots", Roots(), "--at", AtText);
        Assert.Equal(2, r.Code);
        Assert.Contains("--address", r.Err, StringComparison.Ordinal);
    }
}
