using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CertPolicy.Cli.Output;
using CertPolicy.Tls;

namespace CertPolicy.Cli.Commands;

/// <summary>
/// <c>certpolicy ciphers</c> (what an OpenSSL cipher string selects, in the layout of <c>openssl ciphers -V</c>)
/// and <c>certpolicy tls check</c> (a negotiated protocol and suite against a floor, R-T2..R-T5). Parses
/// arguments, calls <c>CertPolicy.Tls</c>, renders the result.
/// </summary>
internal static class TlsCommands
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        root.Subcommands.Add(CiphersCommand(stdout, stderr));
        var tls = new Command("tls", "Negotiated TLS parameters against the policy floors (R-T2..R-T5).");
        tls.Subcommands.Add(CheckCommand(stdout, stderr));
        root.Subcommands.Add(tls);
    }

    private static Command CiphersCommand(TextWriter stdout, TextWriter stderr)
    {
        var text = new Argument<string>("STRING") { Description = "OpenSSL cipher string, e.g. 'HIGH:!aNULL:!MD5' (use -- before a string that begins with '-')." };
        var verbose = new Option<bool>("-V") { Description = "One line per suite with hex id, name, protocol, Kx, Au, Enc and Mac (as openssl ciphers -V)." };
        var tls12 = new Option<bool>("--tls1_2") { Description = "Only suites usable with TLS 1.2 (no TLS 1.3 suites)." };
        var tls13 = new Option<bool>("--tls1_3") { Description = "Only the TLS 1.3 suites (which cipher strings do not govern)." };
        var strict = new Option<bool>("--strict") { Description = "Refuse unknown words (exit 2). Default: skip them with a warning on stderr, as OpenSSL 3.0 does." };
        var lenient = new Option<bool>("--lenient") { Description = "Accepted for compatibility: skipping unknown words is now the default.", Hidden = true };
        var check = new Option<bool>("--check") { Description = "Judge the whole string against the floor of --profile (R-T2..R-T5): list every suite it selects that the floor refuses (exit 1 if any, 0 if none)." };
        var profile = new Option<string>("--profile")
        {
            Description = "Floor profile for --check: partner-2026 (default), document-2019, postfix-secure.",
            DefaultValueFactory = _ => TlsFloor.Partner2026Name,
        };
        var build = new Option<string>("--build")
        {
            Description = "OpenSSL build to assume: default (a stock 3.0 build), weak (+RC4/3DES), legacy (+IDEA/SEED), full.",
            DefaultValueFactory = _ => "default",
        };
        build.AcceptOnlyFromAmong("default", "weak", "legacy", "full");

        var command = new Command("ciphers", "Show what an OpenSSL 3.0 cipher string selects, in order (exit 0; 2 when nothing is selected or the string is malformed); with --check, judge it against a floor (exit 1 when it selects suites the floor refuses).");
        command.Arguments.Add(text);
        command.Options.Add(verbose);
        command.Options.Add(tls12);
        command.Options.Add(tls13);
        command.Options.Add(strict);
        command.Options.Add(lenient);
        command.Options.Add(check);
        command.Options.Add(profile);
        command.Options.Add(build);
        var format = FormatOption.AddTo(command, sarif: false);
        command.SetAction(parseResult =>
        {
            if (!format.TryGet(parseResult, "certpolicy ciphers", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            string s = parseResult.GetValue(text) ?? string.Empty;
            bool only12 = parseResult.GetValue(tls12);
            bool only13 = parseResult.GetValue(tls13);
            if (only12 && only13)
            {
                stderr.WriteLine("certpolicy ciphers: --tls1_2 and --tls1_3 exclude each other");
                return ExitCodes.Unusable;
            }

            var b = parseResult.GetValue(build) switch
            {
                "weak" => OpenSslBuild.WeakCiphers,
                "legacy" => OpenSslBuild.LegacyProvider,
                "full" => OpenSslBuild.Full,
                _ => OpenSslBuild.Default,
            };
            TlsFloor? floor = null;
            string prof = parseResult.GetValue(profile) ?? TlsFloor.Partner2026Name;
            if (parseResult.GetValue(check) && !TlsFloor.TryGetProfile(prof, out floor))
            {
                stderr.WriteLine("certpolicy ciphers: unknown profile '" + prof + "' (" + string.Join(", ", TlsFloor.ProfileNames) + ")");
                return ExitCodes.Unusable;
            }

            // OpenSSL 3.0 skips words it does not know and fails only when nothing is selected ("no cipher match");
            // --strict refuses them instead.
            var options = new CipherStringOptions { Build = b, RejectUnknownWords = parseResult.GetValue(strict) };
            if (!OpenSslCipherString.TryEvaluate(s, options, out var selection, out var error))
            {
                if (error.Kind == CipherStringErrorKind.NoCipherMatch)
                {
                    WriteIgnoredWords(stderr, s, b);
                }

                stderr.WriteLine("certpolicy ciphers: " + error.Message);
                return ExitCodes.Unusable;
            }

            WriteIgnoredWords(stderr, selection!, b);
            if (floor is not null)
            {
                return Check(s, selection!, floor, fmt == OutputFormat.Json, stdout);
            }

            var rows = new List<int>();
            if (!only12)
            {
                rows.AddRange(selection!.Tls13Rows.ToArray());
            }

            if (!only13)
            {
                foreach (int r in selection!.Rows)
                {
                    if (!only12 || CipherSuiteTable.Row(r).IsValidFor(TlsProtocol.Tls12))
                    {
                        rows.Add(r);
                    }
                }
            }

            if (fmt == OutputFormat.Json)
            {
                stdout.WriteLine(ToJson(s, selection!, rows));
            }
            else if (parseResult.GetValue(verbose))
            {
                foreach (int r in rows)
                {
                    stdout.WriteLine(CipherSuiteTable.FormatOpenSslVerbose(CipherSuiteTable.Row(r)));
                }
            }
            else
            {
                var names = new List<string>(rows.Count);
                foreach (int r in rows)
                {
                    names.Add(CipherSuiteTable.Row(r).DisplayName);
                }

                stdout.WriteLine(string.Join(':', names));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // The words OpenSSL skips, one warning each: unknown words, and suites or aliases this OpenSSL build lacks.
    private static void WriteIgnoredWords(TextWriter stderr, CipherSelection selection, OpenSslBuild build)
    {
        foreach (var w in selection.IgnoredWords)
        {
            bool known = OpenSslCipherString.TryEvaluate(w, new CipherStringOptions { Build = OpenSslBuild.Full }, out _, out var e) || e.Kind != CipherStringErrorKind.UnknownWord;
            stderr.WriteLine(known
                ? "certpolicy ciphers: warning: '" + w + "' selects nothing in this OpenSSL build (" + BuildName(build) + "); skipped, as OpenSSL does"
                : "certpolicy ciphers: warning: '" + w + "' is not a cipher suite or alias OpenSSL 3.0 knows; skipped, as OpenSSL does");
        }
    }

    // When nothing is selected the words skipped explain why: evaluate once more without failing on an empty list.
    private static void WriteIgnoredWords(TextWriter stderr, string cipherString, OpenSslBuild build)
    {
        if (OpenSslCipherString.TryEvaluate(cipherString + ":ALL:COMPLEMENTOFALL", new CipherStringOptions { Build = build, RejectUnknownWords = false }, out var probe, out _))
        {
            WriteIgnoredWords(stderr, probe!, build);
        }
    }

    private static string BuildName(OpenSslBuild build) => build switch
    {
        OpenSslBuild.Default => "a stock OpenSSL 3.0 build",
        OpenSslBuild.WeakCiphers => "--build weak",
        OpenSslBuild.LegacyProvider => "--build legacy",
        _ => "--build full",
    };

    // ciphers STRING --check: R-T2..R-T5 over everything the string selects (TLS <= 1.2; cipher strings do not govern TLS 1.3).
    private static int Check(string cipherString, CipherSelection selection, TlsFloor floor, bool json, TextWriter stdout)
    {
        var refused = CipherStringJudge.Judge(selection, floor);
        int total = selection.Rows.Length;
        if (json)
        {
            Json.Write(stdout, w =>
            {
                w.WriteStartObject();
                w.WriteString("cipherString", cipherString);
                w.WriteString("profile", floor.Name);
                w.WriteNumber("selected", total);
                w.WriteBoolean("acceptable", refused.Count == 0);
                w.WriteStartArray("refused");
                foreach (var r in refused)
                {
                    ref readonly var info = ref CipherSuiteTable.Row(r.Row);
                    w.WriteStartObject();
                    w.WriteString("id", string.Create(CultureInfo.InvariantCulture, $"0x{info.Id >> 8:X2},0x{info.Id & 0xFF:X2}"));
                    w.WriteString("name", info.DisplayName);
                    w.WriteString("iana", info.IanaName);
                    w.WriteString("protocol", TlsProtocols.ToOpenSslName(r.Protocol));
                    w.WriteStartArray("findings");
                    foreach (var flag in Flags(r.Failures))
                    {
                        w.WriteStartObject();
                        w.WriteString("code", TlsFloor.CodeOf(flag));
                        w.WriteString("rule", TlsFloor.RuleId(flag));
                        w.WriteString("message", floor.Describe(flag, r.Protocol, info.Id));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else
        {
            string n = total.ToString(CultureInfo.InvariantCulture);
            stdout.WriteLine(refused.Count == 0
                ? "acceptable: all " + n + " suites the string selects meet profile " + floor.Name + " (TLS 1.3 suites are not governed by cipher strings)"
                : "not acceptable: " + refused.Count.ToString(CultureInfo.InvariantCulture) + " of " + n + " suites the string selects are below profile " + floor.Name + ":");
            foreach (var r in refused)
            {
                ref readonly var info = ref CipherSuiteTable.Row(r.Row);
                var parts = new List<string>();
                foreach (var flag in Flags(r.Failures))
                {
                    parts.Add(TlsFloor.RuleId(flag) + ": " + floor.Describe(flag, r.Protocol, info.Id));
                }

                stdout.WriteLine("  " + info.DisplayName + " (" + TlsProtocols.ToOpenSslName(r.Protocol) + "): " + string.Join("; ", parts));
            }
        }

        return refused.Count == 0 ? ExitCodes.Ok : ExitCodes.Findings;
    }

    private static IEnumerable<TlsFloorFailures> Flags(TlsFloorFailures failures)
    {
        for (int b = 0; b < 16; b++)
        {
            var flag = (TlsFloorFailures)(1 << b);
            if ((failures & flag) != 0)
            {
                yield return flag;
            }
        }
    }

    private static string ToJson(string cipherString, CipherSelection selection, List<int> rows)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("cipherString", cipherString);
            if (selection.SecurityLevel >= 0)
            {
                w.WriteNumber("securityLevel", selection.SecurityLevel);
            }

            w.WriteStartArray("suites");
            foreach (int r in rows)
            {
                ref readonly var s = ref CipherSuiteTable.Row(r);
                w.WriteStartObject();
                w.WriteString("id", string.Create(CultureInfo.InvariantCulture, $"0x{s.Id >> 8:X2},0x{s.Id & 0xFF:X2}"));
                w.WriteString("name", s.DisplayName);
                w.WriteString("iana", s.IanaName);
                w.WriteString("protocol", TlsProtocols.ToOpenSslName(s.MinProtocol));
                w.WriteString("kx", CipherSuiteTable.KxName(s.KeyExchange));
                w.WriteString("au", CipherSuiteTable.AuName(s.Authentication));
                w.WriteString("enc", CipherSuiteTable.EncName(s.Cipher, s.KeyBits));
                w.WriteString("mac", CipherSuiteTable.MacName(s.Mac));
                w.WriteNumber("strengthBits", s.StrengthBits);
                w.WriteStartArray("aliases");
                foreach (var a in OpenSslCipherString.AliasesOf(s))
                {
                    w.WriteStringValue(a);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    // tls check --format json (docs/schemas/tls-check.schema.json); each floor line is "R-Tn: message".
    private static void WriteCheckJson(TextWriter stdout, string protocol, in CipherSuiteInfo suite, string profile, IReadOnlyList<string> findings)
    {
        string id = string.Create(CultureInfo.InvariantCulture, $"0x{suite.Id >> 8:X2},0x{suite.Id & 0xFF:X2}");
        string name = suite.DisplayName;
        string iana = suite.IanaName;
        Json.Write(stdout, w =>
        {
            w.WriteStartObject();
            w.WriteString("verdict", findings.Count == 0 ? "pass" : "fail");
            w.WriteString("protocol", protocol);
            w.WriteString("cipher", name);
            w.WriteString("iana", iana);
            w.WriteString("id", id);
            w.WriteString("profile", profile);
            w.WriteStartArray("findings");
            foreach (var f in findings)
            {
                int colon = f.IndexOf(": ", StringComparison.Ordinal);
                w.WriteStartObject();
                w.WriteString("rule", colon > 0 ? f[..colon] : "R-T5");
                w.WriteString("message", colon > 0 ? f[(colon + 2)..] : f);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static Command CheckCommand(TextWriter stdout, TextWriter stderr)
    {
        var protocol = new Option<string>("--protocol") { Description = "Negotiated protocol as OpenSSL spells it: SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3.", Required = true };
        var cipher = new Option<string>("--cipher") { Description = "Negotiated suite: OpenSSL or IANA name, or code point 0xC0,0x30.", Required = true };
        var grade = new Option<string?>("--grade") { Description = "Postfix cipher grade (export, low, medium, high, null) replacing the profile's grade, as ciphers= in tls_policy." };
        var protocols = new Option<string?>("--protocols") { Description = "Postfix protocols= list replacing the profile's protocols, e.g. '>=TLSv1.2' or '!SSLv2:!SSLv3:!TLSv1'." };
        var exclude = new Option<string?>("--exclude") { Description = "Postfix exclude= list (e.g. '3DES:SHA1'), applied to the grade." };
        var profile = new Option<string>("--profile")
        {
            Description = "Floor profile: partner-2026 (default; TLS 1.2 + 1.3), document-2019 (TLS 1.2 only), postfix-secure.",
            DefaultValueFactory = _ => TlsFloor.Partner2026Name,
        };

        var command = new Command("check", "Check a negotiated (protocol, cipher suite) pair (exit 0 acceptable, 1 not, 2 unknown name).");
        command.Options.Add(protocol);
        command.Options.Add(cipher);
        command.Options.Add(grade);
        command.Options.Add(protocols);
        command.Options.Add(exclude);
        command.Options.Add(profile);
        var format = FormatOption.AddTo(command, sarif: false);
        command.SetAction(parseResult =>
        {
            if (!format.TryGet(parseResult, "certpolicy tls check", stderr, out var fmt))
            {
                return ExitCodes.Unusable;
            }

            string p = parseResult.GetValue(protocol) ?? string.Empty;
            string c = parseResult.GetValue(cipher) ?? string.Empty;
            string prof = parseResult.GetValue(profile) ?? TlsFloor.Partner2026Name;
            if (!TlsProtocols.TryParse(p, out var proto))
            {
                stderr.WriteLine("certpolicy tls check: unknown protocol '" + p + "' (use SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)");
                return ExitCodes.Unusable;
            }

            if (!CipherSuiteTable.TryFind(c, out int row))
            {
                stderr.WriteLine("certpolicy tls check: unknown cipher suite '" + c + "' (an OpenSSL or IANA name, or 0xHH,0xHH)");
                return ExitCodes.Unusable;
            }

            if (!TlsFloor.TryGetProfile(prof, out var floor))
            {
                stderr.WriteLine("certpolicy tls check: unknown profile '" + prof + "' (" + string.Join(", ", TlsFloor.ProfileNames) + ")");
                return ExitCodes.Unusable;
            }

            string? g = parseResult.GetValue(grade);
            string? ex = parseResult.GetValue(exclude);
            if (g is not null || ex is not null)
            {
                var pg = floor!.Grade;
                if (g is not null && !PostfixCiphers.TryParseGrade(g, out pg))
                {
                    stderr.WriteLine("certpolicy tls check: invalid cipher grade: \"" + g + "\" (export, low, medium, high, null)");
                    return ExitCodes.Unusable;
                }

                if (!PostfixCiphers.TryEvaluate(pg, ex, PostfixTlsLevel.Authenticated, OpenSslBuild.Full, out _, out var gradeError))
                {
                    stderr.WriteLine("certpolicy tls check: " + gradeError);
                    return ExitCodes.Unusable;
                }

                floor = floor.WithGrade(pg, ex);
            }

            string? pl = parseResult.GetValue(protocols);
            if (pl is not null)
            {
                if (!PostfixProtocols.TryParse(pl, out var set, out var protocolError))
                {
                    stderr.WriteLine("certpolicy tls check: " + protocolError);
                    return ExitCodes.Unusable;
                }

                floor = floor!.WithProtocols(set);
            }

            ref readonly var info = ref CipherSuiteTable.Row(row);
            var findings = floor!.Explain(proto, info.Id);
            string subject = info.DisplayName + " on " + TlsProtocols.ToOpenSslName(proto) + " (profile " + floor.Name + ")";
            if (fmt == OutputFormat.Json)
            {
                WriteCheckJson(stdout, TlsProtocols.ToOpenSslName(proto), in info, floor.Name, findings);
                return findings.Count == 0 ? ExitCodes.Ok : ExitCodes.Findings;
            }

            if (findings.Count == 0)
            {
                stdout.WriteLine("acceptable: " + subject);
                return ExitCodes.Ok;
            }

            stdout.WriteLine("not acceptable: " + subject);
            foreach (var f in findings)
            {
                stdout.WriteLine("  " + f);
            }

            return ExitCodes.Findings;
        });
        return command;
    }
}
