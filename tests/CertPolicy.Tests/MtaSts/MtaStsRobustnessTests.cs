using CertPolicy.MtaSts;

namespace CertPolicy.Tests.MtaSts;

/// <summary>The MTA-STS and TLS-RPT parsers never throw on mutated input (fixed seed, STYLE.md "Tests" 5).</summary>
public class MtaStsRobustnessTests
{
    private const int Seed = 8461;

    private static readonly string[] Seeds =
    [
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
        "v=STSv1; id=20260101T000000; ext=1;",
        "v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.net/x;",
    ];

    private const string Alphabet = "v=;:, \t\r\n*.-_@/STSv1TLSRPTv1idruamxmodeenforce0123456789\u00e9\u0000\u007f%";

    [Fact]
    public void Mutated_inputs_give_results_not_exceptions()
    {
        var random = new Random(Seed);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var chars = Seeds[i % Seeds.Length].ToCharArray().ToList();
            int edits = 1 + random.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(chars.Count + 1);
                switch (random.Next(3))
                {
                    case 0 when at < chars.Count:
                        chars.RemoveAt(at);
                        break;
                    case 1 when at < chars.Count:
                        chars[at] = Alphabet[random.Next(Alphabet.Length)];
                        break;
                    default:
                        chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                }
            }

            var text = new string([.. chars]);
            accepted += MtaStsPolicy.TryParse(text, out var p, out var pe) ? 1 : 0;
            Assert.True(p is not null || pe.Message is not null);
            accepted += MtaStsRecord.TryParse(text, out var r, out var re) ? 1 : 0;
            Assert.True(r is not null || re.Message is not null);
            accepted += TlsRptRecord.TryParse(text, out var t, out var te) ? 1 : 0;
            Assert.True(t is not null || te.Message is not null);
            foreach (var host in new[] { "mail.example.com", "a.example.net", text })
            {
                _ = MxPattern.Matches(text, host);
            }
        }

        // Some mutations keep the input valid (a broken generator would make every case fail).
        Assert.True(accepted > 100, accepted.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Errors_point_inside_or_just_past_the_input()
    {
        var random = new Random(Seed + 1);
        for (int i = 0; i < 5_000; i++)
        {
            var chars = Seeds[1 + (i % 2)].ToCharArray();
            chars[random.Next(chars.Length)] = Alphabet[random.Next(Alphabet.Length)];
            var text = new string(chars);
            if (!MtaStsRecord.TryParse(text, out _, out var re))
            {
                Assert.InRange(re.Column, 1, text.Length + 1);
            }

            if (!TlsRptRecord.TryParse(text, out _, out var te))
            {
                Assert.InRange(te.Column, 1, text.Length + 1);
            }
        }
    }
}
