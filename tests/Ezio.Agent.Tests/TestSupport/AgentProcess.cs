using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>
/// Starts `ezio agent`, optionally inside a network namespace (`ip netns exec` execs, so the
/// PID is the agent's own), as a <see cref="ChildProcess"/>.
/// </summary>
internal static class AgentProcess
{
    public static ChildProcess Start(IEnumerable<string> arguments, NetPair? net = null, IReadOnlyDictionary<string, string>? environment = null) =>
        net is null
            ? ChildProcess.Start(Binaries.Agent, ["agent", .. arguments], environment: environment)
            : ChildProcess.Start("ip", [.. net.Exec, Binaries.Agent, "agent", .. arguments], environment: environment);
}
