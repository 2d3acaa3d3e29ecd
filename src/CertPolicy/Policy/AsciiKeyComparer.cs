namespace CertPolicy.Policy;

/// <summary>
/// Compares table keys as Postfix's fixed-string tables do after <c>lowcase()</c>: ASCII letters
/// fold, nothing else does (no Unicode case folding). Supports allocation-free look-ups by span.
/// </summary>
internal sealed class AsciiKeyComparer : IEqualityComparer<string>, IAlternateEqualityComparer<ReadOnlySpan<char>, string>
{
    internal static readonly AsciiKeyComparer Instance = new();

    public bool Equals(string? x, string? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && Ascii.EqualsIgnoreCase(x, y));

    // OrdinalIgnoreCase folds a superset of what ASCII folding folds, so ASCII-equal keys always
    // hash alike; the rare extra collisions are resolved by Equals.
    public int GetHashCode(string obj) => string.GetHashCode(obj, StringComparison.OrdinalIgnoreCase);

    public bool Equals(ReadOnlySpan<char> alternate, string other) => Ascii.EqualsIgnoreCase(alternate, other);

    public int GetHashCode(ReadOnlySpan<char> alternate) => string.GetHashCode(alternate, StringComparison.OrdinalIgnoreCase);

    public string Create(ReadOnlySpan<char> alternate) => alternate.ToString();
}
