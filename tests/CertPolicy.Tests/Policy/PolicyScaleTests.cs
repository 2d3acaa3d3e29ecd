using System.Text;
using CertPolicy.Policy;

namespace CertPolicy.Tests.Policy;

/// <summary>The live-heap measurement of <see cref="PolicyScaleTests"/> reads the process-wide heap
/// (<c>GC.GetTotalMemory</c>): nothing else may run beside it (a parallel test's live objects counted 4.2 x once in CI).</summary>
[CollectionDefinition(nameof(ProcessHeapCollection), DisableParallelization = true)]
public sealed class ProcessHeapCollection
{
}

/// <summary>Issue 14: parse and lint are linear with memory bounded by the input (bytes counted, never time).</summary>
[Collection(nameof(ProcessHeapCollection))]
public class PolicyScaleTests
{
    // The table of benchmarks/make-policy-table.sh (the same ten entry shapes, comments and continuation lines).
    internal static byte[] Table(int entries)
    {
        var sb = new StringBuilder();
        for (int n = 0; n < entries; n++)
        {
            string d = $"partner{n}.example.com";
            sb.Append((n % 10) switch
            {
                0 => $"# partner {n}\n{d} secure match=.{d} ciphers=high protocols=>=TLSv1.2",
                1 => $".{d}\tsecure match=.{d}\n    ciphers=high\n    protocols=>=TLSv1.2",
                2 => $"[mx{n}.example.net]:587 encrypt protocols=>=TLSv1.2",
                3 => $"{d} verify match=hostname:nexthop ciphers=high protocols=>=TLSv1.2",
                4 => $"{d} may",
                5 => $"{d} secure, match=nexthop:dot-nexthop, ciphers=high, protocols=>=TLSv1.2",
                6 => $"{d} encrypt ciphers=high exclude=aNULL:3DES protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1",
                7 => $"[{d}] secure match=.{d}:mail.{d} ciphers=high protocols=>=TLSv1.2",
                8 => $"{d} dane-only",
                _ => $"{d} secure match=.{d} ciphers=high protocols=>=TLSv1.2 servername=hostname",
            }).Append('\n');
        }

        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static (long Allocated, PolicyParseResult Result, int Findings) ParseAndLint(byte[] table)
    {
        using var stream = new MemoryStream(table);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var r = PolicyMap.ParseUtf8(stream, "t", long.MaxValue, out _)!;
        int findings = PolicyLinter.Lint(r.Map, ["partner5.example.com"]).Count;
        return (GC.GetAllocatedBytesForCurrentThread() - before, r, findings);
    }

    [Fact]
    public void Parse_and_lint_allocate_a_bounded_multiple_of_the_input_and_grow_linearly()
    {
        _ = ParseAndLint(Table(2_000)); // warm up (cipher tables, JIT)
        var small = Table(20_000);
        var large = Table(80_000);
        var (a1, r1, f1) = ParseAndLint(small);
        var (a2, r2, f2) = ParseAndLint(large);
        Assert.Equal((20_000, 80_000), (r1.Map.Count, r2.Map.Count));
        Assert.False(r2.HasErrors);
        Assert.Equal((0, 0), (f1, f2));

        // Everything allocated, garbage included (the transient policies the linter parses); what stays live is far
        // less (next test, and the process peak in benchmarks/README.md).
        double perByte1 = (double)a1 / small.Length, perByte2 = (double)a2 / large.Length;
        Assert.True(perByte2 <= 24, $"allocated {perByte2:F1} bytes per input byte");

        // Linear: four times the input costs about four times the bytes (a quadratic step would be 16 x).
        Assert.InRange(perByte2 / perByte1, 0.8, 1.25);
    }

    [Fact]
    public void The_live_map_holds_no_copy_of_the_input_and_no_policy_per_distinct_entry()
    {
        var table = Table(40_000);
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var (_, r, _) = ParseAndLint(table);
        long live = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(r);

        // Per entry the key string, the value as UTF-8, the entry object and an index slot (2.69 x measured, about 235
        // bytes for an 88-byte line; 3.4 x before the key index and UTF-8 values); no input copy, no policies.
        Assert.True(live <= 3.0 * table.Length, $"live map is {(double)live / table.Length:F2} x the input");
    }

    [Fact]
    public void An_endless_stream_is_refused_at_the_cap()
    {
        using var stream = new MemoryStream(Table(10_000));
        Assert.Null(PolicyMap.ParseUtf8(stream, "t", 1000, out bool tooLarge));
        Assert.True(tooLarge);
    }
}
