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
/// <param name="Form">The GeneralName form (RFC 5280 4.2.1.6 tag): 2 dNSName or 7 iPAddress (then <paramref name="Name"/>'s kind says which,
/// a CN standing in for a DNS name included), 1 rfc822Name, 4 directoryName. For forms 1 and 4 only <paramref name="Name"/>'s offset and
/// length count (the name's content in the certificate: an e-mail address, a Name TLV); a StringTag other than 0 marks the subject's
/// emailAddress attribute.</param>
internal readonly record struct NameConstraintViolation(PresentedName Name, Range Subtree, bool Excluded, bool Wildcard, byte Form = 2);

/// <summary>
/// RFC 5280 4.2.1.10 / 6.1.3 (b, c) name constraints, applied to every certificate below the constraining CA:
/// <list type="bullet">
/// <item>dNSName and iPAddress: the DNS and IP SANs, and the leaf's CN when the leaf has no DNS SAN (name matching falls back to it).
/// Intermediates' subject CNs are not treated as DNS names.</item>
/// <item>directoryName: the subject (when not empty, as OpenSSL's NAME_CONSTRAINTS_check) and every directoryName SAN. A name lies in a
/// subtree when the subtree's RDNs are its first RDNs (RFC 5280 7.1). Deviation from RFC 5280 7.1 / RFC 4518: two attribute values are
/// equal when their DER is, or when both are UTF8String, PrintableString or IA5String and equal after ASCII case folding, trimming and
/// folding runs of spaces (what OpenSSL's canonical encoding does for ASCII); non-ASCII characters are compared byte for byte, and
/// TeletexString, BMPString and UniversalString values only by their DER. A multi-valued RDN matches another with the same
/// attributes in any order.</item>
/// <item>rfc822Name: the rfc822Name SANs, or, when there is none, the subject's emailAddress attributes (RFC 5280 4.2.1.10). A subtree
/// is a mailbox (<c>a@example.com</c>, local part exact, host case-insensitive), a host (<c>example.com</c>: every mailbox at that host)
/// or a domain (<c>.example.com</c>: mailboxes at any host below it). OpenSSL checks the emailAddress attributes even beside rfc822Name
/// SANs; this checker follows RFC 5280.</item>
/// <item>Every other form (URI, otherName, x400Address, ediPartyName, registeredID): a subtree of a form the certificate does not use is
/// ignored (RFC 5280 4.2.1.10 constrains names of that form only); when the certificate has a SAN of that form the result is
/// <see cref="NameConstraintResult.Unsupported"/>, failing closed.</item>
/// </list>
/// Each comparison of a name with a subtree spends the budget.
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
    private static readonly Asn1Tag Rfc822Name = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag DirectoryName = new(TagClass.ContextSpecific, 4, true);

    // GeneralName forms (tag numbers) as bits.
    private const int Rfc822Bit = 1 << 1, DnsBit = 1 << 2, DirectoryBit = 1 << 4, IpBit = 1 << 7;
    private const int EvaluatedForms = Rfc822Bit | DnsBit | DirectoryBit | IpBit;

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
        int constrained = 0;
        if ((hasPermitted && !Forms(d, permitted, ref constrained)) || (hasExcluded && !Forms(d, excluded, ref constrained)))
        {
            return NameConstraintResult.Malformed;
        }

        // Forms other than dNSName/iPAddress need the certificate's subject and SANs (read only then: the DNS-only case costs nothing more).
        Range subject = default, san = default;
        int used = 0;
        if ((constrained & ~(DnsBit | IpBit)) != 0)
        {
            if (CertificateView.TryLocateNames(certificateDer, out subject, out san) != CertificateError.None || !UsedForms(certificateDer, subject, san, out used))
            {
                return NameConstraintResult.Malformed;
            }

            // RFC 5280 4.2.1.10: a constraint on a form the certificate does not use does not concern it; one we cannot evaluate on a
            // form it does use fails closed.
            if ((constrained & used & ~EvaluatedForms) != 0)
            {
                return NameConstraintResult.Unsupported;
            }
        }

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

        if ((constrained & used & (Rfc822Bit | DirectoryBit)) == 0)
        {
            return NameConstraintResult.Ok;
        }

        return CheckOtherForms(d, hasPermitted, permitted, hasExcluded, excluded, constrained & used, certificateDer, subject, san, ref budget, out violation);
    }

    // RFC 5280 4.2.1.10 / 6.1.3 (b, c): directoryName over the subject and directoryName SANs, rfc822Name over the rfc822Name SANs or,
    // without any, the subject's emailAddress attributes.
    private static NameConstraintResult CheckOtherForms(ReadOnlySpan<byte> d, bool hasPermitted, Range permitted, bool hasExcluded, Range excluded, int forms, ReadOnlySpan<byte> cert, Range subject, Range san, ref Budget budget, out NameConstraintViolation violation)
    {
        violation = default;
        bool hasRfc822San = false;
        if (san.End.Value > san.Start.Value)
        {
            var outer = new DerReader(cert, san.Start.Value, san.End.Value);
            if (!outer.TryRead(Asn1Tag.Sequence, out var names))
            {
                return NameConstraintResult.Malformed;
            }

            var g = new DerReader(cert, names.Start.Value, names.End.Value);
            while (g.HasData)
            {
                if (!g.TryReadAny(out var tag, out var content, out _))
                {
                    return NameConstraintResult.Malformed;
                }

                hasRfc822San |= tag == Rfc822Name;
                if ((tag == Rfc822Name && (forms & Rfc822Bit) != 0) || (tag == DirectoryName && (forms & DirectoryBit) != 0))
                {
                    var res = CheckOne(d, hasPermitted, permitted, hasExcluded, excluded, tag, cert, content, 0, ref budget, out violation);
                    if (res != NameConstraintResult.Ok)
                    {
                        return res;
                    }
                }
            }
        }

        // The subject (a Name TLV) for directoryName when it is not empty; its emailAddress attributes for rfc822Name without rfc822Name SANs.
        if ((forms & DirectoryBit) != 0 && subject.End.Value - subject.Start.Value > 2)
        {
            var res = CheckOne(d, hasPermitted, permitted, hasExcluded, excluded, DirectoryName, cert, subject, 0, ref budget, out violation);
            if (res != NameConstraintResult.Ok)
            {
                return res;
            }
        }

        if ((forms & Rfc822Bit) == 0 || hasRfc822San)
        {
            return NameConstraintResult.Ok;
        }

        var rdns = new DerReader(cert, subject.Start.Value, subject.End.Value);
        if (!rdns.TryRead(Asn1Tag.Sequence, out var seq))
        {
            return NameConstraintResult.Malformed;
        }

        var r = new DerReader(cert, seq.Start.Value, seq.End.Value);
        while (r.HasData)
        {
            if (!r.TryRead(Asn1Tag.SetOf, out var rdn))
            {
                return NameConstraintResult.Malformed;
            }

            var atvs = new DerReader(cert, rdn.Start.Value, rdn.End.Value);
            while (atvs.HasData)
            {
                if (!atvs.TryRead(Asn1Tag.Sequence, out var atv))
                {
                    return NameConstraintResult.Malformed;
                }

                var a = new DerReader(cert, atv.Start.Value, atv.End.Value);
                if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var oid) || !a.TryReadAny(out var vt, out var value, out _))
                {
                    return NameConstraintResult.Malformed;
                }

                if (cert[oid].SequenceEqual(Oids.EmailAddress))
                {
                    var res = CheckOne(d, hasPermitted, permitted, hasExcluded, excluded, Rfc822Name, cert, value, (byte)vt.TagValue, ref budget, out violation);
                    if (res != NameConstraintResult.Ok)
                    {
                        return res;
                    }
                }
            }
        }

        return NameConstraintResult.Ok;
    }

    // One name of form 'form' (content 'name' in the certificate) against the excluded, then the permitted subtrees.
    private static NameConstraintResult CheckOne(ReadOnlySpan<byte> d, bool hasPermitted, Range permitted, bool hasExcluded, Range excluded, Asn1Tag form, ReadOnlySpan<byte> cert, Range name, byte stringTag, ref Budget budget, out NameConstraintViolation violation)
    {
        var (offset, length) = name.GetOffsetAndLength(cert.Length);
        var presented = new PresentedName(PresentedNameKind.DnsSan, stringTag, offset, length);
        byte formNumber = (byte)form.TagValue;
        violation = default;
        if (hasExcluded)
        {
            var res = AnyMatch(d, excluded, form, cert[name], excludedSubtrees: true, ref budget, out bool any, out _, out var subtree);
            if (res != NameConstraintResult.Ok || any)
            {
                violation = new NameConstraintViolation(presented, subtree, true, false, formNumber);
                return res != NameConstraintResult.Ok ? res : NameConstraintResult.Violated;
            }
        }

        if (hasPermitted)
        {
            var res = AnyMatch(d, permitted, form, cert[name], excludedSubtrees: false, ref budget, out bool any, out bool formConstrained, out _);
            if (res != NameConstraintResult.Ok || (formConstrained && !any))
            {
                violation = new NameConstraintViolation(presented, default, false, false, formNumber);
                return res != NameConstraintResult.Ok ? res : NameConstraintResult.Violated;
            }
        }

        return NameConstraintResult.Ok;
    }

    // The forms (GeneralName tag numbers as bits) of a GeneralSubtrees list; false when it is malformed (a base that is no GeneralName
    // [0]..[8] included).
    private static bool Forms(ReadOnlySpan<byte> d, Range subtrees, ref int forms)
    {
        var r = new DerReader(d, subtrees.Start.Value, subtrees.End.Value);
        while (r.HasData)
        {
            if (!r.TryRead(Asn1Tag.Sequence, out var subtree))
            {
                return false;
            }

            var s = new DerReader(d, subtree.Start.Value, subtree.End.Value);
            if (!s.TryReadAny(out var tag, out _, out _) || s.HasData)
            {
                return false;
            }

            if (tag.TagClass != TagClass.ContextSpecific || tag.TagValue > 8)
            {
                return false;
            }

            forms |= 1 << tag.TagValue;
        }

        return true;
    }

    // The forms the certificate uses: its SANs' forms, directoryName for a non-empty subject, rfc822Name for an emailAddress attribute.
    private static bool UsedForms(ReadOnlySpan<byte> cert, Range subject, Range san, out int used)
    {
        used = subject.End.Value - subject.Start.Value > 2 ? DirectoryBit : 0;
        if (san.End.Value > san.Start.Value)
        {
            var outer = new DerReader(cert, san.Start.Value, san.End.Value);
            if (!outer.TryRead(Asn1Tag.Sequence, out var names))
            {
                return false;
            }

            var g = new DerReader(cert, names.Start.Value, names.End.Value);
            while (g.HasData)
            {
                if (!g.TryReadAny(out var tag, out _, out _))
                {
                    return false;
                }

                used |= tag.TagClass == TagClass.ContextSpecific && tag.TagValue <= 8 ? 1 << tag.TagValue : 1 << 31;
            }
        }

        if (cert[subject].IndexOf(Oids.EmailAddress) >= 0)
        {
            used |= Rfc822Bit;
        }

        return true;
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

            // A malformed e-mail address cannot be shown to lie inside a subtree either (RFC 5280 4.2.1.6: a Mailbox, RFC 5321 4.1.2).
            if (tag == Rfc822Name && !IsPlausibleMailbox(name))
            {
                matchedSubtree = value;
                return NameConstraintResult.Violated;
            }

            bool hit;
            if (tag == DirectoryName)
            {
                var within = DirectoryNameWithin(d[value], name);
                if (within is null)
                {
                    return NameConstraintResult.Malformed;
                }

                hit = within.Value;
            }
            else
            {
                hit = tag == IpAddress ? IpMatches(d[value], name)
                    : tag == Rfc822Name ? MailboxMatches(d[value], name)
                    : !IsWildcard(name) ? DnsMatches(d[value], name)
                    : excludedSubtrees ? WildcardMayMatch(d[value], name) : WildcardAlwaysMatches(d[value], name);
            }

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

    /// <summary>
    /// RFC 5280 4.2.1.10 rfc822Name: a subtree with <c>@</c> is one mailbox (local part exact, host case-insensitive), one starting
    /// with <c>.</c> every mailbox on a host below that domain, any other one every mailbox on exactly that host; empty covers all.
    /// The address's host is what follows its last <c>@</c>.
    /// </summary>
    internal static bool MailboxMatches(ReadOnlySpan<byte> constraint, ReadOnlySpan<byte> address)
    {
        if (constraint.IsEmpty)
        {
            return true;
        }

        int at = address.LastIndexOf((byte)'@');
        var host = address[(at + 1)..];
        int cat = constraint.LastIndexOf((byte)'@');
        if (cat >= 0)
        {
            return address.Length == constraint.Length && address[..at].SequenceEqual(constraint[..cat]) && EqualsIgnoreCase(host, constraint[(cat + 1)..]);
        }

        if (constraint[0] == (byte)'.')
        {
            return host.Length > constraint.Length && EqualsIgnoreCase(host[^constraint.Length..], constraint);
        }

        return host.Length == constraint.Length && EqualsIgnoreCase(host, constraint);
    }

    // local@host with a non-empty local part and a plausible host name.
    private static bool IsPlausibleMailbox(ReadOnlySpan<byte> address)
    {
        int at = address.LastIndexOf((byte)'@');
        return at > 0 && IsPlausibleDnsName(address[(at + 1)..]);
    }

    /// <summary>
    /// RFC 5280 4.2.1.10 / 7.1: whether the Name <paramref name="name"/> (a Name TLV) lies in the directoryName subtree
    /// <paramref name="constraint"/> (a Name TLV): the subtree's RDNs are the name's first RDNs (see <see cref="RdnEquals"/>).
    /// Null when either is not a Name.
    /// </summary>
    internal static bool? DirectoryNameWithin(ReadOnlySpan<byte> constraint, ReadOnlySpan<byte> name)
    {
        var cr = new DerReader(constraint);
        var nr = new DerReader(name);
        if (!cr.TryRead(Asn1Tag.Sequence, out var cseq) || cr.HasData || !nr.TryRead(Asn1Tag.Sequence, out var nseq) || nr.HasData)
        {
            return null;
        }

        var c = new DerReader(constraint, cseq.Start.Value, cseq.End.Value);
        var n = new DerReader(name, nseq.Start.Value, nseq.End.Value);
        while (c.HasData)
        {
            if (!c.TryRead(Asn1Tag.SetOf, out var crdn))
            {
                return null;
            }

            if (!n.HasData)
            {
                return false;
            }

            if (!n.TryRead(Asn1Tag.SetOf, out var nrdn))
            {
                return null;
            }

            var eq = RdnEquals(constraint[crdn], name[nrdn]);
            if (eq != true)
            {
                return eq;
            }
        }

        return true;
    }

    // Two RDNs (SET OF AttributeTypeAndValue contents) are equal when they hold the same attributes in any order (AttributeEquals).
    private static bool? RdnEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.SequenceEqual(b))
        {
            return true;
        }

        int countA = 0, countB = 0;
        var rb = new DerReader(b);
        while (rb.HasData)
        {
            if (!rb.TryRead(Asn1Tag.Sequence, out _))
            {
                return null;
            }

            countB++;
        }

        var ra = new DerReader(a);
        while (ra.HasData)
        {
            if (!ra.TryRead(Asn1Tag.Sequence, out var atvA))
            {
                return null;
            }

            countA++;
            bool found = false;
            rb = new DerReader(b);
            while (!found && rb.TryRead(Asn1Tag.Sequence, out var atvB))
            {
                var eq = AttributeEquals(a[atvA], b[atvB]);
                if (eq is null)
                {
                    return null;
                }

                found = eq.Value;
            }

            if (!found)
            {
                return false;
            }
        }

        return countA == countB;
    }

    // RFC 5280 7.1 (subset): the same type, and DER-equal values, or UTF8String/PrintableString/IA5String values equal after ASCII case
    // folding, trimming and folding runs of spaces (non-ASCII bytes compared exactly).
    private static bool? AttributeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var ra = new DerReader(a);
        var rb = new DerReader(b);
        if (!ra.TryRead(Asn1Tag.ObjectIdentifier, out var oidA) || !ra.TryReadAny(out var tagA, out var valueA, out var tlvA) || ra.HasData
            || !rb.TryRead(Asn1Tag.ObjectIdentifier, out var oidB) || !rb.TryReadAny(out var tagB, out var valueB, out var tlvB) || rb.HasData)
        {
            return null;
        }

        if (!a[oidA].SequenceEqual(b[oidB]))
        {
            return false;
        }

        if (a[tlvA].SequenceEqual(b[tlvB]))
        {
            return true;
        }

        return IsFoldable(tagA) && IsFoldable(tagB) && FoldedEquals(a[valueA], b[valueB]);
    }

    private static bool IsFoldable(Asn1Tag tag) =>
        tag.TagClass == TagClass.Universal && !tag.IsConstructed && tag.TagValue is (int)UniversalTagNumber.UTF8String or (int)UniversalTagNumber.PrintableString or (int)UniversalTagNumber.IA5String;

    // Compares two strings after trimming spaces and folding runs of spaces into one, ASCII letters case-insensitively.
    private static bool FoldedEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        a = a.Trim((byte)' ');
        b = b.Trim((byte)' ');
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == (byte)' ' && b[j] == (byte)' ')
            {
                while (i < a.Length && a[i] == (byte)' ')
                {
                    i++;
                }

                while (j < b.Length && b[j] == (byte)' ')
                {
                    j++;
                }

                continue;
            }

            if (!EqualsIgnoreCase(a.Slice(i, 1), b.Slice(j, 1)))
            {
                return false;
            }

            i++;
            j++;
        }

        return i == a.Length && j == b.Length;
    }

    /// <summary>The finding's message for a violation (explain path only): names the name, the subtree and both certificates.</summary>
    internal static string Describe(in CertificateView ca, int caDepth, ReadOnlySpan<byte> certificateDer, int certificateDepth, in NameConstraintViolation v)
    {
        var n = v.Name;
        var content = CertificateNames.Content(certificateDer, n);
        if (v.Form is 1 or 4)
        {
            return DescribeOtherForm(ca, caDepth, content, certificateDepth, v);
        }

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

    private static string DescribeOtherForm(in CertificateView ca, int caDepth, ReadOnlySpan<byte> content, int certificateDepth, in NameConstraintViolation v)
    {
        bool mail = v.Form == 1;
        string caText = caDepth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string cert = certificateDepth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string what = mail ? (v.Name.StringTag != 0 ? "e-mail address (subject emailAddress) " : "e-mail address ") : "directory name ";
        string name = mail ? System.Text.Encoding.Latin1.GetString(content) : DnText(content);
        if (mail && !IsPlausibleMailbox(content))
        {
            return "the " + what + "\"" + name + "\" of certificate " + cert + " is not a well-formed e-mail address, so it cannot be shown to lie within the name constraints of certificate " + caText;
        }

        if (v.Excluded)
        {
            var value = ca.Der.Span[v.Subtree];
            string subtree = value.IsEmpty ? "\"\" (every address)" : mail ? System.Text.Encoding.Latin1.GetString(value) : DnText(value);
            return "the " + what + "\"" + name + "\" of certificate " + cert + " lies in the excluded subtree \"" + subtree + "\" of certificate " + caText;
        }

        return "the " + what + "\"" + name + "\" of certificate " + cert + " lies outside every permitted " + (mail ? "e-mail" : "directory name") + " subtree of certificate " + caText;
    }

    // RFC 4514 text of a Name TLV (explain path only); hex when .NET cannot render it.
    private static string DnText(ReadOnlySpan<byte> name)
    {
        try
        {
            var text = new System.Security.Cryptography.X509Certificates.X500DistinguishedName(name).Name;
            return text.Length == 0 ? "(empty)" : text;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return Convert.ToHexString(name);
        }
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
