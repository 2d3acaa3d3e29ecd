using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Evaluation;
using CertPolicy.Names;
using CertPolicy.Policy;
using CertPolicy.Tests.Support;

namespace CertPolicy.Tests.Names;

/// <summary>
/// Issue 14: a CN that is a UniversalString with a code unit of 0x80000000 or more (no character: UCS-4 ends at
/// 0x7FFFFFFF, Unicode at U+10FFFF) threw OverflowException inside the name check (a checked conversion of a negative
/// int), which the callers turned into "internal error". Now such a unit is compared as a non-ASCII character (it never
/// matches a host name) and shown as '?'.
/// </summary>
public sealed class UniversalStringCnTests
{
    // .NET refuses to sign a certificate whose name holds an invalid UniversalString, so a certificate with a printable
    // CN of the same length is made and its CN (subject and issuer: self-signed) patched to the UniversalString. The
    // signature no longer verifies, which the name check does not look at.
    private static byte[] LeafWithUniversalStringCn(byte[] content)
    {
        string placeholder = new('Q', content.Length);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + placeholder, key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        byte[] der = cert.RawData;
        byte[] value = [(byte)content.Length, .. Encoding.ASCII.GetBytes(placeholder)]; // after the string tag (Printable or UTF8)
        int patched = 0;
        for (int at = der.AsSpan().IndexOf(value); at > 0; at = der.AsSpan().IndexOf(value))
        {
            der[at - 1] = 0x1C; // UniversalString
            content.CopyTo(der, at + 1);
            patched++;
        }

        Assert.Equal(2, patched);
        return der;
    }

    // "\u{80000041}" then "B": the first unit is no character at all.
    private static readonly byte[] HighUnitThenB = [0x80, 0x00, 0x00, 0x41, 0x00, 0x00, 0x00, 0x42];

    [Fact]
    public void The_name_check_compares_a_high_code_unit_as_a_non_ASCII_character()
    {
        byte[] leaf = LeafWithUniversalStringCn(HighUnitThenB);
        Assert.True(MatchList.TryParse("b", out var list, out var error), error);
        var result = NameChecker.Check(leaf, list!, "b", "");
        Assert.Equal(NameCheckStatus.NotMatched, result.Status); // not "B": the first unit is not dropped either

        Span<byte> comparable = stackalloc byte[8];
        int n = CertificateNames.ToComparable(HighUnitThenB, 28, comparable);
        Assert.Equal(new byte[] { 0xFF, (byte)'B' }, comparable[..n].ToArray());
    }

    [Fact]
    public void The_name_is_shown_with_a_question_mark_for_the_unit()
    {
        byte[] leaf = LeafWithUniversalStringCn(HighUnitThenB);
        Assert.Equal("CN=?B", ReportBuilder.PresentedNames(leaf));
    }

    [Fact]
    public void The_CLI_reports_a_name_mismatch_not_an_internal_error()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "leaf.der");
        File.WriteAllBytes(path, LeafWithUniversalStringCn(HighUnitThenB));
        var (exit, stdout, stderr) = CliRunner.Run("names", "--cert", path, "--level", "secure", "--nexthop", "example.com");
        Assert.True(exit == 1, $"exit {exit}: {stdout}{stderr}");
        Assert.DoesNotContain("internal", stdout + stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception", stdout + stderr, StringComparison.Ordinal);
    }
}
