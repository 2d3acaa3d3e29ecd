using System.Formats.Asn1;

namespace CertPolicy.X509;

/// <summary>Public key algorithm of a certificate. Values are API: never renumber.</summary>
internal enum KeyAlgorithm : byte
{
    /// <summary>Anything not listed (the key cannot be used for verification here).</summary>
    Unknown = 0,

    /// <summary>rsaEncryption.</summary>
    Rsa = 1,

    /// <summary>id-ecPublicKey with a named curve.</summary>
    Ec = 2,

    /// <summary>Ed25519 (recognised for reporting; not verified: .NET 10 has no span Ed25519 API).</summary>
    Ed25519 = 3,
}

/// <summary>Signature algorithm of a certificate. Values are API: never renumber.</summary>
internal enum SignatureAlgorithm : byte
{
    /// <summary>Not recognised (including RSASSA-PSS, not supported yet); never verifies.</summary>
    Unknown = 0,

    /// <summary>md5WithRSAEncryption (refused by R-C10).</summary>
    RsaPkcs1Md5 = 1,

    /// <summary>sha1WithRSAEncryption (refused by R-C10).</summary>
    RsaPkcs1Sha1 = 2,

    /// <summary>sha256WithRSAEncryption.</summary>
    RsaPkcs1Sha256 = 3,

    /// <summary>sha384WithRSAEncryption.</summary>
    RsaPkcs1Sha384 = 4,

    /// <summary>sha512WithRSAEncryption.</summary>
    RsaPkcs1Sha512 = 5,

    /// <summary>ecdsa-with-SHA1 (refused by R-C10).</summary>
    EcdsaSha1 = 6,

    /// <summary>ecdsa-with-SHA256.</summary>
    EcdsaSha256 = 7,

    /// <summary>ecdsa-with-SHA384.</summary>
    EcdsaSha384 = 8,

    /// <summary>ecdsa-with-SHA512.</summary>
    EcdsaSha512 = 9,
}

/// <summary>keyUsage bits (RFC 5280 4.2.1.3), bit 0 = digitalSignature.</summary>
[Flags]
internal enum KeyUsages : ushort
{
    /// <summary>No bit set.</summary>
    None = 0,

    /// <summary>digitalSignature (0).</summary>
    DigitalSignature = 1 << 0,

    /// <summary>nonRepudiation / contentCommitment (1).</summary>
    NonRepudiation = 1 << 1,

    /// <summary>keyEncipherment (2).</summary>
    KeyEncipherment = 1 << 2,

    /// <summary>dataEncipherment (3).</summary>
    DataEncipherment = 1 << 3,

    /// <summary>keyAgreement (4).</summary>
    KeyAgreement = 1 << 4,

    /// <summary>keyCertSign (5).</summary>
    KeyCertSign = 1 << 5,

    /// <summary>cRLSign (6).</summary>
    CrlSign = 1 << 6,

    /// <summary>encipherOnly (7).</summary>
    EncipherOnly = 1 << 7,

    /// <summary>decipherOnly (8).</summary>
    DecipherOnly = 1 << 8,
}

/// <summary>The extensions <see cref="CertificateView"/> processes (used to report which were critical).</summary>
[Flags]
internal enum KnownExtensions : ushort
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>basicConstraints.</summary>
    BasicConstraints = 1 << 0,

    /// <summary>keyUsage.</summary>
    KeyUsage = 1 << 1,

    /// <summary>extKeyUsage.</summary>
    ExtendedKeyUsage = 1 << 2,

    /// <summary>certificatePolicies.</summary>
    CertificatePolicies = 1 << 3,

    /// <summary>nameConstraints.</summary>
    NameConstraints = 1 << 4,

    /// <summary>authorityKeyIdentifier.</summary>
    AuthorityKeyIdentifier = 1 << 5,

    /// <summary>subjectKeyIdentifier.</summary>
    SubjectKeyIdentifier = 1 << 6,

    /// <summary>subjectAltName.</summary>
    SubjectAltName = 1 << 7,
}

/// <summary>Facts the R-C11 certificate-profile rules need that no public property carries (internal, may change).</summary>
[Flags]
internal enum ProfileFacts : ushort
{
    None = 0,

    /// <summary>The certificate has an extensions field (whatever its version).</summary>
    HasExtensions = 1 << 0,

    /// <summary>An authorityKeyIdentifier extension is present (with or without keyIdentifier).</summary>
    AkiPresent = 1 << 1,

    /// <summary>The AKI carries authorityCertIssuer.</summary>
    AkiIssuer = 1 << 2,

    /// <summary>The AKI carries authorityCertSerialNumber.</summary>
    AkiSerial = 1 << 3,

    /// <summary>A subjectAltName extension is present (possibly empty).</summary>
    SanPresent = 1 << 4,

    /// <summary>An authorityInfoAccess extension is present (value in <see cref="CertificateView.AuthorityInfoAccessRange"/>).</summary>
    AiaPresent = 1 << 5,

    /// <summary>A cRLDistributionPoints extension is present (value in <see cref="CertificateView.CrlDistributionPointsRange"/>).</summary>
    CrlDpPresent = 1 << 6,

    /// <summary>A policyConstraints extension is present.</summary>
    PolicyConstraintsPresent = 1 << 7,

    /// <summary>The policyConstraints extension is critical.</summary>
    PolicyConstraintsCritical = 1 << 8,

    /// <summary>A subject attribute value is blank or metadata only (spaces, '.', '-').</summary>
    BlankSubjectAttribute = 1 << 9,
}

/// <summary>Why a certificate could not be read. Values are API: never renumber.</summary>
internal enum CertificateError : byte
{
    /// <summary>Read.</summary>
    None = 0,

    /// <summary>Larger than <see cref="CertificateView.MaxCertificateBytes"/>.</summary>
    TooLarge = 1,

    /// <summary>Not strict DER, or not the X.509 Certificate structure (including trailing data).</summary>
    Malformed = 2,

    /// <summary>A version, time, algorithm or field that RFC 5280 forbids.</summary>
    InvalidField = 3,

    /// <summary>An extension is malformed, empty, or repeated (RFC 5280 4.2).</summary>
    InvalidExtension = 4,

    /// <summary>More extensions, policies or name attributes than the limits allow.</summary>
    LimitExceeded = 5,
}

/// <summary>
/// A zero-copy view of one X.509 certificate: every raw field is a slice of <see cref="Der"/>, read once under strict
/// DER with size and count limits (RFC 5280 4.1). Never throws on data: <see cref="TryParse(ReadOnlyMemory{byte}, out CertificateView, out CertificateError)"/> returns false with a
/// <see cref="CertificateError"/>. Extensions are located and their small values decoded; policies and name
/// constraints stay raw until a check walks them. Does not verify signatures, does not compare names beyond bytes,
/// does not decode RSASSA-PSS parameters, and keeps no copy of the input (the caller keeps the memory alive).
/// </summary>
internal readonly struct CertificateView
{
    /// <summary>Largest certificate read (64 KiB; real certificates are under 8 KiB, webpki and Go read any size).</summary>
    public const int MaxCertificateBytes = 64 * 1024;

    /// <summary>Most extensions read per certificate.</summary>
    public const int MaxExtensions = 64;

    /// <summary>Most certificatePolicies entries read.</summary>
    public const int MaxPolicies = 64;

    /// <summary>Most RDNs / attributes walked in a Name.</summary>
    public const int MaxNameAttributes = 128;

    private readonly Range _tbs;
    private readonly Range _serial;
    private readonly Range _issuer;
    private readonly Range _subject;
    private readonly Range _spki;
    private readonly Range _publicKey;
    private readonly Range _signature;
    private readonly Range _policies;
    private readonly Range _nameConstraints;
    private readonly Range _aki;
    private readonly Range _ski;
    private readonly Range _san;
    private readonly Range _aia;
    private readonly Range _crlDp;

    private CertificateView(ReadOnlyMemory<byte> der, in Fields f)
    {
        Der = der;
        _tbs = f.Tbs;
        _serial = f.Serial;
        _issuer = f.Issuer;
        _subject = f.Subject;
        _spki = f.Spki;
        _publicKey = f.PublicKey;
        _signature = f.Signature;
        _policies = f.Policies;
        _nameConstraints = f.NameConstraints;
        _aki = f.Aki;
        _ski = f.Ski;
        _san = f.San;
        _aia = f.Aia;
        _crlDp = f.CrlDp;
        Facts = f.Facts;
        Version = f.Version;
        NotBefore = f.NotBefore;
        NotAfter = f.NotAfter;
        KeyAlgorithm = f.KeyAlgorithm;
        KeySize = f.KeySize;
        SignatureAlgorithm = f.SignatureAlgorithm;
        HasBasicConstraints = f.HasBasicConstraints;
        IsCa = f.IsCa;
        PathLengthConstraint = f.PathLength;
        HasKeyUsage = f.HasKeyUsage;
        KeyUsage = f.KeyUsage;
        HasExtendedKeyUsage = f.HasEku;
        EkuServerAuth = f.EkuServerAuth;
        EkuAny = f.EkuAny;
        EkuEmailProtection = f.EkuEmailProtection;
        EkuClientAuth = f.EkuClientAuth;
        HasCertificatePolicies = f.HasPolicies;
        HasNameConstraints = f.HasNameConstraints;
        HasUnknownCriticalExtension = f.UnknownCritical;
        HasOrganization = f.HasOrganization;
        CriticalExtensions = f.Critical;
    }

    /// <summary>The certificate DER (the caller's memory, not a copy).</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>True for a view produced by <see cref="TryParse(ReadOnlyMemory{byte}, out CertificateView, out CertificateError)"/> (false for <c>default</c>).</summary>
    public bool IsValid => !Der.IsEmpty;

    /// <summary>X.509 version: 1, 2 or 3.</summary>
    public int Version { get; }

    /// <summary>The TBSCertificate TLV (what the signature covers).</summary>
    public ReadOnlySpan<byte> TbsDer => Der.Span[_tbs];

    /// <summary>The serial number INTEGER content.</summary>
    public ReadOnlySpan<byte> SerialNumber => Der.Span[_serial];

    /// <summary>The issuer Name TLV.</summary>
    public ReadOnlySpan<byte> IssuerDer => Der.Span[_issuer];

    /// <summary>The subject Name TLV.</summary>
    public ReadOnlySpan<byte> SubjectDer => Der.Span[_subject];

    /// <summary>The SubjectPublicKeyInfo TLV.</summary>
    public ReadOnlySpan<byte> SpkiDer => Der.Span[_spki];

    /// <summary>The subjectPublicKey BIT STRING bits (e.g. the RSAPublicKey DER or the EC point).</summary>
    public ReadOnlySpan<byte> PublicKey => Der.Span[_publicKey];

    /// <summary>The signatureValue bits.</summary>
    public ReadOnlySpan<byte> Signature => Der.Span[_signature];

    /// <summary>notBefore (UTC).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>notAfter (UTC).</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The public key algorithm.</summary>
    public KeyAlgorithm KeyAlgorithm { get; }

    /// <summary>RSA modulus bits, EC curve size (256, 384, 521), 256 for Ed25519; 0 when unknown.</summary>
    public int KeySize { get; }

    /// <summary>The signature algorithm (outer and TBS algorithms are required to be identical).</summary>
    public SignatureAlgorithm SignatureAlgorithm { get; }

    /// <summary>True when a basicConstraints extension is present.</summary>
    public bool HasBasicConstraints { get; }

    /// <summary>basicConstraints cA.</summary>
    public bool IsCa { get; }

    /// <summary>basicConstraints pathLenConstraint, or -1 when absent.</summary>
    public int PathLengthConstraint { get; }

    /// <summary>True when a keyUsage extension is present.</summary>
    public bool HasKeyUsage { get; }

    /// <summary>The keyUsage bits (meaningful when <see cref="HasKeyUsage"/>).</summary>
    public KeyUsages KeyUsage { get; }

    /// <summary>True when an extKeyUsage extension is present.</summary>
    public bool HasExtendedKeyUsage { get; }

    /// <summary>extKeyUsage lists id-kp-serverAuth.</summary>
    public bool EkuServerAuth { get; }

    /// <summary>extKeyUsage lists anyExtendedKeyUsage.</summary>
    public bool EkuAny { get; }

    /// <summary>extKeyUsage lists id-kp-emailProtection (S/MIME, RFC 8550 4.4.4).</summary>
    public bool EkuEmailProtection { get; }

    /// <summary>extKeyUsage lists id-kp-clientAuth.</summary>
    public bool EkuClientAuth { get; }

    /// <summary>True when a certificatePolicies extension is present.</summary>
    public bool HasCertificatePolicies { get; }

    /// <summary>The certificatePolicies content (a run of PolicyInformation TLVs), empty when absent.</summary>
    public ReadOnlySpan<byte> CertificatePoliciesContent => Der.Span[_policies];

    /// <summary>True when a nameConstraints extension is present.</summary>
    public bool HasNameConstraints { get; }

    /// <summary>The NameConstraints SEQUENCE content, empty when absent.</summary>
    public ReadOnlySpan<byte> NameConstraintsContent => Der.Span[_nameConstraints];

    /// <summary>authorityKeyIdentifier keyIdentifier, empty when absent.</summary>
    public ReadOnlySpan<byte> AuthorityKeyIdentifier => Der.Span[_aki];

    /// <summary>subjectKeyIdentifier, empty when absent.</summary>
    public ReadOnlySpan<byte> SubjectKeyIdentifier => Der.Span[_ski];

    /// <summary>The subjectAltName GeneralNames SEQUENCE content, empty when absent.</summary>
    public ReadOnlySpan<byte> SubjectAltNamesContent => Der.Span[_san];

    /// <summary>A critical extension this reader does not process is present (RFC 5280 4.2: such a certificate must be rejected).</summary>
    public bool HasUnknownCriticalExtension { get; }

    /// <summary>Which of the extensions this view processes were marked critical.</summary>
    public KnownExtensions CriticalExtensions { get; }

    /// <summary>The subject is an empty Name (SEQUENCE {}).</summary>
    public bool IsSubjectEmpty => SubjectDer.Length == 2;

    /// <summary>The subject has an organizationName that is not blank: not empty, not only spaces, '.' or '-' (R-C6, BR 7.1.4).</summary>
    public bool HasOrganization { get; }

    /// <summary>Subject and issuer are byte-identical (self-issued, RFC 5280 3.2; byte comparison like webpki).</summary>
    public bool IsSelfIssued => IssuerDer.SequenceEqual(SubjectDer);

    internal Range NameConstraintsRange => _nameConstraints;

    /// <summary>The facts the R-C11 rules read (AKI form, SAN/AIA/CRLDP/policyConstraints presence, blank attributes).</summary>
    internal ProfileFacts Facts { get; }

    /// <summary>The authorityInfoAccess extension value (the OCTET STRING content), empty when absent.</summary>
    internal Range AuthorityInfoAccessRange => _aia;

    /// <summary>The cRLDistributionPoints extension value (the OCTET STRING content), empty when absent.</summary>
    internal Range CrlDistributionPointsRange => _crlDp;

    /// <summary>The subject Name TLV range.</summary>
    internal Range SubjectRange => _subject;

    /// <summary>The subjectPublicKey bits range (RSAPublicKey DER or EC point).</summary>
    internal Range PublicKeyRange => _publicKey;

    /// <summary>The subjectAltName GeneralNames content range, empty when absent.</summary>
    internal Range SubjectAltNamesRange => _san;

    internal Range PoliciesRange => _policies;

    /// <summary>True when certificatePolicies lists <paramref name="encodedOid"/> (OID content bytes).</summary>
    /// <param name="encodedOid">The policy OID's encoded content.</param>
    /// <returns>Whether it is asserted.</returns>
    public bool AssertsPolicy(ReadOnlySpan<byte> encodedOid)
    {
        var span = Der.Span;
        var r = new DerReader(span, _policies.Start.Value, _policies.End.Value);
        while (r.HasData)
        {
            if (!r.TryRead(Asn1Tag.Sequence, out var info))
            {
                return false;
            }

            var ir = new DerReader(span, info.Start.Value, info.End.Value);
            if (ir.TryRead(Asn1Tag.ObjectIdentifier, out var oid) && span[oid].SequenceEqual(encodedOid))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when certificatePolicies lists anyPolicy (2.5.29.32.0).</summary>
    public bool AssertsAnyPolicy => AssertsPolicy(Oids.AnyPolicy);

    /// <summary>Adds the dotted policy OIDs to <paramref name="destination"/> (cold path: allocates strings).</summary>
    /// <param name="destination">Receives the OIDs in certificate order.</param>
    public void CollectPolicyOids(ICollection<string> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var span = Der.Span;
        var r = new DerReader(span, _policies.Start.Value, _policies.End.Value);
        while (r.HasData && r.TryRead(Asn1Tag.Sequence, out var info))
        {
            var ir = new DerReader(span, info.Start.Value, info.End.Value);
            if (ir.TryRead(Asn1Tag.ObjectIdentifier, out var oid) && Oids.TryFormat(span[oid], out var dotted))
            {
                destination.Add(dotted);
            }
        }
    }

    /// <summary>Reads one certificate. Never throws on data; the view aliases <paramref name="der"/>.</summary>
    /// <param name="der">Exactly one DER certificate (trailing bytes are an error).</param>
    /// <param name="view">The view, or default.</param>
    /// <param name="error">Why reading failed.</param>
    /// <returns>True when the certificate was read.</returns>
    public static bool TryParse(ReadOnlyMemory<byte> der, out CertificateView view, out CertificateError error) =>
        TryParse(der, tolerateNonPositiveSerial: false, out view, out error);

    /// <summary>
    /// <see cref="TryParse(ReadOnlyMemory{byte}, out CertificateView, out CertificateError)"/>, optionally accepting a zero or
    /// negative serial number. RFC 5280 4.1.2.2: "Non-conforming CAs may issue certificates with serial numbers that are
    /// negative or zero. Certificate users SHOULD be prepared to gracefully handle such certificates." Inventories of
    /// roots (the trust store's sources: Go Daddy Class 2, Starfield G2, HARICA 2015 and Security Communication roots in
    /// Debian's ca-certificates have serial 0) and of containers read them; path validation does not.
    /// </summary>
    internal static bool TryParse(ReadOnlyMemory<byte> der, bool tolerateNonPositiveSerial, out CertificateView view, out CertificateError error)
    {
        view = default;
        if (der.Length > MaxCertificateBytes)
        {
            error = CertificateError.TooLarge;
            return false;
        }

        var f = new Fields { PathLength = -1, TolerateNonPositiveSerial = tolerateNonPositiveSerial };
        error = Parse(der.Span, ref f);
        if (error != CertificateError.None)
        {
            return false;
        }

        view = new CertificateView(der, f);
        return true;
    }

    /// <summary>
    /// The same strict read as <see cref="TryParse(ReadOnlyMemory{byte}, out CertificateView, out CertificateError)"/> over a span, for readers that need only where the subject Name and the
    /// subjectAltName GeneralNames lie (the name checks' zero-allocation path): one certificate reader for every caller.
    /// </summary>
    /// <param name="der">Exactly one DER certificate.</param>
    /// <param name="subject">The subject Name TLV.</param>
    /// <param name="subjectAltNames">The GeneralNames SEQUENCE TLV, or an empty range when there is no subjectAltName.</param>
    /// <returns><see cref="CertificateError.None"/> when the certificate was read.</returns>
    internal static CertificateError TryLocateNames(ReadOnlySpan<byte> der, out Range subject, out Range subjectAltNames)
    {
        subject = default;
        subjectAltNames = default;
        if (der.Length > MaxCertificateBytes)
        {
            return CertificateError.TooLarge;
        }

        // Serial numbers are the chain's business (R-C3): names are read from a zero-serial leaf as before.
        var f = new Fields { PathLength = -1, TolerateNonPositiveSerial = true };
        var error = Parse(der, ref f);
        if (error == CertificateError.None)
        {
            subject = f.Subject;
            subjectAltNames = f.SanTlv;
        }

        return error;
    }

    /// <summary>A reason in English for a mail administrator (cold path).</summary>
    /// <param name="error">The error.</param>
    /// <returns>The text.</returns>
    internal static string Describe(CertificateError error) => error switch
    {
        CertificateError.TooLarge => "larger than " + MaxCertificateBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes",
        CertificateError.Malformed => "not a strict-DER X.509 certificate (bad length, tag or trailing data)",
        CertificateError.InvalidField => "a field RFC 5280 forbids (version, serial, time, algorithm mismatch or public key)",
        CertificateError.InvalidExtension => "a malformed, empty or repeated extension",
        CertificateError.LimitExceeded => "more extensions, policies or name attributes than allowed",
        _ => "unreadable",
    };

    /// <summary>The subjectPublicKeyInfo algorithm OID, dotted (cold path: allocates).</summary>
    /// <param name="dotted">For example <c>1.2.840.113549.1.1.1</c>.</param>
    /// <returns>False for a default view.</returns>
    internal bool TryFormatKeyAlgorithmOid(out string dotted)
    {
        dotted = string.Empty;
        var d = SpkiDer;
        var r = new DerReader(d);
        if (!r.TryRead(Asn1Tag.Sequence, out var spki))
        {
            return false;
        }

        var s = new DerReader(d, spki.Start.Value, spki.End.Value);
        if (!s.TryRead(Asn1Tag.Sequence, out var alg))
        {
            return false;
        }

        var a = new DerReader(d, alg.Start.Value, alg.End.Value);
        return a.TryRead(Asn1Tag.ObjectIdentifier, out var oid) && Oids.TryFormat(d[oid], out dotted);
    }

    private struct Fields
    {
        public Range Tbs, Serial, Issuer, Subject, Spki, PublicKey, Signature, Policies, NameConstraints, Aki, Ski, San, SanTlv, Aia, CrlDp;
        public ProfileFacts Facts;
        public int Version, KeySize, PathLength;
        public DateTimeOffset NotBefore, NotAfter;
        public KeyAlgorithm KeyAlgorithm;
        public SignatureAlgorithm SignatureAlgorithm;
        public bool TolerateNonPositiveSerial, HasBasicConstraints, IsCa, HasKeyUsage, HasEku, EkuServerAuth, EkuAny, EkuEmailProtection, EkuClientAuth, HasPolicies, HasNameConstraints, UnknownCritical, HasOrganization;
        public KnownExtensions Critical;
        public KeyUsages KeyUsage;
    }

    // RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
    private static CertificateError Parse(ReadOnlySpan<byte> d, ref Fields f)
    {
        if (!DerReader.TryReadSigned(d, out var tbs, out f.Tbs, out var outerAlg, out f.Signature))
        {
            return CertificateError.Malformed;
        }

        var t = new DerReader(d, tbs.Start.Value, tbs.End.Value);

        // version [0] EXPLICIT INTEGER DEFAULT v1: DER forbids encoding the default (X.690 11.5).
        f.Version = 1;
        if (!t.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 0, true), out bool hasVersion, out var ver))
        {
            return CertificateError.Malformed;
        }

        if (hasVersion)
        {
            var vr = new DerReader(d, ver.Start.Value, ver.End.Value);
            if (!vr.TryRead(Asn1Tag.Integer, out var vInt) || vr.HasData || !DerReader.TryDecodeSmallNonNegative(d[vInt], out int v) || v is < 1 or > 2)
            {
                return CertificateError.InvalidField;
            }

            f.Version = v + 1;
        }

        // serialNumber: at most 20 octets of value (RFC 5280 4.1.2.2), plus a sign octet.
        // RFC 5280 4.1.2.2: a positive integer (zero and negative serials are refused, as Go 1.23 does).
        if (!t.TryRead(Asn1Tag.Integer, out f.Serial) || !DerReader.IsMinimalInteger(d[f.Serial]) || d[f.Serial].Length > 21
            || (!f.TolerateNonPositiveSerial && ((d[f.Serial][0] & 0x80) != 0 || (d[f.Serial].Length == 1 && d[f.Serial][0] == 0))))
        {
            return CertificateError.InvalidField;
        }

        if (!t.TryRead(Asn1Tag.Sequence, out _, out var innerAlg))
        {
            return CertificateError.Malformed;
        }

        // RFC 5280 4.1.1.2: signatureAlgorithm MUST equal TBSCertificate.signature. Refused for every profile: OpenSSL
        // 3.0 refuses it too (X509_verify compares the two AlgorithmIdentifiers; CertificateProfileTests asserts it).
        if (!d[innerAlg].SequenceEqual(d[outerAlg]))
        {
            return CertificateError.InvalidField;
        }

        f.SignatureAlgorithm = ReadSignatureAlgorithm(d, outerAlg);
        if (!t.TryRead(Asn1Tag.Sequence, out var issuerContent, out f.Issuer)
            || !TryWalkName(d, issuerContent, out _, out _))
        {
            return CertificateError.Malformed;
        }

        if (!t.TryRead(Asn1Tag.Sequence, out var validity))
        {
            return CertificateError.Malformed;
        }

        var vrd = new DerReader(d, validity.Start.Value, validity.End.Value);
        if (!vrd.TryReadAny(out var nbTag, out var nb, out _) || !DerReader.TryDecodeTime(nbTag, d[nb], out f.NotBefore)
            || !vrd.TryReadAny(out var naTag, out var na, out _) || !DerReader.TryDecodeTime(naTag, d[na], out f.NotAfter)
            || vrd.HasData)
        {
            return CertificateError.InvalidField;
        }

        if (!t.TryRead(Asn1Tag.Sequence, out var subjectContent, out f.Subject)
            || !TryWalkName(d, subjectContent, out f.HasOrganization, out bool blank))
        {
            return CertificateError.Malformed;
        }

        if (blank)
        {
            f.Facts |= ProfileFacts.BlankSubjectAttribute;
        }

        if (!t.TryRead(Asn1Tag.Sequence, out var spki, out f.Spki) || !TryReadSpki(d, spki, ref f))
        {
            return CertificateError.InvalidField;
        }

        // issuerUniqueID [1] / subjectUniqueID [2]: v2+ only (RFC 5280 4.1.2.8); skipped.
        for (int tagNo = 1; tagNo <= 2; tagNo++)
        {
            if (!t.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, tagNo), out bool present, out _))
            {
                return CertificateError.Malformed;
            }

            if (present && f.Version < 2)
            {
                return CertificateError.InvalidField;
            }
        }

        if (!t.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 3, true), out bool hasExt, out var extWrap))
        {
            return CertificateError.Malformed;
        }

        if (t.HasData)
        {
            return CertificateError.Malformed;
        }

        if (hasExt)
        {
            // RFC 5280 4.1.2.9: extensions only in v3. Not refused here: OpenSSL 3.0 accepts a v1/v2 certificate with
            // extensions and processes them (CertificateProfileTests asserts it), so the R-C11 rules report it.
            f.Facts |= ProfileFacts.HasExtensions;
            var ew = new DerReader(d, extWrap.Start.Value, extWrap.End.Value);
            if (!ew.TryRead(Asn1Tag.Sequence, out var exts) || ew.HasData)
            {
                return CertificateError.Malformed;
            }

            var e = ReadExtensions(d, exts, ref f);
            if (e != CertificateError.None)
            {
                return e;
            }
        }

        return CertificateError.None;
    }

    internal static SignatureAlgorithm ReadSignatureAlgorithm(ReadOnlySpan<byte> d, Range algTlv)
    {
        var r = new DerReader(d, algTlv.Start.Value, algTlv.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var alg))
        {
            return SignatureAlgorithm.Unknown;
        }

        var a = new DerReader(d, alg.Start.Value, alg.End.Value);
        if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var oidR))
        {
            return SignatureAlgorithm.Unknown;
        }

        var oid = d[oidR];
        bool noParams = !a.HasData;
        bool nullParams = a.TryRead(Asn1Tag.Null, out var nul) && nul.End.Value == nul.Start.Value && !a.HasData;

        // RFC 4055 2.1 / RFC 5758 3.2: RSA PKCS#1 takes NULL parameters, ECDSA takes none (webpki compares exact encodings).
        if (nullParams)
        {
            if (oid.SequenceEqual(Oids.Sha256WithRsa))
            {
                return SignatureAlgorithm.RsaPkcs1Sha256;
            }

            if (oid.SequenceEqual(Oids.Sha384WithRsa))
            {
                return SignatureAlgorithm.RsaPkcs1Sha384;
            }

            if (oid.SequenceEqual(Oids.Sha512WithRsa))
            {
                return SignatureAlgorithm.RsaPkcs1Sha512;
            }

            if (oid.SequenceEqual(Oids.Sha1WithRsa))
            {
                return SignatureAlgorithm.RsaPkcs1Sha1;
            }

            if (oid.SequenceEqual(Oids.Md5WithRsa))
            {
                return SignatureAlgorithm.RsaPkcs1Md5;
            }
        }
        else if (noParams)
        {
            if (oid.SequenceEqual(Oids.EcdsaSha256))
            {
                return SignatureAlgorithm.EcdsaSha256;
            }

            if (oid.SequenceEqual(Oids.EcdsaSha384))
            {
                return SignatureAlgorithm.EcdsaSha384;
            }

            if (oid.SequenceEqual(Oids.EcdsaSha512))
            {
                return SignatureAlgorithm.EcdsaSha512;
            }

            if (oid.SequenceEqual(Oids.EcdsaSha1))
            {
                return SignatureAlgorithm.EcdsaSha1;
            }
        }

        return SignatureAlgorithm.Unknown;
    }

    // Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET SIZE (1..MAX) OF AttributeTypeAndValue.
    internal static bool TryWalkName(ReadOnlySpan<byte> d, Range content, out bool hasOrganization, out bool hasBlank)
    {
        hasOrganization = false;
        hasBlank = false;
        int count = 0;
        var r = new DerReader(d, content.Start.Value, content.End.Value);
        while (r.HasData)
        {
            if (!r.TryRead(Asn1Tag.SetOf, out var rdn) || rdn.Start.Value == rdn.End.Value)
            {
                return false;
            }

            var s = new DerReader(d, rdn.Start.Value, rdn.End.Value);
            while (s.HasData)
            {
                if (++count > MaxNameAttributes || !s.TryRead(Asn1Tag.Sequence, out var atv))
                {
                    return false;
                }

                var a = new DerReader(d, atv.Start.Value, atv.End.Value);
                if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var type) || !a.TryReadAny(out var valueTag, out var value, out _) || a.HasData)
                {
                    return false;
                }

                // R-C6 / BR 7.1.4: an O of spaces, '.' or '-' only names no organisation.
                bool blank = IsBlankString(valueTag, d[value]);
                hasBlank |= blank;
                if (d[type].SequenceEqual(Oids.OrganizationName) && !blank)
                {
                    hasOrganization = true;
                }
            }
        }

        return true;
    }

    // BR 7.1.4 (subject attributes "MUST NOT contain only metadata such as '.', '-', and ' '"): a string value that
    // is empty or holds only those characters and other white space. Any string type (1-byte, BMPString 2-byte,
    // UniversalString 4-byte units); a value that is not a string (or not whole code units) is not judged here.
    internal static bool IsBlankString(Asn1Tag tag, ReadOnlySpan<byte> content)
    {
        if (tag.TagClass != TagClass.Universal || tag.IsConstructed)
        {
            return false;
        }

        int unit;
        switch ((UniversalTagNumber)tag.TagValue)
        {
            case UniversalTagNumber.UTF8String:
            case UniversalTagNumber.PrintableString:
            case UniversalTagNumber.IA5String:
            case UniversalTagNumber.T61String:
            case UniversalTagNumber.VisibleString:
                unit = 1;
                break;
            case UniversalTagNumber.BMPString:
                unit = 2;
                break;
            case UniversalTagNumber.UniversalString:
                unit = 4;
                break;
            default:
                return false;
        }

        if (content.Length % unit != 0)
        {
            return false;
        }

        for (int i = 0; i < content.Length; i += unit)
        {
            for (int k = 0; k < unit - 1; k++)
            {
                if (content[i + k] != 0)
                {
                    return false;
                }
            }

            if (content[i + unit - 1] is not ((byte)' ' or (byte)'.' or (byte)'-' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C))
            {
                return false;
            }
        }

        return true;
    }

    // RFC 5280 4.1.2.7 / RFC 3279 2.3: SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }.
    private static bool TryReadSpki(ReadOnlySpan<byte> d, Range spki, ref Fields f)
    {
        var r = new DerReader(d, spki.Start.Value, spki.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var alg) || !r.TryRead(Asn1Tag.PrimitiveBitString, out var bits) || r.HasData)
        {
            return false;
        }

        if (!DerReader.TryDecodeBitString(d[bits], out int unused, out _) || unused != 0)
        {
            return false;
        }

        f.PublicKey = new Range(bits.Start.Value + 1, bits.End.Value);
        var a = new DerReader(d, alg.Start.Value, alg.End.Value);
        if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var oidR))
        {
            return false;
        }

        var oid = d[oidR];
        if (oid.SequenceEqual(Oids.RsaEncryption))
        {
            f.KeyAlgorithm = KeyAlgorithm.Rsa;

            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1).
            var k = new DerReader(d, f.PublicKey.Start.Value, f.PublicKey.End.Value);
            if (!k.TryRead(Asn1Tag.Sequence, out var rsa) || k.HasData)
            {
                return false;
            }

            var m = new DerReader(d, rsa.Start.Value, rsa.End.Value);
            if (!m.TryRead(Asn1Tag.Integer, out var mod) || !m.TryRead(Asn1Tag.Integer, out var exp) || m.HasData
                || !DerReader.IsMinimalInteger(d[mod]) || !DerReader.IsMinimalInteger(d[exp]) || (d[mod][0] & 0x80) != 0)
            {
                return false;
            }

            var modulus = d[mod];
            if (modulus[0] == 0)
            {
                modulus = modulus[1..];
            }

            f.KeySize = modulus.IsEmpty ? 0 : ((modulus.Length - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]));
            return true;
        }

        if (oid.SequenceEqual(Oids.EcPublicKey))
        {
            f.KeyAlgorithm = KeyAlgorithm.Ec;
            if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var curveR) || a.HasData)
            {
                return true; // explicit or implicit curves: the key stays unusable (KeySize 0), as in RFC 5480 2.1.1's "MUST NOT"
            }

            var curve = d[curveR];
            f.KeySize = curve.SequenceEqual(Oids.P256) ? 256 : curve.SequenceEqual(Oids.P384) ? 384 : curve.SequenceEqual(Oids.P521) ? 521 : 0;
            return true;
        }

        if (oid.SequenceEqual(Oids.Ed25519))
        {
            f.KeyAlgorithm = KeyAlgorithm.Ed25519;
            f.KeySize = 256;
        }

        return true;
    }

    // RFC 5280 4.1 / 4.2: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; no extension appears twice.
    private static CertificateError ReadExtensions(ReadOnlySpan<byte> d, Range exts, ref Fields f)
    {
        var r = new DerReader(d, exts.Start.Value, exts.End.Value);
        if (!r.HasData)
        {
            return CertificateError.InvalidExtension;
        }

        Span<int> seen = stackalloc int[MaxExtensions];
        int count = 0;
        while (r.HasData)
        {
            if (count == MaxExtensions)
            {
                return CertificateError.LimitExceeded;
            }

            if (!r.TryRead(Asn1Tag.Sequence, out var ext))
            {
                return CertificateError.Malformed;
            }

            var e = new DerReader(d, ext.Start.Value, ext.End.Value);
            if (!e.TryRead(Asn1Tag.ObjectIdentifier, out var oidR))
            {
                return CertificateError.InvalidExtension;
            }

            bool critical = false;
            if (e.TryPeekTag(out var tag) && tag == Asn1Tag.Boolean)
            {
                // DER: a DEFAULT FALSE value is never encoded (X.690 11.5).
                if (!e.TryReadAny(out _, out var b, out _) || !DerReader.TryDecodeBoolean(d[b], out critical) || !critical)
                {
                    return CertificateError.InvalidExtension;
                }
            }

            if (!e.TryRead(Asn1Tag.PrimitiveOctetString, out var value) || e.HasData)
            {
                return CertificateError.InvalidExtension;
            }

            // RFC 5280 4.2: no extension twice. Refused for every profile: OpenSSL 3.0 refuses it too (a repeated
            // extension marks the certificate invalid; CertificateProfileTests asserts it).
            var oid = d[oidR];
            for (int i = 0; i < count; i++)
            {
                var prev = new DerReader(d, seen[i], exts.End.Value);
                if (prev.TryRead(Asn1Tag.ObjectIdentifier, out var prevOid) && d[prevOid].SequenceEqual(oid))
                {
                    return CertificateError.InvalidExtension;
                }
            }

            seen[count++] = ext.Start.Value;
            bool known;
            var kind = KnownExtensions.None;
            if (oid.SequenceEqual(Oids.BasicConstraints))
            {
                kind = KnownExtensions.BasicConstraints;
                known = TryBasicConstraints(d, value, ref f);
            }
            else if (oid.SequenceEqual(Oids.KeyUsage))
            {
                kind = KnownExtensions.KeyUsage;
                known = TryKeyUsage(d, value, ref f);
            }
            else if (oid.SequenceEqual(Oids.ExtendedKeyUsage))
            {
                kind = KnownExtensions.ExtendedKeyUsage;
                known = TryEku(d, value, ref f);
            }
            else if (oid.SequenceEqual(Oids.CertificatePolicies))
            {
                kind = KnownExtensions.CertificatePolicies;
                known = TryPolicies(d, value, ref f);
            }
            else if (oid.SequenceEqual(Oids.NameConstraints))
            {
                kind = KnownExtensions.NameConstraints;
                known = TryNameConstraints(d, value, ref f);
            }
            else if (oid.SequenceEqual(Oids.AuthorityKeyIdentifier))
            {
                kind = KnownExtensions.AuthorityKeyIdentifier;
                known = TryAki(d, value, ref f);
            }
            else if (oid.SequenceEqual(Oids.SubjectKeyIdentifier))
            {
                kind = KnownExtensions.SubjectKeyIdentifier;
                var s = new DerReader(d, value.Start.Value, value.End.Value);
                known = s.TryRead(Asn1Tag.PrimitiveOctetString, out f.Ski) && !s.HasData;
            }
            else if (oid.SequenceEqual(Oids.SubjectAltName))
            {
                kind = KnownExtensions.SubjectAltName;
                var s = new DerReader(d, value.Start.Value, value.End.Value);
                known = s.TryRead(Asn1Tag.Sequence, out f.San) && !s.HasData;
                f.SanTlv = value;
                f.Facts |= ProfileFacts.SanPresent;
            }
            else
            {
                // Located for the R-C11 rules, not processed: a critical one stays an unknown critical extension.
                if (oid.SequenceEqual(Oids.AuthorityInfoAccess))
                {
                    f.Facts |= ProfileFacts.AiaPresent;
                    f.Aia = value;
                }
                else if (oid.SequenceEqual(Oids.CrlDistributionPoints))
                {
                    f.Facts |= ProfileFacts.CrlDpPresent;
                    f.CrlDp = value;
                }
                else if (oid.SequenceEqual(Oids.PolicyConstraints))
                {
                    f.Facts |= critical ? ProfileFacts.PolicyConstraintsPresent | ProfileFacts.PolicyConstraintsCritical : ProfileFacts.PolicyConstraintsPresent;
                }

                f.UnknownCritical |= critical;
                continue;
            }

            if (!known)
            {
                return CertificateError.InvalidExtension;
            }

            if (critical)
            {
                f.Critical |= kind;
            }
        }

        return CertificateError.None;
    }

    // RFC 5280 4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }.
    private static bool TryBasicConstraints(ReadOnlySpan<byte> d, Range value, ref Fields f)
    {
        var r = new DerReader(d, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var bc) || r.HasData)
        {
            return false;
        }

        f.HasBasicConstraints = true;
        var b = new DerReader(d, bc.Start.Value, bc.End.Value);
        if (b.TryPeekTag(out var tag) && tag == Asn1Tag.Boolean)
        {
            if (!b.TryReadAny(out _, out var ca, out _) || !DerReader.TryDecodeBoolean(d[ca], out f.IsCa) || !f.IsCa)
            {
                return false;
            }
        }

        if (b.HasData)
        {
            if (!b.TryRead(Asn1Tag.Integer, out var len) || !DerReader.TryDecodeSmallNonNegative(d[len], out f.PathLength))
            {
                return false;
            }
        }

        return !b.HasData;
    }

    // RFC 5280 4.2.1.3: KeyUsage ::= BIT STRING; at least one bit set.
    private static bool TryKeyUsage(ReadOnlySpan<byte> d, Range value, ref Fields f)
    {
        var r = new DerReader(d, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.PrimitiveBitString, out var bs) || r.HasData || !DerReader.TryDecodeBitString(d[bs], out _, out var bits) || bits.IsEmpty || bits.Length > 2)
        {
            return false;
        }

        int v = 0;
        for (int i = 0; i < bits.Length * 8 && i < 9; i++)
        {
            if ((bits[i / 8] & (0x80 >> (i % 8))) != 0)
            {
                v |= 1 << i;
            }
        }

        f.HasKeyUsage = true;
        f.KeyUsage = (KeyUsages)v;
        return v != 0;
    }

    // RFC 5280 4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId.
    private static bool TryEku(ReadOnlySpan<byte> d, Range value, ref Fields f)
    {
        var r = new DerReader(d, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var seq) || r.HasData || seq.Start.Value == seq.End.Value)
        {
            return false;
        }

        f.HasEku = true;
        var s = new DerReader(d, seq.Start.Value, seq.End.Value);
        int n = 0;
        while (s.HasData)
        {
            if (++n > MaxPolicies || !s.TryRead(Asn1Tag.ObjectIdentifier, out var oid))
            {
                return false;
            }

            f.EkuServerAuth |= d[oid].SequenceEqual(Oids.ServerAuth);
            f.EkuAny |= d[oid].SequenceEqual(Oids.AnyExtendedKeyUsage);
            f.EkuEmailProtection |= d[oid].SequenceEqual(Oids.EmailProtection);
            f.EkuClientAuth |= d[oid].SequenceEqual(Oids.ClientAuth);
        }

        return true;
    }

    // RFC 5280 4.2.1.4: certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation; no OID twice.
    private static bool TryPolicies(ReadOnlySpan<byte> d, Range value, ref Fields f)
    {
        var r = new DerReader(d, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var seq) || r.HasData || seq.Start.Value == seq.End.Value)
        {
            return false;
        }

        Span<Range> oids = stackalloc Range[MaxPolicies];
        int n = 0;
        var s = new DerReader(d, seq.Start.Value, seq.End.Value);
        while (s.HasData)
        {
            if (n == MaxPolicies || !s.TryRead(Asn1Tag.Sequence, out var info))
            {
                return false;
            }

            var i = new DerReader(d, info.Start.Value, info.End.Value);
            if (!i.TryRead(Asn1Tag.ObjectIdentifier, out var oid))
            {
                return false;
            }

            if (i.HasData && (!i.TryRead(Asn1Tag.Sequence, out _) || i.HasData))
            {
                return false;
            }

            for (int k = 0; k < n; k++)
            {
                if (d[oids[k]].SequenceEqual(d[oid]))
                {
                    return false;
                }
            }

            oids[n++] = oid;
        }

        f.HasPolicies = true;
        f.Policies = seq;
        return true;
    }

    // RFC 5280 4.2.1.10: NameConstraints ::= SEQUENCE { permittedSubtrees [0] OPTIONAL, excludedSubtrees [1] OPTIONAL }, not both absent.
    private static bool TryNameConstraints(ReadOnlySpan<byte> d, Range value, ref Fields f)
    {
        var r = new DerReader(d, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var seq) || r.HasData || seq.Start.Value == seq.End.Value)
        {
            return false;
        }

        var s = new DerReader(d, seq.Start.Value, seq.End.Value);
        if (!s.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 0, true), out _, out _)
            || !s.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 1, true), out _, out _)
            || s.HasData)
        {
            return false;
        }

        f.HasNameConstraints = true;
        f.NameConstraints = seq;
        return true;
    }

    // RFC 5280 4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OPTIONAL, authorityCertIssuer [1] OPTIONAL, authorityCertSerialNumber [2] OPTIONAL }.
    private static bool TryAki(ReadOnlySpan<byte> d, Range value, ref Fields f)
    {
        var r = new DerReader(d, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var seq) || r.HasData)
        {
            return false;
        }

        var s = new DerReader(d, seq.Start.Value, seq.End.Value);
        f.Facts |= ProfileFacts.AkiPresent;
        if (!s.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 0), out _, out f.Aki)
            || !s.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 1, true), out bool issuer, out _)
            || !s.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 2), out bool serial, out _)
            || s.HasData)
        {
            return false;
        }

        f.Facts |= (issuer ? ProfileFacts.AkiIssuer : ProfileFacts.None) | (serial ? ProfileFacts.AkiSerial : ProfileFacts.None);
        return true;
    }
}
