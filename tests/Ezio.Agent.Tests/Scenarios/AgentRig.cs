using Ezio.Agent.Tests.TestSupport;
using Ezio.TestKit.Devices;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// Temp directory, cmdline file and the agent's standard test options; for a deployment test also
/// the network, image, server and disk, which the rig disposes (in reverse order) before its directory.
/// </summary>
internal sealed class AgentRig : IAsyncDisposable
{
    private NetPair? _net;
    private ServerProcess? _server;
    private LoopDevice? _disk;

    public AgentRig()
    {
        Root = Directory.CreateTempSubdirectory("ezio-agent-sys-").FullName;
    }

    public string Root { get; }

    public string Marker => Path.Combine(Root, "after-action");

    public string Tty => Path.Combine(Root, "tty1");

    /// <summary>
    /// The arrange every deployment test starts with: a namespace pair (rate-limited to <paramref name="rateMbit"/>),
    /// the image <paramref name="createImage"/> writes into this rig's repo, the server on the host side of the
    /// pair, and a loop disk of <paramref name="diskSize"/> bytes for the agent.
    /// </summary>
    public async Task<(NetPair Net, TImage Image, ServerProcess Server, LoopDevice Disk)> StartDeploymentAsync<TImage>(
        Func<string, TImage> createImage, long diskSize, int? rateMbit = null, bool https = false)
    {
        _net = NetPair.Create(rateMbit);
        TImage image = createImage(Root);
        _server = await ServerProcess.StartAsync(Root, _net.HostIp, https: https);
        _disk = LoopDevice.CreateIn(Root, diskSize);
        return (_net, image, _server, _disk);
    }

    /// <summary>Options for an agent that writes <paramref name="disk"/> and appends its after-action to <see cref="Marker"/> (two lines if it ever ran twice).</summary>
    public List<string> Arguments(string serverUrl, string disk, string mac, string trustedKey = "/nonexistent/trusted.pub")
    {
        var cmdline = Path.Combine(Root, "cmdline");
        File.WriteAllText(cmdline, $"BOOT_IMAGE=/live/vmlinuz boot=live quiet ezio.server={serverUrl} ezio.disk={disk} ezio.after=reboot\n");
        File.WriteAllText(Tty, "");
        return ["--cmdline-file", cmdline, "--mac", mac, "--state-dir", Path.Combine(Root, "state"), "--peer-port", "0",
            "--after-command", $"echo \"$EZIO_AFTER $EZIO_DEPLOYMENT\" >> {Marker}", "--status-tty", Tty,
            "--journal-socket", "/nonexistent/journal.socket", "--trusted-key", trustedKey, "--progress-seconds", "1",
            "--config", WriteConfig()];
    }

    private string WriteConfig()
    {
        var path = Path.Combine(Root, "agent.json");
        File.WriteAllText(path, "{ \"maxBackoffSeconds\": 2 }");
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        _disk?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _net?.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
