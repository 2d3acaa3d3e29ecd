namespace CertPolicy.Tls;

/// <summary>Key exchange of a cipher suite (from the IANA name; TLS 1.3 suites say <see cref="Any"/>).</summary>
internal enum TlsKeyExchange : byte
{
    /// <summary>None (<c>TLS_NULL_WITH_NULL_NULL</c>).</summary>
    Null,

    /// <summary>RSA key transport.</summary>
    Rsa,

    /// <summary>Static Diffie-Hellman (certificate-bound).</summary>
    Dh,

    /// <summary>Ephemeral Diffie-Hellman (also anonymous DH).</summary>
    Dhe,

    /// <summary>Static elliptic-curve Diffie-Hellman.</summary>
    Ecdh,

    /// <summary>Ephemeral elliptic-curve Diffie-Hellman (also anonymous ECDH).</summary>
    Ecdhe,

    /// <summary>Pre-shared key.</summary>
    Psk,

    /// <summary>DHE with a pre-shared key.</summary>
    DhePsk,

    /// <summary>RSA with a pre-shared key.</summary>
    RsaPsk,

    /// <summary>ECDHE with a pre-shared key.</summary>
    EcdhePsk,

    /// <summary>Secure Remote Password.</summary>
    Srp,

    /// <summary>Kerberos 5.</summary>
    Krb5,

    /// <summary>ECC password (RFC 8492).</summary>
    Eccpwd,

    /// <summary>Negotiated separately (TLS 1.3).</summary>
    Any,
}

/// <summary>Server authentication of a cipher suite.</summary>
internal enum TlsAuthentication : byte
{
    /// <summary>None (<c>TLS_NULL_WITH_NULL_NULL</c>).</summary>
    Null,

    /// <summary>Anonymous: no server authentication (OpenSSL <c>aNULL</c>).</summary>
    Anonymous,

    /// <summary>RSA certificate.</summary>
    Rsa,

    /// <summary>DSA certificate.</summary>
    Dss,

    /// <summary>ECDSA certificate.</summary>
    Ecdsa,

    /// <summary>Pre-shared key.</summary>
    Psk,

    /// <summary>SRP password.</summary>
    Srp,

    /// <summary>Kerberos 5.</summary>
    Krb5,

    /// <summary>ECC password.</summary>
    Eccpwd,

    /// <summary>Negotiated separately (TLS 1.3).</summary>
    Any,
}

/// <summary>Bulk cipher (algorithm and mode) of a cipher suite; the key size is in <see cref="CipherSuiteInfo.KeyBits"/>.</summary>
internal enum TlsBulkCipher : byte
{
    /// <summary>No encryption (OpenSSL <c>eNULL</c>).</summary>
    Null,

    /// <summary>RC4 stream cipher (R-T3).</summary>
    Rc4,

    /// <summary>RC2 in CBC mode.</summary>
    Rc2,

    /// <summary>Single DES (or DES40) in CBC mode.</summary>
    Des,

    /// <summary>Triple DES (EDE) in CBC mode: 168 key bits, 112 bits of strength.</summary>
    TripleDes,

    /// <summary>IDEA in CBC mode.</summary>
    Idea,

    /// <summary>SEED in CBC mode.</summary>
    Seed,

    /// <summary>AES in CBC mode.</summary>
    Aes,

    /// <summary>AES-GCM.</summary>
    AesGcm,

    /// <summary>AES-CCM.</summary>
    AesCcm,

    /// <summary>AES-CCM with an 8-byte tag.</summary>
    AesCcm8,

    /// <summary>Camellia in CBC mode.</summary>
    Camellia,

    /// <summary>Camellia-GCM.</summary>
    CamelliaGcm,

    /// <summary>ARIA in CBC mode.</summary>
    Aria,

    /// <summary>ARIA-GCM.</summary>
    AriaGcm,

    /// <summary>ChaCha20-Poly1305.</summary>
    ChaCha20Poly1305,
}

/// <summary>Record MAC of a cipher suite (<see cref="Aead"/> for AEAD ciphers).</summary>
internal enum TlsMac : byte
{
    /// <summary>No MAC.</summary>
    Null,

    /// <summary>HMAC-MD5.</summary>
    Md5,

    /// <summary>HMAC-SHA1.</summary>
    Sha1,

    /// <summary>HMAC-SHA256.</summary>
    Sha256,

    /// <summary>HMAC-SHA384.</summary>
    Sha384,

    /// <summary>Integrity from the AEAD cipher.</summary>
    Aead,
}

/// <summary>
/// OpenSSL 3.0 classes of a suite: the strength classes and the other aliases that are properties of a suite
/// rather than of its algorithms. Public values are API: never renumber.
/// </summary>
[Flags]
internal enum OpenSslClasses : ushort
{
    /// <summary>No class (or not an OpenSSL suite).</summary>
    None = 0,

    /// <summary>OpenSSL <c>HIGH</c>.</summary>
    High = 1,

    /// <summary>OpenSSL <c>MEDIUM</c>.</summary>
    Medium = 2,

    /// <summary>OpenSSL <c>LOW</c> (empty in OpenSSL 3.0).</summary>
    Low = 4,

    /// <summary>OpenSSL <c>FIPS</c> (as selected by the <c>FIPS</c> alias, which excludes <c>eNULL</c>).</summary>
    Fips = 8,

    /// <summary>In OpenSSL's <c>COMPLEMENTOFDEFAULT</c> (SSL_NOT_DEFAULT).</summary>
    NotDefault = 16,

    /// <summary>OpenSSL's SSL_STRONG_NONE: no encryption.</summary>
    StrongNone = 32,

    /// <summary>No encryption (<c>eNULL</c>).</summary>
    ENull = 64,

    /// <summary>No authentication (<c>aNULL</c>).</summary>
    ANull = 128,

    /// <summary>An export suite (IANA <c>_EXPORT_</c>; OpenSSL 3.0 has none and no <c>EXPORT</c> alias).</summary>
    Export = 256,
}

/// <summary>Whether and how an OpenSSL 3.0 build offers a suite.</summary>
internal enum OpenSslAvailability : byte
{
    /// <summary>OpenSSL 3.0 has no such suite.</summary>
    None,

    /// <summary>In a default OpenSSL 3.0 build (the suites <c>openssl ciphers ALL:COMPLEMENTOFALL</c> lists).</summary>
    Default,

    /// <summary>Only when built with <c>enable-weak-ssl-ciphers</c> (RC4 and 3DES suites).</summary>
    WeakCiphers,

    /// <summary>Only with the legacy provider loaded (IDEA and SEED suites).</summary>
    LegacyProvider,
}

/// <summary>
/// One row of the cipher-suite table: the IANA registry facts and OpenSSL 3.0's view of the suite.
/// A plain value; reading it allocates nothing. Does not say whether a peer supports the suite.
/// </summary>
internal readonly struct CipherSuiteInfo
{
    internal CipherSuiteInfo(
        ushort id,
        string ianaName,
        string? openSslName,
        TlsProtocol minProtocol,
        TlsProtocol maxProtocol,
        TlsKeyExchange keyExchange,
        TlsAuthentication authentication,
        TlsBulkCipher cipher,
        short keyBits,
        short strengthBits,
        TlsMac mac,
        OpenSslClasses classes,
        OpenSslAvailability availability,
        uint openSslKx,
        uint openSslAu,
        uint openSslEnc,
        uint openSslMac,
        short openSslRank)
    {
        Id = id;
        IanaName = ianaName;
        OpenSslName = openSslName;
        MinProtocol = minProtocol;
        MaxProtocol = maxProtocol;
        KeyExchange = keyExchange;
        Authentication = authentication;
        Cipher = cipher;
        KeyBits = keyBits;
        StrengthBits = strengthBits;
        Mac = mac;
        Classes = classes;
        Availability = availability;
        OpenSslKx = openSslKx;
        OpenSslAu = openSslAu;
        OpenSslEnc = openSslEnc;
        OpenSslMac = openSslMac;
        OpenSslRank = openSslRank;
    }

    /// <summary>The two-byte IANA code point (e.g. 0xC030).</summary>
    public ushort Id { get; }

    /// <summary>The IANA name (<c>TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384</c>).</summary>
    public string IanaName { get; }

    /// <summary>The OpenSSL name (<c>ECDHE-RSA-AES256-GCM-SHA384</c>), or <see langword="null"/> when OpenSSL 3.0 has no such suite.</summary>
    public string? OpenSslName { get; }

    /// <summary>The first protocol version that can negotiate the suite (OpenSSL's min_tls where OpenSSL has the suite).</summary>
    public TlsProtocol MinProtocol { get; }

    /// <summary>The last protocol version that can negotiate the suite.</summary>
    public TlsProtocol MaxProtocol { get; }

    /// <summary>Key exchange.</summary>
    public TlsKeyExchange KeyExchange { get; }

    /// <summary>Server authentication.</summary>
    public TlsAuthentication Authentication { get; }

    /// <summary>Bulk cipher.</summary>
    public TlsBulkCipher Cipher { get; }

    /// <summary>Nominal key bits of the bulk cipher (168 for 3DES, 0 for NULL).</summary>
    public short KeyBits { get; }

    /// <summary>Effective strength in bits, as OpenSSL counts it (112 for 3DES); the R-T2 floor compares this value.</summary>
    public short StrengthBits { get; }

    /// <summary>Record MAC.</summary>
    public TlsMac Mac { get; }

    /// <summary>OpenSSL 3.0 classes.</summary>
    public OpenSslClasses Classes { get; }

    /// <summary>Whether a default OpenSSL 3.0 build offers the suite.</summary>
    public OpenSslAvailability Availability { get; }

    /// <summary>True for the TLS 1.3 suites (which OpenSSL configures apart from cipher strings).</summary>
    public bool IsTls13 => MinProtocol == TlsProtocol.Tls13;

    internal uint OpenSslKx { get; }

    internal uint OpenSslAu { get; }

    internal uint OpenSslEnc { get; }

    internal uint OpenSslMac { get; }

    /// <summary>Position in OpenSSL's collection order (see <see cref="OpenSslCipherString"/>); -1 when not in a cipher-string list.</summary>
    internal short OpenSslRank { get; }

    /// <summary>The name to show: the OpenSSL name where there is one, otherwise the IANA name.</summary>
    public string DisplayName => OpenSslName ?? IanaName;

    /// <summary>True if the suite can be negotiated with <paramref name="protocol"/>.</summary>
    /// <param name="protocol">The protocol.</param>
    /// <returns>Whether <paramref name="protocol"/> lies in [<see cref="MinProtocol"/>, <see cref="MaxProtocol"/>].</returns>
    public bool IsValidFor(TlsProtocol protocol) => protocol >= MinProtocol && protocol <= MaxProtocol && protocol != TlsProtocol.Unknown;
}
