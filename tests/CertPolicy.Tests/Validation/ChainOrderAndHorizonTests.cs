using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CertPolicy.Tests.Support;
using CertPolicy.Trust;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// Issue 13 item 6: a chain given in the wrong order says so (<c>chain.not-in-order</c>, R-C3), and <c>--warn-days N</c>
/// reports expiry and distrust-after horizons as warnings, never as failures (<see cref="ExpiryHorizons"/>).
/// </summary>
public sealed class ChainOrderAndHorizonTests
{
    private const string At = "2026-06-01T12:00:00Z";

    private static string Pem(byte[] der) => PemEncoding.WriteString("CERTIFICATE", der) + "\n";

    [Fact]
    public void Openssl_takes_the_first_certificate_as_the_servers_so_a_ca_first_chain_fails_its_name_check()
    {
        // What OpenSSL (and so Postfix) does with a chain given intermediate first: `openssl verify FILE` verifies only the
        // first certificate of the file and says OK for the intermediate; with the name check a TLS client makes
        // (-verify_hostname, as Postfix at secure) it fails with error 62, hostname mismatch. Leaf first, both pass.
        var chain = TestChains.Create(new ChainSpec());
        using var dir = new TempDir();
        string root = dir.File("root.pem", chain.RootPem);
        string wrong = dir.File("wrong.pem", Pem(chain.Intermediate) + Pem(chain.Leaf));
        string right = dir.File("right.pem", chain.PresentedPem);
        string attime = TestChains.At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        (int Exit, string Out) Verify(string file, params string[] extra)
        {
            var r = Tool.Run("openssl", ["verify", "-attime", attime, "-CAfile", root, "-untrusted", file, .. extra, file], package: "openssl");
            return (r.ExitCode, r.Stdout + r.Stderr);
        }

        var wrongPlain = Verify(wrong);
        Assert.True(wrongPlain.Exit == 0, wrongPlain.Out); // "wrong.pem: OK": it checked the intermediate, not the leaf
        var wrongNamed = Verify(wrong, "-verify_hostname", "mail.example.com");
        Assert.NotEqual(0, wrongNamed.Exit);
        Assert.Contains("error 62", wrongNamed.Out, StringComparison.Ordinal);
        var rightNamed = Verify(right, "-verify_hostname", "mail.example.com");
        Assert.True(rightNamed.Exit == 0, rightNamed.Out);

        // CertPolicy names the cause instead of the name mismatch, and checks the chain leaf first.
        var (exit, output, err) = CliRunner.Run("verify", wrong, "--roots", root, "--at", At, "--nexthop", "example.com");
        Assert.True(exit == 1, output + err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var findings = lines.Where(l => l.StartsWith("R-", StringComparison.Ordinal)).ToArray();
        Assert.True(findings.Length == 1, output);
        var finding = findings[0];
        Assert.StartsWith("R-C3 chain.not-in-order (depth -1): the chain is not in order: the leaf must come first", finding, StringComparison.Ordinal);
        Assert.True(output.Contains("matched name: example.com", StringComparison.Ordinal), output);
        Assert.True(output.Contains("  0 CN=mail.example.com", StringComparison.Ordinal), output);

        var ok = CliRunner.Run("verify", right, "--roots", root, "--at", At, "--nexthop", "example.com");
        Assert.True(ok.Exit == 0, ok.Out + ok.Err);
        Assert.DoesNotContain("not-in-order", ok.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_library_reports_the_order_in_the_verdict_and_the_report()
    {
        var chain = TestChains.Create(new ChainSpec());
        var v = new ChainValidator(TestChains.Store(chain));
        var request = TestChains.Request();
        Assert.True(v.Evaluate(chain.Presented, request).IsCompliant);

        IReadOnlyList<ReadOnlyMemory<byte>> wrong = [chain.Intermediate, chain.Leaf];
        Assert.Equal(VerdictReasons.InvalidChain, v.Evaluate(wrong, request).Reasons);
        var report = v.Explain(wrong, request);
        var f = Assert.Single(report.Findings);
        Assert.Equal(("chain.not-in-order", "R-C3", FindingStatus.Failed), (f.Code, f.Rule, f.Status));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(chain.Leaf)), report.Chain[0].Sha256);
        Assert.Equal(3, report.Chain.Count);

        // Root first, then leaf, then intermediate: still found; a CA-only input (no end entity) is not an order problem.
        IReadOnlyList<ReadOnlyMemory<byte>> rootFirst = [chain.Root, chain.Leaf, chain.Intermediate];
        Assert.Contains(v.Explain(rootFirst, request).Findings, x => x.Code == "chain.not-in-order");
        IReadOnlyList<ReadOnlyMemory<byte>> casOnly = [chain.Intermediate, chain.Root];
        Assert.DoesNotContain(v.Explain(casOnly, request).Findings, x => x.Code == "chain.not-in-order");
    }

    [Fact]
    public void Horizons_warn_about_certificates_expiring_within_the_window()
    {
        var chain = TestChains.Create(new ChainSpec { LeafNotAfter = TestChains.At.AddDays(10), IntermediateNotAfter = TestChains.At.AddDays(40) });
        var store = TestChains.Store(chain);
        var report = new ChainValidator(store).Explain(chain.Presented, TestChains.Request());
        Assert.True(report.Verdict.IsCompliant);

        Assert.Empty(ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.TlsServer, TestChains.At, 0));
        Assert.Empty(ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.TlsServer, TestChains.At, 9));
        var w10 = Assert.Single(ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.TlsServer, TestChains.At, 10));
        Assert.Equal((ExpiryHorizons.ExpiresSoonCode, "R-C3", 0, VerdictReasons.None, FindingStatus.Info), (w10.Code, w10.Rule, w10.Depth, w10.Reason, w10.Status));
        Assert.Contains("in 10 days", w10.Message, StringComparison.Ordinal);
        var w45 = ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.Email, TestChains.At, 45);
        Assert.Equal(new[] { 0, 1 }, w45.Select(w => w.Depth));
        Assert.All(w45, w => Assert.Equal("R-G1", w.Rule));
        Assert.Single(ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.TlsServer, TestChains.At, 45, includeLeaf: false));

        // An expired leaf is the chain check's failure, not a warning.
        Assert.DoesNotContain(ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.TlsServer, TestChains.At.AddDays(11), 30), w => w.Depth == 0);
    }

    [Fact]
    public void Horizons_warn_about_the_anchors_distrust_after_date_within_the_window()
    {
        var chain = TestChains.Create(new ChainSpec());
        var store = TestChains.Store(chain.Root, [], TestChains.At.AddDays(20));
        var report = new ChainValidator(store).Explain(chain.Presented, TestChains.Request());
        Assert.True(report.Verdict.IsCompliant, string.Join("; ", report.Findings));
        Assert.Empty(ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.TlsServer, TestChains.At, 19));
        var w = Assert.Single(ExpiryHorizons.Find(store, chain.Presented, report.Chain, RootPurposes.TlsServer, TestChains.At, 21));
        Assert.Equal((ExpiryHorizons.DistrustSoonCode, 2), (w.Code, w.Depth));
        Assert.Contains("distrusted for TLS certificates issued after", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_warn_days_prints_warnings_and_keeps_the_exit_code()
    {
        var chain = TestChains.Create(new ChainSpec { LeafNotAfter = TestChains.At.AddDays(10) });
        using var dir = new TempDir();
        string file = dir.File("chain.pem", chain.PresentedPem);
        string roots = dir.File("roots.pem", chain.RootPem);
        string[] args = ["verify", file, "--roots", roots, "--at", At, "--nexthop", "example.com"];

        var plain = CliRunner.Run(args);
        Assert.True(plain.Exit == 0, plain.Out + plain.Err);
        Assert.DoesNotContain("warning", plain.Out, StringComparison.Ordinal);

        var warned = CliRunner.Run([.. args, "--warn-days", "30"]);
        Assert.True(warned.Exit == 0, warned.Out + warned.Err);
        Assert.StartsWith("verdict: pass", warned.Out, StringComparison.Ordinal);
        Assert.Contains("warning: R-C3 expiry.soon (depth 0): the leaf (", warned.Out, StringComparison.Ordinal);

        var json = CliRunner.Run([.. args, "--warn-days", "30", "--format", "json"]);
        Assert.Equal(0, json.Exit);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("pass", doc.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("findings").GetArrayLength());
        var w = Assert.Single(doc.RootElement.GetProperty("warnings").EnumerateArray());
        Assert.Equal("expiry.soon", w.GetProperty("code").GetString());

        Assert.Equal(2, CliRunner.Run([.. args, "--warn-days", "-1"]).Exit);
        Assert.Equal(2, CliRunner.Run([.. args, "--warn-days", "3651"]).Exit);
    }
}
