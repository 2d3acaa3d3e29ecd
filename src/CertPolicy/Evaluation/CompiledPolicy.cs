using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Tls;
using CertPolicy.Trust;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Evaluation;

/// <summary>Settings of a <see cref="CompiledPolicy"/>.</summary>
public sealed class CompiledPolicyOptions
{
    /// <summary>Chain-verdict cache slots (rounded up to a power of two, at least 1). Default 4096.</summary>
    public int CacheSize { get; init; } = 4096;

    /// <summary>The chain rules; default <see cref="ValidationProfile.Partner2026"/>.</summary>
    public ValidationProfile Profile { get; init; } = ValidationProfile.Partner2026;

    /// <summary>The negotiated-parameter floor; default <see cref="TlsFloor.Partner2026"/>.</summary>
    public TlsFloor Floor { get; init; } = TlsFloor.Partner2026;

    /// <summary>The level for destinations without a table entry (Postfix <c>smtp_tls_security_level</c>); default <c>may</c>.</summary>
    public SecurityLevel DefaultLevel { get; init; } = SecurityLevel.May;
}

/// <summary>
/// Policy map, trust store and profile compiled once into an immutable object, with the
/// per-connection evaluation of DESIGN.md's hot path: the policy look-up for the next hop, a cached
/// chain verdict keyed by the presented chain, the name check and the TLS floor. On a cache hit it
/// allocates nothing (a test counts the bytes).
/// </summary>
/// <remarks>
/// <para>Cache: a bounded, direct-mapped table of immutable entries, read lock-free and replaced
/// atomically, so it is safe under concurrent use. The key is a (process-randomised, non-cryptographic)
/// hash of each presented certificate's length and signature tail; a hit also compares the cached
/// bytes for equality, so a collision can only cost a miss, never a wrong verdict. An entry applies from the time it was
/// computed until the next time at which the verdict could change: the earliest <c>notBefore</c>
/// still ahead, the earliest <c>notAfter</c> of the presented certificates and of the anchor, and the
/// anchor's TLS distrust/sunset dates. A trust-store change means a new <see cref="CompiledPolicy"/>,
/// hence an empty cache. The cached verdict excludes names: the name check runs per connection
/// against the next hop's match list, on the presented names read once with the chain.</para>
/// <para>Cold validations (cache misses) are serialised by a lock: the engine's cached issuer keys
/// are shared objects whose concurrent use .NET does not promise to be safe.</para>
/// <para>Not modelled (fail closed with <see cref="ConnectionFailures.LevelNotModelled"/>):
/// <c>fingerprint</c>, <c>dane</c>, <c>dane-only</c>. A policy entry's own <c>protocols=</c>,
/// <c>ciphers=</c> and <c>exclude=</c> are checked as a second floor (<see cref="TlsFloor.TryForPolicy"/>)
/// besides the profile's: both must accept the negotiated pair.</para>
/// </remarks>
public sealed class CompiledPolicy
{
    private readonly PolicyMap[] _tables;
    private readonly Plan[][] _plans; // [table][entry index]
    private readonly Plan _defaultPlan;
    private readonly ChainValidator _validator;
    private readonly CompiledPolicyOptions _options;
    private readonly CacheEntry?[] _cache;
    private readonly int _mask;
    private readonly Lock _coldPath = new();

    /// <summary>Compiles a policy.</summary>
    /// <param name="tables">The <c>smtp_tls_policy_maps</c> tables in order (may be empty).</param>
    /// <param name="validator">The validation engine over the trust store to use.</param>
    /// <param name="options">Cache size, profile, floor and default level.</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A cache size below 1 or above 2^24.</exception>
    public CompiledPolicy(IReadOnlyList<PolicyMap> tables, ChainValidator validator, CompiledPolicyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(validator);
        _options = options ?? new CompiledPolicyOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.CacheSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.CacheSize, 1 << 24);
        _tables = [.. tables];
        _validator = validator;
        _plans = new Plan[_tables.Length][];
        for (int t = 0; t < _tables.Length; t++)
        {
            var entries = _tables[t].Entries;
            _plans[t] = new Plan[entries.Length];
            for (int i = 0; i < entries.Length; i++)
            {
                _plans[t][i] = Plan.For(entries[i], _options.Floor);
            }
        }

        _defaultPlan = Plan.ForLevel(_options.DefaultLevel);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)_options.CacheSize);
        _cache = new CacheEntry?[size];
        _mask = size - 1;
    }

    /// <summary>The options compiled in.</summary>
    public CompiledPolicyOptions Options => _options;

    /// <summary>
    /// Evaluates one connection. Allocates nothing when the chain verdict is cached. Never throws on
    /// data: any failure inside is <see cref="ConnectionFailures.InternalError"/> (fail closed).
    /// </summary>
    /// <param name="nextHop">The next hop as smtp(8) has it (<c>example.com</c>, <c>[mx.example.com]:587</c>): the policy key; its domain part is the <c>nexthop</c> name.</param>
    /// <param name="mxHost">The MX host name connected to (the <c>hostname</c> strategy), or empty.</param>
    /// <param name="chain">The certificates the server sent, leaf first, DER.</param>
    /// <param name="protocol">The negotiated protocol.</param>
    /// <param name="suite">The negotiated cipher suite (IANA code point).</param>
    /// <param name="now">The current time (the library has no clock).</param>
    public ConnectionVerdict Evaluate(ReadOnlySpan<char> nextHop, ReadOnlySpan<char> mxHost, IReadOnlyList<ReadOnlyMemory<byte>> chain, TlsProtocol protocol, ushort suite, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(chain);
        try
        {
            var found = PolicyMap.Lookup(_tables, nextHop);
            var plan = found.Entry is { } entry ? _plans[found.TableIndex][entry.Index] : _defaultPlan;
            if (plan.Invalid)
            {
                return new ConnectionVerdict(ConnectionFailures.PolicyInvalid, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
            }

            if (plan.Level <= SecurityLevel.May)
            {
                return default; // opportunistic or no TLS (R-T7): nothing is enforced
            }

            if (plan.Level is SecurityLevel.Fingerprint or SecurityLevel.Dane or SecurityLevel.DaneOnly)
            {
                return new ConnectionVerdict(ConnectionFailures.LevelNotModelled, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
            }

            var failures = ConnectionFailures.None;
            var tls = TlsFloor.Check(protocol, suite, _options.Floor).Failures;
            if (plan.EntryFloor is { } entryFloor)
            {
                tls |= TlsFloor.Check(protocol, suite, entryFloor).Failures; // the entry can tighten, never loosen
            }

            if (tls != TlsFloorFailures.None)
            {
                failures |= ConnectionFailures.TlsFloor;
            }

            if (plan.Level == SecurityLevel.Encrypt)
            {
                return new ConnectionVerdict(failures, VerdictReasons.None, tls, AssuranceLevel.None, false);
            }

            if (chain.Count == 0)
            {
                return new ConnectionVerdict(failures | ConnectionFailures.NoCertificate, VerdictReasons.None, tls, AssuranceLevel.None, false);
            }

            int hash = HashOf(chain);
            bool hit = TryGetCached(chain, hash, now, out var cached);
            if (!hit)
            {
                cached = Compute(chain, hash, now);
            }

            if (cached!.Reasons != VerdictReasons.None)
            {
                failures |= ConnectionFailures.Chain;
            }

            if (cached.Names is null || !NameChecker.CheckNames(cached.Chain[0], cached.Names, plan.Match!, DomainOf(nextHop), mxHost).IsMatch)
            {
                failures |= ConnectionFailures.NameMismatch;
            }

            return new ConnectionVerdict(failures, cached.Reasons, tls, cached.Assurance, hit);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new ConnectionVerdict(ConnectionFailures.InternalError, VerdictReasons.InternalError, TlsFloorFailures.None, AssuranceLevel.None, false);
        }
    }

    /// <summary>The domain part of a next hop: without <c>[]</c> and without <c>:port</c>.</summary>
    internal static ReadOnlySpan<char> DomainOf(ReadOnlySpan<char> nextHop)
    {
        if (nextHop.StartsWith('['))
        {
            int close = nextHop.IndexOf(']');
            return close > 0 ? nextHop[1..close] : nextHop[1..];
        }

        int colon = nextHop.IndexOf(':');
        return colon >= 0 && nextHop.LastIndexOf(':') == colon ? nextHop[..colon] : nextHop;
    }

    // The cache key: each certificate's length and its last 16 bytes, which lie inside its signature
    // value (effectively random). A hit still compares every byte, so the key needs no cryptographic
    // strength; sampling keeps the hot path at one pass over the presented bytes (the comparison).
    private static int HashOf(IReadOnlyList<ReadOnlyMemory<byte>> chain)
    {
        var h = default(HashCode);
        h.Add(chain.Count);
        for (int i = 0; i < chain.Count; i++)
        {
            var der = chain[i].Span;
            h.Add(der.Length);
            if (der.Length >= 16)
            {
                h.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(der[^16..]));
                h.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(der[^8..]));
            }
            else
            {
                h.AddBytes(der);
            }
        }

        return h.ToHashCode();
    }

    private bool TryGetCached(IReadOnlyList<ReadOnlyMemory<byte>> chain, int hash, DateTimeOffset now, out CacheEntry? entry)
    {
        entry = Volatile.Read(ref _cache[hash & _mask]);
        if (entry is null || entry.Hash != hash || entry.Chain.Length != chain.Count || now < entry.ComputedAt || now >= entry.ValidUntil)
        {
            return false;
        }

        for (int i = 0; i < chain.Count; i++)
        {
            if (!chain[i].Span.SequenceEqual(entry.Chain[i]))
            {
                return false;
            }
        }

        return true;
    }

    private CacheEntry Compute(IReadOnlyList<ReadOnlyMemory<byte>> chain, int hash, DateTimeOffset now)
    {
        var copy = new byte[chain.Count][];
        var presented = new List<ReadOnlyMemory<byte>>(chain.Count);
        for (int i = 0; i < chain.Count; i++)
        {
            copy[i] = chain[i].ToArray();
            presented.Add(copy[i]);
        }

        ValidationReport report;
        lock (_coldPath)
        {
            // Names are checked per connection against the next hop's match list: the chain alone here.
            report = _validator.ExplainChain(presented, _options.Profile, now);
        }

        var buffer = new PresentedName[CertificateNames.MaxNames];
        int n = CertificateNames.Read(copy[0], buffer);
        var entry = new CacheEntry(
            hash,
            copy,
            n >= 0 ? buffer[..n] : null,
            report.Verdict.Reasons,
            report.Verdict.Assurance,
            now,
            NextChange(copy, report, now));
        Volatile.Write(ref _cache[entry.Hash & _mask], entry);
        return entry;
    }

    // The first time after 'now' at which the chain verdict could change.
    private DateTimeOffset NextChange(byte[][] chain, ValidationReport report, DateTimeOffset now)
    {
        var next = DateTimeOffset.MaxValue;
        void Consider(DateTimeOffset? t)
        {
            if (t is { } v && v > now && v < next)
            {
                next = v;
            }
        }

        foreach (var der in chain)
        {
            if (CertificateView.TryParse(der, out var view, out _))
            {
                Consider(view.NotBefore);
                Consider(view.NotAfter.AddSeconds(1)); // RFC 5280: notAfter is inclusive
            }
        }

        foreach (var element in report.Chain)
        {
            if (element.IsAnchor && _validator.Store.FindBySha256(Convert.FromHexString(element.Sha256)) is { } root)
            {
                Consider(root.NotAfter.AddSeconds(1));
                Consider(root.DistrustAfterTls);
                Consider(root.TlsSunset);
            }
        }

        return next;
    }

    private sealed class Plan
    {
        internal SecurityLevel Level { get; private init; }

        internal MatchList? Match { get; private init; }

        internal bool Invalid { get; private init; }

        internal TlsFloor? EntryFloor { get; private init; }

        internal static Plan For(PolicyEntry entry, TlsFloor profileFloor)
        {
            if (entry.Policy is not { } policy)
            {
                return new Plan { Invalid = true };
            }

            var match = MatchList.For(policy, out var error);
            if (policy.Level.IsPkix() && (match is null || error is not null))
            {
                return new Plan { Invalid = true };
            }

            // An entry whose protocols=/ciphers=/exclude= cannot be evaluated fails closed (PolicyInvalid).
            if (!TlsFloor.TryForPolicy(policy, out var entryFloor, out _))
            {
                return new Plan { Invalid = true };
            }

            // An entry floor that only restates the profile (ciphers=high under partner-2026) adds no flag: skip it.
            return new Plan { Level = policy.Level, Match = match, EntryFloor = entryFloor is not null && entryFloor.IsRedundantWith(profileFloor) ? null : entryFloor };
        }

        internal static Plan ForLevel(SecurityLevel level) => new() { Level = level, Match = MatchList.DefaultFor(level) };
    }

    private sealed class CacheEntry(int hash, byte[][] chain, PresentedName[]? names, VerdictReasons reasons, AssuranceLevel assurance, DateTimeOffset computedAt, DateTimeOffset validUntil)
    {
        internal int Hash { get; } = hash;

        internal byte[][] Chain { get; } = chain;

        internal PresentedName[]? Names { get; } = names;

        internal VerdictReasons Reasons { get; } = reasons;

        internal AssuranceLevel Assurance { get; } = assurance;

        internal DateTimeOffset ComputedAt { get; } = computedAt;

        internal DateTimeOffset ValidUntil { get; } = validUntil;
    }
}
