using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace CertPolicy.Messaging;

/// <summary>
/// The facts of one OpenPGP key (primary or subkey) as read from its key packet. Nothing here is
/// verified: signatures, expiry and revocation are judged by <see cref="OpenPgpKeyEvaluator"/>.
/// </summary>
public sealed class OpenPgpKeyInfo
{
    internal OpenPgpKeyInfo(PgpPublicKey key, bool isPrimary)
    {
        Key = key;
        IsPrimary = isPrimary;
        Version = key.Version;
        Fingerprint = Convert.ToHexString(key.GetFingerprint());

        byte[] fingerprint = key.GetFingerprint();

        // RFC 9580 5.5.4: a v4 key ID is the low 64 bits of the fingerprint, a v6 (and LibrePGP v5)
        // key ID the high 64 bits. BouncyCastle 2.7.0 returns the low 64 bits for v6 keys too.
        KeyId = Version switch
        {
            4 when fingerprint.Length == 20 => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(fingerprint.AsSpan(12)),
            5 or 6 when fingerprint.Length == 32 => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(fingerprint),
            _ => unchecked((ulong)key.KeyId),
        };
        CreationTime = new DateTimeOffset(DateTime.SpecifyKind(key.CreationTime, DateTimeKind.Utc));
        AlgorithmId = (int)key.Algorithm;
        (AlgorithmName, Curve, Bits) = OpenPgpAlgorithms.Describe(key);
        IsEncryptionAlgorithm = key.IsEncryptionKey;
    }

    internal PgpPublicKey Key { get; }

    /// <summary>True for the primary (certification) key, false for a subkey.</summary>
    public bool IsPrimary { get; }

    /// <summary>Key packet version: 4 (fingerprint SHA-1), 6 (SHA-256), 3 (MD5, obsolete) or 5 (LibrePGP).</summary>
    public int Version { get; }

    /// <summary>The fingerprint in upper-case hex without separators (40 digits for v4, 64 for v6).</summary>
    public string Fingerprint { get; }

    /// <summary>The 64-bit key ID (the low 64 bits of a v4 fingerprint, the high 64 bits of a v6 one).</summary>
    public ulong KeyId { get; }

    /// <summary>The key packet's creation time (UTC).</summary>
    public DateTimeOffset CreationTime { get; }

    /// <summary>The RFC 9580 public-key algorithm number (1 RSA, 16 ElGamal, 17 DSA, 18 ECDH, 19 ECDSA, 22 EdDSA legacy, 25..28 X25519/X448/Ed25519/Ed448).</summary>
    public int AlgorithmId { get; }

    /// <summary>A readable algorithm name such as <c>RSA</c>, <c>ECDH</c> or <c>Ed25519</c>.</summary>
    public string AlgorithmName { get; }

    /// <summary>The named curve of an elliptic-curve key (<c>NIST P-256</c>, <c>Curve25519</c>, ...), the OID when unknown, or <see langword="null"/> for RSA, DSA and ElGamal.</summary>
    public string? Curve { get; }

    /// <summary>Key size in bits: the modulus or prime for RSA/DSA/ElGamal, the curve size for ECC; 0 when unknown.</summary>
    public int Bits { get; }

    /// <summary>True when the algorithm can encrypt (RSA, ElGamal, ECDH, X25519, X448); key flags are checked separately.</summary>
    public bool IsEncryptionAlgorithm { get; }

    /// <summary>The 16-hex-digit key ID in upper case.</summary>
    public string KeyIdHex => KeyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// One transferable public key ("certificate", RFC 9580 10.1): a primary key, its user IDs and
/// subkeys, as parsed. Produced by <see cref="OpenPgpKeyReader"/>; judged by <see cref="OpenPgpKeyEvaluator"/>.
/// </summary>
public sealed class OpenPgpCertificate
{
    internal OpenPgpCertificate(PgpPublicKeyRing ring, int unsupportedSignatureCount)
    {
        Ring = ring;
        UnsupportedSignatureCount = unsupportedSignatureCount;
        PgpPublicKey? primary = null;
        var subkeys = new List<OpenPgpKeyInfo>();
        foreach (PgpPublicKey key in ring.GetPublicKeys())
        {
            if (primary is null)
            {
                primary = key;
            }
            else
            {
                subkeys.Add(new OpenPgpKeyInfo(key, isPrimary: false));
            }
        }

        // A ring always starts with its primary key; the reader only builds rings from such packets.
        Primary = new OpenPgpKeyInfo(primary!, isPrimary: true);
        Subkeys = subkeys;
        var ids = new List<string>();
        foreach (byte[] id in primary!.GetRawUserIds())
        {
            ids.Add(UserIdText(id));
        }

        UserIds = ids;
    }

    internal PgpPublicKeyRing Ring { get; }

    /// <summary>The primary key.</summary>
    public OpenPgpKeyInfo Primary { get; }

    /// <summary>The subkeys in packet order (bound or not: binding is checked by the evaluator).</summary>
    public IReadOnlyList<OpenPgpKeyInfo> Subkeys { get; }

    /// <summary>The user IDs in packet order, as UTF-8 text (not verified: see the evaluator).</summary>
    public IReadOnlyList<string> UserIds { get; }

    /// <summary>The primary key's fingerprint (upper-case hex).</summary>
    public string Fingerprint => Primary.Fingerprint;

    /// <summary>
    /// Signature packets of version 5 or 6 that BouncyCastle 2.7.0 cannot parse and that were left
    /// out of this key. Any such signature makes the key unacceptable (it might be a revocation).
    /// </summary>
    public int UnsupportedSignatureCount { get; }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static string? TryUtf8(byte[] raw)
    {
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }

    // User IDs are UTF-8 by convention (RFC 9580 5.11); other bytes are shown as U+FFFD.
    internal static string UserIdText(byte[] raw) => TryUtf8(raw) ?? System.Text.Encoding.UTF8.GetString(raw);
}

/// <summary>Names and sizes of OpenPGP public-key algorithms and curves (R-C10).</summary>
internal static class OpenPgpAlgorithms
{
    internal static (string Name, string? Curve, int Bits) Describe(PgpPublicKey key)
    {
        PublicKeyAlgorithmTag alg = key.Algorithm;
        switch (alg)
        {
            case PublicKeyAlgorithmTag.RsaGeneral:
            case PublicKeyAlgorithmTag.RsaEncrypt:
            case PublicKeyAlgorithmTag.RsaSign:
                return ("RSA", null, SafeBits(key));
            case PublicKeyAlgorithmTag.Dsa:
                return ("DSA", null, SafeBits(key));
            case PublicKeyAlgorithmTag.ElGamalEncrypt:
                return ("ElGamal", null, SafeBits(key));
            case PublicKeyAlgorithmTag.ElGamalGeneral:
                return ("ElGamal (sign+encrypt)", null, SafeBits(key));
            case PublicKeyAlgorithmTag.X25519:
                return ("X25519", "Curve25519", 256);
            case PublicKeyAlgorithmTag.X448:
                return ("X448", "Curve448", 448);
            case PublicKeyAlgorithmTag.Ed25519:
                return ("Ed25519", "Ed25519", 256);
            case PublicKeyAlgorithmTag.Ed448:
                return ("Ed448", "Ed448", 448);
            case PublicKeyAlgorithmTag.ECDH:
            case PublicKeyAlgorithmTag.ECDsa:
            case PublicKeyAlgorithmTag.EdDsa_Legacy:
                string name = alg == PublicKeyAlgorithmTag.ECDH ? "ECDH" : alg == PublicKeyAlgorithmTag.ECDsa ? "ECDSA" : "EdDSA (legacy)";
                if (key.PublicKeyPacket.Key is ECPublicBcpgKey ec)
                {
                    string oid = ec.CurveOid.Id;
                    (string? curve, int bits) = CurveByOid(oid);
                    return (name, curve ?? oid, bits);
                }

                return (name, null, 0);
            default:
                return ("algorithm " + ((int)alg).ToString(System.Globalization.CultureInfo.InvariantCulture), null, 0);
        }
    }

    internal static bool IsKnownCurve(string? curve) => curve is not null && !char.IsAsciiDigit(curve[0]);

    // RFC 9580 9.2 (ECC curves for OpenPGP) plus the curves GnuPG and LibrePGP use.
    private static (string? Curve, int Bits) CurveByOid(string oid) => oid switch
    {
        "1.2.840.10045.3.1.7" => ("NIST P-256", 256),
        "1.3.132.0.34" => ("NIST P-384", 384),
        "1.3.132.0.35" => ("NIST P-521", 521),
        "1.3.36.3.3.2.8.1.1.7" => ("brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.11" => ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13" => ("brainpoolP512r1", 512),
        "1.3.132.0.10" => ("secp256k1", 256),
        "1.3.6.1.4.1.11591.15.1" => ("Ed25519", 256),
        "1.3.101.112" => ("Ed25519", 256),
        "1.3.6.1.4.1.3029.1.5.1" => ("Curve25519", 256),
        "1.3.101.110" => ("Curve25519", 256),
        "1.3.101.111" => ("Curve448", 448),
        "1.3.101.113" => ("Ed448", 448),
        _ => (null, 0),
    };

    private static int SafeBits(PgpPublicKey key)
    {
        try
        {
            return key.BitStrength;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return 0;
        }
    }
}
