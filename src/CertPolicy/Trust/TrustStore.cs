namespace CertPolicy.Trust;

/// <summary>Outcome of a distrust-after check (R-C3). Values are API: never renumber.</summary>
internal enum DistrustVerdict
{
    /// <summary>The root vouches for a certificate issued at that time for that purpose.</summary>
    Trusted = 0,

    /// <summary>The certificate was issued after the root's distrust-after date for that purpose.</summary>
    IssuedAfterDistrust = 1,

    /// <summary>The root is not trusted for that purpose at all.</summary>
    PurposeNotTrusted = 2,

    /// <summary>The root is not in the curated bundle (excluded, distrusted, expired or removed).</summary>
    NotIncluded = 3,
}

/// <summary>
/// The curated anchors of a manifest, queryable by subject, subject key identifier and SHA-256 fingerprint, with
/// the assurance metadata (which OIDs mean EV under which root) and distrust-after checks. Holds only the roots
/// the manifest includes. Does not build or verify chains, and does not check revocation.
/// </summary>
public sealed class TrustStore
{
    // Keyed by the raw bytes; the span lookups (GetAlternateLookup) let a validator query with slices of a
    // presented chain without allocating.
    private readonly Dictionary<ReadOnlyMemory<byte>, TrustRoot[]> _bySubject = new(ByteKeyComparer.Instance);
    private readonly Dictionary<ReadOnlyMemory<byte>, TrustRoot[]> _byKeyId = new(ByteKeyComparer.Instance);
    private readonly Dictionary<ReadOnlyMemory<byte>, TrustRoot> _bySha256 = new(ByteKeyComparer.Instance);
    private readonly Dictionary<string, PolicyOid> _oids = new(StringComparer.Ordinal);
    private readonly HashSet<string> _anchorSha256 = new(StringComparer.Ordinal);

    /// <summary>Builds the store from a manifest's included roots and its OID table.</summary>
    /// <param name="manifest">A loaded manifest (its diagnostics are not re-checked here).</param>
    public TrustStore(TrustManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        Manifest = manifest;
        Anchors = manifest.IncludedRoots();
        foreach (var r in Anchors)
        {
            var c = r.Certificate!;
            Add(_bySubject, c.SubjectDer, r);
            if (!c.SubjectKeyIdentifier.IsEmpty)
            {
                Add(_byKeyId, c.SubjectKeyIdentifier, r);
            }

            _bySha256[c.Sha256] = r;
            _anchorSha256.Add(r.Sha256);
        }

        foreach (var o in manifest.PolicyOids)
        {
            _oids[o.Oid] = o;
        }
    }

    /// <summary>The manifest the store was built from.</summary>
    public TrustManifest Manifest { get; }

    /// <summary>The included roots, in bundle order.</summary>
    internal IReadOnlyList<TrustRoot> Anchors { get; }

    private static void Add(Dictionary<ReadOnlyMemory<byte>, TrustRoot[]> map, ReadOnlyMemory<byte> key, TrustRoot r) =>
        map[key] = map.TryGetValue(key, out var list) ? [.. list, r] : [r];

    /// <summary>Anchors whose subject DER equals <paramref name="subjectDer"/> (an issuer name from a chain). Does not allocate.</summary>
    /// <param name="subjectDer">The Name DER (exact bytes; no name canonicalisation).</param>
    /// <returns>Matching anchors (several when a CA re-issued a root with the same name).</returns>
    internal IReadOnlyList<TrustRoot> FindBySubject(ReadOnlySpan<byte> subjectDer) =>
        _bySubject.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(subjectDer, out var l) ? l : [];

    /// <summary>Anchors whose subjectKeyIdentifier equals <paramref name="keyIdentifier"/> (an authorityKeyIdentifier from a chain). Does not allocate.</summary>
    /// <param name="keyIdentifier">The key identifier bytes.</param>
    /// <returns>Matching anchors.</returns>
    internal IReadOnlyList<TrustRoot> FindByKeyIdentifier(ReadOnlySpan<byte> keyIdentifier) =>
        _byKeyId.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(keyIdentifier, out var l) ? l : [];

    /// <summary>The anchor with this SHA-256, or null when it is not in the bundle. Does not allocate.</summary>
    /// <param name="sha256">The 32-byte fingerprint.</param>
    /// <returns>The anchor or null.</returns>
    internal TrustRoot? FindBySha256(ReadOnlySpan<byte> sha256) =>
        _bySha256.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(sha256, out var r) ? r : null;

    /// <summary>Byte-wise equality for dictionary keys, with a span alternate so look-ups need no copy.</summary>
    internal sealed class ByteKeyComparer : IEqualityComparer<ReadOnlyMemory<byte>>, IAlternateEqualityComparer<ReadOnlySpan<byte>, ReadOnlyMemory<byte>>
    {
        public static readonly ByteKeyComparer Instance = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<byte> obj) => GetHashCode(obj.Span);

        public bool Equals(ReadOnlySpan<byte> alternate, ReadOnlyMemory<byte> other) => alternate.SequenceEqual(other.Span);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var h = new HashCode();
            h.AddBytes(alternate);
            return h.ToHashCode();
        }

        public ReadOnlyMemory<byte> Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }

    /// <summary>What a policy OID asserts according to the manifest's OID table (the single source of truth).</summary>
    /// <param name="oid">Dotted OID from a certificatePolicies extension.</param>
    /// <returns>The assurance it asserts, or None when unknown.</returns>
    internal AssuranceLevel ClassifyPolicy(string oid) => _oids.TryGetValue(oid, out var o) ? o.Assurance : AssuranceLevel.None;

    // The same look-up from a dotted OID in a caller's buffer (the validator's verdict path: no string).
    internal AssuranceLevel ClassifyPolicy(ReadOnlySpan<char> oid) =>
        _oids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(oid, out var o) ? o.Assurance : AssuranceLevel.None;

    // IsEvBound from a dotted OID in a caller's buffer (no string).
    internal bool IsEvBound(TrustRoot root, ReadOnlySpan<char> oid)
    {
        if (ClassifyPolicy(oid) != AssuranceLevel.Ev)
        {
            return false;
        }

        var evOids = root.EvOids;
        for (int i = 0; i < evOids.Count; i++)
        {
            if (oid.SequenceEqual(evOids[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The assurance a leaf's policy OIDs establish under a given root: EV only when an EV OID is bound to that root
    /// (R-C1; an EV OID alone proves nothing), capped by what the root may vouch for. DV wins over everything else
    /// when asserted (R-C5 rejects DV outright).
    /// </summary>
    /// <param name="root">The anchor the chain ends at.</param>
    /// <param name="leafPolicyOids">Dotted OIDs from the leaf's certificatePolicies.</param>
    /// <returns>The highest level established (or Dv when the leaf asserts DV).</returns>
    internal AssuranceLevel Classify(TrustRoot root, IEnumerable<string> leafPolicyOids)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(leafPolicyOids);
        var best = AssuranceLevel.None;
        foreach (var oid in leafPolicyOids)
        {
            var level = ClassifyPolicy(oid);
            if (level == AssuranceLevel.Dv)
            {
                return AssuranceLevel.Dv;
            }

            if (level == AssuranceLevel.Ev && !IsEvBound(root, oid))
            {
                continue;
            }

            if ((root.Assurance & level) != 0 && level > best)
            {
                best = level;
            }
        }

        return best;
    }

    /// <summary>True when <paramref name="oid"/> is an EV OID bound to <paramref name="root"/> by the manifest.</summary>
    /// <param name="root">The anchor.</param>
    /// <param name="oid">A dotted policy OID.</param>
    /// <returns>Whether EV may be concluded.</returns>
    internal bool IsEvBound(TrustRoot root, string oid)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (ClassifyPolicy(oid) != AssuranceLevel.Ev)
        {
            return false;
        }

        foreach (var o in root.EvOids)
        {
            if (string.Equals(o, oid, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Checks a root's distrust-after date for a purpose against a certificate's issuance time (its notBefore).</summary>
    /// <param name="root">The anchor (or any manifest root).</param>
    /// <param name="purpose">TlsServer or Email.</param>
    /// <param name="issuedAt">The leaf's notBefore (what root programs compare with distrust-after).</param>
    /// <returns>The verdict.</returns>
    internal DistrustVerdict CheckDistrust(TrustRoot root, RootPurposes purpose, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!_anchorSha256.Contains(root.Sha256))
        {
            return DistrustVerdict.NotIncluded;
        }

        if ((root.Purposes & purpose) != purpose || purpose == RootPurposes.None)
        {
            return DistrustVerdict.PurposeNotTrusted;
        }

        var after = purpose == RootPurposes.Email ? root.DistrustAfterEmail : root.DistrustAfterTls;
        return after is { } a && issuedAt > a ? DistrustVerdict.IssuedAfterDistrust : DistrustVerdict.Trusted;
    }
}
