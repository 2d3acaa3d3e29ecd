using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using CertPolicy.Monitoring;

namespace CertPolicy.Benchmarks;

/// <summary>
/// R-T11 log scanning: <see cref="PostfixTlsLogScanner"/> over 100 000 lines of a busy relay's maillog (one
/// line in fifty an alert, in the formats of postfix-tls.md 7), against the obvious baseline: <c>ReadLine</c>
/// and one compiled regular expression per line that only finds the alert lines (it extracts no fields).
/// </summary>
[MemoryDiagnoser]
public partial class MonitoringBenchmarks
{
    private const int Lines = 100_000;
    private string _log = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        string[] normal =
        [
            "Nov 28 12:00:{0:00} relay postfix/smtp[{1}]: 4Ab{1}: to=<u{1}@partner.example>, relay=mx.partner.example[192.0.2.10]:25, delay=0.4, delays=0.01/0.02/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F{1})",
            "Nov 28 12:00:{0:00} relay postfix/smtp[{1}]: Verified TLS connection established to mx.partner.example[192.0.2.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            "Nov 28 12:00:{0:00} relay postfix/smtpd[{1}]: connect from client{1}.example[198.51.100.7]",
            "Nov 28 12:00:{0:00} relay postfix/qmgr[{1}]: 4Ab{1}: from=<s@example.net>, size=2345, nrcpt=1 (queue active)",
            "Nov 28 12:00:{0:00} relay postfix/cleanup[{1}]: 4Ab{1}: message-id=<{1}@example.net>",
        ];
        string[] alerts =
        [
            "Nov 28 12:00:{0:00} relay postfix/smtp[{1}]: 4Ab{1}: to=<u@nm.example.net>, relay=mx1.example.net[192.0.2.1]:25, delay=0.04, delays=0.01/0.02/0.02/0, dsn=4.7.5, status=deferred (Server certificate not verified)",
            "Nov 28 12:00:{0:00} relay postfix/smtp[{1}]: server certificate verification failed for mx1.example.net[192.0.2.1]:25: num=62:hostname mismatch",
            "Nov 28 12:00:{0:00} relay postfix/smtpd[{1}]: SSL_accept error from client.example[192.0.2.9]: -1",
        ];
        var sb = new StringBuilder();
        for (int i = 0; i < Lines; i++)
        {
            string format = i % 50 == 0 ? alerts[(i / 50) % alerts.Length] : normal[i % normal.Length];
            sb.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, format, i % 60, 1000 + (i % 9000)).Append('\n');
        }

        _log = sb.ToString();
        if (Scanner() != Lines / 50 || RegexBaseline() != Lines / 50)
        {
            throw new InvalidOperationException($"expected {Lines / 50} alerts: scanner {Scanner()}, regex {RegexBaseline()}");
        }
    }

    [GeneratedRegex(@"postfix/smtpd?\[\d+\]: (?:.*status=deferred \((?:Server certificate not verified|Cannot start TLS|TLS is required)|(?:server |CA )?certificate verification failed for |SSL_accept error from )")]
    private static partial Regex AlertLine();

    [Benchmark(Baseline = true, Description = "ReadLine + one compiled regex per line (finds lines only)")]
    public int RegexBaseline()
    {
        int n = 0;
        using var reader = new StringReader(_log);
        while (reader.ReadLine() is { } line)
        {
            n += AlertLine().IsMatch(line) ? 1 : 0;
        }

        return n;
    }

    [Benchmark(Description = "PostfixTlsLogScanner (typed events with every field)")]
    public int Scanner()
    {
        int n = 0;
        using var reader = new StringReader(_log);
        var scanner = new PostfixTlsLogScanner(reader);
        while (scanner.TryReadNext(out _))
        {
            n++;
        }

        return n;
    }
}
