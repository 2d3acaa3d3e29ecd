using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Tests.Support;

/// <summary>Builds test leaf certificates with chosen names (DER), including names .NET's builders refuse (NUL, BMPString).</summary>
internal static class TestCertificates
{
    private static readonly Lazy<ECDsa> Key = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>A self-signed certificate with the given DNS SANs, IP SANs and subject (an X.500 DN string or null for empty).</summary>
    internal static byte[] Create(string? subject, string[]? dns = null, string[]? ips = null, byte[]? rawSan = null)
    {
        var dn = subject is null ? new X500DistinguishedName([0x30, 0x00]) : new X500DistinguishedName(subject);
        var req = new CertificateRequest(dn, Key.Value, HashAlgorithmName.SHA256);
        if (rawSan is not null)
        {
            req.CertificateExtensions.Add(new X509Extension("2.5.29.17", rawSan, critical: false));
        }
        else if (dns is { Length: > 0 } || ips is { Length: > 0 })
        {
            var w = new AsnWriter(AsnEncodingRules.DER);
            using (w.PushSequence())
            {
                foreach (var d in dns ?? [])
                {
                    w.WriteCharacterString(UniversalTagNumber.IA5String, d, new Asn1Tag(TagClass.ContextSpecific, 2));
                }

                foreach (var ip in ips ?? [])
                {
                    w.WriteOctetString(System.Net.IPAddress.Parse(ip).GetAddressBytes(), new Asn1Tag(TagClass.ContextSpecific, 7));
                }
            }

            req.CertificateExtensions.Add(new X509Extension("2.5.29.17", w.Encode(), critical: false));
        }

        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var cert = req.CreateSelfSigned(now, now.AddYears(1));
        return cert.RawData;
    }

    /// <summary>A SAN extension value with one dNSName given as raw bytes (e.g. with an embedded NUL).</summary>
    internal static byte[] RawDnsSan(byte[] name)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteOctetString(name, new Asn1Tag(TagClass.ContextSpecific, 2));
        }

        return w.Encode();
    }

    internal static string ToPem(byte[] der) => PemEncoding.WriteString("CERTIFICATE", der) + "\n";
}
