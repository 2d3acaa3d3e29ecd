using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Trust;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary>OpenSSL's X509_NAME_hash (CApath file names) computed by CertPolicy, checked against <c>openssl x509 -subject_hash</c>.</summary>
public class SubjectHashTests
{
    public static TheoryData<string, string> Names() => new()
    {
        { "plain PrintableString", Hex(new X500DistinguishedName("CN=Plain Root,O=Example,C=DE")) },
        { "case and blanks are canonicalised", Hex(new X500DistinguishedName("CN=\"  MiXeD   Case\tRoot  \",O=EXAMPLE  AG,C=de")) },
        { "non-ASCII UTF8String", Hex(new X500DistinguishedName("CN=Zertifizierungsstelle Ü,O=Grüße GmbH,C=DE", X500DistinguishedNameFlags.UseUTF8Encoding)) },
        { "email address (IA5String)", Hex(new X500DistinguishedName("E=PKI@Example.DE,CN=Mail Root,C=DE")) },
        { "multi-valued RDN", Hex(new X500DistinguishedName("CN=Multi+OU=Value,O=Example,C=DE")) },
        { "BMPString with non-ASCII", Hex(RawName(UniversalTagNumber.BMPString, "  BMP  Wurzel Ü ")) },
        { "T61String (read as Latin-1)", Hex(RawName(UniversalTagNumber.T61String, "T61 ROOT")) },
    };

    private static string Hex(X500DistinguishedName n) => Convert.ToHexString(n.RawData);

    private static X500DistinguishedName RawName(UniversalTagNumber type, string cn)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.PushSequence();
        w.PushSetOf();
        w.PushSequence();
        w.WriteObjectIdentifier("2.5.4.6");
        w.WriteCharacterString(UniversalTagNumber.PrintableString, "DE");
        w.PopSequence();
        w.PopSetOf();
        w.PushSetOf();
        w.PushSequence();
        w.WriteObjectIdentifier("2.5.4.3");
        if (type == UniversalTagNumber.T61String)
        {
            byte[] content = System.Text.Encoding.Latin1.GetBytes(cn);
            w.WriteEncodedValue([0x14, (byte)content.Length, .. content]); // T61String, short length
        }
        else
        {
            w.WriteCharacterString(type, cn);
        }

        w.PopSequence();
        w.PopSetOf();
        w.PopSequence();
        return new X500DistinguishedName(w.Encode());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Subject_hash_matches_openssl(string description, string nameHex)
    {
        var dn = new X500DistinguishedName(Convert.FromHexString(nameHex));
        var ca = MakeRoot(dn);
        var file = Path.Combine(TempDir(), "c.pem");
        File.WriteAllText(file, ca.Pem);
        var (code, o, e) = Run(OpenSsl(), "x509", "-in", file, "-noout", "-subject_hash", "-subject", "-nameopt", "RFC2253");
        Assert.True(code == 0, description + ": " + e);
        var lines = o.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(RootCertificate.TryParse(ca.Der, out var cert, out var err), err);
        Assert.True(DistinguishedName.TryComputeOpenSslHash(cert!.SubjectDer.Span, out uint h));
        Assert.Equal(lines[0], DistinguishedName.FormatHash(h));
        Assert.Equal("subject=" + cert.Subject, lines[1]);
    }

    [Fact]
    public void Malformed_names_are_refused_without_exception()
    {
        Assert.False(DistinguishedName.TryComputeOpenSslHash([0x30, 0x05, 0x31], out _));
        Assert.False(DistinguishedName.TryComputeOpenSslHash([], out _));
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.PushSequence();
        w.PopSequence();
        Assert.True(DistinguishedName.TryComputeOpenSslHash(w.Encode(), out _)); // the empty Name is valid
        Assert.False(RootCertificate.TryParse([0x30, 0x03, 0x02, 0x01, 0x01], out _, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("300C310A300806035504030C01FF", "CN=#0C01FF")] // UTF8String with an invalid byte (found by fuzzing the validator)
    [InlineData("300C310A300806035504031E0141", "CN=#1E0141")] // BMPString of odd length
    public void Undecodable_string_values_format_as_hex_and_do_not_hash(string nameHex, string expected)
    {
        byte[] name = Convert.FromHexString(nameHex);
        Assert.Equal(expected, DistinguishedName.Format(name));
        Assert.False(DistinguishedName.TryComputeOpenSslHash(name, out _)); // OpenSSL cannot canonicalize it either
    }
}
