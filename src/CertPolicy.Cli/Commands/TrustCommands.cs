using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Trust;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>bundle build</c>, <c>bundle diff</c> and <c>trust list</c> (issue 3; R-A1, R-C3, R-C9). Loads files, calls
/// CertPolicy.Trust and renders; the build writes into a staging folder and moves it into place only when the
/// manifest is clean, so nothing is half-written in <c>--out</c> on failure.
/// </summary>
internal static class TrustCommands
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var bundle = new Command("bundle", "Build the curated trust bundle for CI, or compare the manifest with a source store.");
        bundle.Subcommands.Add(BuildCommand(stdout, stderr));
        bundle.Subcommands.Add(DiffCommand(stdout, stderr));
        root.Subcommands.Add(bundle);

        var trust = new Command("trust", "Inspect the curated trust manifest.");
        trust.Subcommands.Add(ListCommand(stdout, stderr));
        root.Subcommands.Add(trust);
    }

    private static Option<string> ManifestOption() => new("--manifest")
    {
        Description = "Trust manifest (default: the manifest embedded in CertPolicy, the repository's trust/manifest.cfg).",
    };

    private static Option<string> AtOption() => new("--at")
    {
        Description = "Validation time (ISO 8601 UTC, e.g. 2026-11-28T00:00:00Z); default: now.",
    };

    private static Command BuildCommand(TextWriter stdout, TextWriter stderr)
    {
        var manifestOpt = ManifestOption();
        var atOpt = AtOption();
        var outOpt = new Option<string>("--out") { Description = "Output folder.", Required = true };
        // Before issue 13 this option was --format; --format is now the output format, as on every command (CHANGELOG.md).
        var formatOpt = new Option<string>("--bundle-formats") { Description = "The files to write, comma-separated: pem,p7b,capath,json,postfix (default: all)." };
        var partnerOpt = new Option<string[]>("--partner")
        {
            Description = "Partner domain for postfix/tls_policy, as DOMAIN or DOMAIN=MATCH (e.g. audi.hu=.audi.de); repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var cmd = new Command("build", "Validate the manifest and write the bundles (PEM, PKCS#7, OpenSSL CApath, JSON side manifest, Postfix tls_policy).");
        cmd.Options.Add(manifestOpt);
        cmd.Options.Add(outOpt);
        cmd.Options.Add(formatOpt);
        cmd.Options.Add(partnerOpt);
        cmd.Options.Add(atOpt);
        var output = FormatOption.AddTo(cmd, sarif: true);
        cmd.SetAction(parse => Guard(stderr, () =>
        {
            if (!output.TryGet(parse, "certpolicy bundle build", stderr, out var fmt, hint: "the files to write are --bundle-formats pem,p7b,capath,json,postfix"))
            {
                return ExitCodes.Unusable;
            }

            if (!TryFormats(parse.GetValue(formatOpt), out var formats, out var fErr))
            {
                stderr.WriteLine("certpolicy bundle build: --bundle-formats: " + fErr);
                return ExitCodes.Unusable;
            }

            var partners = new List<PartnerDomain>();
            foreach (var p in parse.GetValue(partnerOpt) ?? [])
            {
                if (!PartnerDomain.TryParse(p, out var partner, out var pErr))
                {
                    stderr.WriteLine("certpolicy: --partner: " + pErr);
                    return ExitCodes.Unusable;
                }

                partners.Add(partner!);
            }

            if (!TryAt(parse.GetValue(atOpt), out var at, stderr))
            {
                return ExitCodes.Unusable;
            }

            // An unusable manifest: its errors, one line each, and nothing written (exit 2). In JSON and SARIF the
            // policy findings of a usable manifest go into the document instead of stderr.
            if (!TryLoadUsable(parse.GetValue(manifestOpt), at, stderr, out var manifest, findingsToStderr: fmt == OutputFormat.Text))
            {
                return ExitCodes.Unusable;
            }

            string outDir = parse.GetValue(outOpt)!;
            if (fmt == OutputFormat.Text)
            {
                foreach (var ca in manifest.AnnexCas)
                {
                    stdout.WriteLine(CaLine(manifest, ca));
                }
            }

            if (!manifest.IsCompliant)
            {
                WriteBuildReport(stdout, fmt, manifest, outDir, 0);
                if (fmt == OutputFormat.Text)
                {
                    stderr.WriteLine("certpolicy: the manifest breaks policy (" + manifest.Diagnostics.Count.ToString(CultureInfo.InvariantCulture) + " findings); nothing written");
                }

                return ExitCodes.Findings;
            }

            var files = TrustBundle.Build(manifest, formats, partners);
            if (!TryWriteAtomically(outDir, files, out var wErr))
            {
                stderr.WriteLine("certpolicy: cannot write " + outDir + ": " + wErr);
                return ExitCodes.Unusable;
            }

            if (fmt == OutputFormat.Text)
            {
                stdout.WriteLine("wrote " + files.Count.ToString(CultureInfo.InvariantCulture) + " files (" + manifest.IncludedRoots().Count.ToString(CultureInfo.InvariantCulture) + " roots) to " + outDir);
            }
            else
            {
                WriteBuildReport(stdout, fmt, manifest, outDir, files.Count);
            }

            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command DiffCommand(TextWriter stdout, TextWriter stderr)
    {
        var manifestOpt = ManifestOption();
        var atOpt = AtOption();
        var sourceOpt = new Option<string>("--source") { Description = "A directory of PEM/CRT files (e.g. /etc/ssl/certs) or a Mozilla certdata.txt.", Required = true };
        var cmd = new Command("diff", "List differences between the manifest and a source store: roots added, removed, trust or distrust changes.");
        cmd.Options.Add(manifestOpt);
        cmd.Options.Add(sourceOpt);
        cmd.Options.Add(atOpt);
        var output = FormatOption.AddTo(cmd, sarif: false);
        cmd.SetAction(parse => Guard(stderr, () =>
        {
            if (!output.TryGet(parse, "certpolicy bundle diff", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            if (!TryAt(parse.GetValue(atOpt), out var at, stderr))
            {
                return ExitCodes.Unusable;
            }

            if (!TryLoadUsable(parse.GetValue(manifestOpt), at, stderr, out var manifest))
            {
                return ExitCodes.Unusable;
            }

            var source = SourceStore.Load(parse.GetValue(sourceOpt)!);
            foreach (var d in source.Diagnostics)
            {
                stderr.WriteLine(d.ToString());
            }

            if (!source.IsUsable)
            {
                return ExitCodes.Unusable;
            }

            var diffs = TrustDiff.Compare(manifest, source);
            if (fmt == OutputFormat.Json)
            {
                WriteDiffJson(stdout, manifest, source, diffs);
                return diffs.Count == 0 ? ExitCodes.Ok : ExitCodes.Findings;
            }

            foreach (var d in diffs)
            {
                stdout.WriteLine(d.ToString());
            }

            stdout.WriteLine(diffs.Count.ToString(CultureInfo.InvariantCulture) + " differences between " + manifest.Name + " and " + source.Name + " (" + source.Roots.Count.ToString(CultureInfo.InvariantCulture) + " source roots)");
            return diffs.Count == 0 ? ExitCodes.Ok : ExitCodes.Findings;
        }));
        return cmd;
    }

    private static Command ListCommand(TextWriter stdout, TextWriter stderr)
    {
        var manifestOpt = ManifestOption();
        var atOpt = AtOption();
        var cmd = new Command("list", "Show the manifest: each annex CA with its fate, each root with status, bundle decision and reason.");
        cmd.Options.Add(manifestOpt);
        cmd.Options.Add(atOpt);
        var output = FormatOption.AddTo(cmd, sarif: false);
        cmd.SetAction(parse => Guard(stderr, () =>
        {
            if (!output.TryGet(parse, "certpolicy trust list", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            if (!TryAt(parse.GetValue(atOpt), out var at, stderr))
            {
                return ExitCodes.Unusable;
            }

            if (!TryLoadUsable(parse.GetValue(manifestOpt), at, stderr, out var manifest))
            {
                return ExitCodes.Unusable;
            }

            if (fmt == OutputFormat.Json)
            {
                stdout.Write(ListJson(manifest));
            }
            else
            {
                ListText(manifest, stdout);
            }

            return manifest.IsCompliant ? ExitCodes.Ok : ExitCodes.Findings;
        }));
        return cmd;
    }

    /// <summary>Fails closed: an unexpected exception becomes one line on stderr and exit 2, never a stack trace.</summary>
    private static int Guard(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            stderr.WriteLine("certpolicy: internal error: the input could not be processed (this is a bug in certpolicy; please report it with the input)");
            return ExitCodes.Unusable;
        }
    }

    // Loads the manifest (embedded by default), prints its diagnostics, and says whether it is usable.
    // With findingsToStderr false only the errors of an unusable manifest are printed (the findings go into a JSON or SARIF document).
    private static bool TryLoadUsable(string? path, DateTimeOffset at, TextWriter stderr, out TrustManifest manifest, bool findingsToStderr = true)
    {
        manifest = path is null ? TrustManifestLoader.LoadEmbedded(at) : TrustManifestLoader.LoadFile(path, at);
        foreach (var d in manifest.Diagnostics)
        {
            if (findingsToStderr || d.Severity == DiagnosticSeverity.Error)
            {
                stderr.WriteLine(d.ToString());
            }
        }

        return manifest.IsUsable;
    }

    // bundle build --format json|sarif: the manifest's verdict, the annex CAs and the findings (docs/schemas/bundle-build.schema.json).
    private static void WriteBuildReport(TextWriter stdout, OutputFormat fmt, TrustManifest m, string outDir, int filesWritten)
    {
        if (fmt == OutputFormat.Sarif)
        {
            var results = new List<SarifResult>();
            foreach (var d in m.Diagnostics)
            {
                results.Add(new SarifResult(d.Rule, "error", d.Message, d.Code, d.Position.File, d.Position.Line, d.Position.Column));
            }

            Sarif.Write(stdout, results);
            return;
        }

        if (fmt != OutputFormat.Json)
        {
            return;
        }

        Json.Write(stdout, j =>
        {
            j.WriteStartObject();
            j.WriteString("verdict", m.IsCompliant ? "pass" : "fail");
            j.WriteString("manifest", m.Name);
            j.WriteString("out", outDir);
            j.WriteNumber("filesWritten", filesWritten);
            j.WriteNumber("rootsIncluded", m.IncludedRoots().Count);
            j.WriteStartArray("annexCas");
            foreach (var ca in m.AnnexCas)
            {
                j.WriteStartObject();
                j.WriteString("name", ca.Name);
                j.WriteString("status", CaStatus(ca.Status));
                j.WriteString("successor", ca.Successor);
                j.WriteStartArray("roots");
                foreach (var r in m.RootsOf(ca))
                {
                    j.WriteStartObject();
                    j.WriteString("label", r.Label);
                    j.WriteString("status", Status(r.Status));
                    j.WriteString("bundle", r.Bundle == BundleDecision.Include ? "include" : "exclude");
                    j.WriteEndObject();
                }

                j.WriteEndArray();
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("findings");
            foreach (var d in m.Diagnostics)
            {
                j.WriteStartObject();
                j.WriteString("code", d.Code);
                j.WriteString("rule", d.Rule);
                j.WriteString("file", d.Position.File);
                j.WriteNumber("line", d.Position.Line);
                j.WriteNumber("column", d.Position.Column);
                j.WriteString("message", d.Message);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteEndObject();
        });
    }

    // bundle diff --format json (docs/schemas/bundle-diff.schema.json).
    private static void WriteDiffJson(TextWriter stdout, TrustManifest m, SourceStore source, IReadOnlyList<TrustDifference> diffs) => Json.Write(stdout, j =>
    {
        j.WriteStartObject();
        j.WriteString("manifest", m.Name);
        j.WriteString("source", source.Name);
        j.WriteNumber("sourceRoots", source.Roots.Count);
        j.WriteStartArray("differences");
        foreach (var d in diffs)
        {
            j.WriteStartObject();
            j.WriteString("kind", TrustDifference.KindName(d.Kind));
            j.WriteString("sha256", d.Sha256);
            j.WriteString("label", d.Label);
            j.WriteString("message", d.Message);
            j.WriteEndObject();
        }

        j.WriteEndArray();
        j.WriteEndObject();
    });

    private static bool TryAt(string? text, out DateTimeOffset at, TextWriter stderr)
    {
        if (CliTime.TryParseOrNow(text, out at))
        {
            return true;
        }

        stderr.WriteLine("certpolicy: --at: '" + text + "' is not a date/time");
        return false;
    }

    private static bool TryFormats(string? text, out BundleFormats formats, out string? error)
    {
        formats = BundleFormats.None;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            formats = BundleFormats.All;
            return true;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            BundleFormats f = part.ToLowerInvariant() switch
            {
                "pem" => BundleFormats.Pem,
                "p7b" => BundleFormats.P7b,
                "capath" => BundleFormats.CAPath,
                "json" => BundleFormats.Json,
                "postfix" => BundleFormats.Postfix,
                _ => BundleFormats.None,
            };
            if (f == BundleFormats.None)
            {
                error = "unknown format '" + part + "' (expected pem, p7b, capath, json, postfix)";
                return false;
            }

            formats |= f;
        }

        if (formats == BundleFormats.None)
        {
            error = "no format given";
            return false;
        }

        return true;
    }

    internal static string CaLine(TrustManifest manifest, AnnexCa ca)
    {
        var included = new List<string>();
        var excluded = new List<string>();
        foreach (var r in manifest.RootsOf(ca))
        {
            string status = Status(r.Status);
            if (r.Bundle == BundleDecision.Include)
            {
                included.Add(r.Label + " (" + status + ")");
            }
            else
            {
                excluded.Add(r.Label + " (" + status + (r.Status is RootStatus.Active or RootStatus.Transitional ? ", excluded by policy" : "") + ")");
            }
        }

        var sb = new StringBuilder();
        sb.Append(ca.Name).Append(": ").Append(CaStatus(ca.Status));
        if (!string.Equals(ca.Successor, "none", StringComparison.Ordinal))
        {
            sb.Append(" -> ").Append(ca.Successor);
        }

        sb.Append("; included ").Append(included.Count.ToString(CultureInfo.InvariantCulture));
        if (included.Count > 0)
        {
            sb.Append(" [").Append(string.Join("; ", included)).Append(']');
        }

        sb.Append("; excluded ").Append(excluded.Count.ToString(CultureInfo.InvariantCulture));
        if (excluded.Count > 0)
        {
            sb.Append(" [").Append(string.Join("; ", excluded)).Append(']');
        }

        return sb.ToString();
    }

    private static string Status(RootStatus s) => s switch
    {
        RootStatus.Active => "active",
        RootStatus.Transitional => "transitional",
        RootStatus.Distrusted => "distrusted",
        RootStatus.Expired => "expired",
        _ => "removed",
    };

    private static string CaStatus(AnnexCaStatus s) => s switch
    {
        AnnexCaStatus.Active => "active",
        AnnexCaStatus.Succeeded => "succeeded",
        AnnexCaStatus.Distrusted => "distrusted",
        _ => "defunct",
    };

    private static string D(DateTimeOffset? d) => d is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "none";

    private static void ListText(TrustManifest m, TextWriter o)
    {
        o.WriteLine("Trust manifest " + m.Name + " (facts as of " + m.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ")");
        o.WriteLine();
        o.WriteLine("Annex 7.1 CAs (R-A1):");
        foreach (var ca in m.AnnexCas)
        {
            o.WriteLine("  " + ca.Name + ": " + CaStatus(ca.Status) + (ca.Successor == "none" ? "" : " -> " + ca.Successor));
            o.WriteLine("    fate: " + ca.Fate);
            o.WriteLine("    reason: " + ca.Reason);
        }

        o.WriteLine();
        o.WriteLine("Roots (status, bundle, SHA-256, label, distrust-after TLS/e-mail):");
        foreach (var r in m.Roots)
        {
            o.WriteLine("  " + Status(r.Status).PadRight(12) + " " + (r.Bundle == BundleDecision.Include ? "include" : "exclude") + " " + r.Sha256 + " " + r.Label
                + (r.DistrustAfterTls is null && r.DistrustAfterEmail is null ? "" : " distrust-after tls " + D(r.DistrustAfterTls) + " email " + D(r.DistrustAfterEmail)));
            o.WriteLine("    " + r.Reason);
        }
    }

    private static string ListJson(TrustManifest m)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            j.WriteStartObject();
            j.WriteString("manifest", m.Name);
            j.WriteString("asOf", m.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            j.WriteStartArray("annexCas");
            foreach (var ca in m.AnnexCas)
            {
                j.WriteStartObject();
                j.WriteString("name", ca.Name);
                j.WriteString("status", CaStatus(ca.Status));
                j.WriteString("successor", ca.Successor);
                j.WriteString("fate", ca.Fate);
                j.WriteString("reason", ca.Reason);
                WriteList(j, "successorRoots", ca.SuccessorRoots);
                WriteList(j, "transitionalRoots", ca.TransitionalRoots);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("roots");
            foreach (var r in m.Roots)
            {
                j.WriteStartObject();
                j.WriteString("label", r.Label);
                j.WriteString("sha256", r.Sha256);
                j.WriteString("status", Status(r.Status));
                j.WriteString("bundle", r.Bundle == BundleDecision.Include ? "include" : "exclude");
                j.WriteString("file", r.File);
                j.WriteString("subject", r.Subject);
                j.WriteString("notAfter", D(r.NotAfter));
                j.WriteString("key", r.Key);
                j.WriteBoolean("tlsServer", (r.Purposes & RootPurposes.TlsServer) != 0);
                j.WriteBoolean("email", (r.Purposes & RootPurposes.Email) != 0);
                WriteList(j, "evPolicyOids", r.EvOids);
                j.WriteString("distrustAfterTls", r.DistrustAfterTls is null ? null : D(r.DistrustAfterTls));
                j.WriteString("distrustAfterEmail", r.DistrustAfterEmail is null ? null : D(r.DistrustAfterEmail));
                WriteList(j, "annexCas", r.SeedCas);
                j.WriteString("source", r.Source);
                j.WriteString("reason", r.Reason);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private static void WriteList(Utf8JsonWriter j, string name, IReadOnlyList<string> items)
    {
        j.WriteStartArray(name);
        foreach (var i in items)
        {
            j.WriteStringValue(i);
        }

        j.WriteEndArray();
    }

    /// <summary>Writes every file into a staging folder next to <paramref name="outDir"/>, then moves it into place.</summary>
    private static bool TryWriteAtomically(string outDir, IReadOnlyList<BundleFile> files, out string? error)
    {
        string full = Path.GetFullPath(outDir);
        string parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar)) ?? ".";
        string staging = Path.Combine(parent, "." + Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)) + ".certpolicy-staging-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, true);
            }

            Directory.CreateDirectory(staging);
            foreach (var f in files)
            {
                string p = Path.Combine(staging, f.RelativePath.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(p)!);
                File.WriteAllBytes(p, f.Content);
            }

            if (!Directory.Exists(full))
            {
                Directory.Move(staging, full);
                error = null;
                return true;
            }

            // Replace each top-level entry we produce; a stale capath/ would otherwise keep old anchors.
            foreach (var entry in Directory.GetFileSystemEntries(staging))
            {
                string target = Path.Combine(full, Path.GetFileName(entry));
                if (Directory.Exists(entry))
                {
                    if (Directory.Exists(target))
                    {
                        Directory.Delete(target, true);
                    }

                    Directory.Move(entry, target);
                }
                else
                {
                    File.Move(entry, target, overwrite: true);
                }
            }

            Directory.Delete(staging, true);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            try
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, true);
                }
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // best effort; the staging folder is hidden and named after this process
            }

            error = ex.Message;
            return false;
        }
    }
}
