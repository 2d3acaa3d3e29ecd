namespace CertPolicy.X509;

/// <summary>
/// Reads the certificates of a PEM file (or of one DER certificate) into DER blobs, in file order: the first is the leaf.
/// Text before, between and after blocks is ignored and other blocks (keys, PKCS#7) are skipped, exactly as OpenSSL's
/// <c>PEM_read_bio_X509</c> reads a file; a damaged block, a missing END line or bad base64 is an error with its line and
/// column. The rule and its OpenSSL evidence are written down on the one PEM splitter this class calls. Non-throwing;
/// linear in the input size. Does not parse the certificates (see <see cref="CertificateView.TryParse(ReadOnlyMemory{byte}, out CertificateView, out CertificateError)"/>).
/// </summary>
internal static class CertificateChainReader
{
    /// <summary>Most certificates accepted in one presented chain (TLS stacks send 2-4; webpki bounds the path at 6 intermediates).</summary>
    public const int MaxCertificates = 16;

    /// <summary>Reads the certificates of a PEM file, or of one DER certificate (at most <see cref="MaxCertificates"/>).</summary>
    /// <param name="data">The file bytes.</param>
    /// <param name="certificates">The DER blobs, in file order.</param>
    /// <param name="error">Why the input is unusable (with <c>line L, column C:</c> when it has a position), or null.</param>
    /// <returns>True when at least one certificate was found and every block was well formed.</returns>
    public static bool TryRead(ReadOnlySpan<byte> data, out List<byte[]> certificates, out string? error)
    {
        bool ok = TryRead(data, MaxCertificates, out certificates, out PemReadError? e);
        error = e?.ToString();
        return ok;
    }

    /// <summary>Reads the certificates of a PEM file, or of one DER certificate, with a typed, positioned error.</summary>
    /// <param name="data">The file bytes.</param>
    /// <param name="maxCertificates">Most certificates accepted (a roots file may hold more than a chain).</param>
    /// <param name="certificates">The DER blobs, in file order (the first is the leaf).</param>
    /// <param name="error">Why the input is unusable, or null.</param>
    /// <returns>True when at least one certificate was found and every block was well formed.</returns>
    public static bool TryRead(ReadOnlySpan<byte> data, int maxCertificates, out List<byte[]> certificates, out PemReadError? error)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCertificates);
        return PemSplitter.TryReadCertificates(data, maxCertificates, out certificates, out error);
    }
}
