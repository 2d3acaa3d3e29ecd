using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Postfix;
using CertPolicy.Trust;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy postfix check [--config-dir DIR] [--partner DOMAIN]...</c>: audits a Postfix configuration (main.cf read
/// through the real <c>postconf</c> where installed, else our parser; the tables and trust files it names) against the
/// partner rules, with findings per partner. Parses arguments, calls <see cref="PostfixAudit"/>, renders the report.
/// </summary>
internal static class PostfixCommand
{
    private const string Me = "certpolicy postfix check";

    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var dir = new Option<string?>("--config-dir") { Description = "The Postfix configuration directory (postconf -c DIR); default /etc/postfix." };
        var partners = new Option<string[]>("--partner") { Description = "A domain with which mandatory verified TLS was agreed (R-T6); repeatable." };
        var sources = new Option<string[]>("--policy-source")
        {
            Description = "[TABLE=]FILE: the source text of an indexed smtp_tls_policy_maps table (hash:, lmdb:) when it is not next to the table; repeatable.",
        };
        var gateways = new Option<string[]>("--partner-gateway") { Description = "An IP address of a partner's mail gateway, checked against smtpd_discard_ehlo_keyword_address_maps (R-T8); repeatable." };
        var noPostconf = new Option<bool>("--no-postconf") { Description = "Read main.cf with certpolicy's own parser even where Postfix's postconf is installed." };
        var cmd = new Command("check", "Audit main.cf, its TLS policy tables and trust files against the partner rules (exit 0 no findings, 1 findings, 2 unusable input).")
        {
            dir, partners, sources, gateways, noPostconf,
        };
        var fmt = FormatOption.AddTo(cmd, sarif: true);
        cmd.SetAction(r =>
        {
            if (!fmt.TryGet(r, Me, stderr, out var format))
            {
                return ExitCodes.Unusable;
            }

            return Run(r.GetValue(dir) ?? "/etc/postfix", r.GetValue(partners) ?? [], r.GetValue(sources) ?? [], r.GetValue(gateways) ?? [], r.GetValue(noPostconf), format, stdout, stderr);
        });
        var postfix = new Command("postfix", "Audit a Postfix configuration.");
        postfix.Subcommands.Add(cmd);
        root.Subcommands.Add(postfix);
    }

    private static int Run(string dir, string[] partners, string[] sources, string[] gatewayArgs, bool noPostconf, OutputFormat format, TextWriter stdout, TextWriter stderr)
    {
        foreach (var p in partners)
        {
            if (p.Length == 0 || p.AsSpan().ContainsAny(" \t\r\n,") || !CertPolicy.Names.HostNameSyntax.IsValidPostfixHostName(p))
            {
                stderr.WriteLine($"{Me}: --partner: \"{p}\" is not a domain name");
                return ExitCodes.Unusable;
            }
        }

        var gateways = new List<IPAddress>();
        foreach (var g in gatewayArgs)
        {
            if (!IPAddress.TryParse(g, out var a) || g.Contains('/', StringComparison.Ordinal))
            {
                stderr.WriteLine($"{Me}: --partner-gateway: \"{g}\" is not an IP address");
                return ExitCodes.Unusable;
            }

            gateways.Add(a);
        }

        var policySources = new List<(string?, string)>();
        foreach (var src in sources)
        {
            int eq = src.IndexOf('=', StringComparison.Ordinal);
            string source = eq >= 0 ? src[(eq + 1)..] : src;
            if (!File.Exists(source))
            {
                stderr.WriteLine($"{source}: no such file (--policy-source)");
                return ExitCodes.Unusable;
            }

            policySources.Add((eq >= 0 ? src[..eq] : null, source));
        }

        if (!Directory.Exists(dir))
        {
            stderr.WriteLine(File.Exists(dir) ? $"{dir}: is not a directory (--config-dir)" : $"{dir}: no such directory (--config-dir)");
            return ExitCodes.Unusable;
        }

        string mainCf = Path.Combine(dir, "main.cf");
        if (!CliFiles.TryReadBytes(mainCf, out var bytes, out var readError))
        {
            stderr.WriteLine(readError);
            return ExitCodes.Unusable;
        }

        var file = MainCfFile.Parse(new UTF8Encoding(false, false).GetString(bytes), mainCf);
        if (file.Error is not null)
        {
            stderr.WriteLine($"{mainCf}:{file.ErrorLine}:1: {file.Error}");
            return ExitCodes.Unusable;
        }

        string? postconf = noPostconf ? null : Postconf.Find();
        PostfixSettings settings;
        string? error;
        bool ok = postconf is not null
            ? PostfixSettings.TryFromPostconf(file, postconf, Path.GetFullPath(dir), out settings, out error)
            : PostfixSettings.TryFromParser(file, Path.GetFullPath(dir), out settings, out error);
        if (!ok)
        {
            stderr.WriteLine(error);
            return ExitCodes.Unusable;
        }

        var store = new TrustStore(TrustManifestLoader.LoadEmbedded(DateTimeOffset.UtcNow));
        var report = PostfixAudit.Run(dir, settings, new PostfixAuditOptions { Partners = partners, PartnerGateways = gateways, PolicySources = policySources, Curated = store });
        switch (format)
        {
            case OutputFormat.Json:
                WriteJson(report, stdout);
                break;
            case OutputFormat.Sarif:
                WriteSarif(report, stdout);
                break;
            default:
                WriteText(report, stdout);
                break;
        }

        return report.FindingCount > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static void WriteText(PostfixAuditReport report, TextWriter o)
    {
        o.WriteLine($"{report.MainCf}: values from {(report.ValuesFrom == "postconf" ? "postconf -c " + report.ConfigDirectory : "certpolicy's main.cf parser (postconf not used)")}");
        foreach (var t in report.Tables)
        {
            o.WriteLine(t.Read
                ? string.Create(CultureInfo.InvariantCulture, $"  {t.Parameter}: {t.Table.Spec}: read {t.SourceFile} ({t.Entries} entries)")
                : $"  {t.Parameter}: {t.Table.Spec}: not read");
        }

        if (report.Findings.Count > 0)
        {
            o.WriteLine("system:");
            foreach (var f in report.Findings)
            {
                WriteFinding(o, f);
            }
        }

        foreach (var p in report.Partners)
        {
            var r = p.Resolution;
            string where = r.Table is null
                ? $"no entry; global level {r.Level}"
                : string.Create(CultureInfo.InvariantCulture, $"{r.Table.Spec} key \"{r.Key}\" ({r.File}:{r.Line}): {r.Value}");
            o.WriteLine($"partner {p.Domain}: {where}");
            if (p.Findings.Count == 0)
            {
                o.WriteLine("  ok");
            }

            foreach (var f in p.Findings)
            {
                WriteFinding(o, f);
            }
        }

        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"summary: {report.FindingCount} finding(s) ({report.Findings.Count} system-wide, {report.FindingCount - report.Findings.Count} for partners)"));
    }

    private static void WriteFinding(TextWriter o, PostfixFinding f)
    {
        string at = f.File is null ? string.Empty : f.Line > 0 ? string.Create(CultureInfo.InvariantCulture, $"{f.File}:{f.Line}: ") : f.File + ": ";
        o.WriteLine($"  {at}{f.SeverityName}: [{f.Rule}] {f.Code}: {f.Message}");
        o.WriteLine($"    fix: {f.Fix}");
    }

    private static void WriteFindingJson(Utf8JsonWriter w, PostfixFinding f, string? partner)
    {
        w.WriteStartObject();
        w.WriteString("code", f.Code);
        w.WriteString("rule", f.Rule);
        w.WriteString("severity", f.SeverityName);
        w.WriteString("parameter", f.Parameter);
        if (f.File is not null)
        {
            w.WriteString("file", f.File);
        }

        if (f.Line > 0)
        {
            w.WriteNumber("line", f.Line);
        }

        if (partner is not null)
        {
            w.WriteString("partner", partner);
        }

        w.WriteString("message", f.Message);
        w.WriteString("fix", f.Fix);
        w.WriteEndObject();
    }

    private static void WriteJson(PostfixAuditReport report, TextWriter stdout) => Json.Write(stdout, w =>
    {
        w.WriteStartObject();
        w.WriteString("configDirectory", report.ConfigDirectory);
        w.WriteString("mainCf", report.MainCf);
        w.WriteString("valuesFrom", report.ValuesFrom);
        w.WriteStartArray("settings");
        foreach (var s in report.Settings)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("value", s.Value);
            w.WriteBoolean("default", s.IsDefault);
            if (!s.IsDefault)
            {
                w.WriteNumber("line", s.Line);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("tables");
        foreach (var t in report.Tables)
        {
            w.WriteStartObject();
            w.WriteString("parameter", t.Parameter);
            w.WriteString("table", t.Table.Spec);
            w.WriteString("type", t.Table.Type);
            w.WriteString("name", t.Table.Name);
            if (t.SourceFile is not null)
            {
                w.WriteString("sourceFile", t.SourceFile);
            }

            w.WriteBoolean("read", t.Read);
            w.WriteNumber("entries", t.Entries);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("findings");
        foreach (var f in report.Findings)
        {
            WriteFindingJson(w, f, null);
        }

        w.WriteEndArray();
        w.WriteStartArray("partners");
        foreach (var p in report.Partners)
        {
            var r = p.Resolution;
            w.WriteStartObject();
            w.WriteString("domain", p.Domain);
            w.WriteString("level", r.Level);
            if (r.Table is null)
            {
                w.WriteNull("entry");
            }
            else
            {
                w.WriteStartObject("entry");
                w.WriteString("table", r.Table.Spec);
                w.WriteString("key", r.Key);
                w.WriteString("value", r.Value);
                w.WriteString("file", r.File);
                w.WriteNumber("line", r.Line);
                w.WriteBoolean("valid", r.Valid);
                w.WriteEndObject();
            }

            w.WriteStartArray("findings");
            foreach (var f in p.Findings)
            {
                WriteFindingJson(w, f, p.Domain);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("findingCount", report.FindingCount);
        w.WriteEndObject();
    });

    private static void WriteSarif(PostfixAuditReport report, TextWriter stdout)
    {
        var results = new List<SarifResult>();
        void Add(PostfixFinding f, string? partner) => results.Add(new SarifResult(
            f.Rule, f.SeverityName, (partner is null ? string.Empty : "partner " + partner + ": ") + f.Message + " Fix: " + f.Fix, f.Code, f.File, f.Line));
        foreach (var f in report.Findings)
        {
            Add(f, null);
        }

        foreach (var p in report.Partners)
        {
            foreach (var f in p.Findings)
            {
                Add(f, p.Domain);
            }
        }

        Sarif.Write(stdout, results);
    }
}
