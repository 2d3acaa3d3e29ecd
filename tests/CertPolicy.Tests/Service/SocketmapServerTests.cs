using System.Net;
using System.Net.Sockets;
using CertPolicy.Policy;
using CertPolicy.Tests.Policy;
using CertPolicy.Tests.Support;
using CertPolicy.Service;

namespace CertPolicy.Tests.Service;

/// <summary>
/// The socketmap server on 127.0.0.1 (port 0), with raw clients and with REAL Postfix <c>postmap -q</c> as the
/// client (<c>socketmap:inet:127.0.0.1:PORT:tls_policy</c>, a private MAIL_CONFIG). Every network wait has a timeout.
/// </summary>
public class SocketmapServerTests
{
    internal const string Table = """
        partner.example   secure match=nexthop:dot-nexthop ciphers=high
        .example.net      verify
        Mixed.Example     encrypt protocols=>=TLSv1.2
        [mx.partner.example]:587  fingerprint match=AB:CD:EF
        bad.example       secure foo=bar
        none.example      none ciphers=high
        """;

    [Fact(Timeout = 60_000)]
    public async Task Postmap_q_gets_the_served_value_and_notfound_and_errors_as_postmap_reports_them()
    {
        await using var server = new RunningServer(Table);
        string map = "socketmap:inet:127.0.0.1:" + server.Port + ":tls_policy";
        await Task.Run(() =>
        {
            var postmap = Tool.Require("postmap", "postfix");
            using var dir = new TempDir();
            var env = PostmapDifferentialTests.MailConfig(dir);

            var found = Tool.Run(postmap, ["-q", "partner.example", map], env: env, timeoutMs: 30_000);
            Assert.True(found.ExitCode == 0, found.Stderr);
            Assert.Equal("secure match=nexthop:dot-nexthop ciphers=high\n", found.Stdout);

            // The socketmap client does not fold keys (a pattern table): the server ignores ASCII case as the table does.
            var upper = Tool.Run(postmap, ["-q", "PARTNER.Example", map], env: env, timeoutMs: 30_000);
            Assert.Equal("secure match=nexthop:dot-nexthop ciphers=high\n", upper.Stdout);

            // Verbatim keys only: smtp(8) asks ".example.net" itself; "sub.example.net" is NOTFOUND, as with postmap -q hash:.
            Assert.Equal("verify\n", Tool.Run(postmap, ["-q", ".example.net", map], env: env).Stdout);
            var sub = Tool.Run(postmap, ["-q", "sub.example.net", map], env: env, timeoutMs: 30_000);
            Assert.Equal(1, sub.ExitCode);
            Assert.Equal(string.Empty, sub.Stdout + sub.Stderr);

            // Canonical form; ignored attributes (level none) are dropped.
            Assert.Equal("fingerprint match=AB:CD:EF\n", Tool.Run(postmap, ["-q", "[mx.partner.example]:587", map], env: env).Stdout);
            Assert.Equal("none\n", Tool.Run(postmap, ["-q", "none.example", map], env: env).Stdout);

            // Invalid entry: TEMP, which Postfix treats as a table error (smtp(8) defers: fail closed).
            var bad = Tool.Run(postmap, ["-q", "bad.example", map], env: env, timeoutMs: 30_000);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Equal(string.Empty, bad.Stdout);
            Assert.Contains("socketmap server temporary error: invalid policy entry", bad.Stderr, StringComparison.Ordinal);

            // Unknown map name: PERM.
            var other = Tool.Run(postmap, ["-q", "partner.example", "socketmap:inet:127.0.0.1:" + server.Port + ":other"], env: env, timeoutMs: 30_000);
            Assert.NotEqual(0, other.ExitCode);
            Assert.Contains("socketmap server permanent error: unknown map", other.Stderr, StringComparison.Ordinal);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Socketmap_answers_equal_postmap_q_on_a_hash_table_of_the_canonical_entries()
    {
        // Differential: the valid entries written in canonical form, built by postmap into hash:, then every key
        // (and keys that are not there) asked of both. postmap -q - sends all keys over one socketmap connection.
        const string valid = """
            partner.example   secure match=nexthop:dot-nexthop ciphers=high
            .example.net      verify
            Mixed.Example     encrypt protocols=>=TLSv1.2
            [mx.partner.example]:587  fingerprint match=AB:CD:EF
            [10.1.2.3]        may
            .net              encrypt
            """;
        string[] keys =
        [
            "partner.example", "PARTNER.EXAMPLE", ".example.net", "example.net", "a.example.net", "mixed.example", "MIXED.EXAMPLE",
            "[mx.partner.example]:587", "[mx.partner.example]", "mx.partner.example", "[10.1.2.3]", "10.1.2.3", ".net", "net", "nothing",
        ];
        await using var server = new RunningServer(valid);
        await Task.Run(() =>
        {
            var postmap = Tool.Require("postmap", "postfix");
            using var dir = new TempDir();
            var env = PostmapDifferentialTests.MailConfig(dir);
            var file = dir.File("canonical", PolicyMap.Parse(valid, "t").Map.Format());
            Assert.Equal(0, Tool.Run(postmap, [file], env: env).ExitCode);

            string input = string.Join('\n', keys) + "\n";
            var hash = Tool.Run(postmap, ["-q", "-", "hash:" + file], stdin: input, env: env, timeoutMs: 30_000);
            var socket = Tool.Run(postmap, ["-q", "-", "socketmap:inet:127.0.0.1:" + server.Port + ":tls_policy"], stdin: input, env: env, timeoutMs: 30_000);
            Assert.True(socket.Stderr.Length == 0, socket.Stderr);
            Assert.Equal(hash.ExitCode, socket.ExitCode);

            // postmap prints "key<TAB>value" per key found; the key is echoed as given.
            Assert.Equal(hash.Stdout, socket.Stdout);
            Assert.Equal(8, hash.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        });
        Assert.Equal(keys.Length, server.Server.Requests);
    }

    [Fact(Timeout = 60_000)]
    public async Task Many_requests_on_one_connection_one_by_one_and_pipelined()
    {
        await using var server = new RunningServer(Table);
        using var client = await SocketmapTestClient.ConnectAsync(server.Port);
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal("OK verify", await client.LookupAsync("tls_policy .example.net"));
            Assert.Equal("NOTFOUND ", await client.LookupAsync("tls_policy host" + i + ".example.org"));
        }

        // 200 requests in one write; the replies come back in order.
        var many = new MemoryStream();
        for (int i = 0; i < 200; i++)
        {
            many.Write(Netstring.Encode(Encoding.UTF8.GetBytes(i % 2 == 0 ? "tls_policy partner.example" : "tls_policy nothing" + i)));
        }

        await client.SendAsync(many.ToArray());
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(i % 2 == 0 ? "OK secure match=nexthop:dot-nexthop ciphers=high" : "NOTFOUND ", await client.ReadReplyAsync());
        }

        Assert.Equal(1200, server.Server.Requests);
    }

    public static TheoryData<string, string, string?> Garbage => new()
    {
        // description, bytes sent (Latin-1), reply expected before the close (null: closed without a reply)
        { "HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "PERM malformed request" },
        { "missing comma", "26:tls_policy partner.exampleX", "PERM malformed request" },
        { "non-digit length", "2x:ab,", "PERM malformed request" },
        { "leading zero", "05:a b c,", "PERM malformed request" },
        { "empty length", ":,", "PERM malformed request" },
        { "TLS ClientHello", "\u0016\u0003\u0001\u0002\u0000\u0001", "PERM malformed request" },
        { "oversized length", "100001:", null },
        { "absurd length", "99999999999999999999:", null },
        { "truncated, then the client closes", "26:tls_policy part", null },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_gets_an_error_or_a_close_and_other_clients_are_still_served(string description, string sent, string? reply)
    {
        await using var server = new RunningServer(Table);
        using var healthy = await SocketmapTestClient.ConnectAsync(server.Port);
        Assert.Equal("OK verify", await healthy.LookupAsync("tls_policy .example.net"));

        using (var bad = await SocketmapTestClient.ConnectAsync(server.Port))
        {
            await bad.SendAsync(Encoding.Latin1.GetBytes(sent));
            if (description.StartsWith("truncated", StringComparison.Ordinal))
            {
                bad.Dispose(); // the server sees EOF inside a request
            }
            else
            {
                Assert.True(reply == await bad.ReadReplyAsync(), description);
                Assert.Null(await bad.ReadReplyAsync()); // and then the connection is closed
            }
        }

        // The server goes on: the open connection and a new one are both served.
        Assert.Equal("OK verify", await healthy.LookupAsync("tls_policy .example.net"));
        using var fresh = await SocketmapTestClient.ConnectAsync(server.Port);
        Assert.Equal("NOTFOUND ", await fresh.LookupAsync("tls_policy x"));
        Assert.False(server.Run.IsCompleted);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("no space", "tls_policy", "PERM malformed request")]
    [InlineData("empty map name", " partner.example", "PERM malformed request")]
    [InlineData("unknown map", "other partner.example", "PERM unknown map")]
    [InlineData("map name is case-sensitive", "TLS_POLICY partner.example", "PERM unknown map")]
    [InlineData("empty key", "tls_policy ", "NOTFOUND ")]
    [InlineData("key with a space is one key", "tls_policy partner.example x", "NOTFOUND ")]
    [InlineData("invalid entry", "tls_policy bad.example", "TEMP invalid policy entry")]
    [InlineData("control bytes in the key", "tls_policy \u0000\u0001", "NOTFOUND ")]
    public async Task A_well_framed_bad_request_gets_a_reply_and_the_connection_stays_open(string description, string request, string reply)
    {
        await using var server = new RunningServer(Table);
        using var client = await SocketmapTestClient.ConnectAsync(server.Port);
        Assert.True(reply == await client.LookupAsync(request), description);
        Assert.Equal("OK secure match=nexthop:dot-nexthop ciphers=high", await client.LookupAsync("tls_policy partner.example"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_key_that_is_not_UTF8_is_not_found_and_the_connection_stays_open()
    {
        await using var server = new RunningServer(Table);
        using var client = await SocketmapTestClient.ConnectAsync(server.Port);
        await client.SendAsync(Netstring.Encode([.. "tls_policy partner"u8, 0xFF, .. ".example"u8]));
        Assert.Equal("NOTFOUND ", await client.ReadReplyAsync());
        Assert.Equal("OK verify", await client.LookupAsync("tls_policy .example.net"));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_idle_or_stalled_connection_is_closed_after_the_timeout()
    {
        await using var server = new RunningServer(Table, new SocketmapServerOptions { Timeout = TimeSpan.FromSeconds(1) });
        using var idle = await SocketmapTestClient.ConnectAsync(server.Port);
        using var stalled = await SocketmapTestClient.ConnectAsync(server.Port);
        await stalled.SendAsync("26:tls_policy part"u8.ToArray()); // and nothing more
        Assert.Null(await idle.ReadReplyAsync(timeoutSeconds: 15));
        Assert.Null(await stalled.ReadReplyAsync(timeoutSeconds: 15));
        await WaitUntil(() => server.Server.ActiveConnections == 0);
    }

    [Fact(Timeout = 60_000)]
    public async Task Connections_beyond_max_clients_are_closed_unread_and_a_freed_slot_is_used_again()
    {
        await using var server = new RunningServer(Table, new SocketmapServerOptions { MaxClients = 2 });
        using var first = await SocketmapTestClient.ConnectAsync(server.Port);
        var second = await SocketmapTestClient.ConnectAsync(server.Port);
        Assert.Equal("OK verify", await first.LookupAsync("tls_policy .example.net"));
        Assert.Equal("OK verify", await second.LookupAsync("tls_policy .example.net"));

        using (var third = await SocketmapTestClient.ConnectAsync(server.Port))
        {
            await third.SendRequestAsync("tls_policy .example.net");
            Assert.Null(await third.ReadReplyAsync());
        }

        Assert.Equal(1, server.Server.RefusedConnections);
        Assert.Contains(server.Log, l => l.Contains("2 clients already connected", StringComparison.Ordinal));

        second.Dispose();
        await WaitUntil(() => server.Server.ActiveConnections == 1);
        using var fourth = await SocketmapTestClient.ConnectAsync(server.Port);
        Assert.Equal("OK verify", await fourth.LookupAsync("tls_policy .example.net"));
        Assert.Equal("OK verify", await first.LookupAsync("tls_policy .example.net"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Sixteen_concurrent_clients_each_get_their_own_answers()
    {
        await using var server = new RunningServer(Table);
        var clients = Enumerable.Range(0, 16).Select(async i =>
        {
            using var c = await SocketmapTestClient.ConnectAsync(server.Port);
            for (int j = 0; j < 100; j++)
            {
                Assert.Equal(i % 2 == 0 ? "OK verify" : "NOTFOUND ", await c.LookupAsync(i % 2 == 0 ? "tls_policy .example.net" : "tls_policy n" + i + "x" + j));
            }
        });
        await Task.WhenAll(clients);
        Assert.Equal(1600, server.Server.Requests);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancellation_closes_open_connections_and_stops_listening()
    {
        var server = new RunningServer(Table);
        await using (server)
        {
            using var client = await SocketmapTestClient.ConnectAsync(server.Port);
            Assert.Equal("OK verify", await client.LookupAsync("tls_policy .example.net"));
            await server.StopAsync();
            Assert.Null(await client.ReadReplyAsync());
            Assert.Equal(0, server.Server.ActiveConnections);
        }

        using var refused = new TcpClient(AddressFamily.InterNetwork);
        await Assert.ThrowsAnyAsync<SocketException>(async () => await refused.ConnectAsync(IPAddress.Loopback, server.Port));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_handler_exception_is_a_TEMP_reply_and_the_server_goes_on()
    {
        await using var server = new RunningServer(Table, handler: new ThrowingHandler());
        using var client = await SocketmapTestClient.ConnectAsync(server.Port);
        Assert.Equal("TEMP internal error", await client.LookupAsync("tls_policy boom"));
        Assert.Equal("NOTFOUND ", await client.LookupAsync("tls_policy quiet"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Another_policy_source_is_asked_only_for_keys_the_table_does_not_have()
    {
        var source = new FixedSource();
        await using var server = new RunningServer(Table, others: [source]);
        using var client = await SocketmapTestClient.ConnectAsync(server.Port);
        Assert.Equal("OK verify", await client.LookupAsync("tls_policy .example.net"));
        Assert.Equal("TEMP invalid policy entry", await client.LookupAsync("tls_policy bad.example"));
        Assert.Equal("OK secure match=mx.sts.example", await client.LookupAsync("tls_policy sts.example"));
        Assert.Equal("NOTFOUND ", await client.LookupAsync("tls_policy other.example"));
        Assert.Equal(["sts.example", "other.example"], source.Asked.ToArray());
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "condition not reached within 10 s");
    }

    private sealed class ThrowingHandler : ISocketmapHandler
    {
        public SocketmapReply Lookup(string mapName, string key) =>
            key == "boom" ? throw new InvalidOperationException("boom") : SocketmapReply.NotFound;
    }

    private sealed class FixedSource : IPolicySource
    {
        internal System.Collections.Concurrent.ConcurrentQueue<string> Asked { get; } = new();

        public SocketmapReply? Find(string key)
        {
            Asked.Enqueue(key);
            return key == "sts.example" ? new SocketmapReply(SocketmapStatus.Ok, "secure match=mx.sts.example") : null;
        }
    }
}
