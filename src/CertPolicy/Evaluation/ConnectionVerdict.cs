using CertPolicy.Tls;
using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Evaluation;

/// <summary>Which part of a connection's evaluation failed. Values are API: never renumber.</summary>
[Flags]
public enum ConnectionFailures
{
    /// <summary>Compliant.</summary>
    None = 0,

    /// <summary>The policy entry for the next hop is invalid: Postfix defers mail for it (R-T6, fail closed).</summary>
    PolicyInvalid = 1 << 0,

    /// <summary>The level is not modelled by the evaluator (fingerprint; dane and dane-only without a TLSA answer): fail closed.</summary>
    LevelNotModelled = 1 << 1,

    /// <summary>The negotiated protocol or suite is below the floor (R-T2..R-T5); see <see cref="ConnectionVerdict.TlsFailures"/>.</summary>
    TlsFloor = 1 << 2,

    /// <summary>No certificate name satisfies the match list (R-C2).</summary>
    NameMismatch = 1 << 3,

    /// <summary>The chain does not meet the profile (R-C1, R-C3..R-C8, R-C10); see <see cref="ConnectionVerdict.ChainReasons"/>.</summary>
    Chain = 1 << 4,

    /// <summary>No certificate was presented at a level that needs one.</summary>
    NoCertificate = 1 << 5,

    /// <summary>The evaluation itself failed (fail closed).</summary>
    InternalError = 1 << 6,

    /// <summary>The next hop is a partner with mandatory TLS (R-T6) but its level does not verify the certificate:
    /// <c>none</c> (R-T8), <c>may</c> or <c>encrypt</c>.</summary>
    PartnerLevelTooWeak = 1 << 7,

    /// <summary>At level dane or dane-only: the TLSA records do not authenticate the chain, the TLSA look-up failed or is
    /// DNSSEC-bogus, or dane-only has no usable DNSSEC-validated records. Postfix defers the mail (R-D1, RFC 7672).</summary>
    Dane = 1 << 8,
}

/// <summary>
/// The per-connection verdict: a small value, no allocation. <see cref="IsCompliant"/> is the answer;
/// the flags say why not; the chain's assurance comes from the (cached) chain verdict.
/// </summary>
public readonly struct ConnectionVerdict : IEquatable<ConnectionVerdict>
{
    internal ConnectionVerdict(ConnectionFailures failures, VerdictReasons chainReasons, TlsFloorFailures tlsFailures, AssuranceLevel assurance, bool fromCache)
    {
        Failures = failures;
        ChainReasons = chainReasons;
        TlsFailures = tlsFailures;
        Assurance = assurance;
        FromCache = fromCache;
    }

    /// <summary>True when every required check holds.</summary>
    public bool IsCompliant => Failures == ConnectionFailures.None;

    /// <summary>What failed.</summary>
    public ConnectionFailures Failures { get; }

    /// <summary>The chain verdict's reasons (names excluded: they are per connection).</summary>
    public VerdictReasons ChainReasons { get; }

    /// <summary>The TLS floor's failures (R-T2..R-T5).</summary>
    public TlsFloorFailures TlsFailures { get; }

    /// <summary>The assurance the chain established.</summary>
    public AssuranceLevel Assurance { get; }

    /// <summary>True when the chain verdict came from the cache (diagnostics only; not part of equality).</summary>
    public bool FromCache { get; }

    /// <summary>Equal verdicts: same failures, reasons and assurance.</summary>
    public bool Equals(ConnectionVerdict other) =>
        Failures == other.Failures && ChainReasons == other.ChainReasons && TlsFailures == other.TlsFailures && Assurance == other.Assurance;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ConnectionVerdict v && Equals(v);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Failures, ChainReasons, TlsFailures, Assurance);

    /// <summary>Equality.</summary>
    public static bool operator ==(ConnectionVerdict left, ConnectionVerdict right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(ConnectionVerdict left, ConnectionVerdict right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() =>
        IsCompliant ? $"compliant ({Assurance})" : $"not compliant: {Failures}; chain {ChainReasons}; tls {TlsFailures}";
}
