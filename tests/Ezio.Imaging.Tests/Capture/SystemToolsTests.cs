using Ezio.Imaging.Capture;
using Xunit;

namespace Ezio.Imaging.Tests.Capture;

/// <summary>What a tool that ends before reading its input gives back.</summary>
public sealed class SystemToolsTests
{
    [Fact]
    public void Tool_ExitsWithoutReadingItsInput_ItsExitCodeAndErrorsComeBack()
    {
        // More than a pipe buffer: the write meets a closed pipe (ntfsresize answered "y" after it refused).
        var (code, output, errors) = SystemTools.Run(TimeSpan.FromSeconds(60), new string('y', 1 << 20), "/bin/sh", "-c", "echo refused >&2; exit 3");

        Assert.Equal(3, code);
        Assert.Equal("", output);
        Assert.Equal("refused", errors);
    }
}
