namespace CertPolicy.Trust;

/// <summary>What the 2026 policy makes of a root (manifest field <c>status</c>). Values are API: never renumber.</summary>
internal enum RootStatus
{
    /// <summary>Trusted by the current root programs and accepted.</summary>
    Active = 0,

    /// <summary>Still trusted but ageing out (a sunset date is known); kept for already-issued certificates.</summary>
    Transitional = 1,

    /// <summary>Distrust-after set or trust bit removed by a root program.</summary>
    Distrusted = 2,

    /// <summary>notAfter has passed.</summary>
    Expired = 3,

    /// <summary>No longer in the current root programs.</summary>
    Removed = 4,
}

/// <summary>What became of an annex 7.1 CA (R-A1). Values are API: never renumber.</summary>
internal enum AnnexCaStatus
{
    /// <summary>Still operates its own trusted roots.</summary>
    Active = 0,

    /// <summary>Taken over; another CA's roots are its successors.</summary>
    Succeeded = 1,

    /// <summary>Distrusted by the root programs.</summary>
    Distrusted = 2,

    /// <summary>Gone without a successor.</summary>
    Defunct = 3,
}

/// <summary>What a root is trusted for (manifest field <c>purposes</c>).</summary>
[Flags]
public enum RootPurposes
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>TLS server authentication.</summary>
    TlsServer = 1,

    /// <summary>E-mail protection (S/MIME).</summary>
    Email = 2,
}

/// <summary>Assurance levels a root may vouch for, and that a policy OID asserts (R-C1, R-C4, R-C8).</summary>
[Flags]
public enum AssuranceLevel
{
    /// <summary>None known.</summary>
    None = 0,

    /// <summary>Domain validated (rejected by R-C5).</summary>
    Dv = 1,

    /// <summary>Individual validated.</summary>
    Iv = 2,

    /// <summary>Organisation validated: the modern "Class 3" (R-C8).</summary>
    Ov = 4,

    /// <summary>Extended validation (R-C1).</summary>
    Ev = 8,
}

/// <summary>Whether a root goes into the built bundles (manifest field <c>bundle</c>).</summary>
internal enum BundleDecision
{
    /// <summary>Not in the bundles; the reason line says why.</summary>
    Exclude = 0,

    /// <summary>In every TLS bundle format.</summary>
    Include = 1,
}

/// <summary>A policy OID and what it asserts (manifest section <c>[oid ...]</c>): the single source of assurance classification.</summary>
internal sealed class PolicyOid
{
    /// <summary>Dotted OID.</summary>
    public required string Oid { get; init; }

    /// <summary>Meaning as written in the manifest: <c>ev</c>, <c>ov</c>, <c>iv</c>, <c>dv</c>, <c>class3</c>, <c>smime-...</c>, ...</summary>
    public required string Meaning { get; init; }

    /// <summary>The assurance the OID asserts (EV/OV/IV/DV; legacy Class 3 counts as OV), or None.</summary>
    public AssuranceLevel Assurance { get; init; }

    /// <summary>Who defined it.</summary>
    public required string Owner { get; init; }

    /// <summary>Description.</summary>
    public required string Description { get; init; }

    /// <summary>Where the fact comes from.</summary>
    public required string Source { get; init; }

    /// <summary>True when verified against a primary source.</summary>
    public bool VerifiedPrimary { get; init; }

    /// <summary>Position of the section header.</summary>
    public SourcePosition Position { get; init; }
}

/// <summary>One annex 7.1 CA (R-A1): its fate and successor roots (manifest section <c>[ca "..."]</c>).</summary>
internal sealed class AnnexCa
{
    /// <summary>The name as the annex writes it.</summary>
    public required string Name { get; init; }

    /// <summary>What became of it.</summary>
    public AnnexCaStatus Status { get; init; }

    /// <summary>Successor organisation, or <c>none</c>.</summary>
    public required string Successor { get; init; }

    /// <summary>The story in one line.</summary>
    public required string Fate { get; init; }

    /// <summary>How far the corporate lineage was verified.</summary>
    public required string LineageVerified { get; init; }

    /// <summary>SHA-256 (upper-case hex) of the roots a 2026 policy accepts for it.</summary>
    public required IReadOnlyList<string> SuccessorRoots { get; init; }

    /// <summary>SHA-256 of roots kept while they age out.</summary>
    public required IReadOnlyList<string> TransitionalRoots { get; init; }

    /// <summary>SHA-256 of a different CA's roots that took over the customers (a policy choice, not included by default).</summary>
    public required IReadOnlyList<string> BusinessSuccessorRoots { get; init; }

    /// <summary>Why the manifest treats it as it does.</summary>
    public required string Reason { get; init; }

    /// <summary>Position of the section header.</summary>
    public SourcePosition Position { get; init; }
}

/// <summary>One root (manifest section <c>[root SHA256]</c>).</summary>
internal sealed class TrustRoot
{
    /// <summary>SHA-256 of the DER, upper-case hex (the section id).</summary>
    public required string Sha256 { get; init; }

    /// <summary>The root program's label (NSS label).</summary>
    public required string Label { get; init; }

    /// <summary>Root file path relative to the manifest, or null when the root is listed by fingerprint only.</summary>
    public string? File { get; init; }

    /// <summary>The subject as OpenSSL's RFC 2253 rendering.</summary>
    public required string Subject { get; init; }

    /// <summary>Start of validity.</summary>
    public DateTimeOffset NotBefore { get; init; }

    /// <summary>End of validity.</summary>
    public DateTimeOffset NotAfter { get; init; }

    /// <summary>Key, e.g. <c>RSA-2048</c>, <c>EC-P384</c>.</summary>
    public required string Key { get; init; }

    /// <summary>What a root program trusts it for.</summary>
    public RootPurposes Purposes { get; init; }

    /// <summary>EV policy OIDs bound to this root (an EV OID proves EV only under the root it is bound to).</summary>
    public required IReadOnlyList<string> EvOids { get; init; }

    /// <summary>Assurance levels this root may vouch for.</summary>
    public AssuranceLevel Assurance { get; init; }

    /// <summary>TLS certificates issued after this instant are not trusted (e.g. NSS <c>CKA_NSS_SERVER_DISTRUST_AFTER</c>).</summary>
    public DateTimeOffset? DistrustAfterTls { get; init; }

    /// <summary>E-mail certificates issued after this instant are not trusted (<c>CKA_NSS_EMAIL_DISTRUST_AFTER</c>).</summary>
    public DateTimeOffset? DistrustAfterEmail { get; init; }

    /// <summary>Computed date after which a root program drops TLS trust (lifecycle), if known.</summary>
    public DateTimeOffset? TlsSunset { get; init; }

    /// <summary>Status under the 2026 policy.</summary>
    public RootStatus Status { get; init; }

    /// <summary>Whether the root goes into the bundles.</summary>
    public BundleDecision Bundle { get; init; }

    /// <summary>Annex CAs this root belongs to or succeeds.</summary>
    public required IReadOnlyList<string> SeedCas { get; init; }

    /// <summary>original, successor, related or business-successor.</summary>
    public required string Role { get; init; }

    /// <summary>Root program and version the facts come from.</summary>
    public required string Source { get; init; }

    /// <summary>Why the root is in, or out.</summary>
    public required string Reason { get; init; }

    /// <summary>The certificate read from <see cref="File"/>, or null when listed by fingerprint only or unreadable.</summary>
    public RootCertificate? Certificate { get; internal set; }

    /// <summary>Position of the section header.</summary>
    public SourcePosition Position { get; init; }

    /// <summary>The fields that carry a value position: <c>sha256</c> (the section id) and every <c>[root]</c> key.</summary>
    internal static readonly string[] PositionedFields =
        ["sha256", "label", "file", "subject", "not-before", "not-after", "key", "purposes", "ev-oids", "assurance", "distrust-after-tls", "distrust-after-email", "tls-sunset", "status", "bundle", "seed-ca", "role", "source", "reason"];

    /// <summary>
    /// Position of each field's value, for findings: triples (index in <see cref="PositionedFields"/>, line, column), the
    /// file being <see cref="Position"/>'s. One small array instead of a dictionary per root (issue 13, item 8: the
    /// compiled manifest sets it from a table).
    /// </summary>
    internal int[] FieldPositionData { get; init; } = [];

    /// <summary>The position of a field's value, or false when the section does not have the field.</summary>
    internal bool TryGetPosition(string field, out SourcePosition position)
    {
        int index = Array.IndexOf(PositionedFields, field);
        var data = FieldPositionData;
        for (int i = 0; index >= 0 && i + 2 < data.Length; i += 3)
        {
            if (data[i] == index)
            {
                position = new SourcePosition(Position.File, data[i + 1], data[i + 2]);
                return true;
            }
        }

        position = Position;
        return false;
    }

    internal SourcePosition PositionOf(string field) => TryGetPosition(field, out var p) ? p : Position;
}

/// <summary>
/// A loaded trust manifest: the annex CAs, the roots and the policy OIDs, plus every diagnostic found while
/// loading. Built only by <see cref="TrustManifestLoader"/>. Does not check revocation or path validity.
/// </summary>
public sealed class TrustManifest
{
    internal TrustManifest(string name, DateOnly asOf, int rsaFloor, int ecFloor, IReadOnlyList<PolicyOid> oids, IReadOnlyList<AnnexCa> cas, IReadOnlyList<TrustRoot> roots, IReadOnlyList<ManifestDiagnostic> diagnostics)
    {
        Name = name;
        AsOf = asOf;
        RsaFloor = rsaFloor;
        EcFloor = ecFloor;
        PolicyOids = oids;
        AnnexCas = cas;
        Roots = roots;
        Diagnostics = diagnostics;
    }

    /// <summary>The name the caller gave the manifest (path or <c>embedded:manifest.cfg</c>).</summary>
    public string Name { get; }

    /// <summary>The date the facts in the manifest were checked.</summary>
    public DateOnly AsOf { get; }

    /// <summary>Minimum RSA modulus size for included roots (R-C10).</summary>
    internal int RsaFloor { get; }

    /// <summary>Minimum EC field size for included roots (R-C10).</summary>
    internal int EcFloor { get; }

    /// <summary>Policy OIDs in manifest order.</summary>
    internal IReadOnlyList<PolicyOid> PolicyOids { get; }

    /// <summary>Annex CAs in manifest order.</summary>
    internal IReadOnlyList<AnnexCa> AnnexCas { get; }

    /// <summary>Roots in manifest order.</summary>
    internal IReadOnlyList<TrustRoot> Roots { get; }

    /// <summary>Errors and findings, in file order.</summary>
    internal IReadOnlyList<ManifestDiagnostic> Diagnostics { get; }

    /// <summary>True when there is no error (the manifest could be read completely).</summary>
    public bool IsUsable
    {
        get
        {
            foreach (var d in Diagnostics)
            {
                if (d.Severity == DiagnosticSeverity.Error)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>True when the manifest is usable and has no policy finding.</summary>
    public bool IsCompliant => Diagnostics.Count == 0;

    /// <summary>The roots that go into the bundles, in a stable order (label, then SHA-256, ordinal).</summary>
    /// <returns>Included roots with their certificates.</returns>
    internal IReadOnlyList<TrustRoot> IncludedRoots()
    {
        var list = new List<TrustRoot>();
        foreach (var r in Roots)
        {
            if (r.Bundle == BundleDecision.Include && r.Certificate is not null)
            {
                list.Add(r);
            }
        }

        list.Sort(static (a, b) =>
        {
            int c = string.CompareOrdinal(a.Label, b.Label);
            return c != 0 ? c : string.CompareOrdinal(a.Sha256, b.Sha256);
        });
        return list;
    }

    /// <summary>The roots that belong to, or succeed, an annex CA.</summary>
    /// <param name="ca">The annex CA.</param>
    /// <returns>Roots whose <c>seed-ca</c> names it, in manifest order.</returns>
    internal IReadOnlyList<TrustRoot> RootsOf(AnnexCa ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var list = new List<TrustRoot>();
        foreach (var r in Roots)
        {
            foreach (var s in r.SeedCas)
            {
                if (string.Equals(s, ca.Name, StringComparison.Ordinal))
                {
                    list.Add(r);
                    break;
                }
            }
        }

        return list;
    }

    /// <summary>Finds a root by SHA-256 (hex, any case).</summary>
    /// <param name="sha256Hex">64 hex digits.</param>
    /// <returns>The root, or null.</returns>
    internal TrustRoot? FindRoot(string sha256Hex)
    {
        foreach (var r in Roots)
        {
            if (string.Equals(r.Sha256, sha256Hex, StringComparison.OrdinalIgnoreCase))
            {
                return r;
            }
        }

        return null;
    }
}
