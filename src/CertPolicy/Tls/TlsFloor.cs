using CertPolicy.Policy;

namespace CertPolicy.Tls;

/// <summary>
/// Why a negotiated (protocol, suite) pair is below a floor. Several may be set. Public values are API:
/// never renumber.
/// </summary>
[Flags]
public enum TlsFloorFailures : ushort
{
    /// <summary>Acceptable.</summary>
    None = 0,

    /// <summary>R-T4: the protocol is older than the profile's oldest (SSLv2, SSLv3, TLS 1.0, TLS 1.1, ...).</summary>
    ProtocolTooOld = 1,

    /// <summary>R-T4: the protocol is newer than the profile allows (TLS 1.3 under the 2019 "TLS 1.2 only").</summary>
    ProtocolNotAllowed = 2,

    /// <summary>R-T3: RC4.</summary>
    Rc4 = 4,

    /// <summary>R-T5: no encryption, no authentication or an export suite (never in OpenSSL's <c>HIGH</c>).</summary>
    NullAnonymousOrExport = 8,

    /// <summary>R-T2: session key strength below the floor (128 bits; 3DES counts 112).</summary>
    KeyTooShort = 16,

    /// <summary>R-T5 / R-T6: not selected by the profile's Postfix grade (<c>ciphers=high</c>).</summary>
    NotInGrade = 32,

    /// <summary>The suite id is not in the IANA registry.</summary>
    UnknownSuite = 64,

    /// <summary>The suite cannot be negotiated with that protocol (a TLS 1.3 suite on TLS 1.2, a GCM suite on TLS 1.0).</summary>
    SuiteNotForProtocol = 128,

    /// <summary>The protocol value is not a known SSL/TLS version.</summary>
    UnknownProtocol = 256,
}

/// <summary>The verdict of <see cref="TlsFloor.Check"/>: a cheap value, no allocation.</summary>
public readonly struct TlsFloorVerdict
{
    internal TlsFloorVerdict(TlsFloorFailures failures) => Failures = failures;

    /// <summary>The failed checks; <see cref="TlsFloorFailures.None"/> when acceptable.</summary>
    public TlsFloorFailures Failures { get; }

    /// <summary>True when no check failed.</summary>
    public bool IsAcceptable => Failures == TlsFloorFailures.None;
}

/// <summary>
/// A floor for negotiated TLS parameters (R-T2..R-T5, with R-T6's <c>ciphers=high</c>): allowed protocols,
/// minimum strength, RC4 / NULL / anonymous / export bans, and the suites a Postfix grade selects (TLS &lt;= 1.2;
/// Postfix grades do not filter TLS 1.3 suites). Immutable and thread-safe once built; <see cref="Check"/>
/// allocates nothing. Does not look at certificates, key-exchange groups or signature algorithms.
/// </summary>
public sealed class TlsFloor
{
    /// <summary>The profile name of the 2019 document to the letter: TLS 1.2 only.</summary>
    public const string Document2019Name = "document-2019";

    /// <summary>The profile name of the 2026 default: TLS 1.2 and TLS 1.3.</summary>
    public const string Partner2026Name = "partner-2026";

    /// <summary>The profile name of what Postfix's <c>secure</c> level enforces with default settings.</summary>
    public const string PostfixSecureName = "postfix-secure";

    // The grade's suites as bits (row of CipherSuiteTable). The three profiles compute them on first use (null until
    // then): evaluating a Postfix grade as an OpenSSL cipher string was 15 % of a whole `certpolicy verify` process,
    // which never checks a negotiated suite (benchmarks/README.md, "Start-up"). Set once, then only read.
    private ulong[]? _grade;
    private readonly PostfixCipherGrade _lazyGrade;

    private TlsFloor(string name, TlsProtocolSet protocols, int minimumStrengthBits, bool forbidRc4, bool forbidNullAnonExport, CipherSelection? grade, string gradeDescription)
    {
        Name = name;
        Protocols = protocols;
        MinimumStrengthBits = minimumStrengthBits;
        ForbidRc4 = forbidRc4;
        ForbidNullAnonymousExport = forbidNullAnonExport;
        HasGrade = grade is not null;
        GradeDescription = gradeDescription;
        _grade = ToBits(grade);
    }

    // A profile: the grade (no exclusions) is evaluated on first use.
    private TlsFloor(string name, TlsProtocolSet protocols, int minimumStrengthBits, bool forbidRc4, bool forbidNullAnonExport, PostfixCipherGrade lazyGrade)
    {
        Name = name;
        Protocols = protocols;
        MinimumStrengthBits = minimumStrengthBits;
        ForbidRc4 = forbidRc4;
        ForbidNullAnonymousExport = forbidNullAnonExport;
        HasGrade = true;
        Grade = lazyGrade;
        _lazyGrade = lazyGrade;
        PostfixCiphers.TryBuildCipherString(lazyGrade, null, PostfixTlsLevel.Authenticated, out var s, out _);
        GradeDescription = PostfixCiphers.GradeName(lazyGrade) + " (" + s + ")";
    }

    private ulong[] GradeBits => _grade ?? EvaluateLazyGrade();

    private static ulong[] ToBits(CipherSelection? grade)
    {
        var bits = new ulong[(CipherSuiteTable.Count + 63) / 64];
        if (grade is not null)
        {
            foreach (int r in grade.Rows)
            {
                bits[r >> 6] |= 1UL << (r & 63);
            }
        }

        return bits;
    }

    private ulong[] EvaluateLazyGrade()
    {
        // The same evaluation as Create (every suite OpenSSL 3.0 can have); a profile's grade always evaluates.
        if (!PostfixCiphers.TryEvaluate(_lazyGrade, null, PostfixTlsLevel.Authenticated, OpenSslBuild.Full, out var sel, out var error))
        {
            throw new InvalidOperationException("profile " + Name + ": invalid grade: " + error);
        }

        var bits = ToBits(sel);
        return Interlocked.CompareExchange(ref _grade, bits, null) ?? bits;
    }

    /// <summary>The document's floor (R-T2..R-T5 as written in 2019): TLS 1.2 only, &gt;= 128 bits, no RC4/NULL/anon/export, Postfix grade <c>high</c>.</summary>
    public static TlsFloor Document2019 { get; } = new(Document2019Name, TlsProtocolSet.Tls12, 128, true, true, PostfixCipherGrade.High);

    /// <summary>The 2026 default (R-T4 modernised): TLS 1.2 and 1.3, otherwise as <see cref="Document2019"/>.</summary>
    public static TlsFloor Partner2026 { get; } = new(Partner2026Name, TlsProtocolSet.Tls12 | TlsProtocolSet.Tls13, 128, true, true, PostfixCipherGrade.High);

    /// <summary>
    /// Only what Postfix 3.7's <c>secure</c> level checks with default settings: <c>smtp_tls_mandatory_protocols = &gt;=TLSv1</c>
    /// and <c>smtp_tls_mandatory_ciphers = medium</c> minus <c>aNULL</c>; no separate RC4 or key-size rule.
    /// </summary>
    public static TlsFloor PostfixSecure { get; } = new(PostfixSecureName, TlsProtocolSet.Tls10 | TlsProtocolSet.Tls11 | TlsProtocolSet.Tls12 | TlsProtocolSet.Tls13, 0, false, false, PostfixCipherGrade.Medium);

    /// <summary>The profile names, default first.</summary>
    public static IReadOnlyList<string> ProfileNames { get; } = [Partner2026Name, Document2019Name, PostfixSecureName];

    /// <summary>The profile name.</summary>
    public string Name { get; }

    /// <summary>The allowed protocols.</summary>
    public TlsProtocolSet Protocols { get; }

    /// <summary>The minimum <see cref="CipherSuiteInfo.StrengthBits"/> (R-T2); 0 for none.</summary>
    internal int MinimumStrengthBits { get; }

    /// <summary>Whether RC4 is refused (R-T3).</summary>
    internal bool ForbidRc4 { get; }

    /// <summary>Whether NULL encryption, anonymous and export suites are refused (R-T5).</summary>
    internal bool ForbidNullAnonymousExport { get; }

    /// <summary>Whether TLS &lt;= 1.2 suites must be in a grade's selection.</summary>
    internal bool HasGrade { get; private init; }

    /// <summary>How the grade was made (for reports), e.g. <c>high (aNULL:-aNULL:HIGH:@STRENGTH:!aNULL)</c>.</summary>
    internal string GradeDescription { get; }

    /// <summary>The Postfix grade the floor's suite set comes from.</summary>
    internal PostfixCipherGrade Grade { get; private init; }

    /// <summary>Finds a named profile (ASCII case-insensitive). Never throws.</summary>
    /// <param name="name">The name.</param>
    /// <param name="floor">The profile, or null.</param>
    /// <returns><see langword="true"/> if known.</returns>
    public static bool TryGetProfile(ReadOnlySpan<char> name, out TlsFloor? floor)
    {
        floor = null;
        if (name.Equals(Partner2026Name, StringComparison.OrdinalIgnoreCase))
        {
            floor = Partner2026;
        }
        else if (name.Equals(Document2019Name, StringComparison.OrdinalIgnoreCase))
        {
            floor = Document2019;
        }
        else if (name.Equals(PostfixSecureName, StringComparison.OrdinalIgnoreCase))
        {
            floor = PostfixSecure;
        }

        return floor is not null;
    }

    /// <summary>A copy of this floor with another Postfix grade (as <c>ciphers=</c> in a <c>tls_policy</c> entry would set).</summary>
    /// <param name="grade">The grade.</param>
    /// <param name="exclusions">Exclusions (<c>exclude=</c>), or null.</param>
    /// <returns>The new floor.</returns>
    /// <exception cref="ArgumentException">When the exclusions are invalid or the grade selects nothing (caller mistake; validate with <see cref="PostfixCiphers.TryBuildCipherString"/>).</exception>
    internal TlsFloor WithGrade(PostfixCipherGrade grade, string? exclusions = null) =>
        Create(Name, Protocols, MinimumStrengthBits, ForbidRc4, ForbidNullAnonymousExport, grade, exclusions);

    /// <summary>A copy of this floor with other protocols.</summary>
    /// <param name="protocols">The allowed protocols.</param>
    /// <returns>The new floor.</returns>
    internal TlsFloor WithProtocols(TlsProtocolSet protocols)
    {
        var copy = new TlsFloor(Name, protocols, MinimumStrengthBits, ForbidRc4, ForbidNullAnonymousExport, null, GradeDescription) { HasGrade = HasGrade, Grade = Grade };
        GradeBits.CopyTo(copy.GradeBits, 0);
        return copy;
    }

    /// <summary>The <see cref="Name"/> of a floor made by <see cref="TryForPolicy"/>.</summary>
    internal const string PolicyEntryName = "tls_policy entry";

    /// <summary>
    /// What a <c>tls_policy</c> entry's own <c>protocols=</c>, <c>ciphers=</c> and <c>exclude=</c> attributes
    /// enforce (Postfix applies them to its mandatory-TLS handshake, postfix-tls.md): checked in addition to the
    /// profile's floor, never instead of it, so an entry can tighten the partner rules but not loosen them.
    /// An <c>exclude=</c> without <c>ciphers=</c> applies to Postfix's default mandatory grade, <c>medium</c>.
    /// No size, RC4 or NULL rule of its own (those are the profile's).
    /// </summary>
    /// <param name="policy">The entry's policy.</param>
    /// <param name="floor">The entry's floor, or null when it has none of the three attributes.</param>
    /// <param name="error">What is wrong with an attribute, or null.</param>
    /// <returns>False when an attribute is unusable (then the entry must fail closed).</returns>
    /// <exception cref="ArgumentNullException">A null policy.</exception>
    public static bool TryForPolicy(TlsPolicy policy, out TlsFloor? floor, out string? error)
    {
        ArgumentNullException.ThrowIfNull(policy);
        floor = null;
        error = null;
        if (policy.Protocols is null && policy.Ciphers is null && policy.Exclude is null)
        {
            return true;
        }

        var protocols = TlsProtocolSet.Ssl3 | TlsProtocolSet.Tls10 | TlsProtocolSet.Tls11 | TlsProtocolSet.Tls12 | TlsProtocolSet.Tls13;
        if (policy.Protocols is { } list && !PostfixProtocols.TryParse(list, out protocols, out error))
        {
            return false;
        }

        if (!TryEvaluateCiphers(policy, out var grade, out var selection, out string description, out error))
        {
            return false;
        }

        floor = new TlsFloor(PolicyEntryName, protocols, 0, false, false, selection, description) { Grade = grade };
        return true;
    }

    /// <summary>
    /// An entry's <c>ciphers=</c>/<c>exclude=</c> as Postfix evaluates them for its level (no selection when it has
    /// neither); also the linter's check, so both judge an entry the same way.
    /// </summary>
    internal static bool TryEvaluateCiphers(TlsPolicy policy, out PostfixCipherGrade grade, out CipherSelection? selection, out string description, out string? error)
    {
        grade = PostfixCipherGrade.Medium;
        selection = null;
        description = "any (no ciphers= or exclude=)";
        error = null;
        if (policy.Ciphers is null && policy.Exclude is null)
        {
            return true;
        }

        if (policy.Ciphers is { } c && !PostfixCiphers.TryParseGrade(c, out grade))
        {
            error = "invalid ciphers=" + c + ": not a Postfix cipher grade";
            return false;
        }

        var level = policy.Level.IsPkix() ? PostfixTlsLevel.Authenticated : PostfixTlsLevel.Encrypt;
        if (!PostfixCiphers.TryEvaluate(grade, policy.Exclude, level, OpenSslBuild.Full, out selection, out error)
            || !PostfixCiphers.TryBuildCipherString(grade, policy.Exclude, level, out var cipherString, out error))
        {
            return false;
        }

        description = PostfixCiphers.GradeName(grade) + (policy.Exclude is null ? string.Empty : " exclude=" + policy.Exclude) + " (" + cipherString + ")";
        return true;
    }

    /// <summary>
    /// True when checking this floor after <paramref name="profile"/> can never add a failure flag: every
    /// flag <see cref="Check"/> sets for this floor is also set for the profile, for every protocol and suite.
    /// Lets the hot path skip an entry floor that only restates the profile (<c>ciphers=high</c> under
    /// <c>partner-2026</c>); exhaustively tested over all protocols and suites.
    /// </summary>
    internal bool IsRedundantWith(TlsFloor profile)
    {
        // Size, RC4 and NULL/anonymous/export rules of its own would need the profile's to be at least as strict.
        if (MinimumStrengthBits > profile.MinimumStrengthBits || (ForbidRc4 && !profile.ForbidRc4) || (ForbidNullAnonymousExport && !profile.ForbidNullAnonymousExport))
        {
            return false;
        }

        // Protocols: a superset, and each protocol it refuses is refused by the profile with the same flag
        // (too old below the lowest allowed version, not allowed above it).
        if ((profile.Protocols & ~Protocols) != 0)
        {
            return false;
        }

        int lowest = (int)Protocols & -(int)Protocols;
        int profileLowest = (int)profile.Protocols & -(int)profile.Protocols;
        foreach (var p in TlsProtocols.Ascending)
        {
            int bit = (int)TlsProtocols.ToSet(p);
            if (((int)Protocols & bit) == 0 && (lowest != 0 && bit > lowest) != (profileLowest != 0 && bit > profileLowest))
            {
                return false;
            }
        }

        // Grade: none, or one that contains the profile's.
        if (!HasGrade)
        {
            return true;
        }

        if (!profile.HasGrade)
        {
            return false;
        }

        var mine = GradeBits;
        var theirs = profile.GradeBits;
        for (int i = 0; i < mine.Length; i++)
        {
            if ((theirs[i] & ~mine[i]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static TlsFloor Create(string name, TlsProtocolSet protocols, int minBits, bool rc4, bool nullAnon, PostfixCipherGrade grade, string? exclusions = null)
    {
        // The grade is evaluated against every suite OpenSSL 3.0 can have (weak and legacy too), so the verdict
        // does not depend on how the checking machine's OpenSSL was built.
        if (!PostfixCiphers.TryEvaluate(grade, exclusions, PostfixTlsLevel.Authenticated, OpenSslBuild.Full, out var sel, out var error))
        {
            throw new ArgumentException("invalid grade: " + error, nameof(exclusions));
        }

        PostfixCiphers.TryBuildCipherString(grade, exclusions, PostfixTlsLevel.Authenticated, out var s, out _);
        return new TlsFloor(name, protocols, minBits, rc4, nullAnon, sel, PostfixCiphers.GradeName(grade) + " (" + s + ")") { Grade = grade };
    }

    /// <summary>
    /// Checks a negotiated pair against <paramref name="floor"/>: R-T4 (protocol), R-T3 (RC4), R-T5 (NULL,
    /// anonymous, export; the grade), R-T2 (strength). Zero allocation, no exceptions.
    /// </summary>
    /// <param name="protocol">The negotiated protocol.</param>
    /// <param name="suite">The negotiated suite's IANA code point.</param>
    /// <param name="floor">The floor.</param>
    /// <returns>The verdict.</returns>
    public static TlsFloorVerdict Check(TlsProtocol protocol, ushort suite, TlsFloor floor)
    {
        ArgumentNullException.ThrowIfNull(floor);
        var f = TlsFloorFailures.None;

        // R-T4 (RULES.md): protocol floor and ceiling.
        var bit = TlsProtocols.ToSet(protocol);
        if (bit == TlsProtocolSet.None)
        {
            f |= TlsFloorFailures.UnknownProtocol;
        }
        else if ((floor.Protocols & bit) == 0)
        {
            // Below the lowest allowed version: too old; above it (or in a gap): not allowed.
            int lowest = (int)floor.Protocols & -(int)floor.Protocols;
            f |= lowest != 0 && (int)bit > lowest ? TlsFloorFailures.ProtocolNotAllowed : TlsFloorFailures.ProtocolTooOld;
        }

        int row = CipherSuiteTable.IndexOf(suite);
        if (row < 0)
        {
            return new TlsFloorVerdict(f | TlsFloorFailures.UnknownSuite);
        }

        ref readonly var info = ref CipherSuiteTable.Row(row);
        if (bit != TlsProtocolSet.None && !info.IsValidFor(protocol))
        {
            f |= TlsFloorFailures.SuiteNotForProtocol;
        }

        // R-T3: no RC4.
        if (floor.ForbidRc4 && info.Cipher == TlsBulkCipher.Rc4)
        {
            f |= TlsFloorFailures.Rc4;
        }

        // R-T5: nothing below HIGH: no NULL encryption, no anonymous, no export.
        if (floor.ForbidNullAnonymousExport
            && (info.Cipher == TlsBulkCipher.Null || info.Authentication is TlsAuthentication.Anonymous or TlsAuthentication.Null
                || (info.Classes & OpenSslClasses.Export) != 0))
        {
            f |= TlsFloorFailures.NullAnonymousOrExport;
        }

        // R-T2: at least 128 bits of session-key strength.
        if (info.StrengthBits < floor.MinimumStrengthBits)
        {
            f |= TlsFloorFailures.KeyTooShort;
        }

        // R-T5 / R-T6: in the grade (TLS <= 1.2 suites only; Postfix grades do not govern TLS 1.3).
        if (floor.HasGrade && !info.IsTls13 && (floor.GradeBits[row >> 6] & (1UL << (row & 63))) == 0)
        {
            f |= TlsFloorFailures.NotInGrade;
        }

        return new TlsFloorVerdict(f);
    }

    /// <summary>The RULES.md id of one failure bit (<c>R-T4</c>); a constant string.</summary>
    /// <param name="failure">One flag.</param>
    /// <returns>The rule id.</returns>
    internal static string RuleId(TlsFloorFailures failure) => failure switch
    {
        TlsFloorFailures.ProtocolTooOld or TlsFloorFailures.ProtocolNotAllowed or TlsFloorFailures.UnknownProtocol or TlsFloorFailures.SuiteNotForProtocol => "R-T4",
        TlsFloorFailures.Rc4 => "R-T3",
        TlsFloorFailures.NullAnonymousOrExport => "R-T5",
        TlsFloorFailures.KeyTooShort => "R-T2",
        TlsFloorFailures.NotInGrade => "R-T5",
        _ => "R-T5",
    };

    /// <summary>The stable finding code of one failure bit (<c>tls-protocol-too-old</c>); a constant string.</summary>
    /// <param name="failure">One flag.</param>
    /// <returns>The code.</returns>
    internal static string CodeOf(TlsFloorFailures failure) => failure switch
    {
        TlsFloorFailures.ProtocolTooOld => "tls-protocol-too-old",
        TlsFloorFailures.ProtocolNotAllowed => "tls-protocol-not-allowed",
        TlsFloorFailures.Rc4 => "tls-rc4",
        TlsFloorFailures.NullAnonymousOrExport => "tls-null-anonymous-export",
        TlsFloorFailures.KeyTooShort => "tls-key-too-short",
        TlsFloorFailures.NotInGrade => "tls-not-in-grade",
        TlsFloorFailures.UnknownSuite => "tls-unknown-suite",
        TlsFloorFailures.SuiteNotForProtocol => "tls-suite-not-for-protocol",
        TlsFloorFailures.UnknownProtocol => "tls-unknown-protocol",
        _ => "tls-floor",
    };

    /// <summary>What one failed check means for a negotiated pair, in words (no rule id). Allocates.</summary>
    /// <param name="failure">One flag.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="suite">The suite id.</param>
    /// <returns>The message.</returns>
    internal string Describe(TlsFloorFailures failure, TlsProtocol protocol, ushort suite)
    {
        CipherSuiteTable.TryGet(suite, out var info);
        string name = CipherSuiteTable.NameOf(suite);
        string proto = TlsProtocols.ToOpenSslName(protocol);
        return failure switch
        {
            TlsFloorFailures.ProtocolTooOld => proto + " is older than profile " + Name + " allows (" + PostfixProtocols.Format(Protocols) + ")",
            TlsFloorFailures.ProtocolNotAllowed => proto + " is not allowed by profile " + Name + " (" + PostfixProtocols.Format(Protocols) + ")",
            TlsFloorFailures.UnknownProtocol => "unknown protocol version",
            TlsFloorFailures.SuiteNotForProtocol => name + " cannot be negotiated with " + proto,
            TlsFloorFailures.Rc4 => name + " uses RC4",
            TlsFloorFailures.NullAnonymousOrExport => name + " has no encryption, no authentication or is an export suite",
            TlsFloorFailures.KeyTooShort => name + " has " + info.StrengthBits.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bits of strength; at least " + MinimumStrengthBits.ToString(System.Globalization.CultureInfo.InvariantCulture) + " required",
            TlsFloorFailures.NotInGrade => name + " is not in grade " + GradeDescription,
            TlsFloorFailures.UnknownSuite => "0x" + suite.ToString("X4", System.Globalization.CultureInfo.InvariantCulture) + " is not in the IANA cipher-suite registry",
            _ => "below the floor",
        };
    }

    /// <summary>
    /// The diagnostic path: one line per failed check with its rule id. Allocates; use <see cref="Check"/> on the hot path.
    /// </summary>
    /// <param name="protocol">The protocol.</param>
    /// <param name="suite">The suite id.</param>
    /// <returns>The findings (empty when acceptable).</returns>
    internal IReadOnlyList<string> Explain(TlsProtocol protocol, ushort suite)
    {
        var v = Check(protocol, suite, this);
        var lines = new List<string>();
        for (int b = 0; b < 16; b++)
        {
            var flag = (TlsFloorFailures)(1 << b);
            if ((v.Failures & flag) != 0)
            {
                lines.Add(RuleId(flag) + ": " + Describe(flag, protocol, suite));
            }
        }

        return lines;
    }
}
