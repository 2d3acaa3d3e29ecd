using System.Formats.Asn1;

namespace CertPolicy.X509;

/// <summary>Why a CRL could not be read.</summary>
internal enum CrlError : byte
{
    None = 0,

    /// <summary>Larger than <see cref="CrlView.MaxCrlBytes"/>.</summary>
    TooLarge,

    /// <summary>Not strict DER, or not the RFC 5280 5.1 CertificateList structure (including trailing data).</summary>
    Malformed,

    /// <summary>A version, time or algorithm RFC 5280 forbids.</summary>
    InvalidField,

    /// <summary>A malformed, empty or repeated extension (CRL or entry).</summary>
    InvalidExtension,

    /// <summary>More entries or extensions than the limits allow.</summary>
    LimitExceeded,
}

/// <summary>
/// A zero-copy view of one X.509 CRL (RFC 5280 5.1): raw fields are slices of <see cref="Der"/>, read once under strict
/// DER with size and count limits. <see cref="TryParse"/> walks every entry once (a bounded scan: serial, revocation date,
/// entry extensions) without allocating; <see cref="TryFindRevoked"/> scans again for one serial, also without allocating.
/// Never throws on data. Does not verify the signature and does not decide whether the CRL applies to a certificate
/// (Validation/RevocationChecker does both). Keeps no copy of the input.
/// </summary>
internal readonly struct CrlView
{
    /// <summary>Largest CRL read (32 MiB: large public CAs publish CRLs of tens of MiB, sharded CRLs are far smaller).</summary>
    internal const int MaxCrlBytes = 32 * 1024 * 1024;

    /// <summary>Most revoked-certificate entries read (about 30 bytes each at least, so 1 M covers 32 MiB).</summary>
    internal const int MaxEntries = 1_000_000;

    /// <summary>Most CRL extensions, and most extensions per entry.</summary>
    internal const int MaxExtensions = 32;

    // 2.5.29.20 cRLNumber, 2.5.29.27 deltaCRLIndicator, 2.5.29.28 issuingDistributionPoint, 2.5.29.35 authorityKeyIdentifier,
    // 2.5.29.18 issuerAltName, 2.5.29.46 freshestCRL; entries: 2.5.29.21 reasonCode, 2.5.29.24 invalidityDate, 2.5.29.29 certificateIssuer.
    private static ReadOnlySpan<byte> CrlNumberOid => [0x55, 0x1D, 0x14];

    private static ReadOnlySpan<byte> DeltaCrlIndicatorOid => [0x55, 0x1D, 0x1B];

    private static ReadOnlySpan<byte> IssuingDistributionPointOid => [0x55, 0x1D, 0x1C];

    private static ReadOnlySpan<byte> AuthorityKeyIdentifierOid => [0x55, 0x1D, 0x23];

    private static ReadOnlySpan<byte> IssuerAltNameOid => [0x55, 0x1D, 0x12];

    private static ReadOnlySpan<byte> FreshestCrlOid => [0x55, 0x1D, 0x2E];

    private static ReadOnlySpan<byte> ReasonCodeOid => [0x55, 0x1D, 0x15];

    private static ReadOnlySpan<byte> InvalidityDateOid => [0x55, 0x1D, 0x18];

    private static ReadOnlySpan<byte> CertificateIssuerOid => [0x55, 0x1D, 0x1D];

    private readonly Range _tbs;
    private readonly Range _issuer;
    private readonly Range _signature;
    private readonly Range _revoked;
    private readonly Range _idp;
    private readonly Range _aki;

    private CrlView(ReadOnlyMemory<byte> der, in Fields f)
    {
        Der = der;
        _tbs = f.Tbs;
        _issuer = f.Issuer;
        _signature = f.Signature;
        _revoked = f.Revoked;
        _idp = f.Idp;
        _aki = f.Aki;
        SignatureAlgorithm = f.SignatureAlgorithm;
        ThisUpdate = f.ThisUpdate;
        NextUpdate = f.NextUpdate;
        HasNextUpdate = f.HasNextUpdate;
        HasCrlNumber = f.HasCrlNumber;
        IsDelta = f.IsDelta;
        HasIssuingDistributionPoint = f.HasIdp;
        HasUnknownCriticalExtension = f.UnknownCritical;
        HasUnknownCriticalEntryExtension = f.UnknownCriticalEntry;
        HasCertificateIssuerEntry = f.CertificateIssuerEntry;
        EntryCount = f.EntryCount;
    }

    /// <summary>The whole DER encoding.</summary>
    internal ReadOnlyMemory<byte> Der { get; }

    /// <summary>The signed part (TBSCertList, full TLV).</summary>
    internal ReadOnlySpan<byte> TbsDer => Der.Span[_tbs];

    /// <summary>The issuer Name (full TLV), compared bytewise with a certificate's issuer.</summary>
    internal ReadOnlySpan<byte> IssuerDer => Der.Span[_issuer];

    /// <summary>The signature bits.</summary>
    internal ReadOnlySpan<byte> Signature => Der.Span[_signature];

    /// <summary>The signature algorithm (outer and inner identifiers are equal).</summary>
    internal SignatureAlgorithm SignatureAlgorithm { get; }

    /// <summary>thisUpdate.</summary>
    internal DateTimeOffset ThisUpdate { get; }

    /// <summary>nextUpdate, when <see cref="HasNextUpdate"/>.</summary>
    internal DateTimeOffset NextUpdate { get; }

    /// <summary>True when nextUpdate is present (RFC 5280 5.1.2.5: conforming issuers MUST include it).</summary>
    internal bool HasNextUpdate { get; }

    /// <summary>True when the cRLNumber extension is present (RFC 5280 5.2.3: MUST).</summary>
    internal bool HasCrlNumber { get; }

    /// <summary>True for a delta CRL (deltaCRLIndicator).</summary>
    internal bool IsDelta { get; }

    /// <summary>True when an issuingDistributionPoint extension is present (see <see cref="IssuingDistributionPointContent"/>).</summary>
    internal bool HasIssuingDistributionPoint { get; }

    /// <summary>The IssuingDistributionPoint SEQUENCE's content.</summary>
    internal ReadOnlySpan<byte> IssuingDistributionPointContent => Der.Span[_idp];

    /// <summary>The authorityKeyIdentifier's keyIdentifier, or empty.</summary>
    internal ReadOnlySpan<byte> AuthorityKeyIdentifier => Der.Span[_aki];

    /// <summary>A critical CRL extension that is not processed here (RFC 5280 5.2: the CRL must then not be used).</summary>
    internal bool HasUnknownCriticalExtension { get; }

    /// <summary>A critical entry extension that is not processed here (RFC 5280 5.3).</summary>
    internal bool HasUnknownCriticalEntryExtension { get; }

    /// <summary>An entry carries certificateIssuer: the CRL is indirect (RFC 5280 5.3.3).</summary>
    internal bool HasCertificateIssuerEntry { get; }

    /// <summary>The number of revoked-certificate entries.</summary>
    internal int EntryCount { get; }

    /// <summary>Reads one DER CRL; false with an error on anything RFC 5280 5.1 or strict DER forbids, or above the limits.</summary>
    internal static bool TryParse(ReadOnlyMemory<byte> der, out CrlView view, out CrlError error)
    {
        view = default;
        if (der.Length > MaxCrlBytes)
        {
            error = CrlError.TooLarge;
            return false;
        }

        var f = default(Fields);
        error = Parse(der.Span, ref f);
        if (error != CrlError.None)
        {
            return false;
        }

        view = new CrlView(der, f);
        return true;
    }

    /// <summary>
    /// Looks a serial up (the certificate's INTEGER content: both are minimal DER, so equal bytes mean equal numbers).
    /// Returns the entry's revocation date and the reasonCode (-1 when absent). No allocation.
    /// </summary>
    internal bool TryFindRevoked(ReadOnlySpan<byte> serial, out DateTimeOffset revocationDate, out int reason)
    {
        revocationDate = default;
        reason = -1;
        var d = Der.Span;
        var r = new DerReader(d, _revoked.Start.Value, _revoked.End.Value);
        while (r.HasData)
        {
            if (!r.TryRead(Asn1Tag.Sequence, out var entry))
            {
                return false; // validated by TryParse: unreachable
            }

            var e = new DerReader(d, entry.Start.Value, entry.End.Value);
            if (!e.TryRead(Asn1Tag.Integer, out var s) || !d[s].SequenceEqual(serial))
            {
                continue;
            }

            if (e.TryReadAny(out var tag, out var date, out _))
            {
                DerReader.TryDecodeTime(tag, d[date], out revocationDate);
            }

            if (e.TryRead(Asn1Tag.Sequence, out var exts))
            {
                reason = ReasonCode(d, exts);
            }

            return true;
        }

        return false;
    }

    private struct Fields
    {
        public Range Tbs, Issuer, Signature, Revoked, Idp, Aki;
        public SignatureAlgorithm SignatureAlgorithm;
        public DateTimeOffset ThisUpdate, NextUpdate;
        public bool HasNextUpdate, HasCrlNumber, IsDelta, HasIdp, UnknownCritical, UnknownCriticalEntry, CertificateIssuerEntry;
        public int EntryCount;
    }

    // RFC 5280 5.1: CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }.
    private static CrlError Parse(ReadOnlySpan<byte> d, ref Fields f)
    {
        if (!DerReader.TryReadSigned(d, out var tbs, out f.Tbs, out var outerAlg, out f.Signature))
        {
            return CrlError.Malformed;
        }

        var t = new DerReader(d, tbs.Start.Value, tbs.End.Value);

        // RFC 5280 5.1.2.1: version OPTIONAL, v2 (1) when present; extensions need v2.
        int version = 1;
        if (t.TryPeekTag(out var first) && first == Asn1Tag.Integer)
        {
            if (!t.TryRead(Asn1Tag.Integer, out var v) || !DerReader.TryDecodeSmallNonNegative(d[v], out int vv) || vv != 1)
            {
                return CrlError.InvalidField;
            }

            version = 2;
        }

        // RFC 5280 5.1.1.2: signatureAlgorithm MUST equal TBSCertList.signature.
        if (!t.TryRead(Asn1Tag.Sequence, out _, out var innerAlg))
        {
            return CrlError.Malformed;
        }

        if (!d[innerAlg].SequenceEqual(d[outerAlg]))
        {
            return CrlError.InvalidField;
        }

        f.SignatureAlgorithm = CertificateView.ReadSignatureAlgorithm(d, outerAlg);
        if (!t.TryRead(Asn1Tag.Sequence, out var issuerContent, out f.Issuer) || !CertificateView.TryWalkName(d, issuerContent, out _, out _))
        {
            return CrlError.Malformed;
        }

        // RFC 5280 5.1.2.4 / 5.1.2.5: thisUpdate, nextUpdate OPTIONAL (UTCTime through 2049, GeneralizedTime after).
        if (!t.TryReadAny(out var tuTag, out var tu, out _) || !DerReader.TryDecodeTime(tuTag, d[tu], out f.ThisUpdate))
        {
            return CrlError.InvalidField;
        }

        if (t.TryPeekTag(out var next) && (next == Asn1Tag.UtcTime || next == Asn1Tag.GeneralizedTime))
        {
            if (!t.TryReadAny(out var nuTag, out var nu, out _) || !DerReader.TryDecodeTime(nuTag, d[nu], out f.NextUpdate))
            {
                return CrlError.InvalidField;
            }

            f.HasNextUpdate = true;
        }

        if (t.TryPeekTag(out var rev) && rev == Asn1Tag.Sequence)
        {
            if (!t.TryRead(Asn1Tag.Sequence, out f.Revoked))
            {
                return CrlError.Malformed;
            }

            var e = ScanEntries(d, f.Revoked, version, ref f);
            if (e != CrlError.None)
            {
                return e;
            }
        }

        if (!t.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 0, true), out bool hasExt, out var extWrap) || t.HasData)
        {
            return CrlError.Malformed;
        }

        if (hasExt)
        {
            if (version != 2)
            {
                return CrlError.InvalidField;
            }

            var ew = new DerReader(d, extWrap.Start.Value, extWrap.End.Value);
            if (!ew.TryRead(Asn1Tag.Sequence, out var exts) || ew.HasData || exts.Start.Value == exts.End.Value)
            {
                return CrlError.InvalidExtension;
            }

            return ReadCrlExtensions(d, exts, ref f);
        }

        return CrlError.None;
    }

    // revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time, crlEntryExtensions Extensions OPTIONAL }.
    private static CrlError ScanEntries(ReadOnlySpan<byte> d, Range revoked, int version, ref Fields f)
    {
        var r = new DerReader(d, revoked.Start.Value, revoked.End.Value);
        while (r.HasData)
        {
            if (++f.EntryCount > MaxEntries)
            {
                return CrlError.LimitExceeded;
            }

            if (!r.TryRead(Asn1Tag.Sequence, out var entry))
            {
                return CrlError.Malformed;
            }

            var e = new DerReader(d, entry.Start.Value, entry.End.Value);
            if (!e.TryRead(Asn1Tag.Integer, out var serial) || !DerReader.IsMinimalInteger(d[serial]) || d[serial].Length > 21)
            {
                return CrlError.InvalidField;
            }

            if (!e.TryReadAny(out var tag, out var date, out _) || !DerReader.TryDecodeTime(tag, d[date], out _))
            {
                return CrlError.InvalidField;
            }

            if (e.HasData)
            {
                if (version != 2 || !e.TryRead(Asn1Tag.Sequence, out var exts) || e.HasData || exts.Start.Value == exts.End.Value)
                {
                    return CrlError.InvalidExtension;
                }

                var x = ReadEntryExtensions(d, exts, ref f);
                if (x != CrlError.None)
                {
                    return x;
                }
            }
        }

        return CrlError.None;
    }

    // RFC 5280 5.3: reasonCode and invalidityDate are understood; certificateIssuer makes the CRL indirect (refused by the checker).
    private static CrlError ReadEntryExtensions(ReadOnlySpan<byte> d, Range exts, ref Fields f)
    {
        var r = new DerReader(d, exts.Start.Value, exts.End.Value);
        int count = 0;
        Span<int> seen = stackalloc int[3];
        while (r.HasData)
        {
            if (++count > MaxExtensions)
            {
                return CrlError.LimitExceeded;
            }

            if (!TryReadExtension(d, ref r, out var oid, out bool critical, out _))
            {
                return CrlError.InvalidExtension;
            }

            int k = oid.SequenceEqual(ReasonCodeOid) ? 0 : oid.SequenceEqual(InvalidityDateOid) ? 1 : oid.SequenceEqual(CertificateIssuerOid) ? 2 : -1;
            if (k < 0)
            {
                f.UnknownCriticalEntry |= critical;
                continue;
            }

            if (seen[k]++ > 0)
            {
                return CrlError.InvalidExtension;
            }

            f.CertificateIssuerEntry |= k == 2;
        }

        return CrlError.None;
    }

    private static CrlError ReadCrlExtensions(ReadOnlySpan<byte> d, Range exts, ref Fields f)
    {
        var r = new DerReader(d, exts.Start.Value, exts.End.Value);
        int count = 0;
        Span<int> seen = stackalloc int[6];
        while (r.HasData)
        {
            if (++count > MaxExtensions)
            {
                return CrlError.LimitExceeded;
            }

            if (!TryReadExtension(d, ref r, out var oid, out bool critical, out var value))
            {
                return CrlError.InvalidExtension;
            }

            int k = oid.SequenceEqual(CrlNumberOid) ? 0
                : oid.SequenceEqual(DeltaCrlIndicatorOid) ? 1
                : oid.SequenceEqual(IssuingDistributionPointOid) ? 2
                : oid.SequenceEqual(AuthorityKeyIdentifierOid) ? 3
                : oid.SequenceEqual(IssuerAltNameOid) ? 4
                : oid.SequenceEqual(FreshestCrlOid) ? 5 : -1;
            if (k < 0)
            {
                f.UnknownCritical |= critical;
                continue;
            }

            if (seen[k]++ > 0)
            {
                return CrlError.InvalidExtension;
            }

            var v = new DerReader(d, value.Start.Value, value.End.Value);
            switch (k)
            {
                case 0:
                    // RFC 5280 5.2.3: CRLNumber ::= INTEGER (0..MAX), at most 20 octets.
                    if (!v.TryRead(Asn1Tag.Integer, out var n) || v.HasData || !DerReader.IsMinimalInteger(d[n]) || (d[n][0] & 0x80) != 0 || d[n].Length > 21)
                    {
                        return CrlError.InvalidExtension;
                    }

                    f.HasCrlNumber = true;
                    break;
                case 1:
                    f.IsDelta = true;
                    break;
                case 2:
                    if (!v.TryRead(Asn1Tag.Sequence, out f.Idp) || v.HasData)
                    {
                        return CrlError.InvalidExtension;
                    }

                    f.HasIdp = true;
                    break;
                case 3:
                    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OPTIONAL, authorityCertIssuer [1], authorityCertSerialNumber [2] }.
                    if (!v.TryRead(Asn1Tag.Sequence, out var aki) || v.HasData)
                    {
                        return CrlError.InvalidExtension;
                    }

                    var a = new DerReader(d, aki.Start.Value, aki.End.Value);
                    if (!a.TryReadOptional(new Asn1Tag(TagClass.ContextSpecific, 0), out _, out f.Aki))
                    {
                        return CrlError.InvalidExtension;
                    }

                    break;
                case 5:
                    // freshestCRL (RFC 5280 5.2.6) points to delta CRLs; MUST be non-critical. Nothing is fetched.
                    f.UnknownCritical |= critical;
                    break;
            }
        }

        return CrlError.None;
    }

    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE (DER: never encoded FALSE), extnValue OCTET STRING }.
    private static bool TryReadExtension(ReadOnlySpan<byte> d, ref DerReader r, out ReadOnlySpan<byte> oid, out bool critical, out Range value)
    {
        oid = default;
        critical = false;
        value = default;
        if (!r.TryRead(Asn1Tag.Sequence, out var ext))
        {
            return false;
        }

        var x = new DerReader(d, ext.Start.Value, ext.End.Value);
        if (!x.TryRead(Asn1Tag.ObjectIdentifier, out var o))
        {
            return false;
        }

        if (x.TryPeekTag(out var tag) && tag == Asn1Tag.Boolean)
        {
            if (!x.TryRead(Asn1Tag.Boolean, out var b) || !DerReader.TryDecodeBoolean(d[b], out critical) || !critical)
            {
                return false;
            }
        }

        if (!x.TryRead(Asn1Tag.PrimitiveOctetString, out value) || x.HasData)
        {
            return false;
        }

        oid = d[o];
        return true;
    }

    // CRLReason ::= ENUMERATED (RFC 5280 5.3.1); -1 when absent or unreadable.
    private static int ReasonCode(ReadOnlySpan<byte> d, Range exts)
    {
        var r = new DerReader(d, exts.Start.Value, exts.End.Value);
        while (r.HasData)
        {
            if (!TryReadExtension(d, ref r, out var oid, out _, out var value))
            {
                return -1;
            }

            if (oid.SequenceEqual(ReasonCodeOid))
            {
                var v = new DerReader(d, value.Start.Value, value.End.Value);
                return v.TryRead(Asn1Tag.Enumerated, out var e) && DerReader.TryDecodeSmallNonNegative(d[e], out int code) ? code : -1;
            }
        }

        return -1;
    }
}
