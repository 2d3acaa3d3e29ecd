using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;
using Json.Schema;
using CertPolicy.Tests.Validation;

namespace CertPolicy.Tests.Net;

/// <summary>
/// <c>certpolicy probe</c> at the levels dane and dane-only against a REAL Postfix smtpd on 127.0.0.1 that presents the
/// chain the DNS fixture's TLSA records name, with the records served by the real nsd + unbound (<c>--dns</c>).
/// </summary>
/// <remarks>
/// Not done here: posttls-finger as the oracle. It resolves through the C library (<c>/etc/resolv.conf</c>), which takes no
/// port and strips the AD bit unless <c>options trust-ad</c>; pointing it at the fixture's unbound on a high port would
/// need a private mount and network namespace with a resolver on port 53 in it, and Postfix's smtp client
/// (<c>smtp_dns_support_level = dnssec</c>) has the same limit. The Postfix semantics the probe predicts are those of
/// postfix-tls.md 2 and 4.4 (checked there against the real binaries) and RFC 7672.
/// </remarks>
[Collection(nameof(DnsZoneCollection))]
public sealed class DaneProbePostfixTests : IDisposable
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(Path.Combine(TrustTestSupport.RepoRoot, "docs", "schemas", "probe.schema.json"))));

    private readonly DnsZoneFixture _zones;
    private readonly PostfixInstance _postfix;
    private readonly int _port;

    public DaneProbePostfixTests(DnsZoneFixture zones)
    {
        _zones = zones;
        _postfix = new PostfixInstance("smtpd", "tlsmgr");
        try
        {
            using var leaf = X509CertificateLoader.LoadCertificate(zones.Chain.Leaf);
            using var ca = X509CertificateLoader.LoadCertificate(zones.Chain.Intermediate);
            string chain = _postfix.WriteKeyAndChain("dane.pem", TestChains.LeafSigningKey, leaf, ca);
            _port = PostfixInstance.FreePorts(1)[0];
            _postfix.Start(
                "mx1.example.test",
                [
                    "mydomain = example.test",
                    "mydestination =",
                    "local_recipient_maps =",
                    "alias_maps =",
                    "alias_database =",
                    "smtpd_tls_security_level = may",
                    "smtpd_tls_chain_files = " + chain,
                    "smtpd_tls_loglevel = 1",
                ],
                [
                    PostfixInstance.Listener(_port) + " inet n - n - - smtpd",
                    "tlsmgr unix - - n 1000? 1 tlsmgr",
                ]);
        }
        catch
        {
            _postfix.Dispose();
            throw;
        }
    }

    public void Dispose() => _postfix.Dispose();

    private (int Code, JsonElement Json, string Err) Probe(string nexthop, string mx, params string[] extra)
    {
        var (code, stdout, stderr) = CliRunner.Run(
        [
            "probe", "127.0.0.1:" + _port, "--nexthop", nexthop, "--mx", mx, "--dns", _zones.Resolver.ToString(), "--timeout", "30", "--format", "json", .. extra,
        ]);
        Assert.True(stdout.Length > 0, "no output: " + stderr + _postfix.Log(20));
        var json = JsonDocument.Parse(stdout).RootElement.Clone();
        var valid = Schema.Value.Evaluate(json, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(valid.IsValid, "probe JSON does not meet docs/schemas/probe.schema.json: " + stdout);
        return (code, json, stderr);
    }

    private static string Status(JsonElement report, string code)
    {
        foreach (var f in report.GetProperty("findings").EnumerateArray())
        {
            if (f.GetProperty("code").GetString() == code)
            {
                return f.GetProperty("status").GetString()!;
            }
        }

        return "absent";
    }

    [Fact]
    public void Probe_at_the_dane_levels_looks_the_tlsa_records_up_and_predicts_postfix()
    {
        // DANE-EE 3 1 1 of the leaf Postfix sends (secure zone): Postfix delivers; postfix-secure predicts it.
        var (code, json, err) = Probe("example.test", "mx1.example.test", "--level", "dane-only", "--profile", "postfix-secure");
        Assert.True(code == 0, err + json);
        Assert.Equal("pass", Status(json, "dane.valid"));
        Assert.Equal("secure", json.GetProperty("tlsa").GetProperty("state").GetString());
        Assert.Equal("_25._tcp.mx1.example.test", json.GetProperty("tlsa").GetProperty("name").GetString());
        Assert.Equal("pass", Status(json, "starttls"));

        // The same through the secure alias (RFC 7672 2.2.3): the records of the expansion, base domain mx1.
        (code, json, err) = Probe("example.test", "alias.example.test", "--level", "dane", "--profile", "postfix-secure");
        Assert.True(code == 0, err + json);
        Assert.Equal("mx1.example.test", json.GetProperty("tlsa").GetProperty("baseDomain").GetString());

        // A secure record of another key (mx3): Postfix defers; exit 1.
        (code, json, _) = Probe("example.test", "mx3.example.test", "--level", "dane", "--profile", "postfix-secure");
        Assert.Equal(1, code);
        Assert.Equal("fail", Status(json, "dane.invalid"));
        Assert.Equal("fail", Status(json, "dane.ee-mismatch"));

        // Bogus TLSA: Postfix defers before it looks at the certificate.
        (code, json, _) = Probe("bogus.test", "mx.bogus.test", "--level", "dane", "--profile", "postfix-secure");
        Assert.Equal(1, code);
        Assert.Equal("fail", Status(json, "dane.dnssec-bogus"));
        Assert.Equal("bogus", json.GetProperty("tlsa").GetProperty("state").GetString());

        // Insecure TLSA: dane is opportunistic (pass), dane-only defers (fail).
        (code, json, _) = Probe("insecure.test", "mx.insecure.test", "--level", "dane", "--profile", "postfix-secure");
        Assert.Equal(0, code);
        Assert.Equal("info", Status(json, "dane.tlsa-insecure"));
        (code, json, _) = Probe("insecure.test", "mx.insecure.test", "--level", "dane-only", "--profile", "postfix-secure");
        Assert.Equal(1, code);
        Assert.Equal("fail", Status(json, "dane.tlsa-insecure"));

        // A policy table entry at level dane, for a mandatory-TLS partner whose TLSA is insecure: R-T6 fails.
        string policy = Path.Combine(_postfix.Conf, "tls_policy");
        File.WriteAllText(policy, "insecure.test dane\n");
        (code, json, _) = Probe("insecure.test", "mx.insecure.test", "--policy", policy, "--partner", "insecure.test", "--profile", "postfix-secure");
        Assert.Equal(1, code);
        Assert.Equal("fail", Status(json, "dane.partner-fallback"));
    }
}
