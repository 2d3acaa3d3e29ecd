using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.X509;

/// <summary>
/// The one place outside the readers where DER becomes a platform certificate object, for the APIs that need one (an
/// HTTPS client's custom roots). The DER comes from the library's own readers (<see cref="CertificateChainReader"/>).
/// </summary>
internal static class PlatformCertificates
{
    /// <summary>A collection of platform certificates from DER certificates.</summary>
    /// <param name="certificates">DER certificates, e.g. from the chain reader.</param>
    /// <returns>The collection (the caller disposes the certificates).</returns>
    internal static X509Certificate2Collection Load(IEnumerable<byte[]> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var collection = new X509Certificate2Collection();
        foreach (var der in certificates)
        {
            collection.Add(X509CertificateLoader.LoadCertificate(der));
        }

        return collection;
    }
}
