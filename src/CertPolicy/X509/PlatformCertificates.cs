using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.X509;

/// <summary>
/// DER certificates (from <see cref="CertificateChainReader"/>) as .NET certificate objects, for the network adapters that
/// must hand roots to .NET's TLS and chain APIs (the MTA-STS fetcher's extra roots, <c>serve --mta-sts-roots</c>). Here,
/// beside the one PEM and DER reader, so no second certificate loader is written elsewhere (NoSecondReaderTests); the
/// core's verdict pipeline never uses it. Non-throwing.
/// </summary>
internal static class PlatformCertificates
{
    /// <summary>Loads each DER certificate; false with the 1-based position of the first that .NET cannot load.</summary>
    /// <param name="der">The certificates, DER.</param>
    /// <param name="collection">The loaded certificates (the caller disposes them), or null.</param>
    /// <param name="error">Which certificate failed and why, or null.</param>
    internal static bool TryLoad(IReadOnlyList<byte[]> der, out X509Certificate2Collection? collection, out string? error)
    {
        ArgumentNullException.ThrowIfNull(der);
        var loaded = new X509Certificate2Collection();
        for (int i = 0; i < der.Count; i++)
        {
            try
            {
                loaded.Add(X509CertificateLoader.LoadCertificate(der[i]));
            }
            catch (CryptographicException)
            {
                foreach (var c in loaded)
                {
                    c.Dispose();
                }

                collection = null;
                error = "certificate " + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + " cannot be read";
                return false;
            }
        }

        collection = loaded;
        error = null;
        return true;
    }
}
