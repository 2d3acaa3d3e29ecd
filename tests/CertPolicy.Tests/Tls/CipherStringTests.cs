using CertPolicy.Tls;
using FsCheck;
using FsCheck.Xunit;

namespace CertPolicy.Tests.Tls;

public class CipherStringTests
{
    [Theory]
    [InlineData("", CipherStringErrorKind.Empty)]
    [InlineData("   ", CipherStringErrorKind.Empty)]
    [InlineData(":::", CipherStringErrorKind.NoCipherMatch)]
    [InlineData("FOO", CipherStringErrorKind.UnknownWord)]
    [InlineData("HIGH:NOSUCHALIAS", CipherStringErrorKind.UnknownWord)]
    [InlineData("high", CipherStringErrorKind.UnknownWord)] // OpenSSL names are case-sensitive
    [InlineData("@SECLEVEL=99", CipherStringErrorKind.InvalidSecurityLevel)]
    [InlineData("HIGH:@SECLEVEL=6", CipherStringErrorKind.InvalidSecurityLevel)]
    [InlineData("HIGH:@FOO", CipherStringErrorKind.InvalidCommand)]
    [InlineData("HIGH:!", CipherStringErrorKind.InvalidCommand)]
    [InlineData("HIGH+", CipherStringErrorKind.InvalidCommand)]
    [InlineData("HIGH\u0001", CipherStringErrorKind.InvalidCharacter)]
    [InlineData("HIGH\tMEDIUM", CipherStringErrorKind.InvalidCharacter)]
    [InlineData("\u00ff\u00fe\u0000", CipherStringErrorKind.InvalidCharacter)]
    [InlineData("MEDIUM", CipherStringErrorKind.NoCipherMatch)] // empty in a default 3.0 build
    [InlineData("eNULL:!eNULL", CipherStringErrorKind.NoCipherMatch)]
    public void Bad_input_is_a_clear_error(string text, object expectedKind) // object: the enum is internal (xunit needs public signatures)
    {
        var kind = (CipherStringErrorKind)expectedKind;
        Assert.False(OpenSslCipherString.TryEvaluate(text, CipherStringOptions.Strict, out var sel, out var error));
        Assert.Null(sel);
        Assert.Equal(kind, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void One_megabyte_string_is_refused_without_evaluating()
    {
        string big = string.Concat(Enumerable.Repeat("HIGH:", 1024 * 1024 / 5));
        Assert.False(OpenSslCipherString.TryEvaluate(big, null, out _, out var error));
        Assert.Equal(CipherStringErrorKind.TooLong, error.Kind);
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_words_are_ignored_in_OpenSsl_compatible_mode_and_reported()
    {
        Assert.True(OpenSslCipherString.TryEvaluate("FOO:HIGH", CipherStringOptions.OpenSslCompatible, out var sel, out _));
        Assert.Equal(["FOO"], sel!.IgnoredWords);
        Assert.True(OpenSslCipherString.TryEvaluate("HIGH", null, out var high, out _));
        Assert.Equal(high!.Rows.ToArray(), sel.Rows.ToArray());
    }

    [Fact]
    public void Obsolete_EXPORT_word_is_known_and_selects_nothing()
    {
        // OpenSSL 3.0 removed EXPORT; Postfix's export grade still names it.
        Assert.True(OpenSslCipherString.TryEvaluate("EXPORT:HIGH", CipherStringOptions.Strict, out var sel, out _));
        Assert.Contains("EXPORT", sel!.IgnoredWords);
    }

    [Fact]
    public void Security_level_is_recorded()
    {
        Assert.True(OpenSslCipherString.TryEvaluate("HIGH:@SECLEVEL=3", null, out var sel, out _));
        Assert.Equal(3, sel!.SecurityLevel);
        Assert.True(OpenSslCipherString.TryEvaluate("HIGH", null, out sel, out _));
        Assert.Equal(-1, sel!.SecurityLevel);
    }

    [Fact]
    public void HIGH_without_aNULL_and_MD5_starts_with_ECDHE_ECDSA_GCM_and_has_no_anonymous_suite()
    {
        Assert.True(OpenSslCipherString.TryEvaluate("HIGH:!aNULL:!MD5", null, out var sel, out _));
        Assert.Equal("ECDHE-ECDSA-AES256-GCM-SHA384", CipherSuiteTable.Row(sel!.Rows[0]).OpenSslName);
        foreach (int r in sel.Rows)
        {
            Assert.NotEqual(TlsAuthentication.Anonymous, CipherSuiteTable.Row(r).Authentication);
            Assert.NotEqual(TlsMac.Md5, CipherSuiteTable.Row(r).Mac);
            Assert.True((CipherSuiteTable.Row(r).Classes & OpenSslClasses.High) != 0);
        }
    }

    [Fact]
    public void Kill_is_final_but_delete_can_be_re_added()
    {
        Assert.True(OpenSslCipherString.TryEvaluate("HIGH:-AES256:AES256", null, out var del, out _));
        Assert.True(OpenSslCipherString.TryEvaluate("HIGH:!AES256:AES256", null, out var kill, out _));
        Assert.Contains(del!.Rows.ToArray(), r => CipherSuiteTable.Row(r).OpenSslName == "AES256-SHA");
        Assert.DoesNotContain(kill!.Rows.ToArray(), r => CipherSuiteTable.Row(r).OpenSslName == "AES256-SHA");
    }

    /// <summary>Never throws on arbitrary input (fixed seed); a failure always carries a message.</summary>
    [Property(Replay = "(20261128,1442695041)", MaxTest = 300)]
    public bool Arbitrary_strings_never_throw(NonNull<string> s)
    {
        bool ok = OpenSslCipherString.TryEvaluate(s.Get, CipherStringOptions.Strict, out var sel, out var error);
        return ok ? sel is not null && sel.Rows.Length > 0 : sel is null && error.Kind != CipherStringErrorKind.None && error.Message.Length > 0;
    }

    /// <summary>Arbitrary strings made of cipher-string characters (more likely to reach deep states) never throw.</summary>
    [Property(Replay = "(977162,555181)", MaxTest = 300)]
    public bool Cipher_alphabet_strings_never_throw(byte[] bytes)
    {
        const string alphabet = "HIGHMEDLOWaNULeRSA+-!@:, ;=.0123456789STRENGTHSECLV";
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[i] = alphabet[bytes[i] % alphabet.Length];
        }

        bool ok = OpenSslCipherString.TryEvaluate(new string(chars), CipherStringOptions.OpenSslCompatible, out var sel, out var error);
        return ok ? sel!.Rows.Length > 0 : error.Message.Length > 0 && error.Kind != CipherStringErrorKind.None;
    }

    [Fact]
    public void Null_argument_is_a_caller_mistake()
    {
        Assert.Throws<ArgumentNullException>(() => OpenSslCipherString.TryEvaluate(null!, null, out _, out _));
    }

    [Fact]
    public void TryParse_never_throws_even_on_null()
    {
        Assert.False(OpenSslCipherString.TryParse(null, out var sel, out var error));
        Assert.Null(sel);
        Assert.Equal(CipherStringErrorKind.Empty, error.Kind);
        Assert.True(OpenSslCipherString.TryParse("HIGH:!aNULL:!MD5", out sel, out _));
        Assert.NotNull(sel);
    }
}
