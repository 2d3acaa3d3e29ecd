using CertPolicy.Dane;
using CertPolicy.Policy;
using CertPolicy.Validation;

namespace CertPolicy.Evaluation;

/// <summary>What the levels <c>dane</c> and <c>dane-only</c> make of a gateway's TLSA answer before any certificate is
/// looked at (RFC 7672 2.2; postfix-tls.md 2 and 4.4).</summary>
internal enum DaneMode : byte
{
    /// <summary>Postfix defers the mail: the look-up failed or is bogus, or dane-only has no usable secure records.</summary>
    Defer = 0,

    /// <summary><c>dane</c> without DNSSEC-validated TLSA records: opportunistic TLS, as <c>may</c>.</summary>
    Opportunistic = 1,

    /// <summary><c>dane</c> with secure TLSA records none of which is usable: mandatory unauthenticated TLS, as <c>encrypt</c>.</summary>
    Encrypt = 2,

    /// <summary>Secure, usable TLSA records: the chain must match them (DANE authentication).</summary>
    Authenticate = 3,
}

/// <summary>
/// The semantics of the DANE levels (issue 15 item 2, R-D1), shared by <see cref="CompiledPolicy"/> and the probe.
/// <para><b>Before the certificate</b> (<see cref="Classify"/>): RFC 7672 2.2 and Postfix TLS_README, "Mandatory DANE
/// TLS authentication" and "Opportunistic DANE TLS" (postfix-tls.md 2 and 4.4, the table of level <c>dane</c>):
/// a failed or bogus TLSA look-up defers at both levels (it cannot be told from an attack that strips the records); no
/// DNSSEC-validated TLSA records make <c>dane</c> opportunistic (<c>may</c>) and defer <c>dane-only</c> ("no TLSA records
/// found", "non DNSSEC destination"); secure records none of which is usable (PKIX-TA(0)/PKIX-EE(1), unknown parameters)
/// make <c>dane</c> mandatory unauthenticated TLS (<c>encrypt</c>, RFC 7672 2.2 "MUST use TLS") and defer
/// <c>dane-only</c> ("TLSA records unusable"); secure usable records authenticate.</para>
/// <para><b>Authentication</b> (<see cref="DaneMatcher"/>): DANE-EE(3) by the leaf's key or certificate only, no name or
/// expiry check (RFC 7672 3.1.1); DANE-TA(2) by a chain to the matched anchor and a leaf that names the TLSA base domain
/// or the next-hop domain (RFC 7672 3.1.2, 3.2.2; Postfix's fixed DANE names, <c>match=</c> is refused at these levels).
/// The TLS floor is the mandatory one (postfix-tls.md 6.2: only a dane that fell back to may uses the opportunistic
/// protocols).</para>
/// <para><b>Profiles.</b> <c>postfix-secure</c> predicts Postfix: DANE authentication replaces the CA chain and name
/// checks. The strict profiles (<c>partner-2026</c>, <c>document-2019</c>, and any other) answer "may the partner present
/// this": R-D1, the DANE result is checked and reported (a mismatch fails) and never replaces R-C1..R-C12, which run on
/// the chain against the trust store as at <c>secure</c>, with the DANE names (<see cref="DaneMatcher.TaNames"/>). For a
/// mandatory-TLS partner (R-T6) a <c>dane</c> that falls back to <c>may</c> or <c>encrypt</c> fails R-T6 in every
/// profile, as <c>may</c> and <c>encrypt</c> do.</para>
/// </summary>
internal static class DaneLevel
{
    /// <summary>The code of R-T6 for a partner whose dane level fell back to unauthenticated TLS.</summary>
    internal const string PartnerFallbackCode = "dane.partner-fallback";

    /// <summary>The code of a DANE level evaluated without a TLSA answer (could not evaluate).</summary>
    internal const string NoInputCode = "dane.no-input";

    /// <summary>True when the profile predicts Postfix (DANE replaces the CA chain); every other profile is strict (R-D1).</summary>
    /// <param name="profile">The chain profile.</param>
    /// <returns>Whether DANE authentication alone decides.</returns>
    internal static bool PredictsPostfix(ValidationProfile profile) =>
        string.Equals(profile.Name, ValidationProfile.PostfixSecure.Name, StringComparison.Ordinal);

    /// <summary>Classifies the TLSA answer for a DANE level. Builds the message only when <paramref name="explain"/>.</summary>
    /// <param name="level">dane or dane-only.</param>
    /// <param name="dane">The TLSA answer.</param>
    /// <param name="explain">Build <paramref name="message"/>.</param>
    /// <param name="code">The finding code of the classification.</param>
    /// <param name="status">Failed for a deferral, else information.</param>
    /// <param name="message">The English message, or null.</param>
    /// <returns>The mode.</returns>
    internal static DaneMode Classify(SecurityLevel level, DaneInput dane, bool explain, out string code, out FindingStatus status, out string? message)
    {
        bool only = level == SecurityLevel.DaneOnly;
        string name = level.ToPostfixName();
        message = null;
        if (dane.State == TlsaLookupState.Failed)
        {
            // RFC 7672 2.2: a TLSA look-up that fails (SERVFAIL, bogus, timeout) defers delivery at both levels.
            code = dane.Bogus ? "dane.dnssec-bogus" : "dane.tlsa-lookup-failed";
            status = FindingStatus.Failed;
            if (explain)
            {
                message = dane.Where + (dane.Bogus ? " fail DNSSEC validation (bogus)" : " could not be looked up") + ": " + dane.Failure
                    + "; Postfix at level " + name + " defers the mail (RFC 7672 2.2)";
            }

            return DaneMode.Defer;
        }

        if (dane.State == TlsaLookupState.NoRecords || !dane.Secure)
        {
            // RFC 7672 2.2: TLSA records count only when DNSSEC-validated; without them DANE does not apply.
            code = dane.State == TlsaLookupState.NoRecords ? "dane.no-tlsa" : "dane.tlsa-insecure";
            status = only ? FindingStatus.Failed : FindingStatus.Info;
            if (explain)
            {
                string what = dane.State == TlsaLookupState.NoRecords
                    ? "no TLSA records at " + (dane.TlsaName ?? "the gateway") + (dane.Secure ? " (authenticated denial)" : " (the denial is not DNSSEC-signed)")
                    : dane.Where + " are not DNSSEC-validated and are ignored (RFC 7672 2.2)";
                message = what + (only
                    ? ": Postfix at level dane-only defers the mail (" + (dane.State == TlsaLookupState.NoRecords ? "no TLSA records found" : "non DNSSEC destination") + ")"
                    : ": at level dane Postfix falls back to opportunistic TLS (as may)");
            }

            return only ? DaneMode.Defer : DaneMode.Opportunistic;
        }

        if (!dane.HasUsableRecord)
        {
            // RFC 7672 2.2 and 3.1.3: secure TLSA records none of which is usable: TLS is mandatory, not authenticated.
            code = "dane.no-usable-records";
            status = only ? FindingStatus.Failed : FindingStatus.Info;
            if (explain)
            {
                message = dane.Where + " hold no usable record (DANE-TA(2) or DANE-EE(3))" + (only
                    ? ": Postfix at level dane-only defers the mail (TLSA records unusable)"
                    : ": at level dane Postfix requires TLS without authenticating the server (as encrypt)");
            }

            return only ? DaneMode.Defer : DaneMode.Encrypt;
        }

        code = "dane.tlsa";
        status = FindingStatus.Info;
        if (explain)
        {
            message = dane.Where + " are DNSSEC-validated and usable: the server's certificate must match them (RFC 7672 3)";
        }

        return DaneMode.Authenticate;
    }

    /// <summary>The R-T6 message for a partner whose dane level fell back (<see cref="PartnerFallbackCode"/>).</summary>
    /// <param name="nextHop">The next hop.</param>
    /// <param name="mode">Opportunistic or Encrypt.</param>
    /// <returns>The message.</returns>
    internal static string PartnerFallbackMessage(ReadOnlySpan<char> nextHop, DaneMode mode) =>
        "next hop " + nextHop.ToString() + " is a partner with mandatory TLS, but level dane falls back to "
        + (mode == DaneMode.Opportunistic ? "opportunistic TLS (as may)" : "unauthenticated TLS (as encrypt)")
        + " because there are no usable DNSSEC-validated TLSA records: the certificate would not be verified (R-T6); publish usable TLSA records or use secure with the partner's match list";

    /// <summary>Adds the matcher's findings to a report, each with its status (R-D1).</summary>
    /// <param name="sink">The report.</param>
    /// <param name="match">The matcher's result.</param>
    /// <param name="strict">A strict profile (R-D1: a self-signed DANE-EE certificate still breaks R-C7).</param>
    internal static void Report(ReportBuilder sink, DaneResult match, bool strict)
    {
        bool valid = match.Status == DaneStatus.Valid;
        foreach (var f in match.Findings)
        {
            var status = f.Code switch
            {
                "dane.valid" => FindingStatus.Passed,
                "dane.ee-self-signed" => strict ? FindingStatus.Failed : FindingStatus.Info,
                "dane.record-unusable" or "dane.too-many-records" or "dane.no-usable-records" => FindingStatus.Info,
                "dane.ee-mismatch" or "dane.ta-mismatch" or "dane.ta-chain" or "dane.ta-name-mismatch" => valid ? FindingStatus.Info : FindingStatus.Failed,
                _ => FindingStatus.Failed, // dane.invalid, dane.mismatch, and anything new: fail closed
            };
            int depth = f.Code == "dane.valid" ? match.Depth : f.Code == "dane.ee-self-signed" ? 0 : -1;
            sink.Add(f.Code, f.Rule ?? "R-D1", depth, status, f.Message);
        }

        if (valid)
        {
            sink.Add("dane.authenticated", "R-D1", -1, FindingStatus.Info, strict
                ? "DANE is checked and reported next to the partner rules and never replaces them (R-D1): the chain and names are checked as at secure, with the DANE names (MX host or next-hop domain, RFC 7672 3.2.2)"
                : "profile postfix-secure predicts Postfix: the DANE match replaces the CA chain and name checks (RFC 7672 3.1)");
        }
    }
}
