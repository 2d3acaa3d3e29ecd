using System.Formats.Asn1;
using System.Globalization;
using CertPolicy.Names;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>
/// R-C11 (RULES.md): the certificates of a path meet RFC 5280's MUSTs and the CA/Browser Forum Baseline Requirements'
/// certificate profiles (BR 2.x section numbers). Applied by the strict profiles
/// (<see cref="ValidationProfile.CheckCertificateProfile"/>) to the path found and to the best failing path; every
/// finding is <c>profile.*</c>, rule R-C11, <see cref="VerdictReasons.ProfileViolation"/>, and its message names the
/// spec section. A compliant path allocates nothing here (no strings, LINQ or boxing; names are compared in place).
/// </summary>
/// <remarks>
/// <para>Where each rule applies: the leaf (depth 0), the intermediates, and the anchor only where the BR root profile
/// (7.1.2.1) says so: version, key identifiers, basicConstraints, no EKU, keys. The anchor is a trust input (RFC 5280
/// 6.1.1 (d)); its subject, names and other extensions are not judged. A v1/v2 certificate gets one finding
/// (<c>profile.version</c>) and no extension rule: the missing extensions follow from the version.</para>
/// <para>The S/MIME purpose (<see cref="ValidationRequest.Purpose"/> Email) gets the RFC 5280 rules and the key rules;
/// the TLS BR rules (SAN, CN, DNS syntax, wildcards, EKU presence and criticality, subject attributes) are skipped, because the
/// S/MIME BR profile differs and is the S/MIME evaluator's concern.</para>
/// <para>Not checked here: what the path check already refuses in every profile (unknown critical extensions,
/// non-critical name constraints, critical key identifiers, anyExtendedKeyUsage in the leaf), and what the reader
/// refuses (repeated extensions, a TBS signature algorithm that differs from the outer one): OpenSSL refuses those
/// too, so postfix-secure keeps its answer. Not implemented: certificatePolicies/CRLDP/AIA presence (BR MUSTs that
/// say nothing about the key or the name), subject attribute order and encoding (BR 7.1.4.1), P-label validity (IDNA).</para>
/// </remarks>
internal static class CertificateProfileRules
{
    private const string Rule = "R-C11";
    private const int MaxDnsName = 253;
    private const int MaxLabel = 63;

    private static string Depth(int d) => d.ToString(CultureInfo.InvariantCulture);

    private static void Add(IFindingSink sink, string code, int depth, string message) =>
        sink.Add(code, Rule, depth, message, VerdictReasons.ProfileViolation);

    /// <summary>Runs every rule over the path (leaf first, anchor last).</summary>
    internal static void Check(List<CertificateView> path, bool tls, IFindingSink sink)
    {
        int last = path.Count - 1;
        for (int d = 0; d <= last; d++)
        {
            var c = path[d];
            bool anchor = d == last && d > 0;

            // R-C11 (RULES.md), BR 7.1.1 / 7.1.2.1: every certificate, roots included, is X.509 v3.
            if (c.Version != 3)
            {
                Add(sink, "profile.version", d, sink.Explaining ? Who(d, anchor) + " is X.509 v" + Depth(c.Version) + ((c.Facts & ProfileFacts.HasExtensions) != 0 ? " and carries extensions (RFC 5280 4.1.2.9: v3 only)" : string.Empty) + "; public certificates are v3 (BR 7.1.1)" : string.Empty);
                continue;
            }

            CheckBasicConstraints(c, d, anchor, sink);
            CheckKeyIdentifiers(c, d, anchor, sink);
            CheckKey(c, d, anchor, sink);
            if (anchor)
            {
                // R-C11 (RULES.md), BR 7.1.2.1.2: a root carries no extKeyUsage.
                if (c.HasExtendedKeyUsage)
                {
                    Add(sink, "profile.anchor-eku", d, sink.Explaining ? "the anchor carries an extended key usage extension, which root certificates must not (BR 7.1.2.1.2)" : string.Empty);
                }

                CheckNameConstraints(c, d, anchor, sink);
                continue;
            }

            CheckExtensions(c, d, sink);
            if (d > 0)
            {
                CheckNameConstraints(c, d, anchor, sink);
            }

            if (!tls)
            {
                continue;
            }

            // R-C11 (RULES.md), BR 7.1.2.7.6 (subscriber) / 7.1.2.10.6 (CA): extKeyUsage is never critical.
            if ((c.CriticalExtensions & KnownExtensions.ExtendedKeyUsage) != 0)
            {
                Add(sink, "profile.eku-critical", d, sink.Explaining ? Who(d, false) + " marks its extended key usage critical (" + (d == 0 ? "BR 7.1.2.7.6" : "BR 7.1.2.10.6") + ")" : string.Empty);
            }

            // R-C11 (RULES.md), BR 7.1.4: subject attributes hold information, not placeholders.
            if ((c.Facts & ProfileFacts.BlankSubjectAttribute) != 0)
            {
                Add(sink, "profile.blank-attribute", d, sink.Explaining ? Who(d, false) + " has a subject attribute that is blank or only '.', '-' or spaces (BR 7.1.4)" : string.Empty);
            }

            if (d == 0)
            {
                CheckLeafNames(c, sink);

                // R-C11 (RULES.md), BR 7.1.2.7.10: a subscriber certificate lists its extended key usages.
                if (!c.HasExtendedKeyUsage)
                {
                    Add(sink, "profile.eku-missing", 0, sink.Explaining ? "the leaf has no extended key usage extension; a TLS server certificate lists serverAuth (BR 7.1.2.7.10)" : string.Empty);
                }
            }
        }
    }

    private static string Who(int d, bool anchor) => d == 0 ? "the leaf" : anchor ? "the anchor" : "certificate " + Depth(d);

    // RFC 5280 4.2.1.9
    private static void CheckBasicConstraints(in CertificateView c, int d, bool anchor, IFindingSink sink)
    {
        if (d == 0 && c.IsCa)
        {
            // R-C11 (RULES.md), BR 7.1.2.7.8: a subscriber certificate is not a CA.
            Add(sink, "profile.leaf-is-ca", 0, sink.Explaining ? "the leaf is a CA certificate (basicConstraints cA=TRUE); a server certificate must not be (BR 7.1.2.7.8)" : string.Empty);
        }

        // RFC 5280 4.2.1.9: "CAs MUST NOT include the pathLenConstraint field unless the cA boolean is asserted".
        if (c.PathLengthConstraint >= 0 && !c.IsCa)
        {
            Add(sink, "profile.path-length-without-ca", d, sink.Explaining ? Who(d, anchor) + " has a path length constraint without being a CA (RFC 5280 4.2.1.9)" : string.Empty);
        }

        // RFC 5280 4.2.1.9, BR 7.1.2.10.4 / 7.1.2.1.4: a CA certificate has basicConstraints, marked critical. An
        // intermediate without cA is already refused by the path check (chain.not-ca).
        bool critical = (c.CriticalExtensions & KnownExtensions.BasicConstraints) != 0;
        if (d > 0 && (anchor ? !c.HasBasicConstraints || !critical : c.IsCa && !critical))
        {
            Add(sink, "profile.ca-basic-constraints-not-critical", d, sink.Explaining ? Who(d, anchor) + (c.HasBasicConstraints ? " has a non-critical basicConstraints extension" : " has no basicConstraints extension") + "; a CA certificate marks it critical (RFC 5280 4.2.1.9, " + (anchor ? "BR 7.1.2.1.4" : "BR 7.1.2.10.4") + ")" : string.Empty);
        }
    }

    // RFC 5280 4.2.1.1 / 4.2.1.2
    private static void CheckKeyIdentifiers(in CertificateView c, int d, bool anchor, IFindingSink sink)
    {
        if (anchor)
        {
            // BR 7.1.2.1.2: a root has a subjectKeyIdentifier.
            if (c.SubjectKeyIdentifier.IsEmpty)
            {
                Add(sink, "profile.ski-missing", d, sink.Explaining ? "the anchor has no subject key identifier (BR 7.1.2.1.2)" : string.Empty);
            }

            // BR 7.1.2.1.3 (x509-limbo webpki::aki::root-with-aki-*): a root's AKI, when present, is keyIdentifier
            // only, equal to its SKI; no authorityCertIssuer, no authorityCertSerialNumber. A self-issued anchor whose keyIdentifier
            // differs from its SKI is refused in every profile (chain.anchor-aki-mismatch, OpenSslValidityRules), not reported twice.
            var f = c.Facts;
            if ((f & ProfileFacts.AkiPresent) != 0
                && (c.AuthorityKeyIdentifier.IsEmpty || (f & (ProfileFacts.AkiIssuer | ProfileFacts.AkiSerial)) != 0
                    || (!c.SubjectKeyIdentifier.IsEmpty && !c.AuthorityKeyIdentifier.SequenceEqual(c.SubjectKeyIdentifier) && !OpenSslValidityRules.IsAnchorAkiMismatch(c))))
            {
                Add(sink, "profile.anchor-aki", d, sink.Explaining ? "the anchor's authority key identifier " + (c.AuthorityKeyIdentifier.IsEmpty ? "has no key identifier" : (f & (ProfileFacts.AkiIssuer | ProfileFacts.AkiSerial)) != 0 ? "names an issuer or serial number" : "differs from its subject key identifier") + "; a root's is its own key identifier only (BR 7.1.2.1.3)" : string.Empty);
            }

            // RFC 5280 4.2.1.1 (x509-limbo rfc5280::aki::cross-signed-root-missing-aki): an anchor that is not
            // self-issued (a cross-signed CA trusted directly) was issued by another CA, so it carries an AKI too.
            if (c.AuthorityKeyIdentifier.IsEmpty && !c.IsSelfIssued)
            {
                Add(sink, "profile.aki-missing", d, sink.Explaining ? "the anchor is not self-issued (a cross-signed CA) and has no authority key identifier (keyIdentifier) (RFC 5280 4.2.1.1)" : string.Empty);
            }

            return;
        }

        // RFC 5280 4.2.1.1, BR 7.1.2.11.1: keyIdentifier in every certificate but a self-signed one.
        if (c.AuthorityKeyIdentifier.IsEmpty && !c.IsSelfIssued)
        {
            Add(sink, "profile.aki-missing", d, sink.Explaining ? Who(d, false) + " has no authority key identifier (keyIdentifier) (RFC 5280 4.2.1.1, BR 7.1.2.11.1)" : string.Empty);
        }

        // RFC 5280 4.2.1.2, BR 7.1.2.11.4: every CA certificate has a subjectKeyIdentifier.
        if (d > 0 && c.SubjectKeyIdentifier.IsEmpty)
        {
            Add(sink, "profile.ski-missing", d, sink.Explaining ? Who(d, false) + " is a CA without a subject key identifier (RFC 5280 4.2.1.2, BR 7.1.2.11.4)" : string.Empty);
        }
    }

    // RFC 5280 4.2.2.1 / 4.2.1.13 / 4.2.1.11
    private static void CheckExtensions(in CertificateView c, int d, IFindingSink sink)
    {
        var der = c.Der.Span;
        if ((c.Facts & ProfileFacts.AiaPresent) != 0 && !IsWellFormedAia(der, c.AuthorityInfoAccessRange))
        {
            Add(sink, "profile.aia-malformed", d, sink.Explaining ? Who(d, false) + " has a malformed or empty authority information access extension (RFC 5280 4.2.2.1)" : string.Empty);
        }

        // One that does not decode at all is refused in every profile (chain.crldp-malformed, OpenSslValidityRules), not reported twice.
        if ((c.Facts & ProfileFacts.CrlDpPresent) != 0 && !IsWellFormedCrlDp(der, c.CrlDistributionPointsRange) && OpenSslValidityRules.CrlDpDecodes(der, c.CrlDistributionPointsRange))
        {
            Add(sink, "profile.crldp-malformed", d, sink.Explaining ? Who(d, false) + " has a malformed or empty CRL distribution points extension (RFC 5280 4.2.1.13)" : string.Empty);
        }

        // RFC 5280 4.2.1.11: "Conforming CAs MUST mark this extension as critical." (A critical one is refused as an
        // unprocessed critical extension by the path check, in every profile.)
        if ((c.Facts & (ProfileFacts.PolicyConstraintsPresent | ProfileFacts.PolicyConstraintsCritical)) == ProfileFacts.PolicyConstraintsPresent)
        {
            Add(sink, "profile.policy-constraints-not-critical", d, sink.Explaining ? Who(d, false) + " has a non-critical policy constraints extension (RFC 5280 4.2.1.11)" : string.Empty);
        }

        // RFC 5280 4.2.1.6: GeneralNames is SIZE (1..MAX).
        if ((c.Facts & ProfileFacts.SanPresent) != 0 && c.SubjectAltNamesContent.IsEmpty)
        {
            Add(sink, "profile.san-empty", d, sink.Explaining ? Who(d, false) + " has an empty subject alternative name extension (RFC 5280 4.2.1.6)" : string.Empty);
        }
    }

    // AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription { accessMethod OID, accessLocation GeneralName }.
    private static bool IsWellFormedAia(ReadOnlySpan<byte> der, Range value)
    {
        var r = new DerReader(der, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var seq) || r.HasData || seq.Start.Value == seq.End.Value)
        {
            return false;
        }

        var s = new DerReader(der, seq.Start.Value, seq.End.Value);
        while (s.HasData)
        {
            if (!s.TryRead(Asn1Tag.Sequence, out var ad))
            {
                return false;
            }

            var a = new DerReader(der, ad.Start.Value, ad.End.Value);
            if (!a.TryRead(Asn1Tag.ObjectIdentifier, out _) || !a.TryReadAny(out var tag, out _, out _) || a.HasData || !IsGeneralNameTag(tag))
            {
                return false;
            }
        }

        return true;
    }

    // CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint { distributionPoint [0], reasons [1],
    // cRLIssuer [2] } (all OPTIONAL, in order); "either distributionPoint or cRLIssuer MUST be present".
    private static bool IsWellFormedCrlDp(ReadOnlySpan<byte> der, Range value)
    {
        var r = new DerReader(der, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var seq) || r.HasData || seq.Start.Value == seq.End.Value)
        {
            return false;
        }

        var s = new DerReader(der, seq.Start.Value, seq.End.Value);
        while (s.HasData)
        {
            if (!s.TryRead(Asn1Tag.Sequence, out var dp))
            {
                return false;
            }

            var p = new DerReader(der, dp.Start.Value, dp.End.Value);
            if (!p.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 0, true), out bool hasName, out var name)
                || !p.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 1), out _, out _)
                || !p.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 2, true), out bool hasIssuer, out _)
                || p.HasData || !(hasName || hasIssuer))
            {
                return false;
            }

            // DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RDN }.
            if (hasName)
            {
                var n = new DerReader(der, name.Start.Value, name.End.Value);
                if (!n.TryReadAny(out var tag, out _, out _) || n.HasData || tag.TagClass != TagClass.ContextSpecific || tag.TagValue > 1 || !tag.IsConstructed)
                {
                    return false;
                }
            }
        }

        return true;
    }

    // GeneralName ::= CHOICE { [0] .. [8] } (RFC 5280 4.2.1.6).
    private static bool IsGeneralNameTag(Asn1Tag tag) => tag.TagClass == TagClass.ContextSpecific && tag.TagValue <= 8;

    // RFC 5280 4.2.1.10
    private static void CheckNameConstraints(in CertificateView c, int d, bool anchor, IFindingSink sink)
    {
        if (!c.HasNameConstraints)
        {
            return;
        }

        var der = c.Der.Span;
        var nc = c.NameConstraintsRange;
        var r = new DerReader(der, nc.Start.Value, nc.End.Value);
        bool empty = false, leadingPeriod = false;
        for (int tagNo = 0; tagNo <= 1; tagNo++)
        {
            if (!r.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, tagNo, true), out bool present, out var subtrees) || !present)
            {
                continue;
            }

            // GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree.
            empty |= subtrees.Start.Value == subtrees.End.Value;
            var s = new DerReader(der, subtrees.Start.Value, subtrees.End.Value);
            while (s.HasData && s.TryRead(Asn1Tag.Sequence, out var subtree))
            {
                var b = new DerReader(der, subtree.Start.Value, subtree.End.Value);
                if (b.TryReadAny(out var tag, out var value, out _) && tag == new Asn1Tag(TagClass.ContextSpecific, 2)
                    && value.End.Value > value.Start.Value && der[value.Start.Value] == (byte)'.')
                {
                    leadingPeriod = true;
                }
            }
        }

        if (empty)
        {
            Add(sink, "profile.name-constraints-empty", d, sink.Explaining ? Who(d, anchor) + " has an empty permitted or excluded name-constraints list (RFC 5280 4.2.1.10)" : string.Empty);
        }

        // RFC 5280 4.2.1.10: a dNSName constraint is a domain name ("host.example.com"); the leading-period form is
        // defined for rfc822Name and URI only. BR 7.1.2.10.8 requires the dNSName preferred syntax.
        if (leadingPeriod)
        {
            Add(sink, "profile.name-constraints-leading-period", d, sink.Explaining ? Who(d, anchor) + " has a DNS name constraint with a leading period, which is not a domain name (RFC 5280 4.2.1.10, BR 7.1.2.10.8)" : string.Empty);
        }
    }

    // BR 6.1.5 / 6.1.6 / 7.1.3.1
    private static void CheckKey(in CertificateView c, int d, bool anchor, IFindingSink sink)
    {
        var der = c.Der.Span;
        if (c.KeyAlgorithm == KeyAlgorithm.Rsa)
        {
            // BR 6.1.5: "the modulus size, in bits, is evenly divisible by 8".
            if (c.KeySize % 8 != 0)
            {
                Add(sink, "profile.rsa-modulus-size", d, sink.Explaining ? Who(d, anchor) + " has an RSA modulus of " + Depth(c.KeySize) + " bits, not a multiple of 8 (BR 6.1.5)" : string.Empty);
            }

            // BR 6.1.6: the public exponent is odd and at least 3; FIPS 186-5 5.4 (which BR 6.1.6's SHOULD follows)
            // bounds it below 2^256. The reader has checked the RSAPublicKey shape and minimal encodings.
            var k = new DerReader(der, c.PublicKeyRange.Start.Value, c.PublicKeyRange.End.Value);
            if (k.TryRead(Asn1Tag.Sequence, out var rsa))
            {
                var m = new DerReader(der, rsa.Start.Value, rsa.End.Value);
                if (m.TryRead(Asn1Tag.Integer, out _) && m.TryRead(Asn1Tag.Integer, out var exp))
                {
                    var e = der[exp];
                    if (e.Length > 0 && e[0] == 0)
                    {
                        e = e[1..];
                    }

                    bool bad = e.IsEmpty || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] < 3) || e.Length > 32;
                    if (bad)
                    {
                        Add(sink, "profile.rsa-exponent", d, sink.Explaining ? Who(d, anchor) + " has an RSA public exponent that is even, below 3 or not below 2^256 (BR 6.1.6)" : string.Empty);
                    }
                }
            }
        }
        else if (c.KeyAlgorithm == KeyAlgorithm.Ec && c.KeySize == 0 && !OpenSslValidityRules.HasExplicitEcParameters(c))
        {
            // Explicit parameters are refused in every profile (chain.ec-explicit-parameters, OpenSslValidityRules), not reported twice.
            // BR 7.1.3.1.2, RFC 5480 2.1.1: namedCurve P-256, P-384 or P-521 (no explicit parameters, no other curve).
            Add(sink, "profile.ec-curve", d, sink.Explaining ? Who(d, anchor) + " has an EC key that is not on the named curve P-256, P-384 or P-521 (BR 7.1.3.1.2, RFC 5480 2.1.1)" : string.Empty);
        }
    }

    // BR 7.1.2.7.12 / 7.1.4.3 / 3.2.2.6, RFC 5280 4.2.1.6: the leaf's names (TLS only).
    private static void CheckLeafNames(in CertificateView c, IFindingSink sink)
    {
        var der = c.Der.Span;
        bool sanPresent = (c.Facts & ProfileFacts.SanPresent) != 0;
        if (!sanPresent)
        {
            // BR 7.1.2.7.12: a subscriber certificate has a subjectAltName (x509-limbo webpki::san::no-san).
            Add(sink, "profile.san-missing", 0, sink.Explaining ? "the leaf has no subject alternative name extension; its names must be there, not only in the CN (BR 7.1.2.7.12)" : string.Empty);
            return;
        }

        // BR 7.1.2.7.12, RFC 5280 4.2.1.6: critical only when the subject is empty (webpki::san::san-critical-with-nonempty-subject).
        if ((c.CriticalExtensions & KnownExtensions.SubjectAltName) != 0 && !c.IsSubjectEmpty)
        {
            Add(sink, "profile.san-critical", 0, sink.Explaining ? "the leaf marks its subject alternative name critical although its subject is not empty (BR 7.1.2.7.12)" : string.Empty);
        }

        var san = c.SubjectAltNamesContent;
        if (san.IsEmpty)
        {
            return; // profile.san-empty (CheckExtensions); the CN rule would only repeat it
        }

        var dnsTag = new Asn1Tag(TagClass.ContextSpecific, 2);
        int sanStart = c.SubjectAltNamesRange.Start.Value;
        var r = new DerReader(der, sanStart, sanStart + san.Length);
        Range invalid = default, publicSuffix = default;
        bool anyInvalid = false, anyPublicSuffix = false;
        while (r.HasData && r.TryReadAny(out var tag, out var value, out _))
        {
            if (tag != dnsTag)
            {
                continue;
            }

            var name = der[value];
            if (!IsPreferredDnsName(name))
            {
                invalid = anyInvalid ? invalid : value;
                anyInvalid = true;
            }
            else if (name.Length > 2 && name[0] == (byte)'*' && IsPublicSuffix(name[2..]))
            {
                publicSuffix = anyPublicSuffix ? publicSuffix : value;
                anyPublicSuffix = true;
            }
        }

        if (anyInvalid)
        {
            Add(sink, "profile.dns-name-invalid", 0, sink.Explaining ? "the leaf's DNS name \"" + Text(der[invalid]) + "\" is not a valid host name (underscore, empty or over-long label, leading or trailing hyphen, misplaced wildcard, trailing dot or numeric top-level label) (BR 7.1.2.7.12, RFC 5280 4.2.1.6)" : string.Empty);
        }

        if (anyPublicSuffix)
        {
            Add(sink, "profile.wildcard-public-suffix", 0, sink.Explaining ? "the leaf's wildcard DNS name \"" + Text(der[publicSuffix]) + "\" sits directly under a public suffix (Public Suffix List " + PublicSuffixList.Version + ") (BR 3.2.2.6)" : string.Empty);
        }

        // BR 7.1.4.3: the subject CN, when present, is one of the subjectAltName values (ASCII case-insensitive).
        if (!CommonNamesAreInSan(der, sanStart, san.Length, c.SubjectRange))
        {
            Add(sink, "profile.cn-not-in-san", 0, sink.Explaining ? "the leaf's common name is not one of its subject alternative names (BR 7.1.4.3)" : string.Empty);
        }
    }

    // Cold path (messages): the name as printable ASCII, anything else escaped.
    private static string Text(ReadOnlySpan<byte> name)
    {
        var sb = new System.Text.StringBuilder(name.Length);
        foreach (byte b in name)
        {
            sb.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : "\\x" + b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static bool IsPublicSuffix(ReadOnlySpan<byte> name)
    {
        Span<char> chars = stackalloc char[MaxDnsName];
        int n = System.Text.Encoding.ASCII.GetChars(name, chars);
        return PublicSuffixList.IsPublicSuffix(chars[..n]);
    }

    // RFC 1034 3.5 preferred name syntax as BR 7.1.2.7.12 requires (LDH labels of 1..63 octets, no leading or trailing
    // hyphen, no underscore, at most 253 octets, no trailing dot, a top-level label that is not all digits), with a
    // wildcard only as the whole leftmost label ("*.example.com"; BR 7.1.2.7.12 Wildcard Domain Name).
    internal static bool IsPreferredDnsName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.Length > MaxDnsName)
        {
            return false;
        }

        if (name.Length > 2 && name[0] == (byte)'*' && name[1] == (byte)'.')
        {
            name = name[2..]; // "*.com" is syntactically fine: the public-suffix rule refuses it
        }

        int labelStart = 0;
        bool allDigits = true;
        for (int i = 0; i <= name.Length; i++)
        {
            if (i == name.Length || name[i] == (byte)'.')
            {
                int len = i - labelStart;
                if (len == 0 || len > MaxLabel || name[labelStart] == (byte)'-' || name[i - 1] == (byte)'-')
                {
                    return false;
                }

                if (i == name.Length && allDigits)
                {
                    return false;
                }

                labelStart = i + 1;
                allDigits = true;
                continue;
            }

            byte b = name[i];
            bool digit = b is >= (byte)'0' and <= (byte)'9';
            allDigits &= digit;
            if (!(digit || b is >= (byte)'a' and <= (byte)'z' || b is >= (byte)'A' and <= (byte)'Z' || b == (byte)'-'))
            {
                return false;
            }
        }

        return true;
    }

    // Each subject CN equals (ASCII case-insensitive) a dNSName of the SAN, or is the text of an iPAddress SAN.
    private static bool CommonNamesAreInSan(ReadOnlySpan<byte> der, int sanStart, int sanLength, Range subject)
    {
        var subjectReader = new DerReader(der, subject.Start.Value, subject.End.Value);
        if (!subjectReader.TryRead(Asn1Tag.Sequence, out var name))
        {
            return false;
        }

        Span<byte> cn = stackalloc byte[256];
        var rdns = new DerReader(der, name.Start.Value, name.End.Value);
        while (rdns.HasData && rdns.TryRead(Asn1Tag.SetOf, out var rdn))
        {
            var atvs = new DerReader(der, rdn.Start.Value, rdn.End.Value);
            while (atvs.HasData && atvs.TryRead(Asn1Tag.Sequence, out var atv))
            {
                var a = new DerReader(der, atv.Start.Value, atv.End.Value);
                if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var type) || !der[type].SequenceEqual(Oids.CommonName) || !a.TryReadAny(out var tag, out var value, out _))
                {
                    continue;
                }

                int n = tag.TagClass == TagClass.Universal ? CertificateNames.ToComparable(der[value], (byte)tag.TagValue, cn) : -1;
                if (n < 0 || !InSan(der, sanStart, sanLength, cn[..n]))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool InSan(ReadOnlySpan<byte> der, int sanStart, int sanLength, ReadOnlySpan<byte> cn)
    {
        var dnsTag = new Asn1Tag(TagClass.ContextSpecific, 2);
        var ipTag = new Asn1Tag(TagClass.ContextSpecific, 7);
        Span<byte> ip = stackalloc byte[16];
        int ipLength = -2;
        var r = new DerReader(der, sanStart, sanStart + sanLength);
        while (r.HasData && r.TryReadAny(out var tag, out var value, out _))
        {
            var v = der[value];
            if (tag == dnsTag && System.Text.Ascii.EqualsIgnoreCase(v, cn))
            {
                return true;
            }

            if (tag == ipTag)
            {
                if (ipLength == -2)
                {
                    ipLength = ParseIp(cn, ip);
                }

                if (ipLength > 0 && v.SequenceEqual(ip[..ipLength]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // BR 7.1.4.3: an IP address CN is in IPv4 dotted-decimal or RFC 5952 IPv6 text; parsed as OpenSSL does (no allocation).
    private static int ParseIp(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        if (text.Length > 45)
        {
            return -1;
        }

        Span<char> chars = stackalloc char[45];
        for (int i = 0; i < text.Length; i++)
        {
            chars[i] = (char)text[i];
        }

        return OpenSslIPAddress.Parse(chars[..text.Length], destination);
    }
}
