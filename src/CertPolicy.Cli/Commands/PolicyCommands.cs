using System.CommandLine;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Policy;

namespace CertPolicy.Cli.Commands;

/// <summary><c>certpolicy policy check|lookup|format</c>.</summary>
internal static class PolicyCommands
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var policy = new Command("policy", "Check, look up and format Postfix tls_policy tables.");
        policy.Subcommands.Add(Check(stdout, stderr));
        policy.Subcommands.Add(Lookup(stdout, stderr));
        policy.Subcommands.Add(Format(stdout, stderr));
        root.Subcommands.Add(policy);
    }

    private static Command Check(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "The tls_policy table source (postmap input format)." };
        var partners = new Option<string[]>("--partner")
        {
            Description = "A domain with which mandatory verified TLS was agreed (R-T6); repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var cmd = new Command("check", "Report syntax errors (exit 2) and policy findings (exit 1) with file:line:col.") { file, partners };
        var format = FormatOption.AddTo(cmd, sarif: true);
        cmd.SetAction(r =>
        {
            if (!format.TryGet(r, "certpolicy policy check", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            var path = r.GetValue(file)!;
            if (!TryLoad(path, stderr, out var parsed))
            {
                return ExitCodes.Unusable;
            }

            var all = new List<PolicyDiagnostic>(parsed.Diagnostics);
            if (!parsed.HasErrors)
            {
                all.AddRange(PolicyLinter.Lint(parsed.Map, r.GetValue(partners) ?? []));
            }

            if (fmt == OutputFormat.Sarif)
            {
                WriteSarif(stdout, all);
            }
            else if (fmt == OutputFormat.Json)
            {
                Json.Write(stdout, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("file", path);
                    w.WriteNumber("entries", parsed.Map.Count);
                    w.WriteStartArray("diagnostics");
                    foreach (var d in all)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("line", d.Line);
                        w.WriteNumber("column", d.Column);
                        w.WriteString("severity", d.Severity.ToString().ToLowerInvariant());
                        w.WriteString("code", d.Code);
                        if (d.Rule is not null)
                        {
                            w.WriteString("rule", d.Rule);
                        }

                        w.WriteString("message", d.Message);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            }
            else
            {
                foreach (var d in all)
                {
                    (d.Severity == DiagnosticSeverity.Error ? stderr : stdout).WriteLine(d.ToString());
                }

                if (all.Count == 0)
                {
                    stdout.WriteLine($"{path}: {parsed.Map.Count} entries, no findings");
                }
            }

            if (parsed.HasErrors)
            {
                return ExitCodes.Unusable;
            }

            return all.Count > 0 ? ExitCodes.Findings : ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Lookup(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "The tls_policy table source." };
        var nexthop = new Argument<string>("NEXTHOP") { Description = "The next hop as smtp(8) sees it: domain, [host] or [host]:port." };
        var cmd = new Command("lookup", "Print the entry that applies to a next hop, as smtp(8) finds it (exit 1: none applies).") { file, nexthop };
        var format = FormatOption.AddTo(cmd, sarif: false);
        cmd.SetAction(r =>
        {
            if (!format.TryGet(r, "certpolicy policy lookup", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            var path = r.GetValue(file)!;
            var hop = r.GetValue(nexthop)!;
            if (!TryLoad(path, stderr, out var parsed))
            {
                return ExitCodes.Unusable;
            }

            if (parsed.HasErrors)
            {
                PrintErrors(parsed, stderr);
                return ExitCodes.Unusable;
            }

            var result = parsed.Map.Lookup(hop);
            if (fmt == OutputFormat.Json)
            {
                Json.Write(stdout, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("nexthop", hop);
                    w.WriteBoolean("found", result.Found);
                    if (result.Entry is { Policy: { } p } e)
                    {
                        w.WriteString("key", e.Key);
                        w.WriteNumber("line", e.Line);
                        w.WriteString("level", p.Level.ToPostfixName());
                        WriteAttributes(w, p);
                        w.WriteString("value", e.RawValue);
                    }
                    else
                    {
                        w.WriteString("applies", "global smtp_tls_security_level");
                    }

                    w.WriteEndObject();
                });
            }
            else if (result.Entry is { Policy: { } p } e)
            {
                stdout.WriteLine($"{hop}: key \"{e.Key}\" ({path}:{e.Line}): {p.ToCanonicalString()}");
            }
            else
            {
                stdout.WriteLine($"{hop}: no entry applies; the global smtp_tls_security_level is used");
            }

            return result.Found ? ExitCodes.Ok : ExitCodes.Findings;
        });
        return cmd;
    }

    private static Command Format(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "The tls_policy table source." };
        var cmd = new Command("format", "Print the table in canonical form (one line per entry, attributes in a fixed order).") { file };
        var format = FormatOption.AddTo(cmd, sarif: false);
        cmd.SetAction(r =>
        {
            if (!format.TryGet(r, "certpolicy policy format", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            var path = r.GetValue(file)!;
            if (!TryLoad(path, stderr, out var parsed))
            {
                return ExitCodes.Unusable;
            }

            if (parsed.HasErrors)
            {
                PrintErrors(parsed, stderr);
                return ExitCodes.Unusable;
            }

            if (fmt == OutputFormat.Json)
            {
                WriteFormatJson(stdout, path, parsed.Map);
            }
            else
            {
                stdout.Write(parsed.Map.Format());
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    // SARIF for policy check: errors and findings fail (error), Postfix warnings are warnings.
    private static void WriteSarif(TextWriter stdout, List<PolicyDiagnostic> all)
    {
        var results = new List<SarifResult>(all.Count);
        foreach (var d in all)
        {
            string level = d.Severity == DiagnosticSeverity.Warning ? "warning" : "error";
            results.Add(new SarifResult(d.Rule ?? d.Code, level, d.Message, d.Code, d.Source, d.Line, d.Column));
        }

        Sarif.Write(stdout, results);
    }

    // policy format --format json: the canonical entries, one object per entry (docs/schemas/policy-format.schema.json).
    private static void WriteFormatJson(TextWriter stdout, string path, PolicyMap map) => Json.Write(stdout, w =>
    {
        w.WriteStartObject();
        w.WriteString("file", path);
        w.WriteStartArray("entries");
        foreach (var e in map.Entries)
        {
            w.WriteStartObject();
            w.WriteString("key", e.Key);
            w.WriteNumber("line", e.Line);
            if (e.Policy is { } p)
            {
                w.WriteString("level", p.Level.ToPostfixName());
                WriteAttributes(w, p);
                w.WriteString("canonical", e.Key + " " + p.ToCanonicalString());
            }
            else
            {
                w.WriteString("canonical", e.Key + " " + e.RawValue);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteAttributes(Utf8JsonWriter w, TlsPolicy p)
    {
        w.WriteStartArray("match");
        foreach (var m in p.Match)
        {
            w.WriteStringValue(m);
        }

        w.WriteEndArray();
        WriteOptional(w, "ciphers", p.Ciphers);
        WriteOptional(w, "protocols", p.Protocols);
        WriteOptional(w, "exclude", p.Exclude);
        w.WriteStartArray("tafile");
        foreach (var t in p.TrustAnchorFiles)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
        WriteOptional(w, "servername", p.ServerName);
        if (p.ConnectionReuse is bool reuse)
        {
            w.WriteBoolean("connectionReuse", reuse);
        }

        static void WriteOptional(Utf8JsonWriter w, string name, string? value)
        {
            if (value is not null)
            {
                w.WriteString(name, value);
            }
        }
    }

    private static bool TryLoad(string path, TextWriter stderr, out PolicyParseResult parsed)
    {
        parsed = null!;
        if (!CliFiles.TryReadText(path, out var text, out var error, keepBom: true))
        {
            stderr.WriteLine(error);
            return false;
        }

        parsed = PolicyMap.Parse(text, path);
        return true;
    }

    private static void PrintErrors(PolicyParseResult parsed, TextWriter stderr)
    {
        foreach (var d in parsed.Diagnostics)
        {
            if (d.Severity == DiagnosticSeverity.Error)
            {
                stderr.WriteLine(d.ToString());
            }
        }
    }
}
