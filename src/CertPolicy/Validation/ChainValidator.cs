using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using CertPolicy.Names;
using CertPolicy.Trust;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>
/// Builds and validates a path from a presented chain (leaf first) to an anchor of a <see cref="TrustStore"/>,
/// then applies a <see cref="ValidationProfile"/>: assurance (R-C1, R-C4..R-C8), key and signature floors (R-C10),
/// distrust-after (R-C3) and names (R-C2).
/// </summary>
/// <remarks>
/// <para>Design. The search is depth-first from the leaf: at each step the anchors whose subject equals the issuer
/// are tried first, then the presented intermediates with that subject (authority/subject key identifiers prune
/// candidates when both are present). A candidate is kept only when its key verifies the signature. When a path
/// reaches an anchor the whole path is checked (validity, CA bit, path length, key usage, EKU serverAuth, name
/// constraints, unknown critical extensions); a failing path is remembered and the search continues, so the report
/// names the failures of the best path reached (fewest findings), or "no path" when none reached an anchor.
/// A certificate (or a subject+key pair) never appears twice on a path; at most <see cref="MaxIntermediates"/>
/// intermediates; every signature, candidate and name-constraint comparison spends the <see cref="Budget"/>.</para>
/// <para>Checks revocation only against CRLs the caller supplies (<see cref="ValidationRequest.Crls"/>, R-C12, see
/// RevocationChecker): never fetches a CRL, no OCSP or CRLite. Does not fetch missing intermediates (AIA), does not
/// process policy mappings or policy constraints (such critical extensions are refused as unknown), does not verify
/// RSASSA-PSS or Ed25519 signatures, and compares names bytewise (as webpki does), not with RFC 5280 7.1 folding.</para>
/// <para>Two paths, one search: <see cref="Evaluate"/> records only the verdict flags (no findings, chain
/// elements or matched-name string; one reusable run per thread), <see cref="Explain"/> builds the report. Caches:
/// anchor keys are imported once, on first use; intermediates' keys (by SPKI) and CA certificates whose signature
/// verified (by DER, with the verifying SPKI) are kept up to <see cref="MaxCachedKeys"/> entries each, so a leaf
/// under a seen intermediate costs one signature verification. The budget is spent on a cache hit as on a real
/// verification, so limits behave the same with or without the cache.</para>
/// <para>Threads: the anchor table is immutable after construction and the key cache is a concurrent dictionary;
/// sharing one validator across threads also shares cached RSA/ECDsa key objects between concurrent verifications,
/// which relies on .NET's OpenSSL-backed verification being safe for concurrent calls (not covered by a test here).</para>
/// </remarks>
public sealed class ChainValidator
{
    /// <summary>Most intermediates on a path (webpki: <c>MAX_SUB_CA_COUNT = 6</c>).</summary>
    internal const int MaxIntermediates = 6;

    /// <summary>Most imported issuer keys kept in the cache.</summary>
    internal const int MaxCachedKeys = 1024;

    // One reusable run per thread for the verdict path (Evaluate): no per-call search state, lists or arrays.
    [ThreadStatic]
    private static Run? t_run;

    private readonly TrustStore _store;
    private readonly Dictionary<TrustRoot, CertificateView> _anchors = new(ReferenceEqualityComparer.Instance);

    // Keyed by SPKI bytes (copied in); look-ups use the span alternate, so a cache hit allocates nothing.
    // Anchor keys are imported on first use (AnchorKey): constructing a validator over a large store stays cheap.
    private readonly Dictionary<ReadOnlyMemory<byte>, AnchorKey> _anchorKeys = new(TrustStore.ByteKeyComparer.Instance);
    private readonly ConcurrentDictionary<ReadOnlyMemory<byte>, AsymmetricAlgorithm?> _keys = new(TrustStore.ByteKeyComparer.Instance);

    // CA certificates (whole DER) whose signature verified, with the issuer SPKI that verified it. A valid signature
    // over fixed bytes under a fixed key stays valid, so a hit skips the public-key operation (the budget is still
    // spent, so limits behave as without the cache). Leaves are never cached. Bounded like the key cache.
    private readonly ConcurrentDictionary<ReadOnlyMemory<byte>, byte[]> _verifiedCas = new(TrustStore.ByteKeyComparer.Instance);

    /// <summary>Creates a validator over a trust store; the anchors are parsed here, their public keys imported once, on first use.</summary>
    /// <param name="store">The anchors and their assurance metadata.</param>
    public ChainValidator(TrustStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        foreach (var a in store.Anchors)
        {
            if (a.Certificate is { } c && CertificateView.TryParse(c.Der, out var v, out _))
            {
                _anchors[a] = v;
                if (!_anchorKeys.GetAlternateLookup<ReadOnlySpan<byte>>().ContainsKey(v.SpkiDer))
                {
                    _anchorKeys[v.SpkiDer.ToArray()] = new AnchorKey();
                }
            }
        }
    }

    /// <summary>The trust store.</summary>
    public TrustStore Store => _store;

    /// <summary>Validates a chain and returns the cheap verdict. Never throws on data; an internal error fails closed.</summary>
    /// <param name="chain">DER certificates, leaf first.</param>
    /// <param name="request">Profile, time and reference names.</param>
    /// <returns>The verdict.</returns>
    /// <remarks>Runs the same checks as <see cref="Explain"/> but builds no report: no findings, chain elements
    /// (SHA-256, subject text) or matched-name string. A compliant chain whose issuer keys are cached allocates nothing
    /// on this path (asserted by a test counting allocated bytes); failures may allocate their messages.</remarks>
    public Verdict Evaluate(IReadOnlyList<ReadOnlyMemory<byte>> chain, ValidationRequest request)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Purpose is not (RootPurposes.TlsServer or RootPurposes.Email) || (request.RequiredEku & ~(RequiredEku.ServerAuth | RequiredEku.ClientAuth)) != 0)
        {
            throw new ArgumentException("the request's purpose must be TlsServer or Email, and RequiredEku a combination of ServerAuth and ClientAuth", nameof(request));
        }

        var run = t_run ??= new Run();
        t_run = null; // not reentrant: a nested call (none exists today) would get its own run
        run.Reset(this, request, explain: false);
        try
        {
            Execute(run, chain);
            return run.ToVerdict();
        }
        finally
        {
            run.Release();
            t_run = run;
        }
    }

    /// <summary>Validates a PEM (or single DER) input; unreadable input is a failing verdict with a <c>input.malformed</c> finding.</summary>
    /// <param name="data">The file contents.</param>
    /// <param name="request">Profile, time and reference names.</param>
    /// <returns>The report.</returns>
    public ValidationReport ExplainPem(ReadOnlySpan<byte> data, ValidationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!CertificateChainReader.TryRead(data, out var ders, out var error))
        {
            var f = new Finding("input.malformed", "R-C3", -1, error ?? "unreadable input", VerdictReasons.MalformedInput);
            return new ValidationReport(new Verdict(VerdictReasons.MalformedInput, AssuranceLevel.None), request.Profile.Name, [f], [], null);
        }

        var list = new List<ReadOnlyMemory<byte>>(ders.Count);
        foreach (var d in ders)
        {
            list.Add(d);
        }

        return Explain(list, request);
    }

    /// <summary>
    /// Validates the chain alone, without a name check: for callers that check names themselves, per
    /// connection, against the destination's match list (the probe, the hot path). The report has no
    /// name finding and no matched name. Never throws on data.
    /// </summary>
    /// <param name="chain">DER certificates, leaf first.</param>
    /// <param name="profile">The profile.</param>
    /// <param name="time">The validation time.</param>
    /// <returns>The report, names excluded.</returns>
    public ValidationReport ExplainChain(IReadOnlyList<ReadOnlyMemory<byte>> chain, ValidationProfile profile, DateTimeOffset time) =>
        ExplainChain(chain, profile, time, [], false);

    // The same with caller-supplied CRLs (R-C12): CompiledPolicy's chain step.
    internal ValidationReport ExplainChain(IReadOnlyList<ReadOnlyMemory<byte>> chain, ValidationProfile profile, DateTimeOffset time, IReadOnlyList<ReadOnlyMemory<byte>> crls, bool requireCrlForEveryCertificate)
    {
        ArgumentNullException.ThrowIfNull(profile);

        // The engine always checks a name: "." yields no reference name, and that one result is removed.
        var report = Explain(chain, new ValidationRequest { Profile = profile, Time = time, NextHop = "invalid", MatchList = NoNames, Crls = crls, RequireCrlForEveryCertificate = requireCrlForEveryCertificate });
        var findings = new List<Finding>(report.Findings.Count);
        foreach (var f in report.Findings)
        {
            if (f.Reason != VerdictReasons.NameMismatch)
            {
                findings.Add(f);
            }
        }

        var verdict = new Verdict(report.Verdict.Reasons & ~VerdictReasons.NameMismatch, report.Verdict.Assurance);
        return new ValidationReport(verdict, report.Profile, findings, report.Chain, null);
    }

    private static readonly MatchList NoNames = MatchList.TryParse(".", out var none, out _) ? none! : throw new InvalidOperationException("'.' must parse as a match list");

    /// <summary>Validates a chain and returns the full report (same code path as <see cref="Evaluate"/>). Never throws on data.</summary>
    /// <param name="chain">DER certificates, leaf first.</param>
    /// <param name="request">Profile, time and reference names.</param>
    /// <returns>The report.</returns>
    public ValidationReport Explain(IReadOnlyList<ReadOnlyMemory<byte>> chain, ValidationRequest request)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Purpose is not (RootPurposes.TlsServer or RootPurposes.Email) || (request.RequiredEku & ~(RequiredEku.ServerAuth | RequiredEku.ClientAuth)) != 0)
        {
            throw new ArgumentException("the request's purpose must be TlsServer or Email, and RequiredEku a combination of ServerAuth and ClientAuth", nameof(request));
        }

        var run = new Run();
        run.Reset(this, request, explain: true);
        Execute(run, chain);
        return run.ToReport();
    }

    /// <summary>Drops the cached keys of intermediates (anchor keys stay). The next chain imports its issuer keys again,
    /// as a never-seen intermediate would; used by the cold benchmark. Keys in use by a concurrent call stay valid (not disposed).</summary>
    internal void ClearKeyCache()
    {
        _keys.Clear();
        _verifiedCas.Clear();
    }

    // The signature check of a CA certificate on a path, through the verified-signature cache.
    private SignatureCheck VerifyCaSignature(in CertificateView issuer, in CertificateView subject, ref Budget budget)
    {
        var der = subject.Der.Span;
        if (_verifiedCas.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(der, out var spki) && issuer.SpkiDer.SequenceEqual(spki))
        {
            return budget.TryConsumeSignature() ? SignatureCheck.Valid : SignatureCheck.BudgetExceeded;
        }

        var result = VerifySignature(issuer, subject, ref budget);
        if (result == SignatureCheck.Valid && _verifiedCas.Count < MaxCachedKeys)
        {
            _verifiedCas[der.ToArray()] = issuer.SpkiDer.ToArray();
        }

        return result;
    }

    private static void Execute(Run run, IReadOnlyList<ReadOnlyMemory<byte>> chain)
    {
        try
        {
            run.Execute(chain);
        }
#pragma warning disable CA1031 // Fail closed (DESIGN.md, "Verdicts"): any exception becomes a failing verdict.
        catch (Exception)
#pragma warning restore CA1031
        {
            run.Add("internal.error", "R-C3", -1, "validation failed internally; failing closed", VerdictReasons.InternalError);
        }
    }

    internal enum SignatureCheck
    {
        Valid,
        Invalid,
        Unsupported,
        BudgetExceeded,
    }

    private SignatureCheck VerifySignature(in CertificateView issuer, in CertificateView subject, ref Budget budget)
    {
        if (!budget.TryConsumeSignature())
        {
            return SignatureCheck.BudgetExceeded;
        }

        return VerifySigned(issuer, subject.SignatureAlgorithm, subject.TbsDer, subject.Signature);
    }

    // One signature step for certificates and CRLs (RevocationChecker): the algorithm's hash and key type, the issuer's
    // cached key, PKCS#1 v1.5 or ECDSA (DER signature). MD5 verifies here; R-C10 refuses it separately (and CRLs refuse it).
    internal SignatureCheck VerifySigned(in CertificateView issuer, SignatureAlgorithm algorithm, ReadOnlySpan<byte> tbs, ReadOnlySpan<byte> signature)
    {
        HashAlgorithmName hash;
        bool rsa;
        switch (algorithm)
        {
            case SignatureAlgorithm.RsaPkcs1Md5: hash = HashAlgorithmName.MD5; rsa = true; break;
            case SignatureAlgorithm.RsaPkcs1Sha1: hash = HashAlgorithmName.SHA1; rsa = true; break;
            case SignatureAlgorithm.RsaPkcs1Sha256: hash = HashAlgorithmName.SHA256; rsa = true; break;
            case SignatureAlgorithm.RsaPkcs1Sha384: hash = HashAlgorithmName.SHA384; rsa = true; break;
            case SignatureAlgorithm.RsaPkcs1Sha512: hash = HashAlgorithmName.SHA512; rsa = true; break;
            case SignatureAlgorithm.EcdsaSha1: hash = HashAlgorithmName.SHA1; rsa = false; break;
            case SignatureAlgorithm.EcdsaSha256: hash = HashAlgorithmName.SHA256; rsa = false; break;
            case SignatureAlgorithm.EcdsaSha384: hash = HashAlgorithmName.SHA384; rsa = false; break;
            case SignatureAlgorithm.EcdsaSha512: hash = HashAlgorithmName.SHA512; rsa = false; break;
            default: return SignatureCheck.Unsupported;
        }

        if ((rsa && issuer.KeyAlgorithm != KeyAlgorithm.Rsa) || (!rsa && issuer.KeyAlgorithm != KeyAlgorithm.Ec))
        {
            return SignatureCheck.Invalid;
        }

        var key = GetKey(issuer);
        try
        {
            return key switch
            {
                RSA r => r.VerifyData(tbs, signature, hash, RSASignaturePadding.Pkcs1) ? SignatureCheck.Valid : SignatureCheck.Invalid,
                ECDsa e => e.VerifyData(tbs, signature, hash, DSASignatureFormat.Rfc3279DerSequence) ? SignatureCheck.Valid : SignatureCheck.Invalid,
                _ => SignatureCheck.Unsupported,
            };
        }
        catch (CryptographicException)
        {
            return SignatureCheck.Invalid;
        }
    }

    // Anchor keys are imported once, on first use (AnchorKey); other issuer keys are cached by SPKI (bounded; a full cache
    // imports without caching). A hit allocates nothing (span alternate look-up).
    internal AsymmetricAlgorithm? GetKey(in CertificateView issuer)
    {
        var spki = issuer.SpkiDer;
        if (_anchorKeys.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(spki, out var anchorKey))
        {
            return anchorKey.Get(issuer);
        }

        var lookup = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(spki, out var cached))
        {
            return cached;
        }

        var key = ImportKey(issuer);
        if (_keys.Count < MaxCachedKeys)
        {
            _keys.TryAdd(spki.ToArray(), key);
        }

        return key;
    }

    internal static AsymmetricAlgorithm? ImportKey(in CertificateView issuer)
    {
        AsymmetricAlgorithm? key = null;
        try
        {
            if (issuer.KeyAlgorithm == KeyAlgorithm.Rsa)
            {
                var r = RSA.Create();
                r.ImportSubjectPublicKeyInfo(issuer.SpkiDer, out _);
                key = r;
            }
            else if (issuer.KeyAlgorithm == KeyAlgorithm.Ec && issuer.KeySize != 0)
            {
                var e = ECDsa.Create();
                e.ImportSubjectPublicKeyInfo(issuer.SpkiDer, out _);
                key = e;
            }
        }
        catch (CryptographicException)
        {
            key = null;
        }

        return key;
    }

    /// <summary>One validation: state for the search and the findings.</summary>
    /// <remarks>Explain makes a new run per call; Evaluate reuses one per thread (<see cref="Reset"/> clears every
    /// field). Without <c>_explain</c> the run records only the reason flags: no findings, chain elements or matched name.</remarks>
    private sealed class Run : IFindingSink
    {
        private ChainValidator _v = null!;
        private ValidationRequest _req = null!;
        private bool _explain;
        private List<Finding> _findings = [];
        private List<ChainElement> _chain = [];
        private VerdictReasons _reasons;
        private AssuranceLevel _assurance;
        private string? _matched;
        private Budget _budget;

        // Search state (arrays sized for the most certificates a chain may present, reused).
        private readonly CertificateView[] _presented = new CertificateView[CertificateChainReader.MaxCertificates];
        private readonly bool[] _used = new bool[CertificateChainReader.MaxCertificates];
        private int _count;
        private readonly List<CertificateView> _path = new(MaxIntermediates + 2);
        private TrustRoot? _anchor;
        private List<Finding>? _bestFailure;
        private List<CertificateView>? _bestFailurePath;
        private TrustRoot? _bestFailureAnchor;
        private bool _budgetExceeded;
        private int _badSignatureDepth = -1;
        private bool _pathTooLong;

        internal void Reset(ChainValidator v, ValidationRequest req, bool explain)
        {
            _v = v;
            _req = req;
            _explain = explain;
            if (explain)
            {
                // The report keeps these lists: a run that explains is never reused.
                _findings = [];
                _chain = [];
            }

            _reasons = VerdictReasons.None;
            _assurance = AssuranceLevel.None;
            _matched = null;
            _budget = req.Budget;
            _count = 0;
            _path.Clear();
            _anchor = null;
            _bestFailure = null;
            _bestFailurePath = null;
            _bestFailureAnchor = null;
            _budgetExceeded = false;
            _badSignatureDepth = -1;
            _pathTooLong = false;
        }

        // Drops references to the caller's data so that a pooled run keeps nothing alive.
        internal void Release()
        {
            Array.Clear(_presented);
            _path.Clear();
            _bestFailure = null;
            _bestFailurePath = null;
            _v = null!;
            _req = null!;
        }

        internal void Add(string code, string rule, int depth, string message, VerdictReasons reason)
        {
            if (_explain)
            {
                // A finding that sets no verdict flag is a note (e.g. revocation.not-checked), never a failure.
                _findings.Add(new Finding(code, rule, depth, message, reason) { Status = reason == VerdictReasons.None ? FindingStatus.Info : FindingStatus.Failed });
            }

            _reasons |= reason;
        }

        bool IFindingSink.Explaining => _explain;

        void IFindingSink.Add(string code, string rule, int depth, string message, VerdictReasons reason) => Add(code, rule, depth, message, reason);

        internal Verdict ToVerdict() => new(_reasons, _assurance);

        internal ValidationReport ToReport() =>
            new(new Verdict(_reasons, _assurance), _req.Profile.Name, _findings, _chain, _matched);

        private static string Depth(int d) => d.ToString(CultureInfo.InvariantCulture);

        internal void Execute(IReadOnlyList<ReadOnlyMemory<byte>> chain)
        {
            var profile = _req.Profile;
            if (chain.Count == 0 || chain.Count > CertificateChainReader.MaxCertificates)
            {
                Add("input.malformed", "R-C3", -1, chain.Count == 0 ? "no certificate presented" : "more than " + Depth(CertificateChainReader.MaxCertificates) + " certificates presented", VerdictReasons.MalformedInput);
                return;
            }

            _count = chain.Count;
            Array.Clear(_used);
            for (int i = 0; i < chain.Count; i++)
            {
                if (!CertificateView.TryParse(chain[i], out _presented[i], out var err))
                {
                    Add("input.malformed", "R-C3", i, "certificate " + Depth(i) + " is unreadable: " + Describe(err), VerdictReasons.MalformedInput);
                }
                else if (_explain)
                {
                    _chain.Add(Element(_presented[i], i, false));
                }
            }

            if (_reasons != VerdictReasons.None)
            {
                return;
            }

            // R-C3 (RULES.md); RFC 8446 4.4.2: the leaf comes first (ChainOrder.cs). Reported, then checked leaf first.
            int leafAt = ChainOrder.FindMisplacedLeaf(_presented.AsSpan(0, _count));
            if (leafAt > 0)
            {
                Add(ChainOrder.Code, "R-C3", -1, _explain ? ChainOrder.Describe(leafAt) : string.Empty, VerdictReasons.InvalidChain);
                (_presented[0], _presented[leafAt]) = (_presented[leafAt], _presented[0]);
            }

            var leaf = _presented[0];

            // R-C7 (RULES.md): a self-signed leaf is refused whatever it chains to.
            if (profile.CheckAssurance && leaf.IsSelfIssued && _v.VerifySignature(leaf, leaf, ref _budget) == SignatureCheck.Valid)
            {
                Add("leaf.self-signed", "R-C7", 0, "the leaf certificate is self-signed", VerdictReasons.SelfSigned);
            }

            _used[0] = true;
            _path.Add(leaf);
            bool found = Search();
            if (!found)
            {
                ReportNoPath();
            }
            else
            {
                if (_explain)
                {
                    _chain.Clear();
                    for (int i = 0; i < _path.Count; i++)
                    {
                        _chain.Add(Element(_path[i], i, i == _path.Count - 1));
                    }
                }

                CheckPolicy();
            }

            // R-C2 is a TLS rule; S/MIME mailbox/domain binding is checked in Messaging/.
            if (_req.Purpose == RootPurposes.TlsServer)
            {
                CheckNames(leaf);
            }
        }

        private static string Describe(CertificateError e) => e switch
        {
            CertificateError.TooLarge => "larger than " + Depth(CertificateView.MaxCertificateBytes) + " bytes",
            CertificateError.Malformed => "not a strict-DER X.509 certificate (bad length, tag or trailing data)",
            CertificateError.InvalidField => "a field RFC 5280 forbids (version, serial, time, algorithm mismatch or public key)",
            CertificateError.InvalidExtension => "a malformed, empty or repeated extension",
            CertificateError.LimitExceeded => "more extensions, policies or name attributes than allowed",
            _ => "unreadable",
        };

        private static ChainElement Element(in CertificateView c, int depth, bool anchor) =>
            new(depth, FormatName(c.SubjectDer), Convert.ToHexString(SHA256.HashData(c.Der.Span)), anchor);

        // DistinguishedName.Format decodes attribute strings and throws on content the view only delimits.
        private static string FormatName(ReadOnlySpan<byte> nameDer)
        {
            try
            {
                return DistinguishedName.Format(nameDer);
            }
            catch (System.Formats.Asn1.AsnContentException)
            {
                return "#" + Convert.ToHexString(nameDer);
            }
        }

        // Depth-first path search (see the class remarks).
        private bool Search()
        {
            var current = _path[^1];
            int depth = _path.Count - 1;
            var anchors = _v._store.FindBySubject(current.IssuerDer);
            for (int a = 0; a < anchors.Count; a++)
            {
                var anchor = anchors[a];
                if (!_v._anchors.TryGetValue(anchor, out var av) || !KeyIdsAgree(current, av))
                {
                    continue;
                }

                bool? signs = Signs(av, current, depth);
                if (signs is null)
                {
                    return false;
                }

                if (signs == false)
                {
                    continue;
                }

                _path.Add(av);
                var failures = CheckPath(anchor);
                if (_budgetExceeded)
                {
                    return false;
                }

                if (failures is null)
                {
                    _anchor = anchor;
                    return true;
                }

                if (_bestFailure is null || failures.Count < _bestFailure.Count)
                {
                    _bestFailure = failures;
                    _bestFailurePath = [.. _path];
                    _bestFailureAnchor = anchor;
                }

                _path.RemoveAt(_path.Count - 1);
            }

            // _path holds the leaf and the intermediates so far; one more intermediate must stay within the limit.
            if (_path.Count - 1 >= MaxIntermediates)
            {
                _pathTooLong = true;
                return false;
            }

            for (int i = 1; i < _count; i++)
            {
                var cand = _presented[i];
                if (_used[i] || !cand.SubjectDer.SequenceEqual(current.IssuerDer) || !KeyIdsAgree(current, cand) || OnPath(cand))
                {
                    continue;
                }

                bool? signs = Signs(cand, current, depth);
                if (signs is null)
                {
                    return false;
                }

                if (signs == false)
                {
                    continue;
                }

                _used[i] = true;
                _path.Add(cand);
                if (Search())
                {
                    return true;
                }

                _path.RemoveAt(_path.Count - 1);
                _used[i] = false;
                if (_budgetExceeded)
                {
                    return false;
                }
            }

            return false;
        }

        // Spends one candidate and checks that 'issuer' signed 'current': true it did, false it did not (the
        // depth is remembered for the report), null the search must stop (budget spent).
        private bool? Signs(in CertificateView issuer, in CertificateView current, int depth)
        {
            if (!Consume())
            {
                return null;
            }

            var sig = depth == 0 ? _v.VerifySignature(issuer, current, ref _budget) : _v.VerifyCaSignature(issuer, current, ref _budget);
            if (sig == SignatureCheck.BudgetExceeded)
            {
                _budgetExceeded = true;
                return null;
            }

            if (sig != SignatureCheck.Valid)
            {
                _badSignatureDepth = Math.Max(_badSignatureDepth, depth);
                return false;
            }

            return true;
        }

        private bool Consume()
        {
            if (!_budget.TryConsumeCandidate())
            {
                _budgetExceeded = true;
                return false;
            }

            return true;
        }

        // webpki's loop check: the same subject and key never twice on one path.
        private bool OnPath(in CertificateView c)
        {
            foreach (var p in _path)
            {
                if (p.SubjectDer.SequenceEqual(c.SubjectDer) && p.SpkiDer.SequenceEqual(c.SpkiDer))
                {
                    return true;
                }
            }

            return false;
        }

        // RFC 5280 4.2.1.1: when both identifiers exist they must agree (a pruning hint, as in OpenSSL's check_issued).
        private static bool KeyIdsAgree(in CertificateView child, in CertificateView issuer) =>
            child.AuthorityKeyIdentifier.IsEmpty || issuer.SubjectKeyIdentifier.IsEmpty || child.AuthorityKeyIdentifier.SequenceEqual(issuer.SubjectKeyIdentifier);

        private void ReportNoPath()
        {
            if (_budgetExceeded)
            {
                Add("chain.budget-exceeded", "R-C3", -1, "path building exceeded its budget (webpki limits: 100 signatures, 200 000 candidates, 250 000 name-constraint comparisons)", VerdictReasons.BudgetExceeded);
                return;
            }

            if (_bestFailure is not null)
            {
                foreach (var f in _bestFailure)
                {
                    Add(f.Code, f.Rule, f.Depth, f.Message, f.Reason);
                }

                if (_explain)
                {
                    _chain.Clear();
                    for (int i = 0; i < _bestFailurePath!.Count; i++)
                    {
                        _chain.Add(Element(_bestFailurePath[i], i, i == _bestFailurePath.Count - 1));
                    }
                }

                // The path is known, so the policy checks still explain what else is wrong.
                _path.Clear();
                _path.AddRange(_bestFailurePath!);
                _anchor = _bestFailureAnchor;
                CheckPolicy();
                return;
            }

            if (_pathTooLong)
            {
                Add("chain.too-long", "R-C3", -1, "no path within " + Depth(MaxIntermediates) + " intermediates", VerdictReasons.UntrustedChain);
                return;
            }

            if (_badSignatureDepth >= 0)
            {
                Add("chain.bad-signature", "R-C3", _badSignatureDepth, "the signature of certificate " + Depth(_badSignatureDepth) + " does not verify with its issuer's key (or uses an unsupported algorithm)", VerdictReasons.UntrustedChain);
                return;
            }

            Add("chain.untrusted", "R-C3", -1, "no path from the leaf to a trusted anchor (issuer not found among the presented certificates and the anchors)", VerdictReasons.UntrustedChain);
        }

        // RFC 5280 6.1 over a complete path (leaf .. anchor): returns the findings, null when valid (no list is made then).
        private List<Finding>? CheckPath(TrustRoot anchor)
        {
            List<Finding>? list = null;
            var time = _req.Time;
            int last = _path.Count - 1;
            int nonSelfIssuedBelow = 0;
            for (int d = 0; d <= last; d++)
            {
                var c = _path[d];

                // RFC 5280 6.1.3 (a)(2): validity at the validation time (anchors too, as OpenSSL and .NET do).
                if (time < c.NotBefore)
                {
                    (list ??= []).Add(new Finding("chain.not-yet-valid", "R-C3", d, "certificate " + Depth(d) + " is not valid before " + c.NotBefore.ToString("u", CultureInfo.InvariantCulture), VerdictReasons.Expired));
                }
                else if (time > c.NotAfter)
                {
                    (list ??= []).Add(new Finding("chain.expired", "R-C3", d, "certificate " + Depth(d) + " expired at " + c.NotAfter.ToString("u", CultureInfo.InvariantCulture), VerdictReasons.Expired));
                }

                // RFC 5280 4.2: a critical extension that is not processed means the certificate is refused.
                if (c.HasUnknownCriticalExtension)
                {
                    (list ??= []).Add(new Finding("chain.unknown-critical-extension", "R-C3", d, "certificate " + Depth(d) + " has a critical extension this validator does not process", VerdictReasons.InvalidChain));
                }

                // RFC 5280 4.2.1.1 / 4.2.1.2: authority and subject key identifiers MUST be non-critical.
                if ((c.CriticalExtensions & (KnownExtensions.AuthorityKeyIdentifier | KnownExtensions.SubjectKeyIdentifier)) != 0)
                {
                    (list ??= []).Add(new Finding("chain.critical-key-identifier", "R-C3", d, "certificate " + Depth(d) + " marks a key identifier extension critical", VerdictReasons.InvalidChain));
                }

                // RFC 5280 4.2.1.3: keyCertSign only with basicConstraints cA.
                if (c.HasKeyUsage && (c.KeyUsage & KeyUsages.KeyCertSign) != 0 && !c.IsCa)
                {
                    (list ??= []).Add(new Finding("chain.key-cert-sign-without-ca", "R-C3", d, "certificate " + Depth(d) + " asserts keyCertSign without being a CA", VerdictReasons.InvalidChain));
                }

                // R-C3: what OpenSSL 3.0 (Postfix) refuses by default (OpenSslValidityRules.cs cites the OpenSSL code).
                var openssl = OpenSslValidityRules.Check(c, d == last && d > 0);
                if (openssl != OpenSslValidityDefect.None)
                {
                    (list ??= []).Add(new Finding(OpenSslValidityRules.Code(openssl), "R-C3", d, OpenSslValidityRules.Describe(openssl, d == 0 ? "the leaf" : d == last ? "the anchor" : "certificate " + Depth(d)), VerdictReasons.InvalidChain));
                }

                if (d == 0)
                {
                    // RFC 5280 4.2.1.10: name constraints only in CA certificates.
                    if (c.HasNameConstraints)
                    {
                        (list ??= []).Add(new Finding("leaf.name-constraints", "R-C3", 0, "the leaf carries a nameConstraints extension (CA certificates only)", VerdictReasons.InvalidChain));
                    }

                    // RFC 5280 4.2.1.6: an empty subject needs a critical subjectAltName.
                    if (c.IsSubjectEmpty && (c.CriticalExtensions & KnownExtensions.SubjectAltName) == 0)
                    {
                        (list ??= []).Add(new Finding("leaf.empty-subject", "R-C3", 0, "the leaf has an empty subject without a critical subjectAltName", VerdictReasons.InvalidChain));
                    }

                    // CA/B BR 7.1.2.7.10: a subscriber certificate never lists anyExtendedKeyUsage (webpki refuses it too).
                    if (c.EkuAny)
                    {
                        (list ??= []).Add(new Finding("leaf.eku-any", "R-C3", 0, "the leaf's extended key usage lists anyExtendedKeyUsage", VerdictReasons.InvalidChain));
                    }

                    if (_req.Purpose == RootPurposes.Email)
                    {
                        // RFC 8550 4.4.4 and S/MIME BR 7.1.2.3 (f): an S/MIME leaf with EKU must list emailProtection.
                        // Key usage for encryption/signing is the S/MIME evaluator's check (Messaging/).
                        if (c.HasExtendedKeyUsage && !c.EkuEmailProtection)
                        {
                            (list ??= []).Add(new Finding("leaf.eku", "R-G1", 0, "the leaf's extended key usage does not include emailProtection", VerdictReasons.InvalidChain));
                        }

                        continue;
                    }

                    // RFC 5280 4.2.1.12 and CA/B BR 7.1.2.7.10: a TLS server leaf with EKU must list serverAuth
                    // (or what the request requires instead, see RequiredEku).
                    if (!EkuRequirement.Allows(c, _req.RequiredEku))
                    {
                        (list ??= []).Add(new Finding("leaf.eku", "R-C3", 0, "the leaf's extended key usage does not include " + EkuRequirement.Describe(_req.RequiredEku), VerdictReasons.InvalidChain));
                    }

                    // RFC 5280 4.2.1.3: a TLS server key signs (ECDHE) or deciphers (RSA key transport) or agrees.
                    if (!EkuRequirement.KeyUsageAllows(c, _req.RequiredEku))
                    {
                        (list ??= []).Add(new Finding("leaf.key-usage", "R-C3", 0, "the leaf's key usage allows no " + EkuRequirement.Role(_req.RequiredEku) + " use", VerdictReasons.InvalidChain));
                    }

                    continue;
                }

                // RFC 5280 4.2.1.9 / 6.1.4 (k): an issuer must be a CA; a v1 anchor without basicConstraints is accepted as OpenSSL does.
                bool isAnchor = d == last;
                if (isAnchor ? c.HasBasicConstraints && !c.IsCa : !c.IsCa)
                {
                    (list ??= []).Add(new Finding("chain.not-ca", "R-C3", d, "certificate " + Depth(d) + " issues certificates but is not a CA (basicConstraints)", VerdictReasons.InvalidChain));
                }

                // RFC 5280 4.1.2.6: a CA's subject is never empty.
                if (c.IsSubjectEmpty)
                {
                    (list ??= []).Add(new Finding("chain.ca-empty-subject", "R-C3", d, "certificate " + Depth(d) + " is a CA with an empty subject", VerdictReasons.InvalidChain));
                }

                // RFC 5280 4.2.1.10: conforming CAs MUST mark name constraints critical.
                if (c.HasNameConstraints && (c.CriticalExtensions & KnownExtensions.NameConstraints) == 0)
                {
                    (list ??= []).Add(new Finding("chain.name-constraints-not-critical", "R-C3", d, "certificate " + Depth(d) + " has non-critical name constraints", VerdictReasons.InvalidChain));
                }

                // RFC 5280 6.1.4 (l, m): pathLenConstraint counts the non-self-issued intermediates below.
                if (c.PathLengthConstraint >= 0 && nonSelfIssuedBelow > c.PathLengthConstraint)
                {
                    (list ??= []).Add(new Finding("chain.path-length", "R-C3", d, "certificate " + Depth(d) + " allows " + Depth(c.PathLengthConstraint) + " intermediates below it, the path has " + Depth(nonSelfIssuedBelow), VerdictReasons.InvalidChain));
                }

                // RFC 5280 4.2.1.3 / 6.1.4 (n): keyCertSign when keyUsage is present.
                if (c.HasKeyUsage && (c.KeyUsage & KeyUsages.KeyCertSign) == 0)
                {
                    (list ??= []).Add(new Finding("chain.ca-key-usage", "R-C3", d, "certificate " + Depth(d) + " lacks keyCertSign", VerdictReasons.InvalidChain));
                }

                // EKU chaining (webpki, OpenSSL's purpose check, .NET; not RFC 5280): a CA's EKU, when present, must
                // list serverAuth. anyExtendedKeyUsage alone does not do (Go accepts it; OpenSSL and X509Chain refuse,
                // see DifferentialTests "intermediate-eku-any").
                if (_req.Purpose == RootPurposes.Email)
                {
                    if (c.HasExtendedKeyUsage && !c.EkuEmailProtection)
                    {
                        (list ??= []).Add(new Finding("chain.ca-eku", "R-G1", d, "certificate " + Depth(d) + " restricts its EKU and excludes emailProtection", VerdictReasons.InvalidChain));
                    }
                }
                else if (!EkuRequirement.Allows(c, _req.RequiredEku))
                {
                    (list ??= []).Add(new Finding("chain.ca-eku", "R-C3", d, "certificate " + Depth(d) + " restricts its EKU and excludes " + EkuRequirement.Describe(_req.RequiredEku), VerdictReasons.InvalidChain));
                }

                if (c.HasNameConstraints)
                {
                    // RFC 5280 6.1.3 (b, c): every certificate below the constraining CA (self-issued intermediates excepted).
                    var names = new PresentedName[CertificateNames.MaxNames];
                    var res = NameConstraintResult.Ok;
                    NameConstraintViolation violation = default;
                    int violator = 0;
                    for (int k = 0; k < d && res == NameConstraintResult.Ok; k++)
                    {
                        if (k > 0 && _path[k].IsSelfIssued)
                        {
                            continue;
                        }

                        var der = _path[k].Der.Span;
                        int n = CertificateNames.Read(der, names);
                        res = n < 0 ? NameConstraintResult.Malformed : NameConstraintChecker.Check(c, der, names.AsSpan(0, n), isLeaf: k == 0, ref _budget, out violation);
                        violator = k;
                    }

                    switch (res)
                    {
                        case NameConstraintResult.Ok:
                            break;
                        case NameConstraintResult.BudgetExceeded:
                            _budgetExceeded = true;
                            return list;
                        case NameConstraintResult.Unsupported:
                            (list ??= []).Add(new Finding("chain.name-constraints-unsupported", "R-C3", d, "certificate " + Depth(d) + " constrains a name form (URI, other name, X.400, EDI party or registered ID) that a certificate below it uses and this validator does not evaluate (refused: not implemented)", VerdictReasons.InvalidChain));
                            break;
                        case NameConstraintResult.Violated:
                            (list ??= []).Add(new Finding("chain.name-constraints", "R-C3", d, NameConstraintChecker.Describe(c, d, _path[violator].Der.Span, violator, violation), VerdictReasons.InvalidChain));
                            break;
                        default:
                            (list ??= []).Add(new Finding("chain.name-constraints", "R-C3", d, "a name below certificate " + Depth(d) + " violates its name constraints", VerdictReasons.InvalidChain));
                            break;
                    }
                }

                if (!c.IsSelfIssued)
                {
                    nonSelfIssuedBelow++;
                }
            }

            _ = anchor;
            return list;
        }

        // The profile's rules over the path found (R-C1, R-C3 distrust and annex, R-C4..R-C8, R-C10, R-C11).
        private void CheckPolicy()
        {
            var profile = _req.Profile;
            var anchor = _anchor!;
            var leaf = _path[0];
            int last = _path.Count - 1;

            // R-C12 (RULES.md): revocation by the CRLs the caller supplied (RevocationChecker); none, nothing is done.
            if (_req.Crls.Count > 0)
            {
                RevocationChecker.Check(_v, _path, _req, this);
            }

            // R-C11 (RULES.md): RFC 5280 MUSTs and the CA/B certificate profiles (CertificateProfileRules.cs).
            if (profile.CheckCertificateProfile)
            {
                CertificateProfileRules.Check(_path, _req.Purpose == RootPurposes.TlsServer, this);
            }

            if (profile.CheckKeyStrength)
            {
                for (int d = 0; d <= last; d++)
                {
                    CheckKey(_path[d], d, profile);
                    if (d < last)
                    {
                        CheckSignatureAlgorithm(_path[d], d);
                    }
                }
            }

            if (profile.CheckDistrust)
            {
                // R-C3 with 2026 facts: root programs compare distrust-after with the leaf's notBefore (per purpose).
                bool email = _req.Purpose == RootPurposes.Email;
                string rule = email ? "R-G1" : "R-C3";
                switch (_v._store.CheckDistrust(anchor, _req.Purpose, leaf.NotBefore))
                {
                    case DistrustVerdict.IssuedAfterDistrust:
                        var after = email ? anchor.DistrustAfterEmail : anchor.DistrustAfterTls;
                        Add("trust.distrusted-after", rule, last, "the leaf was issued " + leaf.NotBefore.ToString("u", CultureInfo.InvariantCulture) + ", after the anchor \"" + anchor.Label + "\" stopped being trusted for " + (email ? "e-mail" : "TLS") + " (" + after?.ToString("u", CultureInfo.InvariantCulture) + ")", VerdictReasons.DistrustedAnchor);
                        break;
                    case DistrustVerdict.PurposeNotTrusted:
                    case DistrustVerdict.NotIncluded:
                        if (email)
                        {
                            Add("trust.not-for-email", rule, last, "the anchor \"" + anchor.Label + "\" is not trusted for e-mail (S/MIME) certificates", VerdictReasons.DistrustedAnchor);
                        }
                        else
                        {
                            Add("trust.not-for-tls", rule, last, "the anchor \"" + anchor.Label + "\" is not trusted for TLS server certificates", VerdictReasons.DistrustedAnchor);
                        }

                        break;
                }
            }

            if (profile.RequireAnnexCa && anchor.SeedCas.Count == 0)
            {
                Add("trust.not-annex", "R-C3", last, "the anchor \"" + anchor.Label + "\" belongs to no CA of the document's annex 7.1", VerdictReasons.NotAnnexCa);
            }

            if (profile.RefuseDvIssuingAnchors && (anchor.Assurance & AssuranceLevel.Dv) != 0)
            {
                Add("trust.anchor-issues-dv", "R-C5", last, "the anchor \"" + anchor.Label + "\" also vouches for domain-validated certificates", VerdictReasons.DomainValidated);
            }

            _assurance = Classify(anchor, profile.CheckAssurance);
        }

        private void CheckKey(in CertificateView c, int d, ValidationProfile profile)
        {
            // R-C10 (RULES.md)
            bool weak = c.KeyAlgorithm switch
            {
                KeyAlgorithm.Rsa => c.KeySize < profile.MinimumRsaBits,
                KeyAlgorithm.Ec => c.KeySize == 0 || c.KeySize < profile.MinimumEcBits,
                KeyAlgorithm.Ed25519 => false,
                _ => true,
            };
            if (weak)
            {
                string what = c.KeyAlgorithm switch
                {
                    KeyAlgorithm.Rsa => "RSA-" + Depth(c.KeySize),
                    KeyAlgorithm.Ec => c.KeySize == 0 ? "EC on an unknown curve" : "EC-" + Depth(c.KeySize),
                    _ => "an unknown key algorithm",
                };
                Add("key.too-weak", "R-C10", d, "certificate " + Depth(d) + " has " + what + " (floor: RSA " + Depth(profile.MinimumRsaBits) + ", EC " + Depth(profile.MinimumEcBits) + ")", VerdictReasons.WeakKey);
            }
        }

        private void CheckSignatureAlgorithm(in CertificateView c, int d)
        {
            // R-C10 (RULES.md): no MD5/SHA-1 signatures (the anchor's self-signature is not checked, as in browsers).
            if (c.SignatureAlgorithm is SignatureAlgorithm.RsaPkcs1Md5 or SignatureAlgorithm.RsaPkcs1Sha1 or SignatureAlgorithm.EcdsaSha1)
            {
                Add("signature.weak-hash", "R-C10", d, "certificate " + Depth(d) + " is signed with " + (c.SignatureAlgorithm == SignatureAlgorithm.RsaPkcs1Md5 ? "MD5" : "SHA-1"), VerdictReasons.WeakSignature);
            }
        }

        // R-C1, R-C4, R-C5, R-C6, R-C8 (RULES.md). EV needs an EV OID that the manifest binds to the anchor reached
        // and that every intermediate permits (the OID itself or anyPolicy); OV/IV must be within the anchor's assurance.
        private AssuranceLevel Classify(TrustRoot anchor, bool report)
        {
            var profile = _req.Profile;
            var leaf = _path[0];
            var best = AssuranceLevel.None;
            bool assertsDv = false;
            string? evRefused = null;

            // The leaf's policy OIDs in certificate order, formatted into a stack buffer (the verdict path makes no
            // strings); the same OIDs CertificateView.CollectPolicyOids would list.
            var der = leaf.Der.Span;
            var policies = new DerReader(der, leaf.PoliciesRange.Start.Value, leaf.PoliciesRange.End.Value);
            Span<char> buffer = stackalloc char[Oids.MaxDottedChars];
            while (policies.HasData && policies.TryRead(System.Formats.Asn1.Asn1Tag.Sequence, out var info))
            {
                var ir = new DerReader(der, info.Start.Value, info.End.Value);
                if (!ir.TryRead(System.Formats.Asn1.Asn1Tag.ObjectIdentifier, out var oidRange) || !Oids.TryFormat(der[oidRange], buffer, out int written))
                {
                    continue;
                }

                var oid = buffer[..written];
                var level = _v._store.ClassifyPolicy(oid);
                if (level == AssuranceLevel.Dv)
                {
                    assertsDv = true;
                }
                else if (level == AssuranceLevel.Ev)
                {
                    if (!_v._store.IsEvBound(anchor, oid))
                    {
                        evRefused ??= "the leaf asserts EV policy " + oid.ToString() + ", which the trust manifest does not bind to the anchor \"" + anchor.Label + "\"";
                        continue;
                    }

                    int refusing = IntermediateNotPermitting(der[oidRange]);
                    if (refusing > 0)
                    {
                        evRefused ??= "the leaf asserts EV policy " + oid.ToString() + ", but certificate " + Depth(refusing) + " permits neither it nor anyPolicy";
                        continue;
                    }

                    best = AssuranceLevel.Ev;
                }
                else if (level != AssuranceLevel.None && (anchor.Assurance & level) != 0 && level > best)
                {
                    best = level;
                }
            }

            bool noOrganization = !leaf.HasOrganization;
            var result = assertsDv || noOrganization ? AssuranceLevel.Dv : best;
            if (!report)
            {
                return result;
            }

            if (evRefused is not null)
            {
                Add("assurance.ev-not-established", "R-C1", 0, evRefused, VerdictReasons.EvNotEstablished);
            }

            if (assertsDv)
            {
                Add("assurance.domain-validated", "R-C5", 0, "the leaf asserts the domain-validated policy (2.23.140.1.2.1)", VerdictReasons.DomainValidated);
            }

            if (noOrganization)
            {
                Add("leaf.no-organization", "R-C6", 0, "the leaf's subject names no organisation (O=): it is issued to a host name, not a holder", VerdictReasons.NoOrganization);
            }

            if (result == AssuranceLevel.None)
            {
                Add("assurance.unvalidated", "R-C4", 0, "the leaf asserts no policy OID that the trust manifest maps to a validation level this anchor vouches for: holder validation cannot be established", VerdictReasons.NotDocumentValidated);
            }
            else if (result != AssuranceLevel.Dv && result < profile.MinimumAssurance)
            {
                Add("assurance.too-low", "R-C8", 0, "the leaf's assurance is " + result.ToString() + "; at least Class 3 (OV) or EV is required", VerdictReasons.AssuranceTooLow);
            }

            if (profile.RequireEv && result != AssuranceLevel.Ev && evRefused is null)
            {
                Add("assurance.ev-required", "R-C1", 0, "the profile requires EV", VerdictReasons.EvNotEstablished);
            }

            return result;
        }

        // Encoded OIDs compare like their dotted forms: Oids.TryFormat refuses non-minimal encodings.
        private int IntermediateNotPermitting(ReadOnlySpan<byte> encodedOid)
        {
            for (int d = 1; d < _path.Count - 1; d++)
            {
                var c = _path[d];
                if (!c.AssertsPolicy(encodedOid) && !c.AssertsAnyPolicy)
                {
                    return d;
                }
            }

            return 0;
        }

        // R-C2 (RULES.md): NameChecker decides, exactly as Postfix/OpenSSL do.
        private void CheckNames(in CertificateView leaf)
        {
            var result = NameChecker.Check(leaf.Der.Span, _req.MatchList, _req.NextHop, _req.MxHost);
            switch (result.Status)
            {
                case NameCheckStatus.Matched:
                    if (!_explain)
                    {
                        break;
                    }

                    var content = CertificateNames.Content(leaf.Der.Span, result.MatchedName);
                    _matched = result.MatchedName.Kind == PresentedNameKind.IPAddressSan
                        ? new System.Net.IPAddress(content).ToString()
                        : Encoding.Latin1.GetString(content);
                    break;
                case NameCheckStatus.NoReferenceNames:
                    Add("name.no-reference", "R-C2", 0, "the match list yields no reference name for next hop \"" + _req.NextHop + "\"", VerdictReasons.NameMismatch);
                    break;
                case NameCheckStatus.MalformedCertificate:
                    Add("name.malformed", "R-C2", 0, "the leaf's names cannot be read", VerdictReasons.NameMismatch);
                    break;
                default:
                    Add("name.mismatch", "R-C2", 0, "no name of the leaf matches " + _req.MatchList.ToString() + " for next hop \"" + _req.NextHop + "\"" + (_req.MxHost is null ? string.Empty : " (MX " + _req.MxHost + ")"), VerdictReasons.NameMismatch);
                    break;
            }
        }
    }
}
