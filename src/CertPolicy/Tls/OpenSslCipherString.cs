using System.Globalization;

namespace CertPolicy.Tls;

/// <summary>Which optional parts of OpenSSL 3.0 a cipher-string evaluation assumes.</summary>
[Flags]
internal enum OpenSslBuild : byte
{
    /// <summary>A default OpenSSL 3.0 build and configuration (what <c>openssl ciphers</c> shows on Debian 12).</summary>
    Default = 0,

    /// <summary>Built with <c>enable-weak-ssl-ciphers</c>: adds the RC4 and 3DES suites.</summary>
    WeakCiphers = 1,

    /// <summary>The legacy provider is loaded: adds the IDEA and SEED suites.</summary>
    LegacyProvider = 2,

    /// <summary>Every suite of OpenSSL 3.0's table that this library knows (GOST excepted).</summary>
    Full = WeakCiphers | LegacyProvider,
}

/// <summary>What went wrong with a cipher string.</summary>
internal enum CipherStringErrorKind
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The string is empty or only white space.</summary>
    Empty = 1,

    /// <summary>The string is longer than <see cref="CipherStringOptions.MaxLength"/>.</summary>
    TooLong = 2,

    /// <summary>A character that can be neither a separator, an operator nor part of a word (OpenSSL: "invalid command").</summary>
    InvalidCharacter = 3,

    /// <summary>An operator without a word, or an unknown <c>@</c> command (OpenSSL: "invalid command").</summary>
    InvalidCommand = 4,

    /// <summary>A word that is neither an alias nor a suite name (OpenSSL ignores it; strict mode refuses it).</summary>
    UnknownWord = 5,

    /// <summary><c>@SECLEVEL=n</c> with n outside 0..5.</summary>
    InvalidSecurityLevel = 6,

    /// <summary>Nothing selected (OpenSSL: "no cipher match").</summary>
    NoCipherMatch = 7,
}

/// <summary>A cipher-string error: kind, character position and a message for people.</summary>
internal readonly struct CipherStringError
{
    /// <summary>Creates an error.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="position">The zero-based character position, or -1.</param>
    /// <param name="message">The message.</param>
    public CipherStringError(CipherStringErrorKind kind, int position, string message)
    {
        Kind = kind;
        Position = position;
        Message = message;
    }

    /// <summary>The kind.</summary>
    public CipherStringErrorKind Kind { get; }

    /// <summary>The zero-based character position in the input, or -1.</summary>
    public int Position { get; }

    /// <summary>The message.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => Message ?? string.Empty;
}

/// <summary>Options for <see cref="OpenSslCipherString"/>.</summary>
internal sealed class CipherStringOptions
{
    /// <summary>The default maximum length (OpenSSL has none; a cipher string in a config is never this long).</summary>
    public const int DefaultMaxLength = 8192;

    /// <summary>Strict: unknown words are errors, default OpenSSL 3.0 build.</summary>
    public static CipherStringOptions Strict { get; } = new();

    /// <summary>Exactly OpenSSL's behaviour: unknown words are ignored (and listed in <see cref="CipherSelection.IgnoredWords"/>).</summary>
    public static CipherStringOptions OpenSslCompatible { get; } = new() { RejectUnknownWords = false };

    /// <summary>The OpenSSL build to assume.</summary>
    public OpenSslBuild Build { get; init; } = OpenSslBuild.Default;

    /// <summary>Whether a word that is no alias and no suite name is an error (OpenSSL silently ignores it).</summary>
    public bool RejectUnknownWords { get; init; } = true;

    /// <summary>The maximum input length in characters.</summary>
    public int MaxLength { get; init; } = DefaultMaxLength;
}

/// <summary>The ordered result of a cipher string: the TLS 1.3 suites, then the TLS &lt;= 1.2 selection.</summary>
internal sealed class CipherSelection
{
    private readonly int[] _rows;
    private readonly int[] _tls13;

    internal CipherSelection(int[] rows, int[] tls13, int securityLevel, string[] ignored)
    {
        _rows = rows;
        _tls13 = tls13;
        SecurityLevel = securityLevel;
        IgnoredWords = ignored;
    }

    /// <summary>OpenSSL 3.0's default TLS 1.3 suites, in its order (<c>TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256</c>).</summary>
    public static ReadOnlySpan<ushort> DefaultTls13Suites => [0x1302, 0x1303, 0x1301];

    /// <summary>The TLS &lt;= 1.2 suites the string selects, best first, as row indexes into <see cref="CipherSuiteTable.All"/>.</summary>
    public ReadOnlySpan<int> Rows => _rows;

    /// <summary>The TLS 1.3 suites OpenSSL lists ahead of them (not governed by cipher strings), as row indexes.</summary>
    public ReadOnlySpan<int> Tls13Rows => _tls13;

    /// <summary>The level of the last <c>@SECLEVEL=n</c>, or -1. Recorded, not applied (like <c>openssl ciphers</c> without <c>-s</c>).</summary>
    public int SecurityLevel { get; }

    /// <summary>Words OpenSSL would ignore: unknown words (only in the compatible mode) and suites this build lacks.</summary>
    public IReadOnlyList<string> IgnoredWords { get; }

    /// <summary>True if the TLS &lt;= 1.2 selection contains the suite.</summary>
    /// <param name="id">The suite id.</param>
    /// <returns>Whether it is selected.</returns>
    public bool Contains(ushort id)
    {
        foreach (int r in _rows)
        {
            if (CipherSuiteTable.Row(r).Id == id)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Evaluates OpenSSL cipher strings the way OpenSSL 3.0 does (<c>ssl/ssl_ciph.c</c>: <c>ssl_create_cipher_list</c>,
/// <c>ssl_cipher_process_rulestr</c>, <c>ssl_cipher_apply_rule</c>, <c>ssl_cipher_strength_sort</c>; read for the
/// semantics, no code copied): the built-in preference order, aliases joined with <c>+</c>, the operators
/// <c>+</c> (move to end), <c>-</c> (remove, may be re-added), <c>!</c> (remove for good), separators <c>:</c>,
/// <c>,</c>, <c>;</c> and space, <c>@STRENGTH</c>, <c>@SECLEVEL=n</c>, a leading <c>DEFAULT</c> or <c>SUITEB…</c>.
/// Differences: strict mode refuses unknown words; the security level is reported, not applied (the list equals
/// <c>openssl ciphers</c> without <c>-s</c>); DTLS aliases match nothing (as observed with a TLS method);
/// GOST suites are not in the table. <c>TryEvaluate</c> never throws on data.
/// </summary>
internal static class OpenSslCipherString
{
    // OpenSSL algorithm bits (our own numbering, same set relations as OpenSSL's ssl_local.h).
    private const uint KRsa = 0x1, KDhe = 0x2, KEcdhe = 0x4, KPsk = 0x8, KGost = 0x10, KSrp = 0x20, KRsaPsk = 0x40, KEcdhePsk = 0x80, KDhePsk = 0x100, KGost18 = 0x200;
    private const uint ARsa = 0x1, ADss = 0x2, ANull = 0x4, AEcdsa = 0x8, APsk = 0x10, AGost01 = 0x20, ASrp = 0x40, AGost12 = 0x80;
    private const uint EDes = 0x1, E3Des = 0x2, ERc4 = 0x4, ERc2 = 0x8, EIdea = 0x10, ENull = 0x20, EAes128 = 0x40, EAes256 = 0x80,
        ECam128 = 0x100, ECam256 = 0x200, EGost89 = 0x400, ESeed = 0x800, EAes128Gcm = 0x1000, EAes256Gcm = 0x2000,
        EAes128Ccm = 0x4000, EAes256Ccm = 0x8000, EAes128Ccm8 = 0x10000, EAes256Ccm8 = 0x20000, EGost8912 = 0x40000,
        EChacha = 0x80000, EAria128Gcm = 0x100000, EAria256Gcm = 0x200000, EMagma = 0x400000, EKuznyechik = 0x800000;
    private const uint EAesGcm = EAes128Gcm | EAes256Gcm, EAesCcm = EAes128Ccm | EAes256Ccm | EAes128Ccm8 | EAes256Ccm8;
    private const uint EAes = EAes128 | EAes256 | EAesGcm | EAesCcm, ECamellia = ECam128 | ECam256, EAriaGcm = EAria128Gcm | EAria256Gcm;
    private const uint ECbc = EDes | E3Des | ERc2 | EIdea | EAes128 | EAes256 | ECam128 | ECam256 | ESeed;
    private const uint MMd5 = 0x1, MSha1 = 0x2, MGost94 = 0x4, MGost89Mac = 0x8, MSha256 = 0x10, MSha384 = 0x20, MAead = 0x40, MGost12256 = 0x80, MGost89Mac12 = 0x100;
    private const byte SNone = 0x1, SLow = 0x2, SMedium = 0x4, SHigh = 0x8, SFips = 0x10, SNotDefault = 0x20;
    private const byte StrongMask = 0x1F, DefaultMask = 0x20;

    // OpenSSL 3.0 OSSL_default_cipher_list().
    private const string DefaultRule = "ALL:!COMPLEMENTOFDEFAULT:!eNULL";

    private readonly record struct Alias(string Name, uint Kx, uint Au, uint Enc, uint Mac, ushort MinTls, byte Strength, bool Dtls = false);

    // OpenSSL 3.0 ssl/ssl_ciph.c cipher_aliases[] (restated) plus the 1.0-era EXPORT words, which 3.0 no longer
    // defines: they are kept as known words that select nothing, so Postfix's export grade list stays strict-clean.
    private static readonly Alias[] s_aliases =
    [
        new("ALL", 0, 0, ~ENull, 0, 0, 0),
        new("COMPLEMENTOFALL", 0, 0, ENull, 0, 0, 0),
        new("COMPLEMENTOFDEFAULT", 0, 0, 0, 0, 0, SNotDefault),
        new("kRSA", KRsa, 0, 0, 0, 0, 0),
        new("kEDH", KDhe, 0, 0, 0, 0, 0),
        new("kDHE", KDhe, 0, 0, 0, 0, 0),
        new("DH", KDhe, 0, 0, 0, 0, 0),
        new("kEECDH", KEcdhe, 0, 0, 0, 0, 0),
        new("kECDHE", KEcdhe, 0, 0, 0, 0, 0),
        new("ECDH", KEcdhe, 0, 0, 0, 0, 0),
        new("kPSK", KPsk, 0, 0, 0, 0, 0),
        new("kRSAPSK", KRsaPsk, 0, 0, 0, 0, 0),
        new("kECDHEPSK", KEcdhePsk, 0, 0, 0, 0, 0),
        new("kDHEPSK", KDhePsk, 0, 0, 0, 0, 0),
        new("kSRP", KSrp, 0, 0, 0, 0, 0),
        new("kGOST", KGost, 0, 0, 0, 0, 0),
        new("kGOST18", KGost18, 0, 0, 0, 0, 0),
        new("aRSA", 0, ARsa, 0, 0, 0, 0),
        new("aDSS", 0, ADss, 0, 0, 0, 0),
        new("DSS", 0, ADss, 0, 0, 0, 0),
        new("aNULL", 0, ANull, 0, 0, 0, 0),
        new("aECDSA", 0, AEcdsa, 0, 0, 0, 0),
        new("ECDSA", 0, AEcdsa, 0, 0, 0, 0),
        new("aPSK", 0, APsk, 0, 0, 0, 0),
        new("aGOST01", 0, AGost01, 0, 0, 0, 0),
        new("aGOST12", 0, AGost12, 0, 0, 0, 0),
        new("aGOST", 0, AGost01 | AGost12, 0, 0, 0, 0),
        new("aSRP", 0, ASrp, 0, 0, 0, 0),
        new("EDH", KDhe, ~ANull, 0, 0, 0, 0),
        new("DHE", KDhe, ~ANull, 0, 0, 0, 0),
        new("EECDH", KEcdhe, ~ANull, 0, 0, 0, 0),
        new("ECDHE", KEcdhe, ~ANull, 0, 0, 0, 0),
        new("NULL", 0, 0, ENull, 0, 0, 0),
        new("RSA", KRsa, ARsa, 0, 0, 0, 0),
        new("ADH", KDhe, ANull, 0, 0, 0, 0),
        new("AECDH", KEcdhe, ANull, 0, 0, 0, 0),
        new("PSK", KPsk | KRsaPsk | KEcdhePsk | KDhePsk, 0, 0, 0, 0, 0),
        new("SRP", KSrp, 0, 0, 0, 0, 0),
        new("3DES", 0, 0, E3Des, 0, 0, 0),
        new("RC4", 0, 0, ERc4, 0, 0, 0),
        new("RC2", 0, 0, ERc2, 0, 0, 0),
        new("IDEA", 0, 0, EIdea, 0, 0, 0),
        new("SEED", 0, 0, ESeed, 0, 0, 0),
        new("eNULL", 0, 0, ENull, 0, 0, 0),
        new("GOST", 0, 0, EGost89 | EGost8912, 0, 0, 0),
        new("AES128", 0, 0, EAes128 | EAes128Gcm | EAes128Ccm | EAes128Ccm8, 0, 0, 0),
        new("AES256", 0, 0, EAes256 | EAes256Gcm | EAes256Ccm | EAes256Ccm8, 0, 0, 0),
        new("AES", 0, 0, EAes, 0, 0, 0),
        new("AESGCM", 0, 0, EAesGcm, 0, 0, 0),
        new("AESCCM", 0, 0, EAesCcm, 0, 0, 0),
        new("AESCCM8", 0, 0, EAes128Ccm8 | EAes256Ccm8, 0, 0, 0),
        new("CAMELLIA128", 0, 0, ECam128, 0, 0, 0),
        new("CAMELLIA256", 0, 0, ECam256, 0, 0, 0),
        new("CAMELLIA", 0, 0, ECamellia, 0, 0, 0),
        new("CHACHA20", 0, 0, EChacha, 0, 0, 0),
        new("GOST2012-KUZNYECHIK-KUZNYECHIKOMAC", 0, 0, EKuznyechik, 0, 0, 0),
        new("GOST2012-MAGMA-MAGMAOMAC", 0, 0, EMagma, 0, 0, 0),
        new("ARIA", 0, 0, EAriaGcm, 0, 0, 0),
        new("ARIAGCM", 0, 0, EAriaGcm, 0, 0, 0),
        new("ARIA128", 0, 0, EAria128Gcm, 0, 0, 0),
        new("ARIA256", 0, 0, EAria256Gcm, 0, 0, 0),
        new("CBC", 0, 0, ECbc, 0, 0, 0),
        new("MD5", 0, 0, 0, MMd5, 0, 0),
        new("SHA1", 0, 0, 0, MSha1, 0, 0),
        new("SHA", 0, 0, 0, MSha1, 0, 0),
        new("GOST94", 0, 0, 0, MGost94, 0, 0),
        new("GOST89MAC", 0, 0, 0, MGost89Mac | MGost89Mac12, 0, 0),
        new("SHA256", 0, 0, 0, MSha256, 0, 0),
        new("SHA384", 0, 0, 0, MSha384, 0, 0),
        new("GOST12", 0, 0, 0, MGost12256, 0, 0),
        new("SSLv3", 0, 0, 0, 0, 0x0300, 0),
        new("TLSv1", 0, 0, 0, 0, 0x0301, 0),
        new("TLSv1.0", 0, 0, 0, 0, 0x0301, 0),
        new("TLSv1.2", 0, 0, 0, 0, 0x0303, 0),
        new("DTLSv1", 0, 0, 0, 0, 0, 0, Dtls: true),
        new("DTLSv1.0", 0, 0, 0, 0, 0, 0, Dtls: true),
        new("DTLSv1.2", 0, 0, 0, 0, 0, 0, Dtls: true),
        new("LOW", 0, 0, 0, 0, 0, SLow),
        new("MEDIUM", 0, 0, 0, 0, 0, SMedium),
        new("HIGH", 0, 0, 0, 0, 0, SHigh),
        new("FIPS", 0, 0, ~ENull, 0, 0, SFips),
        new("EDH-DSS-DES-CBC3-SHA", KDhe, ADss, E3Des, MSha1, 0, SMedium | SFips),
        new("EDH-RSA-DES-CBC3-SHA", KDhe, ARsa, E3Des, MSha1, 0, SMedium | SFips),
    ];

    // Words OpenSSL 1.0 defined and 3.0 does not: known, select nothing (OpenSSL 3.0 ignores them too).
    private static readonly string[] s_obsoleteWords = ["EXPORT", "EXP", "EXPORT40", "EXPORT56", "KRB5", "kKRB5", "aKRB5", "kECDHr", "kECDHe", "kECDH", "aECDH", "kDHr", "kDHd", "kDH", "aDH", "kFZA", "aFZA", "eFZA", "FZA"];

    /// <summary>The alias names OpenSSL 3.0 defines (for tests and help).</summary>
    public static IEnumerable<string> AliasNames
    {
        get
        {
            foreach (var a in s_aliases)
            {
                yield return a.Name;
            }
        }
    }

    /// <summary>
    /// The OpenSSL 3.0 aliases a suite belongs to (<c>kECDHE</c>, <c>aRSA</c>, <c>AESGCM</c>, <c>HIGH</c>, <c>TLSv1.2</c>, ...),
    /// i.e. the aliases whose selection contains it, in alias-table order. Empty for suites OpenSSL does not have and for
    /// TLS 1.3 suites (cipher strings do not govern them). Allocates (diagnostic path).
    /// </summary>
    /// <param name="suite">The suite.</param>
    /// <returns>The alias names.</returns>
    public static IReadOnlyList<string> AliasesOf(in CipherSuiteInfo suite)
    {
        var result = new List<string>();
        int row = CipherSuiteTable.IndexOf(suite.Id);
        if (row < 0 || suite.OpenSslRank < 0 || suite.IsTls13)
        {
            return result;
        }

        var c = new Candidate(row, CipherSuiteTable.Row(row));
        foreach (var a in s_aliases)
        {
            var p = new Pattern { CipherId = -1, Kx = a.Kx, Au = a.Au, Enc = a.Enc, Mac = a.Mac, MinTls = a.MinTls, Strength = a.Strength, Nothing = a.Dtls };
            if (Matches(c, p))
            {
                result.Add(a.Name);
            }
        }

        return result;
    }

    private enum Op
    {
        Add,
        Kill,
        Del,
        Ord,
        Bump,
    }

    private struct Pattern
    {
        public int CipherId;
        public uint Kx, Au, Enc, Mac;
        public ushort MinTls;
        public byte Strength;
        public bool Nothing;
    }

    /// <summary>One candidate suite: a row and OpenSSL's algorithm bits.</summary>
    private readonly struct Candidate(int row, in CipherSuiteInfo info)
    {
        public readonly int Row = row;
        public readonly int Id = info.Id;
        public readonly uint Kx = info.OpenSslKx, Au = info.OpenSslAu, Enc = info.OpenSslEnc, Mac = info.OpenSslMac;
        public readonly ushort MinTls = (ushort)info.MinProtocol;
        public readonly int StrengthBits = info.StrengthBits;
        public readonly byte Strength = StrengthOf(info.Classes);
        public readonly string Name = info.OpenSslName!;
    }

    private static readonly Candidate[][] s_candidates = BuildCandidates();

    private static byte StrengthOf(OpenSslClasses c)
    {
        byte s = 0;
        if ((c & OpenSslClasses.StrongNone) != 0)
        {
            s |= SNone;
        }

        if ((c & OpenSslClasses.Low) != 0)
        {
            s |= SLow;
        }

        if ((c & OpenSslClasses.Medium) != 0)
        {
            s |= SMedium;
        }

        if ((c & OpenSslClasses.High) != 0)
        {
            s |= SHigh;
        }

        if ((c & OpenSslClasses.Fips) != 0)
        {
            s |= SFips;
        }

        if ((c & OpenSslClasses.NotDefault) != 0)
        {
            s |= SNotDefault;
        }

        return s;
    }

    private static bool InBuild(OpenSslAvailability a, OpenSslBuild build) => a switch
    {
        OpenSslAvailability.Default => true,
        OpenSslAvailability.WeakCiphers => (build & OpenSslBuild.WeakCiphers) != 0,
        OpenSslAvailability.LegacyProvider => (build & OpenSslBuild.LegacyProvider) != 0,
        _ => false,
    };

    /// <summary>
    /// The candidates of each build in OpenSSL's collection order (<c>ssl_cipher_collect_ciphers</c>). The order
    /// is the table's <c>OpenSslRank</c>: the order <c>openssl ciphers ALL:COMPLEMENTOFALL</c> printed on the
    /// generating machine. That order differs from s3_lib.c's, but only between suites that the built-in rules
    /// already order (they differ in strength), so the built-in preference order below comes out the same
    /// (see the differential test). Rows missing from the default build follow, by rank.
    /// </summary>
    private static Candidate[][] BuildCandidates()
    {
        var result = new Candidate[4][];
        for (int b = 0; b < 4; b++)
        {
            var list = new List<Candidate>();
            var rows = CipherSuiteTable.All;
            for (int i = 0; i < rows.Length; i++)
            {
                ref readonly var r = ref rows[i];
                if (r.OpenSslRank >= 0 && !r.IsTls13 && InBuild(r.Availability, (OpenSslBuild)b))
                {
                    list.Add(new Candidate(i, r));
                }
            }

            list.Sort(static (x, y) => CipherSuiteTable.Row(x.Row).OpenSslRank.CompareTo(CipherSuiteTable.Row(y.Row).OpenSslRank));
            result[b] = [.. list];
        }

        return result;
    }

    /// <summary>
    /// Parses and evaluates a cipher string in strict mode (unknown words are errors, default OpenSSL 3.0 build).
    /// Never throws: a <see langword="null"/> string is reported as <see cref="CipherStringErrorKind.Empty"/>.
    /// </summary>
    /// <param name="cipherString">The cipher string.</param>
    /// <param name="selection">The ordered selection, or <see langword="null"/> on error.</param>
    /// <param name="error">The error, or default.</param>
    /// <returns><see langword="true"/> on success.</returns>
    public static bool TryParse(string? cipherString, out CipherSelection? selection, out CipherStringError error)
    {
        if (cipherString is null)
        {
            selection = null;
            error = new CipherStringError(CipherStringErrorKind.Empty, 0, "cipher string is missing");
            return false;
        }

        return TryEvaluate(cipherString, CipherStringOptions.Strict, out selection, out error);
    }

    /// <summary>
    /// Evaluates <paramref name="cipherString"/>. Never throws on data: malformed input is an error result.
    /// </summary>
    /// <param name="cipherString">The cipher string (for example <c>HIGH:!aNULL:!MD5</c>).</param>
    /// <param name="options">Options; <see langword="null"/> means <see cref="CipherStringOptions.Strict"/>.</param>
    /// <param name="selection">The ordered selection, or <see langword="null"/> on error.</param>
    /// <param name="error">The error, or default.</param>
    /// <returns><see langword="true"/> on success.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="cipherString"/> is null (a caller mistake).</exception>
    public static bool TryEvaluate(string cipherString, CipherStringOptions? options, out CipherSelection? selection, out CipherStringError error)
    {
        ArgumentNullException.ThrowIfNull(cipherString);
        options ??= CipherStringOptions.Strict;
        selection = null;
        error = default;
        if (cipherString.Length > options.MaxLength)
        {
            error = new CipherStringError(CipherStringErrorKind.TooLong, options.MaxLength, string.Create(CultureInfo.InvariantCulture, $"cipher string is {cipherString.Length} characters long; the limit is {options.MaxLength}"));
            return false;
        }

        if (cipherString.AsSpan().Trim().IsEmpty)
        {
            error = new CipherStringError(CipherStringErrorKind.Empty, 0, "cipher string is empty");
            return false;
        }

        try
        {
            return Evaluate(cipherString, options, out selection, out error);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Fail closed: a bug in the evaluator must not escape a TryEvaluate.
            error = new CipherStringError(CipherStringErrorKind.InvalidCommand, -1, "internal error evaluating the cipher string");
            selection = null;
            return false;
        }
    }

    private sealed class State
    {
        public readonly Candidate[] C;
        public int[] List;
        public readonly bool[] Active;

        public State(Candidate[] candidates, int[] order, bool[] active)
        {
            C = candidates;
            List = order;
            Active = active;
        }
    }

    private static bool Evaluate(string text, CipherStringOptions options, out CipherSelection? selection, out CipherStringError error)
    {
        selection = null;
        var candidates = s_candidates[(int)(options.Build & OpenSslBuild.Full)];
        var state = BaseOrder(candidates);
        var ignored = new List<string>();
        int secLevel = -1;

        // check_suiteb_cipher_list: a leading SUITEB keyword replaces the whole rule string.
        string rules = text;
        int offset = 0;
        if (text.StartsWith("SUITEB128ONLY", StringComparison.Ordinal))
        {
            rules = "ECDHE-ECDSA-AES128-GCM-SHA256";
            offset = -1;
        }
        else if (text.StartsWith("SUITEB128C2", StringComparison.Ordinal))
        {
            rules = "ECDHE-ECDSA-AES256-GCM-SHA384";
            offset = -1;
        }
        else if (text.StartsWith("SUITEB128", StringComparison.Ordinal))
        {
            rules = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384";
            offset = -1;
        }
        else if (text.StartsWith("SUITEB192", StringComparison.Ordinal))
        {
            rules = "ECDHE-ECDSA-AES256-GCM-SHA384";
            offset = -1;
        }

        if (rules.StartsWith("DEFAULT", StringComparison.Ordinal))
        {
            if (!Process(DefaultRule, 0, state, options, ignored, ref secLevel, out error))
            {
                return false;
            }

            int skip = 7;
            if (rules.Length > 7 && rules[7] == ':')
            {
                skip = 8;
            }

            if (!Process(rules[skip..], offset < 0 ? -1 : skip, state, options, ignored, ref secLevel, out error))
            {
                return false;
            }
        }
        else if (!Process(rules, offset < 0 ? -1 : 0, state, options, ignored, ref secLevel, out error))
        {
            return false;
        }

        var rows = new List<int>();
        foreach (int p in state.List)
        {
            if (state.Active[p])
            {
                rows.Add(candidates[p].Row);
            }
        }

        if (rows.Count == 0)
        {
            error = new CipherStringError(CipherStringErrorKind.NoCipherMatch, -1, "no cipher match: the string selects no TLS <= 1.2 suite");
            return false;
        }

        var defaults = CipherSelection.DefaultTls13Suites;
        var tls13 = new int[defaults.Length];
        for (int i = 0; i < defaults.Length; i++)
        {
            tls13[i] = CipherSuiteTable.IndexOf(defaults[i]);
        }

        selection = new CipherSelection([.. rows], tls13, secLevel, [.. ignored]);
        error = default;
        return true;
    }

    /// <summary>The built-in preference order of <c>ssl_create_cipher_list</c>, all entries inactive.</summary>
    private static State BaseOrder(Candidate[] c)
    {
        var order = new int[c.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var s = new State(c, order, new bool[c.Length]);

        // Prefer ephemeral ECDH, ECDSA first.
        Apply(s, new Pattern { CipherId = -1, Kx = KEcdhe, Au = AEcdsa }, Op.Add);
        Apply(s, new Pattern { CipherId = -1, Kx = KEcdhe }, Op.Add);
        Apply(s, new Pattern { CipherId = -1, Kx = KEcdhe }, Op.Del);

        // GCM, then ChaCha20, then the other AES modes, then everything else.
        Apply(s, new Pattern { CipherId = -1, Enc = EAesGcm }, Op.Add);
        Apply(s, new Pattern { CipherId = -1, Enc = EChacha }, Op.Add);
        Apply(s, new Pattern { CipherId = -1, Enc = EAes ^ EAesGcm }, Op.Add);
        Apply(s, new Pattern { CipherId = -1 }, Op.Add);

        // MD5, anonymous, RSA key transport, plain PSK and RC4 to the end (in that order).
        Apply(s, new Pattern { CipherId = -1, Mac = MMd5 }, Op.Ord);
        Apply(s, new Pattern { CipherId = -1, Au = ANull }, Op.Ord);
        Apply(s, new Pattern { CipherId = -1, Kx = KRsa }, Op.Ord);
        Apply(s, new Pattern { CipherId = -1, Kx = KPsk }, Op.Ord);
        Apply(s, new Pattern { CipherId = -1, Enc = ERc4 }, Op.Ord);

        StrengthSort(s);

        // Bumps, in reverse order of preference: TLS 1.2, AEAD, (EC)DHE, (EC)DHE + AEAD.
        Apply(s, new Pattern { CipherId = -1, MinTls = 0x0303 }, Op.Bump);
        Apply(s, new Pattern { CipherId = -1, Mac = MAead }, Op.Bump);
        Apply(s, new Pattern { CipherId = -1, Kx = KDhe | KEcdhe }, Op.Bump);
        Apply(s, new Pattern { CipherId = -1, Kx = KDhe | KEcdhe, Mac = MAead }, Op.Bump);

        // Disable everything, keeping the order.
        Apply(s, new Pattern { CipherId = -1 }, Op.Del);
        return s;
    }

    private static bool Matches(in Candidate c, in Pattern p)
    {
        if (p.Nothing)
        {
            return false;
        }

        if (p.CipherId >= 0 && p.CipherId != c.Id)
        {
            return false;
        }

        if ((p.Kx != 0 && (p.Kx & c.Kx) == 0) || (p.Au != 0 && (p.Au & c.Au) == 0)
            || (p.Enc != 0 && (p.Enc & c.Enc) == 0) || (p.Mac != 0 && (p.Mac & c.Mac) == 0))
        {
            return false;
        }

        if (p.MinTls != 0 && p.MinTls != c.MinTls)
        {
            return false;
        }

        if ((p.Strength & StrongMask) != 0 && (p.Strength & StrongMask & c.Strength) == 0)
        {
            return false;
        }

        return (p.Strength & DefaultMask) == 0 || (p.Strength & DefaultMask & c.Strength) != 0;
    }

    /// <summary>One rule over the list (<c>ssl_cipher_apply_rule</c>): each operation is a stable partition.</summary>
    private static void Apply(State s, in Pattern p, Op op)
    {
        var list = s.List;
        var moved = new List<int>(list.Length);
        var kept = new List<int>(list.Length);
        foreach (int i in list)
        {
            bool m = Matches(s.C[i], p);
            bool move = op switch
            {
                Op.Add => m && !s.Active[i],
                Op.Ord or Op.Del or Op.Bump => m && s.Active[i],
                _ => m,
            };
            if (move)
            {
                moved.Add(i);
            }
            else
            {
                kept.Add(i);
            }
        }

        switch (op)
        {
            case Op.Add:
                foreach (int i in moved)
                {
                    s.Active[i] = true;
                }

                kept.AddRange(moved);
                s.List = [.. kept];
                break;
            case Op.Ord:
                kept.AddRange(moved);
                s.List = [.. kept];
                break;
            case Op.Del:
                foreach (int i in moved)
                {
                    s.Active[i] = false;
                }

                moved.AddRange(kept);
                s.List = [.. moved];
                break;
            case Op.Bump:
                moved.AddRange(kept);
                s.List = [.. moved];
                break;
            default:
                foreach (int i in moved)
                {
                    s.Active[i] = false;
                }

                s.List = [.. kept];
                break;
        }
    }

    /// <summary><c>ssl_cipher_strength_sort</c>: active entries to the end, by descending strength bits, stable.</summary>
    private static void StrengthSort(State s)
    {
        var inactive = new List<int>();
        var active = new List<int>();
        foreach (int i in s.List)
        {
            (s.Active[i] ? active : inactive).Add(i);
        }

        // Stable: order by strength descending, ties keep list order.
        var keyed = new (int Strength, int Pos, int Index)[active.Count];
        for (int k = 0; k < keyed.Length; k++)
        {
            keyed[k] = (s.C[active[k]].StrengthBits, k, active[k]);
        }

        Array.Sort(keyed, static (a, b) => a.Strength != b.Strength ? b.Strength.CompareTo(a.Strength) : a.Pos.CompareTo(b.Pos));
        foreach (var k in keyed)
        {
            inactive.Add(k.Index);
        }

        s.List = [.. inactive];
    }

    private static bool IsSeparator(char c) => c is ':' or ' ' or ';' or ',';

    private static bool IsWordChar(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '=';

    private static bool Process(string rules, int basePos, State s, CipherStringOptions options, List<string> ignored, ref int secLevel, out CipherStringError error)
    {
        error = default;
        int l = 0;
        int n = rules.Length;
        while (l < n)
        {
            char ch = rules[l];
            Op op = Op.Add;
            bool special = false;
            if (ch == '-')
            {
                op = Op.Del;
                l++;
            }
            else if (ch == '+')
            {
                op = Op.Ord;
                l++;
            }
            else if (ch == '!')
            {
                op = Op.Kill;
                l++;
            }
            else if (ch == '@')
            {
                special = true;
                l++;
            }

            if (IsSeparator(ch))
            {
                l++;
                continue;
            }

            var p = new Pattern { CipherId = -1 };
            bool found = false;
            while (true)
            {
                int start = l;
                while (l < n && IsWordChar(rules[l]))
                {
                    l++;
                }

                int len = l - start;
                if (len == 0)
                {
                    int at = basePos < 0 ? -1 : basePos + Math.Min(l, n - 1);
                    if (l >= n || rules[l] is '+' or '-' or '!' or '@' || IsSeparator(rules[l]))
                    {
                        error = new CipherStringError(CipherStringErrorKind.InvalidCommand, at, "invalid command: an operator or '+' without a word" + Where(at));
                    }
                    else
                    {
                        error = new CipherStringError(CipherStringErrorKind.InvalidCharacter, at, string.Create(CultureInfo.InvariantCulture, $"invalid character U+{(int)rules[l]:X4} in cipher string{Where(at)}"));
                    }

                    return false;
                }

                var word = rules.AsSpan(start, len);
                if (special)
                {
                    if (word.SequenceEqual("STRENGTH"))
                    {
                        StrengthSort(s);
                    }
                    else if (len == 10 && word.StartsWith("SECLEVEL="))
                    {
                        int level = word[9] - '0';
                        if (level is < 0 or > 5)
                        {
                            error = new CipherStringError(CipherStringErrorKind.InvalidSecurityLevel, basePos < 0 ? -1 : basePos + start, "invalid security level: @SECLEVEL takes 0..5");
                            return false;
                        }

                        secLevel = level;
                    }
                    else if (word.StartsWith("SECLEVEL="))
                    {
                        error = new CipherStringError(CipherStringErrorKind.InvalidSecurityLevel, basePos < 0 ? -1 : basePos + start, "invalid security level '@" + word.ToString() + "': @SECLEVEL takes one digit 0..5");
                        return false;
                    }
                    else
                    {
                        error = new CipherStringError(CipherStringErrorKind.InvalidCommand, basePos < 0 ? -1 : basePos + start, "invalid command '@" + word.ToString() + "': only @STRENGTH and @SECLEVEL=n exist");
                        return false;
                    }

                    // Anything after a special command up to the next separator is ignored (as in OpenSSL).
                    while (l < n && !IsSeparator(rules[l]))
                    {
                        l++;
                    }

                    found = false;
                    break;
                }

                bool multi = false;
                if (l < n && rules[l] == '+')
                {
                    multi = true;
                    l++;
                }

                if (!Lookup(word, s, options, ignored, ref p, out found, out bool unknown))
                {
                    if (unknown && options.RejectUnknownWords)
                    {
                        error = new CipherStringError(CipherStringErrorKind.UnknownWord, basePos < 0 ? -1 : basePos + start, "unknown cipher alias or suite name '" + word.ToString() + "'");
                        return false;
                    }

                    found = false;
                    break;
                }

                if (!multi)
                {
                    break;
                }
            }

            if (found)
            {
                // The next item may follow without a separator ("HIGH!aNULL"), as in OpenSSL.
                Apply(s, p, op);
            }
            else
            {
                // Skip the rest of an ignored item.
                while (l < n && !IsSeparator(rules[l]))
                {
                    l++;
                }
            }
        }

        return true;
    }

    private static string Where(int at) => at < 0 ? string.Empty : " at position " + at.ToString(CultureInfo.InvariantCulture);

    /// <summary>Adds one word to the pattern the way <c>ssl_cipher_process_rulestr</c> does (masks intersect).</summary>
    /// <returns>False when the word ends the item (unknown, unavailable, or an empty intersection).</returns>
    private static bool Lookup(ReadOnlySpan<char> word, State s, CipherStringOptions options, List<string> ignored, ref Pattern p, out bool found, out bool unknown)
    {
        found = false;
        unknown = false;
        uint kx, au, enc, mac;
        byte strength;
        bool explicitSuite = false;
        int id = -1;
        ushort minTls = 0;
        bool dtls = false;

        int ci = -1;
        for (int i = 0; i < s.C.Length; i++)
        {
            if (word.SequenceEqual(s.C[i].Name))
            {
                ci = i;
                break;
            }
        }

        if (ci >= 0)
        {
            ref readonly var c = ref s.C[ci];
            kx = c.Kx;
            au = c.Au;
            enc = c.Enc;
            mac = c.Mac;
            strength = c.Strength;
            id = c.Id;
            explicitSuite = true;
        }
        else
        {
            int ai = -1;
            for (int i = 0; i < s_aliases.Length; i++)
            {
                if (word.SequenceEqual(s_aliases[i].Name))
                {
                    ai = i;
                    break;
                }
            }

            if (ai < 0)
            {
                // A suite of the table that this build lacks, or an obsolete word: OpenSSL ignores both.
                bool known = false;
                foreach (var r in CipherSuiteTable.All)
                {
                    if (r.OpenSslName is { } nm && !r.IsTls13 && word.SequenceEqual(nm))
                    {
                        known = true;
                        break;
                    }
                }

                foreach (var w in s_obsoleteWords)
                {
                    known |= word.SequenceEqual(w);
                }

                unknown = !known;
                ignored.Add(word.ToString());
                return false;
            }

            var a = s_aliases[ai];
            kx = a.Kx;
            au = a.Au;
            enc = a.Enc;
            mac = a.Mac;
            strength = a.Strength;
            minTls = a.MinTls;
            dtls = a.Dtls;
        }

        if (!Intersect(ref p.Kx, kx) || !Intersect(ref p.Au, au) || !Intersect(ref p.Enc, enc) || !Intersect(ref p.Mac, mac))
        {
            return false;
        }

        byte strong = (byte)(strength & StrongMask);
        if (strong != 0)
        {
            if ((p.Strength & StrongMask) != 0)
            {
                p.Strength &= unchecked((byte)(strong | ~StrongMask));
                if ((p.Strength & StrongMask) == 0)
                {
                    return false;
                }
            }
            else
            {
                p.Strength = unchecked((byte)((p.Strength & ~StrongMask) | strong));
            }
        }

        byte def = (byte)(strength & DefaultMask);
        if (def != 0)
        {
            if ((p.Strength & DefaultMask) != 0)
            {
                p.Strength &= unchecked((byte)(def | ~DefaultMask));
                if ((p.Strength & DefaultMask) == 0)
                {
                    return false;
                }
            }
            else
            {
                p.Strength |= def;
            }
        }

        if (explicitSuite)
        {
            // An explicit suite: its protocol version does not become part of the pattern.
            p.CipherId = id;
        }
        else
        {
            if (minTls != 0)
            {
                if (p.MinTls != 0 && p.MinTls != minTls)
                {
                    return false;
                }

                p.MinTls = minTls;
            }

            if (dtls)
            {
                p.Nothing = true;
            }
        }

        found = true;
        return true;
    }

    private static bool Intersect(ref uint current, uint value)
    {
        if (value == 0)
        {
            return true;
        }

        if (current != 0)
        {
            current &= value;
            return current != 0;
        }

        current = value;
        return true;
    }
}
