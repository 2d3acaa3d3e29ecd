using System.Globalization;
using System.Text;

namespace CertPolicy.Messaging;

/// <summary>What a published OpenPGP identifier names (values are API: never renumbered).</summary>
public enum PublishedKeyIdentifierKind
{
    /// <summary>8 hex digits: the low 32 bits of the key ID (forgeable; "short key ID").</summary>
    ShortKeyId = 1,

    /// <summary>16 hex digits: the 64-bit key ID.</summary>
    LongKeyId = 2,

    /// <summary>40 hex digits: a v4 (SHA-1) fingerprint.</summary>
    V4Fingerprint = 3,

    /// <summary>64 hex digits: a v6 (SHA-256) fingerprint.</summary>
    V6Fingerprint = 4,
}

/// <summary>
/// A fingerprint or key ID as a partner publishes it (R-G3), in any common spelling: groups
/// separated by spaces or colons, a <c>0x</c> prefix, any case. The Audi document prints
/// <c>4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 87381923</c> and the key ID <c>87 38 19 23</c>.
/// </summary>
public readonly struct PublishedKeyIdentifier : IEquatable<PublishedKeyIdentifier>
{
    private PublishedKeyIdentifier(PublishedKeyIdentifierKind kind, string hex)
    {
        Kind = kind;
        Hex = hex;
    }

    /// <summary>What the identifier names.</summary>
    public PublishedKeyIdentifierKind Kind { get; }

    /// <summary>The hex digits in upper case, without separators.</summary>
    public string Hex { get; }

    /// <summary>True for fingerprints, false for key IDs (which R-G3 does not accept as proof on their own).</summary>
    public bool IsFingerprint => Kind is PublishedKeyIdentifierKind.V4Fingerprint or PublishedKeyIdentifierKind.V6Fingerprint;

    /// <summary>
    /// Parses a published fingerprint or key ID. Never throws: white space, <c>:</c> and <c>-</c>
    /// separate groups, each group may carry a <c>0x</c> prefix; the digits must number 8, 16, 40 or 64.
    /// </summary>
    /// <param name="text">The published value.</param>
    /// <param name="identifier">The parsed identifier (default on failure).</param>
    /// <param name="error">Why the text is not an identifier; <see langword="null"/> on success.</param>
    /// <returns><see langword="true"/> when the text is a key ID or fingerprint.</returns>
    public static bool TryParse(string? text, out PublishedKeyIdentifier identifier, out string? error)
    {
        identifier = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the published fingerprint is empty";
            return false;
        }

        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is ' ' or '\t' or ':' or '-' or '\u00A0')
            {
                i++;
                continue;
            }

            bool groupStart = i == 0 || text[i - 1] is ' ' or '\t' or ':' or '-' or '\u00A0';
            if (groupStart && c == '0' && i + 1 < text.Length && (text[i + 1] == 'x' || text[i + 1] == 'X'))
            {
                i += 2;
                continue;
            }

            if (!char.IsAsciiHexDigit(c))
            {
                error = "'" + c + "' at position " + (i + 1).ToString(CultureInfo.InvariantCulture) + " of the published fingerprint is not a hex digit";
                return false;
            }

            sb.Append(char.ToUpperInvariant(c));
            i++;
        }

        string hex = sb.ToString();
        PublishedKeyIdentifierKind kind;
        switch (hex.Length)
        {
            case 8: kind = PublishedKeyIdentifierKind.ShortKeyId; break;
            case 16: kind = PublishedKeyIdentifierKind.LongKeyId; break;
            case 40: kind = PublishedKeyIdentifierKind.V4Fingerprint; break;
            case 64: kind = PublishedKeyIdentifierKind.V6Fingerprint; break;
            default:
                error = "the published value has " + hex.Length.ToString(CultureInfo.InvariantCulture)
                    + " hex digits; a key ID has 8 or 16, a v4 fingerprint 40, a v6 fingerprint 64";
                return false;
        }

        identifier = new PublishedKeyIdentifier(kind, hex);
        error = null;
        return true;
    }

    /// <summary>True when this identifier names <paramref name="key"/> (by fingerprint, or by key ID for the ID kinds).</summary>
    /// <param name="key">A primary key or subkey.</param>
    /// <returns>Whether the key matches.</returns>
    public bool Matches(OpenPgpKeyInfo key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Kind switch
        {
            PublishedKeyIdentifierKind.ShortKeyId => string.Equals(key.KeyIdHex[8..], Hex, StringComparison.Ordinal),
            PublishedKeyIdentifierKind.LongKeyId => string.Equals(key.KeyIdHex, Hex, StringComparison.Ordinal),
            PublishedKeyIdentifierKind.V4Fingerprint or PublishedKeyIdentifierKind.V6Fingerprint => string.Equals(key.Fingerprint, Hex, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>The identifier in the spelling GnuPG prints: groups of four hex digits.</summary>
    /// <returns>The grouped hex digits, or an empty string for the default value.</returns>
    public override string ToString()
    {
        if (Hex is null)
        {
            return string.Empty;
        }

        var sb = new StringBuilder(Hex.Length + (Hex.Length / 4));
        for (int i = 0; i < Hex.Length; i += 4)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            sb.Append(Hex.AsSpan(i, Math.Min(4, Hex.Length - i)));
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public bool Equals(PublishedKeyIdentifier other) => Kind == other.Kind && string.Equals(Hex, other.Hex, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PublishedKeyIdentifier other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Hex is null ? 0 : StringComparer.Ordinal.GetHashCode(Hex));

    /// <summary>Equality by kind and digits.</summary>
    /// <param name="left">The left value.</param>
    /// <param name="right">The right value.</param>
    /// <returns>Whether both are equal.</returns>
    public static bool operator ==(PublishedKeyIdentifier left, PublishedKeyIdentifier right) => left.Equals(right);

    /// <summary>Inequality by kind and digits.</summary>
    /// <param name="left">The left value.</param>
    /// <param name="right">The right value.</param>
    /// <returns>Whether both differ.</returns>
    public static bool operator !=(PublishedKeyIdentifier left, PublishedKeyIdentifier right) => !left.Equals(right);
}
