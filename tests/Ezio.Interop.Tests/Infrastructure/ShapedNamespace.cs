namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// A network namespace of our own joined to this one by a veth pair, its egress shaped by tc
/// (tbf): a program run inside sends at most the given rate, as a machine behind a slow port.
/// Names carry the test's PID so parallel runs never collide; disposing deletes the namespace
/// (which removes the veth pair).
/// </summary>
internal sealed class ShapedNamespace : IDisposable
{
    private ShapedNamespace(string name, string address)
    {
        Name = name;
        Address = address;
    }

    public string Name { get; }

    /// <summary>The namespace's address, reachable from this namespace.</summary>
    public string Address { get; }

    public static ShapedNamespace Create(string rate)
    {
        int id = Environment.ProcessId % 100000;
        int subnet = Random.Shared.Next(0, 64) * 4;
        string name = $"webseed-{id}";
        string outer = $"wsd{id}h";
        string inner = $"wsd{id}n";
        string prefix = $"10.231.{Random.Shared.Next(1, 255)}.";
        Shell.Run("ip", "netns", "add", name);
        var created = new ShapedNamespace(name, prefix + (subnet + 2));
        try
        {
            Shell.Run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner);
            Shell.Run("ip", "link", "set", inner, "netns", name);
            Shell.Run("ip", "addr", "add", $"{prefix}{subnet + 1}/30", "dev", outer);
            Shell.Run("ip", "link", "set", outer, "up");
            Shell.Run("ip", "-n", name, "addr", "add", $"{prefix}{subnet + 2}/30", "dev", inner);
            Shell.Run("ip", "-n", name, "link", "set", inner, "up");
            Shell.Run("ip", "-n", name, "link", "set", "lo", "up");
            Shell.Run("ip", "netns", "exec", name, "tc", "qdisc", "add", "dev", inner, "root", "tbf", "rate", rate, "burst", "32kb", "latency", "100ms");
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="program"/> inside (ip netns exec execs it: the PID is the program's).</summary>
    public ChildProcess Start(string program, IEnumerable<string> arguments) =>
        ChildProcess.Start(Tools.Require("ip"), ["netns", "exec", Name, program, .. arguments]);

    /// <summary>Both ends of the link as the kernel sees them, for a failure message.</summary>
    public string Describe() =>
        Shell.RunAnyExit("ip", "-br", "addr").Output + Shell.RunAnyExit("ip", "-n", Name, "-br", "addr").Output;

    public void Dispose()
    {
        try
        {
            Shell.Run("ip", "netns", "delete", Name);
        }
        catch (Exception)
        {
            // Already gone: nothing to clean.
        }
    }
}
