namespace CertPolicy.Policy;

/// <summary>
/// Compares table keys as Postfix's fixed-string tables do after case folding (<c>casefold()</c> with
/// smtputf8_enable=yes, <c>lowcase()</c> for ASCII): ordinal, ignoring case with Unicode simple case
/// mapping (full folding such as "ß" = "ss" is not modelled). Supports allocation-free look-ups by span.
/// </summary>
internal sealed class AsciiKeyComparer : IEqualityComparer<string>, IAlternateEqualityComparer<ReadOnlySpan<char>, string>
{
    internal static readonly AsciiKeyComparer Instance = new();

    public bool Equals(string? x, string? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && string.Equals(x, y, StringComparison.OrdinalIgnoreCase));

    public int GetHashCode(string obj) => string.GetHashCode(obj, StringComparison.OrdinalIgnoreCase);

    public bool Equals(ReadOnlySpan<char> alternate, string other) => alternate.Equals(other, StringComparison.OrdinalIgnoreCase);

    public int GetHashCode(ReadOnlySpan<char> alternate) => string.GetHashCode(alternate, StringComparison.OrdinalIgnoreCase);

    public string Create(ReadOnlySpan<char> alternate) => alternate.ToString();
}
