using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests;

public sealed class AgentOptionsTests
{
    [Fact]
    public void Parse_KernelCommandLine_TakesEzioParametersOnly()
    {
        var values = KernelCommandLine.Parse("BOOT_IMAGE=/vmlinuz quiet ezio.server=http://10.0.0.1:8080 ezio.disk=/dev/disk/by-path/pci-0:1f.2-ata-1 ezio.after=poweroff ezio.job=lab ezio.unknown=x boot=live\n");

        Assert.Equal("http://10.0.0.1:8080", values["Server"]);
        Assert.Equal("/dev/disk/by-path/pci-0:1f.2-ata-1", values["Disk"]);
        Assert.Equal("poweroff", values["After"]);
        Assert.Equal("lab", values["Job"]);
        Assert.Equal(4, values.Count);
    }

    [Fact]
    public void Parse_QuotedValue_KeepsSpaces()
    {
        var values = KernelCommandLine.Parse("a \"ezio.job=my lab\" b");
        Assert.Equal("my lab", values["Job"]);
    }

    [Theory]
    [InlineData(null, AfterAction.Poweroff)]
    [InlineData("reboot", AfterAction.Reboot)]
    [InlineData("STAY", AfterAction.Stay)]
    public void AfterFor_LocalOverride_WinsOverJob(string? local, AfterAction expected)
    {
        var options = new AgentOptions { After = local };
        Assert.Equal(expected, options.AfterFor(Samples.Job() with { After = AfterAction.Poweroff }));
    }
}
