using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertPolicy.Cli.Commands;
using CertPolicy.Scan;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;
using Json.Schema;

namespace CertPolicy.Tests.Scan;

/// <summary><c>certpolicy scan</c> through the CLI (in process) against the real parts of <see cref="ScanFixture"/>.</summary>
[Collection(nameof(ScanCollection))]
public sealed class ScanCliTests(ScanFixture fixture) : IDisposable
{
    private static readonly string[] Three = ["allok.scan.test", "onebad.scan.test", "stsmx.scan.test"];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int Exit, string Out, string Err) Scan(params string[] args) => CliRunner.Run(["scan", .. args, .. fixture.CliOptions()]);

    [Fact]
    public void Json_and_jsonl_and_csv_and_sarif_and_text_say_the_same()
    {
        var json = Scan([.. Three, "--format", "json"]);
        Assert.True(json.Exit == 1, json.Err + json.Out);
        using var doc = JsonDocument.Parse(json.Out);
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(TrustTestSupport.RepoRoot, "docs", "schemas", "scan.schema.json")));
        var valid = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(valid.IsValid, "not valid against docs/schemas/scan.schema.json: " + json.Out);
        var domains = doc.RootElement.GetProperty("domains").EnumerateArray().ToList();
        Assert.Equal(Three, domains.Select(d => d.GetProperty("domain").GetString()));
        Assert.Equal(["pass", "fail", "fail"], domains.Select(d => d.GetProperty("verdict").GetString()));
        Assert.Equal("fail", doc.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(5, doc.RootElement.GetProperty("summary").GetProperty("gateways").GetInt32());
        Assert.Equal("ok", domains[2].GetProperty("mtaSts").GetProperty("status").GetString());
        Assert.Equal("enforce", domains[2].GetProperty("mtaSts").GetProperty("mode").GetString());

        // JSON Lines: one object per domain, the items of the JSON document.
        var jsonl = Scan([.. Three, "--format", "jsonl"]);
        Assert.Equal(1, jsonl.Exit);
        var lines = jsonl.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(lines[i]), JsonNode.Parse(domains[i].GetRawText())), lines[i]);
        }

        // CSV: a header and one row per gateway, 12 fields each (RFC 4180, CRLF).
        var csv = Scan([.. Three, "--format", "csv"]);
        Assert.Equal(1, csv.Exit);
        Assert.EndsWith("\r\n", csv.Out, StringComparison.Ordinal);
        var rows = csv.Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(ParseCsvLine).ToList();
        Assert.Equal(ScanOutput.CsvColumns, rows[0]);
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal(12, r.Count));
        Assert.Equal(["allok.scan.test", "allok.scan.test", "onebad.scan.test", "onebad.scan.test", "stsmx.scan.test"], rows.Skip(1).Select(r => r[0]));
        Assert.Equal("mx2.onebad.scan.test", rows[4][2]);
        Assert.Equal(ScanFixture.WrongName, rows[4][4]);
        Assert.Equal("fail", rows[4][6]);
        Assert.Contains("name.mismatch", rows[4][11].Split(' '));

        // SARIF: one result per failed finding (error) and per check not carried out (warning).
        var sarif = Scan([.. Three, "--format", "sarif"]);
        Assert.Equal(1, sarif.Exit);
        using var log = JsonDocument.Parse(sarif.Out);
        var results = log.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        int failed = domains.Sum(d => Findings(d).Count(f => f.GetProperty("status").GetString() == "fail"));
        int notEvaluated = domains.Sum(d => Findings(d).Count(f => f.GetProperty("status").GetString() == "not-evaluated"));
        Assert.True(failed >= 2);
        Assert.Equal(failed, results.Count(r => r.GetProperty("level").GetString() == "error"));
        Assert.Equal(failed + notEvaluated, results.Count);
        Assert.Contains(results, r => r.GetProperty("ruleId").GetString() == "R-D2" && r.GetProperty("message").GetProperty("text").GetString()!.StartsWith("stsmx.scan.test: ", StringComparison.Ordinal));

        // Text: per domain, then the summary table; no progress bar (stderr is not a terminal).
        var text = Scan(Three);
        Assert.Equal(1, text.Exit);
        Assert.Contains("onebad.scan.test: fail", text.Out, StringComparison.Ordinal);
        Assert.Contains("[fail] R-D2 mta-sts.mx-not-covered", text.Out, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^onebad\.scan\.test +fail +1/2 +\d+$", text.Out);
        Assert.Contains("3 domain(s), 5 gateway(s): 1 compliant, 2 not compliant, 0 could not evaluate", text.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, text.Err);
        foreach (var output in new[] { json.Out, jsonl.Out, csv.Out, sarif.Out, text.Out })
        {
            Assert.DoesNotMatch(@"System\.|Exception|class value", output);
        }
    }

    [Fact]
    public void Exit_codes_0_1_2_3()
    {
        var ok = Scan("allok.scan.test", "dane3ok.scan.test");
        Assert.True(ok.Exit == 0, ok.Out + ok.Err);
        Assert.Equal(1, Scan("allok.scan.test", "nostarttls.scan.test").Exit);

        // Could not evaluate: the resolver never answers (nothing failed).
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var unknown = CliRunner.Run("scan", "allok.scan.test", "--dns", ((IPEndPoint)silent.Client.LocalEndPoint!).ToString(), "--timeout", "0.3");
        Assert.True(unknown.Exit == 3, unknown.Out + unknown.Err);
        Assert.Contains("scan.mx-lookup-failed", unknown.Out, StringComparison.Ordinal);

        // Bad input: one line, exit 2, nothing on stdout.
        foreach (var bad in new[]
        {
            new[] { "scan" },
            new[] { "scan", "not a domain" },
            new[] { "scan", "*.example.com" },
            new[] { "scan", "example.com", "--shard", "4/3" },
            new[] { "scan", "example.com", "--shard", "0/3" },
            new[] { "scan", "example.com", "--parallel", "0" },
            new[] { "scan", "example.com", "--dns", "resolver.example" },
            new[] { "scan", "example.com", "--level", "sure" },
            new[] { "scan", "example.com", "--level", "secure", "--policy", "x" },
            new[] { "scan", "example.com", "--port", "465" },
            new[] { "scan", "example.com", "--format", "xml" },
        })
        {
            var r = CliRunner.Run(bad);
            Assert.True(r.Exit == 2, string.Join(' ', bad) + ": exit " + r.Exit + ": " + r.Out + r.Err);
            Assert.Equal(string.Empty, r.Out);
            Assert.Equal(1, r.Err.Count(c => c == '\n'));
            Assert.StartsWith("certpolicy scan: ", r.Err, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("example.com\nexample.org extra\n", 2, 12, "one domain per line")]
    [InlineData("# partners\n\n  bad_name.example\n", 3, 6, "the character '_' is not allowed")]
    [InlineData("ok.example # fine\n*.wild.example\n", 2, 1, "a wildcard is not a domain")]
    [InlineData("a..example\n", 1, 3, "empty label")]
    [InlineData("localhost\n", 1, 1, "no dot")]
    public void Partners_file_errors_are_file_line_col_and_exit_2(string content, int line, int col, string what)
    {
        string file = _dir.File("partners-" + line + "-" + col, content);
        var r = CliRunner.Run("scan", "--partners", file);
        Assert.Equal(2, r.Exit);
        Assert.Equal(string.Empty, r.Out);
        Assert.Equal(1, r.Err.Count(c => c == '\n'));
        Assert.StartsWith(file + ":" + line.ToString(CultureInfo.InvariantCulture) + ":" + col.ToString(CultureInfo.InvariantCulture) + ": ", r.Err, StringComparison.Ordinal);
        Assert.Contains(what, r.Err, StringComparison.Ordinal);

        var missing = CliRunner.Run("scan", "--partners", Path.Combine(_dir.Path, "no-such-file"));
        Assert.Equal(2, missing.Exit);
    }

    [Fact]
    public void Shards_1_to_3_of_3_partition_the_list()
    {
        // 30 names that do not exist (NXDOMAIN: no probe), from a partners file with comments and a duplicate.
        var names = Enumerable.Range(1, 30).Select(i => "d" + i.ToString(CultureInfo.InvariantCulture) + ".nx.scan.test").ToList();
        string file = _dir.File("partners", "# thirty\n" + string.Join("\n", names) + "\nD1.NX.scan.test. # the first again\n");
        var seen = new List<string>();
        for (int k = 1; k <= 3; k++)
        {
            var r = CliRunner.Run(["scan", "--partners", file, "--shard", k + "/3", "--format", "jsonl", .. fixture.CliOptions()]);
            Assert.True(r.Exit == 1, r.Err + r.Out); // NXDOMAIN: scan.domain-not-found fails
            var shard = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["domain"]!.GetValue<string>()).ToList();
            Assert.NotEmpty(shard);
            Assert.All(shard, d => Assert.Equal(k, ScanInput.ShardOf(d, 3)));
            Assert.Equal(names.Where(n => ScanInput.ShardOf(n, 3) == k), shard); // file order within the shard
            seen.AddRange(shard);
        }

        Assert.Equal(names.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal)); // union = all, no overlap
    }

    [Theory]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    [InlineData("FooBar", 0xbf9cf968u)] // lower-cased first
    public void Shard_hash_is_FNV_1a_32(string name, uint fnv)
    {
        // Published FNV-1a test vectors (draft-eastlake-fnv, 32-bit): the shard is hash mod N, plus 1.
        foreach (int n in new[] { 1, 2, 3, 7, 1000, 65536 })
        {
            Assert.Equal((int)(fnv % (uint)n) + 1, ScanInput.ShardOf(name, n));
        }
    }

    [Fact]
    public void From_policy_scans_the_plain_domain_keys_with_their_entries()
    {
        string table = _dir.File("tls_policy", """
            allok.scan.test     secure match=nexthop:dot-nexthop
            .parent.example     secure
            [relay.example]:25  encrypt
            dane3ok.scan.test   encrypt

            """);
        var r = Scan("--from-policy", table, "--format", "json");
        Assert.True(r.Exit == 0, r.Out + r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var domains = doc.RootElement.GetProperty("domains").EnumerateArray().ToList();
        Assert.Equal(["allok.scan.test", "dane3ok.scan.test"], domains.Select(d => d.GetProperty("domain").GetString()));
        Assert.Equal(["secure", "encrypt"], domains.Select(d => d.GetProperty("level").GetString()));
        Assert.Equal(table + " line 4: dane3ok.scan.test", domains[1].GetProperty("policySource").GetString());
        Assert.Contains("2 key(s) that are not plain domains skipped", r.Err, StringComparison.Ordinal);
        Assert.Contains(".parent.example", r.Err, StringComparison.Ordinal);

        // --policy: each domain's entry from the table; a domain without one is evaluated at may (R-T7).
        var p = Scan("allok.scan.test", "nostarttls.scan.test", "--policy", table, "--format", "json");
        Assert.True(p.Exit == 0, p.Out + p.Err); // nostarttls: no entry, may: no STARTTLS is allowed
        using var pdoc = JsonDocument.Parse(p.Out);
        Assert.Equal(["secure", "may"], pdoc.RootElement.GetProperty("domains").EnumerateArray().Select(d => d.GetProperty("level").GetString()));
    }

    [Fact]
    public void Csv_fields_are_quoted_as_RFC_4180_says()
    {
        Assert.Equal("plain", ScanOutput.CsvField("plain"));
        Assert.Equal("\"a,b\"", ScanOutput.CsvField("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"", ScanOutput.CsvField("say \"hi\""));
        Assert.Equal("\"two\r\nlines\"", ScanOutput.CsvField("two\r\nlines"));
        Assert.Equal(["a,b", "say \"hi\"", string.Empty], ParseCsvLine("\"a,b\",\"say \"\"hi\"\"\","));
    }

    private static IEnumerable<JsonElement> Findings(JsonElement domain) =>
        domain.GetProperty("findings").EnumerateArray().Concat(domain.GetProperty("gateways").EnumerateArray().SelectMany(g => g.GetProperty("findings").EnumerateArray()));

    // RFC 4180 2: fields separated by commas, a quoted field may hold commas and doubled quotes (no line breaks here).
    private static List<string> ParseCsvLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
