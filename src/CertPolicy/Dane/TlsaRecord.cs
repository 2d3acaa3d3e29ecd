using System.Globalization;
using System.Security.Cryptography;

namespace CertPolicy.Dane;

/// <summary>TLSA certificate usage (RFC 6698 2.1.1, names from RFC 7218).</summary>
internal enum TlsaUsage : byte
{
    /// <summary>PKIX-TA(0): unusable for SMTP (RFC 7672 3.1.3).</summary>
    PkixTa = 0,

    /// <summary>PKIX-EE(1): unusable for SMTP (RFC 7672 3.1.3).</summary>
    PkixEe = 1,

    /// <summary>DANE-TA(2): a trust anchor for the presented chain; names are checked (RFC 7672 3.1.2).</summary>
    DaneTa = 2,

    /// <summary>DANE-EE(3): the server's own certificate or key; no name or validity checks (RFC 7672 3.1.1).</summary>
    DaneEe = 3,
}

/// <summary>TLSA selector (RFC 6698 2.1.2).</summary>
internal enum TlsaSelector : byte
{
    /// <summary>Cert(0): the whole certificate, DER.</summary>
    Certificate = 0,

    /// <summary>SPKI(1): the DER SubjectPublicKeyInfo.</summary>
    SubjectPublicKeyInfo = 1,
}

/// <summary>TLSA matching type (RFC 6698 2.1.3).</summary>
internal enum TlsaMatchingType : byte
{
    /// <summary>Full(0): the selected content itself.</summary>
    Full = 0,

    /// <summary>SHA2-256(1).</summary>
    Sha256 = 1,

    /// <summary>SHA2-512(2).</summary>
    Sha512 = 2,
}

/// <summary>
/// One TLSA record (RFC 6698 2.1): certificate usage, selector, matching type and the association data. Values outside
/// the defined ones are kept (a record with them is unusable, not an error: RFC 6698 4.1, RFC 7671 4).
/// </summary>
/// <param name="Usage">Certificate usage (0..255).</param>
/// <param name="Selector">Selector (0..255).</param>
/// <param name="MatchingType">Matching type (0..255).</param>
/// <param name="Data">The certificate association data.</param>
internal sealed record TlsaRecord(byte Usage, byte Selector, byte MatchingType, byte[] Data)
{
    /// <summary>The largest association data read (a full certificate, selector 0 matching 0, is the largest usable
    /// form; the certificate reader's own limit is 64 KiB). An RDATA is at most 65,535 bytes anyway.</summary>
    internal const int MaxDataBytes = 65_535 - 3;

    /// <summary>True for a record an SMTP client may use: DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type 0, 1
    /// or 2 with the digest length the type requires (RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP;
    /// RFC 7671 4: unknown parameters and malformed digests make a record unusable).</summary>
    internal bool IsUsable => Usage is 2 or 3 && Selector is 0 or 1 && MatchingType switch
    {
        0 => Data.Length > 0,
        1 => Data.Length == 32,
        2 => Data.Length == 64,
        _ => false,
    };

    /// <summary>Why the record is unusable, or null when it is usable.</summary>
    internal string? Unusable => IsUsable ? null
        : Usage is 0 or 1 ? "usage " + Usage.ToString(CultureInfo.InvariantCulture) + " (PKIX-" + (Usage == 0 ? "TA" : "EE") + ") is unusable for SMTP (RFC 7672 3.1.3)"
        : Usage > 3 ? "unknown certificate usage " + Usage.ToString(CultureInfo.InvariantCulture)
        : Selector > 1 ? "unknown selector " + Selector.ToString(CultureInfo.InvariantCulture)
        : MatchingType > 2 ? "unknown matching type " + MatchingType.ToString(CultureInfo.InvariantCulture)
        : "the association data has " + Data.Length.ToString(CultureInfo.InvariantCulture) + " bytes, not the "
            + (MatchingType == 1 ? "32 of SHA2-256" : MatchingType == 2 ? "64 of SHA2-512" : "certificate or key") + " its matching type needs";

    /// <summary>The record in presentation form: <c>3 1 1 HEX</c> (upper-case hex, as <c>dig</c> shows it).</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        Usage.ToString(CultureInfo.InvariantCulture) + " " + Selector.ToString(CultureInfo.InvariantCulture) + " "
        + MatchingType.ToString(CultureInfo.InvariantCulture) + " " + Convert.ToHexString(Data);

    /// <summary>
    /// Reads the presentation form of the RDATA (RFC 6698 2.2): three decimal fields 0..255, then the association data
    /// as hexadecimal, which may be split by white space; parentheses of a zone file are accepted and ignored.
    /// </summary>
    /// <param name="text">For example <c>3 1 1 0C72AC70...</c>.</param>
    /// <param name="record">The record, or null.</param>
    /// <param name="error">What is wrong, or null.</param>
    /// <returns>True when read.</returns>
    internal static bool TryParse(string text, out TlsaRecord? record, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        record = null;
        var fields = text.Replace('(', ' ').Replace(')', ' ').Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4)
        {
            error = "a TLSA record needs usage, selector, matching type and data (e.g. '3 1 1 <64 hex digits>')";
            return false;
        }

        Span<byte> numbers = stackalloc byte[3];
        string[] names = ["certificate usage", "selector", "matching type"];
        for (int i = 0; i < 3; i++)
        {
            if (!byte.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                error = "the " + names[i] + " '" + fields[i] + "' is not a number from 0 to 255";
                return false;
            }
        }

        string hex = string.Concat(fields.AsSpan(3));
        if (hex.Length % 2 != 0 || hex.Length / 2 > MaxDataBytes || !IsHex(hex))
        {
            error = hex.Length / 2 > MaxDataBytes
                ? "the association data is longer than a TLSA record can hold"
                : "the association data is not an even number of hexadecimal digits";
            return false;
        }

        record = new TlsaRecord(numbers[0], numbers[1], numbers[2], Convert.FromHexString(hex));
        error = null;
        return true;
    }

    /// <summary>Reads the wire form of the RDATA (RFC 6698 2.1): three octets, then the data (at least one byte).</summary>
    /// <param name="rdata">The RDATA.</param>
    /// <param name="record">The record, or null.</param>
    /// <returns>True when read.</returns>
    internal static bool TryRead(ReadOnlySpan<byte> rdata, out TlsaRecord? record)
    {
        if (rdata.Length < 4)
        {
            record = null;
            return false;
        }

        record = new TlsaRecord(rdata[0], rdata[1], rdata[2], rdata[3..].ToArray());
        return true;
    }

    /// <summary>The association data this record's selector and matching type give for a certificate: the DER
    /// certificate (selector 0) or its DER SubjectPublicKeyInfo (selector 1), as is, or its SHA2-256 or SHA2-512.</summary>
    /// <param name="certificateDer">The certificate.</param>
    /// <param name="spkiDer">Its SubjectPublicKeyInfo.</param>
    /// <param name="selector">0 or 1.</param>
    /// <param name="matchingType">0, 1 or 2.</param>
    /// <returns>The data, or null for an unknown selector or matching type.</returns>
    internal static byte[]? Associate(ReadOnlySpan<byte> certificateDer, ReadOnlySpan<byte> spkiDer, byte selector, byte matchingType)
    {
        var content = selector switch
        {
            0 => certificateDer,
            1 => spkiDer,
            _ => default,
        };
        if (selector > 1)
        {
            return null;
        }

        return matchingType switch
        {
            0 => content.ToArray(),
            1 => SHA256.HashData(content),
            2 => SHA512.HashData(content),
            _ => null,
        };
    }

    private static bool IsHex(string s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
