using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Dns;
using CertPolicy.Scan;
using CertPolicy.Tests.Names;
using CertPolicy.Tests.Support;
using CertPolicy.Tls;
using CertPolicy.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CertPolicy.Tests.Scan;

/// <summary>The tests that share one <see cref="ScanFixture"/>.</summary>
[CollectionDefinition(nameof(ScanCollection))]
public sealed class ScanCollection : ICollectionFixture<ScanFixture>;

/// <summary>
/// REAL parts for <c>certpolicy scan</c> (issue 15 item 4), all on loopback:
/// <list type="bullet">
/// <item>DNS (<see cref="LocalDns"/>: nsd + validating unbound): the signed zone <c>scan.test</c> with one test domain per
/// case (MX, A, TLSA, <c>_mta-sts</c>), the signed zone <c>bogusmx.test</c> whose MX RRset is changed after signing
/// (bogus), and the unsigned zone <c>plain.test</c> (insecure: DANE does not apply).</item>
/// <item>Gateways: one REAL Postfix smtpd with four listeners on one common port and four loopback addresses (Linux routes
/// all of 127/8 to lo): 127.0.0.11 good (a test-CA certificate naming every good MX host, chain = leaf + CA),
/// 127.0.0.12 no STARTTLS, 127.0.0.13 a certificate for another name, 127.0.0.14 a self-signed certificate.</item>
/// <item>MTA-STS: Kestrel HTTPS in the test process (the MTA-STS test CA; the <c>stscert</c> host gets a certificate of an
/// untrusted CA by SNI) serving the policies by Host header.</item>
/// </list>
/// </summary>
public sealed class ScanFixture : IAsyncLifetime
{
    internal const string Good = "127.0.0.11";
    internal const string NoTls = "127.0.0.12";
    internal const string WrongName = "127.0.0.13";
    internal const string SelfSigned = "127.0.0.14";
    internal const string Busy = "127.0.0.15";

    /// <summary>The domains of the scan.test zone (each <c>NAME.scan.test</c>) and the other zones' domains.</summary>
    internal static readonly string[] Domains =
    [
        "allok.scan.test", "onebad.scan.test", "nostarttls.scan.test", "dane3ok.scan.test", "dane3bad.scan.test",
        "dane2ok.scan.test", "dane2bad.scan.test", "ssdane.scan.test", "bogusmx.test", "stsok.scan.test", "stsmx.scan.test",
        "stscert.scan.test", "stsbig.scan.test", "stsredir.scan.test", "plain.test",
    ];

    private readonly TestPki _gatewayCa = new("CN=CertPolicy Scan Gateway CA, O=CertPolicy Tests");
    private readonly TestPki _otherCa = new("CN=CertPolicy Scan Other CA, O=CertPolicy Tests");
    private readonly TestPki _stsCa = new("CN=CertPolicy Scan MTA-STS CA, O=CertPolicy Tests");
    private readonly TestPki _untrustedCa = new("CN=CertPolicy Scan Untrusted CA, O=CertPolicy Tests");
    private readonly TempDir _dir = new();
    private PostfixInstance? _postfix;
    private LocalDns? _dns;
    private WebApplication? _web;
    private X509Certificate2? _stsLeaf;
    private X509Certificate2? _stsBadLeaf;
    private Task<IReadOnlyList<DomainResult>>? _all;

    internal IPEndPoint Resolver => _dns!.Resolver;

    internal int SmtpPort { get; private set; }

    internal IPEndPoint MtaStsEndpoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>PEM of the gateway CA (the <c>--roots</c> of the scan).</summary>
    internal string GatewayRootsFile { get; private set; } = string.Empty;

    /// <summary>PEM of the MTA-STS CA (<c>--mta-sts-roots</c>).</summary>
    internal string MtaStsRootsFile { get; private set; } = string.Empty;

    internal string Dir => _dir.Path;

    public async Task InitializeAsync()
    {
        // Gateway certificates.
        string[] goodNames =
        [
            "mx1.allok.scan.test", "mx2.allok.scan.test", "mx1.onebad.scan.test", "mx.dane3ok.scan.test", "mx.dane3bad.scan.test",
            "mx.dane2ok.scan.test", "mx.dane2bad.scan.test", "mx.stsok.scan.test", "mx.stsmx.scan.test", "mx.stscert.scan.test",
            "mx.stsbig.scan.test", "mx.stsredir.scan.test", "mx.plain.test", "mx.bogusmx.test", "other.bogusmx.test",
        ];
        using var good = _gatewayCa.IssueLeaf(["mx1.allok.scan.test"], [.. goodNames.Select(n => new SanEntry(SanKind.Dns, n))]);
        using var wrong = _gatewayCa.IssueLeaf(["gateway.other.test"], [new SanEntry(SanKind.Dns, "gateway.other.test")]);
        using var selfKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mx.ssdane.scan.test, O=Self Signed Gateway", selfKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mx.ssdane.scan.test");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        string goodSpki = Hex(SHA256.HashData(good.PublicKey.ExportSubjectPublicKeyInfo()));
        string otherSpki = Hex(SHA256.HashData(otherKey.ExportSubjectPublicKeyInfo()));
        string selfSpki = Hex(SHA256.HashData(self.PublicKey.ExportSubjectPublicKeyInfo()));
        string caCert = Hex(SHA256.HashData(_gatewayCa.Ca.RawData));
        string otherCaCert = Hex(SHA256.HashData(_otherCa.Ca.RawData));

        // DNS.
        string Domain(string name, string address, string extra = "") =>
            $"{name} MX 10 mx.{name}.scan.test.\nmx.{name} A {address}\n{extra}";
        string sts = "TXT \"v=STSv1; id=20261205T000000;\"";
        string zone = string.Join('\n',
        [
            "allok MX 10 mx1.allok.scan.test.", "allok MX 20 mx2.allok.scan.test.", "mx1.allok A " + Good, "mx2.allok A " + Good,
            "onebad MX 10 mx1.onebad.scan.test.", "onebad MX 20 mx2.onebad.scan.test.", "mx1.onebad A " + Good, "mx2.onebad A " + WrongName,
            Domain("nostarttls", NoTls),
            Domain("dane3ok", Good, "_25._tcp.mx.dane3ok TLSA 3 1 1 " + goodSpki),
            Domain("dane3bad", Good, "_25._tcp.mx.dane3bad TLSA 3 1 1 " + otherSpki),
            Domain("dane2ok", Good, "_25._tcp.mx.dane2ok TLSA 2 0 1 " + caCert),
            Domain("dane2bad", Good, "_25._tcp.mx.dane2bad TLSA 2 0 1 " + otherCaCert),
            Domain("ssdane", SelfSigned, "_25._tcp.mx.ssdane TLSA 3 1 1 " + selfSpki),
            Domain("stsok", Good, "_mta-sts.stsok " + sts + "\n_smtp._tls.stsok TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@stsok.scan.test\""),
            Domain("stsmx", Good, "_mta-sts.stsmx " + sts),
            Domain("stscert", Good, "_mta-sts.stscert " + sts),
            Domain("stsbig", Good, "_mta-sts.stsbig " + sts),
            Domain("stsredir", Good, "_mta-sts.stsredir " + sts),

            // busy1..busy4: three MX hosts each on 127.0.0.15, where a test counts simultaneous connections.
            .. Enumerable.Range(1, 4).SelectMany(i => Enumerable.Range(1, 3).SelectMany(m => new[]
            {
                $"busy{i} MX {m * 10} mx{m}.busy{i}.scan.test.",
                $"mx{m}.busy{i} A {Busy}",
            })),
        ]);
        _dns = new LocalDns(
            [
                new LocalZone("scan.test", zone),
                new LocalZone("bogusmx.test", "@ MX 10 mx.bogusmx.test.\nmx A " + Good + "\nother A " + Good, AfterSigning: MakeMxBogus),
                new LocalZone("plain.test", "@ MX 10 mx.plain.test.\nmx A " + Good + "\n_25._tcp.mx TLSA 3 1 1 " + otherSpki, Signed: false),
            ],
            [],
            "scan.test");

        // Gateways: one Postfix, four listeners on one port.
        _postfix = new PostfixInstance("smtpd", "tlsmgr");
        string goodChain = _postfix.WriteKeyAndChain("good.pem", good.GetECDsaPrivateKey()!, good, _gatewayCa.Ca);
        string wrongChain = _postfix.WriteKeyAndChain("wrong.pem", wrong.GetECDsaPrivateKey()!, wrong, _gatewayCa.Ca);
        string selfChain = _postfix.WriteKeyAndChain("self.pem", selfKey, self, null);
        SmtpPort = PostfixInstance.FreePorts(1)[0];
        string P(string address) => address + ":" + SmtpPort.ToString(CultureInfo.InvariantCulture);
        _postfix.Start(
            "mx.scan.test",
            [
                "mydomain = scan.test",
                "mydestination =",
                "local_recipient_maps =",
                "alias_maps =",
                "alias_database =",
                "smtpd_tls_security_level = may",
                "smtpd_tls_chain_files = " + goodChain,
            ],
            [
                P(Good) + " inet n - n - - smtpd",
                P(NoTls) + " inet n - n - - smtpd -o smtpd_tls_security_level=none",
                P(WrongName) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + wrongChain,
                P(SelfSigned) + " inet n - n - - smtpd -o smtpd_tls_chain_files=" + selfChain,
                "tlsmgr unix - - n 1000? 1 tlsmgr",
            ]);

        // MTA-STS over HTTPS.
        string[] stsHosts = ["stsok", "stsmx", "stsbig", "stsredir"];
        _stsLeaf = _stsCa.IssueLeaf(["mta-sts.stsok.scan.test"], [.. stsHosts.Select(h => new SanEntry(SanKind.Dns, "mta-sts." + h + ".scan.test"))]);
        _stsBadLeaf = _untrustedCa.IssueLeaf(["mta-sts.stscert.scan.test"], [new SanEntry(SanKind.Dns, "mta-sts.stscert.scan.test")]);
        (_web, MtaStsEndpoint) = await LoopbackHttps.StartAsync(
            https => https.ServerCertificateSelector = (_, name) => name == "mta-sts.stscert.scan.test" ? _stsBadLeaf : _stsLeaf, ServeAsync);

        GatewayRootsFile = _dir.File("gateway-ca.pem", _gatewayCa.CaPem);
        MtaStsRootsFile = _dir.File("mta-sts-ca.pem", _stsCa.CaPem);
    }

    /// <summary>Every domain of <see cref="Domains"/> scanned once through the library (the acceptance cases read it).</summary>
    internal Task<IReadOnlyList<DomainResult>> ScanAll()
    {
        lock (_dir)
        {
            return _all ??= Scanner(8).ScanAsync([.. Domains.Select(d => new DomainRequest(d))]);
        }
    }

    /// <summary>A scanner on the fixture's resolver, gateway CA, port and MTA-STS server.</summary>
    internal DomainScanner Scanner(int parallel, DomainResolver? resolver = null)
    {
        Assert.True(CustomTrust.TryCreate([_gatewayCa.Ca.RawData], [], null, null, out var store, out var error), error);
        return new DomainScanner(new DomainScanOptions
        {
            Resolver = resolver ?? new DomainResolver(new DomainResolverOptions { Server = Resolver, Timeout = TimeSpan.FromSeconds(5), Retries = 1 }),
            Validator = new ChainValidator(store!),
            Now = DateTimeOffset.UtcNow,
            Floor = PostfixSecureFloor,
            Profile = ValidationProfile.PostfixSecure,
            Port = SmtpPort,
            Timeout = TimeSpan.FromSeconds(20),
            Parallel = parallel,
            MtaStsEndpoint = MtaStsEndpoint,
            MtaStsRoots = [_stsCa.Ca],
            MtaStsTimeout = TimeSpan.FromSeconds(20),
        });
    }

    /// <summary>
    /// The gateways' CA is a private test PKI without the policy OIDs of the partner-2026 certificate profile (R-C4, tested
    /// in Validation/): the scan runs with the postfix-secure profile, as the probe's Postfix tests do.
    /// </summary>
    internal static TlsFloor PostfixSecureFloor => TlsFloor.TryGetProfile("postfix-secure", out var floor) ? floor! : throw new InvalidOperationException("profile");

    /// <summary>The CLI options that point a scan at the fixture.</summary>
    internal string[] CliOptions() =>
    [
        "--dns", Resolver.ToString(), "--port", SmtpPort.ToString(CultureInfo.InvariantCulture), "--roots", GatewayRootsFile,
        "--mta-sts-connect", MtaStsEndpoint.ToString(), "--mta-sts-roots", MtaStsRootsFile, "--timeout", "20", "--profile", "postfix-secure",
    ];

    /// <summary>Logs of the real servers, for assertion messages.</summary>
    internal string Diagnostics() => (_postfix?.Log(30) ?? string.Empty) + "\n" + (_dns?.Diagnostics() ?? string.Empty);

    public async Task DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.StopAsync();
            await _web.DisposeAsync();
        }

        _postfix?.Dispose();
        _dns?.Dispose();
        _stsLeaf?.Dispose();
        _stsBadLeaf?.Dispose();
        _gatewayCa.Dispose();
        _otherCa.Dispose();
        _stsCa.Dispose();
        _untrustedCa.Dispose();
        _dir.Dispose();
    }

    private static async Task ServeAsync(HttpContext context)
    {
        string host = context.Request.Host.Host;
        var response = context.Response;
        if (context.Request.Path != "/.well-known/mta-sts.txt")
        {
            response.StatusCode = 404;
            return;
        }

        switch (host)
        {
            case "mta-sts.stsok.scan.test":
            case "mta-sts.stscert.scan.test":
                response.ContentType = "text/plain";
                await response.WriteAsync("version: STSv1\nmode: enforce\nmx: mx." + host["mta-sts.".Length..] + "\nmax_age: 86400\n");
                break;
            case "mta-sts.stsmx.scan.test":
                // enforce, but the mx pattern does not cover the MX host mx.stsmx.scan.test.
                response.ContentType = "text/plain";
                await response.WriteAsync("version: STSv1\nmode: enforce\nmx: mail.stsmx.scan.test\nmax_age: 86400\n");
                break;
            case "mta-sts.stsbig.scan.test":
                response.ContentType = "text/plain";
                response.ContentLength = 200_000;
                await response.Body.WriteAsync(new byte[200_000]);
                break;
            case "mta-sts.stsredir.scan.test":
                response.StatusCode = 301;
                response.Headers.Location = "https://mta-sts.stsok.scan.test/.well-known/mta-sts.txt";
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }

    // The MX RRset changed after signing: its RRSIG no longer verifies (bogus), the A records stay secure.
    private static string MakeMxBogus(string signed)
    {
        Assert.True(signed.Contains("10 mx.bogusmx.test.", StringComparison.Ordinal), "ldns-signzone output has no MX 10 mx.bogusmx.test.");
        return signed.Replace("10 mx.bogusmx.test.", "10 other.bogusmx.test.", StringComparison.Ordinal);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes);
}
