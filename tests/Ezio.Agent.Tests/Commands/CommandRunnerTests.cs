using Xunit;

namespace Ezio.Agent.Tests.Commands;

/// <summary>What the agent reports of a command that ends before reading its input.</summary>
public sealed class CommandRunnerTests
{
    [Fact]
    public async Task Command_ExitsWithoutReadingItsInput_ItsExitCodeAndOutputComeBack()
    {
        // More than a pipe buffer of input to a command that never reads it: the write hits
        // a closed pipe, as `y` to an ntfsresize that refused at once did on a loaded machine.
        var input = new string('y', 1 << 20);
        var result = await CommandRunner.RunAsync("/bin/sh", ["-c", "echo refused >&2; exit 3"], input, TimeSpan.FromSeconds(60),
            CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("refused", result.Output);
    }
}
