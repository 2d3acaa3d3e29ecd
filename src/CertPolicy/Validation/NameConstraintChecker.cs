using System.Formats.Asn1;
using CertPolicy.Names;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>Outcome of a name-constraints check.</summary>
internal enum NameConstraintResult
{
    Ok,
    Violated,
    Unsupported,
    Malformed,
    BudgetExceeded,
}

/// <summary>What broke a name constraint: the presented name, the subtree (a range of the constraining CA's DER) and its kind.</summary>
/// <param name="Name">The presented name of the constrained certificate.</param>
/// <param name="Subtree">The content of the subtree's base name in the CA's DER; default when the name has no permitted subtree at all.</param>
/// <param name="Excluded">True when the name falls in an excluded subtree, false when no permitted subtree contains it.</param>
/// <param name="Wildcard">True when the name is a wildcard judged by every name it can match.</param>
internal readonly record struct NameConstraintViolation(PresentedName Name, Range Subtree, bool Excluded, bool Wildcard);

/// <summary>
/// RFC 5280 4.2.1.10 name constraints for dNSName and iPAddress, applied to the DNS and IP SANs of every certificate below the
/// constraining CA, and to the leaf's CN when the leaf has no DNS SAN (name matching falls back to it). Any other constrained form (directoryName,
/// rfc822Name, URI, ...) is refused as unsupported: failing closed, where webpki and Go implement more forms.
/// Intermediates' subject CNs are not treated as DNS names. Each comparison spends the budget.
/// </summary>
/// <remarks>
/// <para>Wildcards (CVE-2025-61727; RUSTSEC-2026-0099). A DNS name whose left-most label is exactly <c>*</c> (<c>*.example.com</c>) is
/// judged by the set of names it can match: exactly one non-empty label in place of the <c>*</c> (DnsNameMatcher's rule). It falls in an
/// excluded subtree when ANY of those names does (so excluded <c>bad.example.com</c>, <c>example.com</c> or <c>.example.com</c> refuse it,
/// excluded <c>x.bad.example.com</c>, two labels below, does not), and a permitted subtree admits it only when it contains EVERY one of
/// them (permitted <c>example.com</c> and <c>.example.com</c> do, <c>a.example.com</c> does not: a finite union of single names never
/// covers an unbounded label, so one subtree must contain them all). RFC 5280 leaves wildcards in name constraints undefined.</para>
/// <para>Peers. Go 1.25.5 (crypto/x509 verify.go <c>matchDomainConstraint</c>, the CVE-2025-61727 fix, golang/go#76442) drops the
/// wildcard label and the constraint's left-most label before comparing, for excluded subtrees only; that over-excludes (a single-label
/// excluded constraint such as <c>tld</c> then matches every wildcard, golang/go#76935), which this exact rule does not. Go's permitted
/// side compares <c>*</c> literally, so permitted <c>a.example.com</c> refuses <c>*.example.com</c> there too. rustls-webpki 0.103.12
/// refuses a wildcard under a permitted subtree that does not contain all its names (RUSTSEC-2026-0099); BoringSSL refuses a wildcard that
/// could match an excluded name; OpenSSL 3.0 compares the wildcard literally and accepts both (openssl#30706, #30842 open).</para>
/// </remarks>
internal static class NameConstraintChecker
{
    private static readonly Asn1Tag Permitted = new(TagClass.ContextSpecific, 0, true);
    private static readonly Asn1Tag Excluded = new(TagClass.ContextSpecific, 1, true);
    private static readonly Asn1Tag DnsName = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag IpAddress = new(TagClass.ContextSpecific, 7);

    // RFC 5280 4.2.1.10
    internal static NameConstraintResult Check(in CertificateView ca, ReadOnlySpan<byte> certificateDer, ReadOnlySpan<PresentedName> names, bool isLeaf, ref Budget budget)
        => Check(ca, certificateDer, names, isLeaf, ref budget, out _);

    // RFC 5280 4.2.1.10; on Violated, 'violation' says which name broke which subtree.
    internal static NameConstraintResult Check(in CertificateView ca, ReadOnlySpan<byte> certificateDer, ReadOnlySpan<PresentedName> names, bool isLeaf, ref Budget budget, out NameConstraintViolation violation)
    {
        violation = default;
        var d = ca.Der.Span;
        var nc = ca.NameConstraintsRange;
        var r = new DerReader(d, nc.Start.Value, nc.End.Value);
        Range permitted = default, excluded = default;
        bool hasPermitted = r.TryReadOptional(Permitted, out bool p, out permitted) && p;
        bool hasExcluded = r.TryReadOptional(Excluded, out bool e, out excluded) && e;
        bool hasDnsSan = false;
        foreach (var n in names)
        {
            hasDnsSan |= n.Kind == PresentedNameKind.DnsSan;
        }

        foreach (var n in names)
        {
            // The CN stands in for a DNS name only on the leaf (name matching falls back to it there).
            bool isDns = n.Kind == PresentedNameKind.DnsSan || (isLeaf && n.Kind == PresentedNameKind.CommonName && !hasDnsSan);
            if (!isDns && n.Kind != PresentedNameKind.IPAddressSan)
            {
                continue;
            }

            var value = CertificateNames.Content(certificateDer, n);
            var form = isDns ? DnsName : IpAddress;
            bool wildcard = isDns && IsWildcard(value);
            if (hasExcluded)
            {
                var res = AnyMatch(d, excluded, form, value, excludedSubtrees: true, ref budget, out bool any, out _, out var subtree);
                if (res != NameConstraintResult.Ok)
                {
                    violation = new NameConstraintViolation(n, subtree, true, wildcard);
                    return res;
                }

                if (any)
                {
                    violation = new NameConstraintViolation(n, subtree, true, wildcard);
                    return NameConstraintResult.Violated;
                }
            }

            if (hasPermitted)
            {
                var res = AnyMatch(d, permitted, form, value, excludedSubtrees: false, ref budget, out bool any, out bool formConstrained, out _);
                if (res != NameConstraintResult.Ok)
                {
                    violation = new NameConstraintViolation(n, default, false, wildcard);
                    return res;
                }

                if (formConstrained && !any)
                {
                    violation = new NameConstraintViolation(n, default, false, wildcard);
                    return NameConstraintResult.Violated;
                }
            }
        }

        return NameConstraintResult.Ok;
    }

    // GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }: RFC 5280 says
    // minimum MUST be zero and maximum MUST be absent, so both being encoded is refused as malformed.
    // A wildcard name (IsWildcard) matches an excluded subtree when any name it can match lies in it, a permitted one when all do.
    private static NameConstraintResult AnyMatch(ReadOnlySpan<byte> d, Range subtrees, Asn1Tag form, ReadOnlySpan<byte> name, bool excludedSubtrees, ref Budget budget, out bool matched, out bool formConstrained, out Range matchedSubtree)
    {
        matched = false;
        formConstrained = false;
        matchedSubtree = default;
        var r = new DerReader(d, subtrees.Start.Value, subtrees.End.Value);
        while (r.HasData)
        {
            if (!r.TryRead(Asn1Tag.Sequence, out var subtree))
            {
                return NameConstraintResult.Malformed;
            }

            var s = new DerReader(d, subtree.Start.Value, subtree.End.Value);
            if (!s.TryReadAny(out var tag, out var value, out _) || s.HasData)
            {
                return NameConstraintResult.Malformed;
            }

            if (tag != DnsName && tag != IpAddress)
            {
                return NameConstraintResult.Unsupported;
            }

            if (tag != form)
            {
                continue;
            }

            formConstrained = true;
            if (!budget.TryConsumeNameConstraint())
            {
                return NameConstraintResult.BudgetExceeded;
            }

            // A malformed DNS name cannot be shown to lie inside a subtree (RFC 5280 4.2.1.6 preferred name syntax).
            if (tag == DnsName && !IsPlausibleDnsName(name))
            {
                matchedSubtree = value;
                return NameConstraintResult.Violated;
            }

            bool hit = tag != DnsName ? IpMatches(d[value], name)
                : !IsWildcard(name) ? DnsMatches(d[value], name)
                : excludedSubtrees ? WildcardMayMatch(d[value], name) : WildcardAlwaysMatches(d[value], name);
            if (hit && !matched)
            {
                matched = true;
                matchedSubtree = value;
            }
        }

        return NameConstraintResult.Ok;
    }

    /// <summary>RFC 5280 4.2.1.10 dNSName: "example.com" covers itself and its subdomains; ".example.com" only subdomains (Go's reading); empty covers all.</summary>
    internal static bool DnsMatches(ReadOnlySpan<byte> constraint, ReadOnlySpan<byte> name)
    {
        if (constraint.IsEmpty)
        {
            return true;
        }

        if (name.Length > 0 && name[^1] == (byte)'.')
        {
            name = name[..^1];
        }

        if (constraint[0] == (byte)'.')
        {
            return name.Length > constraint.Length && EqualsIgnoreCase(name[^constraint.Length..], constraint);
        }

        if (name.Length == constraint.Length)
        {
            return EqualsIgnoreCase(name, constraint);
        }

        return name.Length > constraint.Length && name[^(constraint.Length + 1)] == (byte)'.' && EqualsIgnoreCase(name[^constraint.Length..], constraint);
    }

    /// <summary>A DNS name whose left-most label is exactly <c>*</c>, with at least one label after it (a trailing dot ignored).</summary>
    internal static bool IsWildcard(ReadOnlySpan<byte> name)
    {
        name = TrimTrailingDot(name);
        return name.Length > 2 && name[0] == (byte)'*' && name[1] == (byte)'.';
    }

    /// <summary>
    /// True when every name the wildcard <paramref name="wildcard"/> (<c>*.S</c>) can match, <c>L.S</c> for any one non-empty label L,
    /// lies in the dNSName subtree <paramref name="constraint"/>. That holds exactly when S itself lies in the subtree written without its
    /// leading dot (for <c>.D</c>: L.S ends in <c>.D</c> iff S is D or ends in <c>.D</c>; for <c>D</c>: no single L.S equals D for every L),
    /// or the subtree is empty (everything). A lone <c>.</c> contains no name.
    /// </summary>
    internal static bool WildcardAlwaysMatches(ReadOnlySpan<byte> constraint, ReadOnlySpan<byte> wildcard)
    {
        if (constraint.IsEmpty)
        {
            return true;
        }

        var suffix = TrimTrailingDot(wildcard)[2..];
        var domain = constraint[0] == (byte)'.' ? constraint[1..] : constraint;
        return !domain.IsEmpty && domain[0] != (byte)'.' && DnsMatches(domain, suffix);
    }

    /// <summary>
    /// True when some name the wildcard <paramref name="wildcard"/> (<c>*.S</c>) can match lies in the dNSName subtree
    /// <paramref name="constraint"/>: when all do (<see cref="WildcardAlwaysMatches"/>), or the subtree is <c>X.S</c> without a leading
    /// dot for one label X (the wildcard matches X.S itself). A leading-dot subtree <c>.X.S</c> needs two labels before S: never.
    /// </summary>
    internal static bool WildcardMayMatch(ReadOnlySpan<byte> constraint, ReadOnlySpan<byte> wildcard)
    {
        if (WildcardAlwaysMatches(constraint, wildcard))
        {
            return true;
        }

        var suffix = TrimTrailingDot(wildcard)[2..];
        if (constraint.IsEmpty || constraint[0] == (byte)'.' || constraint.Length < suffix.Length + 2)
        {
            return false;
        }

        var label = constraint[..^(suffix.Length + 1)];
        return constraint[^(suffix.Length + 1)] == (byte)'.' && label.IndexOf((byte)'.') < 0 && EqualsIgnoreCase(constraint[^suffix.Length..], suffix);
    }

    /// <summary>The finding's message for a violation (explain path only): names the name, the subtree and both certificates.</summary>
    internal static string Describe(in CertificateView ca, int caDepth, ReadOnlySpan<byte> certificateDer, int certificateDepth, in NameConstraintViolation v)
    {
        var n = v.Name;
        var content = CertificateNames.Content(certificateDer, n);
        bool ip = n.Kind == PresentedNameKind.IPAddressSan;
        string name = ip ? IpText(content) : System.Text.Encoding.Latin1.GetString(content);
        string what = n.Kind == PresentedNameKind.CommonName ? "common name " : ip ? "IP address " : "name ";
        string caText = caDepth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string cert = certificateDepth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!ip && !IsPlausibleDnsName(content))
        {
            return "the " + what + "\"" + name + "\" of certificate " + cert + " is not a well-formed DNS name, so it cannot be shown to lie within the name constraints of certificate " + caText;
        }

        if (v.Excluded)
        {
            var value = ca.Der.Span[v.Subtree];
            string subtree = value.IsEmpty ? "\"\" (every name)" : ip ? IpText(value[..(value.Length / 2)]) + "/" + IpText(value[(value.Length / 2)..]) : System.Text.Encoding.Latin1.GetString(value);
            return v.Wildcard
                ? "the wildcard " + name + " of certificate " + cert + " can match names in the excluded subtree " + subtree + " of certificate " + caText
                : "the " + what + name + " of certificate " + cert + " lies in the excluded subtree " + subtree + " of certificate " + caText;
        }

        return v.Wildcard
            ? "the wildcard " + name + " of certificate " + cert + " can match names outside every permitted subtree of certificate " + caText + " (a permitted subtree must contain every name a wildcard can match)"
            : "the " + what + name + " of certificate " + cert + " lies outside every permitted subtree of certificate " + caText;
    }

    private static string IpText(ReadOnlySpan<byte> b) => b.Length is 4 or 16 ? new System.Net.IPAddress(b).ToString() : Convert.ToHexString(b);

    private static ReadOnlySpan<byte> TrimTrailingDot(ReadOnlySpan<byte> name) =>
        name.Length > 0 && name[^1] == (byte)'.' ? name[..^1] : name;

    private static bool IsPlausibleDnsName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name[0] == (byte)'.' || name.IndexOf(".."u8) >= 0)
        {
            return false;
        }

        foreach (byte b in name)
        {
            if (b <= 0x20 || b >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IpMatches(ReadOnlySpan<byte> constraint, ReadOnlySpan<byte> address)
    {
        if (constraint.Length != address.Length * 2)
        {
            return false;
        }

        for (int i = 0; i < address.Length; i++)
        {
            byte mask = constraint[address.Length + i];
            if ((address[i] & mask) != (constraint[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        for (int i = 0; i < a.Length; i++)
        {
            byte x = a[i], y = b[i];
            if (x is >= (byte)'A' and <= (byte)'Z')
            {
                x += 32;
            }

            if (y is >= (byte)'A' and <= (byte)'Z')
            {
                y += 32;
            }

            if (x != y)
            {
                return false;
            }
        }

        return true;
    }
}
