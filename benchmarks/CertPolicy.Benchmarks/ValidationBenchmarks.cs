using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using CertPolicy.Trust;
using CertPolicy.Validation;
using CertPolicy.X509;
using Org.BouncyCastle.Pkix;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcParser = Org.BouncyCastle.X509.X509CertificateParser;

namespace CertPolicy.Benchmarks;

/// <summary>
/// Issue 4 chain validation, RSA-2048 root → RSA-2048 intermediate → P-256 leaf, at a fixed time, with the
/// baselines in the same run. Each invocation takes the next of <see cref="Chains"/> pre-generated chains, so leaves
/// (and, in the cold group, intermediates) differ from one call to the next.
/// <list type="bullet">
/// <item>cold: a never-seen leaf and intermediate from DER, the anchor already loaded with the store (our key and
/// verified-signature caches are cleared before each call). Baseline: X509CertificateLoader for both +
/// X509Chain.Build (custom root trust, root certificate loaded once, no downloads, no revocation, serverAuth).
/// Also: the unavoidable primitives alone (one RSA public-key import + two RSA-2048 PKCS#1 verifications) and
/// BouncyCastle's PkixCertPathValidator (anchor parsed once, revocation disabled).</item>
/// <item>warm: distinct leaves under an intermediate the validator has already seen. Baseline: one RSA-2048
/// verification of the leaf's signature with an imported key.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class ValidationBenchmarks
{
    private const int Chains = 64;
    private const int IntermediateKeys = 8;
    private static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private byte[] _root = [];
    private byte[][] _intermediates = [];
    private byte[][] _leaves = [];
    private byte[][] _warmLeaves = [];
    private ReadOnlyMemory<byte>[][] _coldChains = [];
    private ReadOnlyMemory<byte>[][] _warmChains = [];
    private ChainValidator _cold = null!;
    private ChainValidator _warm = null!;
    private ValidationRequest _request = null!;
    private X509Certificate2 _rootCert = null!;
    private X509Certificate2 _warmIntermediateCert = null!;
    private RSA _rootKey = null!;
    private RSA _warmIntermediateKey = null!;
    private PkixParameters _bcParameters = null!;
    private int _next;

    // Slices for the primitive baselines, cut in the setup (parsing is not a primitive).
    private byte[][] _intSpki = [], _intTbs = [], _intSig = [], _leafTbs = [], _leafSig = [], _warmLeafTbs = [], _warmLeafSig = [];

    [GlobalSetup]
    public void Setup()
    {
        using var rootKey = RSA.Create(2048);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intKeys = new RSA[IntermediateKeys];
        for (int k = 0; k < IntermediateKeys; k++)
        {
            intKeys[k] = RSA.Create(2048);
        }

        var nb = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var na = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var rreq = new CertificateRequest("CN=Bench Root,O=Bench,C=DE", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rreq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rreq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));

        // Key identifiers as CA/B profiles require them (R-C11): the chains are compliant under partner-2026.
        var rootSki = new X509SubjectKeyIdentifierExtension(rreq.PublicKey, false);
        rreq.CertificateExtensions.Add(rootSki);
        using (var root = rreq.CreateSelfSigned(nb, na))
        {
            _root = root.RawData;
        }

        var rootName = new X500DistinguishedName("CN=Bench Root,O=Bench,C=DE");
        _intermediates = new byte[Chains][];
        _leaves = new byte[Chains][];
        _warmLeaves = new byte[Chains][];
        _coldChains = new ReadOnlyMemory<byte>[Chains][];
        _warmChains = new ReadOnlyMemory<byte>[Chains][];
        for (int i = 0; i < Chains; i++)
        {
            var intKey = intKeys[i % IntermediateKeys];
            var intName = "CN=Bench CA " + i + ",O=Bench,C=DE";
            var ireq = new CertificateRequest(intName, intKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            ireq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            ireq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            ireq.CertificateExtensions.Add(Policies("2.5.29.32.0"));
            ireq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(ireq.PublicKey, false));
            ireq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(rootSki));
            using (var inter = ireq.Create(rootName, X509SignatureGenerator.CreateForRSA(rootKey, RSASignaturePadding.Pkcs1), nb, na, [1, (byte)i]))
            {
                _intermediates[i] = inter.RawData;
            }

            _leaves[i] = Leaf(leafKey, new X500DistinguishedName(intName), intKey, nb, na, [2, (byte)i]);
            _warmLeaves[i] = Leaf(leafKey, new X500DistinguishedName("CN=Bench CA 0,O=Bench,C=DE"), intKeys[0], nb, na, [3, (byte)i]);
            _coldChains[i] = [_leaves[i], _intermediates[i]];
        }

        for (int i = 0; i < Chains; i++)
        {
            _warmChains[i] = [_warmLeaves[i], _intermediates[0]];
        }

        _intSpki = Slice(_intermediates, v => v.SpkiDer.ToArray());
        _intTbs = Slice(_intermediates, v => v.TbsDer.ToArray());
        _intSig = Slice(_intermediates, v => v.Signature.ToArray());
        _leafTbs = Slice(_leaves, v => v.TbsDer.ToArray());
        _leafSig = Slice(_leaves, v => v.Signature.ToArray());
        _warmLeafTbs = Slice(_warmLeaves, v => v.TbsDer.ToArray());
        _warmLeafSig = Slice(_warmLeaves, v => v.Signature.ToArray());

        CustomTrust.TryCreate([(ReadOnlyMemory<byte>)_root], [], null, null, out var store, out _);
        _cold = new ChainValidator(store!);
        _warm = new ChainValidator(store!);
        _request = new ValidationRequest { Time = At, NextHop = "example.com" };
        _rootCert = X509CertificateLoader.LoadCertificate(_root);
        _warmIntermediateCert = X509CertificateLoader.LoadCertificate(_intermediates[0]);
        _rootKey = RSA.Create();
        _rootKey.ImportSubjectPublicKeyInfo(View(_root).SpkiDer, out _);
        _warmIntermediateKey = RSA.Create();
        _warmIntermediateKey.ImportSubjectPublicKeyInfo(View(_intermediates[0]).SpkiDer, out _);
        var parser = new BcParser();
        _bcParameters = new PkixParameters(new HashSet<TrustAnchor> { new(parser.ReadCertificate(_root), null) }) { IsRevocationEnabled = false, Date = At.UtcDateTime };
        foreach (var k in intKeys)
        {
            k.Dispose();
        }

        for (int i = 0; i < Chains; i++)
        {
            if (!_warm.Evaluate(_warmChains[i], _request).IsCompliant || !_cold.Evaluate(_coldChains[i], _request).IsCompliant
                || !DotNetCold() || !Primitives() || !OneRsaVerification() || !BouncyCastleCold() || !DotNetWarm())
            {
                throw new InvalidOperationException("benchmark chain " + i + " does not validate");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rootCert.Dispose();
        _warmIntermediateCert.Dispose();
        _rootKey.Dispose();
        _warmIntermediateKey.Dispose();
    }

    private static byte[] Leaf(ECDsa leafKey, X500DistinguishedName issuer, RSA issuerKey, DateTimeOffset nb, DateTimeOffset na, byte[] serial)
    {
        var lreq = new CertificateRequest("CN=mail.example.com,O=Example GmbH,C=DE", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mail.example.com");
        lreq.CertificateExtensions.Add(san.Build());
        lreq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        lreq.CertificateExtensions.Add(Policies("2.23.140.1.2.2"));
        lreq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(new X509SubjectKeyIdentifierExtension(new PublicKey(issuerKey), false)));
        using var leaf = lreq.Create(issuer, X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1), nb, na, serial);
        return leaf.RawData;
    }

    private static byte[][] Slice(byte[][] ders, Func<CertificateView, byte[]> part)
    {
        var result = new byte[ders.Length][];
        for (int i = 0; i < ders.Length; i++)
        {
            result[i] = part(View(ders[i]));
        }

        return result;
    }

    private static CertificateView View(byte[] der) =>
        CertificateView.TryParse(der, out var v, out _) ? v : throw new InvalidOperationException("unreadable");

    private static X509Extension Policies(string oid)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(oid);
            }
        }

        return new X509Extension("2.5.29.32", w.Encode(), false);
    }

    private int Next() => _next = (_next + 1) % Chains;

    [BenchmarkCategory("cold"), Benchmark(Baseline = true, Description = "X509CertificateLoader x2 + X509Chain.Build")]
    public bool DotNetCold()
    {
        int i = Next();
        using var inter = X509CertificateLoader.LoadCertificate(_intermediates[i]);
        using var leaf = X509CertificateLoader.LoadCertificate(_leaves[i]);
        return BuildDotNet(leaf, inter);
    }

    private bool BuildDotNet(X509Certificate2 leaf, X509Certificate2 inter)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_rootCert);
        chain.ChainPolicy.ExtraStore.Add(inter);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = At.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        bool ok = chain.Build(leaf);
        foreach (var e in chain.ChainElements)
        {
            e.Certificate.Dispose();
        }

        return ok;
    }

    [BenchmarkCategory("cold"), Benchmark(Description = "primitives: RSA SPKI import + 2 RSA-2048 verifications")]
    public bool Primitives()
    {
        int i = Next();
        using var key = RSA.Create();
        key.ImportSubjectPublicKeyInfo(_intSpki[i], out _);
        return _rootKey.VerifyData(_intTbs[i], _intSig[i], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            && key.VerifyData(_leafTbs[i], _leafSig[i], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    [BenchmarkCategory("cold"), Benchmark(Description = "ChainValidator.Evaluate cold (caches cleared)")]
    public bool OursCold()
    {
        _cold.ClearKeyCache();
        return _cold.Evaluate(_coldChains[Next()], _request).IsCompliant;
    }

    [BenchmarkCategory("cold"), Benchmark(Description = "BouncyCastle PkixCertPathValidator (parse x2 + validate)")]
    public bool BouncyCastleCold()
    {
        int i = Next();
        var parser = new BcParser();
        var path = new List<BcCertificate> { parser.ReadCertificate(_leaves[i]), parser.ReadCertificate(_intermediates[i]) };
        try
        {
            new PkixCertPathValidator().Validate(new PkixCertPath(path), _bcParameters);
            return true;
        }
        catch (PkixCertPathValidatorException)
        {
            return false;
        }
    }

    [BenchmarkCategory("warm"), Benchmark(Baseline = true, Description = "primitive: 1 RSA-2048 verification")]
    public bool OneRsaVerification()
    {
        int i = Next();
        return _warmIntermediateKey.VerifyData(_warmLeafTbs[i], _warmLeafSig[i], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    [BenchmarkCategory("warm"), Benchmark(Description = "ChainValidator.Evaluate warm (intermediate seen)")]
    public bool OursWarm() => _warm.Evaluate(_warmChains[Next()], _request).IsCompliant;

    [BenchmarkCategory("warm"), Benchmark(Description = "ChainValidator.Explain warm (full report)")]
    public int OursWarmExplain() => _warm.Explain(_warmChains[Next()], _request).Chain.Count;

    [BenchmarkCategory("warm"), Benchmark(Description = "X509CertificateLoader (leaf) + X509Chain.Build, intermediate loaded")]
    public bool DotNetWarm()
    {
        using var leaf = X509CertificateLoader.LoadCertificate(_warmLeaves[Next()]);
        return BuildDotNet(leaf, _warmIntermediateCert);
    }
}
