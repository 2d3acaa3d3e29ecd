using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using CertPolicy.Names;
using CertPolicy.Policy;

namespace CertPolicy.Benchmarks;

/// <summary>
/// The per-connection name check against .NET's <see cref="X509Certificate2.MatchesHostname"/> on
/// the same certificate (baseline in the same run).
/// </summary>
[MemoryDiagnoser]
public class NameCheckBenchmarks
{
    private byte[] _der = [];
    private X509Certificate2 _cert = null!;
    private MatchList _list = null!;
    private PresentedName[] _names = [];

    [GlobalSetup]
    public void Setup()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=mailin1.audi.de, O=AUDI AG", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mailin1.audi.de");
        san.AddDnsName("mailin2.audi.de");
        san.AddDnsName("mailin3.audi.de");
        req.CertificateExtensions.Add(san.Build());
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        _cert = req.CreateSelfSigned(now, now.AddYears(1));
        _der = _cert.RawData;
        MatchList.TryParse(".audi.de", out var list, out _);
        _list = list!;
        var buffer = new PresentedName[16];
        _names = buffer[..CertificateNames.Read(_der, buffer)];
    }

    [Benchmark(Baseline = true, Description = "X509Certificate2.MatchesHostname")]
    public bool DotNetMatchesHostname() => _cert.MatchesHostname("mailin3.audi.de");

    [Benchmark(Description = "NameChecker.Check (match=.audi.de)")]
    public bool CertPolicyNameCheck() => NameChecker.Check(_der, _list, "audi.de", "mailin3.audi.de").IsMatch;

    [Benchmark(Description = "NameChecker.Check (secure default)")]
    public bool CertPolicySecureDefault() => NameChecker.Check(_der, MatchList.SecureDefault, "audi.de", "mailin3.audi.de").IsMatch;

    [Benchmark(Description = "NameChecker.CheckPresented (names cached)")]
    public bool CertPolicyCachedNames() => NameChecker.CheckPresented(_der, _names, _list, "audi.de", "mailin3.audi.de").IsMatch;

    [GlobalCleanup]
    public void Cleanup() => _cert.Dispose();
}

/// <summary>Policy look-up cost must not grow with the table: 100 entries vs 100 000.</summary>
[MemoryDiagnoser]
public class PolicyLookupBenchmarks
{
    private PolicyMap _small = null!;
    private PolicyMap _large = null!;

    [GlobalSetup]
    public void Setup()
    {
        _small = Build(100);
        _large = Build(100_000);
    }

    private static PolicyMap Build(int n)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            sb.Append("partner").Append(i).Append(".example secure match=.partner").Append(i).Append(".example ciphers=high\n");
        }

        sb.Append(".audi.de secure match=.audi.de ciphers=high\n");
        return PolicyMap.Parse(sb.ToString(), "bench").Map;
    }

    [Benchmark(Baseline = true, Description = "lookup, 100 entries, parent walk")]
    public bool Small() => _small.Lookup("mailin1.audi.de").Found;

    [Benchmark(Description = "lookup, 100 000 entries, parent walk")]
    public bool Large() => _large.Lookup("mailin1.audi.de").Found;

    [Benchmark(Description = "lookup, 100 000 entries, exact key")]
    public bool LargeExact() => _large.Lookup("PARTNER77777.example").Found;
}
