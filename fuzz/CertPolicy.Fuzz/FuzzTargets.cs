using System.Security.Cryptography;
using System.Runtime.CompilerServices;
using CertPolicy.Evaluation;
using CertPolicy.Messaging;
using CertPolicy.Monitoring;
using CertPolicy.Names;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tls;
using CertPolicy.Trust;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Fuzz;

/// <summary>An invariant of a fuzz target does not hold for one input. AFL sees it as a crash.</summary>
public sealed class FuzzInvariantException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzInvariantException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that broke the invariant.</summary>
    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The fuzz targets: each decodes one input, calls the library and throws <see cref="FuzzInvariantException"/>
/// when an invariant does not hold (fuzz/README.md lists them). Compiled by the AFL harness (Program.cs) and by
/// tests/CertPolicy.Tests (FuzzCorpusTests), which runs every target over the committed corpus.
/// </summary>
public sealed class FuzzTargets
{
    // The fixed judging time of the chain fixtures (the leaf is valid 2026-01-01 .. 2027-01-01).
    private static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly byte[] _root;
    private readonly byte[] _intermediate;
    private readonly byte[] _leaf;
    private readonly ChainValidator _validator;
    private readonly ValidationRequest _request = new() { Time = At, NextHop = "example.com", Profile = ValidationProfile.Partner2026 };

    /// <summary>Loads the chain fixtures (root.der, intermediate.der, leaf.der) from <paramref name="fixturesDirectory"/>.</summary>
    /// <param name="fixturesDirectory">fuzz/fixtures, or its copy in the build output.</param>
    public FuzzTargets(string fixturesDirectory)
    {
        _root = File.ReadAllBytes(Path.Combine(fixturesDirectory, "root.der"));
        _intermediate = File.ReadAllBytes(Path.Combine(fixturesDirectory, "intermediate.der"));
        _leaf = File.ReadAllBytes(Path.Combine(fixturesDirectory, "leaf.der"));
        if (!CustomTrust.TryCreate([new CustomAnchor(_root, [])], out var store, out var error))
        {
            throw new InvalidOperationException("fuzz fixture root unusable: " + error);
        }

        _validator = new ChainValidator(store!);
    }

    /// <summary>The target names, in the order of fuzz/README.md.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["der", "names", "chain-reader", "policy", "tls", "pgp", "container", "manifest", "log", "chain-validator",
            "pgp-eval", "smime-eval", "compiled-policy", "smtp-reply", "crl", "pem"];

    /// <summary>Runs target <paramref name="name"/> over one input.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="input">The input bytes.</param>
    public void Run(string name, ReadOnlySpan<byte> input)
    {
        try
        {
            switch (name)
            {
                case "der": Der(input); break;
                case "names": CertNames(input); break;
                case "chain-reader": ChainReader(input); break;
                case "policy": Policy(Text(input)); break;
                case "tls": Tls(Text(input)); break;
                case "pgp": Pgp(input); break;
                case "container": Container(input); break;
                case "manifest": Manifest(Text(input)); break;
                case "log": Log(Text(input)); break;
                case "chain-validator": ChainValidatorTarget(input); break;
                case "pgp-eval": PgpEval(input); break;
                case "smime-eval": SmimeEval(input); break;
                case "compiled-policy": CompiledPolicyTarget(input); break;
                case "smtp-reply": SmtpReply(input); break;
                case "crl": Crl(input); break;
                case "pem": Pem(input); break;
                default: throw new ArgumentException("unknown fuzz target '" + name + "'", nameof(name));
            }
        }
        catch (Exception ex) when (ex is not FuzzInvariantException and not ArgumentException { ParamName: nameof(name) })
        {
            throw new FuzzInvariantException(name + ": the library threw " + ex.GetType().Name + ": " + ex.Message, ex);
        }
    }

    private static string Text(ReadOnlySpan<byte> input) => Encoding.UTF8.GetString(input);

    private static void Check(bool condition, string message, [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(message + " (" + expression + ")");
        }
    }

    // X509/CertificateView.TryParse: never throws; success and error agree; every raw span lies inside the input.
    private static void Der(ReadOnlySpan<byte> input)
    {
        byte[] der = input.ToArray();
        bool ok = CertificateView.TryParse(der, out var view, out var error);
        Check(ok == (error == CertificateError.None), "TryParse result and error disagree");
        Check(ok == view.IsValid, "TryParse result and view validity disagree");
        if (!ok)
        {
            return;
        }

        int total = view.TbsDer.Length + view.SerialNumber.Length + view.IssuerDer.Length + view.SubjectDer.Length + view.SpkiDer.Length
            + view.PublicKey.Length + view.Signature.Length + view.CertificatePoliciesContent.Length + view.NameConstraintsContent.Length
            + view.AuthorityKeyIdentifier.Length;
        Check(total >= 0 && view.TbsDer.Length < der.Length, "spans out of the input");
        var policies = new List<string>();
        view.CollectPolicyOids(policies);
        _ = view.AssertsAnyPolicy;
    }

    // Names/CertificateNames.Read: -1 or a count within the destination; every name's bytes lie inside the certificate.
    private static void CertNames(ReadOnlySpan<byte> input)
    {
        var names = new PresentedName[CertificateNames.MaxNames];
        int n = CertificateNames.Read(input, names);
        Check(n >= -1 && n <= names.Length, "count out of range");
        bool located = CertificateNames.TryLocate(input, out var subject, out var san);
        if (n >= 0)
        {
            Check(located, "names read from a certificate that TryLocate refuses");
        }

        if (located)
        {
            _ = subject.GetOffsetAndLength(input.Length);
            _ = san.GetOffsetAndLength(input.Length);
        }

        for (int i = 0; i < n; i++)
        {
            var name = names[i];
            Check(name.Offset >= 0 && name.Length >= 0 && name.Offset + name.Length <= input.Length, "name outside the certificate");
            _ = CertificateNames.Content(input, name);
        }
    }

    // X509/CertificateChainReader.TryRead: success means 1..MaxCertificates DER blobs and no error; failure names an error.
    private static void ChainReader(ReadOnlySpan<byte> input)
    {
        bool ok = CertificateChainReader.TryRead(input, out var certificates, out string? error);
        Check(certificates is not null, "null certificate list");
        if (ok)
        {
            Check(error is null, "success with an error");
            Check(certificates!.Count is >= 1 and <= CertificateChainReader.MaxCertificates, "success with a bad certificate count");
            foreach (var c in certificates)
            {
                Check(c is { Length: > 0 }, "empty certificate");
            }
        }
        else
        {
            Check(!string.IsNullOrEmpty(error), "failure without an error");
        }
    }

    // Policy/PolicyMap.Parse + PolicyLinter.Lint never throw; Format → Parse → Format is a fixed point.
    private static void Policy(string text)
    {
        var parsed = PolicyMap.Parse(text, "fuzz");
        var partners = new List<string>();
        foreach (var e in parsed.Map.Entries)
        {
            partners.Add(e.Key);
            _ = parsed.Map.Lookup(e.Key);
        }

        partners.Add("example.com");
        _ = PolicyLinter.Lint(parsed.Map, partners);
        string once = parsed.Map.Format();
        var reparsed = PolicyMap.Parse(once, "fuzz");
        string twice = reparsed.Map.Format();
        Check(string.Equals(once, twice, StringComparison.Ordinal), "Format → Parse → Format is not stable:\n" + once + "\n---\n" + twice);
        Check(reparsed.Map.Count == parsed.Map.Count, "the formatted map has another entry count");
        for (int i = 0; i < parsed.Map.Count; i++)
        {
            Check(string.Equals(parsed.Map.Entries[i].Key, reparsed.Map.Entries[i].Key, StringComparison.Ordinal), "a key changed in the round trip");
            Check((parsed.Map.Entries[i].Policy is null) == (reparsed.Map.Entries[i].Policy is null), "validity changed in the round trip");
        }
    }

    // Tls/OpenSslCipherString (strict and OpenSSL-compatible) and PostfixProtocols.TryParse: typed results; the
    // evaluator's own catch-all ("internal error", position -1) counts as a bug.
    private static void Tls(string text)
    {
        foreach (var options in new[] { CipherStringOptions.Strict, CipherStringOptions.OpenSslCompatible })
        {
            bool ok = OpenSslCipherString.TryEvaluate(text, options, out var selection, out var error);
            Check(ok == (selection is not null), "result and selection disagree");
            Check(ok || error.Position != -1 || !(error.Message ?? string.Empty).StartsWith("internal error", StringComparison.Ordinal),
                "the cipher-string evaluator failed internally: " + error.Message);
            if (selection is not null)
            {
                _ = selection.Contains(0x1301);
            }
        }

        bool protocolsOk = PostfixProtocols.TryParse(text, out _, out string? protocolError);
        Check(protocolsOk == (protocolError is null), "protocol list result and error disagree");
    }

    // Messaging/OpenPgpKeyReader (armored or binary): typed results; the reader's outermost catch-all counts as a bug.
    private static void Pgp(ReadOnlySpan<byte> input)
    {
        bool ok = OpenPgpKeyReader.TryRead(input, out var keys, out var error);
        Check(keys is not null, "null key list");
        if (ok)
        {
            Check(error is null && keys!.Count > 0, "success without keys or with an error");
        }
        else
        {
            Check(error is not null, "failure without an error");
            Check(!error!.Message.StartsWith("the key data cannot be parsed:", StringComparison.Ordinal), "the OpenPGP reader failed internally: " + error.Message);
        }
    }

    // Messaging/CertificateContainerReader (PKCS#7 DER/PEM, PEM certificates): typed results; its catch-all counts as a bug.
    private static void Container(ReadOnlySpan<byte> input)
    {
        bool ok = CertificateContainerReader.TryRead(input, out var container, out var error);
        if (ok)
        {
            Check(container is not null && error is null && container.Certificates.Count > 0, "success without certificates or with an error");
        }
        else
        {
            Check(container is null && error is not null, "failure without an error");
            Check(!error!.Message.StartsWith("the container cannot be parsed:", StringComparison.Ordinal), "the container reader failed internally: " + error.Message);
        }
    }

    // Trust/TrustManifestLoader.Load: never throws on text; every root file named resolves to the fixture root (PEM),
    // so the loader's certificate checks run too.
    private void Manifest(string text)
    {
        string pem = PemEncoding.WriteString("CERTIFICATE", _root) + "\n";
        byte[] pemBytes = Encoding.ASCII.GetBytes(pem);
        var manifest = TrustManifestLoader.Load(text, "fuzz.cfg", (string relativePath, out byte[]? contents, out string? error) =>
        {
            if (relativePath.EndsWith(".pem", StringComparison.Ordinal))
            {
                contents = pemBytes;
                error = null;
                return true;
            }

            contents = null;
            error = "file not found";
            return false;
        }, At);
        Check(manifest.Diagnostics is not null && manifest.Roots is not null, "null manifest lists");
        _ = manifest.IncludedRoots();
    }

    // Monitoring/PostfixTlsLogScanner: never throws; events come in line order, each on a line that was read.
    private static void Log(string text)
    {
        using var reader = new StringReader(text);
        var scanner = new PostfixTlsLogScanner(reader, new PostfixTlsLogScannerOptions { MaxLineLength = 256 });
        long last = 0;
        while (scanner.TryReadNext(out var e))
        {
            Check(e.LineNumber > last && e.LineNumber <= scanner.LinesRead, "event line numbers out of order");
            last = e.LineNumber;
        }

        foreach (var line in text.Split('\n'))
        {
            _ = PostfixTlsLogScanner.TryParseLine(line, 1, out _);
        }
    }

    // Validation/ChainValidator.Explain on [fuzzed leaf, fixture intermediate] with the fixture root as the only custom
    // anchor: never throws, never fails internally, Evaluate agrees with Explain, and a leaf other than the genuine
    // one is never compliant (fail closed; the fixture keys are not in the repository, so no other leaf can be signed).
    private void ChainValidatorTarget(ReadOnlySpan<byte> input)
    {
        byte[] leaf = input.ToArray();
        IReadOnlyList<ReadOnlyMemory<byte>> chain = [leaf, _intermediate];
        var report = _validator.Explain(chain, _request);
        foreach (var f in report.Findings)
        {
            Check(f.Code != "internal.error", "the validator failed internally: " + f.Message);
        }

        var verdict = _validator.Evaluate(chain, _request);
        Check(verdict == report.Verdict, "Evaluate and Explain disagree: " + verdict.Reasons + " vs " + report.Verdict.Reasons);
        if (report.Verdict.IsCompliant)
        {
            Check(leaf.AsSpan().SequenceEqual(_leaf), "a leaf that is not the genuine one is compliant");
        }
    }

    // Messaging/OpenPgpKeyEvaluator after OpenPgpKeyReader: the published fingerprint is the first key's own, so the
    // evaluator always matches and runs every check. Never fails internally, never throws, and an acceptable key has
    // an encryption key and no error finding; no more signatures are verified than the budget allows.
    private static void PgpEval(ReadOnlySpan<byte> input)
    {
        if (!OpenPgpKeyReader.TryRead(input, out var keys, out _))
        {
            return;
        }

        Check(PublishedKeyIdentifier.TryParse(keys[0].Fingerprint, out var published, out var idError), "the reader's fingerprint does not parse: " + idError);
        var report = OpenPgpKeyEvaluator.Evaluate(keys, published, At, "example.com");
        Check(report.MatchedCertificate is not null, "the key's own fingerprint did not match");
        foreach (var f in report.Findings)
        {
            Check(f.Code != OpenPgpFindingCodes.InternalError, "the OpenPGP evaluator failed internally: " + f.Message);
            Check(f.Message.Length > 0 && !f.Message.Contains("Exception", StringComparison.Ordinal), "a finding names an exception: " + f.Message);
        }

        if (report.IsAcceptable)
        {
            Check(report.EncryptionKey is not null, "an acceptable key without an encryption key");
        }
    }

    // Messaging/SmimeCertificateEvaluator on the certificates of a container (or on the input as one certificate) with
    // the fixture root as the only anchor: never fails internally, and never acceptable (fail closed: the fixtures are
    // TLS certificates, and no other certificate can chain to the root because its keys are not kept).
    private void SmimeEval(ReadOnlySpan<byte> input)
    {
        IReadOnlyList<ReadOnlyMemory<byte>> certificates;
        if (CertificateContainerReader.TryRead(input, out var container, out _))
        {
            var list = new List<ReadOnlyMemory<byte>>();
            foreach (var c in container!.Certificates)
            {
                list.Add(c.RawData);
            }

            certificates = list;
        }
        else
        {
            certificates = [input.ToArray(), _intermediate];
        }

        var report = SmimeCertificateEvaluator.Evaluate(_validator, certificates, new SmimeRequest { Domain = "example.com", Time = At });
        foreach (var f in report.Findings)
        {
            Check(f.Code != SmimeFindingCodes.InternalError, "the S/MIME evaluator failed internally: " + f.Message);
        }

        Check(!report.IsAcceptable, "an S/MIME certificate chaining to the fixture root is acceptable");
    }

    // Evaluation/CompiledPolicy: the input is a policy table, a NUL byte, then a leaf (DER; the genuine fixture leaf when
    // empty). Cold Evaluate (fresh policy), hot Evaluate (cached) and Explain's verdict agree; no internal error; at a
    // level that verifies the peer, a leaf other than the genuine one is never compliant (fail closed).
    private void CompiledPolicyTarget(ReadOnlySpan<byte> input)
    {
        int nul = input.IndexOf((byte)0);
        string table = Text(nul < 0 ? input : input[..nul]);
        byte[] leaf = nul < 0 || nul == input.Length - 1 ? _leaf : input[(nul + 1)..].ToArray();
        var map = PolicyMap.Parse(table, "fuzz").Map;
        string nextHop = map.Count > 0 ? map.Entries[0].Key : "example.com";
        IReadOnlyList<ReadOnlyMemory<byte>> chain = [leaf, _intermediate];
        var policy = new CompiledPolicy([map], _validator, new CompiledPolicyOptions { CacheSize = 4, DefaultLevel = SecurityLevel.Secure });
        var cold = policy.Evaluate(nextHop, "", chain, TlsProtocol.Tls13, 0x1302, At);
        var hot = policy.Evaluate(nextHop, "", chain, TlsProtocol.Tls13, 0x1302, At);
        var report = policy.Explain(nextHop, null, chain, new NegotiatedSession(TlsProtocol.Tls13, 0x1302), At);
        var explained = report.Verdict;
        Check((cold.Failures & ConnectionFailures.InternalError) == 0, "internal error: " + cold.Failures);
        Check(cold == hot, "cold and hot verdicts differ: " + cold.Failures + " vs " + hot.Failures);
        Check(cold == explained, "Evaluate and Explain differ: " + cold.Failures + " vs " + explained.Failures);
        if (cold.IsCompliant && CompiledPolicy.VerifiesPeer(report.Level))
        {
            // At none, may and encrypt the certificate is not judged (Postfix does not verify it): any leaf passes there.
            Check(leaf.AsSpan().SequenceEqual(_leaf), "a leaf that is not the genuine one is compliant at a verifying level");
        }
    }

    // Net/SmtpReplyReader (the probe's reply reader) over the input as the server's bytes, reply after reply: only its
    // own protocol error may escape (the probe turns it into an SMTP error); every reply has one code and at most
    // MaxReplyLines lines, each at most MaxLineLength long; and what the reader has consumed ends right after the LF that
    // ends a reply (the rest stays in Buffered, which the probe discards at STARTTLS: CVE-2011-0411 class).
    private static void SmtpReply(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        using var stream = new MemoryStream(bytes, writable: false);
        var reader = new SmtpReplyReader(stream);
        long consumedBefore = 0;
        while (true)
        {
            SmtpReply? reply;
            try
            {
                reply = reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
            catch (SmtpProtocolException)
            {
                return;
            }

            if (reply is null)
            {
                return;
            }

            var (code, text) = reply.Value;
            long consumed = stream.Position - reader.Buffered;
            Check(code is >= 0 and <= 999, "reply code out of range: " + code);
            Check(consumed > consumedBefore && bytes[consumed - 1] == (byte)'\n', "the reader did not stop right after a line feed");
            consumedBefore = consumed;
            string[] lines = text.Split('\n');
            Check(lines.Length <= SmtpReplyReader.MaxReplyLines, "more reply lines than the limit");
            foreach (string line in lines)
            {
                Check(line.Length <= SmtpReplyReader.MaxLineLength, "a reply line over the limit");
            }
        }
    }

    // X509/CrlReader and CrlView.TryParse, then the chain validator with the input as the only CRL over the genuine
    // fixture chain: typed results; no internal error; Evaluate equals Explain; a CRL whose issuer is the fixture
    // intermediate can never be trusted (its key is not kept), so the chain is then not compliant (fail closed).
    private void Crl(ReadOnlySpan<byte> input)
    {
        bool ok = CrlReader.TryRead(input, out var crls, out string? error);
        Check(ok == (error is null), "reader result and error disagree");
        Check(!ok || crls.Count is >= 1 and <= CrlReader.MaxCrls, "success with a bad CRL count");
        byte[] raw = input.ToArray();
        foreach (var der in ok ? crls : [raw])
        {
            bool parsed = CrlView.TryParse(der, out var view, out var crlError);
            Check(parsed == (crlError == CrlError.None), "TryParse result and error disagree");
            if (parsed)
            {
                Check(view.EntryCount is >= 0 and <= CrlView.MaxEntries, "entry count out of range");
                Check(view.TbsDer.Length < der.Length && view.IssuerDer.Length <= view.TbsDer.Length, "spans out of the CRL");
            }
        }

        IReadOnlyList<ReadOnlyMemory<byte>> chain = [_leaf, _intermediate];
        var request = new ValidationRequest { Time = At, NextHop = "example.com", Profile = ValidationProfile.Partner2026, Crls = [raw] };
        var report = _validator.Explain(chain, request);
        foreach (var f in report.Findings)
        {
            Check(f.Code != "internal.error", "the validator failed internally: " + f.Message);
        }

        var verdict = _validator.Evaluate(chain, request);
        Check(verdict == report.Verdict, "Evaluate and Explain disagree: " + verdict.Reasons + " vs " + report.Verdict.Reasons);
        if (CrlView.TryParse(raw, out var crl, out _) && crl.IssuerDer.SequenceEqual(IntermediateSubject()))
        {
            Check(!report.Verdict.IsCompliant, "a CRL in the intermediate's name that no key signed left the chain compliant");
        }
    }

    private byte[] IntermediateSubject()
    {
        _ = CertificateView.TryParse(_intermediate, out var view, out _);
        return view.SubjectDer.ToArray();
    }

    // X509/PemSplitter.TrySplit: typed results; the work (bytes examined) is linear in the input (the PemSplitterTests
    // bound: 4 per byte plus 64); at most the allowed certificate blocks; blocks in increasing line order.
    private static void Pem(ReadOnlySpan<byte> input)
    {
        const int maxCertificates = 16;
        var blocks = new List<PemBlock>();
        long examined = 0;
        bool ok = PemSplitter.TrySplit(input, maxCertificates, blocks, out PemReadError? error, ref examined);
        Check(ok == (error is null), "result and error disagree");
        Check(examined <= (4L * input.Length) + 64, "examined " + examined + " bytes of " + input.Length + ": not linear");
        int certificates = 0;
        int lastLine = 0;
        foreach (var b in blocks)
        {
            Check(b.Data is not null && b.Label is not null, "a block without data or label");
            Check(b.Line > lastLine, "blocks out of line order");
            lastLine = b.Line;
            certificates += b.IsCertificate ? 1 : 0;
        }

        Check(certificates <= maxCertificates, "more certificate blocks than allowed");
    }
}
