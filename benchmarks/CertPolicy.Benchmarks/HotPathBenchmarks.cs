using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using CertPolicy.Evaluation;
using CertPolicy.Policy;
using CertPolicy.Tls;
using CertPolicy.Validation;

namespace CertPolicy.Benchmarks;

/// <summary>
/// The per-connection hot path on a cache hit (<see cref="CompiledPolicy.Evaluate"/>) against
/// <see cref="X509Chain.Build"/> with a reused chain object and against one SHA-256 over the leaf,
/// in the same run; and its throughput on one vs two threads.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private const int PerThread = 50_000;
    private readonly DateTimeOffset _at = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private X509Certificate2 _root = null!, _intermediate = null!, _leaf = null!;
    private X509Chain _chain = null!;
    private IReadOnlyList<ReadOnlyMemory<byte>> _presented = [];
    private CompiledPolicy _policy = null!;
    private X509Chain _callbackChain = null!;
    private System.Net.Security.RemoteCertificateValidationCallback _callback = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var rootKey = RSA.Create(2048);
        using var interKey = RSA.Create(2048);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var nb = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var rootReq = new CertificateRequest("CN=Bench Root, O=Bench", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootReq.PublicKey, false));
        _root = rootReq.CreateSelfSigned(nb, nb.AddYears(20));

        var interReq = new CertificateRequest("CN=Bench Issuing CA, O=Bench", interKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        interReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        interReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        interReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(interReq.PublicKey, false));
        interReq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));
        interReq.CertificateExtensions.Add(Policies("2.5.29.32.0"));
        using (var i = interReq.Create(_root, nb, nb.AddYears(10), [1, 2]))
        {
            _intermediate = X509CertificateLoader.LoadCertificate(i.RawData);
        }

        var leafReq = new CertificateRequest("CN=mailin1.audi.de, O=AUDI AG, C=DE", leafKey, HashAlgorithmName.SHA256);
        leafReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafReq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mailin1.audi.de");
        leafReq.CertificateExtensions.Add(san.Build());
        leafReq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_intermediate, true, false));
        leafReq.CertificateExtensions.Add(Policies("2.23.140.1.2.2"));
        using (var l = leafReq.Create(_intermediate.SubjectName, X509SignatureGenerator.CreateForRSA(interKey, RSASignaturePadding.Pkcs1), nb, nb.AddYears(2), [3, 4]))
        {
            _leaf = X509CertificateLoader.LoadCertificate(l.RawData);
        }

        _chain = new X509Chain();
        _chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        _chain.ChainPolicy.CustomTrustStore.Add(_root);
        _chain.ChainPolicy.ExtraStore.Add(_intermediate);
        _chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        _chain.ChainPolicy.DisableCertificateDownloads = true;
        _chain.ChainPolicy.VerificationTime = _at.UtcDateTime;

        _presented = [_leaf.RawData, _intermediate.RawData];
        if (!CustomTrust.TryCreate([_root.RawData], [], null, null, out var store, out var error))
        {
            throw new InvalidOperationException(error);
        }

        var map = PolicyMap.Parse("audi.de secure match=.audi.de ciphers=high\n", "bench").Map;
        _policy = new CompiledPolicy([map], new ChainValidator(store!));
        if (!Evaluate().IsCompliant || !Evaluate().FromCache || !_chain.Build(_leaf))
        {
            throw new InvalidOperationException("benchmark chain is not compliant / not cached / not built: " + Evaluate());
        }

        // The SslStream/MailKit callback over the same compiled policy, called as MailKit calls it (the host name as
        // sender, the intermediates in the chain's ExtraStore, as SslStream hands them over).
        _callbackChain = new X509Chain();
        _callbackChain.ChainPolicy.ExtraStore.Add(_intermediate);
        _callback = CertPolicy.Net.CertPolicyValidation.CreateCallback(new CertPolicy.Net.CertPolicyValidationOptions
        {
            Policy = _policy,
            NextHop = "audi.de",
            MxHost = "mailin1.audi.de",
            TimeProvider = new FixedTime(_at),
        });
        if (!Callback() || !Callback())
        {
            throw new InvalidOperationException("the callback refuses the benchmark chain");
        }
    }

    private static X509Extension Policies(string oid)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(oid);
        }

        return new X509Extension("2.5.29.32", w.Encode(), false);
    }

    private ConnectionVerdict Evaluate() => _policy.Evaluate("audi.de", "mailin1.audi.de", _presented, TlsProtocol.Tls13, 0x1302, _at);

    [Benchmark(Baseline = true, Description = "X509Chain.Build (reused chain, custom root)")]
    public bool ChainBuild() => _chain.Build(_leaf);

    [Benchmark(Description = "SHA-256 over the leaf")]
    public byte Sha256Leaf()
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(_leaf.RawDataMemory.Span, hash);
        return hash[0];
    }

    [Benchmark(Description = "CompiledPolicy.Evaluate (cache hit)")]
    public bool HotPath() => Evaluate().IsCompliant;

    [Benchmark(Description = "SslStream/MailKit callback (cache hit)")]
    public bool Callback() => _callback("mailin1.audi.de", _leaf, _callbackChain, System.Net.Security.SslPolicyErrors.None);

    [Benchmark(OperationsPerInvoke = 2 * PerThread, Description = "hot path, 1 thread (per evaluation)")]
    public int OneThread() => Loop(2 * PerThread);

    [Benchmark(OperationsPerInvoke = 2 * PerThread, Description = "hot path, 2 threads (per evaluation)")]
    public int TwoThreads()
    {
        int a = 0, b = 0;
        var t = new Thread(() => a = Loop(PerThread));
        t.Start();
        b = Loop(PerThread);
        t.Join();
        return a + b;
    }

    private int Loop(int n)
    {
        int ok = 0;
        for (int i = 0; i < n; i++)
        {
            ok += Evaluate().IsCompliant ? 1 : 0;
        }

        return ok;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _chain.Dispose();
        _callbackChain.Dispose();
        _leaf.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
