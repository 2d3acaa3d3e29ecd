using System.Globalization;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>
/// R-C3 (RULES.md); RFC 8446 4.4.2 and RFC 5246 7.4.2: the sender's own (end-entity) certificate comes first in the
/// presented chain, the CA certificates after it. A chain given CA first (a common mistake when concatenating PEM files)
/// would otherwise be validated as if the CA were the gateway's certificate, and fail with a confusing name or
/// certificate-profile error. OpenSSL, and so Postfix, takes the first certificate as the server's: the name check then
/// fails (X509_V_ERR_HOSTNAME_MISMATCH); <c>openssl verify FILE</c> checks only the first certificate of the file and says
/// OK for the CA. Detected when certificate 0 is a CA and a later one is an end entity; the validator then reports
/// <c>chain.not-in-order</c> and checks the chain with that end entity first. No allocation when the order is right.
/// </summary>
internal static class ChainOrder
{
    /// <summary>The stable finding code.</summary>
    internal const string Code = "chain.not-in-order";

    /// <summary>The index of the end-entity certificate when the presented chain does not start with it, else -1.</summary>
    internal static int FindMisplacedLeaf(ReadOnlySpan<CertificateView> presented)
    {
        if (presented.Length < 2 || !presented[0].IsCa)
        {
            return -1;
        }

        for (int i = 1; i < presented.Length; i++)
        {
            if (!presented[i].IsCa)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The index of the end-entity certificate the validator checks first: <see cref="FindMisplacedLeaf"/>'s, else 0.</summary>
    internal static int LeafIndex(IReadOnlyList<ReadOnlyMemory<byte>> chain)
    {
        if (chain.Count < 2 || !CertificateView.TryParse(chain[0], out var first, out _) || !first.IsCa)
        {
            return 0;
        }

        for (int i = 1; i < chain.Count && i < CertificateChainReader.MaxCertificates; i++)
        {
            if (CertificateView.TryParse(chain[i], out var v, out _) && !v.IsCa)
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>The message (explain path only).</summary>
    internal static string Describe(int leafAt) =>
        "the chain is not in order: the leaf must come first, then the intermediate CA certificates; certificate "
        + leafAt.ToString(CultureInfo.InvariantCulture) + " (counting from 0) is the end-entity certificate and certificate 0 is a CA. "
        + "The chain was checked with the end-entity certificate first; fix the order the gateway sends (Postfix: the leaf first in smtpd_tls_chain_files or smtpd_tls_cert_file)";
}
