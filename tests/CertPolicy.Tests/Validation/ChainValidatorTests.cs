using System.Security.Cryptography;
using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Validation;

/// <summary>One generated chain per rule R-C1..R-C10: the verdict, the reason flag and the finding (code, rule, depth).</summary>
public sealed class ChainValidatorTests
{
    private static ValidationReport Explain(TestChain chain, TrustStore store, ValidationProfile? profile = null, string nextHop = "example.com") =>
        new ChainValidator(store).Explain(chain.Presented, TestChains.Request(profile, nextHop));

    private static void AssertFinding(ValidationReport report, string code, string rule, int depth)
    {
        Assert.False(report.Verdict.IsCompliant);
        Assert.Contains(report.Findings, f => f.Code == code && f.Rule == rule && f.Depth == depth);
        foreach (var f in report.Findings)
        {
            Assert.True((report.Verdict.Reasons & f.Reason) == f.Reason, f.Code);
        }
    }

    [Fact]
    public void Ev_good_is_compliant_with_ev_assurance()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.CustomEvA], IntermediatePolicies = [TestOids.CustomEvA] });
        var report = Explain(chain, TestChains.Store(chain, TestOids.CustomEvA));
        Assert.True(report.Verdict.IsCompliant, string.Join("; ", report.Findings.Select(f => f.Code + " " + f.Message)));
        Assert.Equal(AssuranceLevel.Ev, report.Verdict.Assurance);
        Assert.Equal("example.com", report.MatchedName); // nexthop:dot-nexthop: the exact next hop is matched first
        Assert.Equal(3, report.Chain.Count);
        Assert.True(report.Chain[2].IsAnchor);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(chain.Root)), report.Chain[2].Sha256);
    }

    [Fact]
    public void Ov_good_is_compliant_with_ov_assurance()
    {
        var chain = TestChains.Create(new ChainSpec());
        var report = Explain(chain, TestChains.Store(chain));
        Assert.True(report.Verdict.IsCompliant, string.Join("; ", report.Findings.Select(f => f.Code)));
        Assert.Equal(AssuranceLevel.Ov, report.Verdict.Assurance);
        Assert.Empty(report.Findings);
    }

    [Fact]
    public void R_C1_ev_oid_not_permitted_by_the_intermediate()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.CustomEvA], IntermediatePolicies = [TestOids.Ov] });
        var report = Explain(chain, TestChains.Store(chain, TestOids.CustomEvA));
        AssertFinding(report, "assurance.ev-not-established", "R-C1", 0);
        Assert.Contains("certificate 1", report.Findings.First(f => f.Code == "assurance.ev-not-established").Message, StringComparison.Ordinal);
        Assert.NotEqual(AssuranceLevel.Ev, report.Verdict.Assurance);
    }

    [Fact]
    public void R_C1_ev_oid_without_intermediate_policies_is_not_ev()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.CustomEvA, TestOids.Ov], IntermediatePolicies = null });
        var report = Explain(chain, TestChains.Store(chain, TestOids.CustomEvA));
        AssertFinding(report, "assurance.ev-not-established", "R-C1", 0);
        Assert.Equal(AssuranceLevel.Ov, report.Verdict.Assurance);
    }

    [Fact]
    public void R_C1_ev_oid_of_another_root()
    {
        // Root 0 is bound to EV OID A, root 1 to EV OID B; the leaf chains to root 1 but asserts A.
        var other = TestChains.RootFor(0, "CN=Other Root,O=Other Trust,C=DE");
        var chain = TestChains.Create(new ChainSpec { RootKeyIndex = 1, LeafPolicies = [TestOids.CustomEvA], IntermediatePolicies = [TestOids.AnyPolicy] });
        Assert.True(CustomTrust.TryCreate([new CustomAnchor(other, [TestOids.CustomEvA]), new CustomAnchor(chain.Root, [TestOids.CustomEvB])], out var store, out var error), error);
        var report = Explain(chain, store!);
        AssertFinding(report, "assurance.ev-not-established", "R-C1", 0);
        Assert.Contains("does not bind", report.Findings.First(f => f.Code == "assurance.ev-not-established").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void R_C1_require_ev_refuses_ov()
    {
        var chain = TestChains.Create(new ChainSpec());
        var profile = new ValidationProfile { Name = "ev-only", CheckAssurance = true, MinimumAssurance = AssuranceLevel.Ov, RequireEv = true };
        AssertFinding(Explain(chain, TestChains.Store(chain), profile), "assurance.ev-required", "R-C1", 0);
    }

    [Fact]
    public void R_C2_name_mismatch()
    {
        var chain = TestChains.Create(new ChainSpec());
        var report = Explain(chain, TestChains.Store(chain), nextHop: "example.org");
        AssertFinding(report, "name.mismatch", "R-C2", 0);
        Assert.Null(report.MatchedName);
        Assert.Equal(VerdictReasons.NameMismatch, report.Verdict.Reasons);
    }

    [Fact]
    public void R_C3_expired_leaf()
    {
        var chain = TestChains.Create(new ChainSpec { LeafNotBefore = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), LeafNotAfter = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        var report = Explain(chain, TestChains.Store(chain));
        AssertFinding(report, "chain.expired", "R-C3", 0);
        Assert.True(report.Verdict.Reasons.HasFlag(VerdictReasons.Expired));
    }

    [Fact]
    public void R_C3_expired_intermediate()
    {
        var chain = TestChains.Create(new ChainSpec { IntermediateNotAfter = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) });
        AssertFinding(Explain(chain, TestChains.Store(chain)), "chain.expired", "R-C3", 1);
    }

    [Fact]
    public void R_C3_unknown_anchor()
    {
        var chain = TestChains.Create(new ChainSpec());
        var report = Explain(chain, TestChains.Store(TestChains.RootFor(1, "CN=Unrelated Root,C=DE"), [], null));
        AssertFinding(report, "chain.untrusted", "R-C3", -1);
    }

    [Fact]
    public void R_C3_distrusted_after()
    {
        var chain = TestChains.Create(new ChainSpec());
        var report = Explain(chain, TestChains.Store(chain.Root, [], new DateTimeOffset(2025, 11, 30, 0, 0, 0, TimeSpan.Zero)));
        AssertFinding(report, "trust.distrusted-after", "R-C3", 2);

        // A leaf issued before the cut-off stays trusted.
        var before = Explain(chain, TestChains.Store(chain.Root, [], new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.True(before.Verdict.IsCompliant);
    }

    [Fact]
    public void R_C3_intermediate_not_ca()
    {
        var chain = TestChains.Create(new ChainSpec { IntermediateIsCa = false });
        AssertFinding(Explain(chain, TestChains.Store(chain)), "chain.not-ca", "R-C3", 1);
    }

    [Fact]
    public void R_C3_intermediate_without_key_cert_sign()
    {
        var chain = TestChains.Create(new ChainSpec { IntermediateKeyCertSign = false });
        AssertFinding(Explain(chain, TestChains.Store(chain)), "chain.ca-key-usage", "R-C3", 1);
    }

    [Fact]
    public void R_C3_leaf_eku_without_server_auth()
    {
        var chain = TestChains.Create(new ChainSpec { LeafEku = ["1.3.6.1.5.5.7.3.2"] });
        AssertFinding(Explain(chain, TestChains.Store(chain)), "leaf.eku", "R-C3", 0);
    }

    [Fact]
    public void R_C3_intermediate_eku_excluding_server_auth()
    {
        var chain = TestChains.Create(new ChainSpec { IntermediateEku = ["1.3.6.1.5.5.7.3.4"] });
        AssertFinding(Explain(chain, TestChains.Store(chain)), "chain.ca-eku", "R-C3", 1);
    }

    [Fact]
    public void R_C3_name_constraints_permitted_and_excluded()
    {
        var outside = TestChains.Create(new ChainSpec { PermittedDns = ["example.net"] });
        AssertFinding(Explain(outside, TestChains.Store(outside)), "chain.name-constraints", "R-C3", 1);

        var excluded = TestChains.Create(new ChainSpec { ExcludedDns = ["mail.example.com"] });
        AssertFinding(Explain(excluded, TestChains.Store(excluded)), "chain.name-constraints", "R-C3", 1);

        var inside = TestChains.Create(new ChainSpec { PermittedDns = ["example.com"] });
        Assert.True(Explain(inside, TestChains.Store(inside)).Verdict.IsCompliant);
    }

    [Fact]
    public void R_C3_path_length_constraint()
    {
        // Root -> CA0 (pathLen 0) -> CA1 -> leaf: CA0 allows no intermediate below it, the path has one.
        var (root, chain) = LongChain(2, topPathLength: 0);
        AssertFinding(new ChainValidator(TestChains.Store(root, [], null)).Explain(chain, TestChains.Request()), "chain.path-length", "R-C3", 2);

        // pathLen 1 allows it.
        var (root1, chain1) = LongChain(2, topPathLength: 1);
        Assert.True(new ChainValidator(TestChains.Store(root1, [], null)).Explain(chain1, TestChains.Request()).Verdict.IsCompliant);
    }

    [Fact]
    public void R_C3_unknown_critical_extension()
    {
        var chain = TestChains.Create(new ChainSpec { LeafUnknownCritical = true });
        AssertFinding(Explain(chain, TestChains.Store(chain)), "chain.unknown-critical-extension", "R-C3", 0);
    }

    [Fact]
    public void R_C3_document_2019_refuses_non_annex_anchor_and_accepts_annex_one()
    {
        var chain = TestChains.Create(new ChainSpec());
        AssertFinding(Explain(chain, TestChains.Store(chain), ValidationProfile.Document2019), "trust.not-annex", "R-C3", 2);
        var annex = TestChains.Store(chain.Root, [], null, "GlobalSign");
        Assert.True(Explain(chain, annex, ValidationProfile.Document2019).Verdict.IsCompliant);
    }

    [Fact]
    public void R_C4_no_known_policy_is_unvalidated()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = ["1.3.6.1.4.1.55555.7"] });
        var report = Explain(chain, TestChains.Store(chain));
        AssertFinding(report, "assurance.unvalidated", "R-C4", 0);
        Assert.Equal(AssuranceLevel.None, report.Verdict.Assurance);
    }

    [Fact]
    public void R_C5_dv_by_oid()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.Dv] });
        var report = Explain(chain, TestChains.Store(chain));
        AssertFinding(report, "assurance.domain-validated", "R-C5", 0);
        Assert.Equal(AssuranceLevel.Dv, report.Verdict.Assurance);
    }

    [Fact]
    public void R_C5_document_2019_refuses_an_anchor_that_also_issues_dv()
    {
        var chain = TestChains.Create(new ChainSpec());
        var anchor = new CustomAnchor(chain.Root, [], null, "GlobalSign", AssuranceLevel.Ov | AssuranceLevel.Dv);
        Assert.True(CustomTrust.TryCreate([anchor], out var store, out var error), error);
        AssertFinding(Explain(chain, store!, ValidationProfile.Document2019), "trust.anchor-issues-dv", "R-C5", 2);
        Assert.True(Explain(chain, store!).Verdict.IsCompliant);
    }

    [Fact]
    public void R_C6_dv_by_missing_organisation()
    {
        var chain = TestChains.Create(new ChainSpec { LeafName = "CN=mail.example.com" });
        var report = Explain(chain, TestChains.Store(chain));
        AssertFinding(report, "leaf.no-organization", "R-C6", 0);
        Assert.Equal(AssuranceLevel.Dv, report.Verdict.Assurance);
    }

    [Fact]
    public void R_C7_self_signed_leaf()
    {
        var leaf = TestChains.SelfSignedLeaf();
        var store = TestChains.Store(TestChains.RootFor(0, "CN=Test Root CA,O=Test Trust,C=DE"), [], null);
        var report = new ChainValidator(store).Explain([leaf], TestChains.Request());
        AssertFinding(report, "leaf.self-signed", "R-C7", 0);
        AssertFinding(report, "chain.untrusted", "R-C3", -1);

        // Even when the self-signed leaf is itself given as an anchor, R-C7 refuses it.
        var own = new ChainValidator(TestChains.Store(leaf, [], null)).Explain([leaf], TestChains.Request());
        AssertFinding(own, "leaf.self-signed", "R-C7", 0);
    }

    [Fact]
    public void R_C8_individual_validated_is_below_class_3()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.Iv] });
        var report = Explain(chain, TestChains.Store(chain));
        AssertFinding(report, "assurance.too-low", "R-C8", 0);
        Assert.Equal(AssuranceLevel.Iv, report.Verdict.Assurance);
    }

    [Fact]
    public void R_C10_rsa_1024_leaf()
    {
        var chain = TestChains.Create(new ChainSpec { LeafKey = "rsa1024" });
        var report = Explain(chain, TestChains.Store(chain));
        AssertFinding(report, "key.too-weak", "R-C10", 0);
        Assert.Contains("RSA-1024", report.Findings.First(f => f.Code == "key.too-weak").Message, StringComparison.Ordinal);

        // postfix-secure checks only chain and names: the same chain passes there.
        Assert.True(Explain(chain, TestChains.Store(chain), ValidationProfile.PostfixSecure).Verdict.IsCompliant);
    }

    [Fact]
    public void R_C10_sha1_signature()
    {
        var chain = TestChains.Create(new ChainSpec { LeafHash = HashAlgorithmName.SHA1 });
        AssertFinding(Explain(chain, TestChains.Store(chain)), "signature.weak-hash", "R-C10", 0);
    }

    [Fact]
    public void R_C10_rsa_2048_and_ec_384_pass()
    {
        var rsa = TestChains.Create(new ChainSpec { LeafKey = "rsa2048" });
        Assert.True(Explain(rsa, TestChains.Store(rsa)).Verdict.IsCompliant);
        var ec = TestChains.Create(new ChainSpec { LeafKey = "ec384" });
        Assert.True(Explain(ec, TestChains.Store(ec)).Verdict.IsCompliant);
    }

    [Fact]
    public void Evaluate_returns_the_verdict_of_explain()
    {
        var chain = TestChains.Create(new ChainSpec { LeafPolicies = [TestOids.Dv] });
        var v = new ChainValidator(TestChains.Store(chain));
        Assert.Equal(v.Explain(chain.Presented, TestChains.Request()).Verdict, v.Evaluate(chain.Presented, TestChains.Request()));
    }

    [Fact]
    public void Intermediates_out_of_order_and_extra_certificates_still_build()
    {
        var chain = TestChains.Create(new ChainSpec());
        var unrelated = TestChains.Create(new ChainSpec { IntermediateName = "CN=Other Issuing CA,C=DE" });
        var v = new ChainValidator(TestChains.Store(chain));
        var report = v.Explain([chain.Leaf, unrelated.Intermediate, chain.Root, chain.Intermediate], TestChains.Request());
        Assert.True(report.Verdict.IsCompliant, string.Join("; ", report.Findings.Select(f => f.Code)));
        Assert.Equal(3, report.Chain.Count);
    }

    [Fact]
    public void Missing_intermediate_is_untrusted()
    {
        var chain = TestChains.Create(new ChainSpec());
        var report = new ChainValidator(TestChains.Store(chain)).Explain([chain.Leaf], TestChains.Request());
        AssertFinding(report, "chain.untrusted", "R-C3", -1);
    }

    [Fact]
    public void Tampered_signature_is_refused()
    {
        var chain = TestChains.Create(new ChainSpec());
        var leaf = (byte[])chain.Leaf.Clone();
        leaf[^5] ^= 0x01;
        var report = new ChainValidator(TestChains.Store(chain)).Explain([leaf, chain.Intermediate], TestChains.Request());
        Assert.False(report.Verdict.IsCompliant);
        Assert.True(report.Verdict.Reasons.HasFlag(VerdictReasons.UntrustedChain) || report.Verdict.Reasons.HasFlag(VerdictReasons.MalformedInput));
    }

    [Fact]
    public void Zero_signature_budget_fails_closed()
    {
        var chain = TestChains.Create(new ChainSpec());
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "example.com", Budget = new Budget(0, 10, 10) };
        var report = new ChainValidator(TestChains.Store(chain)).Explain(chain.Presented, request);
        AssertFinding(report, "chain.budget-exceeded", "R-C3", -1);
    }

    private static (byte[] Root, List<ReadOnlyMemory<byte>> Presented) LongChain(int intermediates, int? topPathLength = null)
    {
        var nb = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var na = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootReq = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Long Root,O=Test,C=DE", key, HashAlgorithmName.SHA256);
        rootReq.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        var issuerSki = new System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension(rootReq.PublicKey, false);
        rootReq.CertificateExtensions.Add(issuerSki);
        using var root = rootReq.CreateSelfSigned(nb, na);
        var issuerName = root.SubjectName;
        var issuerKey = key;
        var certs = new List<ReadOnlyMemory<byte>>();
        for (int i = 0; i <= intermediates; i++)
        {
            bool leaf = i == intermediates;
            var k = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new System.Security.Cryptography.X509Certificates.CertificateRequest(leaf ? "CN=example.com,O=Example GmbH,C=DE" : "CN=Long CA " + i + ",O=Test,C=DE", k, HashAlgorithmName.SHA256);
            bool constrained = i == 0 && topPathLength is not null && !leaf;
            req.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(!leaf, constrained, constrained ? topPathLength!.Value : 0, true));
            // Key identifiers, and a leaf with SAN and EKU: the BR profile (R-C11) that partner-2026 checks.
            var ski = new System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension(req.PublicKey, false);
            req.CertificateExtensions.Add(ski);
            req.CertificateExtensions.Add(System.Security.Cryptography.X509Certificates.X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuerSki));
            if (leaf)
            {
                req.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509Extension("2.5.29.32", OvPolicy(), false));
                var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
                san.AddDnsName("example.com");
                req.CertificateExtensions.Add(san.Build());
                req.CertificateExtensions.Add(CorpusExtensions.Eku(["1.3.6.1.5.5.7.3.1"]));
            }

            using var c = req.Create(issuerName, System.Security.Cryptography.X509Certificates.X509SignatureGenerator.CreateForECDsa(issuerKey), nb, na, [(byte)(i + 1)]);
            certs.Insert(0, c.RawData);
            issuerName = c.SubjectName;
            issuerKey = k;
            issuerSki = ski;
        }

        return (root.RawData, certs);
    }

    private static byte[] OvPolicy()
    {
        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(TestOids.Ov);
            }
        }

        return w.Encode();
    }

    [Fact]
    public void Six_intermediates_build_and_seven_are_too_long()
    {
        // ChainValidator.MaxIntermediates = 6 (webpki's MAX_SUB_CA_COUNT).
        var (root6, six) = LongChain(6);
        var ok = new ChainValidator(TestChains.Store(root6, [], null)).Explain(six, TestChains.Request());
        Assert.True(ok.Verdict.IsCompliant, string.Join("; ", ok.Findings.Select(f => f.Code)));
        Assert.Equal(8, ok.Chain.Count);

        var (root7, seven) = LongChain(7);
        var tooLong = new ChainValidator(TestChains.Store(root7, [], null)).Explain(seven, TestChains.Request());
        AssertFinding(tooLong, "chain.too-long", "R-C3", -1);
    }

    [Fact]
    public void An_exception_inside_validation_fails_closed_with_an_internal_error_finding()
    {
        // A null match list makes NameChecker throw inside the run: the verdict must fail, not the call.
        var chain = TestChains.Create(new ChainSpec());
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "example.com", MatchList = null! };
        var v = new ChainValidator(TestChains.Store(chain));
        var report = v.Explain(chain.Presented, request);
        AssertFinding(report, "internal.error", "R-C3", -1);
        Assert.True(report.Verdict.Reasons.HasFlag(VerdictReasons.InternalError));
        Assert.False(v.Evaluate(chain.Presented, request).IsCompliant);
    }
}
