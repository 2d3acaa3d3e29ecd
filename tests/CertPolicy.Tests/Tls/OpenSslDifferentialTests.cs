using CertPolicy.Tls;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests.Tls;

/// <summary>
/// Issue 5 acceptance: CertPolicy's cipher-string evaluation against the machine's real `openssl ciphers -V`
/// (OpenSSL 3.0). The machine's build is detected (which optional suites it lists) and passed to the
/// evaluator as an <see cref="OpenSslBuild"/>: differences rooted in the build are modelled, not skipped.
/// </summary>
public class OpenSslDifferentialTests
{
    private static readonly Lazy<OpenSslBuild> s_machineBuild = new(DetectBuild);

    /// <summary>Which optional suites the machine's OpenSSL has; every listed suite must be in our table.</summary>
    private static OpenSslBuild DetectBuild()
    {
        var r = OpenSslTool.Ciphers("-V", "ALL:COMPLEMENTOFALL");
        Assert.True(r.ExitCode == 0, "openssl ciphers ALL:COMPLEMENTOFALL failed: " + r.Error);
        var build = OpenSslBuild.Default;
        foreach (var line in r.Lines)
        {
            ushort id = OpenSslTool.Id(line);
            Assert.True(CipherSuiteTable.TryGet(id, out var info), $"openssl lists 0x{id:X4}, which the table lacks");
            build |= info.Availability switch
            {
                OpenSslAvailability.WeakCiphers => OpenSslBuild.WeakCiphers,
                OpenSslAvailability.LegacyProvider => OpenSslBuild.LegacyProvider,
                OpenSslAvailability.Default => OpenSslBuild.Default,
                _ => throw new Xunit.Sdk.XunitException($"openssl lists 0x{id:X4}, which the table says OpenSSL 3.0 lacks"),
            };
        }

        return build;
    }

    public static TheoryData<string> FixedCases()
    {
        var d = new List<string>
        {
            PostfixCiphers.HighList,
            PostfixCiphers.MediumList,
            PostfixCiphers.LowList,
            PostfixCiphers.ExportList,
            PostfixCiphers.NullList,
            "HIGH", // the document's `openssl ciphers -v -tls1 HIGH` (see Document_tls1_HIGH too)
            "HIGH:!aNULL:!MD5",
            "DEFAULT",
            "DEFAULT:!aNULL",
            "DEFAULT:+kRSA",
            "DEFAULTX:HIGH",
            "ALL:COMPLEMENTOFALL",
            "COMPLEMENTOFALL:ALL",
            "ALL:@STRENGTH",
            "ALL:+AES:@STRENGTH",
            "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA",
            "AES128-SHA+HIGH",
            "HIGH+FIPS",
            "kRSA+TLSv1.2",
            "RSA+AES:ECDHE+AESGCM",
            "HIGH:-AES256:AES256",
            "HIGH:!AES256:AES256",
            "HIGH,MEDIUM;LOW eNULL",
            "EECDH+AESGCM:EDH+AESGCM",
            "ECDHE:DHE:!aNULL:@STRENGTH:+SHA1",
            "@SECLEVEL=0:ALL",
            "ALL:@SECLEVEL=3",
            "SUITEB128",
            "SUITEB128ONLY:HIGH",
            "SUITEB128C2",
            "SUITEB192",
            "HIGH:@STRENGTH+AES",
            "FOO:HIGH",
            "HIGH+FOO+AES:MEDIUM",
            "RC4-MD5:HIGH",
            "EXPORT:HIGH",
            "ALL:!TLSv1.2",
            "PSK:!kPSK",
            "aRSA+kECDHE+SHA384",
            "HIGH:+SSLv3",
            "ALL:-ALL:MD5:ALL",
            "HIGH!aNULL",
            "HIGH-AES256+AES",
            "HIGH@STRENGTH",
            "HIGH+@STRENGTH",
            "@STRENGTH:HIGH",
            "HIGH:!",
            "HIGH+",
            "+HIGH",
            "HIGH:@",
            "HIGH:@FOO",
            "HIGH:@SECLEVEL=99",
            "HIGH:@SECLEVEL=6",
            "HIGH\u0001",
            "HIGH:\u00e9",
            "HIGH\tMEDIUM",
            "HIGH_AES",
        };
        foreach (var alias in OpenSslCipherString.AliasNames)
        {
            d.Add(alias);
            d.Add("ALL:COMPLEMENTOFALL:!" + alias);
            d.Add("ALL:-" + alias + ":" + alias);
        }

        var data = new TheoryData<string>();
        foreach (var s in d.Distinct(StringComparer.Ordinal))
        {
            data.Add(s);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FixedCases))]
    public void Fixed_cipher_strings_match_openssl(string cipherString) => AssertSameAsOpenSsl(cipherString);

    [Fact]
    public void Document_tls1_HIGH_matches_openssl()
    {
        // R-T5 names `openssl ciphers -v -tls1 HIGH`; without -s the -tls1 flag does not change the list.
        var r = OpenSslTool.Ciphers("-tls1", "-V", "HIGH");
        Assert.Equal(0, r.ExitCode);
        Assert.True(OpenSslCipherString.TryEvaluate("HIGH", Options(), out var sel, out var e), e.Message);
        Assert.Equal(r.Lines.Select(l => l.TrimEnd()), Lines(sel!));
    }

    [Fact]
    public void Random_cipher_strings_match_openssl()
    {
        // FsCheck generator with a fixed seed: the same 120 strings on every run.
        string[] words = [.. OpenSslCipherString.AliasNames, "ECDHE-RSA-AES256-GCM-SHA384", "AES128-SHA", "NULL-MD5", "DHE-RSA-CHACHA20-POLY1305", "PSK-AES128-CCM8", "ADH-AES256-GCM-SHA384"];
        var word = Gen.Elements(words);
        var item = Gen.OneOf(
            word,
            Gen.Zip(word, word, (a, b) => a + "+" + b),
            Gen.Zip(word, Gen.Zip(word, word, (a, b) => a + "+" + b), (a, b) => a + "+" + b));
        var op = Gen.Frequency((5, Gen.Constant("")), (2, Gen.Constant("+")), (2, Gen.Constant("-")), (2, Gen.Constant("!")));
        var element = Gen.Frequency(
            (12, Gen.Zip(op, item, (o, i) => o + i)),
            (1, Gen.Constant("@STRENGTH")),
            (1, Gen.Elements("@SECLEVEL=1", "DEFAULT", "ALL", "HIGH")));
        var sep = Gen.Elements(":", ":", ",", " ", ";");
        var gen = Gen.Zip(Gen.Choose(1, 7), Gen.ArrayOf(Gen.Zip(element, sep, (e, s) => e + s), 7), (n, parts) => string.Concat(parts.Take(n)).TrimEnd(':', ',', ' ', ';'));
        var cases = Gen.Sample(gen, 120, new Rnd(20261128UL, 1442695040888963407UL), 10);
        Assert.Equal(120, cases.Length);
        var failures = new List<string>();
        foreach (var c in cases)
        {
            try
            {
                AssertSameAsOpenSsl(c);
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                failures.Add(c + ": " + ex.Message);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
    }

    [Fact]
    public void Alias_membership_of_every_suite_matches_openssl()
    {
        // For each alias, the suites `openssl ciphers -V ALIAS` lists are exactly those whose AliasesOf names it.
        var build = s_machineBuild.Value;
        var available = CipherSuiteTable.All.ToArray().Where(r => r.OpenSslRank >= 0 && !r.IsTls13
            && (r.Availability == OpenSslAvailability.Default
                || (r.Availability == OpenSslAvailability.WeakCiphers && (build & OpenSslBuild.WeakCiphers) != 0)
                || (r.Availability == OpenSslAvailability.LegacyProvider && (build & OpenSslBuild.LegacyProvider) != 0))).ToArray();
        var ours = available.ToDictionary(r => r.Id, r => OpenSslCipherString.AliasesOf(r).ToHashSet(StringComparer.Ordinal));
        foreach (var alias in OpenSslCipherString.AliasNames)
        {
            var r = OpenSslTool.Ciphers("-V", "--", alias);
            var listed = r.ExitCode == 0 ? r.Lines.Select(OpenSslTool.Id).ToHashSet() : [];
            foreach (var s in available)
            {
                Assert.True(listed.Contains(s.Id) == ours[s.Id].Contains(alias), $"{s.OpenSslName}: openssl {(listed.Contains(s.Id) ? "lists" : "does not list")} it under {alias}");
            }
        }

        Assert.Contains("HIGH", OpenSslCipherString.AliasesOf(CipherSuiteTable.Row(CipherSuiteTable.IndexOf(0xC030))));
    }

    [Fact]
    public void Build_differences_are_modelled_explicitly()
    {
        // A build with more suites (weak, legacy) keeps the relative order of the default suites: removing
        // what this machine's build lacks from a Full evaluation gives the Default evaluation.
        foreach (var s in new[] { PostfixCiphers.MediumList, PostfixCiphers.ExportList, "ALL:COMPLEMENTOFALL", "DEFAULT", "ALL:+RC4:@STRENGTH", "MEDIUM:HIGH" })
        {
            var full = new CipherStringOptions { Build = OpenSslBuild.Full, RejectUnknownWords = false };
            Assert.True(OpenSslCipherString.TryEvaluate(s, full, out var f, out _));
            bool ok = OpenSslCipherString.TryEvaluate(s, new CipherStringOptions { RejectUnknownWords = false }, out var d, out _);
            var filtered = f!.Rows.ToArray().Where(r => CipherSuiteTable.Row(r).Availability == OpenSslAvailability.Default).ToArray();
            if (ok)
            {
                Assert.Equal(d!.Rows.ToArray(), filtered);
            }
            else
            {
                Assert.Empty(filtered);
            }
        }

        // And the differences are real: MEDIUM is empty here but holds RC4, 3DES, IDEA and SEED in a full build.
        Assert.False(OpenSslCipherString.TryEvaluate("MEDIUM", CipherStringOptions.Strict, out _, out var err));
        Assert.Equal(CipherStringErrorKind.NoCipherMatch, err.Kind);
        Assert.True(OpenSslCipherString.TryEvaluate("MEDIUM", new CipherStringOptions { Build = OpenSslBuild.Full }, out var m, out _));
        Assert.Contains(m!.Rows.ToArray(), r => CipherSuiteTable.Row(r).OpenSslName == "RC4-MD5");
        Assert.Contains(m.Rows.ToArray(), r => CipherSuiteTable.Row(r).OpenSslName == "SEED-SHA");
    }

    private static CipherStringOptions Options() => new() { Build = s_machineBuild.Value, RejectUnknownWords = false };

    private static string[] Lines(CipherSelection sel)
    {
        var lines = new List<string>();
        foreach (int r in sel.Tls13Rows)
        {
            lines.Add(CipherSuiteTable.FormatOpenSslVerbose(CipherSuiteTable.Row(r)));
        }

        foreach (int r in sel.Rows)
        {
            lines.Add(CipherSuiteTable.FormatOpenSslVerbose(CipherSuiteTable.Row(r)));
        }

        return [.. lines];
    }

    private static void AssertSameAsOpenSsl(string cipherString)
    {
        var r = OpenSslTool.Ciphers("-V", "--", cipherString); // "--": strings may begin with '-'
        bool ours = OpenSslCipherString.TryEvaluate(cipherString, Options(), out var sel, out var error);
        if (r.ExitCode != 0)
        {
            Assert.False(ours, $"openssl refuses '{cipherString}' ({r.Error.Split('\n')[0]}) but CertPolicy selected {sel?.Rows.Length} suites");
            return;
        }

        Assert.True(ours, $"openssl accepts '{cipherString}' but CertPolicy says: {error.Message}");
        var expected = r.Lines.Select(l => l.TrimEnd()).ToArray();
        var actual = Lines(sel!);
        if (!expected.SequenceEqual(actual))
        {
            int i = 0;
            while (i < Math.Min(expected.Length, actual.Length) && expected[i] == actual[i])
            {
                i++;
            }

            Assert.Fail($"'{cipherString}': openssl lists {expected.Length}, CertPolicy {actual.Length}; first difference at line {i}:\n openssl:    {(i < expected.Length ? expected[i] : "(end)")}\n certpolicy: {(i < actual.Length ? actual[i] : "(end)")}");
        }
    }
}
