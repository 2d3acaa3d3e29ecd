using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Validation;

/// <summary>What to put in a generated root → intermediate → leaf chain. Defaults give a compliant OV chain.</summary>
internal sealed record ChainSpec
{
    internal string RootName { get; init; } = "CN=Test Root CA,O=Test Trust,C=DE";
    internal string IntermediateName { get; init; } = "CN=Test Issuing CA,O=Test Trust,C=DE";
    /// <summary>The leaf subject; null = "CN={first DNS name},O=Example GmbH,C=DE", so that the CN is one of the
    /// SANs (BR 7.1.4.3, R-C11) whatever <see cref="LeafDns"/> a test picks.</summary>
    internal string? LeafName { get; init; }
    internal string[] LeafDns { get; init; } = ["mail.example.com", "example.com"];

    internal string LeafSubject => LeafName ?? "CN=" + (LeafDns.Length > 0 ? LeafDns[0] : "mail.example.com") + ",O=Example GmbH,C=DE";
    internal string[] LeafPolicies { get; init; } = [TestOids.Ov];

    /// <summary>Intermediate policies; null = no certificatePolicies extension.</summary>
    internal string[]? IntermediatePolicies { get; init; } = ["2.5.29.32.0"];
    internal DateTimeOffset LeafNotBefore { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal DateTimeOffset LeafNotAfter { get; init; } = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal DateTimeOffset IntermediateNotAfter { get; init; } = new(2035, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal HashAlgorithmName LeafHash { get; init; } = HashAlgorithmName.SHA256;

    /// <summary>"ec256" (default), "rsa2048", "rsa1024", "ec384".</summary>
    internal string LeafKey { get; init; } = "ec256";
    internal bool IntermediateIsCa { get; init; } = true;
    internal int? IntermediatePathLength { get; init; }
    internal bool IntermediateKeyCertSign { get; init; } = true;

    /// <summary>cRLSign in the intermediate's keyUsage (with keyCertSign).</summary>
    internal bool IntermediateCrlSign { get; init; } = true;
    internal string[]? IntermediateEku { get; init; }
    internal string[]? LeafEku { get; init; } = ["1.3.6.1.5.5.7.3.1"];

    /// <summary>Permitted dNSName subtrees on the intermediate, or null.</summary>
    internal string[]? PermittedDns { get; init; }

    /// <summary>Excluded dNSName subtrees on the intermediate, or null.</summary>
    internal string[]? ExcludedDns { get; init; }
    internal bool LeafUnknownCritical { get; init; }

    /// <summary>A cRLDistributionPoints URI on the leaf, or null.</summary>
    internal string? LeafCrlDistributionPoint { get; init; }

    /// <summary>Root key selector (different values give different roots).</summary>
    internal int RootKeyIndex { get; init; }
}

/// <summary>A generated chain (DER).</summary>
internal sealed record TestChain(byte[] Root, byte[] Intermediate, byte[] Leaf)
{
    internal IReadOnlyList<ReadOnlyMemory<byte>> Presented => [Leaf, Intermediate];

    internal string PresentedPem => TestCertificatesPem(Leaf) + TestCertificatesPem(Intermediate);

    internal string RootPem => TestCertificatesPem(Root);

    private static string TestCertificatesPem(byte[] der) => PemEncoding.WriteString("CERTIFICATE", der) + "\n";
}

internal static class TestOids
{
    internal const string Ev = "2.23.140.1.1";
    internal const string Dv = "2.23.140.1.2.1";
    internal const string Ov = "2.23.140.1.2.2";
    internal const string Iv = "2.23.140.1.2.3";
    internal const string CustomEvA = "1.3.6.1.4.1.55555.1.1";
    internal const string CustomEvB = "1.3.6.1.4.1.55555.2.1";
    internal const string AnyPolicy = "2.5.29.32.0";
}

/// <summary>Generates test chains with .NET's CertificateRequest. Keys are created once per process; the tests judge at a fixed time.</summary>
internal static class TestChains
{
    internal static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset RootNotBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset RootNotAfter = new(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset IntermediateNotBefore = new(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<RSA>[] RootKeys = [new(() => RSA.Create(2048)), new(() => RSA.Create(2048))];
    private static readonly Lazy<ECDsa> IntermediateKey = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private static readonly Lazy<ECDsa> LeafEc = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private static readonly Lazy<ECDsa> LeafEc384 = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP384));
    private static readonly Lazy<RSA> LeafRsa2048 = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> LeafRsa1024 = new(() => RSA.Create(1024));
    private static readonly Dictionary<string, byte[]> RootCache = [];
    private static int _serial;

    /// <summary>The root's private key (signs CRLs for the intermediate in the revocation tests).</summary>
    internal static RSA RootSigningKey(int keyIndex) => RootKeys[keyIndex].Value;

    /// <summary>The intermediate's private key (signs CRLs for the leaf in the revocation tests).</summary>
    internal static ECDsa IntermediateSigningKey => IntermediateKey.Value;

    /// <summary>The default (ec256) leaf key, so that a real server (Postfix in the DANE probe test) can present a generated leaf.</summary>
    internal static ECDsa LeafSigningKey => LeafEc.Value;

    internal static ReadOnlyMemory<byte> RootFor(int keyIndex, string name)
    {
        lock (RootCache)
        {
            string k = keyIndex + "|" + name;
            if (!RootCache.TryGetValue(k, out var der))
            {
                var key = RootKeys[keyIndex].Value;
                var req = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
                req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
                req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
                using var c = req.CreateSelfSigned(RootNotBefore, RootNotAfter);
                der = c.RawData;
                RootCache[k] = der;
            }

            return der;
        }
    }

    internal static TestChain Create(ChainSpec s)
    {
        var rootKey = RootKeys[s.RootKeyIndex].Value;
        byte[] root = RootFor(s.RootKeyIndex, s.RootName).ToArray();
        var rootSki = new X509SubjectKeyIdentifierExtension(new PublicKey(rootKey), false);

        var intKey = IntermediateKey.Value;
        var ireq = new CertificateRequest(s.IntermediateName, intKey, HashAlgorithmName.SHA256);
        ireq.CertificateExtensions.Add(s.IntermediatePathLength is { } pl
            ? new X509BasicConstraintsExtension(s.IntermediateIsCa, true, pl, true)
            : new X509BasicConstraintsExtension(s.IntermediateIsCa, false, 0, true));
        ireq.CertificateExtensions.Add(new X509KeyUsageExtension(s.IntermediateKeyCertSign ? X509KeyUsageFlags.KeyCertSign | (s.IntermediateCrlSign ? X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.None) : X509KeyUsageFlags.DigitalSignature, true));
        var intSki = new X509SubjectKeyIdentifierExtension(ireq.PublicKey, false);
        ireq.CertificateExtensions.Add(intSki);
        ireq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(rootSki));
        if (s.IntermediatePolicies is { } ip)
        {
            ireq.CertificateExtensions.Add(Policies(ip));
        }

        if (s.IntermediateEku is { } ie)
        {
            ireq.CertificateExtensions.Add(Eku(ie));
        }

        if (s.PermittedDns is not null || s.ExcludedDns is not null)
        {
            ireq.CertificateExtensions.Add(NameConstraints(s.PermittedDns, s.ExcludedDns));
        }

        var rootGen = X509SignatureGenerator.CreateForRSA(rootKey, RSASignaturePadding.Pkcs1);
        byte[] intermediate;
        using (var ic = ireq.Create(new X500DistinguishedName(s.RootName), rootGen, IntermediateNotBefore, s.IntermediateNotAfter, Serial()))
        {
            intermediate = ic.RawData;
        }

        CertificateRequest lreq = s.LeafKey switch
        {
            "rsa2048" => new CertificateRequest(s.LeafSubject, LeafRsa2048.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            "rsa1024" => new CertificateRequest(s.LeafSubject, LeafRsa1024.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            "ec384" => new CertificateRequest(s.LeafSubject, LeafEc384.Value, HashAlgorithmName.SHA256),
            _ => new CertificateRequest(s.LeafSubject, LeafEc.Value, HashAlgorithmName.SHA256),
        };
        lreq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        lreq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        lreq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(lreq.PublicKey, false));
        lreq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(intSki));
        if (s.LeafEku is { } le)
        {
            lreq.CertificateExtensions.Add(Eku(le));
        }

        if (s.LeafDns.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var d in s.LeafDns)
            {
                san.AddDnsName(d);
            }

            lreq.CertificateExtensions.Add(san.Build());
        }

        if (s.LeafPolicies.Length > 0)
        {
            lreq.CertificateExtensions.Add(Policies(s.LeafPolicies));
        }

        if (s.LeafCrlDistributionPoint is { } cdp)
        {
            lreq.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([cdp]));
        }

        if (s.LeafUnknownCritical)
        {
            lreq.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.55555.9", [0x05, 0x00], critical: true));
        }

        X509SignatureGenerator intGen = s.LeafHash == HashAlgorithmName.SHA1 ? new Sha1EcdsaGenerator(intKey) : X509SignatureGenerator.CreateForECDsa(intKey);
        byte[] leaf;
        using (var lc = lreq.Create(new X500DistinguishedName(s.IntermediateName), intGen, s.LeafNotBefore, s.LeafNotAfter, Serial()))
        {
            leaf = lc.RawData;
        }

        return new TestChain(root, intermediate, leaf);
    }

    /// <summary>A self-signed leaf (R-C7) with an organisation and the OV OID.</summary>
    internal static byte[] SelfSignedLeaf()
    {
        var req = new CertificateRequest("CN=mail.example.com,O=Example GmbH,C=DE", LeafEc.Value, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mail.example.com");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(Policies([TestOids.Ov]));
        using var c = req.CreateSelfSigned(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return c.RawData;
    }

    internal static TrustStore Store(TestChain chain, params string[] evOids) => Store(chain.Root, evOids, null);

    internal static TrustStore Store(ReadOnlyMemory<byte> root, string[] evOids, DateTimeOffset? distrustAfter, string? annexCa = null)
    {
        Assert.True(CustomTrust.TryCreate([new CustomAnchor(root, evOids, distrustAfter, annexCa)], out var store, out var error), error);
        return store!;
    }

    internal static ValidationRequest Request(ValidationProfile? profile = null, string nextHop = "example.com") =>
        new() { Time = At, NextHop = nextHop, Profile = profile ?? ValidationProfile.Partner2026 };

    private static byte[] Serial()
    {
        int n = Interlocked.Increment(ref _serial);
        return [0x10, (byte)(n >> 16), (byte)(n >> 8), (byte)n];
    }

    // The extension builders are shared with the differential corpus (CorpusChains.cs).
    private static X509Extension Policies(string[] oids) => CorpusExtensions.Policies(oids);

    private static X509Extension Eku(string[] oids) => CorpusExtensions.Eku(oids);

    private static X509Extension NameConstraints(string[]? permitted, string[]? excluded) => CorpusExtensions.NameConstraints(permitted, excluded);
}

/// <summary>Signs with ecdsa-with-SHA1 (1.2.840.10045.4.1), which .NET's own generator refuses to emit.</summary>
internal sealed class Sha1EcdsaGenerator(ECDsa key) : X509SignatureGenerator
{
    public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
        [0x30, 0x09, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];

    public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
        key.SignData(data, HashAlgorithmName.SHA1, DSASignatureFormat.Rfc3279DerSequence);

    protected override PublicKey BuildPublicKey() => new(key);
}
