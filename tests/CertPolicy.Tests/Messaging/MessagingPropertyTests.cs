using System.Text;
using CertPolicy.Messaging;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace CertPolicy.Tests.Messaging;

/// <summary>FsCheck properties with a fixed seed (STYLE.md, tests 5): the readers never throw on arbitrary input.</summary>
public class MessagingPropertyTests
{
    private static readonly Config Fixed = Config.QuickThrowOnFailure
        .WithMaxTest(400)
        .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20261128UL, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));

    private static bool PgpReaderIsTotal(byte[] data)
    {
        bool ok = OpenPgpKeyReader.TryRead(data, out IReadOnlyList<OpenPgpCertificate> certs, out OpenPgpReadError? error);
        return ok ? error is null && certs.Count > 0 : error is not null && certs.Count == 0 && !error.Message.Contains('\n', StringComparison.Ordinal);
    }

    private static bool ContainerReaderIsTotal(byte[] data)
    {
        bool ok = CertificateContainerReader.TryRead(data, out CertificateContainer? c, out ContainerReadError? error);
        return ok ? error is null && c!.Certificates.Count > 0 : error is not null && c is null;
    }

    [Fact]
    public void Readers_never_throw_on_arbitrary_bytes()
    {
        Check.One(Fixed, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), (byte[] b) => PgpReaderIsTotal(b) && ContainerReaderIsTotal(b)));
    }

    [Fact]
    public void Pgp_reader_never_throws_on_arbitrary_armor_bodies()
    {
        Check.One(Fixed, Prop.ForAll(ArbMap.Default.ArbFor<string>(), (string s) =>
            PgpReaderIsTotal(Encoding.UTF8.GetBytes("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + s + "\n-----END PGP PUBLIC KEY BLOCK-----\n"))));
    }

    [Fact]
    public void Readers_never_throw_on_packets_with_arbitrary_bodies()
    {
        // A plausible header (Public-Key, Signature, User ID or Subkey tag) in front of arbitrary bytes
        // reaches BouncyCastle's packet parsers rather than stopping at the framing check.
        Check.One(Fixed, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), (byte[] body) =>
        {
            bool all = true;
            foreach (int tag in (int[])[6, 2, 13, 14])
            {
                using var ms = new MemoryStream();
                PgpFixtures.WritePacket(ms, 6, [4, 0x65, 0x92, 0, 0, .. body]);
                if (tag != 6)
                {
                    PgpFixtures.WritePacket(ms, tag, body);
                }

                all &= PgpReaderIsTotal(ms.ToArray());
            }

            return all && ContainerReaderIsTotal([0x30, (byte)Math.Min(body.Length, 127), .. body]);
        }));
    }
}
