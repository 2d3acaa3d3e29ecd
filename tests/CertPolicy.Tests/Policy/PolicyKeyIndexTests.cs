using System.Text;
using CertPolicy.Policy;

namespace CertPolicy.Tests.Policy;

/// <summary>The table's key index (Policy/PolicyKeyIndex, open addressing in place of a dictionary, issue 14).</summary>
public class PolicyKeyIndexTests
{
    [Fact]
    public void Every_key_is_found_in_any_case_duplicates_keep_the_first_and_other_keys_miss()
    {
        // Enough keys for several resizes of the slot array; every third key written again later in upper case.
        var sb = new StringBuilder();
        const int n = 5000;
        for (int i = 0; i < n; i++)
        {
            sb.Append("host").Append(i).Append(".example secure match=.example\n");
        }

        for (int i = 0; i < n; i += 3)
        {
            sb.Append("HOST").Append(i).Append(".EXAMPLE none\n");
        }

        var r = PolicyMap.Parse(sb.ToString(), "t");
        Assert.Equal(n, r.Map.Count);
        Assert.Equal((n + 2) / 3, r.Diagnostics.Count(d => d.Code == "duplicate-key"));
        for (int i = 0; i < n; i++)
        {
            Assert.True(r.Map.TryGetExact("Host" + i + ".Example", out var e));
            Assert.Equal("host" + i + ".example", e!.Key);
            Assert.Equal(SecurityLevel.Secure, e.Policy!.Level); // the first value, not the duplicate's "none"
            Assert.Same(e, r.Map.Entries[e.Index]);
        }

        Assert.False(r.Map.TryGetExact("host5000.example", out var missing));
        Assert.Null(missing);
        Assert.False(r.Map.TryGetExact("host1.example.", out _));
        Assert.False(r.Map.TryGetExact(string.Empty, out _));
    }

    [Fact]
    public void A_value_is_kept_as_written_including_non_ASCII_and_control_characters()
    {
        var r = PolicyMap.Parse("a.example secure match=.bücher.example\n  ciphers=high\nb.example secure\u0001x\n", "t");
        Assert.True(r.Map.TryGetExact("a.example", out var a));
        Assert.Equal("secure match=.bücher.example\n  ciphers=high".Replace("\n", string.Empty, StringComparison.Ordinal), a!.RawValue);
        Assert.True(r.Map.TryGetExact("b.example", out var b));
        Assert.Equal("secure\u0001x", b!.RawValue);
    }
}
