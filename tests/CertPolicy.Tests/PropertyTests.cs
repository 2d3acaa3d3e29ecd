using CertPolicy.Names;
using CertPolicy.Policy;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests;

/// <summary>FsCheck properties with fixed seeds (STYLE.md "Tests" 5).</summary>
public class PropertyTests
{
    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(400).WithReplay(20261128UL, 7UL);

    private static Gen<string> Label => Gen.Choose(1, 8).SelectMany(n =>
        Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789-".ToCharArray()), n)
            .Select(cs => "a" + new string(cs).Trim('-') + "z"));

    private static Gen<string> HostName => Gen.Choose(2, 4).SelectMany(n => Gen.ArrayOf(Label, n).Select(ls => string.Join('.', ls)));

    private static Gen<string> Level => Gen.Elements("none", "may", "encrypt", "dane", "dane-only", "fingerprint", "verify", "secure", "SECURE");

    private static Gen<string> Entry =>
        from key in Gen.OneOf(HostName, HostName.Select(h => "." + h), HostName.Select(h => "[" + h + "]"), HostName.Select(h => "[" + h + "]:587"))
        from level in Level
        from match in Gen.OneOf(Gen.Constant(string.Empty), Gen.ArrayOf(Gen.OneOf(HostName, Gen.Elements("nexthop", "dot-nexthop", "hostname")), 1).Select(a => " match=" + string.Join(':', a)))
        from ciphers in Gen.Elements(string.Empty, " ciphers=high", " ciphers=medium")
        from protocols in Gen.Elements(string.Empty, " protocols=>=TLSv1.2", " protocols=!SSLv3:!TLSv1", " protocols=")
        from sep in Gen.Elements(" ", "\t", ", ", "\n    ")
        let attrs = level.StartsWith("none", StringComparison.Ordinal) ? string.Empty
            : (level is "verify" or "secure" or "SECURE" ? match : string.Empty) + ciphers + protocols
        select key + sep.Replace(",", string.Empty, StringComparison.Ordinal) + level + attrs.Replace(" ", sep, StringComparison.Ordinal);

    [Fact]
    public void Format_then_parse_gives_the_same_map()
    {
        var tables = Gen.Choose(1, 12).SelectMany(n => Gen.ArrayOf(Entry, n)).Select(es => string.Join("\n", es) + "\n");
        Prop.ForAll(tables.ToArbitrary(), text =>
        {
            var first = PolicyMap.Parse(text, "t");
            Assert.False(first.HasErrors, text + "\n" + string.Join('\n', first.Diagnostics));
            var again = PolicyMap.Parse(first.Map.Format(), "t");
            Assert.False(again.HasErrors);
            Assert.Equal(first.Map.Count, again.Map.Count);
            for (int i = 0; i < first.Map.Count; i++)
            {
                Assert.Equal(first.Map.Entries[i].Key, again.Map.Entries[i].Key);
                Assert.Equal(first.Map.Entries[i].Policy, again.Map.Entries[i].Policy);
            }

            Assert.Equal(first.Map.Format(), again.Map.Format());
        }).Check(Fixed);
    }

    [Fact]
    public void Matching_ignores_ASCII_case()
    {
        var gen = from host in HostName
                  from flips in Gen.ArrayOf(Gen.Elements(true, false), host.Length)
                  from wildcard in Gen.Elements(true, false)
                  select (host, Flip(host, flips), wildcard);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (host, flipped, wildcard) = t;
            var presented = wildcard && host.Count(c => c == '.') >= 2 ? "*" + host[host.IndexOf('.', StringComparison.Ordinal)..] : host;
            bool plain = DnsNameMatcher.Matches(host, Encoding.ASCII.GetBytes(presented));
            Assert.True(plain);
            Assert.Equal(plain, DnsNameMatcher.Matches(flipped, Encoding.ASCII.GetBytes(presented)));
            Assert.Equal(plain, DnsNameMatcher.Matches(host, Encoding.ASCII.GetBytes(Flip(presented, t.Item2.Length > 0 ? [.. flipped.Select(char.IsUpper)] : []))));
            Assert.Equal(DnsNameMatcher.Matches("." + host, Encoding.ASCII.GetBytes("mx." + host)), DnsNameMatcher.Matches("." + flipped, Encoding.ASCII.GetBytes("MX." + host)));
        }).Check(Fixed);
    }

    [Fact]
    public void A_name_never_matches_a_suffix_pattern_it_does_not_end_with_at_a_label_boundary()
    {
        var gen = from presented in HostName
                  from suffix in Gen.OneOf(HostName, Gen.Constant(presented).SelectMany(p => Gen.Choose(0, p.Length - 1).Select(i => p[i..])))
                  select (presented, suffix.TrimStart('.'));
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (presented, domain) = t;
            bool atBoundary = presented.Length > domain.Length + 1
                && presented.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
            bool matched = DnsNameMatcher.Matches("." + domain, Encoding.ASCII.GetBytes(presented));
            Assert.Equal(atBoundary, matched);
            Assert.Equal(matched, DnsNameMatcher.MatchesDotDomain(domain, Encoding.ASCII.GetBytes(presented)));
            if (!presented.Equals(domain, StringComparison.OrdinalIgnoreCase))
            {
                Assert.False(DnsNameMatcher.Matches(domain, Encoding.ASCII.GetBytes(presented)));
            }
        }).Check(Fixed);
    }

    [Fact]
    public void The_parser_never_throws_on_arbitrary_text()
    {
        var junk = Gen.ArrayOf(Gen.OneOf(Gen.Elements(" \t\n\r,=:#.[]!>".ToCharArray()), Gen.Choose(0, 0x3000).Select(i => (char)i))).Select(cs => new string(cs));
        Prop.ForAll(Gen.OneOf(junk, Entry).ToArbitrary(), text =>
        {
            var r = PolicyMap.Parse(text, "t");
            foreach (var d in r.Diagnostics)
            {
                Assert.True(d.Line >= 0 && d.Column >= 0);
            }

            _ = r.Map.Lookup(text.Length > 50 ? text[..50] : text);
        }).Check(Fixed);
    }

    private static string Flip(string s, bool[] flips)
    {
        var cs = s.ToCharArray();
        for (int i = 0; i < cs.Length && i < flips.Length; i++)
        {
            if (flips[i])
            {
                cs[i] = char.IsAsciiLetterLower(cs[i]) ? char.ToUpperInvariant(cs[i]) : char.ToLowerInvariant(cs[i]);
            }
        }

        return new string(cs);
    }
}
