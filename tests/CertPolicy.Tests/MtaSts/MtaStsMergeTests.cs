using CertPolicy.MtaSts;
using CertPolicy.Policy;

namespace CertPolicy.Tests.MtaSts;

/// <summary>R-D2 for the policy service: the merge of a table entry with an MTA-STS policy, over every level and mode.</summary>
public class MtaStsMergeTests
{
    private const string Enforced = "secure match=mx1.example.com:.example.com servername=hostname";

    // Every level of postfix-tls.md 2 (fingerprint needs a digest to be valid), and no entry.
    public static readonly string?[] Entries =
        [null, "none", "may", "encrypt", "fingerprint match=AA:BB", "dane", "dane-only", "verify", "secure", "secure match=.example.com"];

    public static readonly string?[] Modes = [null, "none", "testing", "enforce"];

    public static TheoryData<string?, string?> AllCombinations()
    {
        var data = new TheoryData<string?, string?>();
        foreach (var e in Entries)
        {
            foreach (var m in Modes)
            {
                data.Add(e, m);
            }
        }

        return data;
    }

    internal static MtaStsPolicy Sts(string mode, params string[] mx)
    {
        var text = "version: STSv1\nmode: " + mode + "\n" + string.Concat(mx.Select(m => "mx: " + m + "\n")) + "max_age: 86400\n";
        Assert.True(MtaStsPolicy.TryParse(text, out var p, out var error), error.ToString());
        return p!;
    }

    private static TlsPolicy? Entry(string? value)
    {
        if (value is null)
        {
            return null;
        }

        Assert.True(TlsPolicy.TryParse(value, out var p, out var error), error.Message);
        return p!;
    }

    // What R-D2 and the brief ask, written per row (docs/mta-sts-merge.md).
    private static (string? Answer, MtaStsMergeDecision Decision) Expected(string? entry, string? mode)
    {
        if (mode is null)
        {
            return (entry, MtaStsMergeDecision.NoPolicy);
        }

        if (mode != "enforce")
        {
            return (entry, MtaStsMergeDecision.NotEnforced);
        }

        return entry switch
        {
            null => (Enforced, MtaStsMergeDecision.FromMtaSts),
            "none" or "may" or "encrypt" => (Enforced, MtaStsMergeDecision.Upgraded),
            "dane" or "dane-only" => (entry, MtaStsMergeDecision.TableDane),
            "fingerprint match=AA:BB" => (entry, MtaStsMergeDecision.TableFingerprint),
            _ => (entry, MtaStsMergeDecision.TableStricter),
        };
    }

    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void Every_level_and_mode_gives_the_stricter_answer_and_never_weakens_the_entry(string? entry, string? mode)
    {
        var policy = mode is null ? null : Sts(mode, "mx1.example.com", "*.example.com");
        var table = Entry(entry);
        var merged = MtaStsMerge.Merge(table, policy);
        var (answer, decision) = Expected(entry, mode);

        Assert.Equal(decision, merged.Decision);
        Assert.Equal(answer, merged.Policy?.ToCanonicalString());
        Assert.Equal(!Equals(table, merged.Policy), merged.ChangesTable);

        // Never weaker: the level never drops, and a table entry is replaced only by secure.
        if (table is not null)
        {
            Assert.NotNull(merged.Policy);
            Assert.True(merged.Policy!.Level >= table.Level, table.Level + " became " + merged.Policy.Level);
            Assert.True(!merged.ChangesTable || merged.Policy.Level == SecurityLevel.Secure);
        }

        // What is served must be a value Postfix parses back to the same policy.
        if (merged.Policy is { } served)
        {
            Assert.True(TlsPolicy.TryParse(served.ToCanonicalString(), out var again, out var error), error.Message);
            Assert.Equal(served, again);
        }
    }

    [Theory]
    [InlineData("may ciphers=high protocols=>=TLSv1.2 exclude=aNULL", "secure match=mx.example.com ciphers=high protocols=>=TLSv1.2 exclude=aNULL servername=hostname")]
    [InlineData("encrypt protocols=>=TLSv1.3 servername=gw.example.com connection_reuse=yes", "secure match=mx.example.com protocols=>=TLSv1.3 servername=gw.example.com connection_reuse=yes")]
    [InlineData("none", "secure match=mx.example.com servername=hostname")]
    public void An_upgraded_entry_keeps_its_transport_attributes(string entry, string expected)
    {
        var merged = MtaStsMerge.Merge(Entry(entry), Sts("enforce", "mx.example.com"));
        Assert.Equal(MtaStsMergeDecision.Upgraded, merged.Decision);
        Assert.Equal(expected, merged.Policy!.ToCanonicalString());
    }

    [Fact]
    public void Wildcard_patterns_become_dot_suffixes_and_duplicates_go()
    {
        // RFC 8461 4.1: "*.example.com" is one label; Postfix ".example.com" is any depth (postfix-tls.md 3.3): wider.
        var policy = Sts("enforce", "*.example.com", "MX1.example.net", "mx1.example.net", "*.Example.com", "mx.example.org");
        Assert.Equal<string>([".example.com", "MX1.example.net", "mx.example.org"], [.. MtaStsMerge.MatchElements(policy)]);
        Assert.Equal<string>(["*.example.com", "*.Example.com"], [.. MtaStsMerge.WidenedPatterns(policy)]);
    }

    [Fact]
    public void Decision_codes_are_stable_and_distinct()
    {
        var codes = Enum.GetValues<MtaStsMergeDecision>().Select(MtaStsMerge.CodeOf).ToArray();
        Assert.Equal(codes.Length, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Matches("^mta-sts\\.merge\\.[a-z-]+$", c));
        Assert.Equal("mta-sts.merge.upgraded", MtaStsMerge.CodeOf(MtaStsMergeDecision.Upgraded));
    }
}
