using System.Security.Cryptography;
using CertPolicy.Dane;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Tests.Dane;

/// <summary>TLSA records and the DANE match of a presented chain (issue 15, R-D1; RFC 6698, 7671, 7672).</summary>
public class DaneMatcherTests
{
    private static readonly DateTimeOffset At = TestChains.At;

    private static TestChain Chain(string leafKey = "ec256", string[]? dns = null) =>
        TestChains.Create(new ChainSpec { LeafKey = leafKey, LeafDns = dns ?? ["mx1.example.com", "example.com"] });

    private static DaneMatcher Matcher(TestChain chain) => new(new ChainValidator(TestChains.Store(chain)));

    private static TlsaRecord Record(byte usage, byte selector, byte matching, byte[] certificate)
    {
        Assert.True(CertificateView.TryParse(certificate, out var v, out _));
        return new TlsaRecord(usage, selector, matching, TlsaRecord.Associate(certificate, v.SpkiDer, selector, matching)!);
    }

    // Acceptance (issue 15): the digests agree with `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum`
    // and with the full-certificate forms, for each selector and matching type, on an RSA and an EC certificate.
    [Theory]
    [InlineData("rsa2048")]
    [InlineData("ec256")]
    public void Association_data_agrees_with_openssl_for_every_selector_and_matching_type(string leafKey)
    {
        string openssl = Tool.Require("openssl", "openssl");
        var chain = Chain(leafKey);
        string dir = Directory.CreateTempSubdirectory("dane").FullName;
        try
        {
            string pem = Path.Combine(dir, "leaf.pem");
            File.WriteAllText(pem, TestCertificates.ToPem(chain.Leaf));
            Assert.True(CertificateView.TryParse(chain.Leaf, out var view, out _));
            foreach (var (selector, pipe) in new (byte, string)[]
            {
                (0, $"'{openssl}' x509 -in '{pem}' -outform DER"),
                (1, $"'{openssl}' x509 -in '{pem}' -pubkey -noout | '{openssl}' pkey -pubin -outform DER"),
            })
            {
                foreach (var (matching, digest) in new (byte, string)[] { (0, "od -An -v -tx1 | tr -d ' \\n'"), (1, "sha256sum | cut -d' ' -f1"), (2, "sha512sum | cut -d' ' -f1") })
                {
                    var (exit, stdout, stderr) = Tool.Run("/bin/bash", ["-c", "set -o pipefail; " + pipe + " | " + digest]);
                    Assert.True(exit == 0, stderr);
                    var ours = TlsaRecord.Associate(chain.Leaf, view.SpkiDer, selector, matching);
                    Assert.Equal(stdout.Trim().ToUpperInvariant(), Convert.ToHexString(ours!));
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Dane_ee_matches_the_leaf_by_key_or_certificate_and_needs_no_name_or_validity()
    {
        var chain = Chain();
        var m = Matcher(chain);
        foreach (var (s, t) in new (byte, byte)[] { (1, 1), (0, 1), (1, 2), (0, 0), (1, 0) })
        {
            var r = m.Match([Record(3, s, t, chain.Leaf)], chain.Presented, "mx1.example.com", "example.com", At);
            Assert.Equal(DaneStatus.Valid, r.Status);
            Assert.Equal(0, r.Depth);
        }

        // A different name and a time after expiry: DANE-EE ignores both (RFC 7672 3.1.1).
        var late = m.Match([Record(3, 1, 1, chain.Leaf)], chain.Presented, "other.example.net", "example.net", At.AddYears(5));
        Assert.Equal(DaneStatus.Valid, late.Status);

        // Another key: no match, and Postfix's dane level would defer.
        var other = Chain("rsa2048");
        var bad = m.Match([Record(3, 1, 1, other.Leaf)], chain.Presented, "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Invalid, bad.Status);
        Assert.Contains(bad.Findings, f => f.Code == "dane.ee-mismatch");
    }

    [Fact]
    public void A_dane_ee_match_on_a_self_signed_certificate_is_valid_and_still_breaks_R_C7()
    {
        var self = TestChains.SelfSignedLeaf();
        var chain = Chain();
        var r = Matcher(chain).Match([Record(3, 1, 1, self)], [self], "mail.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Valid, r.Status);
        Assert.Contains(r.Findings, f => f.Code == "dane.ee-self-signed" && f.Rule == "R-C7");
    }

    [Fact]
    public void Dane_ta_matches_the_intermediate_or_the_root_the_server_sends()
    {
        var chain = Chain();
        var m = Matcher(chain);
        IReadOnlyList<ReadOnlyMemory<byte>> withRoot = [chain.Leaf, chain.Intermediate, chain.Root];
        var viaIntermediate = m.Match([Record(2, 1, 1, chain.Intermediate)], chain.Presented, "mx1.example.com", "example.com", At);
        Assert.Equal((DaneStatus.Valid, 1), (viaIntermediate.Status, viaIntermediate.Depth));
        var viaRoot = m.Match([Record(2, 0, 2, chain.Root)], withRoot, "mx1.example.com", "example.com", At);
        Assert.Equal((DaneStatus.Valid, 2), (viaRoot.Status, viaRoot.Depth));

        // The root is not sent: the DANE-TA record names nothing in the chain (RFC 7672 3.1.2: send the trust anchor).
        var notSent = m.Match([Record(2, 0, 1, chain.Root)], chain.Presented, "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Invalid, notSent.Status);
        Assert.Contains(notSent.Findings, f => f.Code == "dane.ta-mismatch");

        // DANE-TA never matches the leaf itself.
        var leafAsTa = m.Match([Record(2, 1, 1, chain.Leaf)], chain.Presented, "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Invalid, leafAsTa.Status);
    }

    [Fact]
    public void Dane_ta_checks_names_signatures_and_validity_below_the_anchor()
    {
        var chain = Chain();
        var m = Matcher(chain);
        var ta = Record(2, 1, 1, chain.Intermediate);

        // Names: the MX host or the next-hop domain (RFC 7672 3.2.2).
        Assert.Equal(DaneStatus.Valid, m.Match([ta], chain.Presented, "mx9.elsewhere.net", "example.com", At).Status);
        var names = m.Match([ta], chain.Presented, "mx9.elsewhere.net", "elsewhere.net", At);
        Assert.Equal(DaneStatus.Invalid, names.Status);
        Assert.Contains(names.Findings, f => f.Code == "dane.ta-name-mismatch");

        // Validity of the leaf is checked with DANE-TA.
        var expired = m.Match([ta], chain.Presented, "mx1.example.com", "example.com", new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(DaneStatus.Invalid, expired.Status);
        Assert.Contains(expired.Findings, f => f.Code == "dane.ta-chain" && f.Message.Contains("validity", StringComparison.Ordinal));

        // A leaf with one signature byte changed: the link to the anchor does not verify.
        byte[] tampered = chain.Leaf.ToArray();
        tampered[^3] ^= 0x01;
        var forged = m.Match([ta], [tampered, chain.Intermediate], "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Invalid, forged.Status);
        Assert.Contains(forged.Findings, f => f.Code == "dane.ta-chain");

        // The intermediate of another chain (same name, other key) sent as anchor: names link, signature does not.
        var other = TestChains.Create(new ChainSpec { RootKeyIndex = 1, LeafDns = ["mx1.example.com"] });
        var mixed = m.Match([Record(2, 1, 1, other.Root)], [chain.Leaf, chain.Intermediate, other.Root], "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Invalid, mixed.Status);
        Assert.Contains(mixed.Findings, f => f.Code == "dane.ta-chain" && f.Message.Contains("signature", StringComparison.Ordinal));
    }

    [Fact]
    public void Pkix_usages_unknown_parameters_and_short_digests_are_unusable()
    {
        var chain = Chain();
        var good = Record(3, 1, 1, chain.Leaf);
        TlsaRecord[] unusable =
        [
            good with { Usage = 0 },
            good with { Usage = 1 },
            good with { Usage = 4 },
            good with { Selector = 2 },
            good with { MatchingType = 3 },
            good with { Data = good.Data[..31] },
            new TlsaRecord(3, 1, 2, good.Data), // a SHA-256 digest under matching type 2
        ];
        var r = Matcher(chain).Match(unusable, chain.Presented, "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.NoUsableRecords, r.Status);
        Assert.Equal(unusable.Length, r.Findings.Count(f => f.Code == "dane.record-unusable"));

        // One usable record among them decides.
        var mixed = Matcher(chain).Match([.. unusable, good], chain.Presented, "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Valid, mixed.Status);
    }

    [Fact]
    public void Hostile_record_sets_and_chains_are_bounded_and_fail_closed()
    {
        var chain = Chain();
        var m = Matcher(chain);
        var wrong = new TlsaRecord(2, 1, 1, SHA256.HashData("x"u8));
        var many = Enumerable.Repeat(wrong, 10_000).ToArray();
        var r = m.Match(many, chain.Presented, "mx1.example.com", "example.com", At);
        Assert.Equal(DaneStatus.Invalid, r.Status);
        Assert.Contains(r.Findings, f => f.Code == "dane.too-many-records");
        Assert.True(r.Findings.Count <= DaneMatcher.MaxRecords + 2);

        // An unreadable leaf matches nothing; an empty chain too.
        Assert.Equal(DaneStatus.Invalid, m.Match([Record(3, 0, 0, chain.Leaf)], [new byte[] { 0x30, 0x03, 0x02, 0x01 }], "mx1.example.com", "example.com", At).Status);
        Assert.Equal(DaneStatus.Invalid, m.Match([Record(3, 1, 1, chain.Leaf)], [], "mx1.example.com", "example.com", At).Status);
    }

    [Theory]
    [InlineData("3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6", 3, 1, 1, 32)]
    [InlineData("2 0 2 ( 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6\n 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6 )", 2, 0, 2, 64)]
    public void Presentation_form_is_read(string text, byte usage, byte selector, byte matching, int length)
    {
        Assert.True(TlsaRecord.TryParse(text, out var r, out var error), error);
        Assert.Equal((usage, selector, matching, length), (r!.Usage, r.Selector, r.MatchingType, r.Data.Length));
        Assert.True(TlsaRecord.TryParse(r.ToString(), out var again, out _));
        Assert.Equal(r.Data, again!.Data);
    }

    [Theory]
    [InlineData("", "needs usage")]
    [InlineData("3 1 1", "needs usage")]
    [InlineData("256 1 1 00", "certificate usage '256'")]
    [InlineData("3 x 1 00", "selector 'x'")]
    [InlineData("3 1 -1 00", "matching type '-1'")]
    [InlineData("3 1 1 0", "even number")]
    [InlineData("3 1 1 zz", "even number")]
    public void Bad_presentation_forms_say_what_is_wrong(string text, string expected)
    {
        Assert.False(TlsaRecord.TryParse(text, out var r, out var error));
        Assert.Null(r);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Wire_form_is_read()
    {
        Assert.True(TlsaRecord.TryRead([3, 1, 1, 0xAB], out var r));
        Assert.Equal("3 1 1 AB", r!.ToString());
        Assert.False(TlsaRecord.TryRead([3, 1, 1], out _));
    }
}
