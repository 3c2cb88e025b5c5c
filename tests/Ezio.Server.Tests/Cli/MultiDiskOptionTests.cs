using Ezio.Deployment.Contracts;
using Ezio.Server.Cli;
using Xunit;

namespace Ezio.Server.Tests.Cli;

public sealed class MultiDiskOptionTests
{
    private static readonly CreateDeploymentRequest Request = new("two", ["all"]);

    [Fact]
    public void Apply_Serials_SerialRuleWithSerialsInOrder()
    {
        CreateDeploymentRequest r = MultiDiskOption.Apply(Request, "serial:WD-1, S3-2");

        Assert.Equal(DiskMapping.Serial, r.DiskMapping);
        Assert.Equal(["WD-1", "S3-2"], r.DiskSerials);
    }

    [Theory]
    [InlineData("order", DiskMapping.Order)]
    [InlineData("size", DiskMapping.Size)]
    public void Apply_Rule_SetsIt(string text, DiskMapping expected) =>
        Assert.Equal(expected, MultiDiskOption.Apply(Request, text).DiskMapping);

    [Theory]
    [InlineData("serial:")]
    [InlineData("biggest")]
    public void Apply_Unknown_UsageError(string text) =>
        Assert.Throws<UsageException>(() => MultiDiskOption.Apply(Request, text));
}
