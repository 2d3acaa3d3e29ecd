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
        var cmd = new Command("check", "Report errors (entries Postfix refuses or ignores), then policy findings and warnings, each with file:line:col. The valid entries are checked even when others are invalid. Exit 2 when there is any error, else 1 when there is any finding or warning, else 0.") { file, partners };
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

            // Errors first, then findings, then warnings, each group in source order: an invalid entry no longer hides
            // the findings on the valid ones (issue 13).
            var all = Ordered(parsed.Diagnostics, PolicyLinter.Lint(parsed.Map, r.GetValue(partners) ?? []));

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
        var cmd = new Command("lookup", "Print the entry that applies to a next hop, as smtp(8) finds it, even when other entries are invalid. Exit 0: a valid entry applies; 1: none applies (the global level is used); 2: the entry that applies is invalid (Postfix defers mail for it), or the file is unusable.") { file, nexthop };
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

            // As smtp(8): the first key of the walk that yields any value decides, whatever else in the table is invalid.
            var result = parsed.Map.Lookup(hop);
            if (!result.Found && parsed.IsIncomplete)
            {
                // An entry Postfix reads could not be read here: "no entry" might be wrong.
                PrintErrors(parsed, stderr);
                return ExitCodes.Unusable;
            }

            if (!result.Found && parsed.Map.Count == 0)
            {
                PrintErrors(parsed, stderr);
                return ExitCodes.Unusable;
            }

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
                    else if (result.Entry is { } bad)
                    {
                        w.WriteString("key", bad.Key);
                        w.WriteNumber("line", bad.Line);
                        w.WriteString("value", bad.RawValue);
                        w.WriteString("invalid", bad.Error?.Message ?? "invalid entry");
                        w.WriteString("applies", "none: Postfix defers mail for this destination");
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
            else if (result.Entry is { } bad)
            {
                stdout.WriteLine(bad.Error?.Code == "missing-value"
                    ? $"{hop}: key \"{PolicyMap.Printable(bad.Key)}\" ({path}:{bad.Line}): invalid: the key has no value; Postfix ignores that line (the next key or the global level applies), CertPolicy refuses it (fail closed)"
                    : $"{hop}: key \"{PolicyMap.Printable(bad.Key)}\" ({path}:{bad.Line}): invalid: Postfix defers mail for it (client TLS configuration problem)");
            }
            else
            {
                stdout.WriteLine($"{hop}: no entry applies; the global smtp_tls_security_level is used");
            }

            if (result.Entry is { IsValid: false, Error: { } error })
            {
                stderr.WriteLine(error.ToString());
                return ExitCodes.Unusable;
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

    // Streamed from the file (no copy of it is held: memory is the map, issue 14), bytes read as postmap reads them.
    internal static bool TryLoad(string path, TextWriter stderr, out PolicyParseResult parsed)
    {
        parsed = null!;
        if (!CliFiles.TryOpen(path, out var stream, out var error))
        {
            stderr.WriteLine(error);
            return false;
        }

        using (stream)
        {
            try
            {
                var result = PolicyMap.ParseUtf8(stream, path, CliFiles.MaxFileBytes, out bool tooLarge);
                if (result is null || tooLarge)
                {
                    stderr.WriteLine($"{path}: input is larger than {CliFiles.MaxFileBytes / (1024 * 1024)} MiB (a device or an endless stream?)");
                    return false;
                }

                parsed = result;
                return true;
            }
            catch (IOException ex)
            {
                stderr.WriteLine($"{path}: cannot read: {ex.Message}");
                return false;
            }
        }
    }

    // Errors, then findings, then warnings; each group in source order (stable).
    private static List<PolicyDiagnostic> Ordered(IReadOnlyList<PolicyDiagnostic> parse, IReadOnlyList<PolicyDiagnostic> lint)
    {
        var all = new List<PolicyDiagnostic>(parse.Count + lint.Count);
        foreach (var severity in (ReadOnlySpan<DiagnosticSeverity>)[DiagnosticSeverity.Error, DiagnosticSeverity.Finding, DiagnosticSeverity.Warning])
        {
            int start = all.Count;
            foreach (var list in (ReadOnlySpan<IReadOnlyList<PolicyDiagnostic>>)[parse, lint])
            {
                foreach (var d in list)
                {
                    if (d.Severity == severity)
                    {
                        all.Add(d);
                    }
                }
            }

            var group = all.GetRange(start, all.Count - start);
            var sorted = group.Select((d, i) => (d, i)).OrderBy(t => t.d.Line).ThenBy(t => t.d.Column).ThenBy(t => t.i).Select(t => t.d).ToList();
            all.RemoveRange(start, group.Count);
            all.AddRange(sorted);
        }

        return all;
    }

    internal static void PrintErrors(PolicyParseResult parsed, TextWriter stderr)
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
