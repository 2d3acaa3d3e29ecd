using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// One generated chain of the differential corpus: root → 0..3 intermediates → leaf. Defaults give a valid chain
/// (RSA-2048 root, one RSA-2048 intermediate, P-256 leaf with serverAuth and two DNS SANs).
/// </summary>
internal sealed record CorpusSpec
{
    /// <summary>"rsa2048", "rsa3072", "ec256", "ec384".</summary>
    internal string RootKey { get; init; } = "rsa2048";

    /// <summary>Number of intermediates (0..3).</summary>
    internal int Intermediates { get; init; } = 1;

    /// <summary>Key of every intermediate: "rsa2048", "ec256", "ec384".</summary>
    internal string IntermediateKey { get; init; } = "rsa2048";

    /// <summary>"rsa1024", "rsa2048", "rsa3072", "ec256", "ec384".</summary>
    internal string LeafKey { get; init; } = "ec256";

    internal HashAlgorithmName LeafHash { get; init; } = HashAlgorithmName.SHA256;

    /// <summary>pathLenConstraint of the top intermediate (signed by the root), or null.</summary>
    internal int? TopPathLength { get; init; }

    /// <summary>pathLenConstraint of the root, or null.</summary>
    internal int? RootPathLength { get; init; }

    /// <summary>cA of the bottom intermediate (the leaf's issuer).</summary>
    internal bool BottomIsCa { get; init; } = true;

    /// <summary>keyCertSign in the bottom intermediate's keyUsage.</summary>
    internal bool BottomKeyCertSign { get; init; } = true;

    /// <summary>EKU of the bottom intermediate, or null (absent).</summary>
    internal string[]? BottomEku { get; init; }

    /// <summary>Leaf keyUsage.</summary>
    internal X509KeyUsageFlags LeafKeyUsage { get; init; } = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment;

    /// <summary>Leaf EKU, or null (absent).</summary>
    internal string[]? LeafEku { get; init; } = ["1.3.6.1.5.5.7.3.1"];

    /// <summary>dNSName subtrees permitted by the bottom intermediate, or null.</summary>
    internal string[]? PermittedDns { get; init; }

    /// <summary>dNSName subtrees excluded by the bottom intermediate, or null.</summary>
    internal string[]? ExcludedDns { get; init; }

    /// <summary>Leaf certificatePolicies.</summary>
    internal string[] LeafPolicies { get; init; } = [TestOids.Ov];

    /// <summary>Intermediates' certificatePolicies, or null (absent).</summary>
    internal string[]? IntermediatePolicies { get; init; } = [TestOids.AnyPolicy];

    internal string LeafSubject { get; init; } = "CN=mail.example.com,O=Example GmbH,C=DE";

    /// <summary>Leaf DNS SANs (empty: no SAN extension, the name is only in the CN).</summary>
    internal string[] LeafDns { get; init; } = ["mail.example.com", "example.com"];

    internal DateTimeOffset LeafNotBefore { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal DateTimeOffset LeafNotAfter { get; init; } = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal DateTimeOffset IntermediateNotAfter { get; init; } = new(2035, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal DateTimeOffset RootNotAfter { get; init; } = new(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A critical extension no validator knows, on the leaf.</summary>
    internal bool LeafUnknownCritical { get; init; }

    /// <summary>authorityKeyIdentifier in the leaf (RFC 5280 4.2.1.1 MUST; OpenSSL -x509_strict refuses its absence).</summary>
    internal bool LeafAki { get; init; } = true;

    /// <summary>subjectKeyIdentifier in the bottom intermediate (RFC 5280 4.2.1.2 MUST for CAs).</summary>
    internal bool BottomSki { get; init; } = true;

    /// <summary>basicConstraints of the bottom intermediate marked critical (RFC 5280 4.2.1.9 MUST for CAs).</summary>
    internal bool BottomBasicConstraintsCritical { get; init; } = true;
}

/// <summary>DER certificates of a corpus chain; intermediates bottom-up (the leaf's issuer first).</summary>
internal sealed record CorpusChain(byte[] Root, byte[][] Intermediates, byte[] Leaf);

/// <summary>Builds <see cref="CorpusSpec"/> chains. One key per (role, type), made once per process.</summary>
internal static class CorpusChains
{
    private static readonly DateTimeOffset RootNotBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset IntermediateNotBefore = new(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, AsymmetricAlgorithm> Keys = [];
    private static int _serial;

    private static AsymmetricAlgorithm Key(string role, string type)
    {
        lock (Keys)
        {
            string k = role + "|" + type;
            if (!Keys.TryGetValue(k, out var key))
            {
                key = type switch
                {
                    "rsa1024" => RSA.Create(1024),
                    "rsa2048" => RSA.Create(2048),
                    "rsa3072" => RSA.Create(3072),
                    "ec384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
                    "ec256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
                    _ => throw new ArgumentException("unknown key type " + type),
                };
                Keys[k] = key;
            }

            return key;
        }
    }

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key, HashAlgorithmName hash) => key switch
    {
        RSA r => new CertificateRequest(subject, r, hash, RSASignaturePadding.Pkcs1),
        ECDsa e => new CertificateRequest(subject, e, hash),
        _ => throw new ArgumentException("key"),
    };

    private static X509SignatureGenerator Signer(AsymmetricAlgorithm key, HashAlgorithmName hash) => key switch
    {
        RSA r when hash == HashAlgorithmName.SHA1 => new Sha1RsaGenerator(r),
        RSA r => X509SignatureGenerator.CreateForRSA(r, RSASignaturePadding.Pkcs1),
        ECDsa e when hash == HashAlgorithmName.SHA1 => new Sha1EcdsaGenerator(e),
        ECDsa e => X509SignatureGenerator.CreateForECDsa(e),
        _ => throw new ArgumentException("key"),
    };

    internal static CorpusChain Create(CorpusSpec s)
    {
        var rootKey = Key("root", s.RootKey);
        var rootName = "CN=Corpus Root " + s.RootKey + ",O=Corpus Trust,C=DE";
        var rreq = Request(rootName, rootKey, HashAlgorithmName.SHA256);
        rreq.CertificateExtensions.Add(s.RootPathLength is { } rpl
            ? new X509BasicConstraintsExtension(true, true, rpl, true)
            : new X509BasicConstraintsExtension(true, false, 0, true));
        rreq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var rootSki = new X509SubjectKeyIdentifierExtension(rreq.PublicKey, false);
        rreq.CertificateExtensions.Add(rootSki);
        byte[] root;
        using (var rc = rreq.Create(new X500DistinguishedName(rootName), Signer(rootKey, HashAlgorithmName.SHA256), RootNotBefore, s.RootNotAfter, Serial()))
        {
            root = rc.RawData;
        }

        // Top-down: intermediate 0 is signed by the root, the last one signs the leaf.
        var issuerKey = rootKey;
        var issuerName = rootName;
        var issuerSki = rootSki;
        var intermediates = new List<byte[]>();
        for (int k = 0; k < s.Intermediates; k++)
        {
            bool top = k == 0, bottom = k == s.Intermediates - 1;
            var key = Key("int" + k, s.IntermediateKey);
            var name = "CN=Corpus CA " + k + ",O=Corpus Trust,C=DE";
            var req = Request(name, key, HashAlgorithmName.SHA256);
            bool ca = !bottom || s.BottomIsCa;
            bool bcCritical = !bottom || s.BottomBasicConstraintsCritical;
            req.CertificateExtensions.Add(top && s.TopPathLength is { } pl
                ? new X509BasicConstraintsExtension(ca, true, pl, bcCritical)
                : new X509BasicConstraintsExtension(ca, false, 0, bcCritical));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(
                !bottom || s.BottomKeyCertSign ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature, true));
            var ski = new X509SubjectKeyIdentifierExtension(req.PublicKey, false);
            if (!bottom || s.BottomSki)
            {
                req.CertificateExtensions.Add(ski);
            }

            req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuerSki));
            if (s.IntermediatePolicies is { } ip)
            {
                req.CertificateExtensions.Add(CorpusExtensions.Policies(ip));
            }

            if (bottom && s.BottomEku is { } eku)
            {
                req.CertificateExtensions.Add(CorpusExtensions.Eku(eku));
            }

            if (bottom && (s.PermittedDns is not null || s.ExcludedDns is not null))
            {
                req.CertificateExtensions.Add(CorpusExtensions.NameConstraints(s.PermittedDns, s.ExcludedDns));
            }

            using (var c = req.Create(new X500DistinguishedName(issuerName), Signer(issuerKey, HashAlgorithmName.SHA256), IntermediateNotBefore, s.IntermediateNotAfter, Serial()))
            {
                intermediates.Add(c.RawData);
            }

            issuerKey = key;
            issuerName = name;
            issuerSki = ski;
        }

        var leafKey = Key("leaf", s.LeafKey);
        var lreq = Request(s.LeafSubject, leafKey, s.LeafHash);
        lreq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        lreq.CertificateExtensions.Add(new X509KeyUsageExtension(s.LeafKeyUsage, true));
        lreq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(lreq.PublicKey, false));
        if (s.LeafAki)
        {
            lreq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuerSki));
        }
        if (s.LeafEku is { } le)
        {
            lreq.CertificateExtensions.Add(CorpusExtensions.Eku(le));
        }

        if (s.LeafDns.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var d in s.LeafDns)
            {
                san.AddDnsName(d);
            }

            lreq.CertificateExtensions.Add(san.Build());
        }

        if (s.LeafPolicies.Length > 0)
        {
            lreq.CertificateExtensions.Add(CorpusExtensions.Policies(s.LeafPolicies));
        }

        if (s.LeafUnknownCritical)
        {
            lreq.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.55555.9", [0x05, 0x00], critical: true));
        }

        byte[] leaf;
        using (var lc = lreq.Create(new X500DistinguishedName(issuerName), Signer(issuerKey, s.LeafHash), s.LeafNotBefore, s.LeafNotAfter, Serial()))
        {
            leaf = lc.RawData;
        }

        intermediates.Reverse();
        return new CorpusChain(root, [.. intermediates], leaf);
    }

    private static byte[] Serial()
    {
        int n = Interlocked.Increment(ref _serial);
        return [0x20, (byte)(n >> 16), (byte)(n >> 8), (byte)n];
    }
}

/// <summary>Extension encoders shared by the corpus generator.</summary>
internal static class CorpusExtensions
{
    internal static X509Extension Policies(string[] oids)
    {
        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var o in oids)
            {
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(o);
                }
            }
        }

        return new X509Extension("2.5.29.32", w.Encode(), critical: false);
    }

    internal static X509Extension Eku(string[] oids)
    {
        var c = new OidCollection();
        foreach (var o in oids)
        {
            c.Add(new Oid(o));
        }

        return new X509EnhancedKeyUsageExtension(c, false);
    }

    internal static X509Extension NameConstraints(string[]? permitted, string[]? excluded)
    {
        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            Subtrees(w, 0, permitted);
            Subtrees(w, 1, excluded);
        }

        return new X509Extension("2.5.29.30", w.Encode(), critical: true);
    }

    private static void Subtrees(System.Formats.Asn1.AsnWriter w, int tag, string[]? names)
    {
        if (names is null)
        {
            return;
        }

        using (w.PushSequence(new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, tag)))
        {
            foreach (var p in names)
            {
                using (w.PushSequence())
                {
                    w.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, p, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 2));
                }
            }
        }
    }
}

/// <summary>Signs with sha1WithRSAEncryption (1.2.840.113549.1.1.5), which .NET's own generator refuses to emit.</summary>
internal sealed class Sha1RsaGenerator(RSA key) : X509SignatureGenerator
{
    public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
        [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00];

    public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
        key.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

    protected override PublicKey BuildPublicKey() => new(key);
}
