using System.Collections.Immutable;
using System.Text;

namespace CertPolicy.Policy;

/// <summary>
/// The parsed value of one <c>tls_policy</c> entry: a level and the attributes Postfix 3.7 accepts
/// (postfix-tls.md 1.5). Immutable. Produced by <see cref="TlsPolicy.TryParse"/> or
/// <see cref="PolicyMap"/>; attribute values are kept as written (grades, protocol lists and
/// exclusions are interpreted by the TLS layer, as Postfix interprets them only at handshake time).
/// </summary>
public sealed class TlsPolicy : IEquatable<TlsPolicy>
{
    internal TlsPolicy(
        SecurityLevel level,
        ImmutableArray<string> match,
        string? ciphers,
        string? protocols,
        string? exclude,
        ImmutableArray<string> trustAnchorFiles,
        string? serverName,
        bool? connectionReuse,
        ImmutableArray<string> ignoredAttributes)
    {
        Level = level;
        Match = match;
        Ciphers = ciphers;
        Protocols = protocols;
        Exclude = exclude;
        TrustAnchorFiles = trustAnchorFiles;
        ServerName = serverName;
        ConnectionReuse = connectionReuse;
        IgnoredAttributes = ignoredAttributes;
    }

    /// <summary>The security level (first token).</summary>
    public SecurityLevel Level { get; }

    /// <summary>
    /// The <c>match=</c> elements, every <c>match=</c> attribute concatenated in order. At
    /// <c>verify</c>/<c>secure</c> the elements were split at <c>:</c>; at <c>fingerprint</c> at <c>|</c>.
    /// Empty when the level's default applies.
    /// </summary>
    public ImmutableArray<string> Match { get; }

    /// <summary>The <c>ciphers=</c> grade as written, or null (main.cf default).</summary>
    public string? Ciphers { get; }

    /// <summary>The <c>protocols=</c> list as written (may be empty: no restriction), or null (main.cf default).</summary>
    public string? Protocols { get; }

    /// <summary>The <c>exclude=</c> list as written (may be empty: clears main.cf exclusions), or null.</summary>
    public string? Exclude { get; }

    /// <summary>The <c>tafile=</c> paths in order. Not opened by the library (Postfix loads them at look-up time).</summary>
    public ImmutableArray<string> TrustAnchorFiles { get; }

    /// <summary>The <c>servername=</c> SNI value, or null.</summary>
    public string? ServerName { get; }

    /// <summary>The <c>connection_reuse=</c> value, or null when not given.</summary>
    public bool? ConnectionReuse { get; }

    /// <summary>Tokens Postfix ignores with a warning (every attribute at level <c>none</c>).</summary>
    public ImmutableArray<string> IgnoredAttributes { get; }

    /// <summary>
    /// Parses a policy value (everything after the key) with Postfix 3.7's rules
    /// (<c>smtp_tls_policy.c</c>): tokens split at commas and whitespace, the level first, then
    /// <c>name=value</c> attributes. Never throws on data.
    /// </summary>
    /// <param name="value">The value text.</param>
    /// <param name="policy">The policy when valid.</param>
    /// <param name="error">Why the value is invalid, and the 0-based offset in <paramref name="value"/> of the token at fault.</param>
    public static bool TryParse(string value, out TlsPolicy? policy, out (string Code, string Message, int Offset) error)
    {
        ArgumentNullException.ThrowIfNull(value);
        return PolicyValueParser.TryParse(value, out policy, out error);
    }

    /// <summary>
    /// The canonical value text: level, then <c>match</c>, <c>ciphers</c>, <c>protocols</c>,
    /// <c>exclude</c>, <c>tafile</c>, <c>servername</c>, <c>connection_reuse</c>, single spaces.
    /// Ignored attributes are dropped (they have no effect).
    /// </summary>
    public string ToCanonicalString()
    {
        var sb = new StringBuilder(Level.ToPostfixName());
        if (!Match.IsEmpty)
        {
            sb.Append(" match=").AppendJoin(Level == SecurityLevel.Fingerprint ? '|' : ':', Match);
        }

        Append(sb, "ciphers", Ciphers);
        Append(sb, "protocols", Protocols);
        Append(sb, "exclude", Exclude);
        foreach (var ta in TrustAnchorFiles)
        {
            Append(sb, "tafile", ta);
        }

        Append(sb, "servername", ServerName);
        if (ConnectionReuse is bool reuse)
        {
            Append(sb, "connection_reuse", reuse ? "yes" : "no");
        }

        return sb.ToString();

        static void Append(StringBuilder sb, string name, string? value)
        {
            if (value is not null)
            {
                sb.Append(' ').Append(name).Append('=').Append(value);
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => ToCanonicalString();

    /// <summary>Semantic equality: same level and same attributes (ignored attributes do not count).</summary>
    public bool Equals(TlsPolicy? other) =>
        other is not null
        && Level == other.Level
        && Match.SequenceEqual(other.Match, StringComparer.Ordinal)
        && Ciphers == other.Ciphers
        && Protocols == other.Protocols
        && Exclude == other.Exclude
        && TrustAnchorFiles.SequenceEqual(other.TrustAnchorFiles, StringComparer.Ordinal)
        && ServerName == other.ServerName
        && ConnectionReuse == other.ConnectionReuse;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TlsPolicy);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Level, Match.Length, Ciphers, Protocols, Exclude, ServerName);
}
