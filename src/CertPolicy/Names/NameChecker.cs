using System.Buffers;

namespace CertPolicy.Names;

/// <summary>The outcome of a certificate name check.</summary>
public enum NameCheckStatus : byte
{
    /// <summary>The certificate names satisfy the match list.</summary>
    Matched = 0,

    /// <summary>No presented name satisfies the match list (Postfix: <c>num=62:hostname mismatch</c>, or 64 for IP).</summary>
    NotMatched = 1,

    /// <summary>The match list produced no usable reference name (Postfix: <c>could not configure peer name checks</c>).</summary>
    NoReferenceNames = 2,

    /// <summary>The certificate could not be read (malformed DER, or more names than the limit).</summary>
    MalformedCertificate = 3,
}

/// <summary>
/// The result of <see cref="NameChecker.Check"/>: a status and, when matched, which presented name
/// matched (its position in the certificate DER, no copy).
/// </summary>
public readonly struct NameCheckResult
{
    internal NameCheckResult(NameCheckStatus status, PresentedName matched = default, int matchedElement = -1)
    {
        Status = status;
        MatchedName = matched;
        MatchedElement = matchedElement;
    }

    /// <summary>The status.</summary>
    public NameCheckStatus Status { get; }

    /// <summary>True when the names satisfy the match list.</summary>
    public bool IsMatch => Status == NameCheckStatus.Matched;

    /// <summary>The presented name that matched a host reference (or the IP SAN when only IP references exist); default otherwise.</summary>
    internal PresentedName MatchedName { get; }

    /// <summary>Index into <see cref="MatchList.Elements"/> of the element that matched, or -1.</summary>
    public int MatchedElement { get; }
}

/// <summary>
/// Checks a certificate's presented names against a Postfix match list exactly as Postfix 3.7 with
/// OpenSSL 3.0 does at <c>verify</c>/<c>secure</c> (postfix-tls.md 3, R-C2, R-T6).
/// </summary>
/// <remarks>
/// <para>Presented names: the dNSName SANs when the certificate has at least one; otherwise every
/// subject CN (IP or e-mail SANs do not suppress the CN). iPAddress SANs are used only for IP
/// references.</para>
/// <para>Result: host references (if any) need one match, and IP references (if any) need one
/// match; both kinds must hold when both are configured (so the default <c>secure</c> list always
/// fails for an IP-literal next hop: <c>.192.0.2.1</c> is a host reference that never matches a
/// real name).</para>
/// <para>Only the first IP reference in list order counts (including <c>nexthop</c>/<c>hostname</c>
/// when they are IP literals): OpenSSL's <c>SSL_add1_host</c> holds one IP address and refuses a
/// second, which Postfix logs as <c>error loading match name</c> and skips.</para>
/// <para>Does not check the chain, validity or key usage (that is <c>Validation/</c>). Allocates
/// nothing for ASCII host names and IPv4 literals; an IPv6 or non-ASCII next hop or MX name is
/// converted with an allocation.</para>
/// </remarks>
public static class NameChecker
{
    private const int StackNames = 64;

    /// <summary>Checks certificate names against a match list for one delivery.</summary>
    /// <param name="certificate">The leaf certificate DER.</param>
    /// <param name="matchList">The compiled match list (policy <c>match=</c> or the level default).</param>
    /// <param name="nextHopDomain">The next-hop domain without brackets and port (<c>nexthop</c>, <c>dot-nexthop</c>).</param>
    /// <param name="mxHost">The MX host name connected to, as published in the MX record (<c>hostname</c>); may be empty when the list does not use it.</param>
    public static NameCheckResult Check(ReadOnlySpan<byte> certificate, MatchList matchList, ReadOnlySpan<char> nextHopDomain, ReadOnlySpan<char> mxHost)
    {
        ArgumentNullException.ThrowIfNull(matchList);
        Span<PresentedName> local = stackalloc PresentedName[StackNames];
        PresentedName[]? rented = null;
        try
        {
            int count = CertificateNames.Read(certificate, local);
            Span<PresentedName> names = local;
            if (count < 0)
            {
                rented = ArrayPool<PresentedName>.Shared.Rent(CertificateNames.MaxNames);
                count = CertificateNames.Read(certificate, rented);
                if (count < 0)
                {
                    return new NameCheckResult(NameCheckStatus.MalformedCertificate);
                }

                names = rented;
            }

            return CheckNames(certificate, names[..count], matchList, nextHopDomain, mxHost);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<PresentedName>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The same check on names already read with <see cref="CertificateNames.Read(ReadOnlySpan{byte}, Span{PresentedName})"/>: for a hot path
    /// that caches a certificate's presented names with its chain verdict, so that each connection
    /// only compares (no DER walk). <paramref name="names"/> must come from <paramref name="certificate"/>.
    /// </summary>
    /// <param name="certificate">The leaf certificate DER the names point into.</param>
    /// <param name="names">Its presented names, as <see cref="CertificateNames.Read(ReadOnlySpan{byte}, Span{PresentedName})"/> returned them.</param>
    /// <param name="matchList">The compiled match list.</param>
    /// <param name="nextHopDomain">The next-hop domain without brackets and port.</param>
    /// <param name="mxHost">The MX host name, or empty.</param>
    internal static NameCheckResult CheckPresented(ReadOnlySpan<byte> certificate, ReadOnlySpan<PresentedName> names, MatchList matchList, ReadOnlySpan<char> nextHopDomain, ReadOnlySpan<char> mxHost)
    {
        ArgumentNullException.ThrowIfNull(matchList);
        foreach (var n in names)
        {
            if ((uint)n.Offset > (uint)certificate.Length || (uint)n.Length > (uint)(certificate.Length - n.Offset))
            {
                throw new ArgumentException("a presented name lies outside the certificate: names must come from CertificateNames.Read on the same bytes", nameof(names));
            }
        }

        return CheckNames(certificate, names, matchList, nextHopDomain, mxHost);
    }

    // Also the hot path's entry (CompiledPolicy): its names were read by CertificateNames.Read from the same cached
    // bytes, so the bounds check of CheckPresented would only repeat per connection what the cache fill established.
    internal static NameCheckResult CheckNames(ReadOnlySpan<byte> cert, ReadOnlySpan<PresentedName> names, MatchList list, ReadOnlySpan<char> nextHop, ReadOnlySpan<char> mx)
    {
        bool hasDnsSan = false;
        foreach (var n in names)
        {
            hasDnsSan |= n.Kind == PresentedNameKind.DnsSan;
        }

        bool anyHostRef = false, anyIpRef = false, hostOk = false, ipOk = false;
        PresentedName hostMatch = default, ipMatch = default;
        int hostElement = -1, ipElement = -1;
        var elements = list.Elements;
        var ipBuffer = default(IpAddressBuffer); // not stackalloc: no stack-cookie check on the common path
        Span<byte> address = ipBuffer;
        for (int e = 0; e < elements.Length; e++)
        {
            var element = elements[e];
            ReadOnlySpan<char> reference;
            bool dot = false;
            switch (element.Kind)
            {
                case MatchElementKind.NextHop:
                    reference = nextHop;
                    break;
                case MatchElementKind.HostName:
                    reference = mx;
                    break;
                case MatchElementKind.DotNextHop:
                    reference = nextHop;
                    dot = true;
                    break;
                case MatchElementKind.IPAddress:
                    if (anyIpRef)
                    {
                        continue; // OpenSSL keeps one IP reference; Postfix: error loading match name
                    }

                    anyIpRef = true;
                    if (TryMatchIp(cert, names, element.Address.AsSpan(), out ipMatch))
                    {
                        ipOk = true;
                        ipElement = e;
                    }

                    continue;
                default:
                    reference = element.Name;
                    break;
            }

            if (reference.IsEmpty)
            {
                continue; // no usable reference from this element (e.g. hostname without an MX name)
            }

            if (!dot && element.Kind is MatchElementKind.NextHop or MatchElementKind.HostName)
            {
                int alen = IPAddressOf(reference, address);
                if (alen > 0)
                {
                    if (anyIpRef)
                    {
                        continue; // OpenSSL keeps one IP reference; Postfix: error loading match name
                    }

                    anyIpRef = true;
                    if (TryMatchIp(cert, names, address[..alen], out ipMatch))
                    {
                        ipOk = true;
                        ipElement = e;
                    }

                    continue;
                }

                if (!HostNameSyntax.IsAscii(reference))
                {
                    if (!MatchList.TryToALabels(reference.ToString(), out var ascii, out _))
                    {
                        continue;
                    }

                    reference = ascii;
                }
            }
            else if (dot && !HostNameSyntax.IsAscii(reference))
            {
                if (!MatchList.TryToALabels(reference.ToString(), out var ascii, out _))
                {
                    continue;
                }

                reference = ascii;
            }

            anyHostRef = true;
            if (!hostOk && TryMatchHost(cert, names, hasDnsSan, reference, dot, out hostMatch))
            {
                hostOk = true;
                hostElement = e;
            }
        }

        if (!anyHostRef && !anyIpRef)
        {
            return new NameCheckResult(NameCheckStatus.NoReferenceNames);
        }

        if ((anyHostRef && !hostOk) || (anyIpRef && !ipOk))
        {
            return new NameCheckResult(NameCheckStatus.NotMatched);
        }

        return anyHostRef
            ? new NameCheckResult(NameCheckStatus.Matched, hostMatch, hostElement)
            : new NameCheckResult(NameCheckStatus.Matched, ipMatch, ipElement);
    }

    private static bool TryMatchHost(ReadOnlySpan<byte> cert, ReadOnlySpan<PresentedName> names, bool hasDnsSan, ReadOnlySpan<char> reference, bool dot, out PresentedName matched)
    {
        foreach (var n in names)
        {
            if (hasDnsSan ? n.Kind != PresentedNameKind.DnsSan : n.Kind != PresentedNameKind.CommonName)
            {
                continue;
            }

            var content = CertificateNames.Content(cert, n);
            bool match = n.Kind == PresentedNameKind.CommonName && n.StringTag is 28 or 30
                ? MatchesWideCommonName(content, n.StringTag, reference, dot)
                : dot ? DnsNameMatcher.MatchesDotDomain(reference, content) : DnsNameMatcher.Matches(reference, content);
            if (match)
            {
                matched = n;
                return true;
            }
        }

        matched = default;
        return false;
    }

    // BMPString/UniversalString CNs are converted first (rare: kept off the common path, whose
    // DNS SANs are compared in place without a scratch buffer to zero).
    private static bool MatchesWideCommonName(ReadOnlySpan<byte> content, byte stringTag, ReadOnlySpan<char> reference, bool dot)
    {
        Span<byte> scratch = stackalloc byte[256];
        int len = CertificateNames.ToComparable(content, stringTag, scratch);
        if (len < 0)
        {
            return false; // longer than any host name: cannot equal a reference of <= 255 characters
        }

        var converted = scratch[..len];
        return dot ? DnsNameMatcher.MatchesDotDomain(reference, converted) : DnsNameMatcher.Matches(reference, converted);
    }

    private static bool TryMatchIp(ReadOnlySpan<byte> cert, ReadOnlySpan<PresentedName> names, ReadOnlySpan<byte> address, out PresentedName matched)
    {
        foreach (var n in names)
        {
            if (n.Kind == PresentedNameKind.IPAddressSan && CertificateNames.Content(cert, n).SequenceEqual(address))
            {
                matched = n;
                return true;
            }
        }

        matched = default;
        return false;
    }

    // The same parse OpenSSL applies to every match name (SSL_add1_host -> a2i_IPADDRESS).
    private static int IPAddressOf(ReadOnlySpan<char> s, Span<byte> destination) => OpenSslIPAddress.Parse(s, destination);
}

/// <summary>Room for one IPv4 or IPv6 address.</summary>
[System.Runtime.CompilerServices.InlineArray(16)]
internal struct IpAddressBuffer
{
    private byte _first;
}
