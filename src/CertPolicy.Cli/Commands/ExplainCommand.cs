using System.CommandLine;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Cli.Rules;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy explain [RULE-ID | FINDING-CODE]</c>: what a rule (<c>R-T8</c>) requires, where it comes from and how to fix
/// a failure, from <see cref="RuleCatalog"/> (the same text as <c>docs/rules.md</c>). Without an argument it lists every
/// rule. Exit 0 found, 2 unknown id or code.
/// </summary>
internal static class ExplainCommand
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var id = new Argument<string?>("RULE-ID") { Description = "A rule id such as R-T8 (any case) or a finding code such as leaf.self-signed; omit it to list every rule.", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("explain", "Explain a rule named by a finding ([R-T8]) or a finding code: what it requires, where it comes from, how to fix it (exit 0; 2 unknown).");
        cmd.Arguments.Add(id);
        var fmt = FormatOption.AddTo(cmd, sarif: false);
        cmd.SetAction(r =>
        {
            if (!fmt.TryGet(r, "certpolicy explain", stderr, out var format))
            {
                return ExitCodes.Unusable;
            }

            return Run(r.GetValue(id), format, stdout, stderr);
        });
        root.Subcommands.Add(cmd);
    }

    private static int Run(string? query, OutputFormat format, TextWriter stdout, TextWriter stderr)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            if (format == OutputFormat.Json)
            {
                WriteJson(stdout, null, RuleCatalog.All);
            }
            else
            {
                foreach (var r in RuleCatalog.All)
                {
                    stdout.WriteLine(r.Id.PadRight(6) + " " + r.Title);
                }

                stdout.WriteLine();
                stdout.WriteLine("certpolicy explain RULE-ID shows what a rule requires and how to fix it (also in docs/rules.md).");
            }

            return ExitCodes.Ok;
        }

        string? code = null;
        IReadOnlyList<RuleEntry> rules;
        if (RuleCatalog.Find(query) is { } rule)
        {
            rules = [rule];
        }
        else
        {
            rules = RuleCatalog.FindByCode(query);
            code = query.Trim();
        }

        if (rules.Count == 0)
        {
            stderr.WriteLine("certpolicy explain: '" + query + "' is neither a rule id (R-T1 .. R-A1) nor a known finding code; `certpolicy explain` lists the rules");
            return ExitCodes.Unusable;
        }

        if (format == OutputFormat.Json)
        {
            WriteJson(stdout, code, rules);
            return ExitCodes.Ok;
        }

        if (code is not null)
        {
            stdout.WriteLine("finding code " + code + " belongs to " + (rules.Count == 1 ? "rule " : "rules ") + string.Join(", ", rules.Select(x => x.Id)) + ":");
            stdout.WriteLine();
        }

        for (int i = 0; i < rules.Count; i++)
        {
            if (i > 0)
            {
                stdout.WriteLine();
            }

            WriteText(stdout, rules[i]);
        }

        return ExitCodes.Ok;
    }

    private static void WriteText(TextWriter o, RuleEntry r)
    {
        o.WriteLine(r.Id + ": " + r.Title);
        o.WriteLine("  Requires:    " + r.Requires);
        o.WriteLine("  Source:      " + r.Source);
        o.WriteLine("  How to fix:  " + r.Fix);
        o.WriteLine("  Checked by:  " + r.CheckedBy);
        if (r.Codes.Count > 0)
        {
            o.WriteLine("  Codes:       " + string.Join(", ", r.Codes));
        }
    }

    private static void WriteJson(TextWriter stdout, string? code, IReadOnlyList<RuleEntry> rules) => Json.Write(stdout, w =>
    {
        w.WriteStartObject();
        if (code is not null)
        {
            w.WriteString("code", code);
        }

        w.WriteStartArray("rules");
        foreach (var r in rules)
        {
            WriteRule(w, r);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteRule(Utf8JsonWriter w, RuleEntry r)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id);
        w.WriteString("title", r.Title);
        w.WriteString("requires", r.Requires);
        w.WriteString("source", r.Source);
        w.WriteString("fix", r.Fix);
        w.WriteString("checkedBy", r.CheckedBy);
        w.WriteStartArray("codes");
        foreach (var c in r.Codes)
        {
            w.WriteStringValue(c);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
