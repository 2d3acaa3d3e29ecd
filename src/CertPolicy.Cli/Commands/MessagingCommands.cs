using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Messaging;
using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy pgp</c> (R-G1, R-G3, R-C10), <c>certpolicy container</c> (R-G2) and <c>certpolicy smime</c>
/// (R-G1, R-G2, R-E1, R-C10). Parses
/// arguments, reads the file, calls <c>CertPolicy.Messaging</c> and renders the result; the clock
/// is read here (default for <c>--at</c>), never in the library.
/// </summary>
internal static class MessagingCommands
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        root.Subcommands.Add(PgpCommand(stdout, stderr));
        root.Subcommands.Add(ContainerCommand(stdout, stderr));
        root.Subcommands.Add(SmimeCommand(stdout, stderr));
    }

    private static Command SmimeCommand(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "The partner's S/MIME certificate: a .p7b/.p7c container (DER or PEM), a PEM bundle or one DER/PEM certificate; the end-entity certificate is the leaf, the rest are intermediates." };
        var domain = new Option<string>("--domain") { Description = "The partner's mail domain the certificate must be bound to (R-G1).", Required = true };
        var address = new Option<string?>("--address") { Description = "One mailbox in the domain that must be bound (a user certificate, R-E1)." };
        var profile = new Option<string?>("--profile") { Description = "postfix-secure (chain, EKU, names), partner-2026 (default: plus R-C10 floors and e-mail distrust-after) or document-2019 (plus: no mailbox-validated certificates, R-C4)." };
        var roots = new Option<string?>("--roots") { Description = "PEM file of anchors (trusted for e-mail) that replaces the curated trust store." };
        var at = new Option<string?>("--at") { Description = "Evaluation time, ISO 8601 (default: now)." };
        var horizon = new Option<int>("--warn-days", "--expiry-warning-days") { Description = "Warn when a certificate of the chain expires, or the anchor's e-mail distrust-after date falls, within this many days (default 30; 0: never).", DefaultValueFactory = _ => 30 };
        var sign = new Option<bool>("--signing") { Description = "Also require the key usage for signatures (digitalSignature); encryption is always required." };

        var command = new Command("smime", "Check a partner's S/MIME certificate (user or domain) for gateway encryption (exit 0 acceptable, 1 not, 2 unusable input).");
        command.Arguments.Add(file);
        command.Options.Add(domain);
        command.Options.Add(address);
        command.Options.Add(profile);
        command.Options.Add(roots);
        command.Options.Add(at);
        command.Options.Add(horizon);
        command.Options.Add(sign);
        var format = FormatOption.AddTo(command, sarif: true);
        command.SetAction(parseResult =>
        {
            if (!format.TryGet(parseResult, "certpolicy smime", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            string path = parseResult.GetValue(file)!;
            string dom = parseResult.GetValue(domain)!.Trim();
            if (dom.Length == 0 || dom.Contains('@', StringComparison.Ordinal) || dom.Contains(' ', StringComparison.Ordinal))
            {
                stderr.WriteLine("certpolicy smime: --domain: '" + dom + "' is not a mail domain");
                return ExitCodes.Unusable;
            }

            string? addr = parseResult.GetValue(address);
            if (addr is not null)
            {
                int atSign = addr.IndexOf('@', StringComparison.Ordinal);
                if (atSign <= 0 || atSign != addr.LastIndexOf('@') || !string.Equals(addr[(atSign + 1)..], dom, StringComparison.OrdinalIgnoreCase))
                {
                    stderr.WriteLine("certpolicy smime: --address: '" + addr + "' is not a mailbox in " + dom);
                    return ExitCodes.Unusable;
                }
            }

            string profileName = parseResult.GetValue(profile) ?? ValidationProfile.Partner2026.Name;
            if (!ValidationProfile.TryGet(profileName, out ValidationProfile? chosen))
            {
                stderr.WriteLine("certpolicy smime: --profile: '" + profileName + "' is not postfix-secure, document-2019 or partner-2026");
                return ExitCodes.Unusable;
            }

            string? atText = parseResult.GetValue(at);
            if (!CliTime.TryParseOrNow(atText, out DateTimeOffset when))
            {
                stderr.WriteLine("certpolicy smime: --at '" + atText + "' is not an ISO 8601 time (e.g. 2026-11-28T12:00:00Z)");
                return ExitCodes.Unusable;
            }

            int days = parseResult.GetValue(horizon);
            if (days is < 0 or > 3650)
            {
                stderr.WriteLine("certpolicy smime: --warn-days must be between 0 and 3650");
                return ExitCodes.Unusable;
            }

            if (!TryLoadEmailTrust(parseResult.GetValue(roots), when, stderr, out TrustStore? store))
            {
                return ExitCodes.Unusable;
            }

            if (!TryReadFile(path, stderr, out byte[] data))
            {
                return ExitCodes.Unusable;
            }

            if (!CertificateContainerReader.TryRead(data, out CertificateContainer? container, out ContainerReadError? error))
            {
                stderr.WriteLine(path + ": " + error!.Message);
                return ExitCodes.Unusable;
            }

            if (container!.Certificates.Count == 0)
            {
                stderr.WriteLine(path + ": the container holds no certificate");
                return ExitCodes.Unusable;
            }

            var request = new SmimeRequest
            {
                Domain = dom,
                Address = addr,
                Time = when,
                Profile = chosen!,
                Usage = parseResult.GetValue(sign) ? SmimeUsage.Encryption | SmimeUsage.Signing : SmimeUsage.Encryption,
                ExpiryWarningDays = days,
                RefuseMailboxValidated = ReferenceEquals(chosen, ValidationProfile.Document2019),
            };
            return Guarded(path, stderr, () =>
            {
                var ders = new List<ReadOnlyMemory<byte>>(container.Certificates.Count);
                foreach (ContainerCertificate c in container.Certificates)
                {
                    ders.Add(c.RawData);
                }

                SmimeReport report = SmimeCertificateEvaluator.Evaluate(new ChainValidator(store!), ders, request);
                if (report.InputUnusable)
                {
                    stderr.WriteLine(path + ": " + (report.Findings.Count > 0 ? report.Findings[0].Message : "no end-entity certificate"));
                    return ExitCodes.Unusable;
                }

                if (fmt == OutputFormat.Json)
                {
                    stdout.WriteLine(SmimeJson(path, report));
                }
                else if (fmt == OutputFormat.Sarif)
                {
                    WriteFindingsSarif(stdout, path, report.Findings);
                }
                else
                {
                    WriteSmimeText(stdout, path, report);
                }

                return report.IsAcceptable ? ExitCodes.Ok : ExitCodes.Findings;
            });
        });
        return command;
    }

    // The curated store (anchors whose manifest purposes include e-mail), or --roots anchors trusted for e-mail only.
    private static bool TryLoadEmailTrust(string? roots, DateTimeOffset when, TextWriter stderr, out TrustStore? store)
    {
        store = null;
        if (roots is null)
        {
            var manifest = TrustManifestLoader.LoadEmbedded(when);
            if (!manifest.IsUsable)
            {
                stderr.WriteLine(TrustManifestLoader.EmbeddedName + ": the embedded trust manifest has errors (run certpolicy trust check)");
                return false;
            }

            store = new TrustStore(manifest);
            return true;
        }

        if (!CliFiles.TryReadCertificates(roots, CliFiles.MaxCertificatesPerFile, out var anchors, out var rootsError))
        {
            stderr.WriteLine(rootsError);
            return false;
        }

        var list = new List<CustomAnchor>(anchors.Count);
        foreach (var c in anchors)
        {
            list.Add(new CustomAnchor(c, [], Purposes: RootPurposes.Email));
        }

        if (!CustomTrust.TryCreate(list, out store, out var trustError))
        {
            stderr.WriteLine(roots + ": " + trustError);
            return false;
        }

        return true;
    }

    private static void WriteSmimeText(TextWriter o, string path, SmimeReport report)
    {
        o.WriteLine(path + ": " + (report.IsAcceptable ? "acceptable" : "NOT acceptable") + " (profile " + report.Profile + ", evaluated at " + Iso(report.EvaluatedAt) + ")");
        o.WriteLine("leaf:      " + report.LeafSubject);
        o.WriteLine("sha256:    " + report.LeafSha256);
        if (report.NotAfter is { } na)
        {
            o.WriteLine("expires:   " + Iso(na));
        }

        o.WriteLine("bound by:  " + (report.MatchedName ?? "-") + (report.IsDomainCertificate ? " (domain certificate)" : string.Empty));
        o.WriteLine("policy:    " + (report.ValidationType == SmimeValidationType.None ? "no CA/B Forum S/MIME policy" : report.ValidationType + ", " + report.Generation));
        foreach (ChainElement e in report.Chain)
        {
            o.WriteLine("  [" + e.Depth.ToString(CultureInfo.InvariantCulture) + "] " + e.Subject + (e.IsAnchor ? "  (anchor)" : string.Empty));
        }

        foreach (MessagingFinding f in report.Findings)
        {
            o.WriteLine((f.Severity == FindingSeverity.Error ? "ERROR   " : "WARNING ") + f.Code + " [" + f.RuleId + "] " + f.Message);
        }
    }

    private static string SmimeJson(string path, SmimeReport report)
    {
        return Json(w =>
        {
            w.WriteString("file", path);
            w.WriteBoolean("acceptable", report.IsAcceptable);
            w.WriteString("profile", report.Profile);
            w.WriteString("evaluatedAt", Iso(report.EvaluatedAt));
            w.WriteString("leafSubject", report.LeafSubject);
            w.WriteString("leafSha256", report.LeafSha256);
            w.WriteString("notAfter", report.NotAfter is { } na ? Iso(na) : null);
            w.WriteString("matchedName", report.MatchedName);
            w.WriteBoolean("domainCertificate", report.IsDomainCertificate);
            w.WriteString("validationType", report.ValidationType.ToString());
            w.WriteString("generation", report.Generation.ToString());
            CertPolicy.Cli.Commands.Json.WriteChain(w, report.Chain);
            WriteFindings(w, report.Findings);
        });
    }

    private static Command PgpCommand(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "OpenPGP public key, ASCII-armored or binary." };
        var fingerprint = new Option<string>("--fingerprint")
        {
            Description = "The published fingerprint or key ID (R-G3), in any common spelling: \"4C23B19F 8CA3BCB3 ...\", 0x87381923.",
            Required = true,
        };
        var domain = new Option<string?>("--domain") { Description = "Partner mail domain: a valid user ID must have an address there (R-G1)." };
        var at = new Option<string?>("--at") { Description = "Evaluation time, ISO 8601 (default: now)." };
        var minRsa = new Option<int>("--min-rsa-bits") { Description = "RSA/DSA/ElGamal floor in bits (R-C10).", DefaultValueFactory = _ => 2048 };
        var allowSha1 = new Option<bool>("--allow-sha1") { Description = "Accept SHA-1 self-signatures (the 2019 document's keys use them; R-C10 refuses them by default)." };

        var command = new Command("pgp", "Check an OpenPGP public key against a published fingerprint and the key floors (exit 0 acceptable, 1 not, 2 unusable input).");
        command.Arguments.Add(file);
        command.Options.Add(fingerprint);
        command.Options.Add(domain);
        command.Options.Add(at);
        command.Options.Add(minRsa);
        command.Options.Add(allowSha1);
        var format = FormatOption.AddTo(command, sarif: true);
        command.SetAction(parseResult =>
        {
            if (!format.TryGet(parseResult, "certpolicy pgp", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            string path = parseResult.GetValue(file)!;
            if (!PublishedKeyIdentifier.TryParse(parseResult.GetValue(fingerprint), out PublishedKeyIdentifier published, out string? idError))
            {
                stderr.WriteLine("certpolicy pgp: --fingerprint: " + idError);
                return ExitCodes.Unusable;
            }

            string? atText = parseResult.GetValue(at);
            if (!CliTime.TryParseOrNow(atText, out DateTimeOffset when))
            {
                stderr.WriteLine("certpolicy pgp: --at '" + atText + "' is not an ISO 8601 time (e.g. 2026-11-28T12:00:00Z)");
                return ExitCodes.Unusable;
            }

            int floor = parseResult.GetValue(minRsa);
            if (floor is < 1 or > 16384)
            {
                stderr.WriteLine("certpolicy pgp: --min-rsa-bits must be between 1 and 16384");
                return ExitCodes.Unusable;
            }

            if (!TryReadFile(path, stderr, out byte[] data))
            {
                return ExitCodes.Unusable;
            }

            if (!OpenPgpKeyReader.TryRead(data, out IReadOnlyList<OpenPgpCertificate> keys, out OpenPgpReadError? readError))
            {
                stderr.WriteLine(path + ": " + readError!.Message);
                return ExitCodes.Unusable;
            }

            // The library fails closed and does not throw on data; this guard only keeps a bug from
            // reaching System.CommandLine's default handler, which prints a stack trace and exits 1.
            return Guarded(path, stderr, () => Report(parseResult, fmt, path, keys, published, when, floor));
        });
        return command;

        int Report(ParseResult parseResult, OutputFormat fmt, string path, IReadOnlyList<OpenPgpCertificate> keys, PublishedKeyIdentifier published, DateTimeOffset when, int floor)
        {
            var policy = new OpenPgpKeyPolicy { MinRsaBits = floor, AllowSha1SelfSignatures = parseResult.GetValue(allowSha1) };
            OpenPgpKeyReport report = OpenPgpKeyEvaluator.Evaluate(keys, published, when, parseResult.GetValue(domain), policy);
            if (fmt == OutputFormat.Json)
            {
                stdout.WriteLine(PgpJson(path, report));
            }
            else if (fmt == OutputFormat.Sarif)
            {
                WriteFindingsSarif(stdout, path, report.Findings);
            }
            else
            {
                WritePgpText(stdout, path, report);
            }

            return report.IsAcceptable ? ExitCodes.Ok : ExitCodes.Findings;
        }
    }

    private static int Guarded(string path, TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            stderr.WriteLine(path + ": internal error: the input could not be processed (this is a bug in certpolicy; please report it with the input)");
            return ExitCodes.Unusable;
        }
    }

    private static Command ContainerCommand(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "A .p7b/.p7c (DER or PEM), a PEM bundle, or one DER/PEM certificate." };
        var command = new Command("container", "List the certificates a PKCS#7 or PEM container holds (exit 0, or 2 for unusable input).");
        command.Arguments.Add(file);
        var format = FormatOption.AddTo(command, sarif: false);
        command.SetAction(parseResult =>
        {
            if (!format.TryGet(parseResult, "certpolicy container", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            string path = parseResult.GetValue(file)!;
            if (!TryReadFile(path, stderr, out byte[] data))
            {
                return ExitCodes.Unusable;
            }

            if (!CertificateContainerReader.TryRead(data, out CertificateContainer? container, out ContainerReadError? error))
            {
                stderr.WriteLine(path + ": " + error!.Message);
                return ExitCodes.Unusable;
            }

            if (fmt == OutputFormat.Json)
            {
                stdout.WriteLine(ContainerJson(path, container!));
            }
            else
            {
                WriteContainerText(stdout, path, container!);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // The one bounded reader (CliFiles: never trusts a reported length, "-" is stdin), then the OpenPGP input limit.
    private static bool TryReadFile(string path, TextWriter stderr, out byte[] data)
    {
        if (!CliFiles.TryReadBytes(path, out data, out var error))
        {
            stderr.WriteLine(error);
            return false;
        }

        if (data.Length > OpenPgpKeyReader.MaxInputBytes)
        {
            stderr.WriteLine(path + ": the file is " + data.Length.ToString(CultureInfo.InvariantCulture) + " bytes; the limit is "
                + OpenPgpKeyReader.MaxInputBytes.ToString(CultureInfo.InvariantCulture));
            data = [];
            return false;
        }

        return true;
    }

    private static void WritePgpText(TextWriter o, string path, OpenPgpKeyReport report)
    {
        o.WriteLine(path + ": " + (report.IsAcceptable ? "acceptable" : "NOT acceptable") + " (published " + report.Published
            + ", evaluated at " + Iso(report.EvaluatedAt) + ")");
        foreach (OpenPgpCertificate c in report.Certificates)
        {
            bool matched = ReferenceEquals(c, report.MatchedCertificate);
            o.WriteLine((matched ? "* key " : "  key ") + Group(c.Fingerprint) + (matched ? "  (matches the published value)" : string.Empty));
            WriteKeyLine(o, "primary", c.Primary, report);
            foreach (string uid in c.UserIds)
            {
                o.WriteLine("    user ID  " + uid);
            }

            foreach (OpenPgpKeyInfo s in c.Subkeys)
            {
                WriteKeyLine(o, "subkey ", s, report);
            }
        }

        if (report.ExpiresAt is { } exp)
        {
            o.WriteLine("expires: " + Iso(exp));
        }

        foreach (MessagingFinding f in report.Findings)
        {
            o.WriteLine((f.Severity == FindingSeverity.Error ? "ERROR   " : "WARNING ") + f.Code + " [" + f.RuleId + "] " + f.Message);
        }
    }

    private static void WriteKeyLine(TextWriter o, string label, OpenPgpKeyInfo k, OpenPgpKeyReport report)
    {
        o.WriteLine("    " + label + "  " + k.KeyIdHex + " v" + k.Version.ToString(CultureInfo.InvariantCulture) + " " + k.AlgorithmName
            + (k.Curve is null ? string.Empty : " " + k.Curve) + " " + k.Bits.ToString(CultureInfo.InvariantCulture) + " bits, created " + Iso(k.CreationTime)
            + (ReferenceEquals(k, report.EncryptionKey) ? "  [encryption key]" : string.Empty));
    }

    private static void WriteContainerText(TextWriter o, string path, CertificateContainer container)
    {
        o.WriteLine(path + ": " + FormatName(container.Format) + ", " + container.Certificates.Count.ToString(CultureInfo.InvariantCulture) + " certificate(s)");
        int i = 0;
        foreach (ContainerCertificate c in container.Certificates)
        {
            i++;
            o.WriteLine("[" + i.ToString(CultureInfo.InvariantCulture) + "] " + c.Role + (c.IsSelfIssued ? " (self-issued)" : string.Empty)
                + (c.PathLengthConstraint is { } pl ? " pathLen=" + pl.ToString(CultureInfo.InvariantCulture) : string.Empty));
            o.WriteLine("    subject " + c.Subject);
            o.WriteLine("    issuer  " + c.Issuer);
            o.WriteLine("    valid   " + Iso(c.NotBefore) + " .. " + Iso(c.NotAfter));
            o.WriteLine("    sha256  " + c.Sha256);
        }

        foreach (string note in container.Notes)
        {
            o.WriteLine("note: " + note);
        }
    }

    private static string PgpJson(string path, OpenPgpKeyReport report)
    {
        return Json(w =>
        {
            w.WriteString("file", path);
            w.WriteBoolean("acceptable", report.IsAcceptable);
            w.WriteString("evaluatedAt", Iso(report.EvaluatedAt));
            w.WriteString("published", report.Published.Hex);
            w.WriteString("publishedKind", report.Published.Kind.ToString());
            w.WriteString("matchedFingerprint", report.MatchedCertificate?.Fingerprint);
            w.WriteString("matchedKey", report.MatchedKey?.Fingerprint);
            w.WriteString("encryptionKey", report.EncryptionKey?.Fingerprint);
            w.WriteString("expiresAt", report.ExpiresAt is { } e ? Iso(e) : null);
            w.WriteStartArray("keys");
            foreach (OpenPgpCertificate c in report.Certificates)
            {
                w.WriteStartObject();
                WriteKeyJson(w, c.Primary);
                w.WriteStartArray("userIds");
                foreach (string uid in c.UserIds)
                {
                    w.WriteStringValue(uid);
                }

                w.WriteEndArray();
                w.WriteStartArray("subkeys");
                foreach (OpenPgpKeyInfo s in c.Subkeys)
                {
                    w.WriteStartObject();
                    WriteKeyJson(w, s);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            WriteFindings(w, report.Findings);
        });
    }

    private static void WriteFindings(Utf8JsonWriter w, IEnumerable<MessagingFinding> findings)
    {
        w.WriteStartArray("findings");
        foreach (MessagingFinding f in findings)
        {
            w.WriteStartObject();
            w.WriteString("code", f.Code);
            w.WriteString("rule", f.RuleId);
            w.WriteString("severity", f.Severity == FindingSeverity.Error ? "error" : "warning");
            w.WriteString("message", f.Message);
            w.WriteString("subject", f.Subject);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    // smime and pgp --format sarif: one result per finding (error fails the check, warning does not).
    private static void WriteFindingsSarif(TextWriter stdout, string path, IEnumerable<MessagingFinding> findings)
    {
        var results = new List<SarifResult>();
        foreach (MessagingFinding f in findings)
        {
            results.Add(new SarifResult(f.RuleId, f.Severity == FindingSeverity.Error ? "error" : "warning", f.Message, f.Code, path));
        }

        Sarif.Write(stdout, results);
    }

    private static void WriteKeyJson(Utf8JsonWriter w, OpenPgpKeyInfo k)
    {
        w.WriteString("fingerprint", k.Fingerprint);
        w.WriteString("keyId", k.KeyIdHex);
        w.WriteNumber("version", k.Version);
        w.WriteString("algorithm", k.AlgorithmName);
        w.WriteNumber("algorithmId", k.AlgorithmId);
        w.WriteNumber("bits", k.Bits);
        w.WriteString("curve", k.Curve);
        w.WriteString("created", Iso(k.CreationTime));
    }

    private static string ContainerJson(string path, CertificateContainer container)
    {
        return Json(w =>
        {
            w.WriteString("file", path);
            w.WriteString("format", container.Format.ToString());
            w.WriteStartArray("certificates");
            foreach (ContainerCertificate c in container.Certificates)
            {
                w.WriteStartObject();
                w.WriteString("role", c.Role);
                w.WriteBoolean("ca", c.IsCertificateAuthority);
                w.WriteBoolean("basicConstraints", c.HasBasicConstraints);
                if (c.PathLengthConstraint is { } pl)
                {
                    w.WriteNumber("pathLength", pl);
                }
                else
                {
                    w.WriteNull("pathLength");
                }

                w.WriteString("subject", c.Subject);
                w.WriteString("issuer", c.Issuer);
                w.WriteBoolean("selfIssued", c.IsSelfIssued);
                w.WriteString("serial", c.SerialNumberHex);
                w.WriteString("notBefore", Iso(c.NotBefore));
                w.WriteString("notAfter", Iso(c.NotAfter));
                w.WriteString("sha256", c.Sha256);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("notes");
            foreach (string n in container.Notes)
            {
                w.WriteStringValue(n);
            }

            w.WriteEndArray();
        });
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        // Relaxed escaping: the output is read by people and JSON tools, never embedded in HTML, so
        // user IDs keep their '<' and '>' instead of \u003C.
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string FormatName(ContainerFormat f) => f switch
    {
        ContainerFormat.Pkcs7Der => "PKCS#7 (DER)",
        ContainerFormat.Pkcs7Pem => "PKCS#7 (PEM)",
        ContainerFormat.PemBundle => "PEM bundle",
        _ => "DER certificate",
    };

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Group(string hex)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < hex.Length; i += 4)
        {
            sb.Append(i == 0 ? string.Empty : " ").Append(hex.AsSpan(i, Math.Min(4, hex.Length - i)));
        }

        return sb.ToString();
    }
}
