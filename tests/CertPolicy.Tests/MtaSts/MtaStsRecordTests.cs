using CertPolicy.MtaSts;

namespace CertPolicy.Tests.MtaSts;

/// <summary>RFC 8461 3.1 (the _mta-sts TXT record) and RFC 8460 3 (the TLS-RPT record).</summary>
public class MtaStsRecordTests
{
    [Theory]
    [InlineData("minimal", "v=STSv1; id=20260101T000000;", "20260101T000000", 0)]
    [InlineData("no trailing semicolon", "v=STSv1; id=abc", "abc", 0)]
    [InlineData("no spaces", "v=STSv1;id=abc;", "abc", 0)]
    [InlineData("tabs and spaces around ;", "v=STSv1 \t;  id=abc  ;", "abc", 0)]
    [InlineData("32 characters", "v=STSv1; id=ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 0)]
    [InlineData("extension before id", "v=STSv1; ext_1.a-b=x!:<>~; id=1", "1", 1)]
    [InlineData("extension after id", "v=STSv1; id=1; foo=bar", "1", 1)]
    [InlineData("trailing space accepted", "v=STSv1; id=1; ", "1", 0)]
    public void Valid_records(string name, string txt, string id, int extensions)
    {
        Assert.True(MtaStsRecord.TryParse(txt, out var record, out var error), name + ": " + error);
        Assert.Equal(id, record!.Id);
        Assert.Equal(extensions, record.Extensions.Length);
    }

    [Theory]
    [InlineData("empty", "", 1, "must begin with \"v=STSv1\"")]
    [InlineData("version not first", "id=1; v=STSv1", 1, "must begin")]
    [InlineData("lower-case version", "v=stsv1; id=1", 1, "case-sensitive")]
    [InlineData("version with a suffix", "v=STSv10; id=1", 8, "exactly \"v=STSv1\"")]
    [InlineData("version alone", "v=STSv1", 8, "no field after")]
    [InlineData("version and semicolon only", "v=STSv1;", 9, "no field after")]
    [InlineData("no id", "v=STSv1; foo=bar", 17, "no \"id\"")]
    [InlineData("empty id", "v=STSv1; id=;", 13, "empty value")]
    [InlineData("id too long", "v=STSv1; id=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", 45, "longer than 32")]
    [InlineData("id with a dash", "v=STSv1; id=2026-01", 17, "only letters and digits")]
    [InlineData("id twice", "v=STSv1; id=1; id=2", 16, "appears twice")]
    [InlineData("v twice", "v=STSv1; id=1; v=STSv1", 16, "only once")]
    [InlineData("missing semicolon", "v=STSv1 id=1", 9, "expected ';'")]
    [InlineData("empty field", "v=STSv1;; id=1", 9, "empty field")]
    [InlineData("field without =", "v=STSv1; id", 12, "expected '='")]
    [InlineData("bad extension name", "v=STSv1; _x=1; id=1", 10, "invalid field name")]
    [InlineData("extension name too long", "v=STSv1; abcdefghijabcdefghijabcdefghijabc=1; id=1", 10, "invalid field name")]
    [InlineData("space inside extension value", "v=STSv1; id=1; a=b c", 19, "may not hold")]
    [InlineData("= inside extension value", "v=STSv1; id=1; a=b=c", 19, "may not hold '='")]
    [InlineData("non-ASCII in extension value", "v=STSv1; id=1; a=\u00e9", 18, "may not hold U+00E9")]
    public void Invalid_records_name_the_column(string name, string txt, int column, string message)
    {
        Assert.False(MtaStsRecord.TryParse(txt, out var record, out var error), name);
        Assert.Null(record);
        Assert.Equal(1, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_discards_other_txt_records_and_needs_exactly_one()
    {
        Assert.True(MtaStsRecord.TrySelect(["v=spf1 -all", "v=STSv1; id=7", "google-site-verification=x"], out var r, out _));
        Assert.Equal("7", r!.Id);

        Assert.False(MtaStsRecord.TrySelect(["v=spf1 -all"], out _, out var none));
        Assert.Contains("no TXT record", none.Message, StringComparison.Ordinal);

        Assert.False(MtaStsRecord.TrySelect(["v=STSv1; id=1", "v=STSv1; id=2"], out _, out var two));
        Assert.Contains("2 TXT records", two.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one", two.Message, StringComparison.Ordinal);

        // An invalid candidate still counts (RFC 8461 3.1 discards only those not beginning with v=STSv1).
        Assert.False(MtaStsRecord.TrySelect(["v=STSv1; id=1", "v=STSv1; id=not-valid"], out _, out _));
        Assert.False(MtaStsRecord.TrySelect(["v=STSv1; id=bad-id"], out _, out var bad));
        Assert.Contains("letters and digits", bad.Message, StringComparison.Ordinal);

        // "v=STSv10" does not begin with the version field.
        Assert.True(MtaStsRecord.TrySelect(["v=STSv10; id=1", "v=STSv1; id=2"], out var r2, out _));
        Assert.Equal("2", r2!.Id);
    }

    [Theory]
    [InlineData("mailto", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", new[] { "mailto:tlsrpt@example.com" })]
    [InlineData("https", "v=TLSRPTv1;rua=https://reports.example.com/tlsrpt", new[] { "https://reports.example.com/tlsrpt" })]
    [InlineData("both, spaces around the comma", "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.net/x;", new[] { "mailto:a@example.com", "https://r.example.net/x" })]
    [InlineData("mailto with a size hint", "v=TLSRPTv1; rua=mailto:a@example.com?subject=tls", new[] { "mailto:a@example.com?subject=tls" })]
    [InlineData("extension", "v=TLSRPTv1; x-foo=1; rua=mailto:a@example.com", new[] { "mailto:a@example.com" })]
    [InlineData("percent-encoded comma", "v=TLSRPTv1; rua=https://r.example.net/a%2Cb", new[] { "https://r.example.net/a%2Cb" })]
    public void Valid_tls_rpt_records(string name, string txt, string[] uris)
    {
        Assert.True(TlsRptRecord.TryParse(txt, out var record, out var error), name + ": " + error);
        Assert.Equal(uris, record!.Rua.Select(u => u.OriginalString));
    }

    [Theory]
    [InlineData("wrong version", "v=TLSRPTv2; rua=mailto:a@example.com", 1, "must begin with \"v=TLSRPTv1\"")]
    [InlineData("version with a suffix", "v=TLSRPTv10; rua=mailto:a@example.com", 11, "exactly \"v=TLSRPTv1\"")]
    [InlineData("not first", "rua=mailto:a@example.com; v=TLSRPTv1", 1, "must begin")]
    [InlineData("no rua", "v=TLSRPTv1; foo=bar", 20, "no \"rua\"")]
    [InlineData("rua twice", "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", 39, "appears twice")]
    [InlineData("http scheme", "v=TLSRPTv1; rua=http://r.example.net/x", 17, "scheme \"http\" is not supported")]
    [InlineData("no scheme", "v=TLSRPTv1; rua=a@example.com", 17, "not a URI")]
    [InlineData("mailto without @", "v=TLSRPTv1; rua=mailto:nobody", 24, "one address")]
    [InlineData("mailto with two @", "v=TLSRPTv1; rua=mailto:a@b@example.com", 24, "one address")]
    [InlineData("https without host", "v=TLSRPTv1; rua=https:/x", 17, "not a valid https")]
    [InlineData("empty URI after comma", "v=TLSRPTv1; rua=mailto:a@example.com,", 38, "empty URI")]
    [InlineData("space between URIs without comma", "v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com", 38, "expected ','")]
    [InlineData("control character", "v=TLSRPTv1; rua=https://r.example.net/\u0001", 39, "holds U+0001")]
    public void Invalid_tls_rpt_records_name_the_column(string name, string txt, int column, string message)
    {
        Assert.False(TlsRptRecord.TryParse(txt, out var record, out var error), name);
        Assert.Null(record);
        Assert.Equal(column, error.Column);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_rpt_select_needs_exactly_one()
    {
        Assert.True(TlsRptRecord.TrySelect(["v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"], out _, out _));
        Assert.False(TlsRptRecord.TrySelect([], out _, out var none));
        Assert.Contains("no TXT record", none.Message, StringComparison.Ordinal);
        Assert.False(TlsRptRecord.TrySelect(["v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1;rua=mailto:b@example.com"], out _, out var two));
        Assert.Contains("exactly one", two.Message, StringComparison.Ordinal);
    }
}
