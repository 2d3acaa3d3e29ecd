using System.Diagnostics;
using System.Text.RegularExpressions;
using CertPolicy.Tests.Policy;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Service;

/// <summary><c>certpolicy serve</c>: argument errors in-process; the service itself as a child process (the CLI built
/// with the tests), asked by real <c>postmap -q</c>, stopped by a real signal.</summary>
public partial class ServeCliTests
{
    public static TheoryData<string, string[], string> BadArguments => new()
    {
        { "host name instead of an address", ["--socketmap", "localhost:10099"], "--socketmap: expected ADDR:PORT" },
        { "no port", ["--socketmap", "127.0.0.1"], "--socketmap: expected ADDR:PORT" },
        { "port out of range", ["--socketmap", "127.0.0.1:70000"], "--socketmap: expected ADDR:PORT" },
        { "IPv6 without brackets", ["--socketmap", "::1:10099"], "--socketmap: expected ADDR:PORT" },
        { "Postfix endpoint syntax", ["--socketmap", "inet:127.0.0.1:10099"], "--socketmap: expected ADDR:PORT" },
        { "map name with a colon", ["--socketmap", "127.0.0.1:0", "--map-name", "a:b"], "--map-name: expected a name" },
        { "map name with a space", ["--socketmap", "127.0.0.1:0", "--map-name", "a b"], "--map-name: expected a name" },
        { "no clients", ["--socketmap", "127.0.0.1:0", "--max-clients", "0"], "--max-clients: expected a number in [1, 10000]" },
        { "zero timeout", ["--socketmap", "127.0.0.1:0", "--timeout", "0"], "--timeout: expected seconds in (0, 3600]" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Unusable_arguments_are_one_line_and_exit_2(string description, string[] args, string message)
    {
        using var dir = new TempDir();
        string table = dir.File("tls_policy", "partner.example secure\n");
        var r = CliRunner.Run(["serve", .. args, "--policy", table]);
        Assert.True(r.Exit == 2, description + ": " + r.Err);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        Assert.Equal(string.Empty, r.Out);
    }

    [Fact]
    public void A_missing_table_or_one_without_a_readable_entry_is_exit_2_before_listening()
    {
        using var dir = new TempDir();
        string missing = Path.Combine(dir.Path, "nope");
        var r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", missing);
        Assert.Equal(2, r.Exit);
        Assert.StartsWith(missing + ": ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", r.Err, StringComparison.Ordinal);

        var latin1 = Path.Combine(dir.Path, "latin1");
        File.WriteAllBytes(latin1, [.. "m"u8, 0xFC, .. "ller.example secure\n"u8]); // Latin-1: Postfix ignores the line
        r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", latin1);
        Assert.Equal(2, r.Exit);
        Assert.Matches(@"^.*latin1:1:\d+: error: ", r.Err);
        Assert.DoesNotContain("listening", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_reports_what_would_be_served_without_listening()
    {
        using var dir = new TempDir();
        string good = dir.File("good", "partner.example secure\n.example.net verify\n");
        var r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", good, "--check");
        Assert.Equal(0, r.Exit);
        Assert.Equal(good + ": 2 entries would be served as map 'tls_policy'\n", r.Out);
        Assert.DoesNotContain("listening", r.Err, StringComparison.Ordinal);

        // The invalid entry (line 5 of the shared table) is answered TEMP: exit 1, named on stderr and in the JSON report.
        string table = dir.File("tls_policy", SocketmapServerTests.Table);
        r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", table, "--check");
        Assert.Equal(1, r.Exit);
        Assert.Contains("6 entries would be served as map 'tls_policy'; 1 invalid, answered TEMP", r.Out, StringComparison.Ordinal);
        Assert.StartsWith(table + ":5:", r.Err, StringComparison.Ordinal);

        r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:0", "--policy", table, "--check", "--format", "json", "--map-name", "partners");
        Assert.Equal(1, r.Exit);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal("partners", root.GetProperty("mapName").GetString());
        Assert.Equal(6, root.GetProperty("entries").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, root.GetProperty("listening").ValueKind);
        var invalid = Assert.Single(root.GetProperty("invalidEntries").EnumerateArray());
        Assert.Equal(5, invalid.GetProperty("line").GetInt32());
        Assert.Equal("TEMP", invalid.GetProperty("answer").GetString());
    }

    [Fact]
    public void The_port_in_use_is_exit_2_with_one_line()
    {
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        int port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        using var dir = new TempDir();
        var r = CliRunner.Run("serve", "--socketmap", "127.0.0.1:" + port, "--policy", dir.File("t", "a.example secure\n"));
        Assert.Equal(2, r.Exit);
        Assert.StartsWith($"certpolicy serve: --socketmap 127.0.0.1:{port}: cannot listen: ", r.Err, StringComparison.Ordinal);
    }

    [Theory(Timeout = 180_000)]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Serves_postmap_until_a_signal_then_exits_0(string signal)
    {
        using var dir = new TempDir();
        string table = dir.File("tls_policy", SocketmapServerTests.Table);
        // Through env --default-signal: a test run started in the background by a non-interactive shell (test.sh under
        // CI, `./test.sh &`) ignores SIGINT, and an ignored signal stays ignored across exec (POSIX), so the service
        // would never see it. The service's own handling is what this test is about, so it starts with default actions.
        var psi = new ProcessStartInfo(Tool.Require("env", "coreutils"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--default-signal=INT,TERM", Tool.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll"), "serve", "--socketmap", "127.0.0.1:0", "--policy", table })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stderr = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetResult(-1);
                return;
            }

            stderr.Enqueue(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            var first = await Task.WhenAny(listening.Task, Task.Delay(TimeSpan.FromSeconds(90)));
            Assert.True(first == listening.Task, "no 'listening on' line within 90 s: " + string.Join('\n', stderr));
            int port = await listening.Task;
            Assert.True(port > 0, "the service ended before listening: " + string.Join('\n', stderr));

            // The invalid entry of the table is reported at start, with its position.
            Assert.Contains(stderr, l => l.StartsWith(table + ":5:", StringComparison.Ordinal) && l.Contains("served as TEMP", StringComparison.Ordinal));

            var env = PostmapDifferentialTests.MailConfig(dir);
            var q = await Task.Run(() => Tool.Run(Tool.Require("postmap", "postfix"), ["-q", "partner.example", "socketmap:inet:127.0.0.1:" + port + ":tls_policy"], env: env, timeoutMs: 30_000));
            Assert.True(q.ExitCode == 0, q.Stderr);
            Assert.Equal("secure match=nexthop:dot-nexthop ciphers=high\n", q.Stdout);

            var kill = Tool.Run(Tool.Require("kill", "procps"), ["-s", signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeoutMs: 10_000);
            Assert.Equal(0, kill.ExitCode);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Equal(string.Empty, await stdout);
            Assert.Contains(stderr, l => l == "certpolicy serve: stopped (1 requests answered)");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // only the process this test started
            }
        }
    }

    [GeneratedRegex(@"^listening on 127\.0\.0\.1:(\d+)$")]
    private static partial Regex Listening();
}
