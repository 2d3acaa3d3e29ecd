using System.Formats.Asn1;
using System.Globalization;
using CertPolicy.Trust;
using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Messaging;

/// <summary>
/// Checks a partner's S/MIME certificate (user or domain, R-G1, R-G2, R-E1) with the same engine and trust store as
/// TLS: <see cref="ChainValidator"/> for the e-mail purpose (anchor trusted for e-mail, e-mail distrust-after, EKU
/// emailProtection along the path, validity, R-C10 floors), then the S/MIME rules on the leaf: emailProtection EKU
/// present, key usage fit for encryption and/or signing, the mailbox or domain bound, CA/B Forum S/MIME policy OIDs
/// classified, and an expiry horizon warning.
/// </summary>
/// <remarks>
/// <para>Names accepted (RFC 8550 3, RFC 5280 4.2.1.6 / 4.1.2.6). A mailbox is bound by an rfc822Name SAN equal to it;
/// when the leaf has no rfc822Name SAN at all, the legacy subject emailAddress attribute (1.2.840.113549.1.9.1) is used
/// instead, with a warning. Comparison is ASCII case-insensitive over the whole address (RFC 5321 lets the local part
/// be case-sensitive; CAs and gateways do not rely on that, our choice); non-ASCII names (SmtpUTF8Mailbox) are not
/// read.</para>
/// <para>Domain certificates. There is no standard for a certificate that covers every mailbox of a domain; gateway
/// products recognise one by a domain in the e-mail name. We accept exactly these forms, equal to the requested domain
/// (ASCII case-insensitive, no subdomains, no trailing dot): a bare domain <c>example.com</c> or <c>*@example.com</c>,
/// in an rfc822Name SAN, in the subject emailAddress attribute (only when no rfc822Name SAN exists), or in the
/// subject commonName (only when the leaf has neither an rfc822Name SAN nor an emailAddress attribute). This list is
/// our choice, made from how gateway products are commonly configured; it is not taken from a specification or a cited
/// vendor document (none was found in the sources available to us). A bare domain in an rfc822Name SAN is not a
/// valid mailbox under RFC 5280, so standard S/MIME clients will not use such a certificate for a user address.</para>
/// <para>Does not check revocation, does not read SmtpUTF8Mailbox (RFC 8398) names, and does not verify that a
/// mailbox-validated certificate's CA actually performed the validation its policy OID claims.</para>
/// </remarks>
public static class SmimeCertificateEvaluator
{
    private const string CabSmimePrefix = "2.23.140.1.5.";

    /// <summary>
    /// Evaluates the end-entity certificate found among <paramref name="certificates"/> (the others are intermediates).
    /// Never throws on data: any exception becomes a failing report with <see cref="SmimeFindingCodes.InternalError"/>.
    /// </summary>
    /// <param name="validator">The chain validator over the trust store (anchors must be trusted for e-mail).</param>
    /// <param name="certificates">DER certificates in any order, e.g. a .p7b container's.</param>
    /// <param name="request">Domain, optional mailbox, time and profile.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">The domain is empty, or the address is not a mailbox in the domain.</exception>
    public static SmimeReport Evaluate(ChainValidator validator, IReadOnlyList<ReadOnlyMemory<byte>> certificates, SmimeRequest request)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Domain.Length == 0 || request.Domain.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException("the domain must be a non-empty domain name", nameof(request));
        }

        if (request.Address is { } addr && !AddressInDomain(addr, request.Domain))
        {
            throw new ArgumentException("the address must be a mailbox in the domain", nameof(request));
        }

        var findings = new List<MessagingFinding>();
        var state = new State();
        try
        {
            Run(validator, certificates, request, findings, state);
        }
#pragma warning disable CA1031 // Fail closed (DESIGN.md, "Verdicts"): any exception becomes a failing verdict.
        catch (Exception)
#pragma warning restore CA1031
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.InternalError, "R-G1", FindingSeverity.Error,
                "the S/MIME evaluation failed internally; failing closed", null));
        }

        return new SmimeReport(request.Time, request.Profile.Name, findings, state.InputUnusable)
        {
            LeafSubject = state.LeafSubject,
            LeafSha256 = state.LeafSha256,
            NotAfter = state.NotAfter,
            MatchedName = state.Matched,
            IsDomainCertificate = state.IsDomain,
            ValidationType = state.Type,
            Generation = state.Generation,
            Chain = state.Chain,
        };
    }

    private sealed class State
    {
        public bool InputUnusable;
        public string? LeafSubject;
        public string? LeafSha256;
        public DateTimeOffset? NotAfter;
        public string? Matched;
        public bool IsDomain;
        public SmimeValidationType Type;
        public SmimeGeneration Generation;
        public IReadOnlyList<ChainElement> Chain = [];
    }

    // The anchor's e-mail distrust-after date falls within the warning window (a warning; R-G1).
    internal const string DistrustSoonCode = "SMIME-TRUST-DISTRUST-SOON";

    private static void Run(ChainValidator validator, IReadOnlyList<ReadOnlyMemory<byte>> certificates, SmimeRequest request, List<MessagingFinding> findings, State state)
    {
        // Leaf selection: the end-entity certificates (no cA, and not a v1 self-issued root), first one binding the request.
        var views = new List<(int Index, CertificateView View)>();
        for (int i = 0; i < certificates.Count; i++)
        {
            if (CertificateView.TryParse(certificates[i], out var v, out _) && !v.IsCa && !(v.IsSelfIssued && !v.HasBasicConstraints))
            {
                views.Add((i, v));
            }
        }

        if (certificates.Count == 0)
        {
            state.InputUnusable = true;
            findings.Add(new MessagingFinding(SmimeFindingCodes.NoCertificate, "R-G2", FindingSeverity.Error, "the input holds no certificate", null));
            return;
        }

        if (views.Count == 0)
        {
            state.InputUnusable = true;
            findings.Add(new MessagingFinding(SmimeFindingCodes.NoEndEntity, "R-G2", FindingSeverity.Error,
                "the input holds no readable end-entity certificate (only CA certificates or unreadable ones)", null));
            return;
        }

        int chosen = 0;
        Binding binding = default;
        for (int k = 0; k < views.Count; k++)
        {
            var b = Bind(views[k].View, request);
            if (k == 0 || (b.Status == BindStatus.Bound && binding.Status != BindStatus.Bound))
            {
                chosen = k;
                binding = b;
            }
        }

        var leaf = views[chosen].View;
        int leafIndex = views[chosen].Index;
        state.LeafSubject = FormatName(leaf.SubjectDer);
        state.LeafSha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(leaf.Der.Span));
        state.NotAfter = leaf.NotAfter;
        if (views.Count > 1)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.SeveralEndEntities, "R-G2", FindingSeverity.Warning,
                views.Count.ToString(CultureInfo.InvariantCulture) + " end-entity certificates in the input; evaluated " + state.LeafSubject, state.LeafSha256));
        }

        // The chain: the same engine as TLS, for the e-mail purpose.
        var ordered = new List<ReadOnlyMemory<byte>>(certificates.Count) { certificates[leafIndex] };
        for (int i = 0; i < certificates.Count; i++)
        {
            if (i != leafIndex)
            {
                ordered.Add(certificates[i]);
            }
        }

        var p = request.Profile;
        var chainProfile = new ValidationProfile
        {
            Name = p.Name,
            CheckKeyStrength = p.CheckKeyStrength,
            MinimumRsaBits = p.MinimumRsaBits,
            MinimumEcBits = p.MinimumEcBits,
            CheckDistrust = p.CheckDistrust,
        };
        var report = validator.Explain(ordered, new ValidationRequest { Profile = chainProfile, Time = request.Time, NextHop = request.Domain, Purpose = RootPurposes.Email });
        state.Chain = report.Chain;
        foreach (var f in report.Findings)
        {
            string code = string.Equals(f.Code, "leaf.eku", StringComparison.Ordinal)
                ? SmimeFindingCodes.EkuNotEmail
                : "SMIME-" + f.Code.ToUpperInvariant().Replace('.', '-');
            string? subject = f.Depth >= 0 && f.Depth < report.Chain.Count ? report.Chain[f.Depth].Sha256 : null;
            findings.Add(new MessagingFinding(code, f.Rule == "R-C10" ? "R-C10" : "R-G1", FindingSeverity.Error, f.Message, subject));
        }

        // RFC 8550 4.4.4, S/MIME BR 7.1.2.3 (f): the leaf must carry EKU emailProtection (the validator reports an EKU without it).
        if (!leaf.HasExtendedKeyUsage)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.EkuNotEmail, "R-G1", FindingSeverity.Error, "the leaf has no extended key usage (emailProtection is required)", state.LeafSha256));
        }

        CheckKeyUsage(leaf, request.Usage, findings, state.LeafSha256);
        ReportBinding(binding, request, findings, state);
        ClassifyPolicies(leaf, request, findings, state);

        // Horizon: "expires in N days" while still valid.
        if (request.ExpiryWarningDays > 0 && request.Time <= leaf.NotAfter)
        {
            var left = leaf.NotAfter - request.Time;
            if (left < TimeSpan.FromDays(request.ExpiryWarningDays))
            {
                findings.Add(new MessagingFinding(SmimeFindingCodes.ExpiresSoon, "R-G1", FindingSeverity.Warning,
                    "the certificate expires in " + ((int)left.TotalDays).ToString(CultureInfo.InvariantCulture) + " days (" + leaf.NotAfter.ToString("u", CultureInfo.InvariantCulture)
                    + "; warning threshold " + request.ExpiryWarningDays.ToString(CultureInfo.InvariantCulture) + " days)", state.LeafSha256));
            }
        }

        // The same horizon for the CAs of the path and the anchor's e-mail distrust-after date (ExpiryHorizons; warnings only).
        foreach (var w in ExpiryHorizons.Find(validator.Store, ordered, report.Chain, RootPurposes.Email, request.Time, request.ExpiryWarningDays, includeLeaf: false))
        {
            string code = w.Code == ExpiryHorizons.ExpiresSoonCode ? SmimeFindingCodes.ExpiresSoon : DistrustSoonCode;
            findings.Add(new MessagingFinding(code, w.Rule, FindingSeverity.Warning, w.Message, w.Depth < report.Chain.Count ? report.Chain[w.Depth].Sha256 : null));
        }
    }

    // RFC 8550 4.4.2 / RFC 5280 4.2.1.3; S/MIME BR 7.1.2.3 (e): RSA key transport needs keyEncipherment, EC (ECDH) keyAgreement, signing digitalSignature.
    private static void CheckKeyUsage(in CertificateView leaf, SmimeUsage usage, List<MessagingFinding> findings, string? sha)
    {
        if (!leaf.HasKeyUsage)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.KeyUsageAbsent, "R-G1", FindingSeverity.Warning, "the leaf has no keyUsage extension (every use allowed by RFC 5280; the S/MIME BR require it)", sha));
        }

        if ((usage & SmimeUsage.Encryption) != 0)
        {
            string? why = leaf.KeyAlgorithm switch
            {
                KeyAlgorithm.Rsa when leaf.HasKeyUsage && (leaf.KeyUsage & KeyUsages.KeyEncipherment) == 0 => "an RSA key without keyEncipherment",
                KeyAlgorithm.Ec when leaf.HasKeyUsage && (leaf.KeyUsage & KeyUsages.KeyAgreement) == 0 => "an EC key without keyAgreement",
                KeyAlgorithm.Rsa or KeyAlgorithm.Ec => null,
                _ => "a key algorithm that cannot encrypt or agree keys",
            };
            if (why is not null)
            {
                findings.Add(new MessagingFinding(SmimeFindingCodes.KeyUsageEncryption, "R-G1", FindingSeverity.Error, "the leaf cannot be used to encrypt to the partner: " + why, sha));
            }
        }

        if ((usage & SmimeUsage.Signing) != 0 && leaf.HasKeyUsage && (leaf.KeyUsage & KeyUsages.DigitalSignature) == 0)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.KeyUsageSigning, "R-G1", FindingSeverity.Error, "the leaf's key usage lacks digitalSignature (signing)", sha));
        }
    }

    private enum BindStatus
    {
        NotBound,
        Bound,
        Malformed,
    }

    private readonly record struct Binding(BindStatus Status, string? Name, bool Domain, bool Legacy);

    private static Binding Bind(in CertificateView leaf, SmimeRequest request)
    {
        var sans = new List<string>();
        var emails = new List<string>();
        var cns = new List<string>();
        if (!TryReadNames(leaf, sans, emails, cns))
        {
            return new Binding(BindStatus.Malformed, null, false, false);
        }

        bool legacy = sans.Count == 0;
        var source = legacy ? emails : sans;
        var b = Match(source, request, legacy);
        if (b.Status == BindStatus.Bound)
        {
            return b;
        }

        // Domain certificate named in the CN only when no e-mail name exists at all (see the class remarks).
        if (sans.Count == 0 && emails.Count == 0)
        {
            foreach (var cn in cns)
            {
                if (IsDomainForm(cn, request.Domain))
                {
                    return new Binding(BindStatus.Bound, cn, true, false);
                }
            }
        }

        return new Binding(BindStatus.NotBound, null, false, false);
    }

    private static Binding Match(List<string> names, SmimeRequest request, bool legacy)
    {
        // An exact mailbox first (R-E1 prefers the personal certificate), then any mailbox of the domain, then a domain form.
        foreach (var n in names)
        {
            if (request.Address is { } a && string.Equals(n, a, StringComparison.OrdinalIgnoreCase))
            {
                return new Binding(BindStatus.Bound, n, false, legacy);
            }
        }

        if (request.Address is null)
        {
            foreach (var n in names)
            {
                if (!n.StartsWith('*') && n.Contains('@', StringComparison.Ordinal) && AddressInDomain(n, request.Domain))
                {
                    return new Binding(BindStatus.Bound, n, false, legacy);
                }
            }
        }

        foreach (var n in names)
        {
            if (IsDomainForm(n, request.Domain))
            {
                return new Binding(BindStatus.Bound, n, true, legacy);
            }
        }

        return new Binding(BindStatus.NotBound, null, false, legacy);
    }

    private static bool IsDomainForm(string name, string domain) =>
        string.Equals(name, domain, StringComparison.OrdinalIgnoreCase)
        || (name.StartsWith("*@", StringComparison.Ordinal) && string.Equals(name.AsSpan(2).ToString(), domain, StringComparison.OrdinalIgnoreCase));

    private static bool AddressInDomain(string address, string domain)
    {
        int at = address.LastIndexOf('@');
        return at > 0 && at == address.IndexOf('@', StringComparison.Ordinal) && string.Equals(address[(at + 1)..], domain, StringComparison.OrdinalIgnoreCase);
    }

    private static void ReportBinding(Binding b, SmimeRequest request, List<MessagingFinding> findings, State state)
    {
        switch (b.Status)
        {
            case BindStatus.Malformed:
                findings.Add(new MessagingFinding(SmimeFindingCodes.NamesMalformed, "R-G1", FindingSeverity.Error, "the leaf's subject or subjectAltName cannot be read", state.LeafSha256));
                return;
            case BindStatus.NotBound:
                findings.Add(new MessagingFinding(SmimeFindingCodes.NameMismatch, "R-G1", FindingSeverity.Error,
                    request.Address is { } a
                        ? "no rfc822Name (or legacy emailAddress, or domain-certificate name) of the leaf binds " + a
                        : "no rfc822Name (or legacy emailAddress, or domain-certificate name) of the leaf lies in or names the domain " + request.Domain, state.LeafSha256));
                return;
        }

        state.Matched = b.Name;
        state.IsDomain = b.Domain;
        if (b.Legacy)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.LegacyEmailAttribute, "R-G1", FindingSeverity.Warning,
                "bound by the legacy subject emailAddress attribute \"" + b.Name + "\"; the leaf has no rfc822Name subjectAltName", state.LeafSha256));
        }

        if (b.Domain && request.Address is not null)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.DomainCertificateForMailbox, "R-E1", FindingSeverity.Warning,
                "\"" + b.Name + "\" is a domain certificate: encryption ends at the partner's gateway; secret information needs the recipient's personal certificate (R-E1)", state.LeafSha256));
        }
    }

    // S/MIME BR 7.1.6.1: 2.23.140.1.5.{1 mailbox, 2 organization, 3 sponsor, 4 individual}.{1 legacy, 2 multipurpose, 3 strict}.
    private static void ClassifyPolicies(in CertificateView leaf, SmimeRequest request, List<MessagingFinding> findings, State state)
    {
        var oids = new List<string>();
        leaf.CollectPolicyOids(oids);
        int count = 0;
        foreach (var oid in oids)
        {
            if (TryClassify(oid, out var type, out var generation))
            {
                count++;
                if (count == 1)
                {
                    state.Type = type;
                    state.Generation = generation;
                }
            }
        }

        if (count == 0)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.NoSmimePolicy, "R-G1", FindingSeverity.Warning,
                "the leaf asserts no CA/Browser Forum S/MIME policy (2.23.140.1.5.*): issued outside the S/MIME Baseline Requirements", state.LeafSha256));
            return;
        }

        if (count > 1)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.SeveralSmimePolicies, "R-G1", FindingSeverity.Warning,
                "the leaf asserts " + count.ToString(CultureInfo.InvariantCulture) + " CA/Browser Forum S/MIME policies; the first was used", state.LeafSha256));
        }

        if (request.RefuseMailboxValidated && state.Type == SmimeValidationType.MailboxValidated)
        {
            findings.Add(new MessagingFinding(SmimeFindingCodes.MailboxValidated, "R-C4", FindingSeverity.Error,
                "the leaf is mailbox-validated (2.23.140.1.5.1.*): only control of the mailbox was checked, not the holder", state.LeafSha256));
        }
    }

    /// <summary>Classifies a dotted CA/B Forum S/MIME policy OID <c>2.23.140.1.5.T.G</c>.</summary>
    /// <param name="oid">A dotted OID.</param>
    /// <param name="type">The validation type, or None.</param>
    /// <param name="generation">The generation, or None.</param>
    /// <returns>True when <paramref name="oid"/> is one of the twelve S/MIME BR policy OIDs.</returns>
    public static bool TryClassify(string oid, out SmimeValidationType type, out SmimeGeneration generation)
    {
        ArgumentNullException.ThrowIfNull(oid);
        type = SmimeValidationType.None;
        generation = SmimeGeneration.None;
        if (oid.Length != CabSmimePrefix.Length + 3 || !oid.StartsWith(CabSmimePrefix, StringComparison.Ordinal) || oid[CabSmimePrefix.Length + 1] != '.')
        {
            return false;
        }

        char t = oid[CabSmimePrefix.Length];
        char g = oid[CabSmimePrefix.Length + 2];
        if (t is < '1' or > '4' || g is < '1' or > '3')
        {
            return false;
        }

        type = (SmimeValidationType)(t - '0');
        generation = (SmimeGeneration)(g - '0');
        return true;
    }

    // Reads rfc822Name SANs, subject emailAddress and commonName values (ASCII only; others are skipped). False when malformed.
    private static bool TryReadNames(in CertificateView leaf, List<string> sans, List<string> emails, List<string> cns)
    {
        var san = leaf.SubjectAltNamesContent;
        var r = new DerReader(san);
        int n = 0;
        while (r.HasData)
        {
            if (++n > 1024 || !r.TryReadAny(out var tag, out var content, out _))
            {
                return false;
            }

            // GeneralName rfc822Name [1] IMPLICIT IA5String.
            if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 1 && !tag.IsConstructed && TryAscii(san[content], out var s))
            {
                sans.Add(s);
            }
        }

        var subject = leaf.SubjectDer;
        var outer = new DerReader(subject);
        if (!outer.TryRead(Asn1Tag.Sequence, out var seq))
        {
            return false;
        }

        var rdns = new DerReader(subject, seq.Start.Value, seq.End.Value);
        while (rdns.HasData)
        {
            if (!rdns.TryRead(Asn1Tag.SetOf, out var rdn))
            {
                return false;
            }

            var atvs = new DerReader(subject, rdn.Start.Value, rdn.End.Value);
            while (atvs.HasData)
            {
                if (++n > 2048 || !atvs.TryRead(Asn1Tag.Sequence, out var atv))
                {
                    return false;
                }

                var a = new DerReader(subject, atv.Start.Value, atv.End.Value);
                if (!a.TryRead(Asn1Tag.ObjectIdentifier, out var type) || !a.TryReadAny(out var vt, out var value, out _))
                {
                    return false;
                }

                bool textual = vt.TagClass == TagClass.Universal && vt.TagValue is 12 or 19 or 22;
                if (!textual || !TryAscii(subject[value], out var text))
                {
                    continue;
                }

                if (subject[type].SequenceEqual(Oids.EmailAddress))
                {
                    emails.Add(text);
                }
                else if (subject[type].SequenceEqual(Oids.CommonName))
                {
                    cns.Add(text);
                }
            }
        }

        return true;
    }

    private static bool TryAscii(ReadOnlySpan<byte> bytes, out string text)
    {
        foreach (byte b in bytes)
        {
            if (b is < 0x21 or > 0x7E)
            {
                text = string.Empty;
                return false;
            }
        }

        text = Encoding.ASCII.GetString(bytes);
        return true;
    }

    private static string FormatName(ReadOnlySpan<byte> nameDer)
    {
        try
        {
            return DistinguishedName.Format(nameDer);
        }
        catch (AsnContentException)
        {
            return "#" + Convert.ToHexString(nameDer);
        }
    }
}
