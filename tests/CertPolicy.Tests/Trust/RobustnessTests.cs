using CertPolicy.Trust;
using FsCheck.Xunit;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary>Hostile input is an outcome, never an exception (STYLE.md "Results, not exceptions"). Fixed seeds.</summary>
public class RobustnessTests
{
    private static readonly string Valid = ManifestText([new(MakeRoot("Robust Root"), "Robust")]);

    [Property(Replay = "(42424242,13131313)", MaxTest = 300)]
    public bool Manifest_loader_never_throws_on_arbitrary_text(string? text)
    {
        var m = LoadInMemory(text ?? "", new Dictionary<string, byte[]>());
        return m.Diagnostics.Count > 0; // arbitrary text is never a compliant manifest (no [manifest], no annex CAs)
    }

    [Property(Replay = "(777,99991)", MaxTest = 300)]
    public bool Manifest_loader_never_throws_on_spliced_manifests(int at, string? insert)
    {
        int i = (int)((uint)at % (uint)Valid.Length);
        var m = LoadInMemory(Valid[..i] + (insert ?? "") + Valid[i..], new Dictionary<string, byte[]>());
        return m.Diagnostics is not null;
    }

    [Property(Replay = "(31337,271829)", MaxTest = 300)]
    public bool Certificate_and_name_readers_never_throw(byte[]? data)
    {
        var bytes = data ?? [];
        _ = RootCertificate.TryParse(bytes, out _, out _);
        _ = RootCertificate.TryReadPemOrDer(bytes, out _, out _);
        _ = DistinguishedName.TryComputeOpenSslHash(bytes, out _);
        return true;
    }

    [Property(Replay = "(5555,8887)", MaxTest = 200)]
    public bool Mutated_root_certificates_never_throw(int position, byte value)
    {
        var der = MakeRootDer();
        der[(int)((uint)position % (uint)der.Length)] = value;
        _ = RootCertificate.TryParse(der, out var cert, out _);
        if (cert is not null)
        {
            _ = DistinguishedName.TryComputeOpenSslHash(cert.SubjectDer.Span, out _);
        }

        return true;
    }

    private static readonly byte[] RootDer = MakeRoot("Mutation Root").Der;

    private static byte[] MakeRootDer() => (byte[])RootDer.Clone();

    [Property(Replay = "(60606,70707)", MaxTest = 200)]
    public bool Certdata_parser_never_throws(string? text)
    {
        var s = SourceStore.ParseCertdata("CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\n" + (text ?? ""), "fuzz.txt");
        return s.Roots is not null;
    }

    [Fact]
    public void Cli_never_prints_a_stack_trace_for_a_binary_manifest()
    {
        var path = Path.Combine(TempDir(), "manifest.cfg");
        File.WriteAllBytes(path, [0xFF, 0xFE, 0x00, 0x5B, 0x0A, 0x80, 0x81]);
        var (code, _, err) = RunCli("bundle", "build", "--manifest", path, "--out", Path.Combine(TempDir(), "o"));
        Assert.Equal(2, code);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.Contains(path + ":", err, StringComparison.Ordinal);
    }
}
