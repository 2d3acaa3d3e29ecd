using CertPolicy.Policy;

namespace CertPolicy.Tests.Policy;

public class PolicyMapTests
{
    private static PolicyMap Parse(string text, bool allowErrors = false)
    {
        var r = PolicyMap.Parse(text, "t");
        if (!allowErrors)
        {
            Assert.False(r.HasErrors, string.Join("\n", r.Diagnostics));
        }

        return r.Map;
    }

    [Fact]
    public void Continuation_lines_keep_their_leading_whitespace_and_comments_do_not_end_them()
    {
        var map = Parse("example.com secure\n# a comment inside\n    match=.example.net\n\n\tciphers=high\nnext.example may\n");
        Assert.True(map.TryGetExact("example.com", out var e));
        Assert.Equal("secure    match=.example.net\tciphers=high", e!.RawValue);
        Assert.Equal(SecurityLevel.Secure, e.Policy!.Level);
        Assert.Equal([".example.net"], e.Policy.Match.ToArray());
        Assert.Equal("high", e.Policy.Ciphers);
        Assert.Equal(2, map.Count);
    }

    [Theory]
    [InlineData("a.example secure, match=a:b, ciphers=high", SecurityLevel.Secure, "a|b", "high")]
    [InlineData("a.example SECURE match=nexthop match=.x.example", SecurityLevel.Secure, "nexthop|.x.example", null)]
    [InlineData("a.example fingerprint match=AA:BB|CC:DD", SecurityLevel.Fingerprint, "AA:BB|CC:DD", null)]
    [InlineData("a.example dane-only", SecurityLevel.DaneOnly, "", null)]
    [InlineData("a.example none ciphers=high junk", SecurityLevel.None, "", null)]
    [InlineData("a.example verify match=a::b", SecurityLevel.Verify, "a|b", null)]
    public void Values_parse_like_postfix(string line, SecurityLevel level, string match, string? ciphers)
    {
        var p = Parse(line).Entries[0].Policy!;
        Assert.Equal(level, p.Level);
        Assert.Equal(match, string.Join('|', p.Match));
        Assert.Equal(ciphers, p.Ciphers);
    }

    [Fact]
    public void Protocols_may_contain_equals_and_be_empty()
    {
        var p = Parse("a.example secure protocols=>=TLSv1.2 exclude=").Entries[0].Policy!;
        Assert.Equal(">=TLSv1.2", p.Protocols);
        Assert.Equal(string.Empty, p.Exclude);
    }

    [Theory]
    [InlineData("a.example bogus", "invalid-level", 1, 11)]
    [InlineData("a.example halfdane", "invalid-level", 1, 11)]
    [InlineData("a.example secure foo=bar", "invalid-attribute", 1, 18)]
    [InlineData("a.example secure match", "malformed-attribute", 1, 18)]
    [InlineData("a.example secure match = x", "malformed-attribute", 1, 18)]
    [InlineData("a.example encrypt match=x", "attribute-not-allowed", 1, 19)]
    [InlineData("a.example may tafile=/x", "attribute-not-allowed", 1, 15)]
    [InlineData("a.example secure ciphers=high ciphers=high", "repeated-attribute", 1, 31)]
    [InlineData("a.example secure match=", "empty-value", 1, 18)]
    [InlineData("a.example secure ciphers=", "empty-value", 1, 18)]
    [InlineData("a.example secure # comment", "malformed-attribute", 1, 18)]
    [InlineData("a.example secure servername=-bad", "invalid-servername", 1, 29)]
    [InlineData("a.example secure connection_reuse=maybe", "bad-value", 1, 35)]
    [InlineData("a.example", "missing-value", 1, 10)]
    [InlineData("a.example secure\n  match=a\n  foo=1", "invalid-attribute", 3, 3)]
    [InlineData("  a.example secure", "leading-whitespace", 1, 1)]
    [InlineData("a.example se\u0000cure", "control-character", 1, 13)]
    [InlineData("", "empty-table", 1, 1)]
    [InlineData("# only a comment\n\n", "empty-table", 1, 1)]
    public void Errors_are_positioned(string text, string code, int line, int column)
    {
        var r = PolicyMap.Parse(text, "t");
        Assert.True(r.HasErrors);
        var d = Assert.Single(r.Diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal(code, d.Code);
        Assert.Equal((line, column), (d.Line, d.Column));
        Assert.StartsWith($"t:{line}:{column}: error: ", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_entry_still_answers_lookups_so_callers_fail_closed()
    {
        var map = Parse("partner.example secure foo=bar\n.example may\n", allowErrors: true);
        var r = map.Lookup("partner.example");
        Assert.True(r.Found);
        Assert.False(r.Entry!.IsValid);
        Assert.Equal("invalid-attribute", r.Entry.Error!.Code);
    }

    [Fact]
    public void A_key_without_value_fails_closed_instead_of_falling_back_to_the_global_level()
    {
        var map = Parse("partner.example\n", allowErrors: true);
        var r = map.Lookup("partner.example");
        Assert.True(r.Found);
        Assert.False(r.Entry!.IsValid);
    }

    [Fact]
    public void Duplicate_keys_keep_the_first_value_with_a_warning()
    {
        var r = PolicyMap.Parse("dup may\nDUP none\n", "t");
        Assert.False(r.HasErrors);
        var w = Assert.Single(r.Diagnostics);
        Assert.Equal(("duplicate-key", 2, 1), (w.Code, w.Line, w.Column));
        Assert.Equal(SecurityLevel.May, r.Map.Lookup("dup").Entry!.Policy!.Level);
    }

    [Fact]
    public void Attributes_at_level_none_are_ignored_with_warnings()
    {
        var r = PolicyMap.Parse("a.example none ciphers=high bogus", "t");
        Assert.False(r.HasErrors);
        Assert.Equal(2, r.Diagnostics.Count(d => d.Code == "ignored-attribute"));
    }

    [Fact]
    public void An_overlong_line_is_an_error_not_a_hang()
    {
        var text = "a.example secure match=" + new string('a', 10 * 1024 * 1024);
        var r = PolicyMap.Parse(text, "t");
        var d = Assert.Single(r.Diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal("line-too-long", d.Code);
    }

    public static TheoryData<string, string?> WalkCases => new()
    {
        // postfix-tls.md 1.3: full name first, then ".parent" suffixes; never the bare parent.
        { "example.net", "example.net" },
        { "EXAMPLE.NET", "example.net" },
        { "sub.example.net", ".example.net" },
        { "a.b.example.net", ".b.example.net" },
        { "x.other.net", ".net" },
        { "other.org", null },
        { "[mx.example.net]", "[mx.example.net]" },
        { "[mx.example.net]:25", null },
        { "[sub.example.net]", null },
        { "sub.example.net.", null },
        { "192.0.2.1", null },
        { "two.example.net", "two.example.net" },
    };

    [Theory]
    [MemberData(nameof(WalkCases))]
    public void Lookup_walks_parents_exactly_as_smtp8(string nexthop, string? expectedKey)
    {
        var map = Parse("example.net secure\n.example.net verify\n.b.example.net encrypt\n.net may\n[mx.example.net] encrypt\ntwo.example.net secure\n");
        Assert.Equal(expectedKey, map.Lookup(nexthop).MatchedKey);
    }

    [Fact]
    public void Several_tables_try_each_key_in_every_table_before_the_next_shorter_key()
    {
        var t1 = Parse(".example.net may");
        var t2 = Parse("two.example.net secure");
        var r = PolicyMap.Lookup([t1, t2], "two.example.net");
        Assert.Equal(("two.example.net", 1), (r.MatchedKey, r.TableIndex));
        Assert.Equal(".example.net", PolicyMap.Lookup([t1, t2], "one.example.net").MatchedKey);
    }

    [Fact]
    public void Format_is_canonical()
    {
        var map = Parse("B.example   SECURE,ciphers=high\n   match=nexthop:.x\n a.example none foo\n".Replace("\n a.", "\na.", StringComparison.Ordinal));
        Assert.Equal("b.example secure match=nexthop:.x ciphers=high\na.example none\n", map.Format());
    }

    [Theory]
    [InlineData("example.com secure match=\f\f,\f\f\n")]
    [InlineData("example.com encrypt ciphers=high exclude=3DES\v\v,\n")]
    [InlineData("example.com secure match=nexthop:dot-\v protocols=!SSLv2\n")]
    public void Format_keeps_a_last_token_that_ends_in_a_vertical_tab_or_form_feed(string source)
    {
        // AFL (policy target): Postfix trims \v and \f at the end of a line but keeps them inside a token, so a canonical
        // line ending in one read back as a shorter value; Format ends such a line with a comma (an empty token).
        var map = Parse(source);
        string once = map.Format();
        string twice = Parse(once).Format();
        Assert.Equal(once, twice);
        Assert.Equal(map.Entries[0].Policy?.ToCanonicalString(), Parse(once).Entries[0].Policy?.ToCanonicalString());
    }
}
