using System.Globalization;
using System.Security.Cryptography;
using CertPolicy.Tests.Support;
using CertPolicy.Validation;
using CertPolicy.X509;
using FsCheck;
using FsCheck.Fluent;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace CertPolicy.Tests.Validation;

/// <summary>What to put in a generated CRL (BouncyCastle's X509V2CrlGenerator). Defaults: a good, current CRL of the intermediate, nothing revoked.</summary>
internal sealed record CrlSpec
{
    /// <summary>Issued by the root (covers the intermediate) instead of the intermediate (covers the leaf).</summary>
    internal bool ByRoot { get; init; }
    internal bool RevokeLeaf { get; init; }
    internal bool RevokeIntermediate { get; init; }
    internal DateTimeOffset ThisUpdate { get; init; } = TestChains.At.AddDays(-1);
    internal DateTimeOffset? NextUpdate { get; init; } = TestChains.At.AddDays(7);
    internal bool CrlNumber { get; init; } = true;
    internal bool UnknownCritical { get; init; }

    /// <summary>Signed by a different key than the issuer's (same issuer name).</summary>
    internal bool OtherKey { get; init; }
    internal IssuingDistributionPoint? Idp { get; init; }
    internal bool Delta { get; init; }

    /// <summary>The revoked entry carries certificateIssuer (an indirect CRL).</summary>
    internal bool EntryCertificateIssuer { get; init; }
}

/// <summary>
/// R-C12: revocation against caller-supplied CRLs, each case with its expected verdict and the real <c>openssl verify
/// -crl_check</c> (or <c>-crl_check_all</c>) on the same files; every divergence has its reason in the table.
/// </summary>
public sealed class RevocationTests
{
    private static readonly Lazy<ECDsa> OtherKey = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));

    internal static byte[] Crl(TestChain chain, CrlSpec s)
    {
        var issuerCert = new X509CertificateParser().ReadCertificate(s.ByRoot ? chain.Root : chain.Intermediate);
        var gen = new X509V2CrlGenerator();
        gen.SetIssuerDN(issuerCert.SubjectDN); // the issuer's subject bytes, kept as encoded
        gen.SetThisUpdate(s.ThisUpdate.UtcDateTime);
        if (s.NextUpdate is { } next)
        {
            gen.SetNextUpdate(next.UtcDateTime);
        }

        var revokedAt = TestChains.At.AddDays(-2).UtcDateTime;
        if (s.RevokeLeaf)
        {
            var serial = new X509CertificateParser().ReadCertificate(chain.Leaf).SerialNumber;
            if (s.EntryCertificateIssuer)
            {
                var eg = new X509ExtensionsGenerator();
                eg.AddExtension(X509Extensions.CertificateIssuer, true, new GeneralNames(new GeneralName(issuerCert.SubjectDN)));
                gen.AddCrlEntry(serial, revokedAt, eg.Generate());
            }
            else
            {
                gen.AddCrlEntry(serial, revokedAt, CrlReason.KeyCompromise);
            }
        }

        if (s.RevokeIntermediate)
        {
            gen.AddCrlEntry(new X509CertificateParser().ReadCertificate(chain.Intermediate).SerialNumber, revokedAt, CrlReason.CACompromise);
        }

        gen.AddCrlEntry(BigInteger.ValueOf(0x7777), revokedAt, CrlReason.Superseded); // someone else, so the list is never empty
        if (s.CrlNumber)
        {
            gen.AddExtension(X509Extensions.CrlNumber, false, new CrlNumber(BigInteger.ValueOf(42)));
        }

        if (s.UnknownCritical)
        {
            gen.AddExtension(new DerObjectIdentifier("1.3.6.1.4.1.55555.7"), true, DerNull.Instance);
        }

        if (s.Idp is { } idp)
        {
            gen.AddExtension(X509Extensions.IssuingDistributionPoint, true, idp);
        }

        if (s.Delta)
        {
            gen.AddExtension(X509Extensions.DeltaCrlIndicator, true, new CrlNumber(BigInteger.ValueOf(41)));
        }

        AsymmetricAlgorithm key = s.OtherKey ? OtherKey.Value : s.ByRoot ? TestChains.RootSigningKey(0) : TestChains.IntermediateSigningKey;
        var bcKey = PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey());
        var factory = new Asn1SignatureFactory(key is RSA ? "SHA256WITHRSA" : "SHA256WITHECDSA", bcKey);
        return gen.Generate(factory).GetEncoded();
    }

    // The cases of the acceptance table. openssl: the flag used and a phrase of its verdict ("OK" = exit 0).
    private static (TestChain Chain, byte[][] Crls) Build(string id)
    {
        var chain = TestChains.Create(new ChainSpec { IntermediateCrlSign = id != "issuer-without-crl-sign" });
        byte[][] crls = id switch
        {
            "good" => [Crl(chain, new CrlSpec())],
            "good-check-all" => [Crl(chain, new CrlSpec()), Crl(chain, new CrlSpec { ByRoot = true })],
            "revoked-leaf" => [Crl(chain, new CrlSpec { RevokeLeaf = true })],
            "revoked-intermediate" or "revoked-intermediate-leaf-check" => [Crl(chain, new CrlSpec { ByRoot = true, RevokeIntermediate = true }), Crl(chain, new CrlSpec())],
            "other-key" => [Crl(chain, new CrlSpec { OtherKey = true })],
            "expired" => [Crl(chain, new CrlSpec { ThisUpdate = TestChains.At.AddDays(-10), NextUpdate = TestChains.At.AddDays(-1) })],
            "not-yet-valid" => [Crl(chain, new CrlSpec { ThisUpdate = TestChains.At.AddDays(1), NextUpdate = TestChains.At.AddDays(8) })],
            "no-next-update" => [Crl(chain, new CrlSpec { NextUpdate = null })],
            "no-crl-number" => [Crl(chain, new CrlSpec { CrlNumber = false })],
            "issuer-without-crl-sign" => [Crl(chain, new CrlSpec())],
            "unknown-critical" => [Crl(chain, new CrlSpec { UnknownCritical = true })],
            "no-crl-for-intermediate" => [Crl(chain, new CrlSpec())],
            _ => throw new ArgumentException(id),
        };
        return (chain, crls);
    }

    [Theory]
    [InlineData("good", false, VerdictReasons.None, "revocation.not-checked", 1, "-crl_check", "OK", null)]
    [InlineData("good-check-all", true, VerdictReasons.None, null, -1, "-crl_check_all", "OK", null)]
    [InlineData("revoked-leaf", false, VerdictReasons.Revoked, "revocation.revoked", 0, "-crl_check", "certificate revoked", null)]
    [InlineData("revoked-intermediate", true, VerdictReasons.Revoked, "revocation.revoked", 1, "-crl_check_all", "certificate revoked", null)]
    [InlineData("revoked-intermediate-leaf-check", false, VerdictReasons.Revoked, "revocation.revoked", 1, "-crl_check", "OK",
        "openssl -crl_check checks the leaf only; we check every certificate of the path that a supplied CRL applies to (a revoked intermediate is never ignored)")]
    [InlineData("other-key", false, VerdictReasons.RevocationUnknown, "revocation.crl-bad-signature", 0, "-crl_check", "CRL signature failure", null)]
    [InlineData("expired", false, VerdictReasons.RevocationUnknown, "revocation.crl-expired", 0, "-crl_check", "CRL has expired", null)]
    [InlineData("not-yet-valid", false, VerdictReasons.RevocationUnknown, "revocation.crl-not-yet-valid", 0, "-crl_check", "CRL is not yet valid", null)]
    [InlineData("no-next-update", false, VerdictReasons.RevocationUnknown, "revocation.crl-no-next-update", 0, "-crl_check", "OK",
        "RFC 5280 5.1.2.5: conforming CRL issuers MUST include nextUpdate; without it freshness cannot be judged, so we fail closed; OpenSSL treats the CRL as never expiring")]
    [InlineData("no-crl-number", false, VerdictReasons.RevocationUnknown, "revocation.crl-no-number", 0, "-crl_check", "OK",
        "RFC 5280 5.2.3: conforming CRL issuers MUST include cRLNumber (the brief asks for it); OpenSSL does not require it")]
    [InlineData("issuer-without-crl-sign", false, VerdictReasons.RevocationUnknown, "revocation.issuer-not-crl-signer", 0, "-crl_check", "key usage does not include CRL signing", null)]
    [InlineData("unknown-critical", false, VerdictReasons.RevocationUnknown, "revocation.crl-unknown-critical-extension", 0, "-crl_check", "unhandled critical CRL extension", null)]
    [InlineData("no-crl-for-intermediate", true, VerdictReasons.RevocationUnknown, "revocation.no-crl", 1, "-crl_check_all", "unable to get certificate CRL", null)]
    public void Verdict_matches_openssl_verify(string id, bool checkAll, VerdictReasons expected, string? code, int depth, string opensslFlag, string opensslSays, string? divergence)
    {
        var (chain, crls) = Build(id);
        var validator = new ChainValidator(TestChains.Store(chain));
        var request = new ValidationRequest
        {
            Time = TestChains.At,
            NextHop = "example.com",
            Crls = [.. crls.Select(c => new ReadOnlyMemory<byte>(c))],
            RequireCrlForEveryCertificate = checkAll,
        };
        var report = validator.Explain(chain.Presented, request);
        string findings = string.Join("; ", report.Findings.Select(f => f.Code + "@" + f.Depth + " " + f.Message));
        Assert.True(expected == report.Verdict.Reasons, findings);
        Assert.Equal(report.Verdict, validator.Evaluate(chain.Presented, request));
        if (code is not null)
        {
            Assert.Contains(report.Findings, f => f.Code == code && f.Rule == "R-C12" && f.Depth == depth && f.Message.Length > 0);
        }

        // The same files through the real peer.
        var (ok, output) = OpensslVerify(chain, crls, opensslFlag);
        if (opensslSays == "OK")
        {
            Assert.True(ok, output);
        }
        else
        {
            Assert.False(ok, output);
            Assert.Contains(opensslSays, output, StringComparison.Ordinal);
        }

        if (divergence is null)
        {
            Assert.True(ok == report.Verdict.IsCompliant, "openssl and CertPolicy disagree without a recorded reason: " + output + " / " + findings);
        }
        else
        {
            Assert.True(ok != report.Verdict.IsCompliant, "recorded divergence no longer diverges: " + divergence);
        }
    }

    private static (bool Ok, string Output) OpensslVerify(TestChain chain, byte[][] crls, string flag)
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDir();
        var root = dir.File("root.pem", chain.RootPem);
        var intermediate = dir.File("int.pem", PemEncoding.WriteString("CERTIFICATE", chain.Intermediate) + "\n");
        var leaf = dir.File("leaf.pem", PemEncoding.WriteString("CERTIFICATE", chain.Leaf) + "\n");
        var crlFile = dir.File("crls.pem", string.Concat(crls.Select(c => PemEncoding.WriteString("X509 CRL", c) + "\n")));

        // Our PEM reader reads back what openssl gets.
        Assert.True(CrlReader.TryRead(File.ReadAllBytes(crlFile), out var back, out var error), error);
        Assert.Equal(crls.Length, back.Count);

        var (exit, stdout, stderr) = Tool.Run(openssl, ["verify", "-attime", TestChains.At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "-CAfile", root, "-untrusted", intermediate, "-CRLfile", crlFile, flag, leaf]);
        return (exit == 0, stdout + stderr);
    }

    public static TheoryData<string, VerdictReasons, string> ScopeCases() => new()
    {
        // IDP indirectCRL, or an entry naming another certificate issuer: indirect CRLs are refused.
        { "idp-indirect", VerdictReasons.RevocationUnknown, "revocation.crl-indirect" },
        { "entry-certificate-issuer", VerdictReasons.RevocationUnknown, "revocation.crl-indirect" },
        { "delta", VerdictReasons.RevocationUnknown, "revocation.crl-delta" },
        { "only-some-reasons", VerdictReasons.RevocationUnknown, "revocation.crl-scope-unsupported" },

        // onlyContainsCACerts: does not apply to the leaf, so its listing of the leaf's serial does not count (the leaf is unchecked).
        { "only-ca-certs", VerdictReasons.None, "revocation.not-checked" },
        { "only-user-certs", VerdictReasons.Revoked, "revocation.revoked" },

        // A partition for another distribution point (the leaf names another one, or none): not applicable.
        { "other-partition", VerdictReasons.None, "revocation.not-checked" },
        { "partition-without-leaf-crldp", VerdictReasons.None, "revocation.not-checked" },

        // The partition the leaf names in its cRLDistributionPoints: applies.
        { "same-partition", VerdictReasons.Revoked, "revocation.revoked" },
        { "malformed", VerdictReasons.RevocationUnknown, "revocation.crl-malformed" },
    };

    [Theory]
    [MemberData(nameof(ScopeCases))]
    public void Crl_scope_and_unsupported_forms(string id, VerdictReasons expected, string code)
    {
        var chain = TestChains.Create(new ChainSpec { LeafCrlDistributionPoint = id == "partition-without-leaf-crldp" ? null : id == "other-partition" ? "http://crl.example/part1.crl" : "http://crl.example/part7.crl" });
        var dp = new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.UniformResourceIdentifier, "http://crl.example/part7.crl")));
        byte[] crl = id switch
        {
            "idp-indirect" => Crl(chain, new CrlSpec { RevokeLeaf = true, Idp = new IssuingDistributionPoint(null, false, false, null, true, false) }),
            "entry-certificate-issuer" => Crl(chain, new CrlSpec { RevokeLeaf = true, EntryCertificateIssuer = true }),
            "delta" => Crl(chain, new CrlSpec { Delta = true }),
            "only-some-reasons" => Crl(chain, new CrlSpec { Idp = new IssuingDistributionPoint(null, false, false, new ReasonFlags(ReasonFlags.KeyCompromise), false, false) }),
            "only-ca-certs" => Crl(chain, new CrlSpec { RevokeLeaf = true, Idp = new IssuingDistributionPoint(null, false, true, null, false, false) }),
            "only-user-certs" => Crl(chain, new CrlSpec { RevokeLeaf = true, Idp = new IssuingDistributionPoint(null, true, false, null, false, false) }),
            "other-partition" or "partition-without-leaf-crldp" or "same-partition" => Crl(chain, new CrlSpec { RevokeLeaf = true, Idp = new IssuingDistributionPoint(dp, false, false, null, false, false) }),
            "malformed" => [.. Crl(chain, new CrlSpec()), 0x00],
            _ => throw new ArgumentException(id),
        };
        var validator = new ChainValidator(TestChains.Store(chain));
        var request = new ValidationRequest { Time = TestChains.At, NextHop = "example.com", Crls = [crl] };
        var report = validator.Explain(chain.Presented, request);
        Assert.True(expected == report.Verdict.Reasons, string.Join("; ", report.Findings.Select(f => f.Code + "@" + f.Depth + " " + f.Message)));
        Assert.Contains(report.Findings, f => f.Code == code && f.Rule == "R-C12");
        Assert.Equal(report.Verdict, validator.Evaluate(chain.Presented, request));
    }

    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(200).WithReplay(20261204UL, 13UL);

    /// <summary>Mutated CRLs (byte flips, truncations) never throw and never pass as usable evidence of anything but what they say.</summary>
    [Fact]
    public void Mutated_crls_never_throw_and_fail_closed()
    {
        var chain = TestChains.Create(new ChainSpec());
        var der = Crl(chain, new CrlSpec { RevokeLeaf = true });
        var rootCrl = Crl(chain, new CrlSpec { ByRoot = true });
        var validator = new ChainValidator(TestChains.Store(chain));
        var gen = from at in Gen.Choose(0, der.Length - 1)
                  from xor in Gen.Choose(1, 255)
                  from mode in Gen.Choose(0, 3)
                  select (at, xor, mode);
        int refused = 0;
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (at, xor, mode) = t;
            byte[] m = mode == 0 ? der[..at] : [.. der];
            if (mode != 0)
            {
                m[at] ^= (byte)xor;
            }

            // Complete checking: a mutation that makes the CRL name another issuer leaves the leaf without a CRL, which must fail too.
            var request = new ValidationRequest { Time = TestChains.At, NextHop = "example.com", Crls = [m, rootCrl], RequireCrlForEveryCertificate = true };
            var verdict = validator.Evaluate(chain.Presented, request);
            Assert.True((verdict.Reasons & VerdictReasons.InternalError) == 0);

            // The leaf is listed in the original: a mutated CRL either still says so, or cannot be used. Never a pass.
            Assert.False(verdict.IsCompliant, "a mutated CRL hid the revocation: offset " + at + " xor " + xor + " mode " + mode);
            refused += (verdict.Reasons & VerdictReasons.RevocationUnknown) != 0 ? 1 : 0;
        }).Check(Fixed);
        Assert.True(refused > 100, refused.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Crl_view_reads_entries_and_refuses_damaged_input()
    {
        var chain = TestChains.Create(new ChainSpec());
        var der = Crl(chain, new CrlSpec { RevokeLeaf = true });
        Assert.True(CrlView.TryParse(der, out var view, out var error), error.ToString());
        Assert.Equal(2, view.EntryCount);
        Assert.True(view.HasCrlNumber && view.HasNextUpdate && !view.IsDelta);
        Assert.True(CertificateView.TryParse(chain.Leaf, out var leaf, out _));
        Assert.True(view.TryFindRevoked(leaf.SerialNumber, out var when, out int reason));
        Assert.Equal((TestChains.At.AddDays(-2), 1), (when, reason));
        Assert.False(view.TryFindRevoked([0x01, 0x02], out _, out _));

        // Every truncation and a trailing byte are refused, never thrown.
        for (int n = 0; n < der.Length; n += 7)
        {
            Assert.False(CrlView.TryParse(der.AsMemory(0, n), out _, out _));
        }

        Assert.False(CrlView.TryParse((byte[])[.. der, 0x00], out _, out var trailing));
        Assert.Equal(CrlError.Malformed, trailing);
    }

    [Fact]
    public void Lookup_allocates_nothing()
    {
        var chain = TestChains.Create(new ChainSpec());
        var der = Crl(chain, new CrlSpec { RevokeLeaf = true });
        Assert.True(CertificateView.TryParse(chain.Leaf, out var leaf, out _));
        Assert.True(CrlView.TryParse(der, out var view, out _));
        view.TryFindRevoked(leaf.SerialNumber, out _, out _);
        int found = 0;
        Assert.Equal(0, Allocations.Fewest(3, () =>
        {
            for (int i = 0; i < 100; i++)
            {
                found += CrlView.TryParse(der, out var v, out _) && v.TryFindRevoked(leaf.SerialNumber, out _, out _) ? 1 : 0;
            }
        }));
        Assert.True(found >= 100 && found % 100 == 0, found + " look-ups found the revoked leaf");
    }

    [Fact]
    public void Cli_verify_with_crl_files()
    {
        var chain = TestChains.Create(new ChainSpec());
        using var dir = new TempDir();
        var chainFile = dir.File("chain.pem", chain.PresentedPem);
        var roots = dir.File("roots.pem", chain.RootPem);
        var revoking = dir.File("revoking.pem", PemEncoding.WriteString("X509 CRL", Crl(chain, new CrlSpec { RevokeLeaf = true })) + "\n");
        var good = dir.File("good.crl", string.Empty);
        File.WriteAllBytes(good, Crl(chain, new CrlSpec())); // DER
        var rootCrl = dir.File("root.crl", string.Empty);
        File.WriteAllBytes(rootCrl, Crl(chain, new CrlSpec { ByRoot = true }));
        string[] common = ["verify", chainFile, "--roots", roots, "--at", "2026-06-01T12:00:00Z", "--nexthop", "example.com"];

        var (exit, stdout, stderr) = CliRunner.Run([.. common, "--crl", revoking]);
        Assert.True(exit == 1, stdout + stderr);
        Assert.Contains("R-C12 revocation.revoked (depth 0): certificate 0 is revoked by CRL 1 of its issuer", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = CliRunner.Run([.. common, "--crl", good]);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("note: R-C12 revocation.not-checked (depth 1)", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = CliRunner.Run([.. common, "--crl", good, "--crl-check-all"]);
        Assert.True(exit == 1, stdout + stderr);
        Assert.Contains("revocation.no-crl", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = CliRunner.Run([.. common, "--crl", good, rootCrl, "--crl-check-all", "--format", "json"]);
        Assert.True(exit == 0, stdout + stderr);

        (exit, _, stderr) = CliRunner.Run([.. common, "--crl-check-all"]);
        Assert.Equal(2, exit);
        Assert.Contains("--crl-check-all needs --crl", stderr, StringComparison.Ordinal);

        var junk = dir.File("junk.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        (exit, _, stderr) = CliRunner.Run([.. common, "--crl", junk]);
        Assert.Equal(2, exit);
        Assert.Contains("not X509 CRL", stderr, StringComparison.Ordinal);
    }

    // Issue 14: BEGIN lines without END are refused after one linear pass (PemEncoding.TryFind alone searched for an
    // END after every BEGIN: quadratic, 4 MiB took about 30 s). Counted by what is refused, not timed; a well-formed
    // block after an unclosed one is refused too, and a closed block still reads.
    [Fact]
    public void Crl_pem_with_begin_lines_without_end_is_refused_by_the_linear_pass()
    {
        var many = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("-----BEGIN X509 CRL-----\n", 170_000)));
        Assert.True(many.Length > 4 * 1024 * 1024);
        Assert.False(CrlReader.TryRead(many, out var none, out var error));
        Assert.Empty(none);
        Assert.Equal("a PEM BEGIN line without its END line", error);

        var unclosedThenClosed = System.Text.Encoding.ASCII.GetBytes("-----BEGIN X509 CRL-----\n-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n");
        Assert.False(CrlReader.TryRead(unclosedThenClosed, out _, out error));
        Assert.Equal("a PEM BEGIN line without its END line", error);

        var closed = System.Text.Encoding.ASCII.GetBytes("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n");
        Assert.True(CrlReader.TryRead(closed, out var one, out error), error);
        Assert.Equal(new byte[] { 0x30, 0x00 }, Assert.Single(one));
    }
}
