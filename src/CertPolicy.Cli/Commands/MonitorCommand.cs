using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Monitoring;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy monitor LOGFILE...</c>: the R-T11 TLS failures in Postfix logs (postfix-tls.md 7), one line per
/// alert and a summary per destination, relay and client; optionally <c>smtpd_discard_ehlo_keyword_address_maps</c>
/// lines. Parses arguments, streams the files through <c>CertPolicy.Monitoring</c>, renders the result.
/// </summary>
internal static class MonitorCommand
{
    private const string Me = "certpolicy monitor";

    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("LOGFILE") { Description = "Postfix log files (syslog, RFC 3339 or maillog_file format; *.gz is decompressed).", Arity = ArgumentArity.OneOrMore };
        var discard = new Option<int?>("--discard-after")
        {
            Description = "Also print smtpd_discard_ehlo_keyword_address_maps lines ('IP STARTTLS') for client IPs with at least N inbound TLS failures. Never install them for partners with mandatory TLS (R-T6, R-T8).",
        };
        var cmd = new Command("monitor", "Report the TLS failures in Postfix logs that must raise an alert (R-T11) (exit 0 none, 1 alerts found, 2 unusable input).")
        {
            files, discard,
        };
        var format = FormatOption.AddTo(cmd, sarif: true);
        cmd.SetAction(r => format.TryGet(r, Me, stderr, out var fmt)
            ? Run(r.GetValue(files) ?? [], fmt, r.GetValue(discard), stdout, stderr)
            : ExitCodes.Unusable);
        root.Subcommands.Add(cmd);
    }

    private static int Run(string[] paths, OutputFormat fmt, int? discardAfter, TextWriter stdout, TextWriter stderr)
    {
        if (discardAfter is < 1)
        {
            stderr.WriteLine($"{Me}: --discard-after: expected a number of failures >= 1");
            return ExitCodes.Unusable;
        }

        if (paths.Length == 0)
        {
            stderr.WriteLine($"{Me}: no LOGFILE given");
            return ExitCodes.Unusable;
        }

        // Every file must exist before any output is written (a typo should not yield a half report).
        foreach (var path in paths)
        {
            // Logs are streamed (any size; the scanner bounds each line), but only regular files are opened: a FIFO
            // without a writer would block the open, a device (/dev/zero) would be read forever (issue 14).
            if (CertPolicy.IO.BoundedFile.CheckReadable(path) is { } why)
            {
                stderr.WriteLine($"{path}: {why}");
                return ExitCodes.Unusable;
            }
        }

        var summary = new TlsFailureSummary();
        var stats = new Stats();
        string? error = fmt switch
        {
            OutputFormat.Json => WriteJson(paths, summary, stats, discardAfter, stdout),
            OutputFormat.Sarif => WriteSarif(paths, summary, stats, stdout),
            _ => WriteText(paths, summary, stats, discardAfter, stdout),
        };
        if (error is not null)
        {
            stderr.WriteLine(error);
            return ExitCodes.Unusable;
        }

        return summary.TotalEvents > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private sealed class Stats
    {
        internal long LinesRead;
        internal long LongLinesSkipped;
    }

    // Scans one file, calling onEvent per alert; returns "file: what is wrong" on an I/O error.
    private static string? Scan(string path, Stats stats, Action<PostfixTlsEvent> onEvent)
    {
        try
        {
            using Stream file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
            using Stream input = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;

            // Invalid UTF-8 becomes U+FFFD (logs may carry any bytes a peer sent); it never stops the scan. Only a
            // UTF-8 BOM is skipped: BOM detection would read binary data starting FF FE as UTF-16.
            using var reader = new StreamReader(input, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: false);
            var scanner = new PostfixTlsLogScanner(reader);
            while (scanner.TryReadNext(out var e))
            {
                onEvent(e);
            }

            stats.LinesRead += scanner.LinesRead;
            stats.LongLinesSkipped += scanner.LongLinesSkipped;
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            return $"{path}: cannot read: {ex.Message}";
        }
    }

    private static string? WriteText(string[] paths, TlsFailureSummary summary, Stats stats, int? discardAfter, TextWriter stdout)
    {
        foreach (var path in paths)
        {
            string? error = Scan(path, stats, e =>
            {
                summary.Add(e);
                stdout.WriteLine(FormatEvent(path, e));
            });
            if (error is not null)
            {
                return error;
            }
        }

        stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"summary: {summary.TotalEvents} alert events ({summary.OutboundEvents} outbound, {summary.InboundEvents} inbound) in {paths.Length} file(s); {stats.LinesRead} lines read, {stats.LongLinesSkipped} long lines skipped"));
        WriteGroup(stdout, "outbound by destination (recipient domain)", summary.ByDestination());
        WriteGroup(stdout, "outbound by relay", summary.ByRelay());
        WriteGroup(stdout, "inbound by client", summary.ByClient());
        if (summary.OverflowEvents > 0)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"note: {summary.OverflowEvents} events not grouped (more than {TlsFailureSummary.MaxKeys} keys)"));
        }

        if (discardAfter is int n)
        {
            foreach (var line in summary.DiscardMapLines(n))
            {
                stdout.WriteLine(line);
            }
        }

        return null;
    }

    private static void WriteGroup(TextWriter stdout, string title, IReadOnlyList<TlsFailureCount> counts)
    {
        if (counts.Count == 0)
        {
            return;
        }

        stdout.WriteLine(title + ":");
        foreach (var c in counts)
        {
            var kinds = new List<string>();
            foreach (var k in c.Kinds)
            {
                kinds.Add(PostfixTlsEvent.KindName(k));
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Safe(c.Key)}: {c.Count} ({string.Join(", ", kinds)})"));
        }
    }

    // "file:line: [R-T11 R-T6] tls-not-offered: postfix/smtp[123] QID to=<rcpt> relay=host[addr]:port dsn=4.7.4 status=deferred: reason"
    private static string FormatEvent(string path, PostfixTlsEvent e)
    {
        var sb = new StringBuilder(256);
        sb.Append(path).Append(':').Append(e.LineNumber.ToString(CultureInfo.InvariantCulture)).Append(": [").Append(e.RuleId);
        if (e.RelatedRuleId is not null)
        {
            sb.Append(' ').Append(e.RelatedRuleId);
        }

        sb.Append("] ").Append(PostfixTlsEvent.KindName(e.Kind)).Append(": ");
        if (e.Timestamp.Length > 0)
        {
            sb.Append(Safe(e.Timestamp)).Append(' ');
        }

        sb.Append(Safe(e.Program)).Append('[').Append(e.ProcessId.ToString(CultureInfo.InvariantCulture)).Append(']');
        if (e.QueueId is not null)
        {
            sb.Append(' ').Append(e.QueueId);
        }

        if (e.Recipient is not null)
        {
            sb.Append(" to=<").Append(Safe(e.Recipient)).Append('>');
        }

        if (e.PeerDisplay is { } peer)
        {
            sb.Append(e.Direction == MailDirection.Inbound ? " client=" : " relay=").Append(Safe(peer));
        }

        if (e.Dsn is not null)
        {
            sb.Append(" dsn=").Append(Safe(e.Dsn));
        }

        if (e.Status is not null)
        {
            sb.Append(" status=").Append(e.Status);
        }

        sb.Append(": ").Append(Safe(e.Reason));
        return sb.ToString();
    }

    // Log text is attacker-influenced (host names, SMTP replies): no control characters reach a terminal.
    private static string Safe(string s)
    {
        if (!s.AsSpan().ContainsAnyInRange('\0', '\u001F') && !s.AsSpan().ContainsAnyInRange('\u007F', '\u009F'))
        {
            return s;
        }

        return string.Create(s.Length, s, static (dest, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                dest[i] = char.IsControl(src[i]) ? '?' : src[i];
            }
        });
    }

    // SARIF: one error result per alert event, located at its log line (the whole log is scanned before writing).
    private static string? WriteSarif(string[] paths, TlsFailureSummary summary, Stats stats, TextWriter stdout)
    {
        var results = new List<SarifResult>();
        foreach (var path in paths)
        {
            string? error = Scan(path, stats, e =>
            {
                summary.Add(e);
                string line = FormatEvent(path, e);
                int start = line.IndexOf("] ", StringComparison.Ordinal);
                results.Add(new SarifResult(e.RuleId, "error", start >= 0 ? line[(start + 2)..] : line, PostfixTlsEvent.KindName(e.Kind), path, e.LineNumber > int.MaxValue ? 0 : (int)e.LineNumber));
            });
            if (error is not null)
            {
                return error;
            }
        }

        Sarif.Write(stdout, results);
        return null;
    }

    private static string? WriteJson(string[] paths, TlsFailureSummary summary, Stats stats, int? discardAfter, TextWriter stdout)
    {
        // The events array is streamed: the buffer is handed to stdout every 64 KiB, so a large log does not
        // build the whole document in memory.
        using var buffer = new MemoryStream();
        string? error = null;
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("files");
            foreach (var p in paths)
            {
                w.WriteStringValue(p);
            }

            w.WriteEndArray();
            w.WriteStartArray("events");
            foreach (var path in paths)
            {
                error = Scan(path, stats, e =>
                {
                    summary.Add(e);
                    WriteEvent(w, path, e);
                    if (buffer.Length > 64 * 1024)
                    {
                        w.Flush();
                        Drain(buffer, stdout);
                    }
                });
                if (error is not null)
                {
                    break;
                }
            }

            w.WriteEndArray();
            if (error is null)
            {
                w.WriteNumber("alerts", summary.TotalEvents);
                w.WriteNumber("outbound", summary.OutboundEvents);
                w.WriteNumber("inbound", summary.InboundEvents);
                w.WriteNumber("linesRead", stats.LinesRead);
                w.WriteNumber("longLinesSkipped", stats.LongLinesSkipped);
                w.WriteNumber("ungroupedEvents", summary.OverflowEvents);
                WriteCounts(w, "byDestination", summary.ByDestination());
                WriteCounts(w, "byRelay", summary.ByRelay());
                WriteCounts(w, "byClient", summary.ByClient());
                if (discardAfter is int n)
                {
                    w.WriteStartArray("discardMap");
                    foreach (var line in summary.DiscardMapLines(n))
                    {
                        w.WriteStringValue(line);
                    }

                    w.WriteEndArray();
                }
            }

            w.WriteEndObject();
        }

        if (error is null)
        {
            Drain(buffer, stdout);
            stdout.WriteLine();
        }

        return error;
    }

    private static void Drain(MemoryStream buffer, TextWriter stdout)
    {
        stdout.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, checked((int)buffer.Length)));
        buffer.SetLength(0);
    }

    private static void WriteEvent(Utf8JsonWriter w, string path, PostfixTlsEvent e)
    {
        w.WriteStartObject();
        w.WriteString("file", path);
        w.WriteNumber("line", e.LineNumber);
        w.WriteString("rule", e.RuleId);
        if (e.RelatedRuleId is not null)
        {
            w.WriteString("relatedRule", e.RelatedRuleId);
        }

        w.WriteString("kind", PostfixTlsEvent.KindName(e.Kind));
        w.WriteString("direction", e.Direction == MailDirection.Inbound ? "inbound" : "outbound");
        w.WriteString("timestamp", e.Timestamp);
        w.WriteString("host", e.LogHost);
        w.WriteString("program", e.Program);
        w.WriteNumber("pid", e.ProcessId);
        WriteOptional(w, "queueId", e.QueueId);
        WriteOptional(w, "recipient", e.Recipient);
        WriteOptional(w, "recipientDomain", e.RecipientDomain);
        WriteOptional(w, "peerHost", e.PeerHost);
        WriteOptional(w, "peerAddress", e.PeerAddress);
        if (e.PeerPort is int port)
        {
            w.WriteNumber("peerPort", port);
        }

        WriteOptional(w, "dsn", e.Dsn);
        WriteOptional(w, "status", e.Status);
        w.WriteString("reason", e.Reason);
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteCounts(Utf8JsonWriter w, string name, IReadOnlyList<TlsFailureCount> counts)
    {
        w.WriteStartArray(name);
        foreach (var c in counts)
        {
            w.WriteStartObject();
            w.WriteString("key", c.Key);
            w.WriteNumber("count", c.Count);
            w.WriteStartArray("kinds");
            foreach (var k in c.Kinds)
            {
                w.WriteStringValue(PostfixTlsEvent.KindName(k));
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
