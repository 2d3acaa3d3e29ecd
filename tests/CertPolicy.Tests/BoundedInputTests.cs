using CertPolicy.Tests.Support;
using CertPolicy.Tests.Validation;

namespace CertPolicy.Tests;

/// <summary>
/// Issue 14, bounded reads: a device that reports no length (/dev/zero) used to be read whole until the process died
/// (exit 134); now every file argument is read up to the documented cap and refused past it, and "-" reads stdin.
/// </summary>
public sealed class BoundedInputTests
{
    [Theory]
    [InlineData("container", "/dev/zero")]
    [InlineData("names", "--cert", "/dev/zero", "--level", "secure", "--nexthop", "example.com")]
    [InlineData("verify", "/dev/zero", "--nexthop", "example.com")]
    [InlineData("policy", "check", "/dev/zero")]
    [InlineData("pgp", "/dev/zero", "--fingerprint", "4C23B19F8CA3BCB3216E4F5C0FDC51D387381923")]
    public void A_device_without_length_is_refused_at_the_cap_with_one_line(params string[] args)
    {
        Assert.True(File.Exists("/dev/zero"));
        var (exit, stdout, stderr) = CliRunner.Run(args);
        Assert.True(exit == 2, $"exit {exit}: {stdout}{stderr}");
        Assert.Contains("/dev/zero: input is larger than 64 MiB", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
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
}
