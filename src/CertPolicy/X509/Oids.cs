namespace CertPolicy.X509;

/// <summary>OIDs as encoded content bytes (STYLE.md: no string OIDs on the hot path). Dotted form in each comment.</summary>
internal static class Oids
{
    // 2.5.29.19 basicConstraints
    internal static ReadOnlySpan<byte> BasicConstraints => [0x55, 0x1D, 0x13];

    // 2.5.29.15 keyUsage
    internal static ReadOnlySpan<byte> KeyUsage => [0x55, 0x1D, 0x0F];

    // 2.5.29.37 extKeyUsage
    internal static ReadOnlySpan<byte> ExtendedKeyUsage => [0x55, 0x1D, 0x25];

    // 2.5.29.37.0 anyExtendedKeyUsage
    internal static ReadOnlySpan<byte> AnyExtendedKeyUsage => [0x55, 0x1D, 0x25, 0x00];

    // 1.3.6.1.5.5.7.3.1 id-kp-serverAuth
    internal static ReadOnlySpan<byte> ServerAuth => [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

    // 1.3.6.1.5.5.7.3.2 id-kp-clientAuth
    internal static ReadOnlySpan<byte> ClientAuth => [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

    // 1.3.6.1.5.5.7.3.4 id-kp-emailProtection
    internal static ReadOnlySpan<byte> EmailProtection => [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04];

    // 1.2.840.113549.1.9.1 pkcs-9 emailAddress (legacy S/MIME subject attribute)
    internal static ReadOnlySpan<byte> EmailAddress => [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01];

    // 2.5.4.3 commonName
    internal static ReadOnlySpan<byte> CommonName => [0x55, 0x04, 0x03];

    // 2.5.29.32 certificatePolicies
    internal static ReadOnlySpan<byte> CertificatePolicies => [0x55, 0x1D, 0x20];

    // 2.5.29.32.0 anyPolicy
    internal static ReadOnlySpan<byte> AnyPolicy => [0x55, 0x1D, 0x20, 0x00];

    // 2.5.29.30 nameConstraints
    internal static ReadOnlySpan<byte> NameConstraints => [0x55, 0x1D, 0x1E];

    // 2.5.29.35 authorityKeyIdentifier
    internal static ReadOnlySpan<byte> AuthorityKeyIdentifier => [0x55, 0x1D, 0x23];

    // 2.5.29.14 subjectKeyIdentifier
    internal static ReadOnlySpan<byte> SubjectKeyIdentifier => [0x55, 0x1D, 0x0E];

    // 2.5.29.17 subjectAltName
    internal static ReadOnlySpan<byte> SubjectAltName => [0x55, 0x1D, 0x11];

    // 1.3.6.1.5.5.7.1.1 id-pe-authorityInfoAccess
    internal static ReadOnlySpan<byte> AuthorityInfoAccess => [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];

    // 2.5.29.31 cRLDistributionPoints
    internal static ReadOnlySpan<byte> CrlDistributionPoints => [0x55, 0x1D, 0x1F];

    // 2.5.29.36 policyConstraints
    internal static ReadOnlySpan<byte> PolicyConstraints => [0x55, 0x1D, 0x24];

    // 2.5.4.10 organizationName
    internal static ReadOnlySpan<byte> OrganizationName => [0x55, 0x04, 0x0A];

    // 1.2.840.113549.1.1.1 rsaEncryption
    internal static ReadOnlySpan<byte> RsaEncryption => [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

    // 1.2.840.10045.2.1 id-ecPublicKey
    internal static ReadOnlySpan<byte> EcPublicKey => [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];

    // 1.3.101.112 id-Ed25519
    internal static ReadOnlySpan<byte> Ed25519 => [0x2B, 0x65, 0x70];

    // 1.2.840.10045.3.1.7 prime256v1
    internal static ReadOnlySpan<byte> P256 => [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

    // 1.3.132.0.34 secp384r1
    internal static ReadOnlySpan<byte> P384 => [0x2B, 0x81, 0x04, 0x00, 0x22];

    // 1.3.132.0.35 secp521r1
    internal static ReadOnlySpan<byte> P521 => [0x2B, 0x81, 0x04, 0x00, 0x23];

    // 1.2.840.113549.1.1.4 md5WithRSAEncryption
    internal static ReadOnlySpan<byte> Md5WithRsa => [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x04];

    // 1.2.840.113549.1.1.5 sha1WithRSAEncryption
    internal static ReadOnlySpan<byte> Sha1WithRsa => [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05];

    // 1.2.840.113549.1.1.11 sha256WithRSAEncryption
    internal static ReadOnlySpan<byte> Sha256WithRsa => [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];

    // 1.2.840.113549.1.1.12 sha384WithRSAEncryption
    internal static ReadOnlySpan<byte> Sha384WithRsa => [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C];

    // 1.2.840.113549.1.1.13 sha512WithRSAEncryption
    internal static ReadOnlySpan<byte> Sha512WithRsa => [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D];

    // 1.2.840.10045.4.1 ecdsa-with-SHA1
    internal static ReadOnlySpan<byte> EcdsaSha1 => [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];

    // 1.2.840.10045.4.3.2 ecdsa-with-SHA256
    internal static ReadOnlySpan<byte> EcdsaSha256 => [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];

    // 1.2.840.10045.4.3.3 ecdsa-with-SHA384
    internal static ReadOnlySpan<byte> EcdsaSha384 => [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];

    // 1.2.840.10045.4.3.4 ecdsa-with-SHA512
    internal static ReadOnlySpan<byte> EcdsaSha512 => [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04];

    /// <summary>Longest dotted text <see cref="TryFormat(ReadOnlySpan{byte}, Span{char}, out int)"/> can produce (64 one-byte arcs of 3 digits and a dot, plus the split first arc).</summary>
    internal const int MaxDottedChars = 264;

    /// <summary>Encoded OID content to dotted text (cold path only: allocates). False on a malformed encoding.</summary>
    internal static bool TryFormat(ReadOnlySpan<byte> content, out string dotted)
    {
        Span<char> buffer = stackalloc char[MaxDottedChars];
        if (!TryFormat(content, buffer, out int written))
        {
            dotted = string.Empty;
            return false;
        }

        dotted = new string(buffer[..written]);
        return true;
    }

    /// <summary>Encoded OID content to dotted text in <paramref name="destination"/> (hot path: no allocation). False on a malformed encoding or a too small buffer.</summary>
    internal static bool TryFormat(ReadOnlySpan<byte> content, Span<char> destination, out int written)
    {
        written = 0;
        if (content.IsEmpty || content.Length > 64 || (content[^1] & 0x80) != 0)
        {
            return false;
        }

        ulong value = 0;
        bool first = true;
        int digits = 0;
        int pos = 0;
        foreach (byte b in content)
        {
            if (digits == 0 && b == 0x80)
            {
                return false; // X.690 8.19.2: no leading 0x80 padding
            }

            if (++digits > 9)
            {
                return false;
            }

            value = (value << 7) | (uint)(b & 0x7F);
            if ((b & 0x80) != 0)
            {
                continue;
            }

            if (first)
            {
                ulong arc0 = value < 40 ? 0UL : value < 80 ? 1UL : 2UL;
                if (!Append(destination, ref pos, arc0, false) || !Append(destination, ref pos, value - (arc0 * 40), true))
                {
                    return false;
                }

                first = false;
            }
            else if (!Append(destination, ref pos, value, true))
            {
                return false;
            }

            value = 0;
            digits = 0;
        }

        written = pos;
        return true;
    }

    private static bool Append(Span<char> destination, ref int pos, ulong value, bool dot)
    {
        if (dot)
        {
            if (pos >= destination.Length)
            {
                return false;
            }

            destination[pos++] = '.';
        }

        if (!value.TryFormat(destination[pos..], out int n, default, System.Globalization.CultureInfo.InvariantCulture))
        {
            return false;
        }

        pos += n;
        return true;
    }
}
