using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>
/// A network namespace for the agent joined to the test's namespace by a veth pair in a
/// private 10.231.x.0/24 range: the server listens on the host side, the agent runs inside.
/// Optionally shaped with tbf so a deployment takes long enough to be interrupted.
/// Everything is removed on dispose (deleting the namespace deletes the veth pair).
/// </summary>
internal sealed class NetPair : IDisposable
{
    private static int s_next = Environment.ProcessId % 200;

    private NetPair(string ns, string hostIf, string hostIp, string agentIp)
    {
        Namespace = ns;
        HostInterface = hostIf;
        HostIp = hostIp;
        AgentIp = agentIp;
    }

    public string Namespace { get; }

    public string HostInterface { get; }

    public string HostIp { get; }

    public string AgentIp { get; }

    public static NetPair Create(int? rateMbit = null)
    {
        var n = Interlocked.Increment(ref s_next) % 250 + 1;
        var id = $"{Environment.ProcessId % 10000}x{n}";
        var ns = "ezio-agent-" + id;
        var hostIf = "eza" + id;
        var peerIf = "ezb" + id;
        var pair = new NetPair(ns, hostIf, $"10.231.{n}.1", $"10.231.{n}.2");
        try
        {
            Shell.Run("ip", "netns", "add", ns);
            Shell.Run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", peerIf);
            Shell.Run("ip", "link", "set", peerIf, "netns", ns);
            Shell.Run("ip", "addr", "add", pair.HostIp + "/24", "dev", hostIf);
            Shell.Run("ip", "link", "set", hostIf, "up");
            Shell.Run("ip", "-n", ns, "addr", "add", pair.AgentIp + "/24", "dev", peerIf);
            Shell.Run("ip", "-n", ns, "link", "set", peerIf, "up");
            Shell.Run("ip", "-n", ns, "link", "set", "lo", "up");
            if (rateMbit is { } rate)
            {
                Shell.Run("tc", "qdisc", "add", "dev", hostIf, "root", "tbf", "rate", rate + "mbit", "burst", "64kb", "latency", "200ms");
            }
        }
        catch
        {
            pair.Dispose();
            throw;
        }
        return pair;
    }

    /// <summary>Prefix that runs a command inside the agent's namespace (ip netns exec execs, so the PID is the command's).</summary>
    public string[] Exec => ["netns", "exec", Namespace];

    public void Dispose()
    {
        Shell.TryRun(TimeSpan.FromSeconds(30), "ip", "link", "del", HostInterface);
        Shell.TryRun(TimeSpan.FromSeconds(30), "ip", "netns", "del", Namespace);
    }
}
