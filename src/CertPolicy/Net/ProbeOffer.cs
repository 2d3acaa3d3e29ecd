using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using CertPolicy.Policy;
using CertPolicy.Tls;

namespace CertPolicy.Net;

/// <summary>
/// What the probe's TLS client offers: the protocols and cipher suites Postfix 3.7's smtp(8) would offer for a
/// <c>tls_policy</c> entry or a security level (postfix-tls.md 6.1, 6.2), so that a gateway is judged by what it can
/// do under the policy, not by .NET's default client offer (which on Linux is AEAD-only and misses the CBC-SHA
/// suites of OpenSSL's <c>HIGH</c> list). Built once per probe; immutable.
/// </summary>
/// <remarks>
/// <para>Postfix semantics, main.cf at its 3.7 defaults (main.cf is not read): the grade is the entry's
/// <c>ciphers=</c>, else <c>smtp_tls_ciphers</c> (level <c>may</c>) or <c>smtp_tls_mandatory_ciphers</c> (encrypt and
/// up), both <c>medium</c> by default; the grade names a <c>tls_*_cipherlist</c> string; the entry's <c>exclude=</c>
/// and the level's own exclusion (<c>eNULL</c> at encrypt, <c>aNULL</c> at the verifying levels) are appended as
/// <c>:!item</c> (<see cref="PostfixCiphers.TryBuildCipherString"/>). The string is evaluated by our OpenSSL 3.0
/// cipher-string evaluator for the suites a default OpenSSL 3.0 build has (<see cref="OpenSslBuild.Default"/>).
/// Protocols: the entry's <c>protocols=</c>, else <c>smtp_tls_protocols</c> / <c>smtp_tls_mandatory_protocols</c>,
/// both <c>&gt;=TLSv1</c> by default.</para>
/// <para>TLS 1.3 suites are governed separately, as in OpenSSL (<c>SSL_CTX_set_ciphersuites</c>; Postfix 3.7's grades
/// do not filter them, postfix-tls.md 6.1): OpenSSL 3.0's default three are offered when the protocols allow TLS 1.3.</para>
/// <para>The level <c>none</c> (Postfix sends no STARTTLS) is probed as <c>may</c> would be, to report what the
/// gateway offers. SSLv2/SSLv3 are never offered (OpenSSL 3.0 and .NET cannot).</para>
/// </remarks>
internal sealed class ProbeOffer
{
    private ProbeOffer(TlsProtocolSet protocols, TlsCipherSuite[] suites, int tls13Count, string cipherString, string source, bool legacy)
    {
        Protocols = protocols;
        Suites = suites;
        Tls13Count = tls13Count;
        CipherString = cipherString;
        Source = source;
        Legacy = legacy;
    }

    /// <summary>The protocols offered (TLS 1.0 to 1.3 only).</summary>
    public TlsProtocolSet Protocols { get; }

    /// <summary>The suites offered, in preference order: the TLS 1.3 suites first (when offered), then the TLS &lt;= 1.2 suites.</summary>
    public IReadOnlyList<TlsCipherSuite> Suites { get; }

    /// <summary>How many of <see cref="Suites"/> are TLS 1.3 suites (the first ones).</summary>
    public int Tls13Count { get; }

    /// <summary>The OpenSSL cipher string the TLS &lt;= 1.2 suites come from (e.g. <c>aNULL:-aNULL:HIGH:@STRENGTH:!aNULL</c>).</summary>
    public string CipherString { get; }

    /// <summary>Where the cipher string and the protocols come from, e.g. <c>entry ciphers=high -&gt; tls_high_cipherlist; entry protocols=&gt;=TLSv1.2</c>.</summary>
    public string Source { get; }

    /// <summary>True when <c>--offer-legacy</c> widened the offer beyond the policy (TLS 1.0/1.1 and CBC suites, for diagnosis).</summary>
    public bool Legacy { get; }

    /// <summary>The protocols for <see cref="SslClientAuthenticationOptions.EnabledSslProtocols"/>.</summary>
    public SslProtocols SslProtocols
    {
        get
        {
            var p = SslProtocols.None;
#pragma warning disable SYSLIB0039 // TLS 1.0/1.1 are offered only when the policy (Postfix's default >=TLSv1) or --offer-legacy allows them
            if ((Protocols & TlsProtocolSet.Tls10) != 0)
            {
                p |= SslProtocols.Tls;
            }

            if ((Protocols & TlsProtocolSet.Tls11) != 0)
            {
                p |= SslProtocols.Tls11;
            }
#pragma warning restore SYSLIB0039

            if ((Protocols & TlsProtocolSet.Tls12) != 0)
            {
                p |= SslProtocols.Tls12;
            }

            if ((Protocols & TlsProtocolSet.Tls13) != 0)
            {
                p |= SslProtocols.Tls13;
            }

            return p;
        }
    }

    /// <summary>The offered protocols in OpenSSL spelling, ascending (<c>TLSv1.2 TLSv1.3</c>).</summary>
    public IReadOnlyList<string> ProtocolNames
    {
        get
        {
            var names = new List<string>(4);
            foreach (var p in TlsProtocols.Ascending)
            {
                if ((Protocols & TlsProtocols.ToSet(p)) != 0)
                {
                    names.Add(TlsProtocols.ToOpenSslName(p));
                }
            }

            return names;
        }
    }

    /// <summary>The offered suites by their OpenSSL names (IANA names where OpenSSL has none), in offer order.</summary>
    public IReadOnlyList<string> SuiteNames
    {
        get
        {
            var names = new string[Suites.Count];
            for (int i = 0; i < names.Length; i++)
            {
                names[i] = CipherSuiteTable.NameOf((ushort)Suites[i]);
            }

            return names;
        }
    }

    /// <summary>
    /// The suites --offer-legacy adds (TLS 1.0/1.1-capable CBC suites, with and without forward secrecy) so that a
    /// legacy-only gateway is reported by its protocol (R-T4) instead of a bare handshake failure.
    /// </summary>
    internal static ReadOnlySpan<ushort> LegacySuites =>
    [
        0xC00A, 0xC014, 0xC009, 0xC013, // ECDHE-ECDSA/RSA-AES256/AES128-SHA
        0x0035, 0x002F, // AES256-SHA, AES128-SHA
    ];

    /// <summary>
    /// Builds the offer for a policy as Postfix 3.7's smtp(8) would make it (see the type remarks). Never throws on data.
    /// </summary>
    /// <param name="policy">The entry's policy or the level given.</param>
    /// <param name="offerLegacy">Widen the offer for diagnosis: TLS 1.0 to 1.3 and <see cref="LegacySuites"/> besides the policy's.</param>
    /// <param name="offer">The offer, or null.</param>
    /// <param name="error">Why no offer can be made (Postfix would fail the handshake the same way), or null.</param>
    /// <returns>True when an offer was built.</returns>
    public static bool TryFor(TlsPolicy policy, bool offerLegacy, out ProbeOffer? offer, out string? error)
    {
        ArgumentNullException.ThrowIfNull(policy);
        offer = null;
        var level = policy.Level;
        bool mandatory = level != SecurityLevel.May && level != SecurityLevel.None;
        string levelName = level.ToPostfixName();

        // postfix-tls.md 6.1: the grade (entry ciphers=, else the main.cf parameter at its default "medium").
        PostfixCipherGrade grade;
        string gradeSource;
        if (policy.Ciphers is { } c)
        {
            if (!PostfixCiphers.TryParseGrade(c, out grade))
            {
                // Postfix: 'invalid cipher grade: "x"' -> handshake failure.
                error = "invalid cipher grade: \"" + c + "\" (entry ciphers=): Postfix would fail the handshake";
                return false;
            }

            gradeSource = "entry ciphers=" + c;
        }
        else
        {
            grade = PostfixCipherGrade.Medium;
            gradeSource = "level " + levelName + ": " + (mandatory ? "smtp_tls_mandatory_ciphers" : "smtp_tls_ciphers") + " default medium";
        }

        var exclusionLevel = level.IsPkix() || level is SecurityLevel.Fingerprint or SecurityLevel.Dane or SecurityLevel.DaneOnly
            ? PostfixTlsLevel.Authenticated
            : mandatory ? PostfixTlsLevel.Encrypt : PostfixTlsLevel.May;
        if (!PostfixCiphers.TryBuildCipherString(grade, policy.Exclude, exclusionLevel, out string cipherString, out error))
        {
            error += " (entry exclude=): Postfix would fail the handshake";
            return false;
        }

        // The suites this OpenSSL 3.0 has (a default build: no RC4, 3DES, IDEA, SEED); unknown words are ignored, as
        // OpenSSL does. Nothing selected: Postfix's SSL_CTX_set_cipher_list fails ("no ciphers available").
        var build = new CipherStringOptions { Build = OpenSslBuild.Default, RejectUnknownWords = false };
        if (!OpenSslCipherString.TryEvaluate(cipherString, build, out var selection, out _) || selection is null || selection.Rows.Length == 0)
        {
            error = "no ciphers available: \"" + cipherString + "\" selects no suite (" + gradeSource + "): Postfix would fail the handshake";
            return false;
        }

        // postfix-tls.md 6.2: the entry's protocols=, else the main.cf parameter at its default ">=TLSv1".
        string protocolList = policy.Protocols ?? PostfixProtocols.Default;
        if (!PostfixProtocols.TryParse(protocolList, out var allowed, out error))
        {
            error += ": Postfix would abort the TLS session";
            return false;
        }

        string protocolSource = policy.Protocols is null
            ? (mandatory ? "smtp_tls_mandatory_protocols" : "smtp_tls_protocols") + " default " + PostfixProtocols.Default
            : "entry protocols=" + policy.Protocols;

        var offered = allowed & (TlsProtocolSet.Tls10 | TlsProtocolSet.Tls11 | TlsProtocolSet.Tls12 | TlsProtocolSet.Tls13);
        if (offerLegacy)
        {
            offered |= TlsProtocolSet.Tls10 | TlsProtocolSet.Tls11 | TlsProtocolSet.Tls12 | TlsProtocolSet.Tls13;
        }

        bool tls13 = (offered & TlsProtocolSet.Tls13) != 0;
        bool below13 = (offered & ~TlsProtocolSet.Tls13) != 0;
        var suites = new List<TlsCipherSuite>();
        int tls13Count = 0;
        if (tls13)
        {
            // OpenSSL governs TLS 1.3 suites apart from the cipher string: its default three, in its order.
            foreach (ushort id in CipherSelection.DefaultTls13Suites)
            {
                suites.Add((TlsCipherSuite)id);
                tls13Count++;
            }
        }

        if (below13)
        {
            foreach (int r in selection.Rows)
            {
                suites.Add((TlsCipherSuite)CipherSuiteTable.Row(r).Id);
            }
        }

        if (offerLegacy)
        {
            foreach (ushort id in LegacySuites)
            {
                if (!suites.Contains((TlsCipherSuite)id))
                {
                    suites.Add((TlsCipherSuite)id);
                }
            }
        }

        if (offered == TlsProtocolSet.None)
        {
            error = "protocols " + protocolList + " (" + protocolSource + ") leave no protocol the probe can offer (TLS 1.0 to 1.3): Postfix would fail the handshake";
            return false;
        }

        string listName = "tls_" + PostfixCiphers.GradeName(grade) + "_cipherlist";
        var source = new StringBuilder();
        source.Append(gradeSource).Append(" -> ").Append(listName);
        if (policy.Exclude is not null)
        {
            source.Append(", entry exclude=").Append(policy.Exclude);
        }

        if (exclusionLevel != PostfixTlsLevel.May)
        {
            source.Append(", level ").Append(levelName).Append(" excludes ").Append(exclusionLevel == PostfixTlsLevel.Encrypt ? "eNULL" : "aNULL");
        }

        source.Append("; ").Append(protocolSource);
        if (level == SecurityLevel.None)
        {
            source.Append("; level none sends no STARTTLS: probed as may would");
        }

        if (offerLegacy)
        {
            source.Append("; --offer-legacy adds TLS 1.0/1.1 and CBC suites");
        }

        offer = new ProbeOffer(offered, [.. suites], tls13Count, cipherString, source.ToString(), offerLegacy);
        return true;
    }

    /// <summary>A short form for a failure message: <c>the probe offered TLSv1.2 TLSv1.3, 68 suites from "..."</c>.</summary>
    /// <returns>The text.</returns>
    public string Summary() =>
        "the probe offered " + string.Join(' ', ProtocolNames) + ", " + Suites.Count.ToString(CultureInfo.InvariantCulture) + " suites from \"" + CipherString + "\" (" + Source + ")"
        + (Suites.Count <= 8 ? ": " + string.Join(' ', SuiteNames) : string.Empty);

    /// <summary>
    /// One line for the report: protocols, counts, the cipher string and its source, and the suite names when there are
    /// few (all names are in the JSON report).
    /// </summary>
    /// <returns>The line.</returns>
    public string Describe()
    {
        var sb = new StringBuilder("offered ");
        sb.AppendJoin(' ', ProtocolNames).Append(" with ").Append(Suites.Count.ToString(CultureInfo.InvariantCulture)).Append(" suites (");
        sb.Append(Tls13Count.ToString(CultureInfo.InvariantCulture)).Append(" TLS 1.3, ").Append((Suites.Count - Tls13Count).ToString(CultureInfo.InvariantCulture)).Append(" TLS 1.2 and older");
        sb.Append(" from \"").Append(CipherString).Append("\"; ").Append(Source).Append(')');
        if (Suites.Count <= 8)
        {
            sb.Append(": ").AppendJoin(' ', SuiteNames);
        }

        return sb.ToString();
    }
}
