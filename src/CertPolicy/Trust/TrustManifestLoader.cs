using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using CertPolicy.IO;

namespace CertPolicy.Trust;

/// <summary>Supplies the bytes of a root file named in a manifest (a path relative to the manifest).</summary>
/// <param name="relativePath">The manifest's <c>file =</c> value, already checked to be relative and inside the manifest folder.</param>
/// <param name="contents">The file contents, or null.</param>
/// <param name="error">Why the file could not be read, or null.</param>
/// <returns>True when the file was read.</returns>
internal delegate bool RootFileResolver(string relativePath, out byte[]? contents, out string? error);

/// <summary>
/// Loads and validates trust manifests (R-A1, R-C3, R-C9, R-C10). The only file access is in <see cref="LoadFile"/>,
/// which reads the path the caller gives and the root files next to it; <see cref="LoadEmbedded"/> reads the
/// manifest compiled into this assembly. Validation time is a parameter (no clock is read).
/// </summary>
/// <remarks>
/// The embedded manifest is compiled at build time: <c>TrustManifestLoader.Compiled.g.cs</c>, generated from
/// <c>trust/manifest.cfg</c> and <c>trust/roots/</c> by the test <c>CompiledManifestTests</c> (which fails when they differ; regenerate with
/// <c>CERTPOLICY_REGENERATE_MANIFEST=1 dotnet test tests/CertPolicy.Tests -c Release --filter Compiled_manifest_is_fresh</c>),
/// so that a start parses no manifest text (issue 13, item 8). User manifests (<see cref="LoadFile"/>) go through the text parser.
/// </remarks>
public static partial class TrustManifestLoader
{
    /// <summary>The name diagnostics use for the embedded manifest.</summary>
    internal const string EmbeddedName = "embedded:trust/manifest.cfg";

    /// <summary>The eight CAs of the document's annex 7.1 (R-A1), as the manifest names them.</summary>
    internal static IReadOnlyList<string> AnnexCaNames { get; } =
    [
        "Deutsche Telekom AG (TeleSec)",
        "Entrust.net",
        "Equifax (GeoTrust)",
        "GTE CyberTrust",
        "GlobalSign",
        "TC TrustCenter",
        "Thawte",
        "VeriSign",
    ];

    private const string ResourcePrefix = "CertPolicy.Trust.";

    /// <summary>Largest manifest file read (the curated manifest is about 20 KB).</summary>
    internal const long MaxManifestBytes = BoundedFile.MaxBytes;

    /// <summary>Largest root file read (a root certificate in PEM is about 2 KB; the same cap as a trust source's files).</summary>
    internal const long MaxRootFileBytes = 4L * 1024 * 1024;

    /// <summary>Loads the manifest embedded in the library (the repository's <c>trust/manifest.cfg</c> and <c>trust/roots/</c>).</summary>
    /// <param name="validationTime">The instant against which expiry is judged.</param>
    /// <returns>The manifest with its diagnostics.</returns>
    /// <remarks>The manifest's fields and its root certificates come compiled (no text is parsed, no resource read); the
    /// certificates are parsed and checked against the fields, and the time-dependent checks run, as for a manifest read
    /// from text.</remarks>
    public static TrustManifest LoadEmbedded(DateTimeOffset validationTime) => LoadCompiled(validationTime);

    /// <summary>The embedded manifest parsed from its text (the resource <c>manifest.cfg</c>): what <see cref="LoadEmbedded"/>
    /// loads without parsing; the test <c>CompiledManifestTests</c> compares the two field by field.</summary>
    /// <param name="validationTime">The instant against which expiry is judged.</param>
    /// <returns>The manifest with its diagnostics.</returns>
    internal static TrustManifest LoadEmbeddedText(DateTimeOffset validationTime)
    {
        var asm = typeof(TrustManifestLoader).Assembly;
        if (!ReadResource(asm, "manifest.cfg", out byte[]? bytes, out _))
        {
            return Unreadable(EmbeddedName, "the embedded manifest is missing from the assembly");
        }

        // One decode of the UTF-8 bytes (a StreamReader grew a StringBuilder over the 80 KB text at every start).
        ReadOnlySpan<byte> span = bytes;
        string text = Encoding.UTF8.GetString(span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? span[3..] : span);

        return Load(text, EmbeddedName, (string rel, out byte[]? contents, out string? error) => ReadResource(asm, rel, out contents, out error), validationTime);
    }

    // A root certificate of the compiled manifest: Base64 in a UTF-8 literal (data in the binary, no resource look-up),
    // decoded by the vectorised decoder; empty when the manifest names a file that was not compiled in.
    private static bool TryDecodeCompiledRoot(ReadOnlySpan<byte> base64, out byte[]? der, out string? error)
    {
        der = null;
        if (base64.IsEmpty)
        {
            error = "not embedded in the library (add it under trust/ and rebuild)";
            return false;
        }

        int length = (base64.Length / 4 * 3) - (base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0);
        var buffer = new byte[length];
        if (Base64.DecodeFromUtf8(base64, buffer, out _, out int written) != OperationStatus.Done || written != length)
        {
            error = "the compiled copy is damaged (regenerate it: trust/README.md)";
            return false;
        }

        der = buffer;
        error = null;
        return true;
    }

    private static bool ReadResource(Assembly asm, string rel, out byte[]? contents, out string? error)
    {
        using var s = asm.GetManifestResourceStream(ResourcePrefix + rel);
        if (s is null)
        {
            contents = null;
            error = "not embedded in the library (add it under trust/ and rebuild)";
            return false;
        }

        // Embedded resources have a known length (no growing copies); still read in a loop, as Stream.Read may return less.
        var buffer = new byte[checked((int)s.Length)];
        s.ReadExactly(buffer);
        contents = buffer;
        error = null;
        return true;
    }

    /// <summary>Loads a manifest from a path; root files are read relative to the manifest's folder.</summary>
    /// <param name="path">The manifest path, as the caller gave it (used in diagnostics).</param>
    /// <param name="validationTime">The instant against which expiry is judged.</param>
    /// <returns>The manifest; an unreadable file yields a manifest with one error.</returns>
    public static TrustManifest LoadFile(string path, DateTimeOffset validationTime)
    {
        ArgumentNullException.ThrowIfNull(path);
        // IO/BoundedFile (issue 14): only regular files, read under a cap that never trusts the reported length.
        if (!BoundedFile.TryRead(path, MaxManifestBytes, out byte[] bytes, out string readError))
        {
            return Unreadable(path, "cannot read manifest: " + readError);
        }

        ReadOnlySpan<byte> span = bytes;
        string text = Encoding.UTF8.GetString(span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? span[3..] : span);
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        return Load(text, path, (string rel, out byte[]? contents, out string? error) =>
        {
            string file = Path.Combine(dir, rel);
            if (BoundedFile.TryRead(file, MaxRootFileBytes, out byte[] root, out string why))
            {
                contents = root;
                error = null;
                return true;
            }

            contents = null;
            error = BoundedFile.GetKind(file) == BoundedFile.Kind.Missing ? "file not found" : why;
            return false;
        }, validationTime);
    }

    private static TrustManifest Unreadable(string name, string message) =>
        new(name, default, 0, 0, [], [], [], [new ManifestDiagnostic(DiagnosticSeverity.Error, "TRUST-IO", "syntax", new SourcePosition(name, 1, 1), message)]);

    /// <summary>Parses and validates manifest text.</summary>
    /// <param name="text">The manifest text.</param>
    /// <param name="name">The name used in diagnostics.</param>
    /// <param name="resolveFile">Reads root files named by <c>file =</c>.</param>
    /// <param name="validationTime">The instant against which expiry is judged.</param>
    /// <returns>The manifest with its diagnostics; never throws on malformed text.</returns>
    internal static TrustManifest Load(string text, string name, RootFileResolver resolveFile, DateTimeOffset validationTime)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(resolveFile);
        var diags = new List<ManifestDiagnostic>();
        var sections = ManifestSyntax.Parse(text, name, diags);
        var b = new Builder(name, diags, resolveFile, validationTime);
        foreach (var s in sections)
        {
            b.Add(s);
        }

        return b.Finish();
    }

    private sealed class Builder(string name, List<ManifestDiagnostic> diags, RootFileResolver resolve, DateTimeOffset at)
    {
        private readonly List<PolicyOid> _oids = [];
        private readonly List<AnnexCa> _cas = [];
        private readonly List<TrustRoot> _roots = [];
        private readonly Dictionary<string, int> _rootIndex = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<int>> _fileUsers = new(StringComparer.Ordinal);
        private DateOnly _asOf;
        private int _rsaFloor = 2048;
        private int _ecFloor = 256;
        private bool _sawManifest;

        private static readonly string[] ManifestKeys = ["schema", "as-of", "rsa-floor", "ec-floor"];
        private static readonly string[] OidKeys = ["meaning", "owner", "description", "source", "verified"];
        private static readonly string[] CaKeys = ["status", "successor", "fate", "lineage-verified", "successor-roots", "transitional-roots", "business-successor-roots", "reason"];
        private static readonly string[] RootKeys = TrustRoot.PositionedFields[1..];

        private void Err(SourcePosition p, string code, string message) => diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, code, "syntax", p, message));

        private void Finding(SourcePosition p, string code, string rule, string message) => diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Finding, code, rule, p, message));

        private Dictionary<string, ManifestEntry>? Fields(ManifestSection s, string[] allowed, string[] required)
        {
            var map = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
            bool ok = true;
            foreach (var e in s.Entries)
            {
                if (Array.IndexOf(allowed, e.Key) < 0)
                {
                    Err(e.KeyPosition, "TRUST-UNKNOWN-KEY", "unknown key '" + e.Key + "' in [" + s.Kind + "]; allowed: " + string.Join(", ", allowed));
                    ok = false;
                    continue;
                }

                map[e.Key] = e;
            }

            foreach (var r in required)
            {
                if (!map.ContainsKey(r))
                {
                    Err(s.Position, "TRUST-MISSING-KEY", "[" + s.Kind + (s.Id is null ? "" : " " + s.Id) + "] lacks required key '" + r + "'");
                    ok = false;
                }
            }

            return ok ? map : null;
        }

        public void Add(ManifestSection s)
        {
            switch (s.Kind)
            {
                case "manifest":
                    AddManifest(s);
                    break;
                case "oid":
                    AddOid(s);
                    break;
                case "ca":
                    AddCa(s);
                    break;
                case "root":
                    AddRoot(s);
                    break;
                default:
                    Err(s.Position, "TRUST-SYNTAX", "unknown section kind '" + s.Kind + "' (expected manifest, oid, ca or root)");
                    break;
            }
        }

        private void AddManifest(ManifestSection s)
        {
            if (_sawManifest)
            {
                Finding(s.Position, "TRUST-DUPLICATE", "R-C9", "duplicate [manifest] section");
                return;
            }

            _sawManifest = true;
            var f = Fields(s, ManifestKeys, ["schema", "as-of"]);
            if (f is null)
            {
                return;
            }

            if (f["schema"].RawValue != "certpolicy-trust/1")
            {
                Err(f["schema"].ValuePosition, "TRUST-VALUE", "unsupported schema '" + f["schema"].RawValue + "' (expected certpolicy-trust/1)");
            }

            if (TryDate(f["as-of"], out var asOf))
            {
                _asOf = DateOnly.FromDateTime(asOf.UtcDateTime);
            }

            if (f.TryGetValue("rsa-floor", out var rf) && TryInt(rf, out int rsa))
            {
                _rsaFloor = rsa;
            }

            if (f.TryGetValue("ec-floor", out var ef) && TryInt(ef, out int ec))
            {
                _ecFloor = ec;
            }
        }

        /// <summary>The <c>[manifest]</c> section's values, already checked (the compiled manifest).</summary>
        public void SetManifest(DateOnly asOf, int rsaFloor, int ecFloor)
        {
            _sawManifest = true;
            _asOf = asOf;
            _rsaFloor = rsaFloor;
            _ecFloor = ecFloor;
        }

        private void AddOid(ManifestSection s)
        {
            var f = Fields(s, OidKeys, ["meaning", "owner", "description", "source"]);
            if (s.Id is null || !IsDottedOid(s.Id))
            {
                Err(IdPosition(s), "TRUST-VALUE", "[oid] needs a dotted OID, got '" + (s.Id ?? "") + "'");
                return;
            }

            if (f is null || IsDuplicateOid(s.Id, s.Position))
            {
                return;
            }

            bool verified = true;
            if (f.TryGetValue("verified", out var v))
            {
                if (v.RawValue is not ("primary" or "secondary"))
                {
                    Err(v.ValuePosition, "TRUST-VALUE", "verified must be primary or secondary, got '" + v.RawValue + "'");
                    return;
                }

                verified = v.RawValue == "primary";
            }

            string meaning = f["meaning"].RawValue;
            AddChecked(new PolicyOid
            {
                Oid = s.Id,
                Meaning = meaning,
                Assurance = meaning switch
                {
                    "ev" => AssuranceLevel.Ev,
                    "ov" or "class3" => AssuranceLevel.Ov,
                    "iv" => AssuranceLevel.Iv,
                    "dv" => AssuranceLevel.Dv,
                    _ => AssuranceLevel.None,
                },
                Owner = f["owner"].RawValue,
                Description = f["description"].RawValue,
                Source = f["source"].RawValue,
                VerifiedPrimary = verified,
                Position = s.Position,
            });
        }

        private bool IsDuplicateOid(string oid, SourcePosition at)
        {
            foreach (var o in _oids)
            {
                if (o.Oid == oid)
                {
                    Finding(at, "TRUST-DUPLICATE", "R-C9", "duplicate [oid " + oid + "] (first at line " + Line(o.Position) + ")");
                    return true;
                }
            }

            return false;
        }

        /// <summary>Adds an OID whose fields are checked (the text path after its checks, or the compiled manifest).</summary>
        public void AddChecked(PolicyOid oid)
        {
            if (!IsDuplicateOid(oid.Oid, oid.Position))
            {
                _oids.Add(oid);
            }
        }

        private void AddCa(ManifestSection s)
        {
            if (string.IsNullOrEmpty(s.Id))
            {
                Err(IdPosition(s), "TRUST-VALUE", "[ca] needs a quoted CA name");
                return;
            }

            var f = Fields(s, CaKeys, ["status", "fate", "reason"]);
            if (f is null || IsDuplicateCa(s.Id, s.Position))
            {
                return;
            }

            if (!TryEnum(f["status"], ["active", "succeeded", "distrusted", "defunct"], out int st))
            {
                return;
            }

            if (!TryShaList(f, "successor-roots", out var succ) || !TryShaList(f, "transitional-roots", out var trans) || !TryShaList(f, "business-successor-roots", out var biz))
            {
                return;
            }

            AddChecked(new AnnexCa
            {
                Name = s.Id,
                Status = (AnnexCaStatus)st,
                Successor = f.TryGetValue("successor", out var sc) ? sc.RawValue : "none",
                Fate = f["fate"].RawValue,
                LineageVerified = f.TryGetValue("lineage-verified", out var lv) ? lv.RawValue : "unknown",
                SuccessorRoots = succ,
                TransitionalRoots = trans,
                BusinessSuccessorRoots = biz,
                Reason = f["reason"].RawValue,
                Position = s.Position,
            });
        }

        private bool IsDuplicateCa(string name, SourcePosition at)
        {
            foreach (var c in _cas)
            {
                if (c.Name == name)
                {
                    Finding(at, "TRUST-DUPLICATE", "R-A1", "duplicate [ca \"" + name + "\"] (first at line " + Line(c.Position) + ")");
                    return true;
                }
            }

            return false;
        }

        /// <summary>Adds an annex CA whose fields are checked (the text path after its checks, or the compiled manifest).</summary>
        public void AddChecked(AnnexCa ca)
        {
            if (!IsDuplicateCa(ca.Name, ca.Position))
            {
                _cas.Add(ca);
            }
        }

        private void AddRoot(ManifestSection s)
        {
            var idPos = IdPosition(s);
            if (s.Id is null || !IsHex(s.Id, 64))
            {
                Err(idPos, "TRUST-VALUE", "[root] id must be the SHA-256 as 64 hex digits, got '" + (s.Id ?? "") + "'" + BadHexAt(s.Id));
                return;
            }

            var f = Fields(s, RootKeys, ["label", "subject", "not-before", "not-after", "key", "purposes", "status", "bundle", "source", "reason"]);
            if (f is null)
            {
                return;
            }

            bool ok = TryDate(f["not-before"], out var nb) & TryDate(f["not-after"], out var na);
            ok &= TryEnum(f["status"], ["active", "transitional", "distrusted", "expired", "removed"], out int status);
            ok &= TryEnum(f["bundle"], ["exclude", "include"], out int bundle);
            ok &= TryFlags(f["purposes"], ["tls-server", "email"], out int purposes);
            int assurance = 0;
            if (f.TryGetValue("assurance", out var asr))
            {
                // Bit order dv, iv, ov, ev matches AssuranceLevel's values.
                ok &= TryFlags(asr, ["dv", "iv", "ov", "ev"], out assurance);
            }

            DateTimeOffset? dTls = null, dMail = null, sunset = null;
            ok &= OptDate(f, "distrust-after-tls", out dTls) & OptDate(f, "distrust-after-email", out dMail) & OptDate(f, "tls-sunset", out sunset);
            List<string> ev = [];
            if (f.TryGetValue("ev-oids", out var evE))
            {
                ok &= TryList(evE, out ev);
                foreach (var o in ev)
                {
                    if (!IsDottedOid(o))
                    {
                        Err(evE.ValuePosition, "TRUST-VALUE", "ev-oids item '" + o + "' is not a dotted OID");
                        ok = false;
                    }
                }
            }

            List<string> seeds = [];
            if (f.TryGetValue("seed-ca", out var sd))
            {
                ok &= TryList(sd, out seeds);
            }

            string? file = null;
            if (f.TryGetValue("file", out var fe))
            {
                file = fe.RawValue;
                if (file.Length == 0 || Path.IsPathRooted(file) || file.Contains("..", StringComparison.Ordinal) || file.Contains('\\', StringComparison.Ordinal))
                {
                    Err(fe.ValuePosition, "TRUST-VALUE", "file must be a relative path inside the manifest folder (no '..', no '\\'), got '" + file + "'");
                    ok = false;
                }
            }

            if (!ok)
            {
                return;
            }

            // Value positions as (field, line, column) triples: the section id first, then the keys in file order.
            var positions = new int[(f.Count + 1) * 3];
            positions[1] = idPos.Line;
            positions[2] = idPos.Column;
            int k = 3;
            foreach (var kv in f)
            {
                positions[k++] = Array.IndexOf(TrustRoot.PositionedFields, kv.Key);
                positions[k++] = kv.Value.ValuePosition.Line;
                positions[k++] = kv.Value.ValuePosition.Column;
            }

            AddChecked(new TrustRoot
            {
                Sha256 = AsciiUpper(s.Id),
                Label = f["label"].RawValue,
                File = file,
                Subject = f["subject"].RawValue,
                NotBefore = nb,
                NotAfter = na,
                Key = f["key"].RawValue,
                Purposes = (RootPurposes)purposes,
                EvOids = ev,
                Assurance = (AssuranceLevel)assurance,
                DistrustAfterTls = dTls,
                DistrustAfterEmail = dMail,
                TlsSunset = sunset,
                Status = (RootStatus)status,
                Bundle = (BundleDecision)bundle,
                SeedCas = seeds,
                Role = f.TryGetValue("role", out var role) ? role.RawValue : "original",
                Source = f["source"].RawValue,
                Reason = f["reason"].RawValue,
                Position = s.Position,
                FieldPositionData = positions,
            });
        }

        /// <summary>Adds a root whose fields are checked (the text path after its checks, or the compiled manifest): the
        /// duplicate checks, then its file is read and compared with the fields.</summary>
        public void AddChecked(TrustRoot root)
        {
            var idPos = root.PositionOf("sha256");
            string? file = root.File;

            // Hash look-ups, not a scan of every earlier root (quadratic in the root count); the findings are the scan's: the
            // earlier roots with the same file, in order, up to the first root with the same fingerprint.
            int duplicateAt = _rootIndex.TryGetValue(root.Sha256, out int d) ? d : int.MaxValue;
            if (file is not null && _fileUsers.TryGetValue(file, out var users))
            {
                foreach (int u in users)
                {
                    if (u < duplicateAt)
                    {
                        Finding(root.PositionOf("file"), "TRUST-DUPLICATE", "R-C9", "file '" + file + "' is already used by the root at line " + Line(_roots[u].Position));
                    }
                }
            }

            if (duplicateAt != int.MaxValue)
            {
                Finding(idPos, "TRUST-DUPLICATE", "R-C9", "duplicate root " + root.Sha256 + " (first at line " + Line(_roots[duplicateAt].Position) + ")");
                return;
            }

            _rootIndex.Add(root.Sha256, _roots.Count);
            if (file is not null)
            {
                if (!_fileUsers.TryGetValue(file, out users))
                {
                    users = [];
                    _fileUsers.Add(file, users);
                }

                users.Add(_roots.Count);
            }

            if (file is not null)
            {
                ReadFile(root, file);
            }

            _roots.Add(root);
        }

        private void ReadFile(TrustRoot root, string file)
        {
            var pos = root.PositionOf("file");
            if (!resolve(file, out var bytes, out var error) || bytes is null)
            {
                Err(pos, "TRUST-FILE", "root file '" + file + "': " + (error ?? "cannot be read"));
                return;
            }

            if (!RootCertificate.TryReadPemOrDer(bytes, out var certs, out error))
            {
                Err(pos, "TRUST-FILE", "root file '" + file + "': " + error);
                return;
            }

            if (certs.Count != 1)
            {
                Err(pos, "TRUST-FILE", "root file '" + file + "' holds " + certs.Count.ToString(CultureInfo.InvariantCulture) + " certificates; exactly one expected");
                return;
            }

            var cert = certs[0];
            root.Certificate = cert;
            if (!string.Equals(cert.Sha256Hex, root.Sha256, StringComparison.Ordinal))
            {
                Finding(root.PositionOf("sha256"), "TRUST-FINGERPRINT", "R-C9", "root file '" + file + "' has SHA-256 " + cert.Sha256Hex + ", the manifest pins " + root.Sha256);
            }

            if (!string.Equals(cert.Subject, root.Subject, StringComparison.Ordinal))
            {
                Finding(root.PositionOf("subject"), "TRUST-FILE-MISMATCH", "R-C9", "subject differs from '" + file + "': file has \"" + cert.Subject + "\"");
            }

            if (cert.NotBefore != root.NotBefore || cert.NotAfter != root.NotAfter)
            {
                Finding(root.PositionOf("not-after"), "TRUST-FILE-MISMATCH", "R-C9", "validity differs from '" + file + "': file has " + Iso(cert.NotBefore) + " .. " + Iso(cert.NotAfter));
            }

            if (!string.Equals(cert.KeyDescription, root.Key, StringComparison.Ordinal))
            {
                Finding(root.PositionOf("key"), "TRUST-FILE-MISMATCH", "R-C9", "key differs from '" + file + "': file has " + cert.KeyDescription);
            }
        }

        public TrustManifest Finish()
        {
            if (!_sawManifest)
            {
                Err(new SourcePosition(name, 1, 1), "TRUST-MISSING-KEY", "no [manifest] section (schema, as-of)");
            }

            var caNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in _cas)
            {
                caNames.Add(c.Name);
                if (!AnnexCaNames.Contains(c.Name))
                {
                    Finding(c.Position, "TRUST-ANNEX-UNKNOWN", "R-A1", "[ca \"" + c.Name + "\"] is not one of the annex 7.1 CAs");
                }

                CheckRefs(c, c.SuccessorRoots, "successor-roots");
                CheckRefs(c, c.TransitionalRoots, "transitional-roots");
                CheckRefs(c, c.BusinessSuccessorRoots, "business-successor-roots");
            }

            foreach (var n in AnnexCaNames)
            {
                if (!caNames.Contains(n))
                {
                    Finding(new SourcePosition(name, 1, 1), "TRUST-ANNEX-MISSING", "R-A1", "annex CA \"" + n + "\" has no [ca] entry");
                }
            }

            var evOids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var o in _oids)
            {
                if (o.Assurance == AssuranceLevel.Ev)
                {
                    evOids.Add(o.Oid);
                }
            }

            foreach (var r in _roots)
            {
                CheckRoot(r, caNames, evOids);
            }

            diags.Sort(static (a, b) =>
            {
                int c = a.Position.Line.CompareTo(b.Position.Line);
                return c != 0 ? c : a.Position.Column.CompareTo(b.Position.Column);
            });
            return new TrustManifest(name, _asOf, _rsaFloor, _ecFloor, _oids, _cas, _roots, diags);
        }

        private void CheckRefs(AnnexCa c, IReadOnlyList<string> shas, string field)
        {
            foreach (var sha in shas)
            {
                TrustRoot? found = null;
                foreach (var r in _roots)
                {
                    if (r.Sha256 == sha)
                    {
                        found = r;
                        break;
                    }
                }

                if (found is null)
                {
                    Finding(c.Position, "TRUST-REF", "R-A1", "[ca \"" + c.Name + "\"] " + field + " names " + sha + ", which has no [root] entry");
                }
                else if (field != "business-successor-roots" && found.Bundle != BundleDecision.Include)
                {
                    // The annex entry and the bundle must tell the same story (R-A1): a successor the bundle leaves out is a contradiction.
                    Finding(c.Position, "TRUST-REF", "R-A1", "[ca \"" + c.Name + "\"] " + field + " names \"" + found.Label + "\", which the bundle excludes");
                }
            }
        }

        private void CheckRoot(TrustRoot r, HashSet<string> caNames, HashSet<string> evOids)
        {
            bool live = r.Status is RootStatus.Active or RootStatus.Transitional;
            var notAfter = r.Certificate?.NotAfter ?? r.NotAfter;
            if (live && notAfter <= at)
            {
                Finding(r.PositionOf("status"), "TRUST-EXPIRED-ACTIVE", "R-C3", "root \"" + r.Label + "\" is marked " + Lower(r.Status) + " but expired on " + Iso(notAfter));
            }

            // R-C3: a transitional root past its TLS sunset (root-program removal date) needs a review.
            if (r.Status == RootStatus.Transitional && r.TlsSunset is { } sunset && sunset <= at)
            {
                Finding(r.PositionOf("tls-sunset"), "TRUST-SUNSET-PASSED", "R-C3", "transitional root \"" + r.Label + "\" passed its tls-sunset " + Iso(sunset) + "; retire it or document why it stays");
            }

            if (live || r.Bundle == BundleDecision.Include)
            {
                string key = r.Certificate?.KeyDescription ?? r.Key;
                if (!MeetsFloor(key))
                {
                    Finding(r.PositionOf("key"), "TRUST-KEY-FLOOR", "R-C10", "root \"" + r.Label + "\" key " + key + " is below the floor (RSA >= " + _rsaFloor.ToString(CultureInfo.InvariantCulture) + ", EC >= " + _ecFloor.ToString(CultureInfo.InvariantCulture) + ")");
                }
            }

            if (r.Bundle == BundleDecision.Include)
            {
                if (!live)
                {
                    Finding(r.PositionOf("bundle"), "TRUST-INCLUDE-STATUS", "R-C3", "root \"" + r.Label + "\" is " + Lower(r.Status) + " and cannot be included");
                }

                if (r.File is null)
                {
                    Finding(r.PositionOf("bundle"), "TRUST-INCLUDE-NOFILE", "R-C9", "root \"" + r.Label + "\" is included but has no file (listed by fingerprint only)");
                }

                if ((r.Purposes & RootPurposes.TlsServer) == 0)
                {
                    Finding(r.PositionOf("purposes"), "TRUST-INCLUDE-PURPOSE", "R-C3", "root \"" + r.Label + "\" is included in the TLS bundle but not trusted for tls-server");
                }

                if (r.DistrustAfterTls is not null)
                {
                    Finding(r.PositionOf("distrust-after-tls"), "TRUST-INCLUDE-DISTRUST", "R-C3", "root \"" + r.Label + "\" has a TLS distrust-after date; flat bundles cannot express it, so it cannot be included");
                }
            }

            foreach (var s in r.SeedCas)
            {
                if (!caNames.Contains(s))
                {
                    Finding(r.PositionOf("seed-ca"), "TRUST-REF", "R-A1", "seed-ca \"" + s + "\" has no [ca] entry");
                }
            }

            foreach (var o in r.EvOids)
            {
                if (!evOids.Contains(o))
                {
                    Finding(r.PositionOf("ev-oids"), "TRUST-EV-OID", "R-C1", "ev-oids item " + o + " is not declared as an [oid] with meaning = ev");
                }
            }
        }

        private bool MeetsFloor(string key)
        {
            if (key.StartsWith("RSA-", StringComparison.Ordinal) && int.TryParse(key.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int bits))
            {
                return bits >= _rsaFloor;
            }

            if (key.StartsWith("EC-P", StringComparison.Ordinal) && int.TryParse(key.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int ec))
            {
                return ec >= _ecFloor;
            }

            return false;
        }

        private static string Lower(RootStatus s) => s switch
        {
            RootStatus.Active => "active",
            RootStatus.Transitional => "transitional",
            RootStatus.Distrusted => "distrusted",
            RootStatus.Expired => "expired",
            _ => "removed",
        };

        private SourcePosition IdPosition(ManifestSection s) => new(s.Position.File, s.Position.Line, s.Position.Column + s.Kind.Length + 2);

        private static string Line(SourcePosition p) => p.Line.ToString(CultureInfo.InvariantCulture);

        private static string BadHexAt(string? s)
        {
            if (s is null)
            {
                return "";
            }

            for (int i = 0; i < s.Length; i++)
            {
                if (!char.IsAsciiHexDigit(s[i]))
                {
                    return " (non-hex character '" + s[i] + "' at offset " + i.ToString(CultureInfo.InvariantCulture) + ")";
                }
            }

            return " (" + s.Length.ToString(CultureInfo.InvariantCulture) + " digits)";
        }

        private bool TryDate(ManifestEntry e, out DateTimeOffset value)
        {
            if (TryParseDate(e.RawValue, out value))
            {
                return true;
            }

            Err(e.ValuePosition, "TRUST-VALUE", e.Key + ": '" + e.RawValue + "' is not a UTC date (yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ)");
            return false;
        }

        private bool OptDate(Dictionary<string, ManifestEntry> f, string key, out DateTimeOffset? value)
        {
            value = null;
            if (!f.TryGetValue(key, out var e) || e.RawValue == "none")
            {
                return true;
            }

            if (TryDate(e, out var d))
            {
                value = d;
                return true;
            }

            return false;
        }

        private bool TryInt(ManifestEntry e, out int value)
        {
            if (int.TryParse(e.RawValue, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0 && value < 100_000)
            {
                return true;
            }

            Err(e.ValuePosition, "TRUST-VALUE", e.Key + ": '" + e.RawValue + "' is not a positive integer");
            return false;
        }

        private bool TryEnum(ManifestEntry e, string[] names, out int value)
        {
            value = Array.IndexOf(names, e.RawValue);
            if (value >= 0)
            {
                return true;
            }

            Err(e.ValuePosition, "TRUST-VALUE", "unknown " + e.Key + " '" + e.RawValue + "' (expected one of: " + string.Join(", ", names) + ")");
            return false;
        }

        private bool TryList(ManifestEntry e, out List<string> items)
        {
            if (!e.Quoted && e.RawValue == "none")
            {
                items = [];
                return true;
            }

            if (ManifestSyntax.TrySplitList(e, out items, out var error))
            {
                return true;
            }

            Err(e.ValuePosition, "TRUST-SYNTAX", e.Key + ": " + error);
            return false;
        }

        private bool TryFlags(ManifestEntry e, string[] names, out int flags)
        {
            flags = 0;
            if (!TryList(e, out var items))
            {
                return false;
            }

            foreach (var it in items)
            {
                int i = Array.IndexOf(names, it);
                if (i < 0)
                {
                    Err(e.ValuePosition, "TRUST-VALUE", "unknown " + e.Key + " item '" + it + "' (expected: " + string.Join(", ", names) + " or none)");
                    return false;
                }

                flags |= 1 << i;
            }

            return true;
        }

        private bool TryShaList(Dictionary<string, ManifestEntry> f, string key, out List<string> items)
        {
            items = [];
            if (!f.TryGetValue(key, out var e))
            {
                return true;
            }

            if (!TryList(e, out items))
            {
                return false;
            }

            for (int i = 0; i < items.Count; i++)
            {
                if (!IsHex(items[i], 64))
                {
                    Err(e.ValuePosition, "TRUST-VALUE", key + " item '" + items[i] + "' is not a SHA-256 (64 hex digits)" + BadHexAt(items[i]));
                    return false;
                }

                items[i] = AsciiUpper(items[i]);
            }

            return true;
        }
    }

    /// <summary>
    /// Reads <c>yyyy-MM-dd</c> or <c>yyyy-MM-ddTHH:mm:ssZ</c> (UTC), digits only, as <c>DateTimeOffset.TryParseExact</c> with
    /// those two formats and the invariant culture did, a lower-case "z" included (the test <c>ManifestDateTests</c> compares both); by hand because the
    /// culture-aware parser was a visible part of every command's start-up (issue 13, item 8).
    /// </summary>
    internal static bool TryParseDate(string s, out DateTimeOffset value)
    {
        value = default;
        if ((s.Length != 10 && s.Length != 20) || s[4] != '-' || s[7] != '-'
            || !TryDigits(s, 0, 4, out int year) || !TryDigits(s, 5, 2, out int month) || !TryDigits(s, 8, 2, out int day))
        {
            return false;
        }

        int hour = 0, minute = 0, second = 0;
        if (s.Length == 20 && (s[10] != 'T' || s[13] != ':' || s[16] != ':' || (s[19] != 'Z' && s[19] != 'z')
            || !TryDigits(s, 11, 2, out hour) || !TryDigits(s, 14, 2, out minute) || !TryDigits(s, 17, 2, out second)))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        value = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(string s, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }

    internal static string Iso(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // Hex digits only (checked before): ASCII upper-casing, without the culture tables of ToUpperInvariant.
    private static string AsciiUpper(string s) => string.Create(s.Length, s, static (d, src) =>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = char.IsAsciiLetterLower(src[i]) ? (char)(src[i] - 32) : src[i];
        }
    });

    internal static bool IsHex(string s, int length)
    {
        if (s.Length != length)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDottedOid(string s)
    {
        if (s.Length == 0 || s[0] == '.' || s[^1] == '.')
        {
            return false;
        }

        bool dot = false;
        foreach (char c in s)
        {
            if (c == '.')
            {
                if (dot)
                {
                    return false;
                }

                dot = true;
            }
            else if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            else
            {
                dot = false;
            }
        }

        return s.Contains('.', StringComparison.Ordinal);
    }

    /// <summary>SHA-256 helper used by tests and diff code: upper-case hex of SHA-256 over bytes.</summary>
    /// <param name="data">Bytes to hash.</param>
    /// <returns>64 upper-case hex digits.</returns>
    internal static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));
}
