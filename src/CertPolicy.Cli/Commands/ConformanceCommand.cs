using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CertPolicy.Names;
using CertPolicy.Validation;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy conformance limbo FILE.json [--exceptions FILE]</c>: runs x509-limbo SERVER cases through the chain
/// validator (postfix-secure profile: chain and names only; the case's roots are the only anchors; the peer name is
/// checked with Postfix's <c>hostname</c> strategy). Every disagreement must be in the exceptions file with expected,
/// actual and reason; a listed case that agrees again is reported as stale. Exit 0 when both lists are clean, 1 otherwise,
/// 2 for unusable input.
/// </summary>
internal static class ConformanceCommand
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE.json") { Description = "An x509-limbo test-case file (limbo.json)." };
        var exceptions = new Option<string?>("--exceptions") { Description = "JSON list of {id, expected, actual, reason} for deliberate disagreements." };
        var verbose = new Option<bool>("--verbose") { Description = "Print every case, not only disagreements." };
        var now = new Option<string?>("--now") { Description = "The time used for cases whose validation_time is null (ISO 8601); default: the clock. Tests fix it." };
        var limbo = new Command("limbo", "Run the x509-limbo conformance cases (exit 0 when every disagreement is listed and no listed case agrees).") { file, exceptions, verbose, now };
        limbo.SetAction(r =>
        {
            var nowText = r.GetValue(now);
            if (!CliTime.TryParseOrNow(nowText, out DateTimeOffset clock))
            {
                stderr.WriteLine("certpolicy conformance limbo: --now: '" + nowText + "' is not an ISO 8601 date/time");
                return ExitCodes.Unusable;
            }

            return Run(r.GetValue(file)!, r.GetValue(exceptions), r.GetValue(verbose), clock, stdout, stderr);
        });
        var conformance = new Command("conformance", "Conformance suites.") { limbo };
        root.Subcommands.Add(conformance);
    }

    /// <summary>postfix-secure plus the R-C10 floors (limbo's webpki cases forbid DSA and P-192 keys).</summary>
    private static readonly ValidationProfile LimboProfile = new()
    {
        Name = "limbo (postfix-secure + R-C10)",
        CheckKeyStrength = true,
        MinimumRsaBits = 2048,
        MinimumEcBits = 256,
    };

    private sealed record Listed(string Expected, string Actual, string Reason);

    private static int Run(string path, string? exceptionsPath, bool verbose, DateTimeOffset now, TextWriter stdout, TextWriter stderr)
    {
        if (!CliFiles.TryReadBytes(path, out var bytes, out var err))
        {
            stderr.WriteLine(err);
            return ExitCodes.Unusable;
        }

        var listed = new Dictionary<string, Listed>(StringComparer.Ordinal);
        if (exceptionsPath is not null && !TryReadExceptions(exceptionsPath, listed, stderr))
        {
            return ExitCodes.Unusable;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            stderr.WriteLine(path + ": not JSON: " + ex.Message);
            return ExitCodes.Unusable;
        }

        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("testcases", out var cases) || cases.ValueKind != JsonValueKind.Array)
            {
                stderr.WriteLine(path + ": no \"testcases\" array");
                return ExitCodes.Unusable;
            }

            int total = 0, agree = 0, listedHits = 0, unexpected = 0, skipped = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in cases.EnumerateArray())
            {
                string id = c.GetProperty("id").GetString() ?? "?";
                seen.Add(id);
                total++;
                string expected = c.GetProperty("expected_result").GetString() ?? "?";
                if (!TryRunCase(c, now, out string actual, out string detail))
                {
                    skipped++;
                    actual = "UNSUPPORTED";
                }

                if (actual == expected)
                {
                    agree++;
                    if (listed.ContainsKey(id))
                    {
                        unexpected++;
                        stdout.WriteLine(id + ": STALE exception: now agrees (" + expected + ")");
                    }
                    else if (verbose)
                    {
                        stdout.WriteLine(id + ": ok " + actual);
                    }

                    continue;
                }

                if (listed.TryGetValue(id, out var l) && l.Expected == expected && l.Actual == actual)
                {
                    listedHits++;
                    stdout.WriteLine(id + ": listed: expected " + expected + ", actual " + actual + " (" + l.Reason + ")");
                }
                else
                {
                    unexpected++;
                    stdout.WriteLine(id + ": UNEXPECTED: expected " + expected + ", actual " + actual + ": " + detail);
                }
            }

            foreach (var id in listed.Keys)
            {
                if (!seen.Contains(id))
                {
                    unexpected++;
                    stdout.WriteLine(id + ": STALE exception: no such case");
                }
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"limbo: {total} cases, {agree} agree ({agree * 100.0 / Math.Max(1, total):0.0}%), {listedHits} listed disagreements, {unexpected} unexpected, {skipped} unsupported"));
            return unexpected == 0 ? ExitCodes.Ok : ExitCodes.Findings;
        }
    }

    private static bool TryRunCase(JsonElement c, DateTimeOffset now, out string actual, out string detail)
    {
        actual = "FAILURE";
        detail = string.Empty;
        var anchors = new List<ReadOnlyMemory<byte>>();
        foreach (var pem in c.GetProperty("trusted_certs").EnumerateArray())
        {
            if (!CertPolicy.X509.CertificateChainReader.TryRead(Encoding.UTF8.GetBytes(pem.GetString() ?? string.Empty), out var ders, out var e))
            {
                detail = "root unreadable: " + e;
                return true;
            }

            foreach (var d in ders)
            {
                anchors.Add(d);
            }
        }

        var chainPem = new StringBuilder(c.GetProperty("peer_certificate").GetString());
        foreach (var pem in c.GetProperty("untrusted_intermediates").EnumerateArray())
        {
            chainPem.Append('\n').Append(pem.GetString());
        }

        DateTimeOffset time = now; // limbo: null means "now"
        if (c.TryGetProperty("validation_time", out var t) && t.ValueKind == JsonValueKind.String)
        {
            time = DateTimeOffset.Parse(t.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        }

        string peer = "invalid.";
        if (c.TryGetProperty("expected_peer_name", out var pn) && pn.ValueKind == JsonValueKind.Object)
        {
            peer = pn.GetProperty("value").GetString() ?? peer;
        }

        if (!CustomTrust.TryCreate(anchors, [], null, null, out var store, out var trustError))
        {
            // An anchor our reader refuses: nothing can chain to it.
            detail = "anchor refused: " + trustError;
            return true;
        }

        MatchList.TryParse("hostname", out var list, out _);
        var request = new ValidationRequest
        {
            Profile = LimboProfile,
            Time = time,
            NextHop = peer,
            MxHost = peer,
            MatchList = list!,
        };
        var report = new ChainValidator(store!).ExplainPem(Encoding.UTF8.GetBytes(chainPem.ToString()), request);
        if (c.TryGetProperty("max_chain_depth", out var depth) && depth.ValueKind == JsonValueKind.Number && report.Verdict.IsCompliant
            && LogicalIntermediates(report) > depth.GetInt32())
        {
            detail = "chain deeper than max_chain_depth";
            return true;
        }

        actual = report.Verdict.IsCompliant ? "SUCCESS" : "FAILURE";
        detail = report.Findings.Count == 0 ? "no finding" : report.Findings[0].Code + ": " + report.Findings[0].Message;
        return true;
    }

    // Intermediates that are not self-issued (limbo's "logical" intermediates): element i is self-issued when its
    // subject equals the subject of its issuer, element i + 1.
    private static int LogicalIntermediates(ValidationReport report)
    {
        int n = 0;
        for (int i = 1; i < report.Chain.Count - 1; i++)
        {
            if (!string.Equals(report.Chain[i].Subject, report.Chain[i + 1].Subject, StringComparison.Ordinal))
            {
                n++;
            }
        }

        return n;
    }

    private static bool TryReadExceptions(string path, Dictionary<string, Listed> listed, TextWriter stderr)
    {
        if (!CliFiles.TryReadBytes(path, out var bytes, out var err))
        {
            stderr.WriteLine(err);
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                string id = e.GetProperty("id").GetString()!;
                string reason = e.GetProperty("reason").GetString() ?? string.Empty;
                if (reason.Length == 0)
                {
                    stderr.WriteLine(path + ": " + id + ": an exception needs a reason");
                    return false;
                }

                listed[id] = new Listed(e.GetProperty("expected").GetString()!, e.GetProperty("actual").GetString()!, reason);
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            stderr.WriteLine(path + ": not a list of {id, expected, actual, reason}: " + ex.Message);
            return false;
        }
    }
}
