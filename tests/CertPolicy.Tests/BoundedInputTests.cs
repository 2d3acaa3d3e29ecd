using CertPolicy.IO;
using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;
using CertPolicy.Trust;

namespace CertPolicy.Tests;

/// <summary>
/// Issue 14, bounded reads: every path goes through one reader (src/CertPolicy/IO/BoundedFile.cs). A device, directory,
/// FIFO or socket is refused by its file type before any open (a FIFO without a writer used to block the open
/// forever; /dev/zero used to be read until the process died with exit 134); a regular file is read up to the cap,
/// counted while reading. Decisions: /dev/null is a device and is refused like /dev/zero (an empty input is given as an
/// empty file or as '-' with nothing on standard input); files under /proc are regular files that report length 0:
/// they are read under the cap and judged like any other text.
/// </summary>
public sealed class BoundedInputTests
{
    [Theory]
    [InlineData("container", "/dev/zero")]
    [InlineData("names", "--cert", "/dev/zero", "--level", "secure", "--nexthop", "example.com")]
    [InlineData("verify", "/dev/zero", "--nexthop", "example.com")]
    [InlineData("verify", "/dev/null", "--nexthop", "example.com")]
    [InlineData("policy", "check", "/dev/zero")]
    [InlineData("pgp", "/dev/zero", "--fingerprint", "4C23B19F8CA3BCB3216E4F5C0FDC51D387381923")]
    [InlineData("smime", "/dev/zero", "--domain", "example.com")]
    [InlineData("monitor", "/dev/zero")]
    public void A_device_is_refused_by_its_type_with_one_line(params string[] args)
    {
        string device = Array.Find(args, a => a.StartsWith("/dev/", StringComparison.Ordinal))!;
        Assert.Equal(BoundedFile.Kind.Device, BoundedFile.GetKind(device));
        var (exit, stdout, stderr) = CliRunner.Run(args);
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Equal(device + ": is a device, not a file", stderr.TrimEnd('\n'));
    }

    [Fact]
    public void A_directory_is_refused_by_its_type()
    {
        using var dir = new TempDir();
        Assert.Equal(BoundedFile.Kind.Directory, BoundedFile.GetKind(dir.Path));
        var (exit, stdout, stderr) = CliRunner.Run("policy", "check", dir.Path);
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Equal(dir.Path + ": is a directory", stderr.TrimEnd('\n'));
    }

    // Out of process, with the runner's kill after 120 s as the safety net: before the type check this open blocked
    // forever (no writer ever comes). The assertion is on the exit code and the reason, not on the time taken.
    [Theory]
    [InlineData("policy", "check", "FIFO")]
    [InlineData("verify", "FIFO", "--nexthop", "example.com")]
    [InlineData("monitor", "FIFO")]
    [InlineData("bundle", "diff", "--source", "FIFO")]
    [InlineData("bundle", "build", "--manifest", "FIFO", "--out", "OUT")]
    public void A_fifo_without_a_writer_is_refused_without_opening_it(params string[] args)
    {
        using var dir = new TempDir();
        string fifo = Path.Combine(dir.Path, "pipe");
        var (mk, _, mkErr) = Tool.Run("mkfifo", [fifo], timeoutMs: 10_000, package: "coreutils");
        Assert.True(mk == 0, mkErr);
        Assert.Equal(BoundedFile.Kind.Fifo, BoundedFile.GetKind(fifo));
        string[] cliArgs = [Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll"),
            .. args.Select(a => a == "FIFO" ? fifo : a == "OUT" ? Path.Combine(dir.Path, "out") : a)];
        var (exit, stdout, stderr) = Tool.Run(Tool.DotnetHost(), cliArgs, timeoutMs: 120_000);
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Contains(fifo + ":", stderr, StringComparison.Ordinal);
        Assert.Contains("is a pipe (FIFO), not a file", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")));
    }

    [Fact]
    public void A_proc_file_reporting_length_0_is_read_under_the_cap_and_judged_as_text()
    {
        Assert.Equal(0, new FileInfo("/proc/self/status").Length);
        Assert.Equal(BoundedFile.Kind.Regular, BoundedFile.GetKind("/proc/self/status"));
        var (exit, stdout, stderr) = CliRunner.Run("policy", "check", "/proc/self/status");
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.StartsWith("/proc/self/status:1:", stderr, StringComparison.Ordinal); // parsed: it is not a policy table
    }

    [Fact]
    public void An_endless_stream_is_refused_at_the_cap_counting_what_was_read()
    {
        // The cap, not the reported length, is the reason: this stream reports no length and never ends.
        var endless = new EndlessStream();
        Assert.False(BoundedFile.TryReadStream(endless, 1024 * 1024, out var bytes, out string error));
        Assert.Empty(bytes);
        Assert.Equal("input is larger than 1 MiB (a device or an endless stream?)", error);
        Assert.InRange(endless.Served, 1024 * 1024 + 1, (1024 * 1024) + (64 * 1024));
    }

    [Fact]
    public void A_regular_file_over_the_cap_is_refused_at_the_cap()
    {
        using var dir = new TempDir();
        string big = Path.Combine(dir.Path, "big");
        using (var f = File.Create(big))
        {
            f.SetLength(5 * 1024 * 1024); // sparse: costs no disk
        }

        Assert.False(BoundedFile.TryRead(big, 4 * 1024 * 1024, out _, out string error));
        Assert.Equal("input is larger than 4 MiB (a device or an endless stream?)", error);
        Assert.True(BoundedFile.TryRead(big, 5 * 1024 * 1024, out var whole, out _));
        Assert.Equal(5 * 1024 * 1024, whole.Length);
    }

    [Fact]
    public void The_library_entries_that_take_a_path_use_the_bounded_reader()
    {
        // TrustManifestLoader.LoadFile (core) and SourceStore.Load (Tooling): a device is a diagnostic, not a read.
        var manifest = TrustManifestLoader.LoadFile("/dev/zero", DateTimeOffset.UnixEpoch);
        var d = Assert.Single(manifest.Diagnostics);
        Assert.Equal("TRUST-IO", d.Code);
        Assert.Contains("is a device, not a file", d.Message, StringComparison.Ordinal);

        var source = SourceStore.Load("/dev/zero");
        var s = Assert.Single(source.Diagnostics);
        Assert.Contains("is a device, not a file", s.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dash_reads_standard_input()
    {
        var chain = TestChains.Create(new ChainSpec());
        string cli = Path.Combine(AppContext.BaseDirectory, "CertPolicy.Cli.dll");
        var (exit, stdout, stderr) = Tool.Run(Tool.DotnetHost(), [cli, "container", "-"], stdin: chain.PresentedPem);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("-: PEM bundle, 2 certificate(s)", stdout, StringComparison.Ordinal);
    }

    private sealed class EndlessStream : Stream
    {
        internal long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)'a', offset, count);
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
