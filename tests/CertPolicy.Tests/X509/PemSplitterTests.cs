using CertPolicy.Tests.Support;
using CertPolicy.X509;

namespace CertPolicy.Tests.X509;

/// <summary>The one PEM splitter (X509/PemSplitter): OpenSSL's PEM_read_bio_X509 rules, positions in errors, linear work.</summary>
public sealed class PemSplitterTests
{
    private static readonly byte[] A = TestCertificates.Create("CN=a.example", dns: ["a.example"]);
    private static readonly byte[] B = TestCertificates.Create("CN=b.example", dns: ["b.example"]);
    private static readonly string PemA = TestCertificates.ToPem(A);
    private static readonly string PemB = TestCertificates.ToPem(B);

    private static List<byte[]> Read(string text) => Read(Encoding.UTF8.GetBytes(text));

    private static List<byte[]> Read(byte[] data)
    {
        Assert.True(PemSplitter.TryReadCertificates(data, 16, out var certs, out var error), error?.ToString());
        return certs;
    }

    private static PemReadError Fails(string text) => Fails(Encoding.UTF8.GetBytes(text));

    private static PemReadError Fails(byte[] data)
    {
        Assert.False(PemSplitter.TryReadCertificates(data, 16, out _, out var error));
        return error!;
    }

    [Fact]
    public void Crlf_line_ends_and_trailing_spaces_are_read()
    {
        string crlf = (PemA + PemB).Replace("\n", "\r\n", StringComparison.Ordinal);
        Assert.Equal([A, B], Read(crlf));
        string spaces = (PemA + PemB).Replace("-----\n", "-----  \t\n", StringComparison.Ordinal).Replace("\n", " \n", StringComparison.Ordinal);
        Assert.Equal([A, B], Read(spaces));
    }

    [Fact]
    public void Indented_or_split_base64_and_blank_lines_inside_the_body_are_read()
    {
        var lines = PemA.Split('\n');
        lines[1] = "  " + lines[1][..10] + " " + lines[1][10..];
        string pem = string.Join('\n', lines).Replace("-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\n\n", StringComparison.Ordinal);
        Assert.Equal([A], Read(pem));
    }

    [Fact]
    public void Missing_END_is_an_error_at_the_BEGIN_line()
    {
        var e = Fails("text\n" + PemA.Replace("-----END CERTIFICATE-----\n", string.Empty, StringComparison.Ordinal));
        Assert.Equal(PemReadErrorKind.Malformed, e.Kind);
        Assert.Equal((2, 1), (e.Line, e.Column));
        Assert.Contains("no '-----END CERTIFICATE-----' line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void END_with_another_label_is_an_error_at_the_END_line()
    {
        string pem = PemA.Replace("-----END CERTIFICATE-----", "-----END X509 CERTIFICATE-----", StringComparison.Ordinal) + PemB;
        var e = Fails(pem);
        Assert.Equal(PemReadErrorKind.Malformed, e.Kind);
        Assert.Equal(PemA.Split('\n').Length - 1, e.Line);
        Assert.Contains("does not match", e.Message, StringComparison.Ordinal);

        // The same for a block that is skipped (OpenSSL reads every block in full: "bad end line").
        var key = Fails("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n" + PemA);
        Assert.Equal((PemReadErrorKind.Malformed, 3), (key.Kind, key.Line));
    }

    [Fact]
    public void Base64_errors_name_line_and_column()
    {
        var lines = PemA.Split('\n');
        lines[2] = lines[2][..5] + "!" + lines[2][6..];
        var e = Fails("# leaf\n" + string.Join('\n', lines));
        Assert.Equal(PemReadErrorKind.Base64, e.Kind);
        Assert.Equal((4, 6), (e.Line, e.Column));
        Assert.Equal("line 4, column 6: the CERTIFICATE block's body is not base64 (character '!')", e.ToString());
        Assert.Equal("f.pem:4:6: the CERTIFICATE block's body is not base64 (character '!')", e.Format("f.pem"));

        // Misplaced padding: every character is base64, the whole is not.
        var pad = Fails("-----BEGIN CERTIFICATE-----\nMII=B\n-----END CERTIFICATE-----\n");
        Assert.Equal((PemReadErrorKind.Base64, 1), (pad.Kind, pad.Line));

        // A damaged key block before the certificate fails too (OpenSSL: "bad base64 decode"); it is not skipped.
        Assert.Equal(PemReadErrorKind.Base64, Fails("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n" + PemA).Kind);
    }

    [Fact]
    public void A_block_without_a_body_is_an_error_as_PEM_read_bio_X509_stops_there()
    {
        // AFL (chain-reader target) found an empty CERTIFICATE block read as a zero-length certificate. OpenSSL 3.0.19's
        // PEM_read_bio_X509 reads no certificate from an empty block followed by a good one, whatever the empty block's label.
        var e = Fails("text\n-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n" + PemA);
        Assert.Equal(PemReadErrorKind.Malformed, e.Kind);
        Assert.Equal((4, 1), (e.Line, e.Column));
        Assert.Contains("no base64 body", e.Message, StringComparison.Ordinal);
        Assert.Equal(PemReadErrorKind.Malformed, Fails("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n" + PemA).Kind);
        Assert.Equal(PemReadErrorKind.Malformed, Fails("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n-----END RSA PRIVATE KEY-----\n" + PemA).Kind);
        Assert.Equal(PemReadErrorKind.Base64, Fails("-----BEGIN CERTIFICATE-----\n====\n-----END CERTIFICATE-----\n").Kind);
    }

    [Fact]
    public void Nested_BEGIN_is_an_error()
    {
        var e = Fails("-----BEGIN CERTIFICATE-----\nMIIB\n" + PemA);
        Assert.Equal((PemReadErrorKind.Malformed, 3, 1), (e.Kind, e.Line, e.Column));
        Assert.Contains("BEGIN line inside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_BOM_only_and_white_space_are_empty()
    {
        Assert.Equal(PemReadErrorKind.Empty, Fails([]).Kind);
        Assert.Equal("empty file", Fails([]).Message);
        Assert.Equal(PemReadErrorKind.Empty, Fails([0xEF, 0xBB, 0xBF]).Kind);
        Assert.Equal(PemReadErrorKind.Empty, Fails([0xEF, 0xBB, 0xBF, (byte)'\n', (byte)' ']).Kind);
    }

    [Fact]
    public void Text_and_other_blocks_are_skipped_as_openssl_does()
    {
        Assert.Equal([A, B], Read("hello\n" + PemA + "between\n-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n" + PemB + "after"));

        // Not BEGIN lines: not at column 1, lower case, text after the dashes. Their blocks are text, and a stray END is text.
        Assert.Equal([B], Read("junk" + PemA + PemB));
        Assert.Equal([B], Read("  " + PemA + PemB));
        Assert.Equal([B], Read(PemA.Replace("BEGIN", "begin", StringComparison.Ordinal) + PemB));
        Assert.Equal([B], Read(PemA.Replace("-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE----- x", StringComparison.Ordinal) + PemB));
    }

    [Fact]
    public void Labels_follow_PEM_read_bio_X509()
    {
        // X509 CERTIFICATE (PEM_STRING_X509_OLD) is a certificate.
        Assert.Equal([A, B], Read(PemA.Replace("CERTIFICATE", "X509 CERTIFICATE", StringComparison.Ordinal) + PemB));

        // TRUSTED CERTIFICATE: PEM_read_bio_X509 skips it, openssl x509 reads it: refused, never silently one or the other.
        var trusted = Fails(PemA.Replace("CERTIFICATE", "TRUSTED CERTIFICATE", StringComparison.Ordinal) + PemB);
        Assert.Equal((PemReadErrorKind.TrustedCertificate, 1), (trusted.Kind, trusted.Line));

        // Headers in a certificate block: OpenSSL refuses them ("Proc-Type: 4,CLEAR" → error); in a key block they are fine.
        var headers = Fails(PemA.Replace("-----\n", "-----\nProc-Type: 4,CLEAR\n\n", StringComparison.Ordinal));
        Assert.Equal(PemReadErrorKind.Headers, headers.Kind);
        Assert.Equal([A], Read("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n" + PemA));

        var none = Fails("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Assert.Equal(PemReadErrorKind.NoCertificate, none.Kind);
        Assert.Equal("no PEM CERTIFICATE block (found PRIVATE KEY)", none.Message);
        Assert.Equal(PemReadErrorKind.OpenPgp, Fails("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n").Kind);
    }

    [Fact]
    public void A_BOM_is_removed_where_openssl_removes_it()
    {
        byte[] bom = [0xEF, 0xBB, 0xBF];
        Assert.Equal([A, B], Read([.. bom, .. Encoding.UTF8.GetBytes(PemA + PemB)]));

        // Right after a block's END line (the first line of OpenSSL's next block search).
        Assert.Equal([A, B], Read([.. Encoding.UTF8.GetBytes(PemA), .. bom, .. Encoding.UTF8.GetBytes(PemB)]));

        // After other text, or a second BOM, the BOM line is text (openssl x509 then reads b).
        Assert.Equal([B], Read([.. Encoding.UTF8.GetBytes("hello\n"), .. bom, .. Encoding.UTF8.GetBytes(PemA + PemB)]));
        Assert.Equal([B], Read([.. bom, .. bom, .. Encoding.UTF8.GetBytes(PemA + PemB)]));
    }

    [Fact]
    public void DER_input_is_one_certificate_and_a_text_starting_with_zero_is_PEM()
    {
        Assert.Equal([A], Read(A));
        Assert.Equal([A], Read("0 is where the comment starts\n" + PemA));
        Assert.Equal(A[..40], Read(A[..40]).Single()); // truncated DER stays DER: the certificate reader names the damage
    }

    [Fact]
    public void The_certificate_limit_is_kept()
    {
        string many = string.Concat(Enumerable.Repeat(PemA, 17));
        Assert.False(PemSplitter.TryReadCertificates(Encoding.UTF8.GetBytes(many), 16, out _, out var e));
        Assert.Equal(PemReadErrorKind.TooMany, e!.Kind);
        Assert.True(PemSplitter.TryReadCertificates(Encoding.UTF8.GetBytes(many), 17, out var all, out _));
        Assert.Equal(17, all.Count);
    }

    // Issue 11: PemEncoding.TryFind rescans to the end for every BEGIN, so BEGIN lines without END took time quadratic in
    // the size (4 MiB: about 30 s). The splitter counts every byte it looks at; the count must stay within a constant
    // times the input, and grow by the same factor as the input (no timing: STYLE.md).
    [Theory]
    [InlineData("-----BEGIN CERTIFICATE-----\n")]
    [InlineData("-----BEGIN CERTIFICATE----- x\n")]
    [InlineData(" -----BEGIN CERTIFICATE-----\n")]
    [InlineData("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n")]
    public void Work_is_linear_in_the_input(string line)
    {
        long Examined(int bytes)
        {
            var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(line, bytes / line.Length)));
            byte[] input = line.StartsWith("MII", StringComparison.Ordinal) ? [.. "-----BEGIN CERTIFICATE-----\n"u8, .. text] : text;
            long examined = 0;
            _ = PemSplitter.TrySplit(input, 16, [], out _, ref examined);
            Assert.True(examined <= 4L * input.Length + 64, "examined " + examined + " bytes of " + input.Length);
            return examined;
        }

        long small = Examined(1 << 20);
        long large = Examined(4 << 20);
        // Four times the input, four times the work (a quadratic scan would do sixteen times).
        Assert.True(10 * large <= 45 * small, "1 MiB: " + small + ", 4 MiB: " + large);

        // And the 4 MiB file is refused (nested BEGIN, missing END) or holds no certificate.
        Assert.False(PemSplitter.TryReadCertificates(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(line, (4 << 20) / line.Length))), 16, out _, out _));
    }
    // Found by AFL (fuzz target pem, 10 M executions): a body just past a power of two (here 8,196 base64 characters)
    // made the body buffer grow 4 KiB -> 8 KiB -> 16 KiB, copying 12 KiB for an 8 KiB body: 4.4 bytes examined per input
    // byte. The buffer is now sized once from the input left, so a body is scanned, stored and decoded: 3 per byte.
    [Theory]
    [InlineData(4097)]
    [InlineData(8196)]
    [InlineData(65540)]
    public void A_long_body_is_not_copied_while_it_grows(int bodyLength)
    {
        var input = Encoding.ASCII.GetBytes("-----BEGIN PRIVATE KEY-----\n" + new string('A', bodyLength / 4 * 4) + "\n-----END PRIVATE KEY-----\n");
        var blocks = new List<PemBlock>();
        long examined = 0;
        Assert.True(PemSplitter.TrySplit(input, 16, blocks, out var error, ref examined), error?.ToString());
        Assert.Equal(bodyLength / 4 * 3, Assert.Single(blocks).Data.Length);
        Assert.True(examined <= 4L * input.Length, "examined " + examined + " bytes of " + input.Length);
    }
}
