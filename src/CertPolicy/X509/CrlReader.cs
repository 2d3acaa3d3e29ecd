using System.Security.Cryptography;

namespace CertPolicy.X509;

/// <summary>
/// Splits a PEM file of CRLs (<c>X509 CRL</c> blocks) or one DER CRL into DER blobs for
/// <see cref="Validation.ValidationRequest.Crls"/>. Non-throwing: bad Base64, another label, text outside the blocks,
/// or more than <see cref="MaxCrls"/> blocks is an error with a one-line reason. Does not parse the CRLs (the validator
/// does, and fails closed on one it cannot read). Reads files only as bytes the caller passes: nothing is fetched.
/// </summary>
internal static class CrlReader
{
    /// <summary>Most CRLs read from one input.</summary>
    public const int MaxCrls = 64;

    /// <summary>Reads the CRLs of a PEM input, or one DER CRL.</summary>
    /// <param name="data">The file bytes.</param>
    /// <param name="crls">The DER blobs, in file order.</param>
    /// <param name="error">Why the input is unusable, or null.</param>
    /// <returns>True when at least one CRL block was found and nothing else was there.</returns>
    public static bool TryRead(ReadOnlySpan<byte> data, out List<byte[]> crls, out string? error)
    {
        crls = [];
        error = null;
        if (data.IsEmpty)
        {
            error = "empty input";
            return false;
        }

        if (data[0] == 0x30)
        {
            crls.Add(data.ToArray());
            return true;
        }

        if (!System.Text.Unicode.Utf8.IsValid(data))
        {
            error = "neither PEM text nor a DER CRL";
            return false;
        }

        var text = Encoding.UTF8.GetString(data).AsSpan();

        // One linear pass first: every BEGIN line needs its END line before the next BEGIN. PemEncoding.TryFind
        // searches for an END after every BEGIN, so a file of BEGIN lines without END would cost time quadratic in its
        // size (issue 14; the certificate reader avoids it with PemSplitter).
        if (!BlocksAreClosed(text))
        {
            error = "a PEM BEGIN line without its END line";
            return false;
        }

        while (PemEncoding.TryFind(text, out var fields))
        {
            if (!text[..fields.Location.Start].IsWhiteSpace())
            {
                error = "text outside PEM blocks (only whitespace may separate them)";
                return false;
            }

            if (!text[fields.Label].SequenceEqual("X509 CRL"))
            {
                error = "PEM block " + (crls.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + " is \"" + text[fields.Label].ToString() + "\", not X509 CRL";
                return false;
            }

            if (crls.Count == MaxCrls)
            {
                error = "more than " + MaxCrls.ToString(System.Globalization.CultureInfo.InvariantCulture) + " CRLs";
                return false;
            }

            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(text[fields.Base64Data], der, out int written) || written != der.Length)
            {
                error = "PEM block has invalid Base64";
                return false;
            }

            crls.Add(der);
            text = text[fields.Location.End..];
        }

        if (!text.IsWhiteSpace())
        {
            error = crls.Count == 0 ? "no PEM X509 CRL block found" : "text after the last PEM block is not a CRL block";
            return false;
        }

        if (crls.Count == 0)
        {
            error = "no PEM X509 CRL block found";
            return false;
        }

        return true;
    }

    // Alternating BEGIN/END markers, each looked for once from where the previous one ended: linear in the text.
    private static bool BlocksAreClosed(ReadOnlySpan<char> text)
    {
        while (true)
        {
            int begin = text.IndexOf("-----BEGIN ", StringComparison.Ordinal);
            if (begin < 0)
            {
                return true;
            }

            text = text[(begin + 11)..];
            int end = text.IndexOf("-----END ", StringComparison.Ordinal);
            if (end < 0)
            {
                return false;
            }

            int nextBegin = text[..end].IndexOf("-----BEGIN ", StringComparison.Ordinal);
            if (nextBegin >= 0)
            {
                return false;
            }

            text = text[(end + 9)..];
        }
    }
}
