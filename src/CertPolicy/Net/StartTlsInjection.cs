using System.Globalization;
using CertPolicy.Validation;

namespace CertPolicy.Net;

/// <summary>
/// The finding for plaintext a server sent after its 220 reply to STARTTLS and before the TLS handshake
/// (<see cref="ProbeResult.PlaintextAfterStartTls"/>): the CVE-2011-0411 class, seen from the client.
/// </summary>
/// <remarks>
/// RFC 3207 4: after the 220 reply the TLS negotiation starts, and nothing else may come first; RFC 3207 4.2: the
/// client discards everything it learned before TLS. A man in the middle who injects a reply there (e.g. a fake
/// "250" meant to be read as the answer to the EHLO sent over TLS, or a fake second "220") attacks exactly this
/// boundary (Poddebniak et al., "Why TLS is better without STARTTLS", USENIX Security 2021: "response injection").
/// The probe drops those bytes unread, as Postfix's smtp(8) and posttls-finger drop their buffered input at the
/// TLS start (smtp_proto.c <c>smtp_start_tls</c>, <c>vstream_fpurge</c>); Postfix does not log it, CertPolicy
/// reports it as a failure: either the path to the gateway is tampered with or the gateway's STARTTLS is broken,
/// and neither is a "Secure Channel TLS" (R-T6) nor a working STARTTLS (R-T1) to sign off.
/// </remarks>
internal static class StartTlsInjection
{
    /// <summary>Finding code (stable).</summary>
    public const string Code = "starttls-plaintext-injection";

    /// <summary>Adds the finding when the probe dropped plaintext after the STARTTLS reply.</summary>
    /// <param name="probe">The probe result.</param>
    /// <param name="findings">The findings so far.</param>
    public static void Evaluate(ProbeResult probe, List<ProbeFinding> findings)
    {
        // RFC 3207 4 (nothing between the 220 reply and the TLS negotiation), CVE-2011-0411 class.
        if (probe.PlaintextAfterStartTls <= 0)
        {
            return;
        }

        findings.Add(new(
            Code,
            "R-T1",
            FindingStatus.Failed,
            "host " + probe.Host + "[" + (probe.Address ?? probe.Host) + "]:" + probe.Port.ToString(CultureInfo.InvariantCulture) + " sent "
                + probe.PlaintextAfterStartTls.ToString(CultureInfo.InvariantCulture)
                + " bytes of plaintext after its reply to STARTTLS and before the TLS handshake; they were discarded unread."
                + " A server must wait for the handshake (RFC 3207): injected plaintext is the sign of a man in the middle or of a broken STARTTLS implementation"));
    }
}
