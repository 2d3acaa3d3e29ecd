using CertPolicy.Validation;

namespace CertPolicy.Tests.Validation;

/// <summary><see cref="ValidationRequest.RequiredEku"/>: which EKU the leaf and its CAs must allow (postfix-secure: the chain verdict).</summary>
public sealed class RequiredEkuTests
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string EmailProtection = "1.3.6.1.5.5.7.3.4";
    private const string AnyEku = "2.5.29.37.0";

    // object: RequiredEku is internal (xunit needs public signatures).
    public static TheoryData<string, string[]?, string[]?, object, bool> Cases => new()
    {
        { "server leaf, serverAuth required (default)", [ServerAuth], null, RequiredEku.ServerAuth, true },
        { "client leaf, serverAuth required", [ClientAuth], null, RequiredEku.ServerAuth, false },
        { "client leaf, clientAuth required", [ClientAuth], null, RequiredEku.ClientAuth, true },
        { "server leaf, clientAuth required", [ServerAuth], null, RequiredEku.ClientAuth, false },
        { "both in the leaf, both required", [ServerAuth, ClientAuth], null, RequiredEku.ServerAuth | RequiredEku.ClientAuth, true },
        { "server leaf, both required", [ServerAuth], null, RequiredEku.ServerAuth | RequiredEku.ClientAuth, false },
        { "no EKU in the leaf, clientAuth required", null, null, RequiredEku.ClientAuth, true },
        { "e-mail leaf, no requirement", [EmailProtection], null, RequiredEku.None, true },
        { "e-mail leaf, serverAuth required", [EmailProtection], null, RequiredEku.ServerAuth, false },
        { "anyExtendedKeyUsage leaf, no requirement: still refused (CA/B BR 7.1.2.7.10)", [AnyEku], null, RequiredEku.None, false },
        { "client leaf under a serverAuth-only CA, clientAuth required", [ClientAuth], [ServerAuth], RequiredEku.ClientAuth, false },
        { "client leaf under a clientAuth CA, clientAuth required", [ClientAuth], [ClientAuth], RequiredEku.ClientAuth, true },
        { "server leaf under a clientAuth-only CA, serverAuth required", [ServerAuth], [ClientAuth], RequiredEku.ServerAuth, false },
        { "e-mail leaf under an e-mail CA, no requirement", [EmailProtection], [EmailProtection], RequiredEku.None, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_required_EKU_decides_the_chain_verdict(string description, string[]? leafEku, string[]? caEku, object requiredEku, bool valid)
    {
        var required = (RequiredEku)requiredEku;
        var chain = CorpusChains.Create(new CorpusSpec { LeafEku = leafEku, BottomEku = caEku });
        var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "mail.example.com", Profile = ValidationProfile.PostfixSecure, RequiredEku = required };
        ReadOnlyMemory<byte>[] presented = [chain.Leaf, .. chain.Intermediates.Select(i => (ReadOnlyMemory<byte>)i)];
        var report = validator.Explain(presented, request);
        Assert.Equal(report.Verdict, validator.Evaluate(presented, request));
        Assert.True(report.Verdict.IsCompliant == valid, description + ": " + string.Join("; ", report.Findings.Select(f => f.Code + " " + f.Message)));
        if (!valid)
        {
            Assert.Contains(report.Findings, f => f.Code is "leaf.eku" or "chain.ca-eku" or "leaf.eku-any");
        }
    }

    [Fact]
    public void The_finding_names_the_required_usage()
    {
        var chain = CorpusChains.Create(new CorpusSpec { LeafEku = [ServerAuth] });
        var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "mail.example.com", Profile = ValidationProfile.PostfixSecure, RequiredEku = RequiredEku.ClientAuth };
        var report = validator.Explain([chain.Leaf, chain.Intermediates[0]], request);
        Assert.Contains(report.Findings, f => f.Code == "leaf.eku" && f.Message == "the leaf's extended key usage does not include clientAuth");
    }

    [Fact]
    public void A_client_leaf_whose_key_usage_cannot_sign_is_refused_for_clientAuth()
    {
        // RFC 5280 4.2.1.12: clientAuth is consistent with digitalSignature and/or keyAgreement; keyEncipherment alone is not.
        var chain = CorpusChains.Create(new CorpusSpec { LeafEku = [ClientAuth], LeafKeyUsage = System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyEncipherment });
        var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "mail.example.com", Profile = ValidationProfile.PostfixSecure, RequiredEku = RequiredEku.ClientAuth };
        var report = validator.Explain([chain.Leaf, chain.Intermediates[0]], request);
        Assert.Contains(report.Findings, f => f.Code == "leaf.key-usage" && f.Message == "the leaf's key usage allows no TLS client use");
    }

    [Fact]
    public void An_undefined_requirement_is_a_caller_mistake()
    {
        var chain = CorpusChains.Create(new CorpusSpec());
        var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "mail.example.com", RequiredEku = (RequiredEku)4 };
        Assert.Throws<ArgumentException>(() => validator.Evaluate([chain.Leaf, chain.Intermediates[0]], request));
        Assert.Throws<ArgumentException>(() => validator.Explain([chain.Leaf, chain.Intermediates[0]], request));
    }
}
