namespace CertPolicy.Trust;

/// <summary>Outcome of a distrust-after check (R-C3). Values are API: never renumber.</summary>
public enum DistrustVerdict
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
    private readonly Dictionary<string, List<TrustRoot>> _bySubject = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TrustRoot>> _byKeyId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrustRoot> _bySha256 = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PolicyOid> _oids = new(StringComparer.Ordinal);

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
            Add(_bySubject, Convert.ToHexString(c.SubjectDer.Span), r);
            if (!c.SubjectKeyIdentifier.IsEmpty)
            {
                Add(_byKeyId, Convert.ToHexString(c.SubjectKeyIdentifier.Span), r);
            }

            _bySha256[r.Sha256] = r;
        }

        foreach (var o in manifest.PolicyOids)
        {
            _oids[o.Oid] = o;
        }
    }

    /// <summary>The manifest the store was built from.</summary>
    public TrustManifest Manifest { get; }

    /// <summary>The included roots, in bundle order.</summary>
    public IReadOnlyList<TrustRoot> Anchors { get; }

    private static void Add(Dictionary<string, List<TrustRoot>> map, string key, TrustRoot r)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(r);
    }

    /// <summary>Anchors whose subject DER equals <paramref name="subjectDer"/> (an issuer name from a chain).</summary>
    /// <param name="subjectDer">The Name DER.</param>
    /// <returns>Matching anchors (several when a CA re-issued a root with the same name).</returns>
    public IReadOnlyList<TrustRoot> FindBySubject(ReadOnlySpan<byte> subjectDer) =>
        _bySubject.TryGetValue(Convert.ToHexString(subjectDer), out var l) ? l : [];

    /// <summary>Anchors whose subjectKeyIdentifier equals <paramref name="keyIdentifier"/> (an authorityKeyIdentifier from a chain).</summary>
    /// <param name="keyIdentifier">The key identifier bytes.</param>
    /// <returns>Matching anchors.</returns>
    public IReadOnlyList<TrustRoot> FindByKeyIdentifier(ReadOnlySpan<byte> keyIdentifier) =>
        _byKeyId.TryGetValue(Convert.ToHexString(keyIdentifier), out var l) ? l : [];

    /// <summary>The anchor with this SHA-256, or null when it is not in the bundle.</summary>
    /// <param name="sha256">The 32-byte fingerprint.</param>
    /// <returns>The anchor or null.</returns>
    public TrustRoot? FindBySha256(ReadOnlySpan<byte> sha256) =>
        _bySha256.TryGetValue(Convert.ToHexString(sha256), out var r) ? r : null;

    /// <summary>What a policy OID asserts according to the manifest's OID table (the single source of truth).</summary>
    /// <param name="oid">Dotted OID from a certificatePolicies extension.</param>
    /// <returns>The assurance it asserts, or None when unknown.</returns>
    public AssuranceLevel ClassifyPolicy(string oid) => _oids.TryGetValue(oid, out var o) ? o.Assurance : AssuranceLevel.None;

    /// <summary>
    /// The assurance a leaf's policy OIDs establish under a given root: EV only when an EV OID is bound to that root
    /// (R-C1; an EV OID alone proves nothing), capped by what the root may vouch for. DV wins over everything else
    /// when asserted (R-C5 rejects DV outright).
    /// </summary>
    /// <param name="root">The anchor the chain ends at.</param>
    /// <param name="leafPolicyOids">Dotted OIDs from the leaf's certificatePolicies.</param>
    /// <returns>The highest level established (or Dv when the leaf asserts DV).</returns>
    public AssuranceLevel Classify(TrustRoot root, IEnumerable<string> leafPolicyOids)
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
    public bool IsEvBound(TrustRoot root, string oid)
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
    public DistrustVerdict CheckDistrust(TrustRoot root, RootPurposes purpose, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!_bySha256.ContainsKey(root.Sha256))
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
