namespace CertPolicy.Messaging;

/// <summary>
/// The floors an OpenPGP key is held to. <see cref="Default"/> is the 2026 profile (R-C10: RSA
/// and finite-field keys of at least 2048 bits, curves of at least 256 bits, no MD5/SHA-1
/// self-signatures); <see cref="Document2019"/> is the Audi document to the letter, which names
/// no floor for PGP keys and whose own key is self-signed with SHA-1.
/// </summary>
public sealed class OpenPgpKeyPolicy
{
    /// <summary>The 2026 default (R-C10).</summary>
    public static OpenPgpKeyPolicy Default { get; } = new();

    /// <summary>The 2019 document's values: SHA-1 self-signatures allowed, 1024-bit RSA (the document's own CSR example) accepted.</summary>
    public static OpenPgpKeyPolicy Document2019 { get; } = new() { MinRsaBits = 1024, AllowSha1SelfSignatures = true };

    /// <summary>Smallest accepted RSA modulus, DSA or ElGamal prime, in bits (R-C10; default 2048).</summary>
    public int MinRsaBits { get; init; } = 2048;

    /// <summary>Smallest accepted elliptic-curve size in bits (R-C10; default 256, so Curve25519 and P-256 pass).</summary>
    public int MinEcBits { get; init; } = 256;

    /// <summary>Accept self-signatures made with SHA-1 (R-C10 default: no). MD5 is never accepted.</summary>
    public bool AllowSha1SelfSignatures { get; init; }

    /// <summary>Require a usable encryption-capable key (R-G1: the key is used to encrypt to the partner). Default: yes.</summary>
    public bool RequireEncryptionKey { get; init; } = true;

    /// <summary>Throws when a floor is out of range (a caller mistake, not a data problem).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A floor is below 1 or above 16384 bits.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MinRsaBits, 1, nameof(MinRsaBits));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinRsaBits, 16384, nameof(MinRsaBits));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinEcBits, 1, nameof(MinEcBits));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinEcBits, 16384, nameof(MinEcBits));
    }
}
