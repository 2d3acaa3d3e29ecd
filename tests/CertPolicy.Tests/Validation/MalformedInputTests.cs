using System.Security.Cryptography;
using CertPolicy.Tests.Support;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Validation;

/// <summary>Malformed certificates and PEM: a failing verdict with <c>input.malformed</c> (library), exit 2 (CLI); never an exception.</summary>
public sealed class MalformedInputTests
{
    private static readonly TestChain Chain = TestChains.Create(new ChainSpec());

    public static TheoryData<string, string> BadPem => new()
    {
        { "truncated DER in PEM", PemEncoding.WriteString("CERTIFICATE", Chain.Leaf[..^10]) },
        { "trailing data after the certificate", PemEncoding.WriteString("CERTIFICATE", [.. Chain.Leaf, 0x00, 0x00]) },
        { "bad inner length", PemEncoding.WriteString("CERTIFICATE", Corrupt(Chain.Leaf, 5)) },
        { "non-certificate PEM", PemEncoding.WriteString("PRIVATE KEY", new byte[] { 0x30, 0x03, 0x02, 0x01, 0x00 }) },
        { "bad Base64", "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n" },
        { "no PEM block", "hello\n" },
        { "a block without END before the next", "-----BEGIN CERTIFICATE-----\nMIIB\n" + TestCertificates.ToPem(Chain.Leaf) },
        { "empty", string.Empty },
    };

    private static byte[] Corrupt(byte[] der, int index)
    {
        var c = (byte[])der.Clone();
        c[index] = 0xFF; // a length byte inside the TBS header
        return c;
    }

    [Theory]
    [MemberData(nameof(BadPem))]
    public void Library_gives_a_failing_verdict_with_a_malformed_input_finding(string description, string pem)
    {
        var report = new ChainValidator(TestChains.Store(Chain)).ExplainPem(Encoding.UTF8.GetBytes(pem), TestChains.Request());
        Assert.False(report.Verdict.IsCompliant, description);
        Assert.True(report.Verdict.Reasons.HasFlag(VerdictReasons.MalformedInput), description);
        Assert.Contains(report.Findings, f => f.Code == "input.malformed" && f.Rule == "R-C3");
    }

    [Theory]
    [MemberData(nameof(BadPem))]
    public void Cli_exits_2_with_one_line_naming_the_file(string description, string pem)
    {
        using var dir = new TempDir();
        var chain = dir.File("chain.pem", pem);
        var roots = dir.File("roots.pem", Chain.RootPem);
        var (exit, stdout, stderr) = CliRunner.Run("verify", chain, "--nexthop", "example.com", "--roots", roots, "--at", "2026-06-01T12:00:00Z");
        Assert.True(exit == 2, description + ": " + stdout + stderr);
        Assert.Empty(stdout);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith(chain + ":", lines[0], StringComparison.Ordinal); // file: what, or file:line:col: what
    }

    [Fact]
    public void Empty_chain_list_is_malformed()
    {
        var report = new ChainValidator(TestChains.Store(Chain)).Explain([], TestChains.Request());
        Assert.True(report.Verdict.Reasons.HasFlag(VerdictReasons.MalformedInput));
    }
}
