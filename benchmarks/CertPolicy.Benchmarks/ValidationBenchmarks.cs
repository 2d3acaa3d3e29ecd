using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using CertPolicy.Trust;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Benchmarks;

/// <summary>
/// Cold chain validation (RSA-2048 root → P-256 intermediate → P-256 leaf) against .NET's
/// X509CertificateLoader + X509Chain.Build (custom root trust, no downloads, no revocation) in the same run.
/// </summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private byte[] _root = [];
    private byte[] _intermediate = [];
    private byte[] _leaf = [];
    private TrustStore _store = null!;
    private ChainValidator _warm = null!;
    private ValidationRequest _request = null!;
    private ReadOnlyMemory<byte>[] _chain = [];

    [GlobalSetup]
    public void Setup()
    {
        using var rootKey = RSA.Create(2048);
        using var intKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var nb = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var na = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var rreq = new CertificateRequest("CN=Bench Root,O=Bench,C=DE", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rreq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rreq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rreq.CreateSelfSigned(nb, na);

        var ireq = new CertificateRequest("CN=Bench CA,O=Bench,C=DE", intKey, HashAlgorithmName.SHA256);
        ireq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        ireq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        ireq.CertificateExtensions.Add(Policies("2.5.29.32.0"));
        using var inter = ireq.Create(root.SubjectName, X509SignatureGenerator.CreateForRSA(rootKey, RSASignaturePadding.Pkcs1), nb, na, [1]);

        var lreq = new CertificateRequest("CN=mail.example.com,O=Example GmbH,C=DE", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mail.example.com");
        lreq.CertificateExtensions.Add(san.Build());
        lreq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        lreq.CertificateExtensions.Add(Policies("2.23.140.1.2.2"));
        using var leaf = lreq.Create(inter.SubjectName, X509SignatureGenerator.CreateForECDsa(intKey), nb, na, [2]);

        _root = root.RawData;
        _intermediate = inter.RawData;
        _leaf = leaf.RawData;
        _chain = [_leaf, _intermediate];
        CustomTrust.TryCreate([(ReadOnlyMemory<byte>)_root], [], null, null, out var store, out _);
        _store = store!;
        _warm = new ChainValidator(_store);
        _request = new ValidationRequest { Time = At, NextHop = "example.com" };
        if (!_warm.Evaluate(_chain, _request).IsCompliant || !DotNet())
        {
            throw new InvalidOperationException("benchmark chain does not validate");
        }
    }

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

    [Benchmark(Baseline = true, Description = "X509CertificateLoader + X509Chain.Build (custom root)")]
    public bool DotNet()
    {
        using var root = X509CertificateLoader.LoadCertificate(_root);
        using var inter = X509CertificateLoader.LoadCertificate(_intermediate);
        using var leaf = X509CertificateLoader.LoadCertificate(_leaf);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
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

    [Benchmark(Description = "ChainValidator cold (new validator: anchors parsed, keys imported)")]
    public bool Cold() => new ChainValidator(_store).Evaluate(_chain, _request).IsCompliant;

    [Benchmark(Description = "ChainValidator warm (issuer keys cached)")]
    public bool Warm() => _warm.Evaluate(_chain, _request).IsCompliant;

    [Benchmark(Description = "CertificateView.TryParse (leaf)")]
    public bool Parse() => CertificateView.TryParse(_leaf, out _, out _);
}
