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

/// <summary>
/// RFC 5280 4.2.1.10 name constraints for dNSName and iPAddress, applied to the DNS and IP SANs of every certificate below the
/// constraining CA, and to the leaf's CN when the leaf has no DNS SAN (name matching falls back to it). Any other constrained form (directoryName,
/// rfc822Name, URI, ...) is refused as unsupported: failing closed, where webpki and Go implement more forms.
/// Intermediates' subject CNs are not treated as DNS names. Each comparison spends the budget.
/// </summary>
internal static class NameConstraintChecker
{
    private static readonly Asn1Tag Permitted = new(TagClass.ContextSpecific, 0, true);
    private static readonly Asn1Tag Excluded = new(TagClass.ContextSpecific, 1, true);
    private static readonly Asn1Tag DnsName = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag IpAddress = new(TagClass.ContextSpecific, 7);

    // RFC 5280 4.2.1.10
    internal static NameConstraintResult Check(in CertificateView ca, ReadOnlySpan<byte> certificateDer, ReadOnlySpan<PresentedName> names, bool isLeaf, ref Budget budget)
    {
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
            if (hasExcluded)
            {
                var res = AnyMatch(d, excluded, form, value, ref budget, out bool any, out _);
                if (res != NameConstraintResult.Ok)
                {
                    return res;
                }

                if (any)
                {
                    return NameConstraintResult.Violated;
                }
            }

            if (hasPermitted)
            {
                var res = AnyMatch(d, permitted, form, value, ref budget, out bool any, out bool formConstrained);
                if (res != NameConstraintResult.Ok)
                {
                    return res;
                }

                if (formConstrained && !any)
                {
                    return NameConstraintResult.Violated;
                }
            }
        }

        return NameConstraintResult.Ok;
    }

    // GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }: RFC 5280 says
    // minimum MUST be zero and maximum MUST be absent, so both being encoded is refused as malformed.
    private static NameConstraintResult AnyMatch(ReadOnlySpan<byte> d, Range subtrees, Asn1Tag form, ReadOnlySpan<byte> name, ref Budget budget, out bool matched, out bool formConstrained)
    {
        matched = false;
        formConstrained = false;
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
                return NameConstraintResult.Violated;
            }

            if (tag == DnsName ? DnsMatches(d[value], name) : IpMatches(d[value], name))
            {
                matched = true;
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
