using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Tests.Validation;

/// <summary>One extension as it is written: OID, criticality, value (the OCTET STRING content).</summary>
internal sealed record RawExtension(string Oid, bool Critical, byte[] Value);

/// <summary>
/// A certificate written field by field (RFC 5280 4.1), so that a test can break exactly one rule: any version
/// with any extensions, repeated extensions, a TBS signature algorithm that differs from the outer one, any
/// SubjectPublicKeyInfo (the key of a leaf is never used, so it needs no private key). .NET's CertificateRequest
/// refuses most of these; BouncyCastle's generator would re-encode some of them.
/// </summary>
internal sealed record RawCertificate
{
    internal int Version { get; init; } = 3;
    internal required byte[] Serial { get; init; }
    internal required byte[] IssuerDer { get; init; }
    internal required byte[] SubjectDer { get; init; }
    internal DateTimeOffset NotBefore { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal DateTimeOffset NotAfter { get; init; } = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal required byte[] SpkiDer { get; init; }
    internal IReadOnlyList<RawExtension> Extensions { get; init; } = [];

    /// <summary>The TBS signature AlgorithmIdentifier; null = the signer's (the outer one).</summary>
    internal byte[]? TbsSignatureAlgorithm { get; init; }

    internal RawCertificate With(string oid, bool critical, byte[] value)
    {
        var list = new List<RawExtension>();
        bool replaced = false;
        foreach (var e in Extensions)
        {
            if (e.Oid == oid && !replaced)
            {
                list.Add(new RawExtension(oid, critical, value));
                replaced = true;
            }
            else
            {
                list.Add(e);
            }
        }

        if (!replaced)
        {
            list.Add(new RawExtension(oid, critical, value));
        }

        return this with { Extensions = list };
    }

    internal RawCertificate Without(string oid) => this with { Extensions = [.. Extensions.Where(e => e.Oid != oid)] };

    internal RawCertificate Append(string oid, bool critical, byte[] value) => this with { Extensions = [.. Extensions, new RawExtension(oid, critical, value)] };

    internal RawExtension? Find(string oid) => Extensions.FirstOrDefault(e => e.Oid == oid);

    /// <summary>Signs with ecdsa-with-SHA256 (EC key) or sha256WithRSAEncryption (RSA key).</summary>
    internal byte[] Sign(AsymmetricAlgorithm issuerKey)
    {
        byte[] alg = issuerKey is RSA ? RawDer.Sha256WithRsa : RawDer.EcdsaSha256;
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            if (Version != 1)
            {
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
                {
                    w.WriteInteger(Version - 1);
                }
            }

            w.WriteIntegerUnsigned(Serial);
            w.WriteEncodedValue(TbsSignatureAlgorithm ?? alg);
            w.WriteEncodedValue(IssuerDer);
            using (w.PushSequence())
            {
                w.WriteUtcTime(NotBefore);
                w.WriteUtcTime(NotAfter);
            }

            w.WriteEncodedValue(SubjectDer);
            w.WriteEncodedValue(SpkiDer);
            if (Extensions.Count > 0)
            {
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3)))
                using (w.PushSequence())
                {
                    foreach (var e in Extensions)
                    {
                        using (w.PushSequence())
                        {
                            w.WriteObjectIdentifier(e.Oid);
                            if (e.Critical)
                            {
                                w.WriteBoolean(true);
                            }

                            w.WriteOctetString(e.Value);
                        }
                    }
                }
            }
        }

        byte[] tbs = w.Encode();
        byte[] sig = issuerKey switch
        {
            RSA r => r.SignData(tbs, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa e => e.SignData(tbs, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            _ => throw new ArgumentException("key"),
        };
        var c = new AsnWriter(AsnEncodingRules.DER);
        using (c.PushSequence())
        {
            c.WriteEncodedValue(tbs);
            c.WriteEncodedValue(alg);
            c.WriteBitString(sig);
        }

        return c.Encode();
    }
}

/// <summary>DER pieces for <see cref="RawCertificate"/>: names, key identifiers, the usual extension values.</summary>
internal static class RawDer
{
    internal static readonly byte[] EcdsaSha256 = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
    internal static readonly byte[] EcdsaSha384 = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
    internal static readonly byte[] Sha256WithRsa = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00];

    internal const string BasicConstraints = "2.5.29.19";
    internal const string KeyUsage = "2.5.29.15";
    internal const string ExtKeyUsage = "2.5.29.37";
    internal const string SubjectAltName = "2.5.29.17";
    internal const string Ski = "2.5.29.14";
    internal const string Aki = "2.5.29.35";
    internal const string Policies = "2.5.29.32";
    internal const string NameConstraints = "2.5.29.30";
    internal const string PolicyConstraints = "2.5.29.36";
    internal const string Aia = "1.3.6.1.5.5.7.1.1";
    internal const string CrlDp = "2.5.29.31";
    internal const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    internal const string AnyEku = "2.5.29.37.0";

    /// <summary>A Name from RFC 4514-ish text via .NET (UTF8String/PrintableString as .NET picks).</summary>
    internal static byte[] Name(string dn) => new X500DistinguishedName(dn).RawData;

    /// <summary>A Name of single-attribute RDNs with exact string types: (oid, universal tag, value).</summary>
    internal static byte[] Name(params (string Oid, UniversalTagNumber Tag, string Value)[] attributes)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var (oid, tag, value) in attributes)
            {
                using (w.PushSetOf())
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(oid);
                    w.WriteCharacterString(tag, value);
                }
            }
        }

        return w.Encode();
    }

    internal static byte[] Spki(AsymmetricAlgorithm key) => key switch
    {
        RSA r => r.ExportSubjectPublicKeyInfo(),
        ECDsa e => e.ExportSubjectPublicKeyInfo(),
        _ => throw new ArgumentException("key"),
    };

    /// <summary>SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1).</summary>
    internal static byte[] KeyId(byte[] spki)
    {
        var r = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
        r.ReadSequence();
        var bits = r.ReadBitString(out _);
#pragma warning disable CA5350 // RFC 5280 4.2.1.2 method (1) is SHA-1 of the key; not a security use.
        return SHA1.HashData(bits);
#pragma warning restore CA5350
    }

    internal static byte[] OctetString(byte[] content)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.WriteOctetString(content);
        return w.Encode();
    }

    /// <summary>AuthorityKeyIdentifier with the chosen fields.</summary>
    internal static byte[] AkiValue(byte[]? keyId, byte[]? issuerNameDer = null, byte[]? serial = null)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            if (keyId is not null)
            {
                w.WriteOctetString(keyId, new Asn1Tag(TagClass.ContextSpecific, 0));
            }

            if (issuerNameDer is not null)
            {
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, true)))
                {
                    // directoryName [4] is EXPLICIT (Name is a CHOICE).
                    w.WriteEncodedValue(issuerNameDer);
                }
            }

            if (serial is not null)
            {
                w.WriteIntegerUnsigned(serial, new Asn1Tag(TagClass.ContextSpecific, 2));
            }
        }

        return w.Encode();
    }

    internal static byte[] BasicConstraintsValue(bool ca, int? pathLength = null)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            if (ca)
            {
                w.WriteBoolean(true);
            }

            if (pathLength is { } p)
            {
                w.WriteInteger(p);
            }
        }

        return w.Encode();
    }

    internal static byte[] KeyUsageValue(X509KeyUsageFlags flags) => new X509KeyUsageExtension(flags, true).RawData;

    internal static byte[] EkuValue(params string[] oids)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var o in oids)
            {
                w.WriteObjectIdentifier(o);
            }
        }

        return w.Encode();
    }

    internal static byte[] PoliciesValue(params string[] oids) => Validation.CorpusExtensions.Policies(oids).RawData;

    /// <summary>GeneralNames of dNSName entries (exact IA5 bytes, no validation: the tests write bad names on purpose).</summary>
    internal static byte[] SanValue(params string[] dnsNames)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var d in dnsNames)
            {
                w.WriteOctetString(System.Text.Encoding.ASCII.GetBytes(d), new Asn1Tag(TagClass.ContextSpecific, 2));
            }
        }

        return w.Encode();
    }

    /// <summary>NameConstraints with dNSName subtrees; null = absent, empty = an empty subtrees list.</summary>
    internal static byte[] NameConstraintsValue(string[]? permitted, string[]? excluded)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            Subtrees(w, 0, permitted);
            Subtrees(w, 1, excluded);
        }

        return w.Encode();
    }

    private static void Subtrees(AsnWriter w, int tag, string[]? names)
    {
        if (names is null)
        {
            return;
        }

        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag)))
        {
            foreach (var n in names)
            {
                using (w.PushSequence())
                {
                    w.WriteOctetString(System.Text.Encoding.ASCII.GetBytes(n), new Asn1Tag(TagClass.ContextSpecific, 2));
                }
            }
        }
    }

    /// <summary>AuthorityInfoAccess with one caIssuers URI.</summary>
    internal static byte[] AiaValue(string uri)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier("1.3.6.1.5.5.7.48.2");
            w.WriteOctetString(System.Text.Encoding.ASCII.GetBytes(uri), new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return w.Encode();
    }

    /// <summary>CRLDistributionPoints with one fullName URI.</summary>
    internal static byte[] CrlDpValue(string uri)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence())
        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
        {
            w.WriteOctetString(System.Text.Encoding.ASCII.GetBytes(uri), new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return w.Encode();
    }

    /// <summary>PolicyConstraints { requireExplicitPolicy [0] n }.</summary>
    internal static byte[] PolicyConstraintsValue(int requireExplicit)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteInteger(requireExplicit, new Asn1Tag(TagClass.ContextSpecific, 0));
        }

        return w.Encode();
    }

    /// <summary>An RSA SubjectPublicKeyInfo with any modulus and exponent (no private key: for leaves only).</summary>
    internal static byte[] RsaSpki(BigInteger modulus, BigInteger exponent)
    {
        var k = new AsnWriter(AsnEncodingRules.DER);
        using (k.PushSequence())
        {
            k.WriteInteger(modulus);
            k.WriteInteger(exponent);
        }

        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier("1.2.840.113549.1.1.1");
                w.WriteNull();
            }

            w.WriteBitString(k.Encode());
        }

        return w.Encode();
    }

    /// <summary>A secp256k1 key (a named curve BR 7.1.3.1.2 does not allow; .NET on OpenSSL makes it).</summary>
    internal static byte[] Secp256k1Spki()
    {
        using var k = ECDsa.Create(ECCurve.CreateFromFriendlyName("secP256k1"));
        return k.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The key of <paramref name="ec"/> with the curve written as explicit parameters (RFC 3279 ECParameters) instead of a named curve.</summary>
    internal static byte[] ExplicitCurveSpki(ECDsa ec)
    {
        var p = ec.ExportExplicitParameters(false);
        var point = new byte[1 + p.Q.X!.Length + p.Q.Y!.Length];
        point[0] = 0x04;
        p.Q.X.CopyTo(point, 1);
        p.Q.Y.CopyTo(point, 1 + p.Q.X.Length);
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier("1.2.840.10045.2.1");
                using (w.PushSequence())
                {
                    w.WriteInteger(1);
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier("1.2.840.10045.1.1");
                        w.WriteIntegerUnsigned(p.Curve.Prime);
                    }

                    using (w.PushSequence())
                    {
                        w.WriteOctetString(p.Curve.A);
                        w.WriteOctetString(p.Curve.B);
                    }

                    var g = new byte[1 + p.Curve.G.X!.Length + p.Curve.G.Y!.Length];
                    g[0] = 0x04;
                    p.Curve.G.X.CopyTo(g, 1);
                    p.Curve.G.Y.CopyTo(g, 1 + p.Curve.G.X.Length);
                    w.WriteOctetString(g);
                    w.WriteIntegerUnsigned(p.Curve.Order);
                    w.WriteIntegerUnsigned(p.Curve.Cofactor);
                }
            }

            w.WriteBitString(point);
        }

        return w.Encode();
    }
}
