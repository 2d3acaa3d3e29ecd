using System.Net;

namespace CertPolicy.Dns;

/// <summary>How a DNS look-up ended (RFC 1035 4.1.1 RCODE, RFC 2308 for NXDOMAIN and NODATA).</summary>
internal enum DnsOutcome : byte
{
    /// <summary>NOERROR with at least one record of the type asked for (after CNAME expansion).</summary>
    Answer = 0,

    /// <summary>NOERROR without a record of the type asked for: the name exists, the type does not (RFC 2308 2.2).</summary>
    NoData = 1,

    /// <summary>NXDOMAIN: the name does not exist (RFC 2308 2.1).</summary>
    NxDomain = 2,

    /// <summary>SERVFAIL. With a validating resolver this is also how a bogus answer looks: see
    /// <see cref="DnssecStatus.Bogus"/>.</summary>
    ServerFailure = 3,

    /// <summary>Another error code (REFUSED, FORMERR, NOTIMP, ...).</summary>
    Failure = 4,

    /// <summary>No answer within the configured timeout and retries.</summary>
    Timeout = 5,

    /// <summary>The query could not be sent or the answer not read (socket error, malformed answer, invalid name).</summary>
    NetworkError = 6,
}

/// <summary>
/// The DNSSEC status of one answer, as the configured resolver reports it. We do NOT validate DNSSEC ourselves: the
/// status is the resolver's AD bit (RFC 4035 3.2.3, RFC 6840 5.7), which is only as good as the resolver and the path to
/// it (a validating resolver on loopback; docs/security.md, "DNS trust").
/// </summary>
internal enum DnssecStatus : byte
{
    /// <summary>No usable answer (timeout, network error, or a SERVFAIL that is not a validation failure).</summary>
    Unknown = 0,

    /// <summary>An answer (records, NODATA or NXDOMAIN) without the AD bit: unsigned, or the resolver does not validate.</summary>
    Insecure = 1,

    /// <summary>An answer (records, or an authenticated denial for NODATA/NXDOMAIN) with the AD bit set.</summary>
    Secure = 2,

    /// <summary>The resolver answered SERVFAIL and the same query with CD (checking disabled, RFC 4035 3.2.2) got
    /// NOERROR or NXDOMAIN: the data exists and failed validation (RFC 4035 5.5).</summary>
    Bogus = 3,
}

/// <summary>The records of one look-up, with how it ended and its DNSSEC status. Never an exception for DNS data.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="Name">The name asked for (without a trailing dot).</param>
/// <param name="Outcome">How the look-up ended.</param>
/// <param name="Dnssec">The resolver's DNSSEC verdict.</param>
/// <param name="Records">The records of the asked type, in the order the resolver gave them; empty unless
/// <see cref="DnsOutcome.Answer"/>.</param>
/// <param name="CanonicalName">The name after the CNAME chain of the answer (the asked name when there is none).</param>
/// <param name="Why">What went wrong or was dropped, for a report; null when nothing is to say.</param>
internal sealed record DnsAnswer<T>(string Name, DnsOutcome Outcome, DnssecStatus Dnssec, IReadOnlyList<T> Records, string CanonicalName, string? Why)
{
    /// <summary>True when the resolver set the AD bit on the answer.</summary>
    internal bool IsSecure => Dnssec == DnssecStatus.Secure;
}

/// <summary>One mail exchanger (RFC 5321 5.1).</summary>
/// <param name="Preference">The MX preference (lower first).</param>
/// <param name="Host">The exchange host name, without a trailing dot.</param>
internal sealed record MailExchanger(ushort Preference, string Host);

/// <summary>What the MX look-up says about a domain's mail hosts.</summary>
internal enum MxKind : byte
{
    /// <summary>The look-up failed or the domain does not exist: no hosts.</summary>
    None = 0,

    /// <summary>MX records are published; <see cref="MxResult.Hosts"/> holds them by preference.</summary>
    Published = 1,

    /// <summary>Null MX (RFC 7505: a single <c>0 .</c>): the domain accepts no mail.</summary>
    NullMx = 2,

    /// <summary>No MX records (NODATA): the domain itself is the implicit MX, preference 0 (RFC 5321 5.1).</summary>
    Implicit = 3,
}

/// <summary>The MX look-up of a domain.</summary>
/// <param name="Answer">The raw MX answer (records as the resolver gave them).</param>
/// <param name="Kind">Published, null MX, implicit or none.</param>
/// <param name="Hosts">The hosts to try, in order: by preference, equal preferences by host name (ordinal,
/// case-insensitive) so that reports are stable. Postfix shuffles equal preferences at each delivery
/// (smtp_randomize_addresses); every host of a preference must pass anyway.</param>
internal sealed record MxResult(DnsAnswer<MailExchanger> Answer, MxKind Kind, IReadOnlyList<MailExchanger> Hosts)
{
    /// <summary>The domain looked up.</summary>
    internal string Domain => Answer.Name;
}

/// <summary>The addresses of one host: its A and AAAA answers.</summary>
/// <param name="Host">The host name.</param>
/// <param name="A">The A answer.</param>
/// <param name="Aaaa">The AAAA answer.</param>
internal sealed record HostAddresses(string Host, DnsAnswer<IPAddress> A, DnsAnswer<IPAddress> Aaaa)
{
    /// <summary>The IPv4 addresses, then the IPv6 addresses, each in the resolver's order.</summary>
    internal IReadOnlyList<IPAddress> Addresses => [.. A.Records, .. Aaaa.Records];

    /// <summary>True when both answers carry the AD bit (RFC 7672 2.2.2: TLSA is looked up only for a secure address).</summary>
    internal bool IsSecure => A.IsSecure && Aaaa.IsSecure;
}

/// <summary>A domain's mail hosts in delivery order with their addresses.</summary>
/// <param name="Mx">The MX look-up.</param>
/// <param name="Hosts">One entry per host of <see cref="MxResult.Hosts"/>, same order.</param>
internal sealed record MailHosts(MxResult Mx, IReadOnlyList<HostAddresses> Hosts);

/// <summary>The TLSA answer of an MX host with the TLSA base domain it was found at (RFC 7672 2.2.3).</summary>
/// <param name="Answer">The TLSA answer used.</param>
/// <param name="BaseDomain">The TLSA base domain: the CNAME-expanded host name when the records came from there, else the
/// host name. DANE-TA name checks use it.</param>
/// <param name="HostName">The MX host name as given (without a trailing dot).</param>
/// <param name="Expanded">True when <see cref="BaseDomain"/> is the CNAME expansion of <see cref="HostName"/>.</param>
/// <param name="Why">How the name was chosen, for a report; null when the host is not an alias.</param>
internal sealed record TlsaLookup(DnsAnswer<CertPolicy.Dane.TlsaRecord> Answer, string BaseDomain, string HostName, bool Expanded, string? Why)
{
    /// <summary>The owner name the records were asked at (<c>_25._tcp.BASE</c>).</summary>
    internal string TlsaName => Answer.Name;
}
