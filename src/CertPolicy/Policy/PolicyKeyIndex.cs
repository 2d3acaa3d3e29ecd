using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace CertPolicy.Policy;

/// <summary>
/// The effective entries of one table in source order, and a case-insensitive index of their keys (the comparison of
/// <see cref="AsciiKeyComparer"/>: ordinal, ignoring case). Built once, then read-only and safe to share.
/// </summary>
/// <remarks>
/// Open addressing with linear probing over an <c>int[]</c> of entry positions (load at most one half), instead of a
/// <c>Dictionary&lt;string, PolicyEntry&gt;</c>: a 566 341-entry table (50 MB) held 31 MB of dictionary arrays plus
/// as much again of the arrays each resize left behind on the large-object heap; this index holds 8 MB and leaves
/// 4 MB (issue 14, memory at most 3x the file: benchmarks/README.md, "Large policy tables"). Look-ups by span allocate
/// nothing.
/// </remarks>
internal sealed class PolicyKeyIndex
{
    private PolicyEntry[] _entries = new PolicyEntry[16];
    private int[] _slots = new int[32]; // entry position + 1; 0 = empty
    private int _count;

    /// <summary>Number of entries.</summary>
    internal int Count => _count;

    /// <summary>Adds an entry unless its key is already present.</summary>
    /// <param name="entry">The entry; its <see cref="PolicyEntry.Index"/> is set to its position.</param>
    /// <param name="existing">The entry already holding the key, or null.</param>
    /// <returns>True when added.</returns>
    internal bool TryAdd(PolicyEntry entry, out PolicyEntry? existing)
    {
        int hash = Hash(entry.Key);
        int mask = _slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            int s = _slots[i];
            if (s == 0)
            {
                break;
            }

            if (string.Equals(_entries[s - 1].Key, entry.Key, StringComparison.OrdinalIgnoreCase))
            {
                existing = _entries[s - 1];
                return false;
            }
        }

        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        entry.Index = _count;
        _entries[_count++] = entry;
        if (_count * 2 > _slots.Length)
        {
            _slots = Rehash(_entries, _count, _slots.Length * 2);
        }
        else
        {
            Place(_slots, hash, _count);
        }

        existing = null;
        return true;
    }

    /// <summary>Finds the entry whose key equals <paramref name="key"/> ignoring case. Allocates nothing.</summary>
    /// <param name="key">The key to find.</param>
    /// <param name="entry">The entry, or null.</param>
    /// <returns>True when found.</returns>
    internal bool TryGet(ReadOnlySpan<char> key, out PolicyEntry? entry)
    {
        int mask = _slots.Length - 1;
        for (int i = Hash(key) & mask; ; i = (i + 1) & mask)
        {
            int s = _slots[i];
            if (s == 0)
            {
                entry = null;
                return false;
            }

            if (key.Equals(_entries[s - 1].Key, StringComparison.OrdinalIgnoreCase))
            {
                entry = _entries[s - 1];
                return true;
            }
        }
    }

    /// <summary>Ends the build: the entries array is trimmed to its count and handed over (no copy is kept).</summary>
    /// <returns>The entries in source order.</returns>
    internal ImmutableArray<PolicyEntry> Seal()
    {
        if (_entries.Length != _count)
        {
            Array.Resize(ref _entries, _count);
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(_entries);
    }

    // The same hash for a string and a span (AsciiKeyComparer's): ordinal ignoring case, randomised per process.
    private static int Hash(ReadOnlySpan<char> key) => string.GetHashCode(key, StringComparison.OrdinalIgnoreCase) & int.MaxValue;

    private static void Place(int[] slots, int hash, int position)
    {
        int mask = slots.Length - 1;
        int i = hash & mask;
        while (slots[i] != 0)
        {
            i = (i + 1) & mask;
        }

        slots[i] = position;
    }

    private static int[] Rehash(PolicyEntry[] entries, int count, int size)
    {
        var slots = new int[size];
        for (int p = 0; p < count; p++)
        {
            Place(slots, Hash(entries[p].Key), p + 1);
        }

        return slots;
    }
}
