namespace CertPolicy.Tests;

public class SmokeTests
{
    [Fact]
    public void Cli_help_exits_zero()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, CertPolicy.Cli.CliApp.Run(["--help"], o, e));
        Assert.Contains("policy", o.ToString(), StringComparison.Ordinal);
    }
}
