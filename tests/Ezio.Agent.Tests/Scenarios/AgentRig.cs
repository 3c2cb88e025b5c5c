using Ezio.Agent.Tests.TestSupport;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>Temp directory, cmdline file and the agent's standard test options.</summary>
internal sealed class AgentRig : IDisposable
{
    public AgentRig()
    {
        Root = Directory.CreateTempSubdirectory("ezio-agent-sys-").FullName;
    }

    public string Root { get; }

    public string Marker => Path.Combine(Root, "after-action");

    public string Tty => Path.Combine(Root, "tty1");

    /// <summary>Options for an agent that writes <paramref name="disk"/> and records its after-action in <see cref="Marker"/>.</summary>
    public List<string> Arguments(string serverUrl, string disk, string mac, string trustedKey = "/nonexistent/trusted.pub")
    {
        var cmdline = Path.Combine(Root, "cmdline");
        File.WriteAllText(cmdline, $"BOOT_IMAGE=/live/vmlinuz boot=live quiet ezio.server={serverUrl} ezio.disk={disk} ezio.after=reboot\n");
        File.WriteAllText(Tty, "");
        return ["--cmdline-file", cmdline, "--mac", mac, "--state-dir", Path.Combine(Root, "state"), "--peer-port", "0",
            "--after-command", $"echo \"$EZIO_AFTER $EZIO_DEPLOYMENT\" > {Marker}", "--status-tty", Tty,
            "--journal-socket", "/nonexistent/journal.socket", "--trusted-key", trustedKey, "--progress-seconds", "1",
            "--config", WriteConfig()];
    }

    private string WriteConfig()
    {
        var path = Path.Combine(Root, "agent.json");
        File.WriteAllText(path, "{ \"maxBackoffSeconds\": 2 }");
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
