using System.Globalization;
using System.Text;
using CertPolicy.IO;

namespace CertPolicy.Trust;

/// <summary>One root as a source store (system directory or Mozilla certdata.txt) has it.</summary>
public sealed class SourceRoot
{
    /// <summary>SHA-256 of the DER, upper-case hex.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Label (NSS label, or file name for a directory source).</summary>
    public required string Label { get; init; }

    /// <summary>True when the source carries trust bits and distrust-after dates (certdata.txt); false for a plain directory.</summary>
    public bool HasTrustInfo { get; init; }

    /// <summary>Trusted as a TLS server anchor (a directory source is assumed to trust everything it holds for TLS).</summary>
    public bool TlsTrusted { get; init; }

    /// <summary>Trusted as an e-mail anchor (only known with trust info).</summary>
    public bool EmailTrusted { get; init; }

    /// <summary><c>CKA_NSS_SERVER_DISTRUST_AFTER</c>, if any.</summary>
    public DateTimeOffset? ServerDistrustAfter { get; init; }

    /// <summary><c>CKA_NSS_EMAIL_DISTRUST_AFTER</c>, if any.</summary>
    public DateTimeOffset? EmailDistrustAfter { get; init; }
}

/// <summary>A source store to compare the manifest with: a directory of PEM/CRT files or a Mozilla certdata.txt.</summary>
public sealed class SourceStore
{
    internal SourceStore(string name, IReadOnlyList<SourceRoot> roots, IReadOnlyList<ManifestDiagnostic> diagnostics)
    {
        Name = name;
        Roots = roots;
        Diagnostics = diagnostics;
    }

    /// <summary>The path the caller gave.</summary>
    public string Name { get; }

    /// <summary>Roots, one per distinct SHA-256.</summary>
    public IReadOnlyList<SourceRoot> Roots { get; }

    /// <summary>Errors: unreadable input, malformed certdata objects. Skipped non-certificate files in a directory are not errors.</summary>
    internal IReadOnlyList<ManifestDiagnostic> Diagnostics { get; }

    /// <summary>True when there is no error.</summary>
    public bool IsUsable => Diagnostics.Count == 0;

    /// <summary>
    /// Loads a source from a path: a directory (every regular file or symlink holding PEM or DER certificates, e.g.
    /// <c>/etc/ssl/certs</c>), or a file, read as certdata.txt when it contains <c>CKA_CLASS</c>, otherwise as PEM/DER.
    /// </summary>
    /// <param name="path">Directory or file path.</param>
    /// <returns>The source; unreadable input yields a store with an error.</returns>
    public static SourceStore Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            if (Directory.Exists(path))
            {
                return LoadDirectory(path);
            }

            // IO/BoundedFile (issue 14): a device, FIFO or socket is refused by type; a file is read under the cap.
            if (!BoundedFile.TryRead(path, BoundedFile.MaxBytes, out byte[] bytes, out string why))
            {
                return Fail(path, "cannot read source: " + why);
            }

            string text = Encoding.UTF8.GetString(bytes);
            if (text.Contains("CKA_CLASS", StringComparison.Ordinal))
            {
                return ParseCertdata(text, path);
            }

            var roots = new Dictionary<string, SourceRoot>(StringComparer.Ordinal);
            if (!RootCertificate.TryReadPemOrDer(bytes, out var certs, out var error))
            {
                return Fail(path, "not a certificate file or certdata.txt: " + error);
            }

            foreach (var c in certs)
            {
                roots.TryAdd(c.Sha256Hex, Plain(c, Path.GetFileName(path)));
            }

            return new SourceStore(path, Sorted(roots), []);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return Fail(path, "cannot read source: " + ex.Message);
        }
    }

    private static SourceStore Fail(string path, string message) =>
        new(path, [], [new ManifestDiagnostic(DiagnosticSeverity.Error, "SOURCE-IO", "syntax", new SourcePosition(path, 1, 1), message)]);

    private static SourceRoot Plain(RootCertificate c, string label) => new()
    {
        Sha256 = c.Sha256Hex,
        Label = c.Subject.Length > 0 ? c.Subject : label,
        HasTrustInfo = false,
        TlsTrusted = true,
    };

    private static List<SourceRoot> Sorted(Dictionary<string, SourceRoot> roots)
    {
        var list = new List<SourceRoot>(roots.Values);
        list.Sort(static (a, b) => string.CompareOrdinal(a.Sha256, b.Sha256));
        return list;
    }

    /// <summary>Largest certificate file read from a source directory (a CA bundle is about 200 KB).</summary>
    internal const long MaxFileBytes = 4L * 1024 * 1024;

    private static SourceStore LoadDirectory(string path)
    {
        var roots = new Dictionary<string, SourceRoot>(StringComparer.Ordinal);
        var files = Directory.GetFiles(path);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var f in files)
        {
            // Dangling symlinks, unreadable entries, FIFOs, devices and files over the cap are not certificates to compare.
            if (!BoundedFile.TryRead(f, MaxFileBytes, out byte[] bytes, out _) || !RootCertificate.TryReadPemOrDer(bytes, out var certs, out _))
            {
                continue;
            }

            foreach (var c in certs)
            {
                roots.TryAdd(c.Sha256Hex, Plain(c, Path.GetFileName(f)));
            }
        }

        return new SourceStore(path, Sorted(roots), []);
    }

    /// <summary>
    /// Parses Mozilla NSS <c>certdata.txt</c>: CKO_CERTIFICATE objects (CKA_VALUE, CKA_NSS_SERVER_DISTRUST_AFTER,
    /// CKA_NSS_EMAIL_DISTRUST_AFTER) and CKO_NSS_TRUST objects (CKA_TRUST_SERVER_AUTH, CKA_TRUST_EMAIL_PROTECTION),
    /// matched by CKA_CERT_SHA1_HASH (or issuer + serial). A trust object without its certificate is an error.
    /// </summary>
    /// <param name="text">The file text.</param>
    /// <param name="name">Name used in diagnostics.</param>
    /// <returns>The source store.</returns>
    public static SourceStore ParseCertdata(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        var diags = new List<ManifestDiagnostic>();
        var objects = new List<(int Line, Dictionary<string, (string Type, string Value, byte[]? Octal)> Attrs)>();
        Dictionary<string, (string, string, byte[]?)>? cur = null;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            string t = line.Trim();
            if (t.Length == 0 || t[0] == '#' || t == "BEGINDATA" || t.StartsWith("CVS_ID", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = t.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !parts[0].StartsWith("CKA_", StringComparison.Ordinal))
            {
                diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, "SOURCE-SYNTAX", "syntax", new SourcePosition(name, i + 1, 1), "expected 'CKA_NAME TYPE VALUE'"));
                continue;
            }

            if (parts[0] == "CKA_CLASS")
            {
                cur = new Dictionary<string, (string, string, byte[]?)>(StringComparer.Ordinal);
                objects.Add((i + 1, cur));
            }

            if (cur is null)
            {
                diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, "SOURCE-SYNTAX", "syntax", new SourcePosition(name, i + 1, 1), "attribute before the first CKA_CLASS"));
                continue;
            }

            if (parts[1] == "MULTILINE_OCTAL")
            {
                var bytes = new List<byte>();
                int start = i + 1;
                i++;
                while (i < lines.Length && lines[i].Trim() != "END")
                {
                    var oct = lines[i].Trim();
                    int k = 0;
                    while (k < oct.Length)
                    {
                        if (oct[k] != '\\' || !IsOctal(oct, k + 1))
                        {
                            diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, "SOURCE-SYNTAX", "syntax", new SourcePosition(name, i + 1, k + 1), "bad octal escape in MULTILINE_OCTAL"));
                            return new SourceStore(name, [], diags);
                        }

                        bytes.Add((byte)(((oct[k + 1] - '0') << 6) | ((oct[k + 2] - '0') << 3) | (oct[k + 3] - '0')));
                        k += 4;
                    }

                    i++;
                }

                if (i >= lines.Length)
                {
                    diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, "SOURCE-SYNTAX", "syntax", new SourcePosition(name, start, 1), "MULTILINE_OCTAL without END"));
                    return new SourceStore(name, [], diags);
                }

                cur[parts[0]] = (parts[1], "", bytes.ToArray());
            }
            else
            {
                cur[parts[0]] = (parts[1], parts.Length > 2 ? parts[2] : "", null);
            }
        }

        var certs = new Dictionary<string, (RootCertificate Cert, string Label, DateTimeOffset? Server, DateTimeOffset? Email, int Line)>(StringComparer.Ordinal);
        var bySha1 = new Dictionary<string, string>(StringComparer.Ordinal);
        var byIssuerSerial = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, a) in objects)
        {
            if (!a.TryGetValue("CKA_CLASS", out var cls) || cls.Item2 != "CKO_CERTIFICATE")
            {
                continue;
            }

            if (!a.TryGetValue("CKA_VALUE", out var v) || v.Item3 is null || !RootCertificate.TryParse(v.Item3, out var cert, out var err))
            {
                diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, "SOURCE-CERT", "syntax", new SourcePosition(name, line, 1), "certificate object without a readable CKA_VALUE"));
                continue;
            }

            _ = err;
            string label = a.TryGetValue("CKA_LABEL", out var l) ? l.Item2.Trim('"') : cert!.Subject;
            if (!TryDistrust(a, "CKA_NSS_SERVER_DISTRUST_AFTER", out var server) || !TryDistrust(a, "CKA_NSS_EMAIL_DISTRUST_AFTER", out var email))
            {
                diags.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, "SOURCE-VALUE", "syntax", new SourcePosition(name, line, 1), "distrust-after of \"" + label + "\" is not a UTCTime (YYMMDDHHMMSSZ)"));
                continue;
            }

            certs[cert!.Sha256Hex] = (cert, label, server, email, line);
            bySha1[Convert.ToHexString(cert.Sha1.Span)] = cert.Sha256Hex;
            byIssuerSerial[IssuerSerialKey(cert.IssuerDer.Span, SerialDer(cert))] = cert.Sha256Hex;
        }

        var trust = new Dictionary<string, (bool Tls, bool Email)>(StringComparer.Ordinal);
        foreach (var (line, a) in objects)
        {
            if (!a.TryGetValue("CKA_CLASS", out var cls) || cls.Item2 != "CKO_NSS_TRUST")
            {
                continue;
            }

            string? sha256 = null;
            if (a.TryGetValue("CKA_CERT_SHA1_HASH", out var h) && h.Item3 is not null)
            {
                bySha1.TryGetValue(Convert.ToHexString(h.Item3), out sha256);
            }

            if (sha256 is null && a.TryGetValue("CKA_ISSUER", out var iss) && iss.Item3 is not null && a.TryGetValue("CKA_SERIAL_NUMBER", out var ser) && ser.Item3 is not null)
            {
                byIssuerSerial.TryGetValue(IssuerSerialKey(iss.Item3, ser.Item3), out sha256);
            }

            if (sha256 is null)
            {
                // NSS also has trust objects for explicitly distrusted certificates that are not shipped as
                // certificates; they carry no root to compare, so they are skipped.
                continue;
            }

            bool tls = a.TryGetValue("CKA_TRUST_SERVER_AUTH", out var sa) && sa.Item2 == "CKT_NSS_TRUSTED_DELEGATOR";
            bool em = a.TryGetValue("CKA_TRUST_EMAIL_PROTECTION", out var ep) && ep.Item2 == "CKT_NSS_TRUSTED_DELEGATOR";
            trust[sha256] = (tls, em);
        }

        var roots = new Dictionary<string, SourceRoot>(StringComparer.Ordinal);
        foreach (var (sha, c) in certs)
        {
            trust.TryGetValue(sha, out var tr);
            roots[sha] = new SourceRoot
            {
                Sha256 = sha,
                Label = c.Label,
                HasTrustInfo = true,
                TlsTrusted = tr.Tls,
                EmailTrusted = tr.Email,
                ServerDistrustAfter = c.Server,
                EmailDistrustAfter = c.Email,
            };
        }

        return new SourceStore(name, Sorted(roots), diags);
    }

    private static bool IsOctal(string s, int k) =>
        k + 2 < s.Length && s[k] is >= '0' and <= '3' && s[k + 1] is >= '0' and <= '7' && s[k + 2] is >= '0' and <= '7';

    private static byte[] SerialDer(RootCertificate c)
    {
        // certdata stores CKA_SERIAL_NUMBER as the DER INTEGER (tag, length, contents).
        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        w.WriteInteger(c.SerialNumber.Span);
        return w.Encode();
    }

    private static string IssuerSerialKey(ReadOnlySpan<byte> issuer, ReadOnlySpan<byte> serial) =>
        Convert.ToHexString(issuer) + "/" + Convert.ToHexString(serial);

    private static bool TryDistrust(Dictionary<string, (string Type, string Value, byte[]? Octal)> a, string key, out DateTimeOffset? value)
    {
        value = null;
        if (!a.TryGetValue(key, out var v) || v.Type == "CK_BBOOL")
        {
            return true;
        }

        if (v.Octal is null)
        {
            return false;
        }

        string s = Encoding.ASCII.GetString(v.Octal);
        if (DateTimeOffset.TryParseExact(s, "yyMMddHHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
        {
            value = d;
            return true;
        }

        return false;
    }
}
