using CertPolicy.Dane;
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

    /// <summary>The match list for destinations without a table entry; default: <see cref="DefaultLevel"/>'s own (<see cref="MatchList.DefaultFor"/>).</summary>
    public MatchList? DefaultMatchList { get; init; }

    /// <summary>The whole policy for destinations without a table entry (level, <c>match=</c>, <c>protocols=</c>,
    /// <c>ciphers=</c>, ...); when set it replaces <see cref="DefaultLevel"/> and <see cref="DefaultMatchList"/>.</summary>
    public TlsPolicy? DefaultPolicy { get; init; }

    /// <summary>DER CRLs to check every presented chain against (R-C12; at most 64); none by default. The library never
    /// fetches a CRL: the caller (or the curator) supplies them and compiles a new policy when they change.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Crls { get; init; } = [];

    /// <summary>With <see cref="Crls"/>: a certificate of the path for which no CRL applies fails (OpenSSL's <c>-crl_check_all</c>).</summary>
    public bool RequireCrlForEveryCertificate { get; init; }

    /// <summary>
    /// Partner domains with which mandatory TLS was agreed (R-T6): a next hop equal to one of them, or below one, must
    /// have a level that verifies the certificate (<c>verify</c> or <c>secure</c>, or a DANE/fingerprint level);
    /// <c>none</c> fails R-T8, <c>may</c> and <c>encrypt</c> fail R-T6, whatever the server offers. Empty by default.
    /// </summary>
    public IReadOnlyList<string> MandatoryTlsPartners { get; init; } = [];
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
/// <para>Not modelled (fail closed with <see cref="ConnectionFailures.LevelNotModelled"/>): <c>fingerprint</c>, and
/// <c>dane</c>/<c>dane-only</c> when no TLSA answer is given (the internal overloads with a <see cref="DaneInput"/> evaluate
/// them: <see cref="DaneLevel"/>). A policy entry's own <c>protocols=</c>,
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
    private readonly DaneMatcher _dane;

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
        _dane = new DaneMatcher(validator);
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

        _defaultPlan = _options.DefaultPolicy is { } defaultPolicy
            ? Plan.ForPolicy(defaultPolicy, _options.Floor)
            : Plan.ForLevel(_options.DefaultLevel, _options.DefaultMatchList);
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
    /// <returns>The verdict.</returns>
    public ConnectionVerdict Evaluate(ReadOnlySpan<char> nextHop, ReadOnlySpan<char> mxHost, IReadOnlyList<ReadOnlyMemory<byte>> chain, TlsProtocol protocol, ushort suite, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Run(nextHop, mxHost, chain, true, protocol, suite, now, null, null);
    }

    /// <summary><see cref="Evaluate(ReadOnlySpan{char}, ReadOnlySpan{char}, IReadOnlyList{ReadOnlyMemory{byte}}, TlsProtocol, ushort, DateTimeOffset)"/>
    /// with the gateway's TLSA answer, for the levels dane and dane-only (<see cref="DaneLevel"/>). Allocates at those
    /// levels (the DANE match is not cached); the other levels ignore <paramref name="dane"/>.</summary>
    internal ConnectionVerdict Evaluate(ReadOnlySpan<char> nextHop, ReadOnlySpan<char> mxHost, IReadOnlyList<ReadOnlyMemory<byte>> chain, TlsProtocol protocol, ushort suite, DateTimeOffset now, DaneInput? dane)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Run(nextHop, mxHost, chain, true, protocol, suite, now, null, dane);
    }

    /// <summary>
    /// Evaluates the certificate side of one connection (policy, chain, names) when the negotiated protocol and
    /// suite are not known to the caller (MailKit's callback): the TLS floor is not checked, so the caller must check
    /// it after the handshake. Allocates nothing when the chain verdict is cached; never throws on data.
    /// </summary>
    /// <param name="nextHop">The next hop (policy key).</param>
    /// <param name="mxHost">The MX host name, or empty.</param>
    /// <param name="chain">The certificates the server sent, leaf first, DER.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The verdict; <see cref="ConnectionVerdict.TlsFailures"/> is always none.</returns>
    public ConnectionVerdict EvaluateCertificate(ReadOnlySpan<char> nextHop, ReadOnlySpan<char> mxHost, IReadOnlyList<ReadOnlyMemory<byte>> chain, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Run(nextHop, mxHost, chain, false, default, 0, now, null, null);
    }

    /// <summary>
    /// The diagnostic path of <see cref="Evaluate(ReadOnlySpan{char}, ReadOnlySpan{char}, IReadOnlyList{ReadOnlyMemory{byte}}, TlsProtocol, ushort, DateTimeOffset)"/> and <see cref="EvaluateCertificate"/>: the same steps, with every
    /// finding (policy, TLS floor, chain, names; passes and information included) and the certificate report. The chain
    /// is validated afresh (the cache is neither read nor filled). Allocates; never throws on data.
    /// </summary>
    /// <param name="nextHop">The next hop (policy key).</param>
    /// <param name="mxHost">The MX host name, or null/empty.</param>
    /// <param name="chain">The certificates the server sent, leaf first, DER.</param>
    /// <param name="session">The negotiated protocol and suite, or null when unknown (the floor is then not checked).</param>
    /// <param name="now">The validation time.</param>
    /// <returns>The report; its verdict equals what <see cref="Evaluate(ReadOnlySpan{char}, ReadOnlySpan{char}, IReadOnlyList{ReadOnlyMemory{byte}}, TlsProtocol, ushort, DateTimeOffset)"/> (or <see cref="EvaluateCertificate"/>) returns.</returns>
    public ConnectionReport Explain(string nextHop, string? mxHost, IReadOnlyList<ReadOnlyMemory<byte>> chain, NegotiatedSession? session, DateTimeOffset now) =>
        Explain(nextHop, mxHost, chain, session, now, null);

    /// <summary><see cref="Explain(string, string?, IReadOnlyList{ReadOnlyMemory{byte}}, NegotiatedSession?, DateTimeOffset)"/>
    /// with the gateway's TLSA answer, for the levels dane and dane-only (<see cref="DaneLevel"/>).</summary>
    internal ConnectionReport Explain(string nextHop, string? mxHost, IReadOnlyList<ReadOnlyMemory<byte>> chain, NegotiatedSession? session, DateTimeOffset now, DaneInput? dane)
    {
        ArgumentNullException.ThrowIfNull(nextHop);
        ArgumentNullException.ThrowIfNull(chain);
        var sink = new ReportBuilder(_options);
        var verdict = Run(nextHop, mxHost, chain, session is not null, session?.Protocol ?? default, session?.CipherSuite ?? 0, now, sink, dane);
        return sink.Build(verdict);
    }

    // The one evaluation: Evaluate and EvaluateCertificate pass no sink (flags only, cached chain verdict); Explain passes
    // one and gets every finding of the same steps.
    private ConnectionVerdict Run(ReadOnlySpan<char> nextHop, ReadOnlySpan<char> mxHost, IReadOnlyList<ReadOnlyMemory<byte>> chain, bool checkTls, TlsProtocol protocol, ushort suite, DateTimeOffset now, ReportBuilder? sink, DaneInput? dane)
    {
        try
        {
            var found = PolicyMap.Lookup(_tables, nextHop);
            var plan = found.Entry is { } entry ? _plans[found.TableIndex][entry.Index] : _defaultPlan;
            sink?.PolicyApplied(plan.Policy, plan.Level, found.Entry, nextHop);
            if (plan.Invalid)
            {
                sink?.Add("policy-invalid", "R-T6", -1, FindingStatus.Failed, "the policy for next hop " + nextHop.ToString() + " is unusable: " + plan.Error + "; Postfix defers the mail (client TLS configuration problem)");
                return new ConnectionVerdict(ConnectionFailures.PolicyInvalid, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
            }

            // R-T6, R-T8 (RULES.md): a mandatory-TLS partner needs a level that verifies, whatever the server offers.
            if (!VerifiesPeer(plan.Level) && IsPartner(DomainOf(nextHop)))
            {
                sink?.Add(PartnerLevelCode, plan.Level == SecurityLevel.None ? "R-T8" : "R-T6", -1, FindingStatus.Failed, PartnerLevelMessage(nextHop, plan.Level));
                return new ConnectionVerdict(ConnectionFailures.PartnerLevelTooWeak, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
            }

            var level = plan.Level;
            bool daneAuthenticates = false;
            if (level is SecurityLevel.Dane or SecurityLevel.DaneOnly)
            {
                // R-D1, RFC 7672 2.2 (DaneLevel): what the TLSA answer makes of the level before any certificate.
                if (dane is null)
                {
                    sink?.Add(DaneLevel.NoInputCode, "R-D1", -1, FindingStatus.NotEvaluated, "level " + level.ToPostfixName() + " needs the gateway's TLSA records, which were not given");
                    return new ConnectionVerdict(ConnectionFailures.LevelNotModelled, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
                }

                var mode = DaneLevel.Classify(level, dane, sink is not null, out string code, out var status, out string? message);
                sink?.Add(code, "R-D1", -1, status, message!);
                if (mode == DaneMode.Defer)
                {
                    return new ConnectionVerdict(ConnectionFailures.Dane, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
                }

                if (mode != DaneMode.Authenticate && IsPartner(DomainOf(nextHop)))
                {
                    // R-T6 (RULES.md): a partner's mail must not go without a verified certificate.
                    sink?.Add(DaneLevel.PartnerFallbackCode, "R-T6", -1, FindingStatus.Failed, DaneLevel.PartnerFallbackMessage(nextHop, mode));
                    return new ConnectionVerdict(ConnectionFailures.PartnerLevelTooWeak, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
                }

                level = mode switch
                {
                    DaneMode.Opportunistic => SecurityLevel.May,
                    DaneMode.Encrypt => SecurityLevel.Encrypt,
                    _ => level,
                };
                daneAuthenticates = mode == DaneMode.Authenticate;
            }

            if (level <= SecurityLevel.May)
            {
                // Opportunistic or no TLS (R-T7): nothing is enforced.
                sink?.Add("level-opportunistic", "R-T7", -1, FindingStatus.Info, "level " + level.ToPostfixName() + ": TLS is not enforced for this next hop, so the floor, names and chain are not checked");
                sink?.NotChecked(level);
                return default;
            }

            if (level == SecurityLevel.Fingerprint)
            {
                sink?.Add("level-not-modelled", "R-T6", -1, FindingStatus.NotEvaluated, "level " + level.ToPostfixName() + " (pins) is not modelled");
                return new ConnectionVerdict(ConnectionFailures.LevelNotModelled, VerdictReasons.None, TlsFloorFailures.None, AssuranceLevel.None, false);
            }

            var failures = ConnectionFailures.None;
            var tls = TlsFloorFailures.None;
            if (checkTls)
            {
                tls = TlsFloor.Check(protocol, suite, _options.Floor).Failures;
                if (plan.EntryFloor is { } entryFloor)
                {
                    tls |= TlsFloor.Check(protocol, suite, entryFloor).Failures; // the entry can tighten, never loosen
                }

                sink?.Floor(_options.Floor, plan.ReportFloor, plan.Policy, protocol, suite);
                if (tls != TlsFloorFailures.None)
                {
                    failures |= ConnectionFailures.TlsFloor;
                }
            }
            else
            {
                sink?.Add("tls-not-checked", "R-T5", -1, FindingStatus.Info, "the negotiated protocol and cipher suite were not given: the floor (R-T2..R-T5) is the caller's to check");
            }

            if (level == SecurityLevel.Encrypt)
            {
                if (chain.Count == 0)
                {
                    sink?.Add("no-certificate", "R-C1", -1, FindingStatus.Info, "the server sent no certificate (anonymous cipher suite); level encrypt does not need one");
                }

                sink?.NotChecked(level);
                return new ConnectionVerdict(failures, VerdictReasons.None, tls, AssuranceLevel.None, false);
            }

            if (chain.Count == 0)
            {
                sink?.Add("no-certificate", "R-C1", -1, FindingStatus.Failed, "the server sent no certificate (anonymous cipher suite)");
                return new ConnectionVerdict(failures | ConnectionFailures.NoCertificate, VerdictReasons.None, tls, AssuranceLevel.None, false);
            }

            // The name the hostname strategy uses: the TLSA base domain at the DANE levels (RFC 7672 2.2.3), else the MX host.
            var hostName = dane is { TlsaBaseDomain: { } baseDomain } && daneAuthenticates ? baseDomain.AsSpan() : mxHost;
            if (daneAuthenticates)
            {
                // R-D1 (RULES.md), RFC 7672 3: the chain must match the TLSA records (DaneMatcher).
                bool strict = !DaneLevel.PredictsPostfix(_options.Profile);
                DaneResult match;
                lock (_coldPath)
                {
                    match = _dane.Match(dane!.Records, chain, hostName.ToString(), DomainOf(nextHop).ToString(), now);
                }

                if (sink is not null)
                {
                    DaneLevel.Report(sink, match, strict);
                }

                if (match.Status != DaneStatus.Valid)
                {
                    failures |= ConnectionFailures.Dane;
                }

                if (!strict)
                {
                    // postfix-secure predicts Postfix: the DANE match replaces the CA chain and the names (RFC 7672 3.1).
                    return new ConnectionVerdict(failures, VerdictReasons.None, tls, AssuranceLevel.None, false);
                }

                // Strict profiles, R-D1: DANE never replaces R-C1..R-C12; the chain and the names are checked below as at
                // secure, with the names Postfix uses at the DANE levels (DaneMatcher.TaNames: the TLSA base domain and
                // the next-hop domain; RFC 7672 3.2.2, postfix-tls.md 4.4), which is the plan's match list.
            }

            VerdictReasons reasons;
            AssuranceLevel assurance;
            bool hit = false;
            NameCheckResult names;
            if (sink is null)
            {
                int hash = HashOf(chain);
                hit = TryGetCached(chain, hash, now, out var cached);
                if (!hit)
                {
                    cached = Compute(chain, hash, now);
                }

                reasons = cached!.Reasons;
                assurance = cached.Assurance;
                names = cached.Names is null
                    ? new NameCheckResult(NameCheckStatus.MalformedCertificate)
                    : NameChecker.CheckNames(cached.Chain[0], cached.Names, plan.Match!, DomainOf(nextHop), hostName);
            }
            else
            {
                ValidationReport report;
                lock (_coldPath)
                {
                    report = _validator.ExplainChain(chain, _options.Profile, now, _options.Crls, _options.RequireCrlForEveryCertificate);
                }

                reasons = report.Verdict.Reasons;
                assurance = report.Verdict.Assurance;
                var leaf = chain[ChainOrder.LeafIndex(chain)]; // a chain given CA first is checked leaf first (chain.not-in-order)
                names = NameChecker.Check(leaf.Span, plan.Match!, DomainOf(nextHop), hostName);
                sink.Certificate(report, names, leaf, plan.Match!, nextHop.ToString(), hostName.ToString());
            }

            if (reasons != VerdictReasons.None)
            {
                failures |= ConnectionFailures.Chain;
            }

            if (!names.IsMatch)
            {
                failures |= ConnectionFailures.NameMismatch;
            }

            return new ConnectionVerdict(failures, reasons, tls, assurance, hit);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            sink?.Add("internal-error", "R-C3", -1, FindingStatus.Failed, "evaluation failed internally; failing closed");
            return new ConnectionVerdict(ConnectionFailures.InternalError, VerdictReasons.InternalError, TlsFloorFailures.None, AssuranceLevel.None, false);
        }
    }

    // R-T6: the levels that authenticate the peer (PKIX, pins, TLSA); the others are not enough for a mandatory-TLS partner.
    internal static bool VerifiesPeer(SecurityLevel level) =>
        level.IsPkix() || level is SecurityLevel.Fingerprint or SecurityLevel.Dane or SecurityLevel.DaneOnly;

    /// <summary>The finding code of a mandatory-TLS partner whose level does not verify (R-T6, R-T8).</summary>
    public const string PartnerLevelCode = "partner-level-too-weak";

    internal static string PartnerLevelMessage(ReadOnlySpan<char> nextHop, SecurityLevel level) =>
        "next hop " + nextHop.ToString() + " is a partner with mandatory TLS, but its level is " + level.ToPostfixName()
        + (level == SecurityLevel.None
            ? ": TLS is turned off, which is not allowed for such a partner (R-T8)"
            : ": mail may go without a verified certificate; use secure (or verify) with the partner's match list (R-T6)");

    /// <summary>True when <paramref name="domain"/> is a mandatory-TLS partner or below one (ASCII case-insensitive).</summary>
    /// <param name="domain">The next hop's domain.</param>
    /// <returns>Whether the partner rules apply.</returns>
    internal bool IsPartner(ReadOnlySpan<char> domain)
    {
        if (domain.EndsWith('.'))
        {
            domain = domain[..^1];
        }

        foreach (var partner in _options.MandatoryTlsPartners)
        {
            var p = partner.AsSpan().TrimStart('.');
            if (domain.Equals(p, StringComparison.OrdinalIgnoreCase)
                || (domain.Length > p.Length && domain[^(p.Length + 1)] == '.' && domain[^p.Length..].Equals(p, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

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
            report = _validator.ExplainChain(presented, _options.Profile, now, _options.Crls, _options.RequireCrlForEveryCertificate);
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

        // A CRL's thisUpdate/nextUpdate bound when it applies (R-C12): the verdict may change there.
        foreach (var crl in _options.Crls)
        {
            if (CrlView.TryParse(crl, out var view, out _))
            {
                Consider(view.ThisUpdate);
                if (view.HasNextUpdate)
                {
                    Consider(view.NextUpdate.AddSeconds(1));
                }
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

        internal TlsPolicy? Policy { get; private init; }

        internal static Plan For(PolicyEntry entry, TlsFloor profileFloor) =>
            entry.Policy is { } policy ? ForPolicy(policy, profileFloor) : new Plan { Invalid = true, Error = "the entry is invalid (Postfix defers mail for it)" };

        internal static Plan ForPolicy(TlsPolicy policy, TlsFloor profileFloor)
        {
            var match = MatchList.For(policy, out var error);
            if (policy.Level is SecurityLevel.Dane or SecurityLevel.DaneOnly)
            {
                // postfix-tls.md 4.4: match= is refused at the DANE levels; the names are fixed (RFC 7672 3.2.2).
                match = DaneMatcher.TaNames;
            }

            if (policy.Level.IsPkix() && (match is null || error is not null))
            {
                return new Plan { Invalid = true, Policy = policy, Error = "the match list is unusable: " + (error ?? "no match list") };
            }

            // An entry whose protocols=/ciphers=/exclude= cannot be evaluated fails closed (PolicyInvalid).
            if (!TlsFloor.TryForPolicy(policy, out var entryFloor, out var floorError))
            {
                return new Plan { Invalid = true, Policy = policy, Error = "protocols=/ciphers=/exclude= cannot be evaluated: " + floorError };
            }

            // An entry floor that only restates the profile (ciphers=high under partner-2026) adds no flag: skip it.
            // The report still shows it (ReportFloor), so the explain path keeps the full floor.
            return new Plan
            {
                Level = policy.Level,
                Match = match,
                Policy = policy,
                EntryFloor = entryFloor is not null && entryFloor.IsRedundantWith(profileFloor) ? null : entryFloor,
                ReportFloor = entryFloor,
            };
        }

        internal static Plan ForLevel(SecurityLevel level, MatchList? match) => new()
        {
            Level = level,
            Match = match ?? (level is SecurityLevel.Dane or SecurityLevel.DaneOnly ? DaneMatcher.TaNames : MatchList.DefaultFor(level)),
        };

        internal string? Error { get; private init; }

        internal TlsFloor? ReportFloor { get; private init; }
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
