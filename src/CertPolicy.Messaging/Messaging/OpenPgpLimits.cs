using System.Globalization;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Math;

namespace CertPolicy.Messaging;

/// <summary>
/// Upper bounds on the work one OpenPGP key may cost the evaluator (issue 14, "bounded work"). RFC 4880 3.2 and
/// RFC 9580 3.2 let an MPI be up to 65535 bits and set no upper bound on a key's size or its number of signatures, so
/// a hostile key file could make each self-signature check cost seconds (an RSA key whose modulus and exponent are
/// both 16384 bits) and carry thousands of them. Both bounds are checked before any signature is verified.
/// </summary>
internal static class OpenPgpLimits
{
    /// <summary>
    /// Largest RSA modulus, DSA/ElGamal prime and any other key MPI accepted, in bits. GnuPG refuses larger MPIs when
    /// reading (g10/gpg.h <c>MAX_EXTERN_MPI_BITS 16384</c>, "Number of bits we accept when reading or writing MPIs";
    /// rPGP uses the same value "as gnupg's"), so no key larger than this is usable with GnuPG anyway.
    /// </summary>
    internal const int MaxKeyBits = 16384;

    /// <summary>
    /// Largest RSA public exponent accepted, exclusive: 2^32. Go's crypto/rsa (checkPub) refuses exponents that do not
    /// fit 31 bits; real keys use 65537. A verification costs about log2(e) multiplications, so this bound also bounds
    /// the cost of each signature check (with <see cref="MaxKeyBits"/>).
    /// </summary>
    internal const long RsaExponentLimit = 1L << 32;

    /// <summary>
    /// Most self-signatures verified per key (certificate: primary key, user IDs, subkeys). A legitimate key carries a
    /// few per user ID and subkey (one more per expiry extension); GnuPG 2.2.17 stopped importing third-party
    /// certifications from key servers because flooded keys made it unusable (CVE-2019-13050), and the evaluator
    /// never verifies those. This budget bounds the first-party case: a key with more self-signatures is not judged
    /// (fail closed, <see cref="OpenPgpFindingCodes.SignatureBudgetExceeded"/>).
    /// </summary>
    internal const int MaxSignatureVerifications = 256;

    /// <summary>
    /// Null when every key of <paramref name="cert"/> is within the bounds; else why not (the first offending key).
    /// </summary>
    internal static string? CheckKeyParameters(OpenPgpCertificate cert)
    {
        string? why = CheckKey(cert.Primary);
        foreach (OpenPgpKeyInfo sub in cert.Subkeys)
        {
            why ??= CheckKey(sub);
        }

        return why;
    }

    private static string? CheckKey(OpenPgpKeyInfo info)
    {
        string which = (info.IsPrimary ? "the primary key " : "subkey ") + info.KeyIdHex;
        IBcpgKey key = info.Key.PublicKeyPacket.Key;
        switch (key)
        {
            case RsaPublicBcpgKey rsa:
                if (rsa.Modulus.BitLength > MaxKeyBits)
                {
                    return which + " has an RSA modulus of " + Bits(rsa.Modulus) + " bits; at most " + Bits(MaxKeyBits) + " are accepted";
                }

                // RFC 8017 3.1: gcd(e, lambda(n)) = 1 and lambda(n) is even, so an even e is never an RSA exponent.
                BigInteger e = rsa.PublicExponent;
                if (e.SignValue <= 0 || !e.TestBit(0) || e.BitLength > 32)
                {
                    return which + " has the RSA public exponent " + (e.BitLength <= 64 ? e.ToString() : "of " + Bits(e) + " bits")
                        + "; an odd exponent below 2^32 is required (real keys use 65537)";
                }

                return null;
            case DsaPublicBcpgKey dsa:
                return TooLarge(which, "DSA prime", dsa.P) ?? TooLarge(which, "DSA value", dsa.Y);
            case ElGamalPublicBcpgKey elg:
                return TooLarge(which, "ElGamal prime", elg.P) ?? TooLarge(which, "ElGamal value", elg.Y);
            default:
                return null; // elliptic curves: fixed sizes, named by OID
        }
    }

    private static string? TooLarge(string which, string what, BigInteger value) => value.BitLength > MaxKeyBits
        ? which + " has a " + what + " of " + Bits(value) + " bits; at most " + Bits(MaxKeyBits) + " are accepted"
        : null;

    private static string Bits(BigInteger value) => value.BitLength.ToString(CultureInfo.InvariantCulture);

    private static string Bits(int bits) => bits.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The self-signature verifications left for one key (<see cref="OpenPgpLimits.MaxSignatureVerifications"/>).</summary>
internal sealed class SignatureBudget(int limit)
{
    /// <summary>Verifications done so far.</summary>
    internal int Used { get; private set; }

    /// <summary>Signatures that were not verified because the budget was spent.</summary>
    internal int Skipped { get; private set; }

    /// <summary>Takes one verification; false (and counted as skipped) when none is left.</summary>
    internal bool TryTake()
    {
        if (Used < limit)
        {
            Used++;
            return true;
        }

        Skipped++;
        return false;
    }

    /// <summary>Adds the budget finding when signatures were skipped; the key is then not acceptable (fail closed).</summary>
    internal void Report(List<MessagingFinding> findings, string fingerprint)
    {
        if (Skipped > 0)
        {
            findings.Add(new MessagingFinding(OpenPgpFindingCodes.SignatureBudgetExceeded, "R-G1", FindingSeverity.Error,
                "the key carries more self-signatures than the " + limit.ToString(CultureInfo.InvariantCulture) + " checked per key; "
                + Skipped.ToString(CultureInfo.InvariantCulture) + " were not verified, so a revocation may have been missed", fingerprint));
        }
    }
}
