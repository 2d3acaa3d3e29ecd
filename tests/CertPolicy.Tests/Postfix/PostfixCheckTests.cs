using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CertPolicy.Postfix;
using CertPolicy.Tests.Support;
using CertPolicy.Trust;

namespace CertPolicy.Tests.Postfix;

/// <summary>
/// <c>certpolicy postfix check</c> on generated Postfix configurations, each compared with the REAL Postfix 3.7 on the
/// same directory: our main.cf parser against <c>postconf -c DIR -n</c> (raw values) and <c>postconf -c DIR -x</c>
/// (expanded values with defaults), each partner's policy against <c>postmap -q</c> walked key by key over the tables in
/// order (postfix-tls.md 1.3), the discard-map hits against <c>postmap -q ADDRESS</c>; then the expected findings,
/// and the same findings without postconf (our parser only).
/// </summary>
public class PostfixCheckTests
{
    private static readonly TrustStore Curated = new(TrustManifestLoader.LoadEmbedded(DateTimeOffset.UtcNow));

    /// <summary>One generated configuration: main.cf lines, tables (name, type, content), partners, gateways, expectations.</summary>
    public sealed record Config(
        string Name,
        string[] MainCf,
        (string File, string Type, string Content)[] Tables,
        string[] Partners,
        string[] Gateways,
        string[] SystemCodes,
        Dictionary<string, string[]> PartnerCodes,
        bool CuratedCaFile = false,
        bool ForeignCaFile = false,
        bool CuratedCaPath = false);

    private const string Compliant = "audi.de secure match=.audi.de ciphers=high protocols=>=TLSv1.2\naudi.hu secure match=.audi.de ciphers=high protocols=>=TLSv1.2\n";

    public static TheoryData<string> Names => [.. Configs.Select(static c => c.Name)];

    private static readonly Config[] Configs =
    [
        // 1. Everything as the document wants: texthash table via $config_directory, continuation lines, curated CAfile.
        new("compliant-texthash",
            [
                "smtp_tls_security_level = may",
                "smtp_tls_policy_maps = texthash:$config_directory/tls_policy",
                "smtp_tls_CAfile = ${config_directory}/curated.pem",
                "smtpd_tls_security_level = may",
                "smtp_tls_loglevel = 1",
                "smtpd_tls_loglevel =",
                "   $smtp_tls_loglevel",
            ],
            [("tls_policy", "texthash", "# partners\n" + Compliant)],
            ["audi.de", "audi.hu"], [], [], new() { ["audi.de"] = [], ["audi.hu"] = [] }, CuratedCaFile: true),

        // 2. Legacy defaults: global encrypt, weak mandatory protocols/ciphers, partner entry without ciphers/protocols
        //    in a hash table (source next to it), no CAfile, log levels 0, inbound encrypt.
        new("legacy-hash",
            [
                "smtp_tls_security_level = encrypt",
                "smtp_tls_policy_maps = hash:$config_directory/tls_policy",
                "smtp_tls_mandatory_protocols = !SSLv2, !SSLv3",
                "smtp_tls_mandatory_ciphers = medium",
                "smtpd_tls_security_level = encrypt",
                "smtp_tls_loglevel = 0",
            ],
            [("tls_policy", "hash", "AUDI.DE secure match=.audi.de\n.audi.de   secure\n    match=.audi.de\n    ciphers=high protocols=>=TLSv1.2\n")],
            ["audi.de", "mailin1.audi.de", "audi.hu"], [],
            ["postfix.global-level", "postfix.inbound-level", "postfix.loglevel-too-low", "postfix.loglevel-too-low", "postfix.no-trust-anchors"],
            new()
            {
                ["audi.de"] = ["postfix.partner-ciphers-not-high", "postfix.partner-protocols"],
                ["mailin1.audi.de"] = [],
                ["audi.hu"] = ["postfix.partner-missing", "postfix.partner-ciphers-not-high", "postfix.partner-protocols"],
            }),

        // 3. A custom tls_high_cipherlist that lets RC4 in, judged against the floor; protocols >=TLSv1.2 from main.cf.
        new("custom-high-cipherlist",
            [
                "smtp_tls_security_level = may",
                "smtp_tls_policy_maps = texthash:${config_directory}/tls_policy",
                "tls_high_cipherlist = HIGH:RC4:@STRENGTH",
                "smtp_tls_mandatory_protocols = >=TLSv1.2",
                "smtp_tls_mandatory_ciphers = high",
                "smtpd_tls_security_level = may",
                "smtp_tls_loglevel = 1",
                "smtpd_tls_loglevel = 1",
                "smtp_tls_CAfile = $config_directory/curated.pem",
            ],
            [("tls_policy", "texthash", "audi.de secure match=.audi.de\n")],
            ["audi.de"], [],
            ["postfix.cipherlist.tls-rc4", "postfix.cipherlist.tls-not-in-grade"],
            new() { ["audi.de"] = [] }, CuratedCaFile: true),

        // 4. A missing hash map before a texthash map; a partner only in neither; a foreign CA in the CAfile.
        new("missing-map",
            [
                "smtp_tls_security_level = may",
                "smtp_tls_policy_maps = hash:$config_directory/missing_policy,",
                "\ttexthash:$config_directory/tls_policy",
                "smtpd_tls_security_level = may",
                "smtp_tls_loglevel = 2",
                "smtpd_tls_loglevel = 1",
                "smtp_tls_CAfile = $config_directory/foreign.pem",
            ],
            [("tls_policy", "texthash", "audi.de secure match=.audi.de ciphers=high protocols=>=TLSv1.2\n")],
            ["audi.de", "bmw.de"], [],
            ["postfix.table-missing", "postfix.ca-outside-curated", "postfix.ca-curated-missing"],
            new()
            {
                ["audi.de"] = ["postfix.partner-resolution-incomplete"],
                ["bmw.de"] = ["postfix.partner-resolution-incomplete", "postfix.partner-missing"],
            },
            ForeignCaFile: true),

        // 5. Discard maps (cidr and hash) that list a partner gateway; obsolete smtp_use_tls/smtpd_use_tls give may; CApath.
        new("discard-maps",
            [
                "smtp_use_tls = yes",
                "smtpd_use_tls = yes",
                "smtp_tls_policy_maps = texthash:$config_directory/tls_policy",
                "smtpd_discard_ehlo_keyword_address_maps = cidr:$config_directory/discard.cidr, hash:$config_directory/discard",
                "smtp_tls_loglevel = 1",
                "smtpd_tls_loglevel = 1",
                "smtp_tls_CApath = $config_directory/capath",
            ],
            [
                ("tls_policy", "texthash", Compliant),
                ("discard.cidr", "cidr", "# failing clients\n192.0.2.0/24 STARTTLS\n198.51.100.7 silent-discard, starttls\n"),
                ("discard", "hash", "203.0.113.9 STARTTLS\n203.0.113.10 AUTH\n"),
            ],
            ["audi.de"], ["192.0.2.44", "203.0.113.9", "203.0.113.10", "198.51.100.8"],
            ["postfix.partner-gateway-starttls-discarded", "postfix.partner-gateway-starttls-discarded"],
            new() { ["audi.de"] = [] }, CuratedCaPath: true),

        // 6. TLS off: global level from the obsolete default (none), a partner at none (R-T8), STARTTLS discarded for all,
        //    ${name?{a}:{b}} and $$ expansion in values.
        new("none-and-expansion",
            [
                "smtp_tls_policy_maps = ${smtp_tls_loglevel?{texthash:$config_directory/tls_policy}:{}}",
                "smtp_tls_loglevel = 1",
                "smtpd_tls_loglevel = ${nothing_here:1}",
                "nothing_here =",
                "smtpd_tls_security_level = may",
                "smtpd_discard_ehlo_keywords = silent-discard, starttls",
                "smtp_tls_CAfile = $config_directory/curated.pem",
                "smtpd_banner = $$myhostname ESMTP $smtpd_discard_ehlo_keywords",
            ],
            [("tls_policy", "texthash", "audi.de none\naudi.hu secure match=.audi.de ciphers=high protocols=>=TLSv1.2\n")],
            ["audi.de", "audi.hu", "vw.de"], [],
            ["postfix.global-level", "postfix.starttls-discarded"],
            new()
            {
                ["audi.de"] = ["partner-tls-disabled"],
                ["audi.hu"] = [],
                ["vw.de"] = ["postfix.partner-missing"],
            },
            CuratedCaFile: true),

        // 7. Global secure (R-T7); an encrypt partner entry (R-T6); verify with match=hostname; main.cf exclusions; an
        //    entry no partner resolves to with protocols=TLSv1 (reported system-wide).
        new("entry-findings",
            [
                "smtp_tls_security_level = secure",
                "smtp_tls_policy_maps = texthash:$config_directory/tls_policy",
                "smtp_tls_mandatory_exclude_ciphers = RC4, 3DES",
                "smtp_tls_mandatory_protocols = >=TLSv1.2",
                "smtpd_tls_security_level = may",
                "smtp_tls_loglevel = 1",
                "smtpd_tls_loglevel = 1",
                "smtp_tls_CAfile = $config_directory/curated.pem",
            ],
            [("tls_policy", "texthash", "audi.de encrypt ciphers=high\naudi.hu verify match=hostname ciphers=high protocols=>=TLSv1.2\nold.example secure protocols=TLSv1\n")],
            ["audi.de", "audi.hu", "seat.es"], [],
            ["postfix.global-level", "legacy-protocols"],
            new()
            {
                ["audi.de"] = ["partner-not-verified"],
                ["audi.hu"] = ["partner-verify-hostname"],
                // No entry: the global secure level verifies, but with smtp_tls_mandatory_ciphers' default grade, medium.
                ["seat.es"] = ["postfix.partner-ciphers-not-high"],
            },
            CuratedCaFile: true),
    ];

    private static Config Get(string name) => Configs.Single(c => c.Name == name);

    /// <summary>Writes the configuration into a fresh directory; builds indexed tables with the real postmap.</summary>
    private static string Write(TempDir tmp, Config c)
    {
        string dir = Path.Combine(tmp.Path, "postfix");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "main.cf"), "# generated: " + c.Name + "\ncompatibility_level = 3.7\n" + string.Join('\n', c.MainCf) + "\n");
        File.WriteAllText(Path.Combine(dir, "master.cf"), string.Empty);
        string postmap = Tool.Require("postmap", "postfix");
        foreach (var (file, type, content) in c.Tables)
        {
            string path = Path.Combine(dir, file);
            File.WriteAllText(path, content);
            if (type is "hash")
            {
                var r = Tool.Run(postmap, ["-c", dir, type + ":" + path]);
                Assert.True(r.ExitCode == 0, "postmap: " + r.Stderr);
            }
        }

        if (c.CuratedCaFile || c.CuratedCaPath)
        {
            var b = CliRunner.Run("bundle", "build", "--out", Path.Combine(tmp.Path, "bundle"), "--bundle-formats", "pem,capath");
            Assert.True(b.Exit == 0, b.Err);
            File.Copy(Path.Combine(tmp.Path, "bundle", "certpolicy-trust.pem"), Path.Combine(dir, "curated.pem"));
            if (c.CuratedCaPath)
            {
                Directory.CreateDirectory(Path.Combine(dir, "capath"));
                foreach (var f in Directory.GetFiles(Path.Combine(tmp.Path, "bundle", "capath")))
                {
                    File.Copy(f, Path.Combine(dir, "capath", Path.GetFileName(f)));
                }
            }
        }

        if (c.ForeignCaFile)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest("CN=Not Curated Root, O=Elsewhere", key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var cert = req.CreateSelfSigned(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2036, 1, 1, 0, 0, 0, TimeSpan.Zero));
            File.WriteAllText(Path.Combine(dir, "foreign.pem"), cert.ExportCertificatePem() + "\n");
        }

        return dir;
    }

    private static string Postconf() => Tool.Require("postconf", "postfix");

    private static MainCfFile Parse(string dir) => MainCfFile.Parse(File.ReadAllText(Path.Combine(dir, "main.cf")), Path.Combine(dir, "main.cf"));

    [Fact]
    public void There_are_at_least_six_generated_configurations() => Assert.True(Configs.Length >= 6);

    [Theory]
    [MemberData(nameof(Names))]
    public void Our_main_cf_parser_gives_the_values_postconf_n_prints(string name)
    {
        using var tmp = new TempDir();
        string dir = Write(tmp, Get(name));
        Assert.True(CertPolicy.Postfix.Postconf.TryQuery(Postconf(), dir, [], expand: false, out var real, out var error), error);
        var ours = Parse(dir);
        Assert.Null(ours.Error);

        // postconf -c DIR -n also prints config_directory (set by -c); every other line is a main.cf setting.
        Assert.Equal(dir, real["config_directory"]);
        real.Remove("config_directory");
        Assert.Equal(real.Keys.Order(StringComparer.Ordinal), ours.Parameters.Keys.Order(StringComparer.Ordinal));
        foreach (var (n, v) in real)
        {
            Assert.True(v == ours.Parameters[n].Value, $"{n}: postconf -n prints \"{v}\", our parser \"{ours.Parameters[n].Value}\"");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Our_expanded_values_and_defaults_equal_postconf_x(string name)
    {
        using var tmp = new TempDir();
        string dir = Write(tmp, Get(name));
        var file = Parse(dir);
        Assert.True(PostfixSettings.TryFromParser(file, dir, out var ours, out var e1), e1);
        Assert.True(PostfixSettings.TryFromPostconf(file, Postconf(), dir, out var real, out var e2), e2);
        Assert.Empty(ours.Unresolved);
        int compared = 0;
        foreach (var n in PostfixSettings.AuditedNames)
        {
            // And each one alone, as an administrator would ask: postconf -c DIR -x -h NAME.
            var h = Tool.Run(Postconf(), ["-c", dir, "-x", "-h", n]);
            Assert.Equal(0, h.ExitCode);
            Assert.Equal(h.Stdout.TrimEnd('\n'), real[n].Value);
            Assert.True(real[n].Value == ours[n].Value, $"{n}: postconf -x gives \"{real[n].Value}\", our parser \"{ours[n].Value}\"");
            Assert.Equal(real[n].Line, ours[n].Line);
            compared++;
        }

        Assert.Equal(PostfixSettings.AuditedNames.Length, compared);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_partner_resolves_to_what_postmap_q_finds_and_the_findings_are_the_expected_ones(string name)
    {
        var c = Get(name);
        using var tmp = new TempDir();
        string dir = Write(tmp, c);
        var file = Parse(dir);
        Assert.True(PostfixSettings.TryFromPostconf(file, Postconf(), dir, out var settings, out var error), error);
        var options = new PostfixAuditOptions { Partners = c.Partners, PartnerGateways = [.. c.Gateways.Select(IPAddress.Parse)], Curated = Curated };
        var report = PostfixAudit.Run(dir, settings, options);

        // smtp(8)'s walk with the real postmap: each key in every readable table (in order) before the next key.
        string postmap = Tool.Require("postmap", "postfix");
        var tables = CertPolicy.Postfix.TableSpec.ParseList(settings["smtp_tls_policy_maps"].Value, "hash");
        foreach (var partner in report.Partners)
        {
            var walk = new List<string> { partner.Domain };
            for (int i = partner.Domain.IndexOf('.', 1); i >= 0; i = partner.Domain.IndexOf('.', i + 1))
            {
                walk.Add(partner.Domain[i..]);
            }

            (string Key, string Value, string Table)? real = null;
            foreach (var key in walk)
            {
                foreach (var t in tables)
                {
                    var q = Tool.Run(postmap, ["-c", dir, "-q", key, t.Spec]);
                    if (q.ExitCode == 0)
                    {
                        real = (key, q.Stdout.TrimEnd('\n'), t.Spec);
                        break;
                    }

                    // Exit 1: not found. A missing indexed table is fatal for postmap too (the audit's table-missing).
                    Assert.True(q.ExitCode == 1, $"postmap -q {key} {t.Spec}: {q.Stderr}");
                }

                if (real is not null)
                {
                    break;
                }
            }

            var r = partner.Resolution;
            Assert.True(real?.Key == r.Key && real?.Value == r.Value && real?.Table == r.Table?.Spec,
                $"{name}/{partner.Domain}: postmap finds {real?.Key ?? "nothing"} = {real?.Value} in {real?.Table}; certpolicy {r.Key ?? "nothing"} = {r.Value} in {r.Table?.Spec}");
            Assert.Equal(c.PartnerCodes[partner.Domain].Order(StringComparer.Ordinal), partner.Findings.Select(static f => f.Code).Order(StringComparer.Ordinal));
        }

        // Discard maps: a gateway finding exactly where the real postmap -q returns a value with STARTTLS.
        var discardTables = CertPolicy.Postfix.TableSpec.ParseList(settings["smtpd_discard_ehlo_keyword_address_maps"].Value, "hash");
        int expectedHits = 0;
        foreach (var gw in c.Gateways)
        {
            foreach (var t in discardTables)
            {
                var q = Tool.Run(postmap, ["-c", dir, "-q", gw, t.Spec]);
                if (q.ExitCode == 0)
                {
                    expectedHits += q.Stdout.Contains("starttls", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
                }
            }
        }

        Assert.Equal(expectedHits, report.Findings.Count(static f => f.Code == "postfix.partner-gateway-starttls-discarded"));
        Assert.Equal(c.SystemCodes.Order(StringComparer.Ordinal), report.Findings.Select(static f => f.Code).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Without_postconf_our_parser_gives_the_same_report(string name)
    {
        var c = Get(name);
        using var tmp = new TempDir();
        string dir = Write(tmp, c);
        var file = Parse(dir);
        var options = new PostfixAuditOptions { Partners = c.Partners, PartnerGateways = [.. c.Gateways.Select(IPAddress.Parse)], Curated = Curated };
        Assert.True(PostfixSettings.TryFromPostconf(file, Postconf(), dir, out var real, out var e1), e1);
        Assert.True(PostfixSettings.TryFromParser(file, dir, out var ours, out var e2), e2);
        var a = PostfixAudit.Run(dir, real, options);
        var b = PostfixAudit.Run(dir, ours, options);
        Assert.Equal("postconf", a.ValuesFrom);
        Assert.Equal("parser", b.ValuesFrom);
        Assert.Equal(a.Findings, b.Findings);
        Assert.Equal(a.Partners.Count, b.Partners.Count);
        for (int i = 0; i < a.Partners.Count; i++)
        {
            Assert.Equal(a.Partners[i].Resolution, b.Partners[i].Resolution);
            Assert.Equal(a.Partners[i].Findings, b.Partners[i].Findings);
        }

        // And through the CLI: --no-postconf forces the parser; the output differs only in the "values from" line.
        var withPostconf = CliRunner.Run(["postfix", "check", "--config-dir", dir, .. c.Partners.SelectMany(static p => new[] { "--partner", p }), .. c.Gateways.SelectMany(static g => new[] { "--partner-gateway", g })]);
        var without = CliRunner.Run(["postfix", "check", "--config-dir", dir, "--no-postconf", .. c.Partners.SelectMany(static p => new[] { "--partner", p }), .. c.Gateways.SelectMany(static g => new[] { "--partner-gateway", g })]);
        Assert.Equal(withPostconf.Exit, without.Exit);
        Assert.Equal(a.FindingCount > 0 ? 1 : 0, withPostconf.Exit);
        Assert.Equal(withPostconf.Out.Split('\n').Skip(1), without.Out.Split('\n').Skip(1));
    }

    [Fact]
    public void The_default_table_equals_postconf_d()
    {
        foreach (var (n, v) in PostfixSettings.Defaults)
        {
            var r = Tool.Run(Postconf(), ["-d", "-h", n]);
            Assert.Equal(0, r.ExitCode);
            Assert.True(r.Stdout.TrimEnd('\n') == v, $"{n}: postconf -d says \"{r.Stdout.TrimEnd('\n')}\", the table \"{v}\"");
        }
    }

    [Fact]
    public void Json_and_sarif_output_carry_every_finding_with_its_rule()
    {
        var c = Get("legacy-hash");
        using var tmp = new TempDir();
        string dir = Write(tmp, c);
        var json = CliRunner.Run("postfix", "check", "--config-dir", dir, "--partner", "audi.de", "--json");
        Assert.Equal(1, json.Exit);
        using var doc = JsonDocument.Parse(json.Out);
        var root = doc.RootElement;
        Assert.Equal("postconf", root.GetProperty("valuesFrom").GetString());
        var partner = root.GetProperty("partners")[0];
        Assert.Equal("audi.de", partner.GetProperty("domain").GetString());
        Assert.Equal("audi.de", partner.GetProperty("entry").GetProperty("key").GetString());
        int total = root.GetProperty("findings").GetArrayLength() + partner.GetProperty("findings").GetArrayLength();
        Assert.Equal(total, root.GetProperty("findingCount").GetInt32());
        foreach (var f in root.GetProperty("findings").EnumerateArray().Concat(partner.GetProperty("findings").EnumerateArray()))
        {
            Assert.StartsWith("R-", f.GetProperty("rule").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(f.GetProperty("fix").GetString()));
        }

        SchemaCheck.AssertValid(Path.Combine(RepoRoot(), "docs", "schemas", "postfix-check.schema.json"), root);

        var sarif = CliRunner.Run("postfix", "check", "--config-dir", dir, "--partner", "audi.de", "--format", "sarif");
        Assert.Equal(1, sarif.Exit);
        using var s = JsonDocument.Parse(sarif.Out);
        Assert.Equal(total, s.RootElement.GetProperty("runs")[0].GetProperty("results").GetArrayLength());
        Assert.DoesNotMatch(@"System\.|Exception|class value", json.Out + sarif.Out);
    }

    [Fact]
    public void Unusable_input_is_one_line_and_exit_2()
    {
        using var tmp = new TempDir();
        var missing = CliRunner.Run("postfix", "check", "--config-dir", Path.Combine(tmp.Path, "nope"));
        Assert.Equal(2, missing.Exit);
        Assert.Single(missing.Err.TrimEnd('\n').Split('\n'));
        Assert.Contains("no such directory", missing.Err, StringComparison.Ordinal);

        var noMain = CliRunner.Run("postfix", "check", "--config-dir", tmp.Path);
        Assert.Equal(2, noMain.Exit);
        Assert.Contains("main.cf: no such file", noMain.Err, StringComparison.Ordinal);

        // A line without '=' is fatal for postconf too, on the same line.
        File.WriteAllText(Path.Combine(tmp.Path, "main.cf"), "compatibility_level = 3.7\n# c\nsmtp_tls_loglevel 1\n");
        var bad = CliRunner.Run("postfix", "check", "--config-dir", tmp.Path, "--no-postconf");
        Assert.Equal(2, bad.Exit);
        Assert.StartsWith(Path.Combine(tmp.Path, "main.cf") + ":3:1: missing '=' after attribute name", bad.Err, StringComparison.Ordinal);
        var real = Tool.Run(Postconf(), ["-c", tmp.Path, "-n"]);
        Assert.NotEqual(0, real.ExitCode);
        Assert.Contains("line 3: missing '=' after attribute name", real.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run("postfix", "check", "--config-dir", tmp.Path).Exit);

        Assert.Equal(2, CliRunner.Run("postfix", "check", "--config-dir", tmp.Path, "--partner-gateway", "not-an-ip").Exit);
    }

    [Fact]
    public void A_clean_configuration_exits_0()
    {
        using var tmp = new TempDir();
        string dir = Write(tmp, Get("compliant-texthash"));
        var r = CliRunner.Run("postfix", "check", "--config-dir", dir, "--partner", "audi.de", "--partner", "audi.hu");
        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Contains("partner audi.hu: texthash:" + dir + "/tls_policy key \"audi.hu\"", r.Out, StringComparison.Ordinal);
    }

    private static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "CertPolicy.sln")))
        {
            d = d.Parent;
        }

        Assert.NotNull(d);
        return d.FullName;
    }
}

/// <summary>
/// A small JSON Schema (draft 2020-12) checker for the keywords docs/schemas/postfix-check.schema.json uses: type (one or
/// a list), required, properties, additionalProperties false, items, enum, pattern, minimum, $ref to #/$defs/NAME.
/// Any other keyword fails the check, so the schema cannot silently use something unchecked.
/// </summary>
internal static class SchemaCheck
{
    private static readonly HashSet<string> Known = ["$schema", "$id", "title", "description", "type", "required", "properties", "additionalProperties", "items", "enum", "pattern", "minimum", "$ref", "$defs"];

    internal static void AssertValid(string schemaPath, JsonElement instance)
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(schemaPath));
        var errors = new List<string>();
        Check(schema.RootElement, schema.RootElement, instance, "$", errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    private static void Check(JsonElement root, JsonElement s, JsonElement v, string at, List<string> errors)
    {
        foreach (var p in s.EnumerateObject())
        {
            Assert.True(Known.Contains(p.Name), "schema keyword not checked by the test: " + p.Name);
        }

        if (s.TryGetProperty("$ref", out var r))
        {
            string name = r.GetString()!["#/$defs/".Length..];
            Check(root, root.GetProperty("$defs").GetProperty(name), v, at, errors);
        }

        if (s.TryGetProperty("type", out var t))
        {
            var types = t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(static x => x.GetString()!).ToList() : [t.GetString()!];
            string actual = v.ValueKind switch
            {
                JsonValueKind.Object => "object",
                JsonValueKind.Array => "array",
                JsonValueKind.String => "string",
                JsonValueKind.Number => v.TryGetInt64(out _) ? "integer" : "number",
                JsonValueKind.True or JsonValueKind.False => "boolean",
                _ => "null",
            };
            if (!types.Contains(actual) && !(actual == "integer" && types.Contains("number")))
            {
                errors.Add($"{at}: {actual}, expected {string.Join("|", types)}");
                return;
            }
        }

        if (s.TryGetProperty("enum", out var e) && !e.EnumerateArray().Any(x => x.GetRawText() == v.GetRawText()))
        {
            errors.Add($"{at}: {v.GetRawText()} not in enum");
        }

        if (s.TryGetProperty("pattern", out var pat) && v.ValueKind == JsonValueKind.String && !System.Text.RegularExpressions.Regex.IsMatch(v.GetString()!, pat.GetString()!))
        {
            errors.Add($"{at}: \"{v.GetString()}\" does not match {pat.GetString()}");
        }

        if (s.TryGetProperty("minimum", out var min) && v.ValueKind == JsonValueKind.Number && v.GetDouble() < min.GetDouble())
        {
            errors.Add($"{at}: below minimum");
        }

        if (v.ValueKind == JsonValueKind.Object)
        {
            if (s.TryGetProperty("required", out var req))
            {
                foreach (var n in req.EnumerateArray())
                {
                    if (!v.TryGetProperty(n.GetString()!, out _))
                    {
                        errors.Add($"{at}: missing {n.GetString()}");
                    }
                }
            }

            s.TryGetProperty("properties", out var props);
            foreach (var p in v.EnumerateObject())
            {
                if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(p.Name, out var ps))
                {
                    Check(root, ps, p.Value, at + "." + p.Name, errors);
                }
                else if (s.TryGetProperty("additionalProperties", out var ap) && ap.ValueKind == JsonValueKind.False)
                {
                    errors.Add($"{at}: unexpected property {p.Name}");
                }
            }
        }

        if (v.ValueKind == JsonValueKind.Array && s.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var x in v.EnumerateArray())
            {
                Check(root, items, x, $"{at}[{i++}]", errors);
            }
        }
    }
}
