using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CertPolicy.Tests.Messaging;
using CertPolicy.Tests.Net;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Trust;
using CertPolicy.Tests.Validation;
using Json.Schema;

namespace CertPolicy.Tests.Cli;

/// <summary>
/// The one output convention (issue 13 item 4): every command takes <c>--format text|json|sarif</c> (sarif where it reports
/// findings) and <c>--json</c>; real invocations of every command are validated against the command's JSON Schema in
/// <c>docs/schemas/</c> (draft 2020-12, JsonSchema.Net) and every SARIF output against the official SARIF 2.1.0 schema.
/// </summary>
public sealed partial class OutputFormatTests : IDisposable
{
    private const string At = "2026-06-01T12:00:00Z";
    private const string FactsAt = "2026-11-28T00:00:00Z";

    private static readonly Lazy<JsonSchema> SarifSchema = new(LoadSarifSchema);
    private static readonly Dictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);
    private static readonly Lock SchemasLock = new();

    private readonly TempDir dir = new();
    private readonly List<ScriptedSmtpServer> servers = [];
    private readonly List<UdpClient> silentDns = [];

    public void Dispose()
    {
        foreach (var s in servers)
        {
            s.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        foreach (var u in silentDns)
        {
            u.Dispose();
        }

        dir.Dispose();
    }

    /// <summary>A command with its schema name, whether it offers SARIF, and real invocations (without --format).</summary>
    private sealed record Case(string Command, string Schema, bool Sarif, Func<string[]>[] Invocations);

    private static string SchemaDir => Path.Combine(TrustTestSupport.RepoRoot, "docs", "schemas");

    // ---- fixtures: real inputs for every command ----

    private string ChainFile(ChainSpec spec, string name)
    {
        var chain = TestChains.Create(spec);
        File.WriteAllText(Path.Combine(dir.Path, name + ".roots.pem"), chain.RootPem);
        return dir.File(name + ".pem", chain.PresentedPem);
    }

    private string RootsOf(string chainFile) => Path.ChangeExtension(chainFile, ".roots.pem");

    private string PgpKey(PgpFixtures.Spec spec) => dir.File("key-" + Guid.NewGuid().ToString("N") + ".asc", PgpFixtures.Armor(PgpFixtures.Build(spec)));

    private static string Grouped => string.Join(" ", Enumerable.Range(0, 10).Select(i => PgpFixtures.Fingerprint(PgpFixtures.Primary).Substring(i * 4, 4)));

    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private List<Case> Cases()
    {
        string good = ChainFile(new ChainSpec(), "good");
        string weak = ChainFile(new ChainSpec { LeafKey = "rsa1024" }, "weak");
        string policy = dir.File("tls_policy", "audi.de encrypt\naudi.hu secure match=.audi.de ciphers=high protocols=>=TLSv1.2\nexample.org none\n");
        string broken = dir.File("broken_policy", "audi.de secure\nx.example secure cipher=high\n");
        string log = dir.File("maillog", """
            Nov 28 12:00:00 gw postfix/smtp[4711]: 3F2A81C0D2: to=<u@notls.example.net>, relay=mx.notls.example.net[192.0.2.3]:25, delay=0.05, delays=0.01/0.03/0.01/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.notls.example.net[192.0.2.3])
            Nov 28 12:00:02 gw postfix/smtpd[815]: SSL_accept error from client.example[192.0.2.9]: -1

            """);
        string clean = dir.File("clean.log", "Nov 28 12:00:00 gw postfix/smtpd[815]: connect from client.example[192.0.2.9]\n");
        var rootA = TrustTestSupport.MakeRoot("Output Test Root A");
        string manifest = TrustTestSupport.WriteManifest([new(rootA, "Root A")]);
        string source = Path.Combine(dir.Path, "source");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "a.pem"), rootA.Cert.ExportCertificatePem());
        string limbo = Path.GetFullPath(Path.Combine(TrustTestSupport.RepoRoot, "..", "shared", "conformance", "x509-limbo", "limbo.json"));
        int closed = ClosedPort();
        string probeChain = Path.Combine(dir.Path, "out-" + Guid.NewGuid().ToString("N"));
        string pfDir = Path.Combine(dir.Path, "postfix-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(pfDir);
        File.WriteAllText(Path.Combine(pfDir, "master.cf"), string.Empty);
        File.WriteAllText(Path.Combine(pfDir, "tls_policy"), "audi.de secure match=.audi.de ciphers=high protocols=>=TLSv1.2\n");
        File.WriteAllText(Path.Combine(pfDir, "main.cf"), "compatibility_level = 3.7\nsmtp_tls_security_level = may\nsmtp_tls_loglevel = 1\nsmtpd_tls_loglevel = 1\nsmtp_tls_policy_maps = texthash:" + Path.Combine(pfDir, "tls_policy") + "\n");
        string pfWeak = Path.Combine(dir.Path, "postfix-weak-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(pfWeak);
        File.WriteAllText(Path.Combine(pfWeak, "master.cf"), string.Empty);
        File.WriteAllText(Path.Combine(pfWeak, "main.cf"), "compatibility_level = 3.7\nsmtp_tls_security_level = none\nsmtp_tls_loglevel = 0\n");

        return
        [
            new("verify", "verify", true,
            [
                () => ["verify", good, "--nexthop", "example.com", "--roots", RootsOf(good), "--at", At],
                () => ["verify", weak, "--nexthop", "example.com", "--roots", RootsOf(weak), "--at", At, "--profile", "document-2019"],
            ]),
            new("probe", "probe", true,
            [
                () => ["probe", "127.0.0.1:" + closed, "--nexthop", "example.net", "--timeout", "10"],
                () => ["probe", "127.0.0.1:" + StartTlsRefusingServer(), "--nexthop", "example.net", "--mx", "gw.example.net", "--timeout", "10"],
            ]),
            new("policy check", "policy-check", true,
            [
                () => ["policy", "check", policy, "--partner", "audi.de", "--partner", "audi.hu", "--partner", "example.org", "--partner", "missing.example"],
                () => ["policy", "check", broken],
            ]),
            new("policy lookup", "policy-lookup", false,
            [
                () => ["policy", "lookup", policy, "mailin1.audi.hu"],
                () => ["policy", "lookup", policy, "[audi.de]:25"],
            ]),
            new("policy format", "policy-format", false, [() => ["policy", "format", policy]]),
            new("names", "names", true,
            [
                () => ["names", "--cert", good, "--level", "secure", "--nexthop", "example.com"],
                () => ["names", "--cert", good, "--level", "verify", "--nexthop", "other.example", "--mx", "mx.other.example", "--gateway-pattern", "mailin*.other.example"],
            ]),
            new("ciphers", "ciphers", false, [() => ["ciphers", "HIGH:!aNULL:@STRENGTH"], () => ["ciphers", "--tls1_3", "HIGH"]]),
            new("tls check", "tls-check", false,
            [
                () => ["tls", "check", "--protocol", "TLSv1.2", "--cipher", "ECDHE-RSA-AES256-GCM-SHA384"],
                () => ["tls", "check", "--protocol", "TLSv1", "--cipher", "0x00,0x0A", "--profile", "document-2019"],
            ]),
            new("bundle build", "bundle-build", true,
            [
                () => ["bundle", "build", "--out", Path.Combine(dir.Path, "out-" + Guid.NewGuid().ToString("N")), "--partner", "audi.de", "--at", FactsAt],
                () => ["bundle", "build", "--manifest", manifest, "--out", probeChain, "--at", "2041-06-01T00:00:00Z"],
            ]),
            new("bundle diff", "bundle-diff", false, [() => ["bundle", "diff", "--manifest", manifest, "--source", source, "--at", FactsAt]]),
            new("trust list", "trust-list", false, [() => ["trust", "list", "--at", FactsAt]]),
            new("container", "container", false, [() => ["container", good]]),
            new("smime", "smime", true, [() => ["smime", good, "--domain", "example.com", "--roots", RootsOf(good), "--at", At]]),
            new("pgp", "pgp", true,
            [
                () => ["pgp", PgpKey(PgpFixtures.Good), "--fingerprint", Grouped, "--domain", PgpFixtures.Domain, "--at", "2026-06-01T00:00:00Z"],
                () => ["pgp", PgpKey(PgpFixtures.Good), "--fingerprint", Grouped, "--at", "2026-06-01T00:00:00Z", "--min-rsa-bits", "3072"],
            ]),
            new("monitor", "monitor", true, [() => ["monitor", log, "--discard-after", "1"], () => ["monitor", clean]]),
            new("conformance limbo", "conformance-limbo", false, [() => ["conformance", "limbo", limbo, "--now", FactsAt]]),
            new("ciphers", "ciphers-check", false, [() => ["ciphers", "HIGH:!SSLv2", "--check"], () => ["ciphers", "ECDHE+AESGCM", "--check", "--profile", "document-2019"]]),
            new("explain", "explain", false, [() => ["explain"], () => ["explain", "R-T8"], () => ["explain", "chain.not-in-order"]]),
            new("serve", "serve", false,
            [
                () => ["serve", "--socketmap", "127.0.0.1:0", "--policy", policy, "--check"],
                () => ["serve", "--socketmap", "127.0.0.1:0", "--policy", broken, "--check", "--map-name", "partners"],
            ]),
            new("scan", "scan", true,
            [
                // A resolver that never answers (no network needed): could not evaluate, exit 3, findings with codes.
                () => ["scan", "example.invalid", "--dns", SilentDns(), "--timeout", "0.3"],
                () => ["scan", "--partners", dir.File("partners", "# partners\nexample.invalid\nmail.example.invalid # second\n"), "--dns", SilentDns(), "--timeout", "0.3", "--shard", "1/1"],
            ]),
            new("postfix check", "postfix-check", true,
            [
                () => ["postfix", "check", "--config-dir", pfDir, "--partner", "audi.de"],
                () => ["postfix", "check", "--config-dir", pfWeak, "--partner", "audi.de", "--no-postconf"],
            ]),
        ];
    }

    // A UDP port on 127.0.0.1 that is open and never answers (a DNS server that times out); one per test, so that
    // two runs of an invocation print the same.
    private string SilentDns()
    {
        if (silentDns.Count == 0)
        {
            silentDns.Add(new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)));
        }

        return ((IPEndPoint)silentDns[0].Client.LocalEndPoint!).ToString();
    }

    // One SMTP session that offers STARTTLS and refuses it: a fail verdict with findings, no TLS needed.
    private int StartTlsRefusingServer()
    {
        var server = new ScriptedSmtpServer("220 gw.example.net ESMTP", new Dictionary<string, string?>
        {
            ["EHLO"] = "250-gw.example.net\n250 STARTTLS",
            ["STARTTLS"] = "454 4.7.0 TLS not available due to local problem",
        });
        servers.Add(server);
        return server.Port;
    }

    // ---- the tests ----

    [Fact]
    public void Every_command_is_covered_and_takes_format_and_json()
    {
        var leaves = LeafCommands();
        var covered = Cases().Select(c => c.Command).ToHashSet(StringComparer.Ordinal);
        var untested = leaves.Where(l => !covered.Contains(l)).ToList();
        Assert.True(untested.Count == 0, "commands without output tests (add them to Cases()): " + string.Join(", ", untested));
        var gone = covered.Where(c => !leaves.Contains(c)).ToList();
        Assert.True(gone.Count == 0, "tested commands the help does not list: " + string.Join(", ", gone));
        foreach (var c in Cases())
        {
            var help = CliRunner.Run([.. c.Command.Split(' '), "--help"]);
            Assert.Equal(0, help.Exit);
            Assert.Contains("--format", help.Out, StringComparison.Ordinal);
            Assert.Contains("--json", help.Out, StringComparison.Ordinal);
            Assert.Equal(c.Sarif, help.Out.Contains("sarif", StringComparison.Ordinal));
        }

        // Every schema in docs/schemas belongs to a command.
        var schemas = Directory.GetFiles(SchemaDir, "*.schema.json").Select(f => Path.GetFileName(f)[..^".schema.json".Length]).Order(StringComparer.Ordinal);
        Assert.Equal(Cases().Select(c => c.Schema).Order(StringComparer.Ordinal), schemas);
    }

    [Fact]
    public void Every_json_output_validates_against_its_schema_and_has_camel_case_keys()
    {
        int documents = 0;
        foreach (var c in Cases())
        {
            var schema = Schema(c.Schema);
            foreach (var args in c.Invocations)
            {
                string[] a = [.. args(), "--format", "json"];
                var (exit, stdout, stderr) = CliRunner.Run(a);
                Assert.True(exit is 0 or 1 or 2 or 3, string.Join(' ', a) + ": exit " + exit + ": " + stderr);
                Assert.True(stdout.Length > 0, string.Join(' ', a) + ": no JSON (exit " + exit + "): " + stderr);
                using var doc = JsonDocument.Parse(stdout);
                AssertValid(schema, doc.RootElement, string.Join(' ', a));
                AssertCamelCase(doc.RootElement, string.Join(' ', a), "$");
                documents++;
            }
        }

        Assert.True(documents >= 25, "validated " + documents + " documents");
    }

    [Fact]
    public void Every_sarif_output_validates_against_sarif_2_1_0()
    {
        int withResults = 0;
        foreach (var c in Cases().Where(c => c.Sarif))
        {
            foreach (var args in c.Invocations)
            {
                string[] a = [.. args(), "--format", "sarif"];
                var (exit, stdout, stderr) = CliRunner.Run(a);
                Assert.True(stdout.Length > 0, string.Join(' ', a) + ": no SARIF (exit " + exit + "): " + stderr);
                using var doc = JsonDocument.Parse(stdout);
                AssertValid(SarifSchema.Value, doc.RootElement, string.Join(' ', a));
                var run = doc.RootElement.GetProperty("runs")[0];
                Assert.Equal("certpolicy", run.GetProperty("tool").GetProperty("driver").GetProperty("name").GetString());
                int errors = run.GetProperty("results").EnumerateArray().Count(r => r.GetProperty("level").GetString() == "error");
                if (run.GetProperty("results").GetArrayLength() > 0)
                {
                    withResults++;
                }

                // A failing verdict (exit 1) has at least one error result; a pass has none.
                if (exit == 0)
                {
                    Assert.True(errors == 0, string.Join(' ', a) + ": exit 0 with error results");
                }
                else if (exit == 1)
                {
                    Assert.True(errors > 0, string.Join(' ', a) + ": exit 1 without an error result");
                }
            }
        }

        Assert.True(withResults >= 8, "SARIF logs with results: " + withResults);
    }

    [Fact]
    public void Json_alias_prints_the_same_as_format_json()
    {
        foreach (var c in Cases())
        {
            // The probe against a scripted server reports its port, which differs per server: its first invocation (a closed port) is stable.
            var args = c.Invocations[0]();
            var viaFormat = CliRunner.Run([.. args, "--format", "json"]);
            var viaAlias = CliRunner.Run([.. args, "--json"]);
            Assert.Equal(viaFormat.Exit, viaAlias.Exit);
            Assert.Equal(Normalise(viaFormat.Out), Normalise(viaAlias.Out));
        }

        // bundle build writes into --out (a random folder name per run): compare with the folder name removed.
        static string Normalise(string json) => OutFolder().Replace(json, "\"out\": \"X\"");
    }

    [Fact]
    public void Bad_format_value_exits_2_with_one_line()
    {
        foreach (var c in Cases())
        {
            foreach (var bad in new[] { "xml", "JSON", c.Sarif ? "pdf" : "sarif" })
            {
                var (exit, stdout, stderr) = CliRunner.Run([.. c.Invocations[0](), "--format", bad]);
                Assert.Equal(2, exit);
                Assert.Equal(string.Empty, stdout);
                Assert.Equal(1, stderr.Count(ch => ch == '\n'));
                Assert.StartsWith("certpolicy " + c.Command + ": --format: '" + bad + "' is not text", stderr, StringComparison.Ordinal);
            }

            // --json contradicts --format text.
            var both = CliRunner.Run([.. c.Invocations[0](), "--json", "--format", "text"]);
            Assert.Equal(2, both.Exit);
            Assert.Equal(1, both.Err.Count(ch => ch == '\n'));
        }
    }

    [Fact]
    public void Validation_refuses_mutated_documents()
    {
        // The schemas and the SARIF validator can fail: each mutation of a real, valid document is refused.
        string good = ChainFile(new ChainSpec { LeafKey = "rsa1024" }, "mut");
        var (_, json, _) = CliRunner.Run("verify", good, "--nexthop", "example.com", "--roots", RootsOf(good), "--at", At, "--format", "json");
        var schema = Schema("verify");
        AssertValid(schema, JsonDocument.Parse(json).RootElement, "original");
        foreach (var mutate in new Action<JsonObject>[]
        {
            o => o["verdict"] = "maybe",
            o => o.Remove("findings"),
            o => o["Extra"] = 1,
            o => o["findings"]![0]!["severity"] = "fatal",
            o => o["findings"]![0]!["depth"] = "zero",
            o => o["chain"]![0]!.AsObject().Remove("sha256"),
        })
        {
            var node = JsonNode.Parse(json)!.AsObject();
            mutate(node);
            using var doc = JsonDocument.Parse(node.ToJsonString());
            Assert.False(schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List }).IsValid, node.ToJsonString());
        }

        var (_, sarif, _) = CliRunner.Run("verify", good, "--nexthop", "example.com", "--roots", RootsOf(good), "--at", At, "--format", "sarif");
        AssertValid(SarifSchema.Value, JsonDocument.Parse(sarif).RootElement, "original SARIF");
        foreach (var mutate in new Action<JsonObject>[]
        {
            o => o["version"] = "2.0.0",
            o => o["runs"]![0]!["results"]![0]!["level"] = "fatal",
            o => o["runs"]![0]!["results"]![0]!["message"] = "a message must be an object",
            o => o["runs"]![0]!.AsObject().Remove("tool"),
            o => o["unexpected"] = true,
        })
        {
            var node = JsonNode.Parse(sarif)!.AsObject();
            mutate(node);
            using var doc = JsonDocument.Parse(node.ToJsonString());
            Assert.False(SarifSchema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List }).IsValid, node.ToJsonString());
        }
    }

    [Fact]
    public void Sarif_results_carry_rule_code_and_location()
    {
        string broken = dir.File("tls_policy", "audi.de secure\naudi.hu none\n");
        var (exit, stdout, _) = CliRunner.Run("policy", "check", broken, "--partner", "audi.hu", "--format", "sarif");
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        var run = doc.RootElement.GetProperty("runs")[0];
        var r8 = run.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == "R-T8");
        Assert.Equal("error", r8.GetProperty("level").GetString());
        var region = r8.GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.Equal(broken, region.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal(2, region.GetProperty("region").GetProperty("startLine").GetInt32());
        var rule = run.GetProperty("tool").GetProperty("driver").GetProperty("rules")[r8.GetProperty("ruleIndex").GetInt32()];
        Assert.Equal("R-T8", rule.GetProperty("id").GetString());

        // The rule is described from the catalogue that `certpolicy explain` prints.
        var explained = CliRunner.Run("explain", "R-T8", "--format", "json");
        using var ex = JsonDocument.Parse(explained.Out);
        string title = ex.RootElement.GetRawText();
        Assert.False(string.IsNullOrEmpty(rule.GetProperty("shortDescription").GetProperty("text").GetString()));
        Assert.Contains(JsonEncodedText.Encode(rule.GetProperty("shortDescription").GetProperty("text").GetString()!).ToString(), title, StringComparison.Ordinal);
        Assert.Contains("certpolicy explain R-T8", rule.GetProperty("help").GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bundle_build_takes_bundle_formats_and_format_is_the_output_format()
    {
        string outDir = Path.Combine(dir.Path, "pem-only");
        var built = CliRunner.Run("bundle", "build", "--out", outDir, "--bundle-formats", "pem", "--at", FactsAt, "--format", "json");
        Assert.True(built.Exit == 0, built.Err);
        using var doc = JsonDocument.Parse(built.Out);
        Assert.Equal("pass", doc.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(doc.RootElement.GetProperty("filesWritten").GetInt32(), Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Length);

        // The old meaning of --format (file types) is refused with one line, and nothing is written.
        string other = Path.Combine(dir.Path, "old-style");
        var old = CliRunner.Run("bundle", "build", "--out", other, "--format", "pem,p7b");
        Assert.Equal(2, old.Exit);
        Assert.Contains("--bundle-formats", old.Err, StringComparison.Ordinal);
        Assert.Equal(1, old.Err.Count(ch => ch == '\n'));
        Assert.False(Directory.Exists(other));
    }

    [Fact]
    public void Help_names_the_program_certpolicy()
    {
        var root = CliRunner.Run("--help");
        Assert.Equal(0, root.Exit);
        Assert.Contains("Usage:" + Environment.NewLine + "  certpolicy [command] [options]", root.Out, StringComparison.Ordinal);
        var sub = CliRunner.Run("policy", "check", "--help");
        Assert.Contains("certpolicy policy check <FILE> [options]", sub.Out, StringComparison.Ordinal);
        foreach (var text in new[] { root.Out, sub.Out })
        {
            Assert.DoesNotContain("CertPolicy.Cli", text, StringComparison.Ordinal);
            Assert.DoesNotContain("testhost", text, StringComparison.Ordinal);
        }
    }

    // ---- helpers ----

    // The leaf commands, read from the help output ("Commands:" sections), as a user finds them.
    private static HashSet<string> LeafCommands()
    {
        var leaves = new HashSet<string>(StringComparer.Ordinal);
        Walk([]);
        return leaves;

        void Walk(string[] path)
        {
            var (_, help, _) = CliRunner.Run([.. path, "--help"]);
            var subs = SubcommandNames(help);
            if (subs.Count == 0)
            {
                leaves.Add(string.Join(' ', path));
                return;
            }

            foreach (var s in subs)
            {
                Walk([.. path, s]);
            }
        }
    }

    private static List<string> SubcommandNames(string help)
    {
        var names = new List<string>();
        bool inCommands = false;
        foreach (var line in help.Split('\n'))
        {
            if (line.TrimEnd() == "Commands:")
            {
                inCommands = true;
                continue;
            }

            if (inCommands)
            {
                if (line.Trim().Length == 0)
                {
                    break;
                }

                // Two-space indent: a command; deeper indent: its wrapped description.
                if (line.StartsWith("  ", StringComparison.Ordinal) && !line.StartsWith("   ", StringComparison.Ordinal))
                {
                    names.Add(line.Trim().Split(' ')[0]);
                }
            }
        }

        return names;
    }

    private static JsonSchema Schema(string name)
    {
        lock (SchemasLock)
        {
            if (!Schemas.TryGetValue(name, out var schema))
            {
                string path = Path.Combine(SchemaDir, name + ".schema.json");
                Assert.True(File.Exists(path), "no schema " + path);
                schema = JsonSchema.FromText(File.ReadAllText(path));
                Schemas[name] = schema;
            }

            return schema;
        }
    }

    // The official OASIS schema is draft-04, which JsonSchema.Net does not implement. Its only draft-04-specific keyword is
    // the root "id" (draft-06 renamed it "$id"; no exclusiveMinimum/Maximum booleans occur), so it is read as draft-07
    // without that keyword; every other keyword means the same in both drafts. The root id only names the document (every
    // $ref in it is local, "#/definitions/..."), and JsonSchema.Net 8.0.5 refuses to build a schema whose root $id equals
    // its base URI ("Overwriting registered schemas is not permitted"), so it is dropped rather than renamed.
    private static JsonSchema LoadSarifSchema()
    {
        string path = Path.GetFullPath(Path.Combine(TrustTestSupport.RepoRoot, "..", "shared", "schemas", "sarif-schema-2.1.0.json"));
        Assert.True(File.Exists(path), "SARIF schema not found at " + path + " (shared/ must sit beside the repository)");
        var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal("http://json-schema.org/draft-04/schema#", node["$schema"]!.GetValue<string>());
        Assert.DoesNotContain("exclusiveMinimum", node.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"$ref\":\"http", node.ToJsonString(), StringComparison.Ordinal);
        node["$schema"] = "http://json-schema.org/draft-07/schema#";
        Assert.True(node.Remove("id"));
        return JsonSchema.FromText(node.ToJsonString());
    }

    private static void AssertValid(JsonSchema schema, JsonElement instance, string what)
    {
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => d.InstanceLocation + ": " + e.Key + ": " + e.Value))
                .Take(10);
            Assert.Fail(what + ": not valid against the schema:\n" + string.Join('\n', errors));
        }
    }

    private static void AssertCamelCase(JsonElement e, string what, string where)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                Assert.True(CamelCase().IsMatch(p.Name), what + ": key " + where + "." + p.Name + " is not camelCase");
                AssertCamelCase(p.Value, what, where + "." + p.Name);
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
            {
                AssertCamelCase(item, what, where + "[]");
            }
        }
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();

    [GeneratedRegex("\"out\": \"[^\"]*\"")]
    private static partial Regex OutFolder();
}
