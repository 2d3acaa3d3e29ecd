using System.Diagnostics;

namespace CertPolicy.Postfix;

/// <summary>One setting the audit reads: its effective (expanded) value and where it was written.</summary>
/// <param name="Name">The parameter name.</param>
/// <param name="Value">The effective value, <c>$name</c> expanded (what <c>postconf -x -h NAME</c> prints).</param>
/// <param name="Line">The main.cf line that sets it, or 0 for Postfix's default.</param>
internal sealed record PostfixSetting(string Name, string Value, int Line)
{
    /// <summary>True when main.cf does not set it (Postfix's built-in default applies).</summary>
    internal bool IsDefault => Line == 0;
}

/// <summary>
/// The main.cf settings the audit needs, read either through the real <c>postconf -c DIR -x NAME...</c> (the
/// authority where Postfix is installed) or with our own parser (<see cref="MainCfFile"/>, <see cref="MainCfExpander"/>)
/// and Postfix 3.7's defaults (<see cref="Defaults"/>). Lines always come from our parser of the same file.
/// </summary>
internal sealed class PostfixSettings
{
    /// <summary>
    /// Postfix 3.7.11's built-in defaults (<c>postconf -d</c>, compared in the tests) of every parameter the audit
    /// reads and of the directory parameters main.cf files commonly reference. <c>config_directory</c> is the
    /// directory given (<c>postconf -c DIR</c> sets it).
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["smtp_tls_security_level"] = string.Empty,
        ["smtp_use_tls"] = "no",
        ["smtp_enforce_tls"] = "no",
        ["smtp_tls_enforce_peername"] = "yes",
        ["smtp_tls_policy_maps"] = string.Empty,
        ["smtp_tls_mandatory_protocols"] = ">=TLSv1",
        ["smtp_tls_protocols"] = ">=TLSv1",
        ["smtp_tls_mandatory_ciphers"] = "medium",
        ["smtp_tls_ciphers"] = "medium",
        ["smtp_tls_exclude_ciphers"] = string.Empty,
        ["smtp_tls_mandatory_exclude_ciphers"] = string.Empty,
        ["tls_high_cipherlist"] = "aNULL:-aNULL:HIGH:@STRENGTH",
        ["tls_medium_cipherlist"] = "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH",
        ["tls_low_cipherlist"] = "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH",
        ["tls_export_cipherlist"] = "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH",
        ["tls_null_cipherlist"] = "eNULL:!aNULL",
        ["smtp_tls_CAfile"] = string.Empty,
        ["smtp_tls_CApath"] = string.Empty,
        ["tls_append_default_CA"] = "no",
        ["smtpd_tls_security_level"] = string.Empty,
        ["smtpd_use_tls"] = "no",
        ["smtpd_enforce_tls"] = "no",
        ["smtp_tls_loglevel"] = "0",
        ["smtpd_tls_loglevel"] = "0",
        ["smtpd_discard_ehlo_keyword_address_maps"] = string.Empty,
        ["smtpd_discard_ehlo_keywords"] = string.Empty,
        ["default_database_type"] = "hash",
        ["queue_directory"] = "/var/spool/postfix",
        ["data_directory"] = "/var/lib/postfix",
        ["daemon_directory"] = "/usr/lib/postfix/sbin",
        ["meta_directory"] = "/etc/postfix",
        ["shlib_directory"] = "/usr/lib/postfix",
        ["command_directory"] = "/usr/sbin",
        ["mail_owner"] = "postfix",
    };

    /// <summary>The parameters the audit reads (every key of <see cref="Defaults"/> that is not only a directory).</summary>
    internal static readonly string[] AuditedNames =
    [
        "smtp_tls_security_level", "smtp_use_tls", "smtp_enforce_tls", "smtp_tls_enforce_peername", "smtp_tls_policy_maps",
        "smtp_tls_mandatory_protocols", "smtp_tls_protocols", "smtp_tls_mandatory_ciphers", "smtp_tls_ciphers",
        "smtp_tls_exclude_ciphers", "smtp_tls_mandatory_exclude_ciphers", "tls_high_cipherlist", "tls_medium_cipherlist",
        "tls_low_cipherlist", "tls_export_cipherlist", "tls_null_cipherlist", "smtp_tls_CAfile", "smtp_tls_CApath",
        "tls_append_default_CA", "smtpd_tls_security_level", "smtpd_use_tls", "smtpd_enforce_tls", "smtp_tls_loglevel",
        "smtpd_tls_loglevel", "smtpd_discard_ehlo_keyword_address_maps", "smtpd_discard_ehlo_keywords", "default_database_type",
    ];

    private readonly Dictionary<string, PostfixSetting> _values;

    private PostfixSettings(MainCfFile file, Dictionary<string, PostfixSetting> values, bool fromPostconf, IReadOnlyList<string> unresolved)
    {
        File = file;
        _values = values;
        FromPostconf = fromPostconf;
        Unresolved = unresolved;
    }

    /// <summary>main.cf as our parser read it (positions, warnings).</summary>
    internal MainCfFile File { get; }

    /// <summary>True when the values came from the real postconf.</summary>
    internal bool FromPostconf { get; }

    /// <summary>
    /// Names referenced with <c>$name</c> that neither main.cf nor our default table defines (parser path only): Postfix may
    /// have a built-in default we do not know (<c>$myhostname</c>), so the expanded value may differ from Postfix's.
    /// </summary>
    internal IReadOnlyList<string> Unresolved { get; }

    /// <summary>Every audited setting, in <see cref="AuditedNames"/> order.</summary>
    internal IEnumerable<PostfixSetting> All
    {
        get
        {
            foreach (var n in AuditedNames)
            {
                yield return _values[n];
            }
        }
    }

    /// <summary>An audited setting.</summary>
    internal PostfixSetting this[string name] => _values[name];

    /// <summary>
    /// Our own reading (no Postfix needed): main.cf values, else <see cref="Defaults"/>, expanded recursively as
    /// <c>postconf -x</c> does. Returns false with <c>file:line: what is wrong</c> when a needed value cannot be expanded.
    /// </summary>
    internal static bool TryFromParser(MainCfFile file, string configDirectory, out PostfixSettings settings, out string? error)
    {
        var values = new Dictionary<string, PostfixSetting>(StringComparer.Ordinal);
        var undefined = new SortedSet<string>(StringComparer.Ordinal);
        string? Lookup(string name) =>
            file.Get(name)?.Value ?? (name == "config_directory" ? configDirectory : Defaults.TryGetValue(name, out var d) ? d : null);
        settings = null!;
        error = null;
        foreach (var name in AuditedNames)
        {
            var p = file.Get(name);
            string raw = Lookup(name) ?? string.Empty;
            if (!MainCfExpander.TryExpand(raw, Lookup, undefined, out var expanded, out var e))
            {
                error = $"{file.Path}:{p?.Line ?? 0}: {name}: {e}";
                return false;
            }

            values[name] = new PostfixSetting(name, MainCfFile.Words(expanded), p?.Line ?? 0);
        }

        settings = new PostfixSettings(file, values, false, [.. undefined]);
        return true;
    }

    /// <summary>
    /// The real Postfix's reading: <c>postconf -c DIR -x NAME...</c> (values with defaults, expanded). Returns false with
    /// postconf's own fatal line when it fails (a main.cf it cannot read).
    /// </summary>
    internal static bool TryFromPostconf(MainCfFile file, string postconf, string configDirectory, out PostfixSettings settings, out string? error)
    {
        settings = null!;
        if (!Postconf.TryQuery(postconf, configDirectory, AuditedNames, expand: true, out var result, out error))
        {
            return false;
        }

        var values = new Dictionary<string, PostfixSetting>(StringComparer.Ordinal);
        foreach (var name in AuditedNames)
        {
            if (!result.TryGetValue(name, out var v))
            {
                error = $"postconf -c {configDirectory} -x: no value printed for {name}";
                return false;
            }

            values[name] = new PostfixSetting(name, v, file.Get(name)?.Line ?? 0);
        }

        settings = new PostfixSettings(file, values, true, []);
        return true;
    }
}

/// <summary>Runs the real <c>postconf</c> (C locale, 30 s timeout) and reads its <c>name = value</c> lines.</summary>
internal static class Postconf
{
    /// <summary>The usual places of <c>postconf</c>; null when Postfix is not installed.</summary>
    internal static string? Find()
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin" })
        {
            string p = Path.Combine(dir, "postconf");
            if (System.IO.File.Exists(p))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>
    /// <c>postconf -c DIR [-x] NAME...</c> (or <c>-n</c> when <paramref name="names"/> is empty): the printed values by name.
    /// On failure <paramref name="error"/> is postconf's <c>fatal:</c> line (or why it could not run).
    /// </summary>
    internal static bool TryQuery(string postconf, string configDirectory, IReadOnlyList<string> names, bool expand, out Dictionary<string, string> values, out string? error)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        error = null;
        var psi = new ProcessStartInfo(postconf)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.Environment["LC_ALL"] = "C";
        psi.Environment.Remove("MAIL_CONFIG");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(configDirectory);
        if (expand)
        {
            psi.ArgumentList.Add("-x");
        }

        if (names.Count == 0)
        {
            psi.ArgumentList.Add("-n");
        }

        foreach (var n in names)
        {
            psi.ArgumentList.Add(n);
        }

        string stdout, stderr;
        try
        {
            using var p = Process.Start(psi);
            if (p is null)
            {
                error = postconf + ": could not be started";
                return false;
            }

            p.StandardInput.Close();
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(30_000))
            {
                p.Kill(entireProcessTree: true);
                error = postconf + ": no answer within 30 seconds";
                return false;
            }

            p.WaitForExit();
            stdout = o.Result;
            stderr = e.Result;
            if (p.ExitCode != 0)
            {
                error = FatalLine(stderr) ?? $"{postconf} -c {configDirectory}: exit {p.ExitCode}";
                return false;
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            error = postconf + ": could not be started: " + ex.Message;
            return false;
        }

        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = line.IndexOf(" =", StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            string value = eq + 2 < line.Length ? line[(eq + 2)..].TrimStart(' ') : string.Empty;
            values[line[..eq]] = value;
        }

        return true;
    }

    private static string? FatalLine(string stderr)
    {
        foreach (var line in stderr.Split('\n'))
        {
            if (line.Contains("fatal:", StringComparison.Ordinal))
            {
                return line.Trim();
            }
        }

        return null;
    }
}
