using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CertPolicy.Tests.Names;

/// <summary>What kind of subjectAltName entry a <see cref="SanEntry"/> is.</summary>
internal enum SanKind
{
    /// <summary>dNSName [2] IA5String.</summary>
    Dns,

    /// <summary>iPAddress [7] OCTET STRING.</summary>
    IP,

    /// <summary>rfc822Name [1] IA5String.</summary>
    Email,
}

/// <summary>One subjectAltName entry; <see cref="Value"/> is written byte for byte (Latin-1), so it may hold NUL or upper case.</summary>
internal readonly record struct SanEntry(SanKind Kind, string Value)
{
    /// <summary>
    /// Parses the table notation <c>dns:NAME</c>, <c>ip:ADDRESS</c>, <c>email:ADDRESS</c>. In a name,
    /// the four characters <c>\0</c> stand for a NUL byte (kept out of test display names on purpose).
    /// </summary>
    public static SanEntry Parse(string token)
    {
        int colon = token.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new ArgumentException($"SAN token \"{token}\" needs a kind prefix (dns:, ip:, email:)", nameof(token));
        }

        string kind = token[..colon];
        string value = token[(colon + 1)..];
        return kind switch
        {
            "dns" => new SanEntry(SanKind.Dns, TestPki.Unescape(value)),
            "ip" => new SanEntry(SanKind.IP, value),
            "email" => new SanEntry(SanKind.Email, TestPki.Unescape(value)),
            _ => throw new ArgumentException($"unknown SAN kind \"{kind}\" in \"{token}\"", nameof(token)),
        };
    }
}

/// <summary>
/// Builds a test PKI with .NET <see cref="CertificateRequest"/>: one ECDSA P-256 CA with a fixed
/// subject, and leaf certificates with any subject CNs and a hand-encoded subjectAltName extension
/// (System.Formats.Asn1), so names .NET's <see cref="SubjectAlternativeNameBuilder"/> would
/// normalise or refuse (upper case, trailing dots, <c>*</c>, embedded NUL) reach the peer unchanged.
/// </summary>
internal sealed class TestPki : IDisposable
{
    /// <summary>The CA subject (deterministic).</summary>
    public const string CaSubject = "CN=CertPolicy Names Differential Test CA, O=CertPolicy Tests";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private readonly ECDsa caKey;
    private long serial;

    public TestPki()
        : this(CaSubject)
    {
    }

    public TestPki(string caSubject)
    {
        caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(caSubject, caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Ca = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    /// <summary>The CA certificate (with its private key).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The CA certificate in PEM, for posttls-finger <c>-F</c>.</summary>
    public string CaPem => Ca.ExportCertificatePem();

    /// <summary>Turns the table escape <c>\0</c> into a NUL character.</summary>
    public static string Unescape(string s) => s.Replace("\\0", "\0", StringComparison.Ordinal);

    /// <summary>
    /// Issues a leaf certificate (ECDSA P-256, serverAuth) with its private key.
    /// </summary>
    /// <param name="commonNames">Subject CN RDNs in order (see <see cref="EncodeSubject"/>); none gives a subject of only O=.</param>
    /// <param name="sans">subjectAltName entries; none means no SAN extension at all.</param>
    public X509Certificate2 IssueLeaf(IReadOnlyList<string> commonNames, IReadOnlyList<SanEntry> sans)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(EncodeSubject(commonNames)), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        if (sans.Count > 0)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.17", EncodeGeneralNames(sans), false));
        }

        long n = Interlocked.Increment(ref serial);
        byte[] serialBytes = [0x01, .. BitConverter.GetBytes(n)];
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Ca, now.AddHours(-1), now.AddDays(1), serialBytes);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// Encodes a subject Name: <c>O=CertPolicy Tests</c>, then one RDN per element of
    /// <paramref name="commonNames"/>; <c>+</c> inside an element puts several CNs in one
    /// (multi-valued) RDN. Each CN is a UTF8String of its text, unless prefixed: <c>bmp:</c>
    /// BMPString, <c>printable:</c>, <c>ia5:</c>, <c>t61:</c> (TeletexString, Latin-1), or
    /// <c>hex-utf8:</c> / <c>hex-bmp:</c> raw content bytes in hex (for invalid encodings). The
    /// content is written as given, without validation.
    /// </summary>
    public static byte[] EncodeSubject(IReadOnlyList<string> commonNames)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSetOf())
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier("2.5.4.10");
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, "CertPolicy Tests");
                }
            }

            foreach (string rdn in commonNames)
            {
                using (writer.PushSetOf())
                {
                    foreach (string cn in rdn.Split('+'))
                    {
                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier("2.5.4.3");
                            var (tag, content) = EncodeCommonName(cn);
                            writer.WriteEncodedValue(Tlv(tag, content));
                        }
                    }
                }
            }
        }

        return writer.Encode();
    }

    private static (UniversalTagNumber Tag, byte[] Content) EncodeCommonName(string cn)
    {
        static bool Prefixed(string s, string prefix, out string rest)
        {
            bool ok = s.StartsWith(prefix, StringComparison.Ordinal);
            rest = ok ? s[prefix.Length..] : s;
            return ok;
        }

        if (Prefixed(cn, "bmp:", out string text))
        {
            return (UniversalTagNumber.BMPString, Encoding.BigEndianUnicode.GetBytes(text));
        }

        if (Prefixed(cn, "printable:", out text))
        {
            return (UniversalTagNumber.PrintableString, Encoding.Latin1.GetBytes(text));
        }

        if (Prefixed(cn, "ia5:", out text))
        {
            return (UniversalTagNumber.IA5String, Encoding.Latin1.GetBytes(text));
        }

        if (Prefixed(cn, "t61:", out text))
        {
            return (UniversalTagNumber.T61String, Encoding.Latin1.GetBytes(text));
        }

        if (Prefixed(cn, "hex-utf8:", out text))
        {
            return (UniversalTagNumber.UTF8String, Convert.FromHexString(text));
        }

        if (Prefixed(cn, "hex-bmp:", out text))
        {
            return (UniversalTagNumber.BMPString, Convert.FromHexString(text));
        }

        return (UniversalTagNumber.UTF8String, Encoding.UTF8.GetBytes(cn));
    }

    // A primitive universal TLV with the content exactly as given (AsnWriter validates strings).
    private static byte[] Tlv(UniversalTagNumber tag, byte[] content)
    {
        var tlv = new List<byte> { (byte)tag };
        if (content.Length < 0x80)
        {
            tlv.Add((byte)content.Length);
        }
        else
        {
            tlv.Add(0x82);
            tlv.Add((byte)(content.Length >> 8));
            tlv.Add((byte)content.Length);
        }

        tlv.AddRange(content);
        return [.. tlv];
    }

    /// <summary>Encodes GeneralNames (RFC 5280 4.2.1.6) with the given entries, bytes as written.</summary>
    public static byte[] EncodeGeneralNames(IReadOnlyList<SanEntry> sans)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var san in sans)
            {
                switch (san.Kind)
                {
                    case SanKind.Dns:
                        writer.WriteOctetString(Encoding.Latin1.GetBytes(san.Value), new Asn1Tag(TagClass.ContextSpecific, 2));
                        break;
                    case SanKind.Email:
                        writer.WriteOctetString(Encoding.Latin1.GetBytes(san.Value), new Asn1Tag(TagClass.ContextSpecific, 1));
                        break;
                    case SanKind.IP:
                        writer.WriteOctetString(IPAddress.Parse(san.Value).GetAddressBytes(), new Asn1Tag(TagClass.ContextSpecific, 7));
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(sans), san.Kind, "unknown SAN kind");
                }
            }
        }

        return writer.Encode();
    }

    public void Dispose()
    {
        Ca.Dispose();
        caKey.Dispose();
    }
}
