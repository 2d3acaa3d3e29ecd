using System.Text;
using CertPolicy.Policy;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Policy;

/// <summary>
/// Issue 13 item 2 and issue 14: the table's bytes (CRLF, control characters, NUL, non-UTF-8, leading whitespace, BOM)
/// are read exactly as Postfix 3.7's postmap (hash:) and texthash: read them, compared with real <c>postmap -q</c> on
/// the same file; look-ups answer valid keys beside invalid ones, as smtp(8) does.
/// </summary>
public class PostmapBytesTests
{
    // Every case found by experiment with postmap -q / postmap -s (Postfix 3.7.11, smtputf8_enable=yes).
    private static readonly byte[] Table = Encoding.Latin1.GetBytes(
        "crlf.example secure\r\n" +                       // trailing CR trimmed with the value
        "crlfcont.example secure\r\n  match=.x.example\r\n" + // CR inside a continued value kept
        "tab.example\tsecure\t\r\n" +
        "cr.example sec\rure\n" +                           // inner CR kept (smtp(8) splits at it: invalid level "sec")
        "nul.example sec\0ure\n" +                          // NUL ends the entry: value "sec"
        "nulcont.example secure\0 match=x\n  ciphers=high\n" + // ... continuation lines included: value "secure"
        "ff.example secure\f\n" +
        "vt.example\vsecure\n" +                            // VT ends the key
        "ff2.example se\fcure\n" +                          // FF inside the value kept
        "del.example secure\x7f\n" +
        "ctl.example secure\x01x\n" +
        "c\x01key.example may\n" +                          // a control character in the key is part of it
        "bomval.example \xef\xbb\xbfsecure\n" +          // BOM kept in the value (postmap -q prints it; not compared: the test
                                                         // harness decodes postmap's output and drops a leading BOM)
        "lat.example s\xe9" + "cure\n" +                    // not UTF-8: the whole entry is ignored
        "l\xe9t.example secure\n" +
        "  lead.example may\n" +                            // continues the ignored non-UTF-8 entry
        "   # indented comment \xe9\n" +                    // a comment, even with bad bytes, is skipped
        "after.example may\n" +
        "\xc3\x84UDI.example secure\n" +                    // keys are case-folded beyond ASCII
        "novalue.example\r\n" +
        "\xc2\xa0nbsp.example may\n" +                      // NBSP is not whitespace: part of the key
        "valid.example secure match=.valid.example ciphers=high protocols=>=TLSv1.2\n" +
        "bad.example secure cipher=high\n");

    private static readonly string[] Keys =
    [
        "crlf.example", "crlfcont.example", "tab.example", "cr.example", "nul.example", "nulcont.example", "ff.example",
        "vt.example", "ff2.example", "del.example", "ctl.example", "c\u0001key.example", "lat.example",
        "lead.example", "after.example", "ÄUDI.example", "äudi.example", "Äudi.EXAMPLE", "novalue.example",
        "\u00a0nbsp.example", "nbsp.example", "valid.example", "bad.example", "unknown.example",
    ];

    [Theory]
    [InlineData("hash")]
    [InlineData("texthash")]
    public void Keys_and_values_agree_with_postmap_q_byte_for_byte(string type)
    {
        var postmap = Tool.Require("postmap", "postfix");
        using var dir = new TempDir();
        var env = PostmapDifferentialTests.MailConfig(dir);
        var file = Path.Combine(dir.Path, "tls_policy");
        File.WriteAllBytes(file, Table);
        if (type == "hash")
        {
            var build = Tool.Run(postmap, [file], env: env);
            Assert.True(build.ExitCode == 0, build.Stderr);
        }

        using var stream = new MemoryStream(Table);
        var parsed = PolicyMap.ParseUtf8(stream, "tls_policy", long.MaxValue, out bool tooLarge)!;
        Assert.False(tooLarge);
        int found = 0;
        foreach (var key in Keys)
        {
            var q = Tool.Run(postmap, ["-q", key, type + ":" + file], env: env);
            Assert.True(q.ExitCode is 0 or 1, $"postmap -q {key}: exit {q.ExitCode}: {q.Stderr}");
            string? expected = q.ExitCode == 0 ? q.Stdout[..^1] : null;
            string? actual = parsed.Map.TryGetExact(key, out var e) && e!.RawValue.Length > 0 ? e.RawValue : null;
            Assert.True(expected == actual, $"key \"{Show(key)}\": postmap says {Show(expected)}, CertPolicy says {Show(actual)}");
            found += expected is null ? 0 : 1;
        }

        Assert.True(found >= 18, $"only {found} keys found: the table is not what the test means");
    }

    [Fact]
    public void Each_byte_case_is_reported_with_what_Postfix_does()
    {
        using var stream = new MemoryStream(Table);
        var r = PolicyMap.ParseUtf8(stream, "t", long.MaxValue, out _)!;
        string Diag(int line) => string.Join(" | ", r.Diagnostics.Where(d => d.Line == line));

        Assert.Contains("a NUL byte ends the entry for Postfix", Diag(6), StringComparison.Ordinal);
        Assert.True(r.Map.TryGetExact("nulcont.example", out var nul) && nul!.IsValid); // Postfix reads "secure"
        Assert.Contains("invalid security level \"se\\x0Ccure\"", Diag(11), StringComparison.Ordinal);
        Assert.Contains("Postfix keeps it as part of the key", Diag(14), StringComparison.Ordinal);
        Assert.Contains("not valid UTF-8 (byte 0xE9): Postfix ignores this whole entry", Diag(16), StringComparison.Ordinal);
        Assert.False(r.Map.TryGetExact("lead.example", out _));
        Assert.Equal(SecurityLevel.Secure, r.Map.Lookup("crlf.example").Entry!.Policy!.Level);
        Assert.Equal(["\u002ex.example"], r.Map.Lookup("crlfcont.example").Entry!.Policy!.Match.ToArray());
        Assert.Equal("invalid-level", r.Map.Lookup("cr.example").Entry!.Error!.Code); // smtp(8) splits at CR: "sec"
        Assert.All(r.Diagnostics, d => Assert.DoesNotMatch("[\\x00-\\x1f\\x7f\\ud800-\\udfff]", d.ToString()));
    }

    [Fact]
    public void Lookup_answers_a_valid_key_beside_invalid_ones_as_postmap_q_does()
    {
        var postmap = Tool.Require("postmap", "postfix");
        using var dir = new TempDir();
        var env = PostmapDifferentialTests.MailConfig(dir);
        var file = dir.File("tls_policy", """
            bad1.example secure cipher=high
            audi.de secure match=.audi.de ciphers=high protocols=>=TLSv1.2
            bad2.example bogus
            .audi.hu secure # comment makes it invalid
            mailin1.audi.hu may
            """);
        Assert.Equal(0, Tool.Run(postmap, [file], env: env).ExitCode);
        foreach (var (hop, exit, text) in new[]
        {
            ("audi.de", 0, "key \"audi.de\""), ("bad1.example", 2, "invalid: Postfix defers"), ("bad2.example", 2, "invalid: Postfix defers"),
            ("x.audi.hu", 2, "key \".audi.hu\""), ("mailin1.audi.hu", 0, "key \"mailin1.audi.hu\""), ("other.example", 1, "no entry applies"),
        })
        {
            // postmap -q answers whatever value the first key of smtp(8)'s walk holds, valid or not.
            string? postfixKey = null;
            foreach (var k in Walk(hop))
            {
                if (Tool.Run(postmap, ["-q", k, "hash:" + file], env: env).ExitCode == 0)
                {
                    postfixKey = k;
                    break;
                }
            }

            var cli = CliRunner.Run("policy", "lookup", file, hop);
            Assert.True(exit == cli.Exit, $"{hop}: exit {cli.Exit}: {cli.Out}{cli.Err}");
            Assert.Contains(text, cli.Out, StringComparison.Ordinal);
            Assert.Equal(postfixKey is null, exit == 1);
            if (postfixKey is not null)
            {
                Assert.Contains($"key \"{postfixKey}\"", cli.Out, StringComparison.Ordinal);
            }

            if (exit == 2)
            {
                Assert.StartsWith(file + ":", Assert.Single(cli.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Check_reports_errors_first_then_the_findings_of_the_valid_entries()
    {
        using var dir = new TempDir();
        var file = dir.File("tls_policy", "audi.hu none\nbad.example secure cipher=high\nweak.example secure match=hostname ciphers=high protocols=>=TLSv1.2\n");
        var (exit, stdout, stderr) = CliRunner.Run("policy", "check", file, "--partner", "audi.hu", "--partner", "missing.example");
        Assert.Equal(2, exit);
        Assert.Contains($"{file}:2:20: error: invalid attribute name: \"cipher\"", stderr, StringComparison.Ordinal);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("partner \"audi.hu\": TLS is turned off", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"weak.example\": match=hostname at level secure", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("partner \"missing.example\" has no entry", StringComparison.Ordinal));

        var json = CliRunner.Run("policy", "check", file, "--partner", "audi.hu", "--json");
        Assert.Equal(2, json.Exit);
        int error = json.Out.IndexOf("\"error\"", StringComparison.Ordinal);
        int finding = json.Out.IndexOf("\"finding\"", StringComparison.Ordinal);
        Assert.True(error >= 0 && finding > error, json.Out);
    }

    private static IEnumerable<string> Walk(string hop)
    {
        yield return hop;
        for (int i = hop.IndexOf('.', 1); i >= 0; i = hop.IndexOf('.', i + 1))
        {
            yield return hop[i..];
        }
    }

    private static string Show(string? v) => v is null ? "NOTFOUND" : "\"" + PolicyMap.Printable(v) + "\"";
}
