namespace CertPolicy.Tls;

/// <summary>
/// A TLS (or SSL) protocol version, valued by its wire version number (RFC 8446 4.1.2,
/// <c>legacy_version</c>). DTLS versions are not represented.
/// </summary>
public enum TlsProtocol : ushort
{
    /// <summary>No or an unknown protocol.</summary>
    Unknown = 0,

    /// <summary>SSL 2.0 (wire value 0x0002 in SSLv2 records; represented here as 0x0200). Always refused (R-T4).</summary>
    Ssl2 = 0x0200,

    /// <summary>SSL 3.0. Always refused (R-T4).</summary>
    Ssl3 = 0x0300,

    /// <summary>TLS 1.0 (OpenSSL spelling <c>TLSv1</c>).</summary>
    Tls10 = 0x0301,

    /// <summary>TLS 1.1 (<c>TLSv1.1</c>).</summary>
    Tls11 = 0x0302,

    /// <summary>TLS 1.2 (<c>TLSv1.2</c>).</summary>
    Tls12 = 0x0303,

    /// <summary>TLS 1.3 (<c>TLSv1.3</c>).</summary>
    Tls13 = 0x0304,
}

/// <summary>A set of <see cref="TlsProtocol"/> values as bits (one bit per version).</summary>
[Flags]
public enum TlsProtocolSet : byte
{
    /// <summary>No protocol.</summary>
    None = 0,

    /// <summary>SSL 2.0.</summary>
    Ssl2 = 1,

    /// <summary>SSL 3.0.</summary>
    Ssl3 = 2,

    /// <summary>TLS 1.0.</summary>
    Tls10 = 4,

    /// <summary>TLS 1.1.</summary>
    Tls11 = 8,

    /// <summary>TLS 1.2.</summary>
    Tls12 = 16,

    /// <summary>TLS 1.3.</summary>
    Tls13 = 32,

    /// <summary>Every protocol this library knows.</summary>
    All = Ssl2 | Ssl3 | Tls10 | Tls11 | Tls12 | Tls13,
}

/// <summary>Names and conversions for <see cref="TlsProtocol"/> (OpenSSL spelling).</summary>
internal static class TlsProtocols
{
    /// <summary>The protocols in ascending order.</summary>
    public static ReadOnlySpan<TlsProtocol> Ascending =>
        [TlsProtocol.Ssl2, TlsProtocol.Ssl3, TlsProtocol.Tls10, TlsProtocol.Tls11, TlsProtocol.Tls12, TlsProtocol.Tls13];

    /// <summary>
    /// Parses a protocol name as OpenSSL and Postfix spell it (<c>SSLv2</c>, <c>SSLv3</c>, <c>TLSv1</c>,
    /// <c>TLSv1.1</c>, <c>TLSv1.2</c>, <c>TLSv1.3</c>; ASCII case-insensitive; <c>TLSv1.0</c> is accepted too).
    /// Never throws. Does not accept numeric versions (see <see cref="PostfixProtocols"/> for those).
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="protocol">The protocol, or <see cref="TlsProtocol.Unknown"/>.</param>
    /// <returns><see langword="true"/> if the name is known.</returns>
    public static bool TryParse(ReadOnlySpan<char> name, out TlsProtocol protocol)
    {
        protocol = TlsProtocol.Unknown;
        if (name.Equals("SSLv2", StringComparison.OrdinalIgnoreCase))
        {
            protocol = TlsProtocol.Ssl2;
        }
        else if (name.Equals("SSLv3", StringComparison.OrdinalIgnoreCase))
        {
            protocol = TlsProtocol.Ssl3;
        }
        else if (name.Equals("TLSv1", StringComparison.OrdinalIgnoreCase) || name.Equals("TLSv1.0", StringComparison.OrdinalIgnoreCase))
        {
            protocol = TlsProtocol.Tls10;
        }
        else if (name.Equals("TLSv1.1", StringComparison.OrdinalIgnoreCase))
        {
            protocol = TlsProtocol.Tls11;
        }
        else if (name.Equals("TLSv1.2", StringComparison.OrdinalIgnoreCase))
        {
            protocol = TlsProtocol.Tls12;
        }
        else if (name.Equals("TLSv1.3", StringComparison.OrdinalIgnoreCase))
        {
            protocol = TlsProtocol.Tls13;
        }

        return protocol != TlsProtocol.Unknown;
    }

    /// <summary>The OpenSSL name of a protocol (<c>TLSv1.2</c>), or <c>unknown</c>.</summary>
    /// <param name="protocol">The protocol.</param>
    /// <returns>A constant string; never allocates.</returns>
    public static string ToOpenSslName(TlsProtocol protocol) => protocol switch
    {
        TlsProtocol.Ssl2 => "SSLv2",
        TlsProtocol.Ssl3 => "SSLv3",
        TlsProtocol.Tls10 => "TLSv1",
        TlsProtocol.Tls11 => "TLSv1.1",
        TlsProtocol.Tls12 => "TLSv1.2",
        TlsProtocol.Tls13 => "TLSv1.3",
        _ => "unknown",
    };

    /// <summary>
    /// Converts the protocol <see cref="System.Net.Security.SslStream.SslProtocol"/> reports (one value of
    /// <see cref="System.Security.Authentication.SslProtocols"/>) into a <see cref="TlsProtocol"/>; combined or
    /// unknown values give <see cref="TlsProtocol.Unknown"/>. No allocation.
    /// </summary>
    /// <param name="protocol">The negotiated protocol.</param>
    /// <returns>The protocol.</returns>
    public static TlsProtocol FromSslProtocols(System.Security.Authentication.SslProtocols protocol) => (int)protocol switch
    {
        // Numeric values: the enum members for SSL 2/3 and TLS 1.0/1.1 are obsolete (SYSLIB0039).
        12 => TlsProtocol.Ssl2,
        48 => TlsProtocol.Ssl3,
        192 => TlsProtocol.Tls10,
        768 => TlsProtocol.Tls11,
        3072 => TlsProtocol.Tls12,
        12288 => TlsProtocol.Tls13,
        _ => TlsProtocol.Unknown,
    };

    /// <summary>The set bit of one protocol (<see cref="TlsProtocolSet.None"/> for unknown values).</summary>
    /// <param name="protocol">The protocol.</param>
    /// <returns>The bit.</returns>
    public static TlsProtocolSet ToSet(TlsProtocol protocol) => protocol switch
    {
        TlsProtocol.Ssl2 => TlsProtocolSet.Ssl2,
        TlsProtocol.Ssl3 => TlsProtocolSet.Ssl3,
        TlsProtocol.Tls10 => TlsProtocolSet.Tls10,
        TlsProtocol.Tls11 => TlsProtocolSet.Tls11,
        TlsProtocol.Tls12 => TlsProtocolSet.Tls12,
        TlsProtocol.Tls13 => TlsProtocolSet.Tls13,
        _ => TlsProtocolSet.None,
    };

    /// <summary>The protocols from <paramref name="min"/> to <paramref name="max"/> inclusive.</summary>
    /// <param name="min">The lowest protocol.</param>
    /// <param name="max">The highest protocol.</param>
    /// <returns>The set (empty when <paramref name="min"/> is above <paramref name="max"/>).</returns>
    public static TlsProtocolSet Range(TlsProtocol min, TlsProtocol max)
    {
        var set = TlsProtocolSet.None;
        foreach (var p in Ascending)
        {
            if (p >= min && p <= max)
            {
                set |= ToSet(p);
            }
        }

        return set;
    }
}
