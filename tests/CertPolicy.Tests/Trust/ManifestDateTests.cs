using System.Globalization;
using CertPolicy.Trust;

namespace CertPolicy.Tests.Trust;

/// <summary>
/// The manifest's hand-written date reader (TrustManifestLoader.TryParseDate) against the parser it replaced,
/// <c>DateTimeOffset.TryParseExact</c> with "yyyy-MM-dd" and "yyyy-MM-ddTHH:mm:ssZ", invariant culture, UTC.
/// </summary>
public sealed class ManifestDateTests
{
    private static bool Reference(string s, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(s, ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ssZ"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    [Theory]
    [InlineData("2026-12-05")]
    [InlineData("2024-02-29")]
    [InlineData("2023-02-29")]
    [InlineData("2026-13-01")]
    [InlineData("2026-00-10")]
    [InlineData("2026-04-31")]
    [InlineData("0000-01-01")]
    [InlineData("0001-01-01")]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("2038-01-19T03:14:07Z")]
    [InlineData("2038-01-19T24:00:00Z")]
    [InlineData("2038-01-19T23:60:00Z")]
    [InlineData("2038-01-19T23:59:60Z")]
    [InlineData("2038-01-19T03:14:07")]
    [InlineData("2038-01-19 03:14:07Z")]
    [InlineData("2038-01-19t03:14:07z")]
    [InlineData(" 2026-12-05")]
    [InlineData("2026-12-05 ")]
    [InlineData("2026-1-05")]
    [InlineData("2026/12/05")]
    [InlineData("２０２６-12-05")]
    [InlineData("")]
    [InlineData("none")]
    public void Agrees_with_TryParseExact(string s)
    {
        bool expected = Reference(s, out var want);
        Assert.Equal(expected, TrustManifestLoader.TryParseDate(s, out var got));
        Assert.Equal(want, got);
        Assert.Equal(want.Offset, got.Offset);
    }

    [Fact]
    public void Agrees_with_TryParseExact_on_mutated_dates()
    {
        // Fixed seed: every single-character change of two valid dates, over digits, separators and a few others.
        const string alphabet = "0123456789-:TZtz /+.\u0660";
        foreach (string seed in new[] { "2026-12-05", "2029-02-28T11:59:59Z" })
        {
            for (int i = 0; i < seed.Length; i++)
            {
                foreach (char c in alphabet)
                {
                    string s = seed[..i] + c + seed[(i + 1)..];
                    bool expected = Reference(s, out var want);
                    Assert.True(expected == TrustManifestLoader.TryParseDate(s, out var got), s);
                    Assert.Equal(want, got);
                }
            }
        }
    }
}
