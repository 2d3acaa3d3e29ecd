using System.Security.Cryptography;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>
/// An anchor's public key, imported on first use. A store of many anchors costs nothing at construction: importing
/// an EC key runs OpenSSL's full key check (a point multiplication); importing every curated anchor was 69 of the 129
/// million instructions of a whole <c>certpolicy verify</c> run (callgrind; benchmarks/README.md, "Start-up"). After
/// the first use a look-up reads one field and allocates nothing.
/// </summary>
internal sealed class AnchorKey
{
    private readonly Lock _gate = new();
    private AsymmetricAlgorithm? _key;
    private volatile bool _imported;

    /// <summary>The key of <paramref name="anchor"/> (the certificate this holder was made for); null when it cannot be imported.</summary>
    /// <param name="anchor">The anchor's certificate view, whose SPKI keys this holder.</param>
    /// <returns>The imported key, or null.</returns>
    internal AsymmetricAlgorithm? Get(in CertificateView anchor)
    {
        if (_imported)
        {
            return _key;
        }

        lock (_gate)
        {
            if (!_imported)
            {
                _key = ChainValidator.ImportKey(anchor);
                _imported = true;
            }

            return _key;
        }
    }
}
