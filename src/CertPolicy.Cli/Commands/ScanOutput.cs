using System.Globalization;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Dns;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Scan;
using CertPolicy.Tls;

namespace CertPolicy.Cli.Commands;

/// <summary>The five output formats of <c>certpolicy scan</c> (docs/scan.md, docs/schemas/scan.schema.json).</summary>
internal static class ScanOutput
{
    internal static string VerdictWord(ScanVerdict v) => v switch
    {
        ScanVerdict.Compliant => "pass",
        ScanVerdict.NotCompliant => "fail",
        _ => "could-not-evaluate",
    };

    internal static string StatusWord(ScanFindingStatus s) => s switch
    {
        ScanFindingStatus.Pass => "pass",
        ScanFindingStatus.Fail => "fail",
        ScanFindingStatus.Warn => "warn",
        ScanFindingStatus.NotEvaluated => "not-evaluated",
        _ => "info",
    };

    internal static string DaneWord(GatewayResult g) => g.Dane?.Status switch
    {
        null => "not-checked",
        DaneCheckStatus.Valid => "valid",
        DaneCheckStatus.Invalid => "invalid",
        DaneCheckStatus.DnsFailure => "dns-failure",
        _ => "not-applicable",
    };

    // ---- text ----

    internal static void WriteText(TextWriter o, IReadOnlyList<DomainResult> results, (int K, int N)? shard)
    {
        foreach (var d in results)
        {
            o.WriteLine($"{d.Domain}: {VerdictWord(d.Verdict)} (policy \"{d.Policy.ToCanonicalString()}\", {d.PolicySource})");
            foreach (var f in d.Findings)
            {
                if (f.Status != ScanFindingStatus.Pass)
                {
                    o.WriteLine($"  [{StatusWord(f.Status)}] {f.Rule} {f.Code}: {f.Message}");
                }
            }

            foreach (var g in d.Gateways)
            {
                var session = Session(g);
                string tls = session is null ? string.Empty : ", " + Protocol(session);
                o.WriteLine($"  {g.MxHost} [{g.Address}]:{g.Port.ToString(CultureInfo.InvariantCulture)} (MX {g.Preference.ToString(CultureInfo.InvariantCulture)}): {VerdictWord(g.Verdict)}{tls}, DANE {DaneWord(g)}");
                foreach (var f in g.Findings)
                {
                    if (f.Status is ScanFindingStatus.Fail or ScanFindingStatus.Warn or ScanFindingStatus.NotEvaluated)
                    {
                        o.WriteLine($"    [{StatusWord(f.Status)}] {f.Rule} {f.Code}: {f.Message}");
                    }
                }
            }
        }

        // The summary table.
        int width = 6;
        foreach (var d in results)
        {
            width = Math.Max(width, d.Domain.Length);
        }

        o.WriteLine();
        o.WriteLine("DOMAIN".PadRight(width) + "  VERDICT             GATEWAYS  FAILED");
        int pass = 0, fail = 0, unknown = 0, gateways = 0;
        foreach (var d in results)
        {
            int ok = 0, failed = Failed(d).Count();
            foreach (var g in d.Gateways)
            {
                ok += g.Verdict == ScanVerdict.Compliant ? 1 : 0;
            }

            gateways += d.Gateways.Count;
            pass += d.Verdict == ScanVerdict.Compliant ? 1 : 0;
            fail += d.Verdict == ScanVerdict.NotCompliant ? 1 : 0;
            unknown += d.Verdict == ScanVerdict.CouldNotEvaluate ? 1 : 0;
            o.WriteLine(d.Domain.PadRight(width) + "  " + VerdictWord(d.Verdict).PadRight(18) + "  "
                + (ok.ToString(CultureInfo.InvariantCulture) + "/" + d.Gateways.Count.ToString(CultureInfo.InvariantCulture)).PadRight(8) + "  " + failed.ToString(CultureInfo.InvariantCulture));
        }

        string part = shard is { } s ? $" (shard {s.K.ToString(CultureInfo.InvariantCulture)}/{s.N.ToString(CultureInfo.InvariantCulture)})" : string.Empty;
        o.WriteLine($"{results.Count.ToString(CultureInfo.InvariantCulture)} domain(s){part}, {gateways.ToString(CultureInfo.InvariantCulture)} gateway(s): {pass.ToString(CultureInfo.InvariantCulture)} compliant, {fail.ToString(CultureInfo.InvariantCulture)} not compliant, {unknown.ToString(CultureInfo.InvariantCulture)} could not evaluate");
    }

    // ---- JSON and JSON Lines ----

    internal static void WriteJson(TextWriter o, IReadOnlyList<DomainResult> results, (int K, int N)? shard)
    {
        Json.Write(o, w =>
        {
            int pass = 0, fail = 0, unknown = 0, gateways = 0;
            foreach (var d in results)
            {
                gateways += d.Gateways.Count;
                pass += d.Verdict == ScanVerdict.Compliant ? 1 : 0;
                fail += d.Verdict == ScanVerdict.NotCompliant ? 1 : 0;
                unknown += d.Verdict == ScanVerdict.CouldNotEvaluate ? 1 : 0;
            }

            w.WriteStartObject();
            w.WriteString("verdict", fail > 0 ? "fail" : unknown > 0 ? "could-not-evaluate" : "pass");
            w.WriteStartObject("summary");
            w.WriteNumber("domains", results.Count);
            w.WriteNumber("compliant", pass);
            w.WriteNumber("notCompliant", fail);
            w.WriteNumber("couldNotEvaluate", unknown);
            w.WriteNumber("gateways", gateways);
            w.WriteEndObject();
            if (shard is { } s)
            {
                w.WriteStartObject("shard");
                w.WriteNumber("index", s.K);
                w.WriteNumber("count", s.N);
                w.WriteEndObject();
            }

            w.WriteStartArray("domains");
            foreach (var d in results)
            {
                WriteDomain(w, d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    internal static void WriteJsonl(TextWriter o, IReadOnlyList<DomainResult> results)
    {
        foreach (var d in results)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
            {
                WriteDomain(w, d);
            }

            o.Write(Encoding.UTF8.GetString(stream.ToArray()));
            o.Write('\n');
        }
    }

    private static void WriteDomain(Utf8JsonWriter w, DomainResult d)
    {
        w.WriteStartObject();
        w.WriteString("domain", d.Domain);
        w.WriteString("verdict", VerdictWord(d.Verdict));
        w.WriteString("level", d.Policy.Level.ToPostfixName());
        w.WriteString("policy", d.Policy.ToCanonicalString());
        w.WriteString("policySource", d.PolicySource);
        w.WriteStartArray("mx");
        foreach (var mx in d.MxHosts)
        {
            w.WriteStartObject();
            w.WriteString("host", mx.Host);
            w.WriteNumber("preference", mx.Preference);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("mtaSts");
        w.WriteString("status", d.MtaSts.Status is { } st ? CertPolicy.MtaSts.MtaStsFetchResult.CodeOf(st) : "none");
        if (d.MtaSts.Mode is { } mode)
        {
            w.WriteString("mode", mode);
            w.WriteStartArray("mx");
            foreach (var p in d.MtaSts.Mx)
            {
                w.WriteStringValue(p);
            }

            w.WriteEndArray();
        }

        if (d.MtaSts.Effective is { } effective)
        {
            w.WriteString("effective", effective.Summary);
        }

        w.WriteEndObject();
        WriteFindings(w, d.Findings);
        w.WriteStartArray("gateways");
        foreach (var g in d.Gateways)
        {
            w.WriteStartObject();
            w.WriteString("mx", g.MxHost);
            w.WriteNumber("preference", g.Preference);
            w.WriteString("address", g.Address.ToString());
            w.WriteNumber("port", g.Port);
            w.WriteString("verdict", VerdictWord(g.Verdict));
            w.WriteString("outcome", g.Report?.Probe.Outcome.ToString() ?? "NotProbed");
            if (Session(g) is { } session)
            {
                w.WriteString("protocol", Protocol(session));
                w.WriteString("cipherSuite", session.CipherSuite.ToString());
            }

            w.WriteString("dane", DaneWord(g));
            WriteFindings(w, g.Findings);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteFindings(Utf8JsonWriter w, IReadOnlyList<ScanFinding> findings)
    {
        w.WriteStartArray("findings");
        foreach (var f in findings)
        {
            w.WriteStartObject();
            w.WriteString("code", f.Code);
            w.WriteString("rule", f.Rule);
            w.WriteString("status", StatusWord(f.Status));
            w.WriteString("message", f.Message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    // ---- SARIF ----

    // One result per failed finding (error) and per check that could not be carried out (warning).
    internal static void WriteSarif(TextWriter o, IReadOnlyList<DomainResult> results)
    {
        var list = new List<SarifResult>();
        foreach (var d in results)
        {
            foreach (var f in d.Findings)
            {
                Add(list, f, d.Domain + ": ");
            }

            foreach (var g in d.Gateways)
            {
                foreach (var f in g.Findings)
                {
                    Add(list, f, d.Domain + ", gateway " + g.MxHost + " [" + g.Address + "]: ");
                }
            }
        }

        Sarif.Write(o, list);

        static void Add(List<SarifResult> list, ScanFinding f, string where)
        {
            string? level = f.Status switch
            {
                ScanFindingStatus.Fail => "error",
                ScanFindingStatus.NotEvaluated => "warning",
                _ => null,
            };
            if (level is not null)
            {
                list.Add(new SarifResult(f.Rule, level, where + f.Message, f.Code));
            }
        }
    }

    // ---- CSV (RFC 4180) ----

    internal static readonly string[] CsvColumns =
        ["domain", "domainVerdict", "mx", "preference", "address", "port", "verdict", "outcome", "protocol", "cipherSuite", "dane", "failed"];

    /// <summary>One row per gateway (a domain without gateways: one row with empty gateway columns); CRLF line ends,
    /// fields with a comma, a double quote, CR or LF in double quotes with inner quotes doubled (RFC 4180 2).</summary>
    internal static void WriteCsv(TextWriter o, IReadOnlyList<DomainResult> results)
    {
        Row(o, CsvColumns);
        foreach (var d in results)
        {
            if (d.Gateways.Count == 0)
            {
                Row(o, [d.Domain, VerdictWord(d.Verdict), string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, Codes(d.Findings)]);
                continue;
            }

            foreach (var g in d.Gateways)
            {
                var session = Session(g);
                Row(o,
                [
                    d.Domain, VerdictWord(d.Verdict), g.MxHost, g.Preference.ToString(CultureInfo.InvariantCulture), g.Address.ToString(),
                    g.Port.ToString(CultureInfo.InvariantCulture), VerdictWord(g.Verdict), g.Report?.Probe.Outcome.ToString() ?? "NotProbed",
                    session is null ? string.Empty : Protocol(session), session is null ? string.Empty : session.CipherSuite.ToString(),
                    DaneWord(g), Codes(g.Findings),
                ]);
            }
        }

        static string Codes(IReadOnlyList<ScanFinding> findings)
        {
            var sb = new StringBuilder();
            foreach (var f in findings)
            {
                if (f.Status == ScanFindingStatus.Fail)
                {
                    sb.Append(sb.Length == 0 ? string.Empty : " ").Append(f.Code);
                }
            }

            return sb.ToString();
        }
    }

    internal static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static void Row(TextWriter o, string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                o.Write(',');
            }

            o.Write(CsvField(fields[i]));
        }

        o.Write("\r\n");
    }

    // ---- helpers ----

    private static IEnumerable<ScanFinding> Failed(DomainResult d)
    {
        foreach (var f in d.Findings)
        {
            if (f.Status == ScanFindingStatus.Fail)
            {
                yield return f;
            }
        }

        foreach (var g in d.Gateways)
        {
            foreach (var f in g.Findings)
            {
                if (f.Status == ScanFindingStatus.Fail)
                {
                    yield return f;
                }
            }
        }
    }

    private static ProbeResult? Session(GatewayResult g) =>
        g.Report?.Probe is { } p ? (p.Outcome == ProbeOutcome.TlsEstablished ? p : p.PermissiveRetry is { Outcome: ProbeOutcome.TlsEstablished } r ? r : null) : null;

    private static string Protocol(ProbeResult session) => TlsProtocols.ToOpenSslName(TlsProtocols.FromSslProtocols(session.Protocol));
}
