using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using CertPolicy.Policy;
using CertPolicy.Tls;
using CertPolicy.Trust;
using CertPolicy.X509;
using DiagnosticSeverity = CertPolicy.Policy.DiagnosticSeverity;

namespace CertPolicy.Postfix;

/// <summary>The inputs of <see cref="PostfixAudit.Run"/>.</summary>
internal sealed class PostfixAuditOptions
{
    /// <summary>Partner domains with mandatory, verified TLS (R-T6).</summary>
    public IReadOnlyList<string> Partners { get; init; } = [];

    /// <summary>Addresses of partner gateways, checked against <c>smtpd_discard_ehlo_keyword_address_maps</c> (R-T6, R-T8).</summary>
    public IReadOnlyList<IPAddress> PartnerGateways { get; init; } = [];

    /// <summary>
    /// Source files for indexed policy tables whose source is not next to them (<c>--policy-source [TABLE=]FILE</c>):
    /// <c>Table</c> is a table as written in smtp_tls_policy_maps or its path; null applies to the first indexed table.
    /// </summary>
    public IReadOnlyList<(string? Table, string File)> PolicySources { get; init; } = [];

    /// <summary>The curated trust store the CAfile/CApath are compared with (R-A1, R-C3, R-C9).</summary>
    public required TrustStore Curated { get; init; }
}

/// <summary>
/// Audits a Postfix configuration (main.cf and the tables and trust files it names) against the partner rules:
/// outbound <c>smtp_tls_policy_maps</c> per partner, <c>smtp_tls_security_level</c>, the mandatory protocols and
/// ciphers, <c>tls_high_cipherlist</c>, <c>smtp_tls_CAfile</c>/<c>smtp_tls_CApath</c>; system-wide the inbound level
/// (R-T7), log levels (R-T11) and the STARTTLS discard maps (R-T6, R-T8). Semantics from postfix-tls.md.
/// </summary>
/// <remarks>
/// Not done: regexp/pcre/SQL/LDAP tables are not read (a warning says so); <c>tafile=</c> files are not opened; the
/// effective cipher lists are judged against every suite OpenSSL 3.0 can have (<c>OpenSslBuild.Full</c>), so a grade
/// that allows RC4 is reported even where the machine's OpenSSL lacks RC4; master.cf <c>-o</c> overrides are not read.
/// Files are read from the machine that runs the audit (the paths main.cf names).
/// </remarks>
internal static class PostfixAudit
{
    private const long MaxTableBytes = 64L * 1024 * 1024;

    // Below TLS 1.2: refused by R-T4 (SSLv2 cannot be negotiated by OpenSSL 3.0 at all).
    private const TlsProtocolSet Legacy = TlsProtocolSet.Ssl3 | TlsProtocolSet.Tls10 | TlsProtocolSet.Tls11;

    /// <summary>Runs the audit. Never throws on data: unreadable tables and files become findings.</summary>
    internal static PostfixAuditReport Run(string configDirectory, PostfixSettings s, PostfixAuditOptions options)
    {
        var ctx = new Context(s, options);
        ctx.CheckMainCf();
        var tables = ctx.ReadPolicyTables();
        ctx.CheckGlobalLevel();
        ctx.CheckHighCipherList();
        ctx.CheckInbound();
        ctx.CheckLogLevels();
        ctx.CheckDiscardMaps();
        var partners = new List<PartnerReport>();
        foreach (var p in options.Partners)
        {
            partners.Add(ctx.CheckPartner(p, tables));
        }

        ctx.CheckTrust(partners);
        ctx.AddUnmatchedTableFindings(tables);
        return new PostfixAuditReport(configDirectory, s.File.Path, s.FromPostconf ? "postconf" : "parser", [.. s.All], ctx.Tables, ctx.Findings, partners);
    }

    /// <summary>The level <c>smtp_tls_security_level</c> gives, with the obsolete fallbacks when it is empty (postfix-tls.md 1.1).</summary>
    internal static string EffectiveLevel(string level, string enforce, string peername, string use)
    {
        if (level.Length > 0)
        {
            return level.ToLowerInvariant();
        }

        if (IsYes(enforce))
        {
            return IsYes(peername) ? "verify" : "encrypt";
        }

        return IsYes(use) ? "may" : "none";
    }

    private static bool IsYes(string v) => v.Equals("yes", StringComparison.OrdinalIgnoreCase) || v.Equals("true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A policy table read from its source, with the map it became.</summary>
    internal sealed record PolicyTable(TableSpec Spec, string? SourceFile, PolicyMap? Map);

    private sealed class Context(PostfixSettings s, PostfixAuditOptions o)
    {
        internal readonly List<PostfixFinding> Findings = [];
        internal readonly List<PostfixTableReport> Tables = [];
        private readonly HashSet<(string File, int Line)> _matchedEntries = [];
        private readonly Dictionary<PolicyMap, IReadOnlyList<PolicyDiagnostic>> _lint = [];

        private string MainCf => s.File.Path;

        private string Val(string name) => s[name].Value;

        private int LineOf(string name) => s[name].Line;

        private PostfixFinding At(string code, string rule, PostfixFindingSeverity severity, string parameter, string message, string fix) =>
            new(code, rule, severity, parameter, MainCf, s.File.Get(parameter)?.Line ?? 0, message, fix);

        private void Add(string code, string rule, PostfixFindingSeverity severity, string parameter, string message, string fix) =>
            Findings.Add(At(code, rule, severity, parameter, message, fix));

        private string Shown(string name) => s[name].IsDefault
            ? $"{name} = {Quote(Val(name))} (Postfix default)"
            : $"{name} = {Quote(Val(name))}";

        private static string Quote(string v) => v.Length == 0 ? "(empty)" : v;

        internal void CheckMainCf()
        {
            foreach (var w in s.File.Warnings)
            {
                if (w.Contains("must not start with whitespace", StringComparison.Ordinal))
                {
                    // main.cf:N: ... : Postfix ignores the line, so a setting there silently does not apply.
                    int colon = w.IndexOf(':', s.File.Path.Length + 1);
                    int.TryParse(w.AsSpan(s.File.Path.Length + 1, Math.Max(0, colon - s.File.Path.Length - 1)), NumberStyles.None, CultureInfo.InvariantCulture, out int line);
                    Findings.Add(new PostfixFinding("postfix.main-cf-line-ignored", "R-T6", PostfixFindingSeverity.Warning, "main.cf", MainCf, line,
                        "this line starts with white space but continues no setting: Postfix ignores it (warning: logical line must not start with whitespace)",
                        "remove the leading white space, or the line"));
                }
            }

            if (s.Unresolved.Count > 0)
            {
                Findings.Add(new PostfixFinding("postfix.unresolved-reference", "R-T6", PostfixFindingSeverity.Warning, "main.cf", MainCf, 0,
                    "main.cf refers to " + string.Join(", ", s.Unresolved.Select(static n => "$" + n)) + ", which neither main.cf nor the defaults certpolicy knows define: without postconf the expanded values may differ from Postfix's",
                    "run the check where Postfix is installed (postconf), or set the parameters explicitly in main.cf"));
            }
        }

        internal List<PolicyTable> ReadPolicyTables()
        {
            var result = new List<PolicyTable>();
            foreach (var spec in TableSpec.ParseList(Val("smtp_tls_policy_maps"), Val("default_database_type")))
            {
                if (!TryReadSource("smtp_tls_policy_maps", spec, out var file, out var text))
                {
                    result.Add(new PolicyTable(spec, file, null));
                    continue;
                }

                var parsed = PolicyMap.Parse(text!, file!);
                Tables.Add(new PostfixTableReport("smtp_tls_policy_maps", spec, file, true, parsed.Map.Count));
                foreach (var d in parsed.Diagnostics)
                {
                    if (d.Severity == DiagnosticSeverity.Error && d.Code is not "empty-table")
                    {
                        Findings.Add(new PostfixFinding(d.Code, "R-T6", PostfixFindingSeverity.Error, "smtp_tls_policy_maps", file, d.Line,
                            d.Message, "correct the entry (certpolicy policy check " + file + " shows every problem), then run postmap if the table is indexed"));
                    }
                    else if (d.Severity == DiagnosticSeverity.Warning)
                    {
                        Findings.Add(new PostfixFinding(d.Code, "R-T6", PostfixFindingSeverity.Warning, "smtp_tls_policy_maps", file, d.Line, d.Message, "see certpolicy policy check " + file));
                    }
                }

                result.Add(new PolicyTable(spec, file, parsed.Map));
            }

            return result;
        }

        // Reads a table's source text; every reason it cannot is a finding (and a table report).
        private bool TryReadSource(string parameter, TableSpec spec, out string? file, out string? text)
        {
            file = null;
            text = null;
            string rule = parameter == "smtp_tls_policy_maps" ? "R-T6" : "R-T8";
            if (spec.Access == TableAccess.Unsupported)
            {
                Tables.Add(new PostfixTableReport(parameter, spec, null, false, 0));
                Add("postfix.table-not-read", rule, PostfixFindingSeverity.Warning, parameter,
                    $"{parameter}: the table {spec.Spec} (type {spec.Type}) is not read by certpolicy (only fixed-string file tables: texthash, hash, btree, lmdb, cdb; and cidr), so its entries are not checked",
                    "check that table by hand, or keep the partner entries in a texthash:, hash: or lmdb: table");
                return false;
            }

            if (!Path.IsPathRooted(spec.Name))
            {
                Tables.Add(new PostfixTableReport(parameter, spec, null, false, 0));
                Add("postfix.table-relative-path", rule, PostfixFindingSeverity.Warning, parameter,
                    $"{parameter}: {spec.Spec} is a relative path: Postfix daemons open it relative to their working directory (queue_directory), so certpolicy did not read it",
                    "use an absolute path ($config_directory/NAME)");
                return false;
            }

            file = spec.Name;
            if (spec.Access == TableAccess.Indexed && parameter == "smtp_tls_policy_maps" && PolicySourceFor(spec) is { } over)
            {
                file = over;
            }

            if (spec.Access == TableAccess.Indexed)
            {
                string built = spec.IndexedFile!;
                bool haveBuilt = File.Exists(built);
                bool haveSource = File.Exists(file);
                if (!haveBuilt)
                {
                    Tables.Add(new PostfixTableReport(parameter, spec, haveSource ? file : null, false, 0));
                    Add("postfix.table-missing", rule, PostfixFindingSeverity.Error, parameter,
                        $"{parameter}: {spec.Spec}: {built} does not exist: Postfix cannot open the table and defers mail that needs it" + (haveSource ? " (the source is there: postmap was not run)" : string.Empty),
                        haveSource ? $"run postmap {spec.Type}:{file}" : $"create {file} and run postmap {spec.Type}:{file}, or remove the table from {parameter}");
                    return false;
                }

                if (!haveSource)
                {
                    Tables.Add(new PostfixTableReport(parameter, spec, null, false, 0));
                    Add("postfix.table-source-missing", rule, PostfixFindingSeverity.Warning, parameter,
                        $"{parameter}: {spec.Spec}: the source {file} next to {built} is missing, so certpolicy cannot read what the table holds",
                        $"keep the source file {file} next to the built table (postmap builds from it)");
                    return false;
                }

                if (File.GetLastWriteTimeUtc(file) > File.GetLastWriteTimeUtc(built))
                {
                    Add("postfix.table-stale", rule, PostfixFindingSeverity.Warning, parameter,
                        $"{parameter}: {file} is newer than {built}: Postfix still uses the old contents; certpolicy checked the source",
                        $"run postmap {spec.Type}:{file}");
                }
            }
            else if (!File.Exists(file))
            {
                Tables.Add(new PostfixTableReport(parameter, spec, null, false, 0));
                Add("postfix.table-missing", rule, PostfixFindingSeverity.Error, parameter,
                    $"{parameter}: {spec.Spec}: {file} does not exist: Postfix cannot open the table and defers mail that needs it",
                    $"create {file}, or remove the table from {parameter}");
                file = null;
                return false;
            }

            try
            {
                var info = new FileInfo(file);
                if (info.Length > MaxTableBytes)
                {
                    throw new IOException("larger than 64 MiB");
                }

                text = File.ReadAllText(file);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Tables.Add(new PostfixTableReport(parameter, spec, file, false, 0));
                Add("postfix.table-unreadable", rule, PostfixFindingSeverity.Error, parameter,
                    $"{parameter}: cannot read {file}: {ex.Message}",
                    "make the file readable for the account that runs the check");
                return false;
            }
        }

        private bool _bareSourceUsed;

        private string? PolicySourceFor(TableSpec spec)
        {
            foreach (var (table, file) in o.PolicySources)
            {
                if (table == spec.Spec || table == spec.Name)
                {
                    return file;
                }
            }

            foreach (var (table, file) in o.PolicySources)
            {
                if (table is null && !_bareSourceUsed)
                {
                    _bareSourceUsed = true;
                    return file;
                }
            }

            return null;
        }

        internal void CheckGlobalLevel()
        {
            // R-T7 (RULES.md): everything but the partners stays opportunistic; postfix-tls.md 1.1 for the fallbacks.
            string level = GlobalLevel();
            if (level is "may" or "dane")
            {
                return;
            }

            string how = Val("smtp_tls_security_level").Length > 0 ? Shown("smtp_tls_security_level") : $"{Shown("smtp_tls_security_level")}, so the obsolete smtp_use_tls/smtp_enforce_tls give {level}";
            Add("postfix.global-level", "R-T7", level == "none" ? PostfixFindingSeverity.Warning : PostfixFindingSeverity.Error, "smtp_tls_security_level",
                level == "none"
                    ? $"{how}: outbound TLS is off for every destination without a policy entry; everything else should stay opportunistic"
                    : $"{how}: every destination without a policy entry must offer TLS{(level is "verify" or "secure" ? " and a verifiable certificate" : string.Empty)}, or mail to it is deferred; only partners get mandatory TLS, everything else stays opportunistic",
                "set smtp_tls_security_level = may and give partners secure entries in smtp_tls_policy_maps");
        }

        private string GlobalLevel() => EffectiveLevel(Val("smtp_tls_security_level"), Val("smtp_enforce_tls"), Val("smtp_tls_enforce_peername"), Val("smtp_use_tls"));

        internal void CheckHighCipherList()
        {
            // R-T3..R-T5 (RULES.md): a custom tls_high_cipherlist is what ciphers=high means for every partner.
            if (s["tls_high_cipherlist"].IsDefault)
            {
                return;
            }

            string list = Val("tls_high_cipherlist");
            if (!PostfixCiphers.TryBuildCipherString(PostfixCipherGrade.High, null, PostfixTlsLevel.Authenticated, out var effective, out var error, list)
                || !TryEvaluate(effective, out var selection, out error))
            {
                Add("postfix.cipherlist-unusable", "R-T5", PostfixFindingSeverity.Error, "tls_high_cipherlist",
                    $"tls_high_cipherlist = {list}: {error}: every handshake at grade high (ciphers=high, the partners' entries) fails",
                    "remove tls_high_cipherlist from main.cf (Postfix's default aNULL:-aNULL:HIGH:@STRENGTH meets the floor)");
                return;
            }

            foreach (var (flag, examples) in FloorFailures(selection!))
            {
                Add("postfix.cipherlist." + TlsFloor.CodeOf(flag), TlsFloor.RuleId(flag), PostfixFindingSeverity.Error, "tls_high_cipherlist",
                    $"tls_high_cipherlist = {list} selects {Describe(flag)} at grade high (as used by ciphers=high with TLS 1.2): {examples}",
                    "remove tls_high_cipherlist from main.cf, or add :!" + Exclusion(flag) + " to it");
            }
        }

        internal void CheckInbound()
        {
            // R-T7 (RULES.md): a public MX keeps accepting plain-text mail; partners must be able to deliver with TLS.
            string level = Val("smtpd_tls_security_level");
            if (level.Length == 0)
            {
                level = IsYes(Val("smtpd_enforce_tls")) ? "encrypt" : IsYes(Val("smtpd_use_tls")) ? "may" : "none";
            }

            level = level.ToLowerInvariant();
            if (level == "encrypt")
            {
                Add("postfix.inbound-level", "R-T7", PostfixFindingSeverity.Error, "smtpd_tls_security_level",
                    $"{Shown("smtpd_tls_security_level")} gives inbound level encrypt: this MX refuses mail from senders without TLS, but inbound TLS must not be enforced on a public MX",
                    "set smtpd_tls_security_level = may (enforce TLS per client with a policy in smtpd_*_restrictions if needed)");
            }
            else if (level != "may")
            {
                Add("postfix.inbound-level", "R-T7", PostfixFindingSeverity.Error, "smtpd_tls_security_level",
                    $"{Shown("smtpd_tls_security_level")} gives inbound level {level}: this MX does not offer STARTTLS, so partners with mandatory TLS cannot deliver to it",
                    "set smtpd_tls_security_level = may with a server certificate (smtpd_tls_chain_files)");
            }

            foreach (var w in Words(Val("smtpd_discard_ehlo_keywords")))
            {
                if (w.Equals("starttls", StringComparison.OrdinalIgnoreCase))
                {
                    Add("postfix.starttls-discarded", "R-T8", PostfixFindingSeverity.Error, "smtpd_discard_ehlo_keywords",
                        $"{Shown("smtpd_discard_ehlo_keywords")} hides STARTTLS from every client: partners with mandatory TLS cannot deliver, and the rest sends in plain text",
                        "remove starttls from smtpd_discard_ehlo_keywords");
                }
            }
        }

        internal void CheckLogLevels()
        {
            // R-T11 (RULES.md); postfix-tls.md 7: the TLS summary lines need a log level of at least 1.
            foreach (var name in new[] { "smtp_tls_loglevel", "smtpd_tls_loglevel" })
            {
                string v = Val(name);
                if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                {
                    Add("postfix.loglevel-invalid", "R-T11", PostfixFindingSeverity.Error, name,
                        $"{Shown(name)} is not a number: Postfix refuses to start",
                        $"set {name} = 1");
                }
                else if (n < 1)
                {
                    Add("postfix.loglevel-too-low", "R-T11", PostfixFindingSeverity.Error, name,
                        $"{Shown(name)}: Postfix does not log the TLS summary of each {(name.StartsWith("smtpd", StringComparison.Ordinal) ? "inbound" : "outbound")} session, so the monitoring events cannot be counted",
                        $"set {name} = 1");
                }
            }
        }

        internal void CheckDiscardMaps()
        {
            // R-T11 allows denying STARTTLS to failing clients; R-T6/R-T8: never to a partner's gateway.
            const string P = "smtpd_discard_ehlo_keyword_address_maps";
            int starttlsEntries = 0;
            foreach (var spec in TableSpec.ParseList(Val(P), Val("default_database_type")))
            {
                if (!TryReadSource(P, spec, out var file, out var text))
                {
                    continue;
                }

                if (spec.Type == "cidr")
                {
                    if (!TableSource.TryParseCidr(text!, out var rules, out var error))
                    {
                        Tables.Add(new PostfixTableReport(P, spec, file, false, 0));
                        Findings.Add(new PostfixFinding("postfix.table-not-read", "R-T8", PostfixFindingSeverity.Warning, P, file, 0,
                            $"{P}: {file}:{error}", "check this table by hand"));
                        continue;
                    }

                    Tables.Add(new PostfixTableReport(P, spec, file, true, rules.Count));
                    foreach (var (_, e) in rules)
                    {
                        starttlsEntries += DiscardsStartTls(e.Value) ? 1 : 0;
                    }

                    foreach (var gw in o.PartnerGateways)
                    {
                        foreach (var (net, e) in rules)
                        {
                            if (net.BaseAddress.AddressFamily == gw.AddressFamily && net.Contains(gw))
                            {
                                ReportGateway(P, file!, e, gw);
                                break; // cidr_table(5): the first match wins
                            }
                        }
                    }

                    continue;
                }

                var entries = TableSource.Parse(text!);
                Tables.Add(new PostfixTableReport(P, spec, file, true, entries.Count));
                foreach (var e in entries)
                {
                    starttlsEntries += DiscardsStartTls(e.Value) ? 1 : 0;
                }

                foreach (var gw in o.PartnerGateways)
                {
                    // smtpd looks up the client address string exactly (no parent networks for this parameter).
                    string key = gw.ToString().ToLowerInvariant();
                    foreach (var e in entries)
                    {
                        if (e.Key == key)
                        {
                            ReportGateway(P, file!, e, gw);
                            break;
                        }
                    }
                }
            }

            if (starttlsEntries > 0 && o.PartnerGateways.Count == 0 && o.Partners.Count > 0)
            {
                Add("postfix.discard-map-unchecked", "R-T8", PostfixFindingSeverity.Warning, P,
                    $"{P} denies STARTTLS to {starttlsEntries} client address(es); certpolicy cannot tell whether one is a partner's gateway without their addresses",
                    "give the partners' gateway addresses with --partner-gateway ADDRESS, or review the table against the partner list");
            }
        }

        private static bool DiscardsStartTls(string value)
        {
            foreach (var w in Words(value))
            {
                if (w.Equals("starttls", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private void ReportGateway(string parameter, string file, TableEntry e, IPAddress gw)
        {
            if (!DiscardsStartTls(e.Value))
            {
                return;
            }

            Findings.Add(new PostfixFinding("postfix.partner-gateway-starttls-discarded", "R-T8", PostfixFindingSeverity.Error, parameter, file, e.Line,
                $"{parameter}: \"{e.Key} {e.Value}\" denies STARTTLS to the partner gateway {gw}: it can no longer deliver with TLS (mandatory TLS, R-T6), its mail is deferred or sent in plain text",
                $"remove the line for {gw} from {file} (and run postmap if the table is indexed)"));
        }

        internal PartnerReport CheckPartner(string partner, List<PolicyTable> tables)
        {
            var findings = new List<PostfixFinding>();
            var maps = new List<PolicyMap>();
            var mapTables = new List<PolicyTable>();
            bool incomplete = false;
            foreach (var t in tables)
            {
                if (t.Map is null)
                {
                    incomplete = true;
                }
                else
                {
                    maps.Add(t.Map);
                    mapTables.Add(t);
                }
            }

            if (incomplete)
            {
                findings.Add(new PostfixFinding("postfix.partner-resolution-incomplete", "R-T6", PostfixFindingSeverity.Warning, "smtp_tls_policy_maps", MainCf, LineOf("smtp_tls_policy_maps"),
                    $"partner \"{partner}\": not every table of smtp_tls_policy_maps could be read, so another entry may apply than the one shown",
                    "fix the table findings above"));
            }

            // postfix-tls.md 1.3 and 10: every key in every table before the next, shorter key.
            var hit = PolicyMap.Lookup(maps.ToArray(), partner);
            TlsPolicy? policy = null;
            string level;
            PartnerResolution resolution;
            if (hit.Found)
            {
                var table = mapTables[hit.TableIndex];
                var entry = hit.Entry!;
                _matchedEntries.Add((table.SourceFile!, entry.Line));
                policy = entry.Policy;
                level = policy?.Level.ToPostfixName() ?? "invalid";
                resolution = new PartnerResolution(table.Spec, entry.Key, entry.RawValue, table.SourceFile, entry.Line, entry.IsValid, level);
                if (policy is null)
                {
                    findings.Add(new PostfixFinding("postfix.partner-entry-invalid", "R-T6", PostfixFindingSeverity.Error, "smtp_tls_policy_maps", table.SourceFile, entry.Line,
                        $"partner \"{partner}\": the entry \"{entry.Key}\" is invalid ({entry.Error?.Message}): Postfix defers all mail to the partner (client TLS configuration problem)",
                        $"correct the entry, e.g. \"{partner} secure match=.{partner} ciphers=high protocols=>=TLSv1.2\""));
                    return new PartnerReport(partner, resolution, findings);
                }

                foreach (var d in Lint(table.Map!, partner))
                {
                    // Findings for this entry; the linter's ciphers/protocols defaults are replaced by main.cf's actual values below.
                    if (d.Line != entry.Line || d.Severity == DiagnosticSeverity.Error || d.Code is "partner-ciphers-not-high" or "partner-protocols-default")
                    {
                        continue;
                    }

                    findings.Add(new PostfixFinding(d.Code, d.Rule ?? "R-T6", d.Severity == DiagnosticSeverity.Finding ? PostfixFindingSeverity.Error : PostfixFindingSeverity.Warning,
                        "smtp_tls_policy_maps", table.SourceFile, d.Line, d.Message, FixFor(d.Code, partner)));
                }
            }
            else
            {
                level = GlobalLevel();
                resolution = new PartnerResolution(null, null, null, null, 0, true, level);
                var lvl = SecurityLevels.TryParse(level, out var l) ? l : SecurityLevel.None;
                if (!lvl.IsPkix())
                {
                    findings.Add(new PostfixFinding("postfix.partner-missing", "R-T6", PostfixFindingSeverity.Error, "smtp_tls_policy_maps", MainCf, LineOf("smtp_tls_policy_maps"),
                        $"partner \"{partner}\" has no entry in smtp_tls_policy_maps{(tables.Count == 0 ? " (none configured)" : string.Empty)}: it gets the global level {level} ({Shown("smtp_tls_security_level")}), which {(level == "none" ? "turns TLS off" : "does not verify the certificate and name")}",
                        $"add \"{partner} secure match=.{partner} ciphers=high protocols=>=TLSv1.2\" to the policy table" + (tables.Count == 0 ? " and name it in smtp_tls_policy_maps" : string.Empty)));
                }
            }

            if (!SecurityLevels.TryParse(level, out var effective) || !effective.RequiresTls())
            {
                return new PartnerReport(partner, resolution, findings);
            }

            CheckPartnerCiphers(partner, policy, effective, findings);
            CheckPartnerProtocols(partner, policy, findings);
            return new PartnerReport(partner, resolution, findings);
        }

        private IReadOnlyList<PolicyDiagnostic> Lint(PolicyMap map, string partner) => PolicyLinter.Lint(map, [partner]);

        private static string FixFor(string code, string partner) => code switch
        {
            "partner-tls-disabled" or "partner-not-verified" or "partner-verify-hostname" =>
                $"use \"{partner} secure match=.{partner} ciphers=high protocols=>=TLSv1.2\" (R-T6)",
            "match-hostname-at-secure" => "replace match=hostname by the partner's domain (match=." + partner + ")",
            "legacy-protocols" or "invalid-protocols" or "no-protocols" => "use protocols=>=TLSv1.2",
            "invalid-ciphers" => "use ciphers=high without exclude=",
            _ => "see certpolicy policy check on the table",
        };

        private void CheckPartnerCiphers(string partner, TlsPolicy? policy, SecurityLevel level, List<PostfixFinding> findings)
        {
            // R-T5/R-T6 (RULES.md): the partner's handshake uses the entry's ciphers= or smtp_tls_mandatory_ciphers
            // (postfix-tls.md 6.1), the grade's tls_*_cipherlist, and exclude= or the two main.cf exclusion lists.
            bool fromEntry = policy?.Ciphers is not null;
            string gradeText = policy?.Ciphers ?? Val("smtp_tls_mandatory_ciphers");
            string gradeParam = fromEntry ? "ciphers" : "smtp_tls_mandatory_ciphers";
            string? file = fromEntry ? null : MainCf;
            int line = fromEntry ? 0 : LineOf("smtp_tls_mandatory_ciphers");
            if (!PostfixCiphers.TryParseGrade(gradeText, out var grade))
            {
                findings.Add(new PostfixFinding("postfix.partner-ciphers-unusable", "R-T5", PostfixFindingSeverity.Error, gradeParam, file, line,
                    $"partner \"{partner}\": cipher grade \"{gradeText}\" is not a Postfix grade: every handshake fails (invalid cipher grade)",
                    "use ciphers=high in the partner's entry"));
                return;
            }

            string listParam = "tls_" + PostfixCiphers.GradeName(grade) + "_cipherlist";
            string exclusions = policy?.Exclude ?? (Val("smtp_tls_exclude_ciphers") + " " + Val("smtp_tls_mandatory_exclude_ciphers"));
            var pfLevel = level.IsPkix() || level is SecurityLevel.Fingerprint or SecurityLevel.DaneOnly ? PostfixTlsLevel.Authenticated : PostfixTlsLevel.Encrypt;
            if (!PostfixCiphers.TryBuildCipherString(grade, exclusions, pfLevel, out var effective, out var error, Val(listParam))
                || !TryEvaluate(effective, out var selection, out error))
            {
                findings.Add(new PostfixFinding("postfix.partner-ciphers-unusable", "R-T5", PostfixFindingSeverity.Error, gradeParam, file, line,
                    $"partner \"{partner}\": grade {PostfixCiphers.GradeName(grade)} with the exclusions \"{exclusions.Trim()}\" gives no usable cipher list ({error}): every handshake fails",
                    "use ciphers=high and remove the exclusions"));
                return;
            }

            if (grade != PostfixCipherGrade.High)
            {
                var failures = FloorFailures(selection!);
                string extra = failures.Count == 0 ? string.Empty : "; it allows " + string.Join("; ", failures.Select(static f => Describe(f.Flag) + " (" + f.Examples + ")"));
                findings.Add(new PostfixFinding("postfix.partner-ciphers-not-high", "R-T5", PostfixFindingSeverity.Error, gradeParam, file, line,
                    $"partner \"{partner}\": cipher grade {PostfixCiphers.GradeName(grade)} ({(fromEntry ? "ciphers= in the entry" : Shown("smtp_tls_mandatory_ciphers"))}); partners need ciphers=high{extra}",
                    "add ciphers=high to the partner's entry"));
            }
        }

        private void CheckPartnerProtocols(string partner, TlsPolicy? policy, List<PostfixFinding> findings)
        {
            // R-T4 (RULES.md): an entry's protocols= is judged by the linter; without one, smtp_tls_mandatory_protocols applies.
            if (policy?.Protocols is not null)
            {
                return;
            }

            const string P = "smtp_tls_mandatory_protocols";
            string list = Val(P);
            if (!PostfixProtocols.TryParse(list, out var enabled, out var error))
            {
                findings.Add(new PostfixFinding("postfix.partner-protocols", "R-T4", PostfixFindingSeverity.Error, P, MainCf, LineOf(P),
                    $"partner \"{partner}\": {Shown(P)} is invalid ({error}): Postfix aborts every mandatory TLS handshake",
                    "set smtp_tls_mandatory_protocols = >=TLSv1.2, or protocols=>=TLSv1.2 in the partner's entry"));
            }
            else if ((enabled & Legacy) != 0)
            {
                findings.Add(new PostfixFinding("postfix.partner-protocols", "R-T4", PostfixFindingSeverity.Error, P, MainCf, LineOf(P),
                    $"partner \"{partner}\": the entry has no protocols=, so {Shown(P)} applies, which allows {Names(enabled & Legacy)} (older than TLS 1.2)",
                    "add protocols=>=TLSv1.2 to the partner's entry, or set smtp_tls_mandatory_protocols = >=TLSv1.2"));
            }
            else if ((enabled & (TlsProtocolSet.Tls12 | TlsProtocolSet.Tls13)) == 0)
            {
                findings.Add(new PostfixFinding("postfix.partner-protocols", "R-T4", PostfixFindingSeverity.Error, P, MainCf, LineOf(P),
                    $"partner \"{partner}\": {Shown(P)} leaves neither TLS 1.2 nor TLS 1.3: every mandatory handshake fails",
                    "set smtp_tls_mandatory_protocols = >=TLSv1.2"));
            }
        }

        internal void CheckTrust(List<PartnerReport> partners)
        {
            // R-C3/R-C9/R-A1 (RULES.md), postfix-tls.md 4.1: verify/secure trust smtp_tls_CAfile and smtp_tls_CApath only
            // (plus the system store with tls_append_default_CA = yes).
            var pkixPartners = partners.Where(static p => SecurityLevels.TryParse(p.Resolution.Level, out var l) && l.IsPkix()).Select(static p => p.Domain).ToList();
            string caFile = Val("smtp_tls_CAfile");
            string caPath = Val("smtp_tls_CApath");
            if (IsYes(Val("tls_append_default_CA")))
            {
                Add("postfix.default-ca-appended", "R-C9", PostfixFindingSeverity.Error, "tls_append_default_CA",
                    "tls_append_default_CA = yes: the operating system's roots are trusted next to smtp_tls_CAfile/CApath, so a partner certificate from a CA outside the curated list is accepted",
                    "set tls_append_default_CA = no");
            }

            if (caFile.Length == 0 && caPath.Length == 0)
            {
                if (pkixPartners.Count > 0)
                {
                    Add("postfix.no-trust-anchors", "R-C3", PostfixFindingSeverity.Error, "smtp_tls_CAfile",
                        $"neither smtp_tls_CAfile nor smtp_tls_CApath is set: every verified delivery fails (partners {string.Join(", ", pkixPartners)}), unless their entries name a tafile=",
                        "set smtp_tls_CAfile to the curated bundle (certpolicy bundle build --format pem)");
                }

                return;
            }

            var found = new List<(byte[] Der, string Where)>();
            if (caFile.Length > 0)
            {
                ReadCaFile(caFile, found);
            }

            if (caPath.Length > 0)
            {
                ReadCaPath(caPath, found);
            }

            var curated = new Dictionary<string, TrustRoot>(StringComparer.Ordinal);
            foreach (var a in o.Curated.Anchors)
            {
                curated.TryAdd(a.Sha256, a);
            }

            var present = new HashSet<string>(StringComparer.Ordinal);
            var outside = new List<string>();
            foreach (var (der, where) in found)
            {
                string sha = Convert.ToHexString(SHA256.HashData(der));
                if (curated.ContainsKey(sha))
                {
                    present.Add(sha);
                }
                else if (!outside.Contains(where))
                {
                    outside.Add(where);
                }
            }

            string param = caFile.Length > 0 ? "smtp_tls_CAfile" : "smtp_tls_CApath";
            if (outside.Count > 0)
            {
                Add("postfix.ca-outside-curated", "R-C9", PostfixFindingSeverity.Error, param,
                    $"{outside.Count} trusted certificate(s) are not in the curated trust store, so partner certificates from those CAs would be accepted: {string.Join("; ", outside.Take(5))}{(outside.Count > 5 ? "; ..." : string.Empty)}",
                    "use the curated bundle only (certpolicy bundle build --bundle-formats pem,capath)");
            }

            if (present.Count == 0 && found.Count > 0 || found.Count == 0)
            {
                Add("postfix.ca-curated-missing", "R-C3", pkixPartners.Count > 0 ? PostfixFindingSeverity.Error : PostfixFindingSeverity.Warning, param,
                    $"none of the {curated.Count} curated roots is trusted by smtp_tls_CAfile/smtp_tls_CApath: partner gateways cannot be verified against the curated CAs",
                    "install the curated bundle (certpolicy bundle build --bundle-formats pem,capath) as smtp_tls_CAfile or smtp_tls_CApath");
            }
            else if (present.Count < curated.Count)
            {
                var missing = curated.Where(kv => !present.Contains(kv.Key)).Select(static kv => kv.Value.Label).ToList();
                Add("postfix.ca-curated-incomplete", "R-C3", PostfixFindingSeverity.Warning, param,
                    $"{missing.Count} of the {curated.Count} curated roots are not trusted: {string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", ..." : string.Empty)}; a partner whose certificate chains to one of them cannot be verified",
                    "install the complete curated bundle (certpolicy bundle build)");
            }
        }

        private void ReadCaFile(string path, List<(byte[] Der, string Where)> found)
        {
            const string P = "smtp_tls_CAfile";
            byte[] data;
            try
            {
                if (!File.Exists(path))
                {
                    Add("postfix.ca-file-missing", "R-C3", PostfixFindingSeverity.Error, P,
                        $"smtp_tls_CAfile = {path} does not exist: Postfix cannot load it, and verified deliveries fail", "point smtp_tls_CAfile at the curated bundle");
                    return;
                }

                if (new FileInfo(path).Length > MaxTableBytes)
                {
                    throw new IOException("larger than 64 MiB");
                }

                data = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Add("postfix.ca-file-unreadable", "R-C3", PostfixFindingSeverity.Error, P, $"cannot read smtp_tls_CAfile = {path}: {ex.Message}", "make the file readable");
                return;
            }

            if (!PemSplitter.TryReadCertificates(data, 10_000, out var certs, out var error))
            {
                Add("postfix.ca-file-unreadable", "R-C3", PostfixFindingSeverity.Error, P,
                    $"smtp_tls_CAfile = {path}: {error?.Format(path) ?? "no certificate"}: OpenSSL cannot load it either, and verified deliveries fail", "rebuild the file from the curated bundle");
                return;
            }

            foreach (var der in certs)
            {
                found.Add((der, DescribeCert(der, path)));
            }
        }

        private void ReadCaPath(string dir, List<(byte[] Der, string Where)> found)
        {
            const string P = "smtp_tls_CApath";
            if (!Directory.Exists(dir))
            {
                Add("postfix.ca-path-missing", "R-C3", PostfixFindingSeverity.Error, P,
                    $"smtp_tls_CApath = {dir} is not a directory: no anchors are loaded from it", "point smtp_tls_CApath at the curated capath directory (certpolicy bundle build --format capath)");
                return;
            }

            var unhashed = new List<string>();
            try
            {
                foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal).Take(10_000))
                {
                    string name = Path.GetFileName(file);
                    bool hashName = name.Length >= 10 && name[8] == '.' && name[..8].All(char.IsAsciiHexDigitLower) && name[9..].All(char.IsAsciiDigit);
                    byte[] data;
                    try
                    {
                        data = new FileInfo(file).Length > 1024 * 1024 ? [] : File.ReadAllBytes(file);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        continue;
                    }

                    if (!PemSplitter.TryReadCertificates(data, 1, out var certs, out _) || certs.Count == 0)
                    {
                        continue;
                    }

                    // OpenSSL's by_dir lookup opens only HASH.N files whose HASH is the subject's X509_NAME_hash.
                    bool findable = hashName && CertificateView.TryParse(certs[0], out var view, out _)
                        && DistinguishedName.TryComputeOpenSslHash(view.SubjectDer, out uint h) && DistinguishedName.FormatHash(h) == name[..8];
                    if (findable)
                    {
                        found.Add((certs[0], DescribeCert(certs[0], file)));
                    }
                    else
                    {
                        unhashed.Add(name);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Add("postfix.ca-path-unreadable", "R-C3", PostfixFindingSeverity.Error, P, $"cannot list smtp_tls_CApath = {dir}: {ex.Message}", "make the directory readable");
                return;
            }

            if (unhashed.Count > 0)
            {
                Add("postfix.ca-path-not-hashed", "R-C3", PostfixFindingSeverity.Warning, P,
                    $"smtp_tls_CApath = {dir}: {unhashed.Count} certificate file(s) are not named by their subject hash (HASH.N), so OpenSSL never finds them: {string.Join(", ", unhashed.Take(5))}",
                    "run openssl rehash " + dir);
            }
        }

        private static string DescribeCert(byte[] der, string where) =>
            CertificateView.TryParse(der, out var view, out _) && DistinguishedName.TryFormat(view.SubjectDer, out var subject)
                ? $"{subject} ({Path.GetFileName(where)})"
                : Path.GetFileName(where);

        internal void AddUnmatchedTableFindings(List<PolicyTable> tables)
        {
            // Entry findings (R-T4/R-T5/R-T6) of entries no partner resolved to: reported once, system-wide.
            foreach (var t in tables)
            {
                if (t.Map is null)
                {
                    continue;
                }

                foreach (var d in PolicyLinter.Lint(t.Map, []))
                {
                    if (!_matchedEntries.Contains((t.SourceFile!, d.Line)))
                    {
                        Findings.Add(new PostfixFinding(d.Code, d.Rule ?? "R-T6", d.Severity == DiagnosticSeverity.Finding ? PostfixFindingSeverity.Error : PostfixFindingSeverity.Warning,
                            "smtp_tls_policy_maps", t.SourceFile, d.Line, d.Message, FixFor(d.Code, "PARTNER")));
                    }
                }
            }
        }
    }

    private static string Names(TlsProtocolSet set)
    {
        var names = new List<string>();
        foreach (var p in TlsProtocols.Ascending)
        {
            if ((set & TlsProtocols.ToSet(p)) != 0)
            {
                names.Add(TlsProtocols.ToOpenSslName(p));
            }
        }

        return string.Join(", ", names);
    }

    private static IEnumerable<string> Words(string v) => v.Split([' ', '\t', ',', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);

    private static bool TryEvaluate(string cipherString, out CipherSelection? selection, out string? error)
    {
        error = null;
        var options = new CipherStringOptions { Build = OpenSslBuild.Full, RejectUnknownWords = false };
        if (!OpenSslCipherString.TryEvaluate(cipherString, options, out selection, out var e))
        {
            error = e.Kind == CipherStringErrorKind.NoCipherMatch ? "it selects no cipher suite" : e.Message;
            return false;
        }

        if (selection!.Rows.Length == 0)
        {
            error = "it selects no TLS 1.2 cipher suite";
            return false;
        }

        return true;
    }

    // R-T2..R-T5 (RULES.md): each TLS <= 1.2 suite the list selects, checked as if negotiated with TLS 1.2 against the
    // partner-2026 floor; one entry per failed rule with up to three suite names.
    private static List<(TlsFloorFailures Flag, string Examples)> FloorFailures(CipherSelection selection)
    {
        var byFlag = new SortedDictionary<TlsFloorFailures, List<string>>();
        foreach (var row in selection.Rows)
        {
            ref readonly var info = ref CipherSuiteTable.Row(row);
            var v = TlsFloor.Check(TlsProtocol.Tls12, info.Id, TlsFloor.Partner2026);
            foreach (var flag in new[] { TlsFloorFailures.Rc4, TlsFloorFailures.NullAnonymousOrExport, TlsFloorFailures.KeyTooShort, TlsFloorFailures.NotInGrade })
            {
                if ((v.Failures & flag) != 0)
                {
                    if (!byFlag.TryGetValue(flag, out var names))
                    {
                        byFlag[flag] = names = [];
                    }

                    names.Add(info.DisplayName);
                }
            }
        }

        var result = new List<(TlsFloorFailures, string)>();
        foreach (var (flag, names) in byFlag)
        {
            result.Add((flag, string.Join(", ", names.Take(3)) + (names.Count > 3 ? $" and {names.Count - 3} more" : string.Empty)));
        }

        return result;
    }

    private static string Describe(TlsFloorFailures flag) => flag switch
    {
        TlsFloorFailures.Rc4 => "RC4 suites",
        TlsFloorFailures.NullAnonymousOrExport => "suites without encryption, without authentication or for export",
        TlsFloorFailures.KeyTooShort => "suites with less than 128-bit keys",
        _ => "suites outside OpenSSL's HIGH class",
    };

    private static string Exclusion(TlsFloorFailures flag) => flag switch
    {
        TlsFloorFailures.Rc4 => "RC4",
        TlsFloorFailures.NullAnonymousOrExport => "aNULL:!eNULL:!EXPORT",
        TlsFloorFailures.KeyTooShort => "3DES:!DES",
        _ => "MEDIUM:!LOW",
    };
}
