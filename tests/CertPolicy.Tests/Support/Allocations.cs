namespace CertPolicy.Tests.Support;

/// <summary>Allocation counting for the zero-allocation tests (deterministic, never time).</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes the current thread allocated over up to <paramref name="rounds"/> runs of <paramref name="body"/>
    /// (stops at the first round that allocates nothing). The runtime itself may allocate once on the test thread under
    /// load (24 bytes seen in a CI run: tiered compilation or a timer), which is not the code under test's; an allocation
    /// the body makes on every call shows in every round, so the minimum still catches it.
    /// </summary>
    /// <param name="rounds">How many rounds at most (at least 1).</param>
    /// <param name="body">One round: the loop over the calls under test.</param>
    /// <returns>The fewest bytes of any round.</returns>
    internal static long Fewest(int rounds, Action body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        long fewest = long.MaxValue;
        for (int round = 0; round < rounds && fewest != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            body();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
