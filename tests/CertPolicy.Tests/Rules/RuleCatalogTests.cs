using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using CertPolicy.Cli.Rules;
using CertPolicy.Messaging;
using CertPolicy.Monitoring;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;
using CertPolicy.Tls;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Rules;

/// <summary>
/// Issue 13 item 3: every rule id a finding can carry is explained (<c>certpolicy explain</c>, <c>docs/rules.md</c>), and
/// no output points to a file outside the repository. The ids and codes are found by scanning the sources of src/, so a
/// new finding with a new rule or code fails here until the catalogue explains it.
/// </summary>
public partial class RuleCatalogTests
{
    [GeneratedRegex("\"(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"R-[A-Z]+[0-9]+")]
    private static partial Regex RuleId();

    // A finding code literal directly followed by a rule id literal: new Finding("chain.expired", "R-C3", ...), Add("x", "R-T6", ...).
    [GeneratedRegex("\"([A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)+)\",\\s*\"(R-[A-Z]+[0-9]+)\"")]
    private static partial Regex CodeThenRule();

    // The same through a constants class: new MessagingFinding(SmimeFindingCodes.Expired, "R-G1", ...).
    [GeneratedRegex("\\b(SmimeFindingCodes|OpenPgpFindingCodes)\\.(\\w+),\\s*\"(R-[A-Z]+[0-9]+)\"")]
    private static partial Regex ConstantThenRule();

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Path.Combine(TrustTestSupport.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>The code of each source file without its comment lines (// and ///): what can reach a user.</summary>
    private static IEnumerable<(string File, string Code)> SourceCode() =>
        SourceFiles().Select(f => (f, string.Join('\n', File.ReadAllLines(f).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)))));

    [Fact]
    public void Every_rule_id_in_a_string_of_the_sources_is_explained()
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, code) in SourceCode())
        {
            foreach (Match s in StringLiteral().Matches(code))
            {
                foreach (Match id in RuleId().Matches(s.Value))
                {
                    ids.Add(id.Value);
                }
            }
        }

        // The scan must find the rules the findings use (a broken regex would find nothing and pass).
        Assert.True(ids.Count >= 25, "only " + ids.Count + " rule ids found: " + string.Join(' ', ids));
        foreach (var id in ids)
        {
            Assert.True(RuleCatalog.Find(id) is not null, id + " is used by a finding but not in RuleCatalog");
            var (exit, output, err) = CliRunner.Run("explain", id);
            Assert.True(exit == 0, id + ": " + err);
            Assert.StartsWith(id + ": ", output, StringComparison.Ordinal);
            Assert.Contains("How to fix:", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_catalogue_has_exactly_the_rules_of_the_project_and_each_is_complete()
    {
        // The shared restatement the ids come from (beside the repository, as ca-facts.json for the trust tests).
        var shared = Path.GetFullPath(Path.Combine(TrustTestSupport.RepoRoot, "..", "shared", "docs", "RULES.md"));
        Assert.True(File.Exists(shared), "RULES.md not found at " + shared + " (shared/ must sit beside the repository)");
        var defined = Regex.Matches(File.ReadAllText(shared), @"^\s*- \*\*(R-[A-Z]+[0-9]+)\*\*", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(30, defined.Length);
        Assert.Equal(defined.Order(StringComparer.Ordinal), RuleCatalog.All.Select(r => r.Id).Order(StringComparer.Ordinal));
        foreach (var r in RuleCatalog.All)
        {
            Assert.All(new[] { r.Title, r.Requires, r.Source, r.Fix, r.CheckedBy }, t => Assert.False(string.IsNullOrWhiteSpace(t), r.Id));
            Assert.DoesNotContain("RULES.md", r.Requires + r.Source + r.Fix, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string> CodesOfTheSources()
    {
        var pairs = new SortedSet<(string, string)>();
        foreach (var (_, code) in SourceCode())
        {
            foreach (Match m in CodeThenRule().Matches(code))
            {
                pairs.Add((m.Groups[1].Value, m.Groups[2].Value));
            }

            foreach (Match m in ConstantThenRule().Matches(code))
            {
                var type = m.Groups[1].Value == "SmimeFindingCodes" ? typeof(SmimeFindingCodes) : typeof(OpenPgpFindingCodes);
                var field = type.GetField(m.Groups[2].Value, BindingFlags.Public | BindingFlags.Static);
                Assert.NotNull(field);
                pairs.Add(((string)field!.GetRawConstantValue()!, m.Groups[3].Value));
            }
        }

        // Codes whose rule is not a literal beside them: the TLS floor (and a policy entry's own floor), the R-C11 and R-C12
        // checkers (one rule constant each), OpenSSL's validity defects, the log monitor.
        for (int b = 0; b < 16; b++)
        {
            var flag = (TlsFloorFailures)(1 << b);
            if (Enum.IsDefined(flag))
            {
                pairs.Add((TlsFloor.CodeOf(flag), TlsFloor.RuleId(flag)));
            }
        }

        foreach (var (file, rule) in new[] { ("CertificateProfileRules.cs", "R-C11"), ("RevocationChecker.cs", "R-C12") })
        {
            var text = File.ReadAllText(Path.Combine(TrustTestSupport.RepoRoot, "src", "CertPolicy", "Validation", file));
            foreach (Match m in Regex.Matches(text, "\"((?:profile|revocation)\\.[a-z0-9.-]+)\""))
            {
                pairs.Add((m.Groups[1].Value, rule));
            }
        }

        foreach (OpenSslValidityDefect d in Enum.GetValues<OpenSslValidityDefect>())
        {
            if (d != OpenSslValidityDefect.None)
            {
                pairs.Add((OpenSslValidityRules.Code(d), "R-C3"));
            }
        }

        foreach (PostfixTlsEventKind k in Enum.GetValues<PostfixTlsEventKind>())
        {
            if (PostfixTlsEvent.KindName(k) != "unknown")
            {
                pairs.Add((PostfixTlsEvent.KindName(k), PostfixTlsEvent.MonitoringRuleId));
            }
        }

        // Codes whose rule is chosen at run time (TLS or e-mail; required or opportunistic).
        foreach (var (c, r) in new[]
        {
            ("trust.distrusted-after", "R-C3"), ("trust.distrusted-after", "R-G1"), ("trust.not-for-tls", "R-C3"), ("trust.not-for-email", "R-G1"),
            ("starttls-refused", "R-T6"), ("starttls-refused", "R-T7"), ("handshake-failed", "R-T6"), ("handshake-failed", "R-T7"),
            ("partner-level-too-weak", "R-T6"), ("partner-level-too-weak", "R-T8"),
        })
        {
            pairs.Add((c, r));
        }

        var data = new TheoryData<string, string>();
        foreach (var (c, r) in pairs)
        {
            data.Add(c, r);
        }

        return data;
    }

    [Fact]
    public void The_source_scan_finds_the_findings()
    {
        // Guards the scan: a change that made the regexes miss everything would empty the theory below.
        Assert.True(CodesOfTheSources().Count >= 150, "only " + CodesOfTheSources().Count + " codes found");
    }

    [Theory]
    [MemberData(nameof(CodesOfTheSources))]
    public void Every_finding_code_explains_its_rule(string code, string rule)
    {
        Assert.Contains(RuleCatalog.FindByCode(code), r => r.Id == rule);
        var (exit, output, err) = CliRunner.Run("explain", code);
        Assert.True(exit == 0, code + ": " + err);
        Assert.StartsWith("finding code " + code + " belongs to rule", output, StringComparison.Ordinal);
        Assert.Contains(rule + ": ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("r-t8", "R-T8")]
    [InlineData(" R-C10 ", "R-C10")]
    [InlineData("R-c7", "R-C7")]
    public void Explain_takes_rule_ids_in_any_case(string arg, string id)
    {
        var (exit, output, _) = CliRunner.Run("explain", arg);
        Assert.Equal(0, exit);
        Assert.StartsWith(id + ": ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_takes_a_finding_code_in_any_case_and_shows_its_rule()
    {
        var (exit, output, _) = CliRunner.Run("explain", "LEAF.Self-Signed");
        Assert.Equal(0, exit);
        Assert.StartsWith("finding code LEAF.Self-Signed belongs to rule R-C7:", output, StringComparison.Ordinal);
        Assert.Contains("R-C7: No self-signed certificates", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("R-T99")]
    [InlineData("chain.no-such-thing")]
    [InlineData("RULES.md")]
    public void Unknown_ids_are_one_line_and_exit_2(string arg)
    {
        var (exit, output, err) = CliRunner.Run("explain", arg);
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("certpolicy explain: '" + arg + "' is neither a rule id", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_alone_lists_every_rule()
    {
        var (exit, output, _) = CliRunner.Run("explain");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(RuleCatalog.All.Count + 1, lines.Length);
        for (int i = 0; i < RuleCatalog.All.Count; i++)
        {
            Assert.StartsWith(RuleCatalog.All[i].Id + " ", lines[i], StringComparison.Ordinal);
            Assert.EndsWith(RuleCatalog.All[i].Title, lines[i], StringComparison.Ordinal);
        }

        Assert.Contains("docs/rules.md", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_json_lists_the_rules_with_camel_case_keys()
    {
        foreach (var args in new[] { new[] { "explain", "--format", "json" }, ["explain", "--json"] })
        {
            var (exit, output, _) = CliRunner.Run(args);
            Assert.Equal(0, exit);
            using var doc = JsonDocument.Parse(output);
            var rules = doc.RootElement.GetProperty("rules");
            Assert.Equal(RuleCatalog.All.Count, rules.GetArrayLength());
            Assert.False(doc.RootElement.TryGetProperty("code", out _));
            var t8 = rules.EnumerateArray().Single(r => r.GetProperty("id").GetString() == "R-T8");
            Assert.Equal(RuleCatalog.Find("R-T8")!.Fix, t8.GetProperty("fix").GetString());
            Assert.Contains(t8.GetProperty("codes").EnumerateArray(), c => c.GetString() == "level-none");
            Assert.Equal(JsonValueKind.String, t8.GetProperty("checkedBy").ValueKind);
        }

        var (e2, o2, _) = CliRunner.Run("explain", "level-none", "--format", "json");
        Assert.Equal(0, e2);
        using var one = JsonDocument.Parse(o2);
        Assert.Equal("level-none", one.RootElement.GetProperty("code").GetString());
        Assert.Equal("R-T8", one.RootElement.GetProperty("rules")[0].GetProperty("id").GetString());

        // No SARIF: explain reports no findings.
        Assert.Equal(2, CliRunner.Run("explain", "--format", "sarif").Exit);
    }

    [Fact]
    public void Docs_rules_md_is_the_catalogue()
    {
        var path = Path.Combine(TrustTestSupport.RepoRoot, "docs", "rules.md");
        var expected = RuleCatalog.ToMarkdown();
        if (Environment.GetEnvironmentVariable("CERTPOLICY_REGENERATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), "docs/rules.md is missing: CERTPOLICY_REGENERATE_DOCS=1 dotnet test --filter Docs_rules_md_is_the_catalogue");
        Assert.True(
            expected == File.ReadAllText(path).ReplaceLineEndings("\n"),
            "docs/rules.md differs from RuleCatalog: CERTPOLICY_REGENERATE_DOCS=1 dotnet test --filter Docs_rules_md_is_the_catalogue");
        foreach (var r in RuleCatalog.All)
        {
            Assert.Contains("\n## " + r.Id + "\n", expected, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void No_output_refers_to_a_file_outside_the_repository()
    {
        // Strings (not comments) of the sources, and the quoted values of the embedded trust manifest (printed by bundle build
        // and trust list), must not send a user to ../shared: RULES.md, ca-facts.*. Point to docs/rules.md or `certpolicy explain`.
        string[] outside = ["RULES.md", "../shared", "ca-facts"];
        var offenders = new List<string>();
        int strings = 0;
        foreach (var (file, code) in SourceCode())
        {
            foreach (Match s in StringLiteral().Matches(code))
            {
                strings++;
                if (outside.Any(o => s.Value.Contains(o, StringComparison.Ordinal)))
                {
                    offenders.Add(Path.GetFileName(file) + ": " + s.Value);
                }
            }
        }

        foreach (var line in File.ReadAllLines(Path.Combine(TrustTestSupport.RepoRoot, "trust", "manifest.cfg")))
        {
            if (!line.TrimStart().StartsWith('#') && outside.Any(o => line.Contains(o, StringComparison.Ordinal)))
            {
                offenders.Add("trust/manifest.cfg: " + line);
            }
        }

        Assert.True(strings > 1000, "the scan found only " + strings + " string literals");
        Assert.True(offenders.Count == 0, string.Join('\n', offenders));
    }
}
