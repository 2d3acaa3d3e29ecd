using System.IO.Compression;
using System.Text.Json;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Monitoring;

/// <summary><c>certpolicy monitor</c> in-process: exit codes, text and JSON output, discard-map lines.</summary>
public class MonitorCliTests
{
    private const string Clean = """
        Nov 28 12:00:00 gw postfix/smtp[4711]: Verified TLS connection established to mx1.example.net[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
        Nov 28 12:00:00 gw postfix/smtp[4711]: 3F2A81C0D2: to=<u@example.net>, relay=mx1.example.net[192.0.2.1]:25, delay=0.2, delays=0.01/0.01/0.1/0.08, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4AB)

        """;

    private const string Alerts = """
        Nov 28 12:00:00 gw postfix/smtp[4711]: 3F2A81C0D2: to=<u@notls.example.net>, relay=mx.notls.example.net[192.0.2.3]:25, delay=0.05, delays=0.01/0.03/0.01/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.notls.example.net[192.0.2.3])
        Nov 28 12:00:01 gw postfix/smtp[4712]: server certificate verification failed for mx1.example.net[192.0.2.1]:25: num=62:hostname mismatch
        Nov 28 12:00:02 gw postfix/smtpd[815]: SSL_accept error from client.example[192.0.2.9]: -1
        Nov 28 12:00:03 gw postfix/smtpd[816]: SSL_accept error from client.example[192.0.2.9]: lost connection
        Nov 28 12:00:04 gw postfix/smtpd[817]: SSL_accept error from other.example[192.0.2.10]: -1

        """;

    [Fact]
    public void A_clean_log_exits_0_with_a_summary()
    {
        using var dir = new TempDir();
        var (exit, output, err) = CliRunner.Run("monitor", dir.File("maillog", Clean));
        Assert.True(exit == 0, output + err);
        Assert.Contains("summary: 0 alert events", output, StringComparison.Ordinal);
        Assert.Empty(err);
    }

    [Fact]
    public void Alerts_exit_1_one_line_each_naming_the_rule_then_the_summary()
    {
        using var dir = new TempDir();
        string log = dir.File("maillog", Alerts);
        var (exit, output, err) = CliRunner.Run("monitor", log);
        Assert.True(exit == 1, output + err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith(log + ":1: [R-T11 R-T6] tls-not-offered: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("to=<u@notls.example.net> relay=mx.notls.example.net[192.0.2.3]:25 dsn=4.7.4 status=deferred", lines[0], StringComparison.Ordinal);
        Assert.StartsWith(log + ":2: [R-T11 R-C2] certificate-verification-failed: ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith(log + ":3: [R-T11] inbound-tls-handshake-failed: ", lines[2], StringComparison.Ordinal);
        Assert.Contains("client=client.example[192.0.2.9]", lines[2], StringComparison.Ordinal);
        Assert.Contains("summary: 5 alert events (2 outbound, 3 inbound)", output, StringComparison.Ordinal);
        Assert.Contains("  notls.example.net: 1 (tls-not-offered)", output, StringComparison.Ordinal);
        Assert.Contains("  192.0.2.9: 2 (inbound-tls-handshake-failed)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("STARTTLS\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Discard_after_prints_the_map_lines_in_text_and_json()
    {
        using var dir = new TempDir();
        string log = dir.File("maillog", Alerts);
        var (exit, output, _) = CliRunner.Run("monitor", log, "--discard-after", "2");
        Assert.Equal(1, exit);
        var map = output.Split('\n').Where(l => l.EndsWith(" STARTTLS", StringComparison.Ordinal)).ToList();
        Assert.Equal(["192.0.2.9 STARTTLS"], map);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("# NEVER", StringComparison.Ordinal));

        var json = CliRunner.Run("monitor", log, "--discard-after", "1", "--format", "json");
        Assert.Equal(1, json.Exit);
        using var doc = JsonDocument.Parse(json.Out);
        var discard = doc.RootElement.GetProperty("discardMap").EnumerateArray().Select(e => e.GetString()!).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(["192.0.2.9 STARTTLS", "192.0.2.10 STARTTLS"], discard);
    }

    [Fact]
    public void Json_has_every_event_with_rule_kind_and_fields_and_the_groups()
    {
        using var dir = new TempDir();
        string log = dir.File("maillog", Alerts);
        var (exit, output, err) = CliRunner.Run("monitor", log, "--format", "json");
        Assert.True(exit == 1, output + err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(5, root.GetProperty("alerts").GetInt32());
        Assert.False(root.TryGetProperty("discardMap", out _));
        var events = root.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(5, events.Count);
        var first = events[0];
        Assert.Equal("R-T11", first.GetProperty("rule").GetString());
        Assert.Equal("R-T6", first.GetProperty("relatedRule").GetString());
        Assert.Equal("tls-not-offered", first.GetProperty("kind").GetString());
        Assert.Equal("3F2A81C0D2", first.GetProperty("queueId").GetString());
        Assert.Equal("notls.example.net", first.GetProperty("recipientDomain").GetString());
        Assert.Equal("192.0.2.3", first.GetProperty("peerAddress").GetString());
        Assert.Equal(25, first.GetProperty("peerPort").GetInt32());
        Assert.Equal("4.7.4", first.GetProperty("dsn").GetString());
        Assert.Equal("deferred", first.GetProperty("status").GetString());
        Assert.Equal("postfix/smtp", first.GetProperty("program").GetString());
        Assert.Equal(4711, first.GetProperty("pid").GetInt32());
        Assert.Equal("inbound", events[2].GetProperty("direction").GetString());
        var clients = root.GetProperty("byClient").EnumerateArray().ToList();
        Assert.Equal("192.0.2.9", clients[0].GetProperty("key").GetString());
        Assert.Equal(2, clients[0].GetProperty("count").GetInt32());
    }

    [Fact]
    public void Several_files_and_a_gzip_rotated_file_are_read()
    {
        using var dir = new TempDir();
        string plain = dir.File("maillog", Clean);
        string gz = Path.Combine(dir.Path, "maillog.1.gz");
        using (var f = File.Create(gz))
        using (var z = new GZipStream(f, CompressionLevel.Fastest))
        {
            z.Write(Encoding.UTF8.GetBytes(Alerts));
        }

        var (exit, output, err) = CliRunner.Run("monitor", plain, gz);
        Assert.True(exit == 1, output + err);
        Assert.Contains(gz + ":3: [R-T11] inbound-tls-handshake-failed", output, StringComparison.Ordinal);
        Assert.Contains("in 2 file(s); 7 lines read", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_from_the_log_never_reach_the_terminal()
    {
        using var dir = new TempDir();
        string log = dir.File("maillog", "Nov 28 12:00:02 gw postfix/smtpd[815]: SSL_accept error from evil\u001b[2J[192.0.2.9]: -1\u001b]0;x\u0007\n");
        var (exit, output, _) = CliRunner.Run("monitor", log);
        Assert.Equal(1, exit);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
    }

    [Fact]
    public void Invalid_UTF8_and_binary_content_is_scanned_not_refused()
    {
        using var dir = new TempDir();
        string log = Path.Combine(dir.Path, "maillog");
        // FF FE is also a UTF-16 BOM: it must not switch the decoder.
        var bytes = new List<byte> { 0xFF, 0xFE, 0x00, 0xC3, 0x28, (byte)'\n' };
        bytes.AddRange(Encoding.UTF8.GetBytes("Nov 28 12:00:02 gw postfix/smtpd[815]: SSL_accept error from c.example[192.0.2.9]: -1\n"));
        File.WriteAllBytes(log, [.. bytes]);
        var (exit, output, err) = CliRunner.Run("monitor", log);
        Assert.True(exit == 1, output + err);
        Assert.Contains(":2: [R-T11] inbound-tls-handshake-failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_UTF8_BOM_is_skipped()
    {
        using var dir = new TempDir();
        string log = Path.Combine(dir.Path, "maillog");
        File.WriteAllBytes(log, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("Nov 28 12:00:02 gw postfix/smtpd[815]: SSL_accept error from c.example[192.0.2.9]: -1\n")]);
        var (exit, output, err) = CliRunner.Run("monitor", log);
        Assert.True(exit == 1, output + err);
        Assert.Contains(":1: [R-T11] inbound-tls-handshake-failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_or_a_directory_exits_2_with_one_line_and_no_output()
    {
        using var dir = new TempDir();
        string ok = dir.File("maillog", Alerts);
        string missing = Path.Combine(dir.Path, "nope.log");
        var (exit, output, err) = CliRunner.Run("monitor", ok, missing);
        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Equal(missing + ": no such file", err.TrimEnd('\n'));

        var d = CliRunner.Run("monitor", dir.Path);
        Assert.Equal(2, d.Exit);
        Assert.Equal(dir.Path + ": is a directory", d.Err.TrimEnd('\n'));
    }

    [Theory]
    [InlineData("--format", "xml")]
    [InlineData("--discard-after", "0")]
    [InlineData("--discard-after", "many")]
    public void Bad_options_exit_2(string option, string value)
    {
        using var dir = new TempDir();
        var (exit, output, err) = CliRunner.Run("monitor", dir.File("maillog", Clean), option, value);
        Assert.True(exit == 2, output + err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_damaged_gzip_file_exits_2_with_one_line()
    {
        using var dir = new TempDir();
        string gz = Path.Combine(dir.Path, "maillog.2.gz");
        File.WriteAllBytes(gz, [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x07, 0xFF, 0xFF, 0xFF]); // deflate block type 3: reserved, invalid
        var (exit, _, err) = CliRunner.Run("monitor", gz);
        Assert.Equal(2, exit);
        Assert.StartsWith(gz + ": cannot read: ", err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }
}
