using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CertPolicy.Tests.Validation;
using CertPolicy.Dns;
using CertPolicy.X509;

namespace CertPolicy.Tests.Support;

/// <summary>The tests that share one <see cref="DnsZoneFixture"/> (one nsd + unbound pair for the test run).</summary>
[CollectionDefinition(nameof(DnsZoneCollection))]
public sealed class DnsZoneCollection : ICollectionFixture<DnsZoneFixture>;

/// <summary>
/// REAL DNS for the domain-level tests (issue 15): three zones written at start-up, two of them DNSSEC-signed with
/// ldnsutils, served by a private <c>nsd</c>, and a private <c>unbound</c> that validates them with their trust anchors.
/// Both listen on 127.0.0.1 high ports, run in the foreground from a temp directory (config, pid, logs, zone files) and
/// are killed on dispose (and at process exit). Nothing is a system service; no traffic leaves 127.0.0.1.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>example.test</c>, signed (ECDSAP256SHA256 key from <c>ldns-keygen -k</c>, used as KSK and ZSK), with its DS as
/// unbound's trust anchor: secure. MX 10 mx1, 20 mx3, 20 mx2 (listed out of order); mx1 A+AAAA, mx2 A, mx3 AAAA;
/// TLSA <c>3 1 1</c> of the leaf at mx1, <c>2 0 1</c> of the intermediate at mx2, <c>3 1 1</c> of another key at mx3;
/// <c>_mta-sts</c> and a two-string <c>_smtp._tls</c> TXT; <c>_mta-sts</c> TXT records of the policy service's merge
/// domains <c>sts-new</c>, <c>sts-weak</c>, <c>sts-strict</c>, <c>sts-testing</c>, <c>sts-fail</c>, <c>sts-cached</c>
/// (id 1), <c>sts-cached2</c> (id 2) and <c>sts-slow</c> (MtaStsMergeServiceTests); <c>nullmx</c> (MX 0 .), <c>implicit</c> (A, no MX),
/// <c>alias</c> (CNAME mx1), <c>mixednull</c> (MX 0 . next to MX 10 mx1, which RFC 7505 3 forbids); for the RFC 7672
/// 2.2.3 TLSA base domain: <c>alias2</c> (CNAME mx4, which has an A record and no TLSA; TLSA <c>3 1 1</c> of
/// <see cref="Other"/>'s key at alias2 itself) and <c>alias3</c> (CNAME mx.insecure.test, an insecure expansion; TLSA
/// <c>3 1 1</c> of <see cref="Other"/>'s key at alias3).</item>
/// <item><c>insecure.test</c>, unsigned and without a trust anchor: answers without AD. MX 10 mx, TLSA 3 1 1 of the
/// leaf at mx.</item>
/// <item><c>bogus.test</c>, signed with its own trust anchor, then the TLSA data of mx changed in the signed file: the
/// MX and A answers validate, the TLSA RRset is bogus (SERVFAIL; with CD it is returned).</item>
/// <item><c>lame.test</c>, a stub at nsd, which does not serve it: SERVFAIL that is not DNSSEC (CD does not help).</item>
/// </list>
/// Keys and signatures are random (ldns has no seed); the zone content is fixed but for the TLSA digests, which come from
/// the certificates generated in this process (<see cref="TestChains"/>). unbound needs <c>local-zone: "test."
/// nodefault</c> (it serves RFC 6761 names itself otherwise) and a stub for "." at nsd, so that no query can go to the
/// real root. A tool that is missing fails every test of the collection, naming the package (test.sh installs them).
/// </remarks>
public sealed class DnsZoneFixture : IDisposable
{
    private readonly LocalDns _dns;
    private readonly UdpClient _silent;

    /// <summary>Generates, signs and serves the zones; returns once unbound answers.</summary>
    public DnsZoneFixture()
    {
        Drill = Tool.Require("drill", "ldnsutils");
        _silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        Silent = (IPEndPoint)_silent.Client.LocalEndPoint!;

        Chain = TestChains.Create(new ChainSpec { LeafDns = ["mx1.example.test", "mx2.example.test", "example.test"] });
        Other = TestChains.Create(new ChainSpec { LeafKey = "rsa2048", LeafDns = ["mx3.example.test"] });
        Assert.True(CertificateView.TryParse(Chain.Leaf, out var leaf, out _));
        Assert.True(CertificateView.TryParse(Other.Leaf, out var other, out _));
        LeafSpkiSha256 = Convert.ToHexString(SHA256.HashData(leaf.SpkiDer));
        IntermediateSha256 = Convert.ToHexString(SHA256.HashData(Chain.Intermediate));
        OtherSpkiSha256 = Convert.ToHexString(SHA256.HashData(other.SpkiDer));
        BogusPublished = Flip(LeafSpkiSha256);

        // bogus.test: the TLSA data changes after signing, so its RRSIG no longer verifies.
        string published = LeafSpkiSha256.ToLowerInvariant();
        string MakeBogus(string text)
        {
            Assert.True(text.Contains(published, StringComparison.Ordinal), "ldns-signzone output has no TLSA data " + published);
            return text.Replace(published, BogusPublished.ToLowerInvariant(), StringComparison.Ordinal);
        }

        _dns = new LocalDns(
            [
                new LocalZone("example.test", $"""
                    @ MX 20 mx3.example.test.
                    @ MX 10 mx1.example.test.
                    @ MX 20 mx2.example.test.
                    mx1 A 192.0.2.1
                    mx1 AAAA 2001:db8::1
                    mx2 A 192.0.2.2
                    mx3 AAAA 2001:db8::3
                    _25._tcp.mx1 TLSA 3 1 1 {LeafSpkiSha256}
                    _25._tcp.mx2 TLSA 2 0 1 {IntermediateSha256}
                    _25._tcp.mx3 TLSA 3 1 1 {OtherSpkiSha256}
                    _mta-sts TXT "v=STSv1; id=20261205T000000;"
                    _mta-sts.sts-new TXT "v=STSv1; id=1;"
                    _mta-sts.sts-weak TXT "v=STSv1; id=1;"
                    _mta-sts.sts-strict TXT "v=STSv1; id=1;"
                    _mta-sts.sts-testing TXT "v=STSv1; id=1;"
                    _mta-sts.sts-fail TXT "v=STSv1; id=1;"
                    _mta-sts.sts-cached TXT "v=STSv1; id=1;"
                    _mta-sts.sts-cached2 TXT "v=STSv1; id=2;"
                    _mta-sts.sts-slow TXT "v=STSv1; id=1;"
                    _smtp._tls TXT "v=TLSRPTv1; " "rua=mailto:tlsrpt@example.test"
                    nullmx MX 0 .
                    mixednull MX 0 .
                    mixednull MX 10 mx1.example.test.
                    implicit A 192.0.2.9
                    alias CNAME mx1.example.test.
                    alias2 CNAME mx4.example.test.
                    mx4 A 192.0.2.4
                    _25._tcp.alias2 TLSA 3 1 1 {OtherSpkiSha256}
                    alias3 CNAME mx.insecure.test.
                    _25._tcp.alias3 TLSA 3 1 1 {OtherSpkiSha256}
                    """),
                new LocalZone("insecure.test", $"""
                    @ MX 10 mx.insecure.test.
                    mx A 192.0.2.20
                    _25._tcp.mx TLSA 3 1 1 {LeafSpkiSha256}
                    """, Signed: false),
                new LocalZone("bogus.test", $"""
                    @ MX 10 mx.bogus.test.
                    mx A 192.0.2.30
                    _25._tcp.mx TLSA 3 1 1 {LeafSpkiSha256}
                    """, AfterSigning: MakeBogus),
            ],

            // lame.test: delegated to nsd, which does not serve it (REFUSED): unbound answers SERVFAIL, with CD too.
            ["lame.test"],
            "example.test");
        Resolver = _dns.Resolver;
        Authoritative = _dns.Authoritative;
    }

    /// <summary>The zones served.</summary>
    internal static readonly string[] Zones = ["example.test", "insecure.test", "bogus.test"];

    /// <summary>unbound, the validating resolver.</summary>
    internal IPEndPoint Resolver { get; }

    /// <summary>nsd, the authoritative server (answers without AD: it does not validate).</summary>
    internal IPEndPoint Authoritative { get; }

    /// <summary>A UDP port that is open and never answers.</summary>
    internal IPEndPoint Silent { get; }

    /// <summary>drill (ldnsutils), the oracle.</summary>
    internal string Drill { get; }

    /// <summary>The chain whose leaf (mx1, mx2) and intermediate the example.test TLSA records name.</summary>
    internal TestChain Chain { get; }

    /// <summary>Another chain (RSA leaf): its key is the mx3 TLSA record.</summary>
    internal TestChain Other { get; }

    /// <summary>SHA2-256 of <see cref="Chain"/>'s leaf SPKI (upper-case hex).</summary>
    internal string LeafSpkiSha256 { get; }

    /// <summary>SHA2-256 of <see cref="Chain"/>'s intermediate certificate.</summary>
    internal string IntermediateSha256 { get; }

    /// <summary>SHA2-256 of <see cref="Other"/>'s leaf SPKI.</summary>
    internal string OtherSpkiSha256 { get; }

    /// <summary>The TLSA data bogus.test serves (the signed one with its last digit changed).</summary>
    internal string BogusPublished { get; }

    /// <summary>A resolver on unbound (timeout 2 s, 1 retry).</summary>
    internal DomainResolver NewResolver() => new(new DomainResolverOptions { Server = Resolver, Timeout = TimeSpan.FromSeconds(2), Retries = 1 });

    /// <summary>Runs drill against unbound with DO set: <c>drill -D -p PORT @127.0.0.1 TYPE NAME</c>.</summary>
    internal string DrillQuery(string type, string name, params string[] extra)
    {
        var (exit, stdout, stderr) = Tool.Run(Drill, [.. extra, "-D", "-p", Resolver.Port.ToString(CultureInfo.InvariantCulture), "@127.0.0.1", type, name], timeoutMs: 30_000, package: "ldnsutils");
        Assert.True(exit == 0, "drill " + type + " " + name + ": " + stderr);
        return stdout;
    }

    /// <summary>The processes' logs and output, for a failure message.</summary>
    internal string Diagnostics() => _dns.Diagnostics();

    public void Dispose()
    {
        _dns.Dispose();
        _silent.Dispose();
    }

    // The last hex digit changed (0 <-> 1, else to 0).
    private static string Flip(string hex) => hex[..^1] + (hex[^1] == '0' ? '1' : '0');
}
