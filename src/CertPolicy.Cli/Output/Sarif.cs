using System.Reflection;
using System.Text.Json;
using CertPolicy.Cli.Commands;
using CertPolicy.Cli.Rules;

namespace CertPolicy.Cli.Output;

/// <summary>One SARIF result: a finding with its rule id (R-xx, or the finding code where no rule applies).</summary>
/// <param name="RuleId">The rule id (e.g. <c>R-C7</c>); SARIF's <c>ruleId</c>.</param>
/// <param name="Level"><c>error</c> (fails the check), <c>warning</c> or <c>note</c>.</param>
/// <param name="Message">The message a person reads.</param>
/// <param name="Code">The stable finding code (e.g. <c>chain.self-signed</c>), written as <c>properties.code</c>.</param>
/// <param name="Uri">The file the finding is about (relative or absolute path), if any.</param>
/// <param name="Line">1-based line, or 0 when there is none.</param>
/// <param name="Column">1-based column, or 0 when there is none.</param>
internal sealed record SarifResult(string RuleId, string Level, string Message, string? Code = null, string? Uri = null, int Line = 0, int Column = 0);

/// <summary>
/// Writes SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/) with <see cref="Utf8JsonWriter"/>: one run,
/// tool <c>certpolicy</c>, the rules that occur (with their short description) and the results. Tests validate it
/// against the official schema (<c>../shared/schemas/sarif-schema-2.1.0.json</c>).
/// </summary>
internal static class Sarif
{
    /// <summary>Writes the log; each rule that occurs is described from the rule catalogue (<c>certpolicy explain</c>).</summary>
    internal static void Write(TextWriter output, IReadOnlyList<SarifResult> results)
    {
        var version = typeof(Sarif).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            version = version[..plus];
        }

        var ruleIds = new List<string>();
        foreach (var r in results)
        {
            if (!ruleIds.Contains(r.RuleId))
            {
                ruleIds.Add(r.RuleId);
            }
        }

        Json.Write(output, w =>
        {
            w.WriteStartObject();
            w.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
            w.WriteString("version", "2.1.0");
            w.WriteStartArray("runs");
            w.WriteStartObject();
            w.WriteStartObject("tool");
            w.WriteStartObject("driver");
            w.WriteString("name", "certpolicy");
            w.WriteString("semanticVersion", version);
            w.WriteStartArray("rules");
            foreach (var id in ruleIds)
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                if (RuleCatalog.Find(id) is { } rule)
                {
                    w.WriteStartObject("shortDescription");
                    w.WriteString("text", rule.Title);
                    w.WriteEndObject();
                    w.WriteStartObject("fullDescription");
                    w.WriteString("text", rule.Requires);
                    w.WriteEndObject();
                    w.WriteStartObject("help");
                    w.WriteString("text", rule.Fix + " (certpolicy explain " + rule.Id + "; docs/rules.md)");
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartArray("results");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("ruleId", r.RuleId);
                w.WriteNumber("ruleIndex", ruleIds.IndexOf(r.RuleId));
                w.WriteString("level", r.Level);
                w.WriteStartObject("message");
                w.WriteString("text", r.Message);
                w.WriteEndObject();
                if (r.Uri is not null)
                {
                    w.WriteStartArray("locations");
                    w.WriteStartObject();
                    w.WriteStartObject("physicalLocation");
                    w.WriteStartObject("artifactLocation");
                    w.WriteString("uri", r.Uri);
                    w.WriteEndObject();
                    if (r.Line > 0)
                    {
                        w.WriteStartObject("region");
                        w.WriteNumber("startLine", r.Line);
                        if (r.Column > 0)
                        {
                            w.WriteNumber("startColumn", r.Column);
                        }

                        w.WriteEndObject();
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndArray();
                }

                if (r.Code is not null)
                {
                    w.WriteStartObject("properties");
                    w.WriteString("code", r.Code);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
