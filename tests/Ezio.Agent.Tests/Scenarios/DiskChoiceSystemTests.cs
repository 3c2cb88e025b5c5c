using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// The real agent over a fake sysfs tree (a 931 GiB USB enclosure that says "not removable"
/// and an internal disk too small): the refusal names both disks and why each was passed over,
/// on the console, in the log and on the server (the dashboard's machine message).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DiskChoiceSystemTests
{
    private const long MiB = 1 << 20;

    [SystemFact]
    public async Task Agent_AutoWithUsbDiskAndSmallInternal_RefusedNamingBothReasons()
    {
        await using var rig = new AgentRig();
        ImageRepo.Create(rig.Root, "img", 32 * MiB);
        var sysfs = new FakeSysfs(Path.Combine(rig.Root, "sys"));
        sysfs.AddDisk("sda", FakeSysfs.Sata, 16 * MiB);
        sysfs.AddDisk("sdb", FakeSysfs.Usb, 931L << 30);
        var config = Path.Combine(rig.Root, "agent-sysfs.json");
        File.WriteAllText(config, $"{{ \"maxBackoffSeconds\": 2, \"sysRoot\": \"{sysfs.Root}\" }}");
        const string mac = "02:00:00:00:30:09";
        await using var server = await ServerProcess.StartAsync(rig.Root, "127.0.0.1");
        var arguments = rig.Arguments(server.Url, "auto", mac);
        arguments[arguments.IndexOf("--config") + 1] = config;

        await server.DeployAsync(new CreateDeploymentRequest("img", [mac], AfterAction.Reboot));
        using var agent = AgentProcess.Start(arguments);
        var machine = await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Failed, TimeSpan.FromSeconds(60), () => agent.Output + server.Log);

        // The console screen is redrawn about once a second: wait (bounded) for the refusal on it.
        await agent.WaitUntilAsync(() => File.ReadAllText(rig.Tty).Contains("JOB REFUSED", StringComparison.Ordinal), "JOB REFUSED on the console", TimeSpan.FromSeconds(15));
        foreach (var text in new[] { machine.Message ?? "", agent.Output, File.ReadAllText(rig.Tty) })
        {
            Assert.Contains("/dev/sda, 16.0 MiB", text);
            Assert.Contains("too small", text);
            Assert.Contains("/dev/sdb, 931.0 GiB, usb", text);
            Assert.Contains("on USB", text);
        }
        Assert.StartsWith("no-such-disk:", machine.Message);
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(rig.Marker));
    }
}
