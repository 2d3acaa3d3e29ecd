using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Names;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy conformance limbo FILE.json [--exceptions FILE]</c>: runs x509-limbo cases through the chain validator
/// under a strict profile (<see cref="LimboProfile"/>: path validation, the R-C10 key floors and the R-C11
/// certificate-profile rules, without the partner assurance rules, because limbo leaves name no organisation and
/// assert no policy and limbo anchors are not curated). The case's roots are the only anchors; the validation kind
/// chooses the EKU (SERVER serverAuth, CLIENT clientAuth) unless the case lists its own; every expected peer name is
/// checked with Postfix's <c>hostname</c> strategy; <c>max_chain_depth</c>, <c>key_usage</c>,
/// <c>signature_algorithms</c> and <c>validation_time</c> are honoured. A case whose feature is not implemented
/// (RFC822 peer names, CRLs until R-C12 checking exists, EKUs other than serverAuth/clientAuth/any, name forms our
/// name-constraint checker refuses as unimplemented, signature algorithms it cannot verify) is counted as unsupported,
/// never as agreement. Every disagreement must be in the exceptions file with expected, actual and reason; a listed
/// case that agrees again or is unsupported is reported as stale. Exit 0 when both lists are clean, 1 otherwise, 2 for
/// unusable input.
/// </summary>
internal static class ConformanceCommand
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE.json") { Description = "An x509-limbo test-case file (limbo.json)." };
        var exceptions = new Option<string?>("--exceptions") { Description = "JSON list of {id, expected, actual, reason} for deliberate disagreements." };
        var verbose = new Option<bool>("--verbose") { Description = "Print every case, not only disagreements and unsupported cases." };
        var now = new Option<string?>("--now") { Description = "The time used for cases whose validation_time is null (ISO 8601); default: the clock. Tests fix it." };
        var limbo = new Command("limbo", "Run the x509-limbo conformance cases (exit 0 when every disagreement is listed and no listed case agrees).") { file, exceptions, verbose, now };
        var format = FormatOption.AddTo(limbo, sarif: false);
        limbo.SetAction(r =>
        {
            if (!format.TryGet(r, "certpolicy conformance limbo", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            var nowText = r.GetValue(now);
            if (!CliTime.TryParseOrNow(nowText, out DateTimeOffset clock))
            {
                stderr.WriteLine("certpolicy conformance limbo: --now: '" + nowText + "' is not an ISO 8601 date/time");
                return ExitCodes.Unusable;
            }

            return Run(r.GetValue(file)!, r.GetValue(exceptions), r.GetValue(verbose), clock, fmt, stdout, stderr);
        });
        var conformance = new Command("conformance", "Conformance suites.") { limbo };
        root.Subcommands.Add(conformance);
    }

    /// <summary>
    /// The strict profile for limbo: chain, R-C10 key and signature floors and the R-C11 certificate-profile rules;
    /// no assurance, distrust or annex rules (limbo leaves have no O and no policy OIDs, its anchors are not curated).
    /// </summary>
    internal static readonly ValidationProfile LimboProfile = new()
    {
        Name = "limbo-strict",
        CheckKeyStrength = true,
        MinimumRsaBits = 2048,
        MinimumEcBits = 256,
        CheckCertificateProfile = true,
    };

    private sealed record Listed(string Expected, string Actual, string Reason);

    private enum Outcome
    {
        Success,
        Failure,
        Unsupported,
    }

    // One reported case for --format json (docs/schemas/conformance-limbo.schema.json).
    private sealed record CaseLine(string Id, string Result, string? Expected, string? Actual, string? Detail);

    private static int Run(string path, string? exceptionsPath, bool verbose, DateTimeOffset now, OutputFormat fmt, TextWriter stdout, TextWriter stderr)
    {
        if (!CliFiles.TryReadBytes(path, out var bytes, out var err))
        {
            stderr.WriteLine(err);
            return ExitCodes.Unusable;
        }

        var listed = new Dictionary<string, Listed>(StringComparer.Ordinal);
        if (exceptionsPath is not null && !TryReadExceptions(exceptionsPath, listed, stderr))
        {
            return ExitCodes.Unusable;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            // file:line:col in words; the parser's own message names .NET internals.
            stderr.WriteLine(path + ":" + ((ex.LineNumber ?? 0) + 1).ToString(CultureInfo.InvariantCulture) + ":" + ((ex.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture) + ": not valid JSON");
            return ExitCodes.Unusable;
        }

        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("testcases", out var cases) || cases.ValueKind != JsonValueKind.Array)
            {
                stderr.WriteLine(path + ": no \"testcases\" array");
                return ExitCodes.Unusable;
            }

            int total = 0, agree = 0, listedHits = 0, unexpected = 0, unsupported = 0;
            var report = new List<CaseLine>();
            void Line(string text, CaseLine c)
            {
                if (fmt == OutputFormat.Json)
                {
                    report.Add(c);
                }
                else
                {
                    stdout.WriteLine(text);
                }
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in cases.EnumerateArray())
            {
                string id, expected;
                Outcome outcome;
                string detail;
                try
                {
                    id = c.GetProperty("id").GetString() ?? "?";
                    expected = c.GetProperty("expected_result").GetString() ?? "?";
                    outcome = RunCase(c, now, out detail);
                }
                catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    stderr.WriteLine(path + ": case " + total.ToString(CultureInfo.InvariantCulture) + " does not follow the limbo schema (id, expected_result and the certificates must be strings)");
                    return ExitCodes.Unusable;
                }

                seen.Add(id);
                total++;
                if (outcome == Outcome.Unsupported)
                {
                    unsupported++;
                    Line(id + ": unsupported: " + detail, new(id, "unsupported", expected, null, detail));
                    if (listed.ContainsKey(id))
                    {
                        unexpected++;
                        Line(id + ": STALE exception: the case is unsupported, not decided", new(id, "stale", expected, null, "the case is unsupported, not decided"));
                    }

                    continue;
                }

                string actual = outcome == Outcome.Success ? "SUCCESS" : "FAILURE";
                if (actual == expected)
                {
                    agree++;
                    if (listed.ContainsKey(id))
                    {
                        unexpected++;
                        Line(id + ": STALE exception: now agrees (" + expected + ")", new(id, "stale", expected, actual, "now agrees"));
                    }
                    else if (verbose)
                    {
                        Line(id + ": ok " + actual, new(id, "ok", expected, actual, null));
                    }

                    continue;
                }

                if (listed.TryGetValue(id, out var l) && l.Expected == expected && l.Actual == actual)
                {
                    listedHits++;
                    Line(id + ": listed: expected " + expected + ", actual " + actual + " (" + l.Reason + ")", new(id, "listed", expected, actual, l.Reason));
                }
                else
                {
                    unexpected++;
                    Line(id + ": UNEXPECTED: expected " + expected + ", actual " + actual + ": " + detail, new(id, "unexpected", expected, actual, detail));
                }
            }

            foreach (var id in listed.Keys)
            {
                if (!seen.Contains(id))
                {
                    unexpected++;
                    Line(id + ": STALE exception: no such case", new(id, "stale", null, null, "no such case"));
                }
            }

            if (fmt == OutputFormat.Json)
            {
                WriteJson(stdout, path, total, agree, listedHits, unexpected, unsupported, report);
                return unexpected == 0 ? ExitCodes.Ok : ExitCodes.Findings;
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"limbo ({LimboProfile.Name}): {total} cases, {agree} agree ({agree * 100.0 / Math.Max(1, total):0.0}%), {listedHits} listed disagreements, {unexpected} unexpected, {unsupported} unsupported"));
            return unexpected == 0 ? ExitCodes.Ok : ExitCodes.Findings;
        }
    }

    private static void WriteJson(TextWriter stdout, string path, int total, int agree, int listed, int unexpected, int unsupported, List<CaseLine> cases) => Json.Write(stdout, w =>
    {
        w.WriteStartObject();
        w.WriteString("file", path);
        w.WriteString("profile", LimboProfile.Name);
        w.WriteString("verdict", unexpected == 0 ? "pass" : "fail");
        w.WriteNumber("total", total);
        w.WriteNumber("agree", agree);
        w.WriteNumber("listed", listed);
        w.WriteNumber("unexpected", unexpected);
        w.WriteNumber("unsupported", unsupported);
        w.WriteStartArray("cases");
        foreach (var c in cases)
        {
            w.WriteStartObject();
            w.WriteString("id", c.Id);
            w.WriteString("result", c.Result);
            if (c.Expected is not null)
            {
                w.WriteString("expected", c.Expected);
            }

            if (c.Actual is not null)
            {
                w.WriteString("actual", c.Actual);
            }

            if (c.Detail is not null)
            {
                w.WriteString("detail", c.Detail);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    // One case: Success or Failure as our validator decides it, or Unsupported (with the missing feature in detail).
    private static Outcome RunCase(JsonElement c, DateTimeOffset now, out string detail)
    {
        detail = string.Empty;

        // validation_kind and extended_key_usage. An empty or absent list means the kind's usage: every upstream
        // harness (webpki, pyca/cryptography, Go) requires serverAuth for a SERVER case without a list.
        string kind = c.GetProperty("validation_kind").GetString() ?? string.Empty;
        RequiredEku eku;
        switch (kind)
        {
            case "SERVER":
                eku = RequiredEku.ServerAuth;
                break;
            case "CLIENT":
                eku = RequiredEku.ClientAuth;
                break;
            default:
                detail = "validation_kind " + kind;
                return Outcome.Unsupported;
        }

        if (NonEmptyArray(c, "extended_key_usage") is { } ekus && !TryReadEku(ekus, out eku, out detail))
        {
            return Outcome.Unsupported;
        }

        // expected_peer_name / expected_peer_names: DNS and IP are checked (Postfix 'hostname'), RFC822 is not.
        var names = new List<string>();
        if (c.TryGetProperty("expected_peer_name", out var pn) && pn.ValueKind == JsonValueKind.Object && !TryAddPeerName(pn, names, out detail))
        {
            return Outcome.Unsupported;
        }

        if (NonEmptyArray(c, "expected_peer_names") is { } pns)
        {
            foreach (var n in pns.EnumerateArray())
            {
                if (!TryAddPeerName(n, names, out detail))
                {
                    return Outcome.Unsupported;
                }
            }
        }

        // crls: checked by the validator (R-C12, RevocationChecker); an unreadable CRL fails closed, as in the library.
        var crls = new List<ReadOnlyMemory<byte>>();
        if (NonEmptyArray(c, "crls") is { } crlArray)
        {
            foreach (var crl in crlArray.EnumerateArray())
            {
                if (!CertPolicy.X509.CrlReader.TryRead(Encoding.UTF8.GetBytes(crl.GetString() ?? string.Empty), out var crlDers, out var crlError))
                {
                    detail = "revocation.crl-malformed: a CRL is unreadable (" + crlError + ")";
                    return Outcome.Failure;
                }

                crls.AddRange(crlDers.Select(d => new ReadOnlyMemory<byte>(d)));
            }
        }

        var anchors = new List<ReadOnlyMemory<byte>>();
        foreach (var pem in c.GetProperty("trusted_certs").EnumerateArray())
        {
            if (!CertPolicy.X509.CertificateChainReader.TryRead(Encoding.UTF8.GetBytes(pem.GetString() ?? string.Empty), out var ders, out var e))
            {
                detail = "root unreadable: " + e;
                return Outcome.Failure;
            }

            foreach (var d in ders)
            {
                anchors.Add(d);
            }
        }

        var chainPem = new StringBuilder(c.GetProperty("peer_certificate").GetString());
        foreach (var pem in c.GetProperty("untrusted_intermediates").EnumerateArray())
        {
            chainPem.Append('\n').Append(pem.GetString());
        }

        if (!CertPolicy.X509.CertificateChainReader.TryRead(Encoding.UTF8.GetBytes(chainPem.ToString()), out var presentedDers, out var chainError))
        {
            detail = "chain unreadable: " + chainError;
            return Outcome.Failure;
        }

        var presented = new List<ReadOnlyMemory<byte>>(presentedDers.Count);
        foreach (var d in presentedDers)
        {
            presented.Add(d);
        }

        DateTimeOffset time = now; // limbo: null means "now"
        if (c.TryGetProperty("validation_time", out var t) && t.ValueKind == JsonValueKind.String)
        {
            time = DateTimeOffset.Parse(t.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        }

        if (!CustomTrust.TryCreate(anchors, [], null, null, out var store, out var trustError))
        {
            // An anchor our reader refuses: nothing can chain to it.
            detail = "anchor refused: " + trustError;
            return Outcome.Failure;
        }

        var validator = new ChainValidator(store!);
        MatchList.TryParse("hostname", out var list, out _);

        // No expected name: the chain alone is judged (the name check's verdict is ignored).
        string first = names.Count > 0 ? names[0] : "invalid.";
        var report = validator.Explain(presented, Request(first, eku, time, crls, list!));
        var reasons = report.Verdict.Reasons;
        if (names.Count == 0)
        {
            reasons &= ~VerdictReasons.NameMismatch;
        }

        if (reasons != VerdictReasons.None)
        {
            if (Unimplemented(report, anchors, presented, out detail))
            {
                return Outcome.Unsupported;
            }

            detail = report.Findings.Count == 0 ? "no finding" : report.Findings[0].Code + ": " + report.Findings[0].Message;
            return Outcome.Failure;
        }

        for (int i = 1; i < names.Count; i++)
        {
            var more = validator.Explain(presented, Request(names[i], eku, time, crls, list!));
            if (!more.Verdict.IsCompliant)
            {
                detail = "expected peer name " + names[i] + ": " + (more.Findings.Count == 0 ? "no finding" : more.Findings[0].Code);
                return Outcome.Failure;
            }
        }

        if (c.TryGetProperty("max_chain_depth", out var depth) && depth.ValueKind == JsonValueKind.Number && LogicalIntermediates(report) > depth.GetInt32())
        {
            detail = "chain deeper than max_chain_depth";
            return Outcome.Failure;
        }

        if (NonEmptyArray(c, "key_usage") is { } kus && !LeafKeyUsageAllows(presented[0], kus, out detail))
        {
            return detail.Length == 0 ? Outcome.Failure : Outcome.Unsupported;
        }

        if (NonEmptyArray(c, "signature_algorithms") is { } algs && !SignaturesAllowed(report, presented, algs, out detail))
        {
            return Outcome.Failure;
        }

        return Outcome.Success;
    }

    private static ValidationRequest Request(string name, RequiredEku eku, DateTimeOffset time, List<ReadOnlyMemory<byte>> crls, MatchList list) => new()
    {
        Profile = LimboProfile,
        Time = time,
        NextHop = name,
        MxHost = name,
        MatchList = list,
        RequiredEku = eku,
        Crls = crls,
    };

    private static JsonElement? NonEmptyArray(JsonElement c, string property) =>
        c.TryGetProperty(property, out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 ? a : null;

    // Every listed EKU is required. anyExtendedKeyUsage asks for no particular usage (as in Go's harness, where
    // ExtKeyUsageAny accepts every chain's EKU); any other usage is not checked by the validator: unsupported.
    private static bool TryReadEku(JsonElement list, out RequiredEku eku, out string detail)
    {
        eku = RequiredEku.None;
        detail = string.Empty;
        foreach (var e in list.EnumerateArray())
        {
            switch (e.GetString())
            {
                case "serverAuth" or "1.3.6.1.5.5.7.3.1":
                    eku |= RequiredEku.ServerAuth;
                    break;
                case "clientAuth" or "1.3.6.1.5.5.7.3.2":
                    eku |= RequiredEku.ClientAuth;
                    break;
                case "anyExtendedKeyUsage" or "2.5.29.37.0":
                    break;
                default:
                    detail = "extended key usage " + e.GetString() + " (only serverAuth and clientAuth are checked)";
                    return false;
            }
        }

        return true;
    }

    private static bool TryAddPeerName(JsonElement name, List<string> names, out string detail)
    {
        string kind = name.GetProperty("kind").GetString() ?? string.Empty;
        string value = name.GetProperty("value").GetString() ?? string.Empty;
        if (kind is "DNS" or "IP")
        {
            names.Add(value);
            detail = string.Empty;
            return true;
        }

        detail = "peer name of kind " + kind + " (only DNS names and IP addresses are checked)";
        return false;
    }

    // A refusal that only says our validator lacks the feature (name forms it does not constrain, a signature
    // algorithm it cannot verify under an RSA or Ed25519 key: RSASSA-PSS, EdDSA) is no verdict on the case:
    // unsupported, never counted as agreement. A signature by a DSA or other key is a refusal on purpose (R-C10 allows
    // RSA and EC keys only), so it stays a verdict.
    private static bool Unimplemented(ValidationReport report, List<ReadOnlyMemory<byte>> anchors, List<ReadOnlyMemory<byte>> presented, out string detail)
    {
        foreach (var f in report.Findings)
        {
            if (f.Code == "chain.name-constraints-unsupported")
            {
                detail = "name constraints on a name form the checker does not implement (" + f.Message + ")";
                return true;
            }

            if (f.Code == "chain.bad-signature")
            {
                foreach (var der in presented)
                {
                    if (CertificateView.TryParse(der, out var v, out _) && v.SignatureAlgorithm == SignatureAlgorithm.Unknown && SignedByRsaOrEd25519(v, anchors, presented))
                    {
                        detail = "a presented certificate is signed with an algorithm the validator does not verify (RSASSA-PSS or EdDSA)";
                        return true;
                    }
                }
            }
        }

        detail = string.Empty;
        return false;
    }

    private static bool SignedByRsaOrEd25519(in CertificateView child, List<ReadOnlyMemory<byte>> anchors, List<ReadOnlyMemory<byte>> presented)
    {
        foreach (var list in new[] { anchors, presented })
        {
            foreach (var der in list)
            {
                if (CertificateView.TryParse(der, out var issuer, out _) && issuer.SubjectDer.SequenceEqual(child.IssuerDer)
                    && issuer.KeyAlgorithm is KeyAlgorithm.Rsa or KeyAlgorithm.Ed25519)
                {
                    return true;
                }
            }
        }

        return false;
    }

    // key_usage: the leaf's keyUsage, when present, must assert every listed usage (RFC 5280 4.2.1.3; absent = any).
    // detail stays empty on a plain refusal and names the usage when it is not one RFC 5280 defines.
    private static bool LeafKeyUsageAllows(ReadOnlyMemory<byte> leaf, JsonElement usages, out string detail)
    {
        detail = string.Empty;
        if (!CertificateView.TryParse(leaf, out var v, out _))
        {
            return false;
        }

        foreach (var u in usages.EnumerateArray())
        {
            KeyUsages bit = u.GetString() switch
            {
                "digitalSignature" => KeyUsages.DigitalSignature,
                "contentCommitment" => KeyUsages.NonRepudiation,
                "keyEncipherment" => KeyUsages.KeyEncipherment,
                "dataEncipherment" => KeyUsages.DataEncipherment,
                "keyAgreement" => KeyUsages.KeyAgreement,
                "keyCertSign" => KeyUsages.KeyCertSign,
                "cRLSign" => KeyUsages.CrlSign,
                "encipher_only" => KeyUsages.EncipherOnly,
                "decipher_only" => KeyUsages.DecipherOnly,
                _ => KeyUsages.None,
            };
            if (bit == KeyUsages.None)
            {
                detail = "key usage " + u.GetString();
                return false;
            }

            if (v.HasKeyUsage && (v.KeyUsage & bit) == 0)
            {
                return false;
            }
        }

        return true;
    }

    // signature_algorithms: every signature the path verified (each certificate below the anchor) uses a listed one.
    private static bool SignaturesAllowed(ValidationReport report, List<ReadOnlyMemory<byte>> presented, JsonElement algorithms, out string detail)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in algorithms.EnumerateArray())
        {
            allowed.Add(a.GetString() ?? string.Empty);
        }

        foreach (var element in report.Chain)
        {
            if (element.IsAnchor)
            {
                continue;
            }

            foreach (var der in presented)
            {
                if (!Convert.ToHexString(SHA256.HashData(der.Span)).Equals(element.Sha256, StringComparison.OrdinalIgnoreCase)
                    || !CertificateView.TryParse(der, out var v, out _))
                {
                    continue;
                }

                string name = LimboName(v.SignatureAlgorithm);
                if (!allowed.Contains(name))
                {
                    detail = "certificate " + element.Depth.ToString(CultureInfo.InvariantCulture) + " is signed with " + name + ", not in signature_algorithms";
                    return false;
                }
            }
        }

        detail = string.Empty;
        return true;
    }

    private static string LimboName(SignatureAlgorithm a) => a switch
    {
        SignatureAlgorithm.RsaPkcs1Md5 => "RSA_WITH_MD5",
        SignatureAlgorithm.RsaPkcs1Sha1 => "RSA_WITH_SHA1",
        SignatureAlgorithm.RsaPkcs1Sha256 => "RSA_WITH_SHA256",
        SignatureAlgorithm.RsaPkcs1Sha384 => "RSA_WITH_SHA384",
        SignatureAlgorithm.RsaPkcs1Sha512 => "RSA_WITH_SHA512",
        SignatureAlgorithm.EcdsaSha1 => "ECDSA_WITH_SHA1",
        SignatureAlgorithm.EcdsaSha256 => "ECDSA_WITH_SHA256",
        SignatureAlgorithm.EcdsaSha384 => "ECDSA_WITH_SHA384",
        SignatureAlgorithm.EcdsaSha512 => "ECDSA_WITH_SHA512",
        _ => "an algorithm the validator does not verify",
    };

    // Intermediates that are not self-issued (limbo's "logical" intermediates): element i is self-issued when its
    // subject equals the subject of its issuer, element i + 1.
    private static int LogicalIntermediates(ValidationReport report)
    {
        int n = 0;
        for (int i = 1; i < report.Chain.Count - 1; i++)
        {
            if (!string.Equals(report.Chain[i].Subject, report.Chain[i + 1].Subject, StringComparison.Ordinal))
            {
                n++;
            }
        }

        return n;
    }

    private static bool TryReadExceptions(string path, Dictionary<string, Listed> listed, TextWriter stderr)
    {
        if (!CliFiles.TryReadBytes(path, out var bytes, out var err))
        {
            stderr.WriteLine(err);
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                string id = e.GetProperty("id").GetString()!;
                string reason = e.GetProperty("reason").GetString() ?? string.Empty;
                if (reason.Length == 0)
                {
                    stderr.WriteLine(path + ": " + id + ": an exception needs a reason");
                    return false;
                }

                listed[id] = new Listed(e.GetProperty("expected").GetString()!, e.GetProperty("actual").GetString()!, reason);
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            stderr.WriteLine(path + ": not a list of {id, expected, actual, reason} (each a string)");
            return false;
        }
    }
}
