using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using TlsaRecord = CertPolicy.Dane.TlsaRecord;

namespace CertPolicy.Dns;

/// <summary>Where and how <see cref="DomainResolver"/> asks.</summary>
internal sealed record DomainResolverOptions
{
    /// <summary>The resolver to ask, e.g. 127.0.0.1:53; null = the system's resolvers (/etc/resolv.conf). It must be a
    /// validating resolver on a trusted path (loopback): its AD bit is the only DNSSEC check made.</summary>
    internal IPEndPoint? Server { get; init; }

    /// <summary>How long to wait for one answer.</summary>
    internal TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a query that got no answer is sent again (so at most 1 + Retries tries).</summary>
    internal int Retries { get; init; } = 2;
}

/// <summary>
/// The DNS look-ups of a domain-level check (issue 15): MX, A/AAAA, TLSA and TXT, over DnsClient's
/// <see cref="LookupClient"/> with the DO bit set (RFC 3225), no cache, and typed results. Never throws on DNS data or
/// network trouble: a look-up that fails is a <see cref="DnsAnswer{T}"/> with its <see cref="DnsOutcome"/> and a reason.
/// </summary>
/// <remarks>
/// <para><b>DNSSEC is not validated here.</b> The status of each answer is the AD bit of the configured resolver
/// (<see cref="DnssecStatus"/>): the resolver must validate (unbound, BIND, Knot Resolver with a root trust anchor) and
/// the path to it must be trusted (loopback, as Postfix requires for <c>smtp_dns_support_level = dnssec</c>). An
/// attacker on the path between us and a remote resolver can set the AD bit on anything (docs/security.md, "DNS
/// trust"). A non-validating resolver makes every answer <see cref="DnssecStatus.Insecure"/>.</para>
/// <para><b>Bogus.</b> A validating resolver answers SERVFAIL for data that fails validation (RFC 4035 5.5), and SERVFAIL
/// also means a broken or unreachable authoritative server. To tell them apart, a SERVFAIL is asked once more with the
/// CD bit (checking disabled, RFC 4035 3.2.2): if the resolver then answers NOERROR or NXDOMAIN, the data exists and
/// failed validation, so the answer is <see cref="DnssecStatus.Bogus"/>; otherwise it stays
/// <see cref="DnssecStatus.Unknown"/>. DnsClient cannot set CD, so that one query is sent by
/// <see cref="CheckingDisabledProbe"/> (UDP, same server, timeout and retries).</para>
/// <para><b>CNAME.</b> The resolver follows CNAMEs; the records of the asked type are taken at the end of the CNAME chain
/// of the answer (<see cref="DnsAnswer{T}.CanonicalName"/>, at most <see cref="MaxCnameChain"/> steps).
/// <see cref="LookupTlsaAsync"/> asks for the name it is given; <see cref="LookupTlsaForHostAsync(string, int, CancellationToken)"/>
/// applies the RFC 7672 2.2.3 TLSA base domain of a CNAME'd MX host.</para>
/// <para>Not done either: IDNA (names must be ASCII, A-labels), DNS over TLS/HTTPS, EDNS client subnet.</para>
/// </remarks>
internal sealed class DomainResolver
{
    /// <summary>The longest CNAME chain followed in an answer (unbound's own limit is 11 restarts; 16 is ample).</summary>
    internal const int MaxCnameChain = 16;

    /// <summary>The most MX hosts whose addresses <see cref="LookupMailHostsAsync"/> looks up (Postfix tries at most
    /// smtp_mx_address_limit = 5 addresses; a report wants every host, within reason).</summary>
    internal const int MaxMailHosts = 32;

    private readonly LookupClient _client;
    private readonly IPEndPoint? _server;
    private readonly TimeSpan _timeout;
    private readonly int _retries;

    /// <summary>A resolver with the given options.</summary>
    /// <param name="options">Server, timeout and retries.</param>
    /// <exception cref="ArgumentOutOfRangeException">A timeout that is not positive, or negative retries.</exception>
    internal DomainResolver(DomainResolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Retries, nameof(options));
        var o = options.Server is { } server ? new LookupClientOptions(server) : new LookupClientOptions();
        o.Timeout = options.Timeout;
        o.Retries = options.Retries;
        o.UseCache = false;
        o.ThrowDnsErrors = false;
        o.ContinueOnDnsError = false;
        o.ContinueOnEmptyResponse = false;
        o.RequestDnsSecRecords = true; // DO bit: a validating resolver then reports AD (RFC 6840 5.7)
        o.UseTcpFallback = true;
        o.EnableAuditTrail = false;
        _client = new LookupClient(o);
        _timeout = options.Timeout;
        _retries = options.Retries;
        _server = options.Server;
        if (_server is null)
        {
            foreach (var ns in _client.NameServers)
            {
                if (IPAddress.TryParse(ns.Address, out var address))
                {
                    _server = new IPEndPoint(address, ns.Port);
                    break;
                }
            }
        }
    }

    /// <summary>
    /// The MX hosts of a domain in delivery order (RFC 5321 5.1): by preference, equal preferences by host name. Null MX
    /// (RFC 7505: the single record <c>0 .</c>) gives <see cref="MxKind.NullMx"/> and no hosts; a <c>.</c> among other
    /// MX records breaks RFC 7505 3 and is dropped (said in <see cref="DnsAnswer{T}.Why"/>). No MX records (NODATA) gives
    /// the implicit MX: the domain itself, preference 0. NXDOMAIN or a failed look-up gives <see cref="MxKind.None"/>.
    /// </summary>
    /// <param name="domain">The domain (a trailing dot is ignored).</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The result.</returns>
    internal async Task<MxResult> LookupMxAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var answer = await LookupAsync(domain, QueryType.MX, ResourceRecordType.MX, ReadMx, cancellationToken).ConfigureAwait(false);
        switch (answer.Outcome)
        {
            case DnsOutcome.NoData:
                return new MxResult(answer, MxKind.Implicit, [new MailExchanger(0, answer.Name)]);
            case DnsOutcome.Answer:
                var hosts = new List<MailExchanger>(answer.Records.Count);
                int nullMx = 0;
                foreach (var mx in answer.Records)
                {
                    if (mx.Host.Length == 0)
                    {
                        nullMx++;
                    }
                    else
                    {
                        hosts.Add(mx);
                    }
                }

                if (hosts.Count == 0)
                {
                    return new MxResult(answer, MxKind.NullMx, []);
                }

                hosts.Sort(CompareMx);
                if (nullMx > 0)
                {
                    answer = answer with { Why = Join(answer.Why, "a null MX ('.') next to other MX records breaks RFC 7505 3; it is ignored") };
                }

                return new MxResult(answer, MxKind.Published, hosts);
            default:
                return new MxResult(answer, MxKind.None, []);
        }
    }

    /// <summary>The A and AAAA records of a host (two queries).</summary>
    /// <param name="host">The host name.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>Both answers.</returns>
    internal async Task<HostAddresses> LookupAddressesAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var a = await LookupAsync(host, QueryType.A, ResourceRecordType.A, ReadAddress, cancellationToken).ConfigureAwait(false);
        var aaaa = await LookupAsync(host, QueryType.AAAA, ResourceRecordType.AAAA, ReadAddress, cancellationToken).ConfigureAwait(false);
        return new HostAddresses(a.Name, a, aaaa);
    }

    /// <summary>The MX look-up of a domain, then the addresses of each host (at most <see cref="MaxMailHosts"/>) in MX
    /// order. The implicit MX's address is the domain's own.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="cancellationToken">Cancels the look-ups.</param>
    /// <returns>The hosts with their addresses.</returns>
    internal async Task<MailHosts> LookupMailHostsAsync(string domain, CancellationToken cancellationToken = default)
    {
        var mx = await LookupMxAsync(domain, cancellationToken).ConfigureAwait(false);
        var hosts = new List<HostAddresses>(Math.Min(mx.Hosts.Count, MaxMailHosts));
        for (int i = 0; i < mx.Hosts.Count && i < MaxMailHosts; i++)
        {
            hosts.Add(await LookupAddressesAsync(mx.Hosts[i].Host, cancellationToken).ConfigureAwait(false));
        }

        return new MailHosts(mx, hosts);
    }

    /// <summary>
    /// The TLSA records of <c>_PORT._tcp.HOST</c> (RFC 6698 3, RFC 7672 2.2), each read from its wire form with
    /// <see cref="TlsaRecord.TryRead"/> (a record without association data is dropped, said in
    /// <see cref="DnsAnswer{T}.Why"/>). The records are returned whatever the DNSSEC status: RFC 7672 2.2 lets a client use
    /// them only when <see cref="DnsAnswer{T}.IsSecure"/>, which <see cref="DaneCheck"/> enforces.
    /// </summary>
    /// <param name="host">The MX host (the TLSA base domain).</param>
    /// <param name="port">The port, 25 for SMTP.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The answer.</returns>
    internal Task<DnsAnswer<TlsaRecord>> LookupTlsaAsync(string host, int port = 25, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65_535);
        return LookupAsync("_" + port.ToString(CultureInfo.InvariantCulture) + "._tcp." + TrimDot(host), QueryType.TLSA, ResourceRecordType.TLSA, ReadTlsa, cancellationToken);
    }

    /// <summary>
    /// The TLSA records of an MX host with RFC 7672 2.2.3's TLSA base domain: when the host name is an alias (CNAME) and
    /// the whole expansion is DNSSEC-secure (the resolver set AD on the address answer that carries the CNAME chain), TLSA
    /// is looked up first at <c>_PORT._tcp.</c> of the fully expanded name, and only when that name has no TLSA records
    /// (NODATA or NXDOMAIN) at the original name; otherwise (no alias, or an insecure expansion) only at the original name.
    /// A failed or bogus look-up at the expanded name is the answer (RFC 7672 2.2: it cannot be told from an attack).
    /// </summary>
    /// <param name="host">The MX host name.</param>
    /// <param name="port">The port, 25 for SMTP.</param>
    /// <param name="cancellationToken">Cancels the look-ups.</param>
    /// <returns>The answer used and which name it came from.</returns>
    internal async Task<TlsaLookup> LookupTlsaForHostAsync(string host, int port = 25, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var a = await LookupAsync(host, QueryType.A, ResourceRecordType.A, ReadAddress, cancellationToken).ConfigureAwait(false);
        if (a.Outcome is DnsOutcome.Answer or DnsOutcome.NoData)
        {
            return await LookupTlsaForHostAsync(a, port, cancellationToken).ConfigureAwait(false);
        }

        // The alias cannot be known (the address look-up failed): the original name only.
        var original = await LookupTlsaAsync(host, port, cancellationToken).ConfigureAwait(false);
        return new TlsaLookup(original, TrimDot(host), TrimDot(host), false, "the address look-up of " + TrimDot(host) + " failed, so a CNAME expansion is not known; TLSA is looked up at the host name");
    }

    /// <summary>The same, with the host's address answer already at hand (its CNAME chain and AD bit decide, RFC 7672 2.2.3).</summary>
    /// <param name="address">The A (or AAAA) answer of the MX host.</param>
    /// <param name="port">The port, 25 for SMTP.</param>
    /// <param name="cancellationToken">Cancels the look-ups.</param>
    /// <returns>The answer used and which name it came from.</returns>
    internal async Task<TlsaLookup> LookupTlsaForHostAsync(DnsAnswer<IPAddress> address, int port = 25, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        string host = TrimDot(address.Name);
        string expanded = TrimDot(address.CanonicalName);
        if (SameName(host, expanded))
        {
            return new TlsaLookup(await LookupTlsaAsync(host, port, cancellationToken).ConfigureAwait(false), host, host, false, null);
        }

        if (!address.IsSecure)
        {
            // RFC 7672 2.2.3: an insecure expansion cannot be used as the TLSA base domain.
            return new TlsaLookup(await LookupTlsaAsync(host, port, cancellationToken).ConfigureAwait(false), host, host, false,
                host + " is an alias of " + expanded + ", but the expansion is not DNSSEC-validated: TLSA is looked up at " + host + " only (RFC 7672 2.2.3)");
        }

        var first = await LookupTlsaAsync(expanded, port, cancellationToken).ConfigureAwait(false);
        if (first.Outcome is not (DnsOutcome.NoData or DnsOutcome.NxDomain))
        {
            return new TlsaLookup(first, expanded, host, true, host + " is an alias of " + expanded + " (DNSSEC-validated): the TLSA base domain is " + expanded + " (RFC 7672 2.2.3)");
        }

        var second = await LookupTlsaAsync(host, port, cancellationToken).ConfigureAwait(false);
        return new TlsaLookup(second, host, host, false,
            host + " is an alias of " + expanded + " (DNSSEC-validated), which has no TLSA records: TLSA is looked up at " + host + " (RFC 7672 2.2.3)");
    }

    /// <summary>The TXT records of a name, each record's character-strings concatenated without separator (RFC 7208
    /// 3.3, as RFC 7489 6.6.3 and RFC 8461 3.1 ask). Strings are decoded as UTF-8 by DnsClient (invalid bytes become
    /// U+FFFD). Which record counts (e.g. only one starting <c>v=STSv1</c>) is the caller's rule.</summary>
    /// <param name="name">The owner name, e.g. <c>_mta-sts.example.com</c>.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The answer, one string per TXT record.</returns>
    internal Task<DnsAnswer<string>> LookupTxtAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return LookupAsync(name, QueryType.TXT, ResourceRecordType.TXT, ReadTxt, cancellationToken);
    }

    /// <summary>The MTA-STS TXT records of a domain: <c>_mta-sts.DOMAIN</c> (RFC 8461 3.1).</summary>
    /// <param name="domain">The policy domain.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The answer.</returns>
    internal Task<DnsAnswer<string>> LookupMtaStsAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return LookupTxtAsync("_mta-sts." + TrimDot(domain), cancellationToken);
    }

    /// <summary>The SMTP TLS reporting TXT records of a domain: <c>_smtp._tls.DOMAIN</c> (RFC 8460 3).</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The answer.</returns>
    internal Task<DnsAnswer<string>> LookupTlsRptAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return LookupTxtAsync("_smtp._tls." + TrimDot(domain), cancellationToken);
    }

    /// <summary>One query: the records of <paramref name="type"/> at the end of the answer's CNAME chain, the outcome and
    /// the DNSSEC status. Never throws but for cancellation by the caller.</summary>
    private async Task<DnsAnswer<T>> LookupAsync<T>(string name, QueryType query, ResourceRecordType type, Func<DnsResourceRecord, T?> read, CancellationToken ct)
        where T : class
    {
        string qname = TrimDot(name);
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(qname, query, QueryClass.IN, ct).ConfigureAwait(false);
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
        {
            return Failed<T>(qname, DnsOutcome.Timeout, "no answer from " + Server + " within " + Tries());
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failed<T>(qname, DnsOutcome.Timeout, "no answer from " + Server + " within " + Tries());
        }
        catch (DnsResponseException ex)
        {
            return Failed<T>(qname, DnsOutcome.NetworkError, "the answer from " + Server + " could not be used (" + ex.Code.ToString() + ")");
        }
        catch (SocketException ex)
        {
            return Failed<T>(qname, DnsOutcome.NetworkError, Server + " cannot be reached (" + ex.SocketErrorCode.ToString() + ")");
        }
        catch (IOException)
        {
            return Failed<T>(qname, DnsOutcome.NetworkError, "the connection to " + Server + " failed");
        }
        catch (ArgumentException)
        {
            return Failed<T>(qname, DnsOutcome.NetworkError, "'" + qname + "' is not a valid DNS name");
        }

        var rcode = response.Header.ResponseCode;
        if (rcode == DnsHeaderResponseCode.ServerFailure)
        {
            int? cd = _server is null ? null
                : await CheckingDisabledProbe.QueryRcodeAsync(_server, qname, (ushort)query, _timeout, _retries, ct).ConfigureAwait(false);
            return cd is 0 or 3
                ? Failed<T>(qname, DnsOutcome.ServerFailure, "SERVFAIL from the validating resolver, " + (cd == 0 ? "NOERROR" : "NXDOMAIN")
                    + " with checking disabled: the answer fails DNSSEC validation (bogus)", DnssecStatus.Bogus)
                : Failed<T>(qname, DnsOutcome.ServerFailure, "SERVFAIL from " + Server + (cd is null ? " (no answer with checking disabled)" : " (also with checking disabled: the name's servers fail, not DNSSEC)"));
        }

        var dnssec = response.Header.IsAuthenticData ? DnssecStatus.Secure : DnssecStatus.Insecure;
        if (rcode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return new DnsAnswer<T>(qname, DnsOutcome.NxDomain, dnssec, [], qname, null);
        }

        if (rcode != DnsHeaderResponseCode.NoError)
        {
            return Failed<T>(qname, DnsOutcome.Failure, "the resolver answers " + rcode.ToString().ToUpperInvariant());
        }

        string canonical = qname;
        for (int step = 0; step < MaxCnameChain; step++)
        {
            string? next = null;
            foreach (var rr in response.Answers)
            {
                if (rr is CNameRecord c && SameName(c.DomainName.Value, canonical))
                {
                    next = TrimDot(c.CanonicalName.Value);
                    break;
                }
            }

            if (next is null)
            {
                break;
            }

            canonical = next;
        }

        var records = new List<T>();
        int dropped = 0;
        foreach (var rr in response.Answers)
        {
            if (rr.RecordType != type || !SameName(rr.DomainName.Value, canonical))
            {
                continue;
            }

            if (read(rr) is { } value)
            {
                records.Add(value);
            }
            else
            {
                dropped++;
            }
        }

        string? why = dropped == 0 ? null
            : dropped.ToString(CultureInfo.InvariantCulture) + " " + type.ToString() + " record(s) could not be read and are ignored";
        return new DnsAnswer<T>(qname, records.Count > 0 ? DnsOutcome.Answer : DnsOutcome.NoData, dnssec, records, canonical, why);
    }

    private string Server => _server is null ? "the system resolver" : _server.ToString();

    private string Tries() =>
        _timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + " ms (" + (1 + _retries).ToString(CultureInfo.InvariantCulture) + " tries)";

    private static DnsAnswer<T> Failed<T>(string name, DnsOutcome outcome, string why, DnssecStatus dnssec = DnssecStatus.Unknown) =>
        new(name, outcome, dnssec, [], name, why);

    private static MailExchanger? ReadMx(DnsResourceRecord rr) => rr is MxRecord m ? new MailExchanger(m.Preference, TrimDot(m.Exchange.Value)) : null;

    private static IPAddress? ReadAddress(DnsResourceRecord rr) => rr is AddressRecord a ? a.Address : null;

    private static string? ReadTxt(DnsResourceRecord rr) => rr is TxtRecord t ? string.Concat(t.Text) : null;

    // The wire form of the RDATA (RFC 6698 2.1) rebuilt from DnsClient's fields, read by the core's TryRead: usage,
    // selector and matching type are single octets that DnsClient keeps as byte-sized enums, whatever their value.
    private static TlsaRecord? ReadTlsa(DnsResourceRecord rr)
    {
        if (rr is not DnsClient.Protocol.TlsaRecord t)
        {
            return null;
        }

        var data = t.CertificateAssociationData;
        var wire = new byte[3 + data.Count];
        wire[0] = (byte)t.CertificateUsage;
        wire[1] = (byte)t.Selector;
        wire[2] = (byte)t.MatchingType;
        int i = 3;
        foreach (byte b in data)
        {
            wire[i++] = b;
        }

        return TlsaRecord.TryRead(wire, out var record) ? record : null;
    }

    private static int CompareMx(MailExchanger x, MailExchanger y)
    {
        int c = x.Preference.CompareTo(y.Preference);
        return c != 0 ? c : string.Compare(x.Host, y.Host, StringComparison.OrdinalIgnoreCase);
    }

    private static string? Join(string? a, string b) => a is null ? b : a + "; " + b;

    /// <summary>The name without one trailing dot (the root "." becomes the empty string).</summary>
    internal static string TrimDot(string name) => name.EndsWith('.') ? name[..^1] : name;

    // DNS names compare ASCII case-insensitively (RFC 4343), one trailing dot ignored.
    private static bool SameName(string a, string b) => string.Equals(TrimDot(a), TrimDot(b), StringComparison.OrdinalIgnoreCase);
}
