using System.Formats.Asn1;
using CertPolicy.X509;

namespace CertPolicy.Validation;

/// <summary>What <see cref="OpenSslValidityRules.Check"/> found wrong with one certificate of the path.</summary>
internal enum OpenSslValidityDefect : byte
{
    None,
    AnchorAkiMismatch,
    CrlDpUndecodable,
    EcExplicitParameters,
}

/// <summary>
/// R-C3 (RULES.md): defects for which OpenSSL 3.0's <c>X509_verify_cert</c> (and so Postfix) refuses a chain in its default
/// configuration (no <c>-x509_strict</c>), checked in every profile so that postfix-secure predicts what Postfix accepts. Each is a
/// validity rule of OpenSSL, not a certificate-profile rule (R-C11 keeps the wider BR rules: <c>profile.anchor-aki</c>,
/// <c>profile.crldp-malformed</c>, <c>profile.ec-curve</c>, which skip what is reported here so that no defect is reported twice).
/// Measured with <c>openssl verify -purpose sslserver</c> 3.0.19 (CertificateProfileTests.RefusedEverywhere).
/// Allocation-free; only the first defect of a certificate is reported.
/// </summary>
internal static class OpenSslValidityRules
{
    private static readonly Asn1Tag Ctx0 = new(TagClass.ContextSpecific, 0, true);
    private static readonly Asn1Tag Ctx1Primitive = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag Ctx1Constructed = new(TagClass.ContextSpecific, 1, true);
    private static readonly Asn1Tag Ctx2 = new(TagClass.ContextSpecific, 2, true);

    internal static OpenSslValidityDefect Check(in CertificateView c, bool anchor)
    {
        // OpenSSL 3.0 crypto/x509/x509_vfy.c check_extensions: "Check for presence of explicit elliptic curve parameters"
        // runs for every certificate of a chain longer than one, outside X509_V_FLAG_X509_STRICT since 3.0
        // (check_curve: OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS) -> error 94 X509_V_ERR_EC_KEY_EXPLICIT_PARAMS.
        if (HasExplicitEcParameters(c))
        {
            return OpenSslValidityDefect.EcExplicitParameters;
        }

        // OpenSSL 3.0 crypto/x509/v3_purp.c ossl_x509v3_cache_extensions: "res = setup_crldp(x); if (res == 0)
        // x->ex_flags |= EXFLAG_INVALID" when cRLDistributionPoints does not decode. An EXFLAG_INVALID certificate fails
        // ossl_x509_likely_issued (check_issued) as issuer and as subject, so the chain never completes (error 20 or 2).
        if ((c.Facts & ProfileFacts.CrlDpPresent) != 0 && !CrlDpDecodes(c.Der.Span, c.CrlDistributionPointsRange))
        {
            return OpenSslValidityDefect.CrlDpUndecodable;
        }

        // OpenSSL 3.0 v3_purp.c ossl_x509v3_cache_extensions sets EXFLAG_SS (self-signed) only when X509_check_akid(x, x->akid)
        // passes, i.e. a keyIdentifier in the AKI equals the SKI. A self-issued anchor whose AKI names another key is therefore
        // not self-signed; build_chain then looks for the anchor's issuer and fails (error 2 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT).
        // RFC 5280 4.2.1.1: the keyIdentifier identifies the key that signed the certificate, which for a self-signed root is its own.
        if (anchor && IsAnchorAkiMismatch(c))
        {
            return OpenSslValidityDefect.AnchorAkiMismatch;
        }

        return OpenSslValidityDefect.None;
    }

    /// <summary>A self-issued certificate whose AKI keyIdentifier and SKI are both present and differ (OpenSSL's X509_check_akid).</summary>
    internal static bool IsAnchorAkiMismatch(in CertificateView c) =>
        c.IsSelfIssued && !c.AuthorityKeyIdentifier.IsEmpty && !c.SubjectKeyIdentifier.IsEmpty && !c.AuthorityKeyIdentifier.SequenceEqual(c.SubjectKeyIdentifier);

    /// <summary>An id-ecPublicKey whose parameters are ECParameters (a SEQUENCE) rather than a namedCurve OID (RFC 5480 2.1.1).</summary>
    internal static bool HasExplicitEcParameters(in CertificateView c)
    {
        if (c.KeyAlgorithm != KeyAlgorithm.Ec || c.KeySize != 0)
        {
            return false;
        }

        var d = c.SpkiDer;
        var r = new DerReader(d);
        if (!r.TryRead(Asn1Tag.Sequence, out var spki))
        {
            return false;
        }

        var s = new DerReader(d, spki.Start.Value, spki.End.Value);
        if (!s.TryRead(Asn1Tag.Sequence, out var alg))
        {
            return false;
        }

        var a = new DerReader(d, alg.Start.Value, alg.End.Value);
        return a.TryRead(Asn1Tag.ObjectIdentifier, out _) && a.TryReadAny(out var tag, out _, out _) && tag == Asn1Tag.Sequence;
    }

    /// <summary>
    /// Whether the extension value decodes as OpenSSL's CRL_DIST_POINTS template (crypto/x509/v3_crld.c): SEQUENCE OF
    /// DistributionPoint { distributionPoint [0] EXPLICIT CHOICE { fullName [0] IMPLICIT GeneralNames, nameRelativeToCRLIssuer
    /// [1] IMPLICIT RDN } OPTIONAL, reasons [1] IMPLICIT BIT STRING OPTIONAL, cRLIssuer [2] IMPLICIT GeneralNames OPTIONAL }.
    /// OpenSSL's templates enforce no SIZE (1..MAX): an empty list decodes (that is R-C11's <c>profile.crldp-malformed</c>), but
    /// setup_dp refuses a DistributionPoint with neither a name nor a cRLIssuer (measured: openssl verify, error 20).
    /// GeneralName contents are checked for their tag only (a deviation: OpenSSL also decodes each).
    /// </summary>
    internal static bool CrlDpDecodes(ReadOnlySpan<byte> der, Range value)
    {
        var r = new DerReader(der, value.Start.Value, value.End.Value);
        if (!r.TryRead(Asn1Tag.Sequence, out var seq) || r.HasData)
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
            if (!p.TryReadOptional(Ctx0, out bool hasName, out var name)
                || !p.TryReadOptional(Ctx1Primitive, out _, out _)
                || !p.TryReadOptional(Ctx2, out bool hasIssuer, out var issuer)
                || p.HasData)
            {
                return false;
            }

            // OpenSSL 3.0 v3_purp.c setup_dp: "if (dp->distpoint == NULL && sk_GENERAL_NAME_num(dp->CRLissuer) <= 0)"
            // -> X509_R_INVALID_DISTPOINT (RFC 5280 4.2.1.13: either distributionPoint or cRLIssuer MUST be present).
            if (!hasName && (!hasIssuer || issuer.Start.Value == issuer.End.Value))
            {
                return false;
            }

            if (hasName)
            {
                var n = new DerReader(der, name.Start.Value, name.End.Value);
                if (!n.TryReadAny(out var tag, out var inner, out _) || n.HasData)
                {
                    return false;
                }

                if (tag == Ctx0 ? !GeneralNamesDecode(der, inner) : tag != Ctx1Constructed)
                {
                    return false;
                }
            }

            if (hasIssuer && !GeneralNamesDecode(der, issuer))
            {
                return false;
            }
        }

        return true;
    }

    private static bool GeneralNamesDecode(ReadOnlySpan<byte> der, Range names)
    {
        var g = new DerReader(der, names.Start.Value, names.End.Value);
        while (g.HasData)
        {
            if (!g.TryReadAny(out var tag, out _, out _) || tag.TagClass != TagClass.ContextSpecific || tag.TagValue > 8)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The finding code of a defect.</summary>
    internal static string Code(OpenSslValidityDefect defect) => defect switch
    {
        OpenSslValidityDefect.AnchorAkiMismatch => "chain.anchor-aki-mismatch",
        OpenSslValidityDefect.CrlDpUndecodable => "chain.crldp-malformed",
        _ => "chain.ec-explicit-parameters",
    };

    /// <summary>The finding's message (explain path, or a failing path only).</summary>
    internal static string Describe(OpenSslValidityDefect defect, string who) => defect switch
    {
        OpenSslValidityDefect.AnchorAkiMismatch => who + " names another key in its authority key identifier than its own subject key identifier, so OpenSSL and Postfix do not treat it as a self-signed root and refuse the chain (RFC 5280 4.2.1.1)",
        OpenSslValidityDefect.CrlDpUndecodable => who + " has a CRL distribution points extension that cannot be decoded; OpenSSL and Postfix treat such a certificate as invalid (RFC 5280 4.2.1.13)",
        _ => who + " has an EC key with explicit curve parameters instead of a named curve; OpenSSL 3 and Postfix refuse such keys in a chain (RFC 5480 2.1.1)",
    };
}
