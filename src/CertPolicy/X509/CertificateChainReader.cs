using System.Security.Cryptography;

namespace CertPolicy.X509;

/// <summary>
/// Splits a PEM (or a single DER) input into certificate DER blobs. Non-throwing: bad Base64, a non-CERTIFICATE
/// label, text between blocks that is not whitespace, or more than <see cref="MaxCertificates"/> blocks is an error
/// with a one-line reason. Does not parse the certificates (see <see cref="CertificateView.TryParse"/>).
/// </summary>
public static class CertificateChainReader
{
    /// <summary>Most certificates accepted in one presented chain (TLS stacks send 2-4; webpki bounds the path at 6 intermediates).</summary>
    public const int MaxCertificates = 16;

    /// <summary>Reads the certificates of a PEM file, or of one DER certificate.</summary>
    /// <param name="data">The file bytes.</param>
    /// <param name="certificates">The DER blobs, in file order.</param>
    /// <param name="error">Why the input is unusable, or null.</param>
    /// <returns>True when at least one certificate was found and nothing else was there.</returns>
    public static bool TryRead(ReadOnlySpan<byte> data, out List<byte[]> certificates, out string? error)
    {
        certificates = [];
        error = null;
        if (data.IsEmpty)
        {
            error = "empty input";
            return false;
        }

        if (data[0] == 0x30)
        {
            certificates.Add(data.ToArray());
            return true;
        }

        if (!System.Text.Unicode.Utf8.IsValid(data))
        {
            error = "neither PEM text nor a DER certificate";
            return false;
        }

        var text = Encoding.UTF8.GetString(data).AsSpan();
        while (true)
        {
            if (!PemEncoding.TryFind(text, out var fields))
            {
                if (!text.IsWhiteSpace())
                {
                    error = certificates.Count == 0 ? "no PEM certificate block found" : "text after the last PEM block is not a certificate block";
                    return false;
                }

                break;
            }

            if (!text[..fields.Location.Start].IsWhiteSpace())
            {
                error = "text outside PEM blocks (only whitespace may separate them)";
                return false;
            }

            if (!text[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                error = "PEM block " + (certificates.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + " is \"" + text[fields.Label].ToString() + "\", not CERTIFICATE";
                return false;
            }

            if (certificates.Count == MaxCertificates)
            {
                error = "more than " + MaxCertificates.ToString(System.Globalization.CultureInfo.InvariantCulture) + " certificates";
                return false;
            }

            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(text[fields.Base64Data], der, out int written) || written != der.Length)
            {
                error = "PEM block has invalid Base64";
                return false;
            }

            certificates.Add(der);
            text = text[fields.Location.End..];
        }

        if (certificates.Count == 0)
        {
            error = "no PEM certificate block found";
            return false;
        }

        return true;
    }
}
