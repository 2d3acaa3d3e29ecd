using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>Where a check reports: the validator's run (findings when explaining, reason flags always).</summary>
internal interface IFindingSink
{
    /// <summary>True when messages are wanted (Explain); the verdict path builds none.</summary>
    bool Explaining { get; }

    /// <summary>Records a finding (and its reason flag).</summary>
    void Add(string code, string rule, int depth, string message, VerdictReasons reason);
}

/// <summary>
/// R-C12 (RULES.md): revocation by the CRLs the caller supplied (<see cref="ValidationRequest.Crls"/>), per RFC 5280 6.3, for
/// every certificate of the path except the anchor. The library never fetches a CRL (no network, no CRL distribution point
/// or AIA look-up) and checks no OCSP.
/// </summary>
/// <remarks>
/// <para>Applicability. A CRL applies to a certificate when its issuer name equals the certificate's issuer name (bytewise)
/// and its issuingDistributionPoint, if any, covers the certificate: onlyContainsUserCerts / onlyContainsCACerts by the
/// certificate's cA bit, onlyContainsAttributeCerts never, and a distributionPoint fullName only when one of its names
/// equals (bytewise) a fullName of the certificate's cRLDistributionPoints (RFC 5280 6.3.3 (b)(2)(i); a partitioned CRL for
/// another partition does not apply).</para>
/// <para>Use. An applicable CRL is used only when all of these hold (RFC 5280 6.3.3), else it is unusable and the
/// certificate's status is unknown (<see cref="VerdictReasons.RevocationUnknown"/>, fail closed), one finding per CRL:
/// not indirect (IDP indirectCRL or an entry's certificateIssuer: <c>revocation.crl-indirect</c>; indirect CRLs are not
/// supported), not a delta CRL (<c>revocation.crl-delta</c>), no onlySomeReasons or nameRelativeToCRLIssuer
/// (<c>revocation.crl-scope-unsupported</c>), no unknown critical CRL or entry extension
/// (<c>revocation.crl-unknown-critical-extension</c>), the issuer (the next certificate of the path) has cRLSign when it
/// has keyUsage (<c>revocation.issuer-not-crl-signer</c>), the issuer's key verifies the signature (a CRL signed by any
/// other key, including another key of the same CA name, is refused: <c>revocation.crl-bad-signature</c>), cRLNumber is
/// present (<c>revocation.crl-no-number</c>, RFC 5280 5.2.3 MUST), thisUpdate is not after the validation time
/// (<c>revocation.crl-not-yet-valid</c>), nextUpdate is present (<c>revocation.crl-no-next-update</c>: RFC 5280 5.1.2.5
/// MUST; OpenSSL accepts a CRL without it) and not before the validation time (<c>revocation.crl-expired</c>). A supplied
/// CRL that cannot be read at all fails closed (<c>revocation.crl-malformed</c>, depth -1).</para>
/// <para>Outcome. A usable CRL that lists the certificate's serial: <see cref="VerdictReasons.Revoked"/>
/// (<c>revocation.revoked</c>, whatever the reason code, removeFromCRL aside: that only occurs in delta CRLs, refused).
/// A certificate with no applicable CRL is not checked: the report notes it (<c>revocation.not-checked</c>, no reason
/// flag), unless <see cref="ValidationRequest.RequireCrlForEveryCertificate"/> asks for complete checking, as
/// <c>openssl verify -crl_check_all</c> does ("unable to get certificate CRL"): then <c>revocation.no-crl</c>
/// (<see cref="VerdictReasons.RevocationUnknown"/>). CRL signatures do not spend the path-building budget; their number
/// is bounded by the CRLs supplied (at most <see cref="MaxCrls"/>) times the path length.</para>
/// </remarks>
internal static class RevocationChecker
{
    /// <summary>Most CRLs one request may carry; more fail closed.</summary>
    internal const int MaxCrls = 64;

    private const string Rule = "R-C12";

    // RFC 5280 6.3
    internal static void Check(ChainValidator validator, List<CertificateView> path, ValidationRequest request, IFindingSink sink)
    {
        var supplied = request.Crls;
        if (supplied.Count > MaxCrls)
        {
            sink.Add("revocation.crl-malformed", Rule, -1, sink.Explaining ? "more than " + MaxCrls.ToString(CultureInfo.InvariantCulture) + " CRLs supplied" : string.Empty, VerdictReasons.RevocationUnknown);
            return;
        }

        var crls = new CrlView[supplied.Count];
        for (int i = 0; i < crls.Length; i++)
        {
            if (!CrlView.TryParse(supplied[i], out crls[i], out var error))
            {
                sink.Add("revocation.crl-malformed", Rule, -1, sink.Explaining ? "CRL " + Number(i) + " cannot be read: " + Describe(error) + "; revocation status unknown" : string.Empty, VerdictReasons.RevocationUnknown);
            }
        }

        var time = request.Time;
        for (int d = 0; d < path.Count - 1; d++)
        {
            var cert = path[d];
            var issuer = path[d + 1];
            int applicable = 0;
            for (int i = 0; i < crls.Length; i++)
            {
                var crl = crls[i];
                if (crl.Der.IsEmpty || !crl.IssuerDer.SequenceEqual(cert.IssuerDer))
                {
                    continue;
                }

                var scope = Scope(crl, cert);
                if (scope == CrlScope.OtherCertificates)
                {
                    continue;
                }

                applicable++;
                var (code, why) = Problem(validator, crl, scope, issuer, time);
                if (code is not null)
                {
                    sink.Add(code, Rule, d, sink.Explaining ? "CRL " + Number(i) + " for certificate " + Depth(d) + " cannot be used: " + why + "; revocation status unknown" : string.Empty, VerdictReasons.RevocationUnknown);
                    continue;
                }

                if (crl.TryFindRevoked(cert.SerialNumber, out var when, out int reason))
                {
                    sink.Add("revocation.revoked", Rule, d, sink.Explaining ? "certificate " + Depth(d) + " is revoked by CRL " + Number(i) + " of its issuer (revoked " + when.ToString("u", CultureInfo.InvariantCulture) + (reason >= 0 ? ", reason " + ReasonName(reason) : string.Empty) + ")" : string.Empty, VerdictReasons.Revoked);
                }
            }

            if (applicable > 0)
            {
                continue;
            }

            if (request.RequireCrlForEveryCertificate)
            {
                sink.Add("revocation.no-crl", Rule, d, sink.Explaining ? "no supplied CRL applies to certificate " + Depth(d) + " (complete CRL checking was asked for); revocation status unknown" : string.Empty, VerdictReasons.RevocationUnknown);
            }
            else if (sink.Explaining)
            {
                sink.Add("revocation.not-checked", Rule, d, "no supplied CRL applies to certificate " + Depth(d) + ": its revocation was not checked", VerdictReasons.None);
            }
        }
    }

    // Certificates by depth (0 = leaf); CRLs numbered from 1 in the order supplied.
    private static string Depth(int d) => d.ToString(CultureInfo.InvariantCulture);

    private static string Number(int index) => (index + 1).ToString(CultureInfo.InvariantCulture);

    private enum CrlScope
    {
        Applies,
        OtherCertificates,
        Unsupported,
        Indirect,
    }

    // RFC 5280 5.2.5 IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0], onlyContainsUserCerts [1], onlyContainsCACerts [2],
    // onlySomeReasons [3], indirectCRL [4], onlyContainsAttributeCerts [5] } (booleans DEFAULT FALSE: DER never encodes FALSE).
    private static CrlScope Scope(in CrlView crl, in CertificateView cert)
    {
        if (!crl.HasIssuingDistributionPoint)
        {
            return crl.HasCertificateIssuerEntry ? CrlScope.Indirect : CrlScope.Applies;
        }

        var d = crl.IssuingDistributionPointContent;
        var r = new DerReader(d);
        var result = crl.HasCertificateIssuerEntry ? CrlScope.Indirect : CrlScope.Applies;
        bool outOfScope = false;
        int lastTag = -1;
        while (r.HasData)
        {
            if (!r.TryReadAny(out var tag, out var content, out _) || tag.TagClass != TagClass.ContextSpecific || tag.TagValue <= lastTag || tag.TagValue > 5)
            {
                return CrlScope.Unsupported;
            }

            lastTag = tag.TagValue;
            if (tag.TagValue == 0)
            {
                // DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] }.
                var dp = new DerReader(d, content.Start.Value, content.End.Value);
                if (!tag.IsConstructed || !dp.TryRead(new Asn1Tag(TagClass.ContextSpecific, 0, true), out var fullName) || dp.HasData)
                {
                    return CrlScope.Unsupported;
                }

                outOfScope |= !CertificateNamesDistributionPoint(cert, d[fullName]);
                continue;
            }

            if (tag.TagValue == 3)
            {
                return CrlScope.Unsupported; // onlySomeReasons: this CRL does not cover every reason
            }

            if (tag.IsConstructed || !DerReader.TryDecodeBoolean(d[content], out bool value) || !value)
            {
                return CrlScope.Unsupported;
            }

            switch (tag.TagValue)
            {
                case 1: outOfScope |= cert.IsCa; break;
                case 2: outOfScope |= !cert.IsCa; break;
                case 4: result = CrlScope.Indirect; break;
                case 5: outOfScope = true; break;
            }
        }

        return outOfScope ? CrlScope.OtherCertificates : result;
    }

    // True when one GeneralName of the IDP's fullName equals (bytewise) one of a fullName in the certificate's cRLDistributionPoints.
    private static bool CertificateNamesDistributionPoint(in CertificateView cert, ReadOnlySpan<byte> idpNames)
    {
        var der = cert.Der.Span;
        if (!TryFindExtension(cert, CrlDistributionPointsOid, out var value))
        {
            return false;
        }

        var v = new DerReader(der, value.Start.Value, value.End.Value);
        if (!v.TryRead(Asn1Tag.Sequence, out var points))
        {
            return false;
        }

        var p = new DerReader(der, points.Start.Value, points.End.Value);
        while (p.HasData && p.TryRead(Asn1Tag.Sequence, out var point))
        {
            var dp = new DerReader(der, point.Start.Value, point.End.Value);
            if (!dp.TryRead(new Asn1Tag(TagClass.ContextSpecific, 0, true), out var name))
            {
                continue;
            }

            var n = new DerReader(der, name.Start.Value, name.End.Value);
            if (!n.TryRead(new Asn1Tag(TagClass.ContextSpecific, 0, true), out var full))
            {
                continue;
            }

            var certNames = new DerReader(der, full.Start.Value, full.End.Value);
            while (certNames.HasData && certNames.TryReadAny(out _, out _, out var certName))
            {
                var idp = new DerReader(idpNames);
                while (idp.HasData && idp.TryReadAny(out _, out _, out var idpName))
                {
                    if (idpNames[idpName].SequenceEqual(der[certName]))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    // 2.5.29.31 cRLDistributionPoints
    private static ReadOnlySpan<byte> CrlDistributionPointsOid => [0x55, 0x1D, 0x1F];

    // The certificate's extension with this OID (the view does not keep cRLDistributionPoints; it is walked here when a CRL needs it).
    private static bool TryFindExtension(in CertificateView cert, ReadOnlySpan<byte> oid, out Range value)
    {
        value = default;
        var der = cert.Der.Span;
        var outer = new DerReader(der);
        if (!outer.TryRead(Asn1Tag.Sequence, out var c))
        {
            return false;
        }

        var cr = new DerReader(der, c.Start.Value, c.End.Value);
        if (!cr.TryRead(Asn1Tag.Sequence, out var tbs))
        {
            return false;
        }

        var t = new DerReader(der, tbs.Start.Value, tbs.End.Value);
        var extTag = new Asn1Tag(TagClass.ContextSpecific, 3, true);
        while (t.HasData)
        {
            if (!t.TryReadAny(out var tag, out var content, out _))
            {
                return false;
            }

            if (tag != extTag)
            {
                continue;
            }

            var w = new DerReader(der, content.Start.Value, content.End.Value);
            if (!w.TryRead(Asn1Tag.Sequence, out var exts))
            {
                return false;
            }

            var e = new DerReader(der, exts.Start.Value, exts.End.Value);
            while (e.HasData && e.TryRead(Asn1Tag.Sequence, out var ext))
            {
                var x = new DerReader(der, ext.Start.Value, ext.End.Value);
                if (x.TryRead(Asn1Tag.ObjectIdentifier, out var o) && der[o].SequenceEqual(oid))
                {
                    x.TryRead(Asn1Tag.Boolean, out _);
                    return x.TryRead(Asn1Tag.PrimitiveOctetString, out value);
                }
            }
        }

        return false;
    }

    // RFC 5280 6.3.3 (b)..(k) for one applicable CRL: null when usable, else the finding code and the reason in words.
    private static (string? Code, string Why) Problem(ChainValidator validator, in CrlView crl, CrlScope scope, in CertificateView issuer, DateTimeOffset time)
    {
        if (scope == CrlScope.Indirect)
        {
            return ("revocation.crl-indirect", "it is an indirect CRL (it lists certificates of other issuers), which is not supported");
        }

        if (crl.IsDelta)
        {
            return ("revocation.crl-delta", "it is a delta CRL, which is not supported (supply the complete CRL)");
        }

        if (scope == CrlScope.Unsupported)
        {
            return ("revocation.crl-scope-unsupported", "its issuing distribution point limits it to some revocation reasons or is not understood");
        }

        // RFC 5280 5.2 / 5.3: a critical extension that is not processed makes the CRL unusable.
        if (crl.HasUnknownCriticalExtension || crl.HasUnknownCriticalEntryExtension)
        {
            return ("revocation.crl-unknown-critical-extension", "it has a critical extension this validator does not process");
        }

        // RFC 5280 6.3.3 (f) and 4.2.1.3: the CRL signer needs cRLSign when it has keyUsage.
        if (issuer.HasKeyUsage && (issuer.KeyUsage & KeyUsages.CrlSign) == 0)
        {
            return ("revocation.issuer-not-crl-signer", "the issuing certificate's key usage does not allow signing CRLs (cRLSign)");
        }

        // RFC 5280 6.3.3 (g): the CRL's signature under the issuer's key (the CRL issuer is the certificate's issuer: no indirect CRLs).
        if (!Verifies(validator, issuer, crl))
        {
            return ("revocation.crl-bad-signature", "its signature does not verify with the issuing certificate's key (signed by another key, or an unsupported algorithm)");
        }

        // RFC 5280 5.2.3: conforming CRL issuers MUST include the CRL number.
        if (!crl.HasCrlNumber)
        {
            return ("revocation.crl-no-number", "it has no CRL number (RFC 5280 requires one)");
        }

        // RFC 5280 6.3.3 (a)(2), 5.1.2.4, 5.1.2.5.
        if (crl.ThisUpdate > time)
        {
            return ("revocation.crl-not-yet-valid", "it was issued " + crl.ThisUpdate.ToString("u", CultureInfo.InvariantCulture) + ", after the validation time");
        }

        if (!crl.HasNextUpdate)
        {
            return ("revocation.crl-no-next-update", "it has no next-update time, so its freshness cannot be judged (RFC 5280 requires one)");
        }

        if (crl.NextUpdate < time)
        {
            return ("revocation.crl-expired", "it expired (next update due " + crl.NextUpdate.ToString("u", CultureInfo.InvariantCulture) + ")");
        }

        return (null, string.Empty);
    }

    // MD5 and unknown algorithms never verify a CRL; the rest is the chain's own signature step.
    private static bool Verifies(ChainValidator validator, in CertificateView issuer, in CrlView crl) =>
        crl.SignatureAlgorithm != SignatureAlgorithm.RsaPkcs1Md5
        && validator.VerifySigned(issuer, crl.SignatureAlgorithm, crl.TbsDer, crl.Signature) == ChainValidator.SignatureCheck.Valid;

    private static string Describe(CrlError e) => e switch
    {
        CrlError.TooLarge => "larger than " + (CrlView.MaxCrlBytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + " MiB",
        CrlError.Malformed => "not a strict-DER X.509 CRL (bad length, tag or trailing data)",
        CrlError.InvalidField => "a version, time, serial or algorithm RFC 5280 forbids",
        CrlError.InvalidExtension => "a malformed, empty or repeated extension",
        CrlError.LimitExceeded => "more than " + CrlView.MaxEntries.ToString(CultureInfo.InvariantCulture) + " entries or too many extensions",
        _ => "unreadable",
    };

    // RFC 5280 5.3.1 CRLReason.
    private static string ReasonName(int code) => code switch
    {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => code.ToString(CultureInfo.InvariantCulture),
    };
}
