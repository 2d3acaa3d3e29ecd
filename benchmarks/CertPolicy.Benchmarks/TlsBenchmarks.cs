using BenchmarkDotNet.Attributes;
using CertPolicy.Tls;

namespace CertPolicy.Benchmarks;

/// <summary>
/// Hot path: <see cref="TlsFloor.Check"/> for a mix of negotiated pairs (zero allocation expected, see the
/// memory diagnoser), against a naive baseline (linear table scan). Cold path: cipher-string evaluation.
/// </summary>
[MemoryDiagnoser]
public class TlsBenchmarks
{
    private static readonly ushort[] Suites = [0xC030, 0xC02F, 0x1301, 0x1302, 0x0004, 0x000A, 0x009C, 0x00A7];
    private static readonly TlsProtocol[] Protocols = [TlsProtocol.Tls12, TlsProtocol.Tls13, TlsProtocol.Tls10];

    [Benchmark(Baseline = true, OperationsPerInvoke = 24)]
    public int NaiveLinearScan()
    {
        int acc = 0;
        foreach (var p in Protocols)
        {
            foreach (var s in Suites)
            {
                foreach (var row in CipherSuiteTable.All)
                {
                    if (row.Id == s)
                    {
                        acc += p >= TlsProtocol.Tls12 && row.StrengthBits >= 128 && (row.Classes & OpenSslClasses.High) != 0 ? 1 : 0;
                        break;
                    }
                }
            }
        }

        return acc;
    }

    [Benchmark(OperationsPerInvoke = 24)]
    public int Check()
    {
        int acc = 0;
        foreach (var p in Protocols)
        {
            foreach (var s in Suites)
            {
                acc += (int)TlsFloor.Check(p, s, TlsFloor.Partner2026).Failures;
            }
        }

        return acc;
    }

    [Benchmark]
    public int EvaluatePostfixHighGrade()
    {
        OpenSslCipherString.TryEvaluate(PostfixCiphers.HighList, CipherStringOptions.OpenSslCompatible, out var sel, out _);
        return sel!.Rows.Length;
    }
}
