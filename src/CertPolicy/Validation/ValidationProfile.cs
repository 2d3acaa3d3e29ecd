using CertPolicy.Trust;

namespace CertPolicy.Validation;

/// <summary>
/// A set of rules with parameters (DESIGN.md, "Profiles"). The three built-in profiles are nested: every check of
/// <see cref="PostfixSecure"/> is in <see cref="Partner2026"/>, and every check of that is in <see cref="Document2019"/>,
/// so a stricter profile never accepts what a laxer one refuses (tested as a property).
/// </summary>
public sealed class ValidationProfile
{
    /// <summary>The profile name, as the CLI spells it.</summary>
    public required string Name { get; init; }

    /// <summary>Check assurance (R-C1, R-C4, R-C5, R-C6, R-C8) and refuse self-signed leaves (R-C7).</summary>
    public bool CheckAssurance { get; internal init; }

    /// <summary>Lowest acceptable assurance (R-C8: Class 3 = OV).</summary>
    public AssuranceLevel MinimumAssurance { get; internal init; }

    /// <summary>Require EV (R-C1 to the letter; off in the built-in profiles because R-C8 accepts Class 3).</summary>
    public bool RequireEv { get; internal init; }

    /// <summary>Apply the key and signature floors (R-C10).</summary>
    public bool CheckKeyStrength { get; internal init; }

    /// <summary>Smallest RSA modulus in bits (R-C10 default 2048; the document's CSR example used 1024).</summary>
    public int MinimumRsaBits { get; internal init; }

    /// <summary>Smallest EC curve in bits (R-C10 default 256).</summary>
    public int MinimumEcBits { get; internal init; }

    /// <summary>Apply the manifest's distrust-after dates and TLS purpose (R-C3).</summary>
    public bool CheckDistrust { get; internal init; }

    /// <summary>Accept only anchors of the annex 7.1 CAs or their successors (R-C3, R-A1).</summary>
    public bool RequireAnnexCa { get; internal init; }

    /// <summary>Refuse anchors that also vouch for DV certificates (R-C5 to the letter).</summary>
    public bool RefuseDvIssuingAnchors { get; internal init; }

    /// <summary>Apply the certificate-profile rules (R-C11: RFC 5280 MUSTs and CA/B Forum profiles) to the path.</summary>
    public bool CheckCertificateProfile { get; internal init; }

    /// <summary>Postfix <c>secure</c>: only the chain and the names (what OpenSSL and Postfix check).</summary>
    public static ValidationProfile PostfixSecure { get; } = new() { Name = "postfix-secure" };

    /// <summary>The 2026 default: OV/Class 3 or EV, no DV, organisation named, no self-signed, RSA >= 2048 / EC >= 256, no MD5/SHA-1, distrust dates.</summary>
    public static ValidationProfile Partner2026 { get; } = new()
    {
        Name = "partner-2026",
        CheckAssurance = true,
        MinimumAssurance = AssuranceLevel.Ov,
        CheckKeyStrength = true,
        MinimumRsaBits = 2048,
        MinimumEcBits = 256,
        CheckDistrust = true,
        CheckCertificateProfile = true,
    };

    /// <summary>
    /// The 2019 document to the letter where it is stricter: partner-2026 plus annex CAs only and no anchor that also
    /// vouches for DV (R-C5). Key floors stay at the 2026 values (R-C10: the document's 1024-bit example is a CSR
    /// example, not a floor); a profile with <see cref="MinimumRsaBits"/> 1024 is one <c>with</c> away.
    /// </summary>
    public static ValidationProfile Document2019 { get; } = new()
    {
        Name = "document-2019",
        CheckAssurance = true,
        MinimumAssurance = AssuranceLevel.Ov,
        CheckKeyStrength = true,
        MinimumRsaBits = 2048,
        MinimumEcBits = 256,
        CheckDistrust = true,
        RequireAnnexCa = true,
        RefuseDvIssuingAnchors = true,
        CheckCertificateProfile = true,
    };

    /// <summary>The built-in profiles, laxest first.</summary>
    public static IReadOnlyList<ValidationProfile> All { get; } = [PostfixSecure, Partner2026, Document2019];

    /// <summary>Finds a built-in profile by name (ordinal, case-insensitive).</summary>
    /// <param name="name">postfix-secure, document-2019 or partner-2026.</param>
    /// <param name="profile">The profile, or null.</param>
    /// <returns>Whether it exists.</returns>
    public static bool TryGet(string name, out ValidationProfile? profile)
    {
        foreach (var p in All)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                profile = p;
                return true;
            }
        }

        profile = null;
        return false;
    }
}
