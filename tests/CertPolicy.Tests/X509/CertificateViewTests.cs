using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Tests.Validation;
using CertPolicy.Validation;
using CertPolicy.X509;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests.X509;

/// <summary>The certificate view against .NET's own parser, strict-DER refusals, and a never-throws property.</summary>
public sealed class CertificateViewTests
{
    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(300).WithReplay(20261128UL, 11UL);

    private static CertificateView Parse(byte[] der)
    {
        Assert.True(CertificateView.TryParse(der, out var v, out var e), e.ToString());
        return v;
    }

    [Fact]
    public void Fields_agree_with_X509Certificate2()
    {
        var chain = TestChains.Create(new ChainSpec { LeafKey = "rsa2048", IntermediatePathLength = 0, IntermediatePolicies = [TestOids.CustomEvA, TestOids.AnyPolicy] });
        foreach (var der in new[] { chain.Leaf, chain.Intermediate, chain.Root })
        {
            var v = Parse(der);
            using var x = X509CertificateLoader.LoadCertificate(der);
            Assert.Equal(3, v.Version);
            Assert.Equal(x.SubjectName.RawData, v.SubjectDer.ToArray());
            Assert.Equal(x.IssuerName.RawData, v.IssuerDer.ToArray());
            Assert.Equal(new DateTimeOffset(x.NotBefore.ToUniversalTime()), v.NotBefore);
            Assert.Equal(new DateTimeOffset(x.NotAfter.ToUniversalTime()), v.NotAfter);
            Assert.Equal(x.PublicKey.ExportSubjectPublicKeyInfo(), v.SpkiDer.ToArray());
            Assert.Equal(x.SerialNumberBytes.ToArray(), v.SerialNumber.ToArray());
            var bc = x.Extensions.OfType<X509BasicConstraintsExtension>().Single();
            Assert.Equal(bc.CertificateAuthority, v.IsCa);
            Assert.Equal(bc.HasPathLengthConstraint ? bc.PathLengthConstraint : -1, v.PathLengthConstraint);
            var ku = x.Extensions.OfType<X509KeyUsageExtension>().Single();
            Assert.Equal((int)ku.KeyUsages, ReverseKeyUsage(v.KeyUsage));
            var ski = x.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();
            Assert.Equal(ski.SubjectKeyIdentifierBytes.ToArray(), v.SubjectKeyIdentifier.ToArray());
            Assert.False(v.HasUnknownCriticalExtension);
        }

        var leaf = Parse(chain.Leaf);
        Assert.Equal(KeyAlgorithm.Rsa, leaf.KeyAlgorithm);
        Assert.Equal(2048, leaf.KeySize);
        Assert.Equal(SignatureAlgorithm.EcdsaSha256, leaf.SignatureAlgorithm);
        Assert.True(leaf.EkuServerAuth);
        Assert.True(leaf.HasOrganization);
        Assert.True(leaf.AssertsPolicy([0x67, 0x81, 0x0C, 0x01, 0x02, 0x02])); // 2.23.140.1.2.2
        var ints = Parse(chain.Intermediate);
        Assert.Equal(KeyAlgorithm.Ec, ints.KeyAlgorithm);
        Assert.Equal(256, ints.KeySize);
        Assert.True(ints.AssertsAnyPolicy);
        var oids = new List<string>();
        ints.CollectPolicyOids(oids);
        Assert.Equal([TestOids.CustomEvA, TestOids.AnyPolicy], oids);
        Assert.Equal(ints.SubjectKeyIdentifier.ToArray(), leaf.AuthorityKeyIdentifier.ToArray());
        var root = Parse(chain.Root);
        Assert.True(root.IsSelfIssued);
        Assert.Equal(SignatureAlgorithm.RsaPkcs1Sha256, root.SignatureAlgorithm);
    }

    // .NET numbers X509KeyUsageFlags by the bit-string byte (digitalSignature = 0x80); the view numbers bits from 0.
    private static int ReverseKeyUsage(KeyUsages k)
    {
        int v = 0;
        for (int i = 0; i < 8; i++)
        {
            if (((int)k & (1 << i)) != 0)
            {
                v |= 0x80 >> i;
            }
        }

        return v | (((int)k & (1 << 8)) != 0 ? 0x8000 : 0);
    }

    [Fact]
    public void Unknown_critical_extension_is_flagged()
    {
        var chain = TestChains.Create(new ChainSpec { LeafUnknownCritical = true });
        Assert.True(Parse(chain.Leaf).HasUnknownCriticalExtension);
    }

    // object: CertificateError is internal (xunit needs public signatures).
    public static TheoryData<string, Func<byte[], byte[]>, object> Mutations => new()
    {
        { "truncated by one byte", d => d[..^1], CertificateError.Malformed },
        { "truncated to half", d => d[..(d.Length / 2)], CertificateError.Malformed },
        { "trailing byte", d => [.. d, 0x00], CertificateError.Malformed },
        { "outer length one too long", d => SetOuterLength(d, +1), CertificateError.Malformed },
        { "outer length one too short", d => SetOuterLength(d, -1), CertificateError.Malformed },
        { "not a SEQUENCE", d => [0x31, .. d[1..]], CertificateError.Malformed },
        { "empty", _ => [], CertificateError.Malformed },
        { "non-minimal length", d => NonMinimalLength(d), CertificateError.Malformed },
    };

    private static byte[] SetOuterLength(byte[] d, int delta)
    {
        var copy = (byte[])d.Clone();
        int len = (copy[2] << 8) | copy[3];
        len += delta;
        copy[2] = (byte)(len >> 8);
        copy[3] = (byte)len;
        return copy;
    }

    private static byte[] NonMinimalLength(byte[] d)
    {
        // 30 82 LL LL -> 30 83 00 LL LL (BER allows it, DER does not).
        return [0x30, 0x83, 0x00, d[2], d[3], .. d[4..]];
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void Malformed_der_is_refused_without_exception(string description, Func<byte[], byte[]> mutate, object expectedError)
    {
        var expected = (CertificateError)expectedError;
        var der = TestChains.Create(new ChainSpec()).Leaf;
        Assert.Equal(0x82, der[1]); // the mutations assume a two-byte length
        var bad = mutate(der);
        Assert.False(CertificateView.TryParse(bad, out var v, out var e), description);
        Assert.Equal(expected, e);
        Assert.False(v.IsValid);
    }

    [Fact]
    public void Duplicate_extension_and_explicit_default_critical_false_are_refused()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=dup", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509Extension("2.5.29.99", new byte[] { 0x30, 0x00 }, false));
        using var twoExtensions = req.CreateSelfSigned(TestChains.At.AddDays(-1), TestChains.At.AddDays(1));

        // .NET refuses to emit a repeated extension: rename 2.5.29.99 to 2.5.29.19 in the DER (the signature no longer matters).
        var dup = twoExtensions.RawData;
        int at = dup.AsSpan().IndexOf((byte[])[0x06, 0x03, 0x55, 0x1D, 0x63]);
        Assert.True(at > 0);
        dup[at + 4] = 0x13;
        Assert.False(CertificateView.TryParse(dup, out _, out var e1));
        Assert.Equal(CertificateError.InvalidExtension, e1);

        // basicConstraints with cA explicitly FALSE: DER forbids encoding a DEFAULT value.
        var req2 = new CertificateRequest("CN=bcfalse", key, HashAlgorithmName.SHA256);
        req2.CertificateExtensions.Add(new X509Extension("2.5.29.19", new byte[] { 0x30, 0x03, 0x01, 0x01, 0x00 }, true));
        using var bcFalse = req2.CreateSelfSigned(TestChains.At.AddDays(-1), TestChains.At.AddDays(1));
        Assert.False(CertificateView.TryParse(bcFalse.RawData, out _, out var e2));
        Assert.Equal(CertificateError.InvalidExtension, e2);
    }

    [Fact]
    public void Too_large_input_is_refused()
    {
        Assert.False(CertificateView.TryParse(new byte[CertificateView.MaxCertificateBytes + 1], out _, out var e));
        Assert.Equal(CertificateError.TooLarge, e);
    }

    [Fact]
    public void Time_decoding_is_strict()
    {
        Assert.True(DerReader.TryDecodeTime(Asn1Tag.UtcTime, "491231235959Z"u8, out var t1));
        Assert.Equal(2049, t1.Year);
        Assert.True(DerReader.TryDecodeTime(Asn1Tag.UtcTime, "500101000000Z"u8, out var t2));
        Assert.Equal(1950, t2.Year);
        Assert.True(DerReader.TryDecodeTime(Asn1Tag.GeneralizedTime, "20500101000000Z"u8, out var t3));
        Assert.Equal(2050, t3.Year);
        Assert.False(DerReader.TryDecodeTime(Asn1Tag.UtcTime, "4912312359Z"u8, out _)); // no seconds
        Assert.False(DerReader.TryDecodeTime(Asn1Tag.UtcTime, "491231235959+0100"u8, out _)); // offset
        Assert.False(DerReader.TryDecodeTime(Asn1Tag.GeneralizedTime, "20500101000000.5Z"u8, out _)); // fraction
        Assert.False(DerReader.TryDecodeTime(Asn1Tag.UtcTime, "490230000000Z"u8, out _)); // 30 February
    }

    [Fact]
    public void Oid_formatting()
    {
        Assert.True(Oids2.Format([0x67, 0x81, 0x0C, 0x01, 0x01], out var ev));
        Assert.Equal("2.23.140.1.1", ev);
        Assert.True(Oids2.Format([0x55, 0x1D, 0x20, 0x00], out var any));
        Assert.Equal("2.5.29.32.0", any);
        Assert.False(Oids2.Format([0x55, 0x80, 0x01], out _)); // padded arc
        Assert.False(Oids2.Format([0x55, 0x81], out _)); // unterminated arc
    }

    private static class Oids2
    {
        internal static bool Format(byte[] content, out string dotted) => CertPolicy.X509.Oids.TryFormat(content, out dotted);
    }

    [Fact]
    public void Mutated_certificates_never_throw_in_the_view_or_the_validator()
    {
        var chain = TestChains.Create(new ChainSpec());
        var validator = new ChainValidator(TestChains.Store(chain));
        var request = TestChains.Request();
        var gen = from pos in Gen.Choose(0, chain.Leaf.Length - 1)
                  from value in Gen.Choose(0, 255)
                  from cut in Gen.Choose(0, 3)
                  select (pos, (byte)value, cut);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var bad = (byte[])chain.Leaf.Clone();
            bad[t.pos] = t.Item2;
            if (t.cut == 0)
            {
                bad = bad[..t.pos];
            }

            CertificateView.TryParse(bad, out _, out _);
            var report = validator.Explain([bad, chain.Intermediate], request);
            Assert.DoesNotContain(report.Findings, f => f.Code == "internal.error");
            if (!report.Verdict.IsCompliant)
            {
                Assert.NotEmpty(report.Findings);
            }
        }).Check(Fixed);
    }

    [Fact]
    public void Arbitrary_bytes_never_throw_and_never_pass()
    {
        var chain = TestChains.Create(new ChainSpec());
        var validator = new ChainValidator(TestChains.Store(chain));
        var request = TestChains.Request();
        var gen = from n in Gen.Choose(0, 600)
                  from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)
                  from der in Gen.Elements(true, false)
                  select der && n > 0 ? [0x30, .. bytes] : bytes;
        Prop.ForAll(gen.ToArbitrary(), (byte[] data) =>
        {
            var report = validator.ExplainPem(data, request);
            Assert.False(report.Verdict.IsCompliant);
            Assert.DoesNotContain(report.Findings, f => f.Code == "internal.error");
        }).Check(Fixed);
    }
}
