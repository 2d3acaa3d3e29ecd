using System.CommandLine;
using CertPolicy.Cli.Output;
using CertPolicy.Names;
using CertPolicy.Policy;

namespace CertPolicy.Cli.Commands;

/// <summary><c>certpolicy names</c>: does a certificate's name satisfy a Postfix level and match list?</summary>
internal static class NamesCommand
{
    internal static void Add(RootCommand root, TextWriter stdout, TextWriter stderr)
    {
        var cert = new Option<string>("--cert") { Description = "The gateway certificate (PEM or DER; the first certificate is used).", Required = true };
        var level = new Option<string>("--level") { Description = "Postfix security level: verify or secure (lower levels check no names).", Required = true };
        var match = new Option<string?>("--match") { Description = "A match= value in Postfix table syntax, e.g. nexthop:dot-nexthop or .example.net:mx1.example.com. Default: the level's." };
        var nexthop = new Option<string>("--nexthop") { Description = "The next-hop domain, without brackets or port.", Required = true };
        var mx = new Option<string?>("--mx") { Description = "The MX host name connected to (needed by the hostname strategy)." };
        var gateway = new Option<string?>("--gateway-pattern") { Description = "The partner's published gateway pattern, e.g. mailin*.audi.de (R-T9; a CertPolicy extension): the MX host must match it." };
        var cmd = new Command("names", "Check a certificate's names against a Postfix level and match list (exit 0 match, 1 no match, 2 unusable input).")
        {
            cert, level, match, nexthop, mx, gateway,
        };
        var format = FormatOption.AddTo(cmd, sarif: true);
        cmd.SetAction(r => format.TryGet(r, "certpolicy names", stderr, out var fmt)
            ? Run(r.GetValue(cert)!, r.GetValue(level)!, r.GetValue(match), r.GetValue(nexthop)!, r.GetValue(mx), r.GetValue(gateway), fmt, stdout, stderr)
            : ExitCodes.Unusable);
        root.Subcommands.Add(cmd);
    }

    private static int Run(string certPath, string levelText, string? matchText, string nexthop, string? mx, string? gatewayText, OutputFormat format, TextWriter stdout, TextWriter stderr)
    {
        if (!SecurityLevels.TryParse(levelText, out var level))
        {
            stderr.WriteLine($"certpolicy names: --level: invalid security level \"{levelText}\" (none, may, encrypt, dane, dane-only, fingerprint, verify, secure)");
            return ExitCodes.Unusable;
        }

        if (nexthop.Length == 0 || nexthop.StartsWith('[') || nexthop.Contains(':', StringComparison.Ordinal) && !nexthop.Contains("::", StringComparison.Ordinal) && nexthop.Count(c => c == ':') == 1)
        {
            stderr.WriteLine($"certpolicy names: --nexthop: give the next-hop domain without brackets or port (got \"{nexthop}\")");
            return ExitCodes.Unusable;
        }

        GatewayPattern? gatewayPattern = null;
        if (gatewayText is not null && !GatewayPattern.TryParse(gatewayText, out gatewayPattern, out var gatewayError))
        {
            stderr.WriteLine($"certpolicy names: --gateway-pattern: {gatewayError}");
            return ExitCodes.Unusable;
        }

        if (gatewayPattern is not null && string.IsNullOrEmpty(mx))
        {
            stderr.WriteLine("certpolicy names: --gateway-pattern needs --mx (the gateway host name to check)");
            return ExitCodes.Unusable;
        }

        if (level is SecurityLevel.Dane or SecurityLevel.DaneOnly)
        {
            stderr.WriteLine("certpolicy names: DANE name checks depend on TLSA records: use certpolicy verify --tlsa \"3 1 1 HEX\" (or --level secure, posttls-finger's fallback)");
            return ExitCodes.Unusable;
        }

        if (!CliFiles.TryReadCertificate(certPath, out var der, out var certError))
        {
            stderr.WriteLine(certError);
            return ExitCodes.Unusable;
        }

        var presented = new PresentedName[CertificateNames.MaxNames];
        int count = CertificateNames.Read(der, presented);
        if (count < 0)
        {
            stderr.WriteLine($"{certPath}: malformed certificate (not strict DER X.509, or more than {CertificateNames.MaxNames} names)");
            return ExitCodes.Unusable;
        }

        MatchList? list;
        if (!level.IsPkix())
        {
            if (matchText is not null)
            {
                stderr.WriteLine($"certpolicy names: --match: attribute \"match\" is not used at security level \"{level.ToPostfixName()}\"");
                return ExitCodes.Unusable;
            }

            list = null;
        }
        else if (matchText is null)
        {
            list = MatchList.DefaultFor(level);
        }
        else if (!MatchList.TryParse(matchText, out list, out var matchError))
        {
            stderr.WriteLine($"certpolicy names: --match: {matchError}");
            return ExitCodes.Unusable;
        }

        if (list is not null && string.IsNullOrEmpty(mx) && list.Elements.Any(e => e.Kind == MatchElementKind.HostName))
        {
            stderr.WriteLine("certpolicy names: the hostname strategy needs --mx (the MX host name)");
            return ExitCodes.Unusable;
        }

        var names = presented.AsSpan(0, count).ToArray();
        bool gatewayOk = gatewayPattern is null || gatewayPattern.Matches(mx);
        NameCheckResult result = list is null ? default : NameChecker.Check(der, list, nexthop, mx ?? string.Empty);
        bool ok = (list is null || result.IsMatch) && gatewayOk;
        string? matchedName = list is not null && result.IsMatch ? Display(der, result.MatchedName) : null;
        string? matchedRef = list is not null && result.MatchedElement >= 0 ? list.Elements[result.MatchedElement].Name : null;

        if (format == OutputFormat.Sarif)
        {
            var results = new List<SarifResult>();
            if (list is not null && !result.IsMatch)
            {
                results.Add(new SarifResult("R-C2", "error", Explain(result.Status, list, nexthop, mx), "name-mismatch", certPath));
            }

            if (!gatewayOk)
            {
                results.Add(new SarifResult("R-T9", "error", $"MX host \"{mx}\" does not follow the published gateway pattern {gatewayPattern}", "gateway-pattern-mismatch", certPath));
            }

            Sarif.Write(stdout, results);
        }
        else if (format == OutputFormat.Json)
        {
            Json.Write(stdout, w =>
            {
                w.WriteStartObject();
                w.WriteString("verdict", ok ? "pass" : "fail");
                w.WriteString("level", level.ToPostfixName());
                w.WriteString("nexthop", nexthop);
                if (mx is not null)
                {
                    w.WriteString("mx", mx);
                }

                if (list is null)
                {
                    w.WriteString("status", "not-checked");
                }
                else
                {
                    w.WriteString("status", StatusName(result.Status));
                    w.WriteString("match", list.ToString());
                }

                if (matchedName is not null)
                {
                    w.WriteString("matchedName", matchedName);
                    w.WriteString("matchedReference", matchedRef);
                }
                else
                {
                    w.WriteNull("matchedName");
                }

                if (gatewayPattern is not null)
                {
                    w.WriteString("gatewayPattern", gatewayPattern.ToString());
                    w.WriteBoolean("gatewayPatternOk", gatewayOk);
                }

                w.WriteStartArray("presented");
                foreach (var n in names)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", KindName(n.Kind));
                    w.WriteString("name", Display(der, n));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("findings");
                if (list is not null && !result.IsMatch)
                {
                    WriteFinding(w, "name-mismatch", "R-C2", Explain(result.Status, list, nexthop, mx));
                }

                if (!gatewayOk)
                {
                    WriteFinding(w, "gateway-pattern-mismatch", "R-T9", $"MX host \"{mx}\" does not follow the published gateway pattern {gatewayPattern}");
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else
        {
            if (list is null)
            {
                stdout.WriteLine($"level {level.ToPostfixName()} checks no certificate names (Postfix); nothing to match");
            }
            else if (result.IsMatch)
            {
                stdout.WriteLine($"match: {matchedName} satisfies {matchedRef} (level {level.ToPostfixName()}, match={list})");
            }
            else
            {
                stdout.WriteLine($"no match [R-C2]: {Explain(result.Status, list, nexthop, mx)}");
                stdout.WriteLine($"  presented: {string.Join(", ", names.Select(n => $"{Display(der, n)} ({KindName(n.Kind)})"))}");
            }

            if (!gatewayOk)
            {
                stdout.WriteLine($"gateway pattern [R-T9]: MX host \"{mx}\" does not follow the published pattern {gatewayPattern}");
            }
        }

        return ok ? ExitCodes.Ok : ExitCodes.Findings;
    }

    private static void WriteFinding(System.Text.Json.Utf8JsonWriter w, string code, string rule, string message)
    {
        w.WriteStartObject();
        w.WriteString("code", code);
        w.WriteString("rule", rule);
        w.WriteString("message", message);
        w.WriteEndObject();
    }

    private static string Explain(NameCheckStatus status, MatchList list, string nexthop, string? mx) => status switch
    {
        NameCheckStatus.NoReferenceNames => $"match={list} yields no usable reference name (Postfix: could not configure peer name checks)",
        _ => $"no presented name satisfies match={list} for next hop {nexthop}{(mx is null ? string.Empty : $", MX {mx}")} (Postfix: num=62:hostname mismatch)",
    };

    private static string StatusName(NameCheckStatus s) => s switch
    {
        NameCheckStatus.Matched => "matched",
        NameCheckStatus.NotMatched => "not-matched",
        NameCheckStatus.NoReferenceNames => "no-reference-names",
        _ => "malformed-certificate",
    };

    private static string KindName(PresentedNameKind k) => k switch
    {
        PresentedNameKind.DnsSan => "dns",
        PresentedNameKind.IPAddressSan => "ip",
        _ => "cn",
    };

    /// <summary>A presented name as text for people: control and non-ASCII bytes escaped.</summary>
    private static string Display(byte[] der, PresentedName n)
    {
        var content = der.AsSpan(n.Offset, n.Length);
        if (n.Kind == PresentedNameKind.IPAddressSan)
        {
            return content.Length is 4 or 16 ? new System.Net.IPAddress(content).ToString() : Convert.ToHexString(content);
        }

        string text = n.StringTag switch
        {
            30 => Encoding.BigEndianUnicode.GetString(content),
            28 => new UTF32Encoding(bigEndian: true, byteOrderMark: false).GetString(content),
            _ => Encoding.UTF8.GetString(content),
        };
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c < ' ' || c == '\u007f')
            {
                sb.Append($"\\x{(int)c:X2}");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
