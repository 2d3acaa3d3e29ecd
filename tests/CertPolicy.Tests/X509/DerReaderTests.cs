using CertPolicy.Validation;
using CertPolicy.X509;

namespace CertPolicy.Tests.X509;

/// <summary>Strict-DER primitive decoding and DNS name-constraint matching, as tables.</summary>
public sealed class DerReaderTests
{
    [Theory]
    [InlineData("true", "FF", true, true)]
    [InlineData("false", "00", true, false)]
    [InlineData("BER true (01) is not DER", "01", false, false)]
    [InlineData("two bytes", "FF00", false, false)]
    [InlineData("empty", "", false, false)]
    public void Boolean(string description, string hex, bool ok, bool value)
    {
        Assert.Equal(ok, DerReader.TryDecodeBoolean(Convert.FromHexString(hex), out var v));
        Assert.True(!ok || v == value, description);
    }

    [Theory]
    [InlineData("zero", "00", true, 0)]
    [InlineData("127", "7F", true, 127)]
    [InlineData("128 needs a sign byte", "0080", true, 128)]
    [InlineData("non-minimal 0", "0000", false, 0)]
    [InlineData("non-minimal 1", "0001", false, 0)]
    [InlineData("negative", "80", false, 0)]
    [InlineData("empty", "", false, 0)]
    [InlineData("too large for int", "0100000000", false, 0)]
    public void Small_non_negative_integer(string description, string hex, bool ok, int value)
    {
        Assert.Equal(ok, DerReader.TryDecodeSmallNonNegative(Convert.FromHexString(hex), out var v));
        Assert.True(!ok || v == value, description);
    }

    [Theory]
    [InlineData("no unused bits", "00FF", true)]
    [InlineData("5 unused bits, zero", "05A0", true)]
    [InlineData("unused bits not zero", "05A1", false)]
    [InlineData("more than 7 unused", "08FF", false)]
    [InlineData("empty with unused count 0", "00", true)]
    [InlineData("empty with unused count 1", "01", false)]
    [InlineData("empty", "", false)]
    public void Bit_string(string description, string hex, bool ok) =>
        Assert.True(ok == DerReader.TryDecodeBitString(Convert.FromHexString(hex), out _, out _), description);

    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "mail.example.com", true)]
    [InlineData("example.com", "MAIL.Example.COM", true)]
    [InlineData("example.com", "badexample.com", false)]
    [InlineData("example.com", "example.com.evil", false)]
    [InlineData(".example.com", "mail.example.com", true)]
    [InlineData(".example.com", "example.com", false)]
    [InlineData("", "anything.test", true)]
    [InlineData("example.com", "example.com.", true)]
    public void Dns_name_constraint(string constraint, string name, bool matches) =>
        Assert.Equal(matches, NameConstraintChecker.DnsMatches(Encoding.ASCII.GetBytes(constraint), Encoding.ASCII.GetBytes(name)));
}
