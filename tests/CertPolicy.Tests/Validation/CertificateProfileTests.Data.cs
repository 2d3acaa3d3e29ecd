using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Tests.Validation;

/// <summary>The three certificates of a profile-test chain, before signing (root → intermediate → leaf).</summary>
internal sealed record ProfileChainTemplate(RawCertificate Root, RawCertificate Intermediate, RawCertificate Leaf);

/// <summary>
/// One R-C11 case: a mutation of the BR-conformant base chain that breaks exactly one rule, the finding code and
/// depth it must produce under partner-2026, and any other finding the same defect implies (e.g. a blank O is
/// also "no organisation", R-C6). <see cref="NextHop"/> is the reference name for R-C2.
/// </summary>
public sealed record ProfileCase(string Name, string Code, int Depth, string[] AlsoCodes, string NextHop)
{
    internal Func<ProfileChainTemplate, ProfileChainTemplate> Mutate { get; init; } = t => t;

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Builds the base chain and the case tables of <see cref="CertificateProfileTests"/>.</summary>
public static partial class ProfileCases
{
    private static readonly DateTimeOffset RootNotBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset RootNotAfter = new(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal static readonly ECDsa RootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    internal static readonly ECDsa IntermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    internal static readonly ECDsa LeafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    internal static readonly byte[] RootName = RawDer.Name("CN=R11 Root CA,O=R11 Trust,C=DE");
    internal static readonly byte[] IntermediateName = RawDer.Name("CN=R11 Issuing CA,O=R11 Trust,C=DE");
    internal static readonly byte[] RootSpki = RawDer.Spki(RootKey);
    internal static readonly byte[] IntermediateSpki = RawDer.Spki(IntermediateKey);
    internal static readonly byte[] LeafSpki = RawDer.Spki(LeafKey);

    private const X509KeyUsageFlags CaUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;

    /// <summary>A chain that meets RFC 5280 and the BR TLS profiles (root 7.1.2.1, TLS sub-CA 7.1.2.6, subscriber 7.1.2.7).</summary>
    internal static ProfileChainTemplate Base()
    {
        var root = new RawCertificate
        {
            Serial = [0x01, 0x11],
            IssuerDer = RootName,
            SubjectDer = RootName,
            NotBefore = RootNotBefore,
            NotAfter = RootNotAfter,
            SpkiDer = RootSpki,
            Extensions =
            [
                new(RawDer.BasicConstraints, true, RawDer.BasicConstraintsValue(true)),
                new(RawDer.KeyUsage, true, RawDer.KeyUsageValue(CaUsage)),
                new(RawDer.Ski, false, RawDer.OctetString(RawDer.KeyId(RootSpki))),
            ],
        };
        var intermediate = new RawCertificate
        {
            Serial = [0x02, 0x11],
            IssuerDer = RootName,
            SubjectDer = IntermediateName,
            NotBefore = new(2021, 1, 1, 0, 0, 0, TimeSpan.Zero),
            NotAfter = new(2035, 1, 1, 0, 0, 0, TimeSpan.Zero),
            SpkiDer = IntermediateSpki,
            Extensions =
            [
                new(RawDer.BasicConstraints, true, RawDer.BasicConstraintsValue(true)),
                new(RawDer.KeyUsage, true, RawDer.KeyUsageValue(CaUsage)),
                new(RawDer.Ski, false, RawDer.OctetString(RawDer.KeyId(IntermediateSpki))),
                new(RawDer.Aki, false, RawDer.AkiValue(RawDer.KeyId(RootSpki))),
                new(RawDer.Policies, false, RawDer.PoliciesValue(TestOids.AnyPolicy)),
            ],
        };
        var leaf = new RawCertificate
        {
            Serial = [0x03, 0x11],
            IssuerDer = IntermediateName,
            SubjectDer = RawDer.Name("CN=mail.example.com,O=Example GmbH,C=DE"),
            SpkiDer = LeafSpki,
            Extensions =
            [
                new(RawDer.BasicConstraints, true, RawDer.BasicConstraintsValue(false)),
                new(RawDer.KeyUsage, true, RawDer.KeyUsageValue(X509KeyUsageFlags.DigitalSignature)),
                new(RawDer.ExtKeyUsage, false, RawDer.EkuValue(RawDer.ServerAuth)),
                new(RawDer.SubjectAltName, false, RawDer.SanValue("mail.example.com", "example.com")),
                new(RawDer.Policies, false, RawDer.PoliciesValue(TestOids.Ov)),
                new(RawDer.Aki, false, RawDer.AkiValue(RawDer.KeyId(IntermediateSpki))),
            ],
        };
        return new ProfileChainTemplate(root, intermediate, leaf);
    }

    /// <summary>Signs the three certificates (root self-signed, intermediate by the root, leaf by the intermediate).</summary>
    internal static TestChain Sign(ProfileChainTemplate t) =>
        new(t.Root.Sign(RootKey), t.Intermediate.Sign(RootKey), t.Leaf.Sign(IntermediateKey));

    private static ProfileCase Leaf(string name, string code, Func<RawCertificate, RawCertificate> f, string nextHop = "example.com", params string[] also) =>
        new(name, code, 0, also, nextHop) { Mutate = t => t with { Leaf = f(t.Leaf) } };

    private static ProfileCase Int(string name, string code, Func<RawCertificate, RawCertificate> f, params string[] also) =>
        new(name, code, 1, also, "example.com") { Mutate = t => t with { Intermediate = f(t.Intermediate) } };

    private static ProfileCase Root(string name, string code, Func<RawCertificate, RawCertificate> f, params string[] also) =>
        new(name, code, 2, also, "example.com") { Mutate = t => t with { Root = f(t.Root) } };

    private static RawCertificate San(RawCertificate c, params string[] names) => c.With(RawDer.SubjectAltName, false, RawDer.SanValue(names));

    private static RawCertificate Subject(RawCertificate c, params (string Oid, System.Formats.Asn1.UniversalTagNumber Tag, string Value)[] attributes) =>
        c with { SubjectDer = RawDer.Name(attributes) };

    private const string Cn = "2.5.4.3", O = "2.5.4.10", Ou = "2.5.4.11", L = "2.5.4.7", St = "2.5.4.8", C = "2.5.4.6";
    private const System.Formats.Asn1.UniversalTagNumber Utf8 = System.Formats.Asn1.UniversalTagNumber.UTF8String;
    private const System.Formats.Asn1.UniversalTagNumber Printable = System.Formats.Asn1.UniversalTagNumber.PrintableString;

    private static BigInteger Modulus(int bits)
    {
        // An odd number with exactly 'bits' bits (the key is never used: only its size and form are judged).
        var m = BigInteger.One << (bits - 1);
        return m + 0x1234567 * 2 + 1;
    }

    /// <summary>Each row breaks one R-C11 rule: OpenSSL and postfix-secure accept the chain, partner-2026 reports the code.</summary>
    public static TheoryData<ProfileCase> ProfileRules() =>
    [
        // basicConstraints (RFC 5280 4.2.1.9, BR 7.1.2.7.8, 7.1.2.10.4, 7.1.2.1.4)
        Leaf("leaf-ca-true", "profile.leaf-is-ca", c => c.With(RawDer.BasicConstraints, true, RawDer.BasicConstraintsValue(true))),
        Int("intermediate-basic-constraints-not-critical", "profile.ca-basic-constraints-not-critical", c => c.With(RawDer.BasicConstraints, false, RawDer.BasicConstraintsValue(true))),
        Root("root-basic-constraints-not-critical", "profile.ca-basic-constraints-not-critical", c => c.With(RawDer.BasicConstraints, false, RawDer.BasicConstraintsValue(true))),
        Leaf("leaf-path-length-without-ca", "profile.path-length-without-ca", c => c.With(RawDer.BasicConstraints, true, RawDer.BasicConstraintsValue(false, 0))),

        // versions (BR 7.1.1, RFC 5280 4.1.2.1)
        Root("root-v1", "profile.version", c => c with { Version = 1, Extensions = [] }),
        Leaf("leaf-v2-with-extensions", "profile.version", c => c with { Version = 2 }),
        Leaf("leaf-v1-with-extensions", "profile.version", c => c with { Version = 1 }),

        // key identifiers (RFC 5280 4.2.1.1 / 4.2.1.2, BR 7.1.2.11.1, 7.1.2.11.4, 7.1.2.1.3)
        Leaf("leaf-aki-missing", "profile.aki-missing", c => c.Without(RawDer.Aki)),
        Int("intermediate-aki-missing", "profile.aki-missing", c => c.Without(RawDer.Aki)),
        Leaf("leaf-aki-without-key-identifier", "profile.aki-missing", c => c.With(RawDer.Aki, false, RawDer.AkiValue(null, RootName, [0x02, 0x11]))),
        Int("intermediate-ski-missing", "profile.ski-missing", c => c.Without(RawDer.Ski)),
        Root("root-ski-missing", "profile.ski-missing", c => c.Without(RawDer.Ski)),
        Root("root-aki-without-key-identifier", "profile.anchor-aki", c => c.Append(RawDer.Aki, false, RawDer.AkiValue(null, RootName, [0x01, 0x11]))),
        Root("root-aki-with-issuer-and-serial", "profile.anchor-aki", c => c.Append(RawDer.Aki, false, RawDer.AkiValue(RawDer.KeyId(RootSpki), RootName, [0x01, 0x11]))),
        Root("root-aki-with-issuer", "profile.anchor-aki", c => c.Append(RawDer.Aki, false, RawDer.AkiValue(RawDer.KeyId(RootSpki), RootName))),
        Root("root-aki-with-serial", "profile.anchor-aki", c => c.Append(RawDer.Aki, false, RawDer.AkiValue(RawDer.KeyId(RootSpki), null, [0x01, 0x11]))),

        // names (BR 7.1.4.3, 7.1.2.7.12, 3.2.2.6, 7.1.4; RFC 5280 4.2.1.6)
        Leaf("cn-not-in-san", "profile.cn-not-in-san", c => San(c, "example.com")),
        Leaf("san-critical-with-subject", "profile.san-critical", c => c.With(RawDer.SubjectAltName, true, RawDer.SanValue("mail.example.com", "example.com"))),
        Leaf("san-empty", "profile.san-empty", c => San(c), nextHop: "mail.example.com"),
        Leaf("san-missing", "profile.san-missing", c => c.Without(RawDer.SubjectAltName), nextHop: "mail.example.com"),
        Leaf("dns-underscore", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", "mail_1.example.com")),
        Leaf("dns-label-trailing-hyphen", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", "mail-.example.com")),
        Leaf("dns-label-too-long", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", new string('a', 64) + ".example.com")),
        Leaf("dns-empty-label", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", "mail..example.com")),
        Leaf("dns-wildcard-not-whole-label", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", "m*.example.com")),
        Leaf("dns-wildcard-not-leftmost", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", "mail.*.example.com")),
        Leaf("dns-trailing-dot", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", "www.example.com.")),
        Leaf("dns-ip-literal", "profile.dns-name-invalid", c => San(c, "mail.example.com", "example.com", "192.0.2.1")),
        Leaf("wildcard-under-co-uk", "profile.wildcard-public-suffix", c => San(c, "mail.example.com", "example.com", "*.co.uk")),
        Leaf("wildcard-under-com", "profile.wildcard-public-suffix", c => San(c, "mail.example.com", "example.com", "*.com")),
        Leaf("wildcard-under-psl-wildcard-rule", "profile.wildcard-public-suffix", c => San(c, "mail.example.com", "example.com", "*.foo.ck")),
        Leaf("blank-organization", "profile.blank-attribute", c => Subject(c, (Cn, Utf8, "mail.example.com"), (O, Utf8, " "), (C, Printable, "DE")), "example.com", "leaf.no-organization"),
        Leaf("blank-organizational-unit", "profile.blank-attribute", c => Subject(c, (Cn, Utf8, "mail.example.com"), (O, Utf8, "Example GmbH"), (Ou, Utf8, "  "), (C, Printable, "DE"))),
        Leaf("metadata-only-locality", "profile.blank-attribute", c => Subject(c, (Cn, Utf8, "mail.example.com"), (O, Utf8, "Example GmbH"), (L, Utf8, "-"), (C, Printable, "DE"))),
        Leaf("dot-only-state", "profile.blank-attribute", c => Subject(c, (Cn, Utf8, "mail.example.com"), (O, Utf8, "Example GmbH"), (St, Utf8, "."), (C, Printable, "DE"))),
        Leaf("blank-country", "profile.blank-attribute", c => Subject(c, (Cn, Utf8, "mail.example.com"), (O, Utf8, "Example GmbH"), (C, Printable, "  "))),

        // EKU (BR 7.1.2.7.10, 7.1.2.7.6, 7.1.2.10.6, 7.1.2.1.2)
        Leaf("leaf-eku-missing", "profile.eku-missing", c => c.Without(RawDer.ExtKeyUsage)),
        Leaf("leaf-eku-critical", "profile.eku-critical", c => c.With(RawDer.ExtKeyUsage, true, RawDer.EkuValue(RawDer.ServerAuth))),
        Int("intermediate-eku-critical", "profile.eku-critical", c => c.Append(RawDer.ExtKeyUsage, true, RawDer.EkuValue(RawDer.ServerAuth))),
        Root("root-eku", "profile.anchor-eku", c => c.Append(RawDer.ExtKeyUsage, false, RawDer.EkuValue(RawDer.ServerAuth))),

        // name constraints (RFC 5280 4.2.1.10, BR 7.1.2.10.8)
        Int("name-constraints-empty-permitted", "profile.name-constraints-empty", c => c.Append(RawDer.NameConstraints, true, RawDer.NameConstraintsValue([], ["example.net"]))),
        Int("name-constraints-empty-excluded", "profile.name-constraints-empty", c => c.Append(RawDer.NameConstraints, true, RawDer.NameConstraintsValue(["example.com"], []))),
        Int("name-constraints-leading-period", "profile.name-constraints-leading-period", c => c.Append(RawDer.NameConstraints, true, RawDer.NameConstraintsValue(["example.com", ".example.com"], null))),

        // other extensions (RFC 5280 4.2.2.1, 4.2.1.13, 4.2.1.11)
        Leaf("aia-malformed", "profile.aia-malformed", c => c.Append(RawDer.Aia, false, [0x30, 0x03, 0x02, 0x01, 0x01])),
        Leaf("aia-empty", "profile.aia-malformed", c => c.Append(RawDer.Aia, false, [0x30, 0x00])),
        Leaf("crldp-empty", "profile.crldp-malformed", c => c.Append(RawDer.CrlDp, false, [0x30, 0x00])),
        Int("policy-constraints-not-critical", "profile.policy-constraints-not-critical", c => c.Append(RawDer.PolicyConstraints, false, RawDer.PolicyConstraintsValue(0))),

        // keys (BR 6.1.5, 6.1.6, 7.1.3.1.2; RFC 5480 2.1.1)
        Leaf("rsa-modulus-not-multiple-of-8", "profile.rsa-modulus-size", c => c with { SpkiDer = RawDer.RsaSpki(Modulus(2049), 65537) }),
        Leaf("rsa-exponent-even", "profile.rsa-exponent", c => c with { SpkiDer = RawDer.RsaSpki(Modulus(2048), 65538) }),
        Leaf("rsa-exponent-one", "profile.rsa-exponent", c => c with { SpkiDer = RawDer.RsaSpki(Modulus(2048), 1) }),
        Leaf("rsa-exponent-too-large", "profile.rsa-exponent", c => c with { SpkiDer = RawDer.RsaSpki(Modulus(2048), (BigInteger.One << 256) + 1) }),
        Leaf("ec-secp256k1", "profile.ec-curve", c => c with { SpkiDer = RawDer.Secp256k1Spki() }, "example.com", "key.too-weak"),
    ];

    /// <summary>Variants of the base chain that meet every rule (each near a rule's edge): compliant under every profile but document-2019's annex rule.</summary>
    public static TheoryData<ProfileCase> Conformant() =>
    [
        new("base", string.Empty, 0, [], "example.com"),
        Leaf("cn-differs-only-in-case", string.Empty, c => c with { SubjectDer = RawDer.Name("CN=MAIL.Example.COM,O=Example GmbH,C=DE") }),
        Leaf("wildcard-under-registrable-domain", string.Empty, c => San(c, "mail.example.com", "example.com", "*.example.co.uk")),
        Leaf("wildcard-under-private-suffix", string.Empty, c => San(c, "mail.example.com", "example.com", "*.github.io")),
        Leaf("psl-exception-rule", string.Empty, c => San(c, "mail.example.com", "example.com", "*.www.ck")),
        Leaf("leaf-without-basic-constraints", string.Empty, c => c.Without(RawDer.BasicConstraints)),
        Leaf("rsa-2048-f4", string.Empty, c => c with { SpkiDer = RawDer.RsaSpki(Modulus(2048), 65537) }),
        Leaf("rsa-exponent-three", string.Empty, c => c with { SpkiDer = RawDer.RsaSpki(Modulus(2048), 3) }),
        Leaf("aia-and-crldp", string.Empty, c => c.Append(RawDer.Aia, false, RawDer.AiaValue("http://ca.example/int.crt")).Append(RawDer.CrlDp, false, RawDer.CrlDpValue("http://ca.example/int.crl"))),
        Root("root-aki-equal-to-ski", string.Empty, c => c.Append(RawDer.Aki, false, RawDer.AkiValue(RawDer.KeyId(RootSpki)))),
        Int("name-constraints-permitted", string.Empty, c => c.Append(RawDer.NameConstraints, true, RawDer.NameConstraintsValue(["example.com"], ["example.net"]))),
    ];

    /// <summary>
    /// Defects the certificate reader or the path check (R-C3) refuses in every profile. Each is refused only because real
    /// <c>openssl verify</c> (3.0) refuses it too (asserted), so postfix-secure keeps OpenSSL's (Postfix's) answer.
    /// </summary>
    public static TheoryData<ProfileCase> RefusedEverywhere() =>
    [
        // OpenSSL's v3_purp.c: the root's own AKI differs from its SKI, so it is not self-signed (EXFLAG_SS); build_chain looks for its issuer (error 2).
        Root("root-aki-not-its-ski", "chain.anchor-aki-mismatch", c => c.Append(RawDer.Aki, false, RawDer.AkiValue([1, 2, 3, 4]))),

        // OpenSSL's v3_purp.c: setup_crldp fails, EXFLAG_INVALID; such a certificate is neither issuer nor subject in check_issued (error 20).
        Int("crldp-undecodable", "chain.crldp-malformed", c => c.Append(RawDer.CrlDp, false, [0x30, 0x03, 0x02, 0x01, 0x01])),
        Leaf("leaf-crldp-undecodable", "chain.crldp-malformed", c => c.Append(RawDer.CrlDp, false, [0x30, 0x03, 0x02, 0x01, 0x01])),
        Int("crldp-point-without-name-or-issuer", "chain.crldp-malformed", c => c.Append(RawDer.CrlDp, false, [0x30, 0x02, 0x30, 0x00])),
        Leaf("crldp-full-name-not-general-names", "chain.crldp-malformed", c => c.Append(RawDer.CrlDp, false, [0x30, 0x08, 0x30, 0x06, 0xA0, 0x04, 0xA0, 0x02, 0x30, 0x00])),

        // OpenSSL 3.0 x509_vfy.c check_extensions: check_curve for every certificate of the chain (error 94).
        Leaf("ec-explicit-curve", "chain.ec-explicit-parameters", c => c with { SpkiDer = RawDer.ExplicitCurveSpki(LeafKey) }),
        Leaf("duplicate-extension", "input.malformed", c => c.Append(RawDer.SubjectAltName, false, RawDer.SanValue("mail.example.com"))),
        Leaf("tbs-signature-algorithm-differs", "input.malformed", c => c with { TbsSignatureAlgorithm = RawDer.EcdsaSha384 }),
    ];
}
