using System.Security.Authentication;
using System.Net.Security;
using CertPolicy.Dane;
using CertPolicy.Evaluation;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tests.Validation;
using CertPolicy.Tls;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Tests.Evaluation;

/// <summary>
/// The levels dane and dane-only in the one pipeline (issue 15 item 2, R-D1): the matrix level x profile x TLSA state,
/// under postfix-secure as Postfix decides (postfix-tls.md 2 and 4.4, RFC 7672 2.2 and 3) and under the strict profiles
/// next to the certificate rules; the flag path and the report path agree on every case.
/// </summary>
public class DaneLevelTests
{
    private const ushort EcdheRsaAes256Gcm = 0xC030; // every floor accepts it with TLS 1.2
    private static readonly DateTimeOffset At = TestChains.At;
    private static readonly NegotiatedSession Session = new(TlsProtocol.Tls12, EcdheRsaAes256Gcm);

    // The gateway mx1.example.com of next hop example.com: a compliant OV chain under the test root (the trust store).
    private static readonly Lazy<TestChain> Gateway = new(() => TestChains.Create(new ChainSpec { LeafDns = ["mx1.example.com", "example.com"] }));

    // Another key (RSA leaf): its record is a secure, usable mismatch.
    private static readonly Lazy<TestChain> Stranger = new(() => TestChains.Create(new ChainSpec { LeafKey = "rsa2048", LeafDns = ["mx9.example.org"] }));

    public enum State
    {
        ValidEe,
        ValidTa,
        Mismatch,
        Insecure,
        None,
        Unusable,
        Bogus,
        Failed,
    }

    private static TlsaRecord Record(byte usage, byte selector, byte matching, byte[] certificate)
    {
        Assert.True(CertificateView.TryParse(certificate, out var v, out _));
        return new TlsaRecord(usage, selector, matching, TlsaRecord.Associate(certificate, v.SpkiDer, selector, matching)!);
    }

    private static DaneInput Input(State state) => state switch
    {
        State.ValidEe => DaneInput.WithRecords([Record(3, 1, 1, Gateway.Value.Leaf)], true, "_25._tcp.mx1.example.com"),
        State.ValidTa => DaneInput.WithRecords([Record(2, 0, 1, Gateway.Value.Intermediate)], true, "_25._tcp.mx1.example.com"),
        State.Mismatch => DaneInput.WithRecords([Record(3, 1, 1, Stranger.Value.Leaf)], true, "_25._tcp.mx1.example.com"),
        State.Insecure => DaneInput.WithRecords([Record(3, 1, 1, Gateway.Value.Leaf)], false, "_25._tcp.mx1.example.com"),
        State.None => DaneInput.None(true, "_25._tcp.mx1.example.com"),
        State.Unusable => DaneInput.WithRecords([Record(1, 1, 1, Gateway.Value.Leaf)], true, "_25._tcp.mx1.example.com"),
        State.Bogus => DaneInput.LookupFailed("SERVFAIL from the validating resolver, NOERROR with checking disabled", true, "_25._tcp.mx1.example.com"),
        _ => DaneInput.LookupFailed("no answer within 5000 ms", false, "_25._tcp.mx1.example.com"),
    };

    private static CompiledPolicy Compile(string level, ValidationProfile profile, bool partner = false, ChainValidator? validator = null)
    {
        Assert.True(TlsPolicy.TryParse(level, out var policy, out var error), error.Message);
        return new CompiledPolicy([], validator ?? new ChainValidator(TestChains.Store(Gateway.Value)), new CompiledPolicyOptions
        {
            CacheSize = 4,
            Profile = profile,
            DefaultPolicy = policy,
            MandatoryTlsPartners = partner ? ["example.com"] : [],
        });
    }

    // Both paths; they must agree (the flag path is what a mail application calls per connection).
    private static ConnectionReport Run(CompiledPolicy compiled, DaneInput? dane, IReadOnlyList<ReadOnlyMemory<byte>>? chain = null)
    {
        chain ??= Gateway.Value.Presented;
        var report = compiled.Explain("example.com", "mx1.example.com", chain, Session, At, dane);
        var flags = compiled.Evaluate("example.com", "mx1.example.com", chain, Session.Protocol, Session.CipherSuite, At, dane);
        Assert.Equal(report.Verdict, flags);
        return report;
    }

    private static string Failed(ConnectionReport r) => string.Join(",", r.Findings.Where(f => f.Status == FindingStatus.Failed).Select(f => f.Rule + " " + f.Code));

    // Postfix's decision per level and TLSA state (postfix-tls.md 2, 4.4; RFC 7672 2.2): deliver (true) or defer, and the
    // code of the deciding finding. The chain is compliant under partner-2026, which therefore gives the same answers here
    // (document-2019 also wants an annex CA, which the test root is not: its strict answers are in the tests below).
    [Theory]
    [InlineData("dane", State.ValidEe, true, "dane.valid")]
    [InlineData("dane", State.ValidTa, true, "dane.valid")]
    [InlineData("dane", State.Mismatch, false, "dane.invalid")]
    [InlineData("dane", State.Insecure, true, "dane.tlsa-insecure")]
    [InlineData("dane", State.None, true, "dane.no-tlsa")]
    [InlineData("dane", State.Unusable, true, "dane.no-usable-records")]
    [InlineData("dane", State.Bogus, false, "dane.dnssec-bogus")]
    [InlineData("dane", State.Failed, false, "dane.tlsa-lookup-failed")]
    [InlineData("dane-only", State.ValidEe, true, "dane.valid")]
    [InlineData("dane-only", State.ValidTa, true, "dane.valid")]
    [InlineData("dane-only", State.Mismatch, false, "dane.invalid")]
    [InlineData("dane-only", State.Insecure, false, "dane.tlsa-insecure")]
    [InlineData("dane-only", State.None, false, "dane.no-tlsa")]
    [InlineData("dane-only", State.Unusable, false, "dane.no-usable-records")]
    [InlineData("dane-only", State.Bogus, false, "dane.dnssec-bogus")]
    [InlineData("dane-only", State.Failed, false, "dane.tlsa-lookup-failed")]
    public void Matrix_of_level_profile_and_tlsa_state(string level, State state, bool compliant, string code)
    {
        foreach (var profile in new[] { ValidationProfile.PostfixSecure, ValidationProfile.Partner2026 })
        {
            var r = Run(Compile(level, profile), Input(state));
            string why = level + " " + state + " " + profile.Name + ": " + Failed(r);
            Assert.True(compliant == r.Verdict.IsCompliant, why);
            var finding = r.Findings.FirstOrDefault(f => f.Code == code);
            Assert.True(finding is not null, why + " (no " + code + ")");
            Assert.Equal(compliant ? (code == "dane.valid" ? FindingStatus.Passed : FindingStatus.Info) : FindingStatus.Failed, finding!.Status);
            Assert.Equal("R-D1", finding.Rule);
            Assert.Equal(compliant ? ConnectionFailures.None : ConnectionFailures.Dane, r.Verdict.Failures);
        }
    }

    [Fact]
    public void Fallbacks_are_opportunistic_or_encrypt_as_postfix_does()
    {
        // dane with no secure records: may, so nothing is enforced, not even the floor (postfix-tls.md 6.2).
        var may = Run(Compile("dane", ValidationProfile.PostfixSecure), Input(State.None));
        Assert.Contains(may.Findings, f => f.Code == "level-opportunistic");
        Assert.DoesNotContain(may.Findings, f => f.Code == "tls-protocol");

        // dane with secure records none of which is usable: encrypt, the mandatory floor applies, no certificate check.
        var encrypt = Compile("dane", ValidationProfile.PostfixSecure);
        var weak = encrypt.Explain("example.com", "mx1.example.com", Gateway.Value.Presented, new NegotiatedSession(TlsProtocol.Tls10, EcdheRsaAes256Gcm), At, Input(State.Unusable));
        Assert.Equal(ConnectionFailures.TlsFloor, weak.Verdict.Failures);
        Assert.Contains(weak.Findings, f => f.Code == "chain-not-checked");
        Assert.Contains(weak.Findings, f => f.Code == "dane.record-unusable" || f.Code == "dane.no-usable-records");
    }

    [Fact]
    public void Dane_authentication_checks_the_mandatory_floor()
    {
        // RFC 7672 / postfix-tls.md 6.2: at dane with usable records the mandatory protocols and grade apply.
        var r = Compile("dane", ValidationProfile.PostfixSecure).Explain("example.com", "mx1.example.com", Gateway.Value.Presented, new NegotiatedSession(TlsProtocol.Tls10, EcdheRsaAes256Gcm), At, Input(State.ValidEe));
        Assert.Equal(ConnectionFailures.TlsFloor, r.Verdict.Failures);
        Assert.Contains(r.Findings, f => f.Code == "dane.valid" && f.Status == FindingStatus.Passed);
    }

    [Fact]
    public void Self_signed_dane_ee_is_compliant_under_postfix_secure_and_breaks_R_C7_under_partner_2026()
    {
        var self = TestChains.SelfSignedLeaf();
        var dane = DaneInput.WithRecords([Record(3, 1, 1, self)], true, "_25._tcp.mx1.example.com");
        ReadOnlyMemory<byte>[] chain = [self];

        // postfix-secure predicts Postfix: DANE-EE checks only the key (RFC 7672 3.1.1); no name, no CA.
        var postfix = Run(Compile("dane", ValidationProfile.PostfixSecure), dane, chain);
        Assert.True(postfix.Verdict.IsCompliant, Failed(postfix));
        Assert.Contains(postfix.Findings, f => f.Code == "dane.ee-self-signed" && f.Rule == "R-C7" && f.Status == FindingStatus.Info);

        // R-D1: DANE-valid, and still not compliant for a partner: R-C7 forbids self-signed gateway certificates.
        foreach (var strict in new[] { ValidationProfile.Partner2026, ValidationProfile.Document2019 })
        {
            var partner = Run(Compile("dane", strict), dane, chain);
            Assert.False(partner.Verdict.IsCompliant);
            Assert.Contains(partner.Findings, f => f.Code == "dane.valid" && f.Status == FindingStatus.Passed);
            Assert.Contains(partner.Findings, f => f.Code == "dane.ee-self-signed" && f.Rule == "R-C7" && f.Status == FindingStatus.Failed);
            Assert.Contains(partner.Findings, f => f.Rule == "R-C7" && f.Code != "dane.ee-self-signed" && f.Status == FindingStatus.Failed);
            Assert.True((partner.Verdict.ChainReasons & VerdictReasons.SelfSigned) != 0, Failed(partner));
            Assert.True((partner.Verdict.Failures & ConnectionFailures.Dane) == 0, "the DANE match itself holds");
        }
    }

    [Fact]
    public void Dane_never_replaces_the_chain_rules_for_a_strict_profile()
    {
        // The trust store does not hold the gateway's root: DANE-EE authenticates it for Postfix, not for the partner rules.
        var otherRoot = new ChainValidator(TestChains.Store(TestChains.Create(new ChainSpec { RootKeyIndex = 1 })));
        Assert.True(Run(Compile("dane", ValidationProfile.PostfixSecure, validator: otherRoot), Input(State.ValidEe)).Verdict.IsCompliant);
        var strict = Run(Compile("dane", ValidationProfile.Partner2026, validator: otherRoot), Input(State.ValidEe));
        Assert.Equal(ConnectionFailures.Chain, strict.Verdict.Failures);
        Assert.Contains(strict.Findings, f => f.Code == "dane.authenticated" && f.Message.Contains("never replaces", StringComparison.Ordinal));

        // Names under a strict profile: the DANE names (MX host or next-hop domain, RFC 7672 3.2.2), not secure's.
        var named = TestChains.Create(new ChainSpec { LeafDns = ["mx7.elsewhere.test"] });
        var dane = DaneInput.WithRecords([Record(3, 1, 1, named.Leaf)], true);
        Assert.True(Run(Compile("dane", ValidationProfile.PostfixSecure), dane, named.Presented).Verdict.IsCompliant);
        var mismatch = Run(Compile("dane", ValidationProfile.Partner2026), dane, named.Presented);
        Assert.Equal(ConnectionFailures.NameMismatch, mismatch.Verdict.Failures);
        Assert.Contains("hostname:nexthop", mismatch.Findings.First(f => f.Code == "name.mismatch").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(State.Insecure, "opportunistic")]
    [InlineData(State.None, "opportunistic")]
    [InlineData(State.Unusable, "unauthenticated")]
    public void A_mandatory_tls_partner_whose_dane_level_falls_back_fails_R_T6(State state, string word)
    {
        foreach (var profile in ValidationProfile.All)
        {
            var r = Run(Compile("dane", profile, partner: true), Input(state));
            Assert.Equal(ConnectionFailures.PartnerLevelTooWeak, r.Verdict.Failures);
            var f = Assert.Single(r.Findings, x => x.Status == FindingStatus.Failed);
            Assert.Equal(("R-T6", DaneLevel.PartnerFallbackCode), (f.Rule, f.Code));
            Assert.Contains(word, f.Message, StringComparison.Ordinal);
        }

        // With usable secure records the same partner passes (DANE authenticates and the chain rules hold).
        Assert.True(Run(Compile("dane", ValidationProfile.Partner2026, partner: true), Input(State.ValidTa)).Verdict.IsCompliant);
    }

    [Fact]
    public void Without_a_tlsa_answer_the_dane_levels_cannot_be_evaluated_and_fingerprint_stays_unmodelled()
    {
        foreach (var level in new[] { "dane", "dane-only" })
        {
            var r = Run(Compile(level, ValidationProfile.PostfixSecure), null);
            Assert.Equal(ConnectionFailures.LevelNotModelled, r.Verdict.Failures);
            Assert.Equal(FindingStatus.NotEvaluated, r.Findings.Single(f => f.Code == DaneLevel.NoInputCode).Status);
        }

        var pins = Compile("fingerprint match=AA:BB", ValidationProfile.PostfixSecure).Explain("example.com", "mx1.example.com", Gateway.Value.Presented, Session, At, Input(State.ValidEe));
        Assert.Equal(ConnectionFailures.LevelNotModelled, pins.Verdict.Failures);
    }

    [Fact]
    public void Dane_ta_names_use_the_tlsa_base_domain()
    {
        // RFC 7672 2.2.3 and 3.2.2: with a CNAME'd MX host whose TLSA records sit at the expansion, the expanded name is a DANE-TA name.
        var expanded = TestChains.Create(new ChainSpec { LeafDns = ["gw.provider.test"] });
        var record = Record(2, 0, 1, expanded.Intermediate);
        var atAlias = DaneInput.WithRecords([record], true, "_25._tcp.mx1.example.com");
        var atExpansion = DaneInput.WithRecords([record], true, "_25._tcp.gw.provider.test", "gw.provider.test");
        var compiled = Compile("dane-only", ValidationProfile.PostfixSecure, validator: new ChainValidator(TestChains.Store(expanded)));
        Assert.Contains(Run(compiled, atAlias, expanded.Presented).Findings, f => f.Code == "dane.ta-name-mismatch" && f.Status == FindingStatus.Failed);
        Assert.True(Run(compiled, atExpansion, expanded.Presented).Verdict.IsCompliant);
    }

    [Fact]
    public void The_probe_defers_before_the_connection_and_requires_tls_unless_dane_falls_back_to_may()
    {
        Assert.True(TlsPolicy.TryParse("dane", out var dane, out _));
        Assert.True(TlsPolicy.TryParse("dane-only", out var daneOnly, out _));
        var noTls = new ProbeResult(ProbeOutcome.StartTlsNotOffered, "STARTTLS not offered") { Host = "mx1.example.com", Port = 25 };
        ProbeEvaluationInput In(TlsPolicy p, DaneInput? d) => new()
        {
            NextHop = "example.com",
            MxHost = "mx1.example.com",
            Policy = p,
            Validator = new ChainValidator(TestChains.Store(Gateway.Value)),
            Profile = ValidationProfile.PostfixSecure,
            Floor = TlsFloor.PostfixSecure,
            ValidationTime = At,
            Dane = d,
        };

        // A bogus look-up defers whatever the server offers (RFC 7672 2.2).
        var bogus = ProbeEvaluator.Evaluate(noTls, In(dane!, Input(State.Bogus)));
        Assert.Equal(ProbeVerdict.NotCompliant, bogus.Verdict);
        Assert.Equal(FindingStatus.Failed, bogus.Find("dane.dnssec-bogus")?.Status);
        Assert.Null(bogus.Find("tls-not-offered"));

        // dane without secure records is may: no STARTTLS is plaintext, not a failure (R-T7).
        var may = ProbeEvaluator.Evaluate(noTls, In(dane!, Input(State.None)));
        Assert.Equal(ProbeVerdict.Compliant, may.Verdict);
        Assert.Equal(FindingStatus.Info, may.Find("tls-not-offered")?.Status);

        // dane with usable records, and dane-only, require TLS.
        Assert.Equal(FindingStatus.Failed, ProbeEvaluator.Evaluate(noTls, In(dane!, Input(State.ValidEe))).Find("tls-not-offered")?.Status);
        Assert.Equal(FindingStatus.Failed, ProbeEvaluator.Evaluate(noTls, In(daneOnly!, Input(State.ValidTa))).Find("tls-not-offered")?.Status);

        // An established session is judged by the pipeline; the classification is reported once.
        var ok = new ProbeResult(ProbeOutcome.TlsEstablished, "ok")
        {
            Host = "mx1.example.com",
            Port = 25,
            Protocol = SslProtocols.Tls13,
            CipherSuite = TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            Certificates = [Gateway.Value.Leaf, Gateway.Value.Intermediate],
        };
        var established = ProbeEvaluator.Evaluate(ok, In(daneOnly!, Input(State.ValidEe)));
        Assert.Equal(ProbeVerdict.Compliant, established.Verdict);
        Assert.Single(established.Findings, f => f.Code == "dane.tlsa");
        Assert.Equal(FindingStatus.Passed, established.Find("dane.valid")?.Status);
        var wrong = ProbeEvaluator.Evaluate(ok, In(daneOnly!, Input(State.Mismatch)));
        Assert.Equal(ProbeVerdict.NotCompliant, wrong.Verdict);
        Assert.Equal(FindingStatus.Failed, wrong.Find("dane.invalid")?.Status);
    }
}
