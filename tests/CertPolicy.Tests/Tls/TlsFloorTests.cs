using CertPolicy.Tests.Support;
using CertPolicy.Tls;
using FsCheck;
using FsCheck.Xunit;

namespace CertPolicy.Tests.Tls;

public class TlsFloorTests
{
    private static ushort Id(string name)
    {
        Assert.True(CipherSuiteTable.TryFind(name, out int row), name);
        return CipherSuiteTable.Row(row).Id;
    }

    // The document's examples (RULES.md R-T2..R-T5).
    [Theory]
    [InlineData("partner-2026", TlsProtocol.Tls12, "ECDHE-RSA-AES256-GCM-SHA384", TlsFloorFailures.None)]
    [InlineData("document-2019", TlsProtocol.Tls12, "ECDHE-RSA-AES256-GCM-SHA384", TlsFloorFailures.None)]
    [InlineData("partner-2026", TlsProtocol.Tls12, "RC4-MD5", TlsFloorFailures.Rc4 | TlsFloorFailures.NotInGrade)] // Exchange 2003 (R-T3)
    [InlineData("partner-2026", TlsProtocol.Ssl3, "RC4-MD5", TlsFloorFailures.ProtocolTooOld | TlsFloorFailures.Rc4 | TlsFloorFailures.NotInGrade)]
    [InlineData("partner-2026", TlsProtocol.Tls10, "AES128-SHA", TlsFloorFailures.ProtocolTooOld)] // TLS 1.0 fails (R-T4)
    [InlineData("document-2019", TlsProtocol.Tls10, "ECDHE-RSA-AES256-SHA", TlsFloorFailures.ProtocolTooOld)]
    [InlineData("partner-2026", TlsProtocol.Tls13, "TLS_AES_256_GCM_SHA384", TlsFloorFailures.None)] // 2026: TLS 1.3 passes
    [InlineData("partner-2026", TlsProtocol.Tls13, "TLS_CHACHA20_POLY1305_SHA256", TlsFloorFailures.None)]
    [InlineData("document-2019", TlsProtocol.Tls13, "TLS_AES_256_GCM_SHA384", TlsFloorFailures.ProtocolNotAllowed)] // 2019: TLS 1.2 only
    [InlineData("partner-2026", TlsProtocol.Tls12, "DES-CBC3-SHA", TlsFloorFailures.KeyTooShort | TlsFloorFailures.NotInGrade)] // 112 bits (R-T2)
    [InlineData("partner-2026", TlsProtocol.Tls12, "ADH-AES256-GCM-SHA384", TlsFloorFailures.NullAnonymousOrExport | TlsFloorFailures.NotInGrade)]
    [InlineData("partner-2026", TlsProtocol.Tls12, "NULL-SHA256", TlsFloorFailures.NullAnonymousOrExport | TlsFloorFailures.KeyTooShort | TlsFloorFailures.NotInGrade)]
    [InlineData("partner-2026", TlsProtocol.Tls10, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", TlsFloorFailures.ProtocolTooOld | TlsFloorFailures.Rc4 | TlsFloorFailures.NullAnonymousOrExport | TlsFloorFailures.KeyTooShort | TlsFloorFailures.NotInGrade)]
    [InlineData("partner-2026", TlsProtocol.Tls12, "TLS_AES_128_GCM_SHA256", TlsFloorFailures.SuiteNotForProtocol)]
    [InlineData("partner-2026", TlsProtocol.Tls12, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", TlsFloorFailures.NotInGrade)] // no OpenSSL suite
    [InlineData("postfix-secure", TlsProtocol.Tls10, "DES-CBC3-SHA", TlsFloorFailures.None)] // Postfix secure alone is weaker
    [InlineData("postfix-secure", TlsProtocol.Tls12, "ADH-AES256-GCM-SHA384", TlsFloorFailures.NotInGrade)]
    [InlineData("postfix-secure", TlsProtocol.Ssl3, "AES128-SHA", TlsFloorFailures.ProtocolTooOld)]
    public void Document_examples(string profile, TlsProtocol protocol, string suite, TlsFloorFailures expected)
    {
        Assert.True(TlsFloor.TryGetProfile(profile, out var floor));
        Assert.Equal(expected, TlsFloor.Check(protocol, Id(suite), floor!).Failures);
    }

    [Fact]
    public void Unknown_suite_and_protocol_fail()
    {
        Assert.Equal(TlsFloorFailures.UnknownSuite, TlsFloor.Check(TlsProtocol.Tls12, 0x1234, TlsFloor.Partner2026).Failures);
        Assert.Equal(TlsFloorFailures.UnknownProtocol, TlsFloor.Check((TlsProtocol)0x0305, 0xC030, TlsFloor.Partner2026).Failures);
    }

    [Fact]
    public void Grade_override_changes_NotInGrade()
    {
        var medium = TlsFloor.Partner2026.WithGrade(PostfixCipherGrade.Medium);
        // 3DES is MEDIUM: in the grade now, but R-T2 still fails.
        Assert.Equal(TlsFloorFailures.KeyTooShort, TlsFloor.Check(TlsProtocol.Tls12, Id("DES-CBC3-SHA"), medium).Failures);
        var only12 = TlsFloor.Partner2026.WithProtocols(TlsProtocolSet.Tls12);
        Assert.Equal(TlsFloorFailures.None, TlsFloor.Check(TlsProtocol.Tls12, Id("ECDHE-RSA-AES128-GCM-SHA256"), only12).Failures);
        Assert.Equal(TlsFloorFailures.NotInGrade, TlsFloor.Check(TlsProtocol.Tls12, Id("ADH-AES256-GCM-SHA384"), only12.WithGrade(PostfixCipherGrade.High)).Failures & TlsFloorFailures.NotInGrade);
    }

    [Fact]
    public void Explain_names_the_rule_of_each_failure()
    {
        var lines = TlsFloor.Partner2026.Explain(TlsProtocol.Ssl3, Id("RC4-MD5"));
        Assert.Contains(lines, l => l.StartsWith("R-T4:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("R-T3:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("R-T5:", StringComparison.Ordinal));
        Assert.Empty(TlsFloor.Partner2026.Explain(TlsProtocol.Tls12, Id("ECDHE-RSA-AES256-GCM-SHA384")));
        Assert.Equal("R-T2", TlsFloor.RuleId(TlsFloorFailures.KeyTooShort));
    }

    [Fact]
    public void Check_allocates_nothing()
    {
        ushort[] suites = [0xC030, 0x0004, 0x1301, 0x000A, 0x1234, 0x00A7];
        TlsProtocol[] protocols = [TlsProtocol.Tls12, TlsProtocol.Tls13, TlsProtocol.Ssl3, TlsProtocol.Tls10];
        var floors = new[] { TlsFloor.Partner2026, TlsFloor.Document2019, TlsFloor.PostfixSecure };
        int sink = 0;
        foreach (var f in floors)
        {
            sink += (int)TlsFloor.Check(TlsProtocol.Tls12, 0xC030, f).Failures; // warm up (static init, JIT)
        }

        long allocated = Allocations.Fewest(3, () =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                sink += (int)TlsFloor.Check(protocols[i % protocols.Length], suites[i % suites.Length], floors[i % floors.Length]).Failures;
            }
        });
        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sink);
    }

    /// <summary>A stricter profile never accepts what a laxer one rejects (exhaustive over the table).</summary>
    [Fact]
    public void Profiles_are_ordered_document_2019_partner_2026_postfix_secure()
    {
        foreach (var p in TlsProtocols.Ascending)
        {
            foreach (var r in CipherSuiteTable.All)
            {
                bool doc = TlsFloor.Check(p, r.Id, TlsFloor.Document2019).IsAcceptable;
                bool partner = TlsFloor.Check(p, r.Id, TlsFloor.Partner2026).IsAcceptable;
                bool secure = TlsFloor.Check(p, r.Id, TlsFloor.PostfixSecure).IsAcceptable;
                Assert.True(!doc || partner, $"{r.IanaName} on {p}: document-2019 accepts, partner-2026 rejects");
                Assert.True(!partner || secure, $"{r.IanaName} on {p}: partner-2026 accepts, postfix-secure rejects");
            }
        }
    }

    /// <summary>Every accepted pair meets R-T2..R-T5 directly (fixed seed).</summary>
    [Property(Replay = "(31337,271829)", MaxTest = 500)]
    public bool Accepted_pairs_meet_the_rules(NonNegativeInt row, NonNegativeInt proto)
    {
        ref readonly var r = ref CipherSuiteTable.Row(row.Get % CipherSuiteTable.Count);
        var p = TlsProtocols.Ascending[proto.Get % 6];
        if (!TlsFloor.Check(p, r.Id, TlsFloor.Partner2026).IsAcceptable)
        {
            return true;
        }

        return p >= TlsProtocol.Tls12 && r.Cipher != TlsBulkCipher.Rc4 && r.StrengthBits >= 128
            && r.Cipher != TlsBulkCipher.Null && r.Authentication != TlsAuthentication.Anonymous
            && (r.IsTls13 || (r.Classes & OpenSslClasses.High) != 0) && r.IsValidFor(p);
    }

    [Theory]
    [InlineData("secure ciphers=high", "partner-2026", true)]
    [InlineData("secure ciphers=high protocols=>=TLSv1.2", "partner-2026", true)]
    [InlineData("secure protocols=>=TLSv1", "partner-2026", true)]
    [InlineData("secure ciphers=high", "document-2019", true)]
    [InlineData("secure ciphers=medium", "partner-2026", true)]
    [InlineData("secure protocols=>=TLSv1.3", "partner-2026", false)]
    [InlineData("secure protocols=!TLSv1.1", "partner-2026", false)] // TLS 1.1: "not allowed" for the entry, "too old" for the profile
    [InlineData("secure ciphers=high exclude=aRSA", "partner-2026", false)]
    [InlineData("secure ciphers=high", "postfix-secure", false)] // the profile's grade is medium
    [InlineData("secure protocols=TLSv1.2", "document-2019", true)]
    [InlineData("secure protocols=TLSv1.2", "partner-2026", false)]
    public void A_redundant_entry_floor_never_adds_a_flag_for_any_protocol_and_suite(string value, string profileName, bool redundant)
    {
        Assert.True(CertPolicy.Policy.TlsPolicy.TryParse(value, out var policy, out var e), e.Message);
        Assert.True(TlsFloor.TryForPolicy(policy!, out var entry, out var error), error);
        Assert.True(TlsFloor.TryGetProfile(profileName, out var profile));
        Assert.Equal(redundant, entry!.IsRedundantWith(profile!));

        // Exhaustive: the claim the hot path relies on when it skips the entry floor.
        int added = 0;
        foreach (var protocol in (TlsProtocol[])[.. TlsProtocols.Ascending, TlsProtocol.Unknown])
        {
            for (int row = -1; row < CipherSuiteTable.Count; row++)
            {
                ushort suite = row < 0 ? (ushort)0xFEFE : CipherSuiteTable.Row(row).Id; // 0xFEFE: not in the table
                var extra = TlsFloor.Check(protocol, suite, entry).Failures & ~TlsFloor.Check(protocol, suite, profile!).Failures;
                added += extra == TlsFloorFailures.None ? 0 : 1;
            }
        }

        if (redundant)
        {
            Assert.Equal(0, added);
        }
        else
        {
            Assert.True(added > 0, "IsRedundantWith is conservative here: no pair gains a flag");
        }
    }
}
