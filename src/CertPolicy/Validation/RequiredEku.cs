using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>
/// The extended key usages a TLS leaf and its CAs must allow (<see cref="ValidationRequest.RequiredEku"/>). Every flag
/// set is required. Values are API: never renumber.
/// </summary>
[Flags]
internal enum RequiredEku
{
    /// <summary>No EKU requirement: the leaf's and CAs' EKU are not checked against a purpose (anyExtendedKeyUsage in a leaf is still refused).</summary>
    None = 0,

    /// <summary>id-kp-serverAuth (the default: a mail gateway is a TLS server).</summary>
    ServerAuth = 1 << 0,

    /// <summary>id-kp-clientAuth (a TLS client certificate).</summary>
    ClientAuth = 1 << 1,
}

/// <summary>The EKU checks behind <see cref="RequiredEku"/>; allocation-free on success.</summary>
internal static class EkuRequirement
{
    // RFC 5280 4.2.1.12: with an extKeyUsage extension present, the certificate may be used only for a listed purpose.
    // A certificate without the extension allows every purpose. anyExtendedKeyUsage does not count (webpki, OpenSSL's
    // purpose check and X509Chain refuse it for a CA; a leaf with it is refused separately, CA/B BR 7.1.2.7.10).
    internal static bool Allows(in CertificateView c, RequiredEku need) =>
        !c.HasExtendedKeyUsage
        || (((need & RequiredEku.ServerAuth) == 0 || c.EkuServerAuth) && ((need & RequiredEku.ClientAuth) == 0 || c.EkuClientAuth));

    // RFC 5280 4.2.1.3 with 4.2.1.12's consistent key usages: a TLS server key signs (ECDHE), deciphers (RSA key
    // transport) or agrees (static DH); a TLS client key signs (CertificateVerify) or agrees.
    internal static bool KeyUsageAllows(in CertificateView c, RequiredEku need)
    {
        if (!c.HasKeyUsage)
        {
            return true;
        }

        if ((need & RequiredEku.ServerAuth) != 0 && (c.KeyUsage & (KeyUsages.DigitalSignature | KeyUsages.KeyEncipherment | KeyUsages.KeyAgreement)) == 0)
        {
            return false;
        }

        return (need & RequiredEku.ClientAuth) == 0 || (c.KeyUsage & (KeyUsages.DigitalSignature | KeyUsages.KeyAgreement)) != 0;
    }

    /// <summary>"serverAuth", "clientAuth" or "serverAuth and clientAuth", for messages (failure path only).</summary>
    internal static string Describe(RequiredEku need) => need switch
    {
        RequiredEku.ServerAuth => "serverAuth",
        RequiredEku.ClientAuth => "clientAuth",
        _ => "serverAuth and clientAuth",
    };

    /// <summary>"TLS server", "TLS client" or "TLS server and client", for messages (failure path only).</summary>
    internal static string Role(RequiredEku need) => need switch
    {
        RequiredEku.ServerAuth => "TLS server",
        RequiredEku.ClientAuth => "TLS client",
        _ => "TLS server and client",
    };
}
