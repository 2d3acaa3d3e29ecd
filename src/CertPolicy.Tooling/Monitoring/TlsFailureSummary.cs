using System.Globalization;
using System.Net;

namespace CertPolicy.Monitoring;

/// <summary>How often one destination, relay or client failed, and how.</summary>
public sealed class TlsFailureCount
{
    internal TlsFailureCount(string key) => Key = key;

    /// <summary>The recipient domain, relay (<c>host[addr]:port</c>) or client IP address.</summary>
    public string Key { get; }

    /// <summary>Number of events.</summary>
    public long Count { get; private set; }

    /// <summary>Line of the first event.</summary>
    public long FirstLine { get; private set; }

    /// <summary>Line of the last event.</summary>
    public long LastLine { get; private set; }

    /// <summary>The distinct kinds seen, in enum order.</summary>
    public IReadOnlyList<PostfixTlsEventKind> Kinds
    {
        get
        {
            var list = new List<PostfixTlsEventKind>();
            for (int k = 0; k < 32; k++)
            {
                if ((kindBits & (1u << k)) != 0)
                {
                    list.Add((PostfixTlsEventKind)k);
                }
            }

            return list;
        }
    }

    private uint kindBits;

    internal void Add(PostfixTlsEvent e)
    {
        if (Count == 0)
        {
            FirstLine = e.LineNumber;
        }

        Count++;
        LastLine = e.LineNumber;
        int k = (int)e.Kind;
        if (k is >= 0 and < 32)
        {
            kindBits |= 1u << k;
        }
    }
}

/// <summary>
/// Aggregates <see cref="PostfixTlsEvent"/>s (R-T11): outbound failures per recipient domain and per relay,
/// inbound failures per client IP address; and writes <c>smtpd_discard_ehlo_keyword_address_maps</c> lines for
/// clients that keep failing inbound. Memory is bounded: at most <see cref="MaxKeys"/> keys per grouping,
/// further keys are only counted in <see cref="OverflowEvents"/>.
/// </summary>
/// <remarks>
/// The recipient domain is the next-hop domain unless <c>transport_maps</c> or a relayhost route the mail
/// elsewhere; this class does not read Postfix's configuration. Events without a recipient (certificate
/// verification lines, the "more MX hosts remain" form) count per relay only; events without a relay
/// (<c>relay=none</c>) count per domain only.
/// </remarks>
public sealed class TlsFailureSummary
{
    /// <summary>Largest number of distinct keys kept per grouping (a hostile log cannot exhaust memory).</summary>
    public const int MaxKeys = 100_000;

    private readonly Dictionary<string, TlsFailureCount> byDomain = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TlsFailureCount> byRelay = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TlsFailureCount> byClient = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>All events added.</summary>
    public long TotalEvents { get; private set; }

    /// <summary>Outbound (smtp) events added.</summary>
    public long OutboundEvents { get; private set; }

    /// <summary>Inbound (smtpd) events added.</summary>
    public long InboundEvents { get; private set; }

    /// <summary>Events not attributed to a key because a grouping already held <see cref="MaxKeys"/> keys.</summary>
    public long OverflowEvents { get; private set; }

    /// <summary>Adds one event.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tlsEvent"/> is null.</exception>
    public void Add(PostfixTlsEvent tlsEvent)
    {
        ArgumentNullException.ThrowIfNull(tlsEvent);
        TotalEvents++;
        if (tlsEvent.Direction == MailDirection.Inbound)
        {
            InboundEvents++;
            Count(byClient, tlsEvent.PeerAddress ?? "unknown", tlsEvent);
            return;
        }

        OutboundEvents++;
        if (tlsEvent.RecipientDomain is { } domain)
        {
            Count(byDomain, domain, tlsEvent);
        }

        if (tlsEvent.PeerDisplay is { } relay)
        {
            Count(byRelay, relay, tlsEvent);
        }
    }

    /// <summary>Outbound failures per recipient domain, most first (ties by key, ordinal).</summary>
    public IReadOnlyList<TlsFailureCount> ByDestination() => Sorted(byDomain);

    /// <summary>Outbound failures per relay <c>host[addr]:port</c>, most first.</summary>
    public IReadOnlyList<TlsFailureCount> ByRelay() => Sorted(byRelay);

    /// <summary>Inbound failures (<c>SSL_accept error</c>) per client IP address, most first.</summary>
    public IReadOnlyList<TlsFailureCount> ByClient() => Sorted(byClient);

    /// <summary>
    /// Lines for <c>smtpd_discard_ehlo_keyword_address_maps</c> (R-T11): a comment header, then
    /// <c>&lt;ip&gt; STARTTLS</c> for every client IP address with at least <paramref name="minimumFailures"/>
    /// inbound TLS handshake failures, one per address, sorted (IPv4 before IPv6, then by address bytes).
    /// Addresses are re-formatted from <see cref="IPAddress"/>; anything in the log that is not an IP address
    /// (<c>unknown</c>) is never written.
    /// </summary>
    /// <remarks>
    /// Such a client then gets no STARTTLS offer and sends in plain text. That is acceptable only for senders
    /// whose mail may travel unencrypted (R-T7): it must NEVER be applied to a partner with whom mandatory TLS
    /// was agreed (R-T6, R-T8: turning TLS off for such a partner is not allowed). Review the list against the
    /// partner table before installing it; this method cannot tell partners' addresses apart.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumFailures"/> is below 1.</exception>
    public IReadOnlyList<string> DiscardMapLines(int minimumFailures)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumFailures, 1);
        var addresses = new List<IPAddress>();
        foreach (var c in byClient.Values)
        {
            if (c.Count >= minimumFailures && IPAddress.TryParse(c.Key, out var ip) && IsPlainAddress(c.Key))
            {
                addresses.Add(ip);
            }
        }

        addresses.Sort(CompareAddresses);
        var lines = new List<string>(addresses.Count + 4)
        {
            "# smtpd_discard_ehlo_keyword_address_maps (R-T11): clients with at least "
                + minimumFailures.ToString(CultureInfo.InvariantCulture) + " inbound TLS handshake failures (SSL_accept error).",
            "# They will no longer be offered STARTTLS and will send in plain text.",
            "# NEVER list a partner with mandatory TLS (R-T6, R-T8): review against the tls_policy partners first.",
        };
        string? previous = null;
        foreach (var ip in addresses)
        {
            string text = ip.ToString();
            if (text != previous)
            {
                lines.Add(text + " STARTTLS");
            }

            previous = text;
        }

        return lines;
    }

    // IPAddress.TryParse also accepts "1", "0x7f.1", scope ids and ports in brackets: only plain dotted-quad
    // IPv4 and IPv6 text as Postfix logs it may reach a map.
    private static bool IsPlainAddress(string s)
    {
        foreach (char c in s)
        {
            if (!(char.IsAsciiHexDigit(c) || c == '.' || c == ':'))
            {
                return false;
            }
        }

        return s.Contains(':', StringComparison.Ordinal) || s.AsSpan().Count('.') == 3;
    }

    private static int CompareAddresses(IPAddress a, IPAddress b)
    {
        var x = a.GetAddressBytes();
        var y = b.GetAddressBytes();
        int c = x.Length.CompareTo(y.Length);
        return c != 0 ? c : x.AsSpan().SequenceCompareTo(y);
    }

    private void Count(Dictionary<string, TlsFailureCount> map, string key, PostfixTlsEvent e)
    {
        if (!map.TryGetValue(key, out var count))
        {
            if (map.Count >= MaxKeys)
            {
                OverflowEvents++;
                return;
            }

            count = new TlsFailureCount(key);
            map.Add(key, count);
        }

        count.Add(e);
    }

    private static List<TlsFailureCount> Sorted(Dictionary<string, TlsFailureCount> map)
    {
        var list = new List<TlsFailureCount>(map.Values);
        list.Sort(static (a, b) =>
        {
            int c = b.Count.CompareTo(a.Count);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });
        return list;
    }
}
