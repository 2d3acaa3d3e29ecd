using System.Globalization;

namespace CertPolicy.Cli;

/// <summary>The CLI owns the clock; the library takes the time as a parameter.</summary>
internal static class CliTime
{
    /// <summary>
    /// The time given by an <c>--at</c>-style option (ISO 8601; no offset means UTC), or now when the
    /// option is absent. False when the text is not a date/time.
    /// </summary>
    internal static bool TryParseOrNow(string? text, out DateTimeOffset time)
    {
        if (text is null)
        {
            time = DateTimeOffset.UtcNow;
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }
}
