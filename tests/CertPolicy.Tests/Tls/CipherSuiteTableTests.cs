using System.Net.Security;
using CertPolicy.Tls;
using FsCheck;
using FsCheck.Xunit;

namespace CertPolicy.Tests.Tls;

public class CipherSuiteTableTests
{
    [Fact]
    public void Every_TlsCipherSuite_value_has_a_row_and_every_row_is_one()
    {
        var values = Enum.GetValues<TlsCipherSuite>();
        foreach (var v in values)
        {
            Assert.True(CipherSuiteTable.TryGet((ushort)v, out var info), $"no row for {v}");
            Assert.Equal(v.ToString(), info.IanaName);
        }

        Assert.Equal(values.Select(v => (ushort)v).Distinct().Count(), CipherSuiteTable.Count);
    }

    [Fact]
    public void Rows_are_sorted_unique_and_OpenSsl_names_are_unique()
    {
        var rows = CipherSuiteTable.All.ToArray();
        for (int i = 1; i < rows.Length; i++)
        {
            Assert.True(rows[i - 1].Id < rows[i].Id, $"rows out of order at {rows[i].IanaName}");
        }

        var names = rows.Where(r => r.OpenSslName is not null).Select(r => r.OpenSslName!).ToArray();
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(189, names.Length); // 155 TLS <= 1.2 + 5 TLS 1.3 of a default 3.0 build, + 29 weak/legacy rows from s3_lib.c
    }

    [Fact]
    public void Table_agrees_with_openssl_stdname_listing()
    {
        // Every suite the machine's OpenSSL lists: same IANA name (-stdname) and the same -V line.
        var r = OpenSslTool.Ciphers("-V", "-stdname", "ALL:COMPLEMENTOFALL");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(r.Lines.Length >= 100);
        foreach (var line in r.Lines)
        {
            ushort id = OpenSslTool.Id(line);
            Assert.True(CipherSuiteTable.TryGet(id, out var info));
            var parts = line.Split(" - ", 3);
            Assert.Equal(info.IanaName, parts[1].Trim());
            string ours = CipherSuiteTable.FormatOpenSslVerbose(info);
            Assert.Equal(parts[0] + " - " + parts[2].TrimEnd(), ours);
        }
    }

    [Theory]
    [InlineData("ECDHE-RSA-AES256-GCM-SHA384", 0xC030)]
    [InlineData("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030)]
    [InlineData("ecdhe-rsa-aes256-gcm-sha384", 0xC030)]
    [InlineData("0xC0,0x30", 0xC030)]
    [InlineData("0xC030", 0xC030)]
    [InlineData("RC4-MD5", 0x0004)]
    [InlineData("TLS_AES_128_GCM_SHA256", 0x1301)]
    [InlineData("TLS_DH_RSA_WITH_AES_128_CBC_SHA", 0x0031)]
    public void Find_by_name_or_code_point(string text, int id)
    {
        Assert.True(CipherSuiteTable.TryFind(text, out int row));
        Assert.Equal(id, CipherSuiteTable.Row(row).Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("NOPE")]
    [InlineData("0xZZ,0x01")]
    [InlineData("0x12,0x34")] // well-formed but not registered
    [InlineData("\u0000\u0001")]
    public void Unknown_names_are_not_found(string text) => Assert.False(CipherSuiteTable.TryFind(text, out _));

    /// <summary>Internal consistency of every row (issue 5): a fixed-seed property over row indexes.</summary>
    [Property(Replay = "(1174186209,297218917)", MaxTest = 400)]
    public bool Row_is_internally_consistent(NonNegativeInt n)
    {
        ref readonly var r = ref CipherSuiteTable.Row(n.Get % CipherSuiteTable.Count);
        bool high = (r.Classes & OpenSslClasses.High) != 0;
        return (!high || r.StrengthBits >= 128)                                 // HIGH means >= 128 bits (OpenSSL classes no shorter suite HIGH)
            && (!high || r.Cipher != TlsBulkCipher.Rc4)                          // no RC4 suite is HIGH
            && (!high || r.Cipher != TlsBulkCipher.Null)                         // no NULL suite is HIGH
            && ((r.Classes & OpenSslClasses.ENull) != 0) == (r.Cipher == TlsBulkCipher.Null)
            && ((r.Classes & OpenSslClasses.ANull) != 0) == (r.Authentication == TlsAuthentication.Anonymous)
            && (!r.IsTls13 || r.Mac == TlsMac.Aead)                              // TLS 1.3 suites are AEAD only
            && ((r.Classes & OpenSslClasses.Export) == 0 || (r.KeyBits <= 56 && !high))
            && r.StrengthBits <= r.KeyBits
            && r.MinProtocol <= r.MaxProtocol
            && r.IsValidFor(r.MinProtocol) && r.IsValidFor(r.MaxProtocol)
            && (r.Mac != TlsMac.Aead || r.MinProtocol >= TlsProtocol.Tls12)     // AEAD suites need TLS 1.2
            && (r.OpenSslName is not null || r.Classes == OpenSslClasses.None || (r.Classes & ~(OpenSslClasses.ENull | OpenSslClasses.ANull | OpenSslClasses.Export)) == 0)
            && (r.OpenSslName is null) == (r.Availability == OpenSslAvailability.None)
            && (r.Availability is not (OpenSslAvailability.WeakCiphers or OpenSslAvailability.LegacyProvider) || (r.Classes & OpenSslClasses.Medium) != 0);
    }

    [Fact]
    public void Weak_and_legacy_rows_are_the_documented_ones()
    {
        foreach (var r in CipherSuiteTable.All)
        {
            switch (r.Availability)
            {
                case OpenSslAvailability.WeakCiphers:
                    Assert.True(r.Cipher is TlsBulkCipher.Rc4 or TlsBulkCipher.TripleDes, r.IanaName);
                    break;
                case OpenSslAvailability.LegacyProvider:
                    Assert.True(r.Cipher is TlsBulkCipher.Idea or TlsBulkCipher.Seed, r.IanaName);
                    break;
            }
        }

        Assert.True(CipherSuiteTable.TryFind("DES-CBC3-SHA", out int i));
        Assert.Equal(112, CipherSuiteTable.Row(i).StrengthBits);
        Assert.Equal(168, CipherSuiteTable.Row(i).KeyBits);
    }

    [Fact]
    public void IndexOf_agrees_with_a_linear_scan_for_every_code_point()
    {
        var all = CipherSuiteTable.All;
        int found = 0;
        for (int id = 0; id <= ushort.MaxValue; id++)
        {
            int expected = -1;
            for (int i = 0; i < all.Length; i++)
            {
                if (all[i].Id == id)
                {
                    Assert.True(expected < 0, $"0x{id:X4} appears twice");
                    expected = i;
                }
            }

            Assert.Equal(expected, CipherSuiteTable.IndexOf((ushort)id));
            found += expected >= 0 ? 1 : 0;
        }

        Assert.Equal(all.Length, found);
    }
}
