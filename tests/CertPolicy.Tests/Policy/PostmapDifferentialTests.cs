using CertPolicy.Policy;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Policy;

/// <summary>
/// Look-ups agree with real Postfix <c>postmap -q</c> (hash tables built by <c>postmap</c>) on the
/// same source: key folding, continuation lines, comments, duplicates, brackets and ports.
/// <c>postmap -q</c> does not walk parent domains (postfix-tls.md 1.3), so it is compared with
/// <see cref="PolicyMap.TryGetExact"/>; the walk itself is checked by asking postmap for every key
/// of the walk in turn, as smtp(8) does.
/// </summary>
public class PostmapDifferentialTests
{
    private const string Table = """
        # partner table
        audi.de         secure match=.audi.de ciphers=high
        audi.hu         secure match=.audi.de
                        ciphers=high
        # a comment between continuation lines

                        protocols=>=TLSv1.2
        .audi.de        secure match=.audi.de
        Example.COM     verify
        [mx1.example.net]:587 encrypt
        [mx1.example.net]     fingerprint match=AA:BB:CC
        mx1.example.net may
        .example.net    encrypt
        .net            may
        dup.example     may
        DUP.example     none
        hash.example    secure # trailing comment is data
        tab.example	dane
        comma.example   secure,match=a:b,ciphers=high
        spaces.example     secure      match=x
        novalue.example
        CaSe.Example.Org verify match=hostname
        under_score.example may
        xn--bcher-kva.example secure
        192.0.2.1       encrypt
        [192.0.2.1]     encrypt
        [192.0.2.1]:25  secure
        """;

    private static readonly string[] Keys =
    [
        "audi.de", "AUDI.DE", "audi.hu", "Audi.Hu", ".audi.de", "mailin1.audi.de", "example.com", "EXAMPLE.com",
        "[mx1.example.net]:587", "[MX1.example.net]:587", "[mx1.example.net]", "[mx1.example.net]:25", "mx1.example.net",
        ".example.net", "example.net", ".net", "net", "dup.example", "DUP.EXAMPLE", "hash.example", "tab.example",
        "comma.example", "spaces.example", "novalue.example", "case.example.org", "CASE.EXAMPLE.ORG", "under_score.example",
        "xn--bcher-kva.example", "XN--BCHER-KVA.example", "192.0.2.1", "[192.0.2.1]", "[192.0.2.1]:25", "unknown.example",
        "audi.de.", "[audi.de]",
    ];

    [Fact]
    public void Exact_lookups_agree_with_postmap_q()
    {
        var postmap = Tool.Require("postmap", "postfix");
        using var dir = new TempDir();
        var env = MailConfig(dir);
        var file = dir.File("tls_policy", Table);
        var build = Tool.Run(postmap, [file], env: env);
        Assert.True(build.ExitCode == 0, build.Stderr);

        var parsed = PolicyMap.Parse(Table, "tls_policy");
        Assert.True(Keys.Length >= 30);
        int compared = 0;
        foreach (var key in Keys)
        {
            var q = Tool.Run(postmap, ["-q", key, "hash:" + file], env: env);
            string? expected = q.ExitCode == 0 ? q.Stdout.TrimEnd('\n') : null;
            Assert.True(q.ExitCode is 0 or 1, $"postmap -q {key}: exit {q.ExitCode}: {q.Stderr}");
            string? actual = parsed.Map.TryGetExact(key, out var e) && e!.RawValue.Length > 0 ? e.RawValue : null;
            Assert.True(expected == actual, $"key \"{key}\": postmap says {Show(expected)}, CertPolicy says {Show(actual)}");
            compared++;
        }

        Assert.Equal(Keys.Length, compared);
    }

    [Theory]
    [InlineData("mailin1.audi.de", ".audi.de")]
    [InlineData("a.b.example.net", ".example.net")]
    [InlineData("mx1.example.net", "mx1.example.net")]
    [InlineData("x.y.org.net", ".net")]
    [InlineData("[mail.audi.de]", null)]
    [InlineData("mailin1.audi.de.", null)]
    public void The_parent_walk_agrees_with_postmap_queried_key_by_key(string nexthop, string? expectedKey)
    {
        var postmap = Tool.Require("postmap", "postfix");
        using var dir = new TempDir();
        var env = MailConfig(dir);
        var file = dir.File("tls_policy", Table);
        Assert.Equal(0, Tool.Run(postmap, [file], env: env).ExitCode);

        // smtp(8)'s walk (postfix-tls.md 10): the verbatim key, then ".parent" keys for valid host names.
        var walk = new List<string> { nexthop };
        if (CertPolicy.Names.HostNameSyntax.IsValidPostfixHostName(nexthop))
        {
            for (int i = nexthop.IndexOf('.', 1); i >= 0; i = nexthop.IndexOf('.', i + 1))
            {
                walk.Add(nexthop[i..]);
            }
        }

        string? postfixKey = null;
        foreach (var k in walk)
        {
            if (Tool.Run(postmap, ["-q", k, "hash:" + file], env: env).ExitCode == 0)
            {
                postfixKey = k.ToLowerInvariant();
                break;
            }
        }

        Assert.Equal(expectedKey, postfixKey);
        Assert.Equal(expectedKey, PolicyMap.Parse(Table, "t").Map.Lookup(nexthop).MatchedKey);
    }

    internal static Dictionary<string, string> MailConfig(TempDir dir)
    {
        var cfg = Path.Combine(dir.Path, "postfix-config");
        Directory.CreateDirectory(cfg);
        File.WriteAllText(Path.Combine(cfg, "main.cf"), "compatibility_level = 3.7\n");
        return new Dictionary<string, string> { ["MAIL_CONFIG"] = cfg };
    }

    private static string Show(string? v) => v is null ? "NOTFOUND" : $"\"{v}\"";

    [Fact]
    public void A_byte_order_mark_before_the_first_key_is_part_of_that_key_as_in_postmap()
    {
        // Issue 13: an editor's BOM before "audi.de" made policy check and lookup find the entry that Postfix never finds.
        var postmap = Tool.Require("postmap", "postfix");
        using var dir = new TempDir();
        var env = MailConfig(dir);
        var file = Path.Combine(dir.Path, "bom_policy");
        File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.ASCII.GetBytes("audi.de secure match=.audi.de ciphers=high protocols=>=TLSv1.2\naudi.hu secure match=.audi.de ciphers=high protocols=>=TLSv1.2\n")]);
        var build = Tool.Run(postmap, [file], env: env);
        Assert.True(build.ExitCode == 0, build.Stderr);
        foreach (var key in new[] { "audi.de", "audi.hu" })
        {
            var q = Tool.Run(postmap, ["-q", key, "hash:" + file], env: env);
            Assert.True(q.ExitCode is 0 or 1, q.Stderr);
            var cli = CliRunner.Run("policy", "lookup", file, key);
            Assert.True((q.ExitCode == 0) == (cli.Exit == 0), $"{key}: postmap -q exit {q.ExitCode}, certpolicy policy lookup exit {cli.Exit}: {cli.Out}{cli.Err}");
        }

        // postmap finds audi.hu only; the check says why audi.de is missing and that it is a partner without an entry.
        Assert.Equal(1, Tool.Run(postmap, ["-q", "audi.de", "hash:" + file], env: env).ExitCode);
        var check = CliRunner.Run("policy", "check", file, "--partner", "audi.de", "--partner", "audi.hu");
        Assert.Equal(1, check.Exit);
        Assert.Contains("starts with a UTF-8 byte-order mark", check.Out + check.Err, StringComparison.Ordinal);
        Assert.Contains("R-T6", check.Out, StringComparison.Ordinal);
    }
}
