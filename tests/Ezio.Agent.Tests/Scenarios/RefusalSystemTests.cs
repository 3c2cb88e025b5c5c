using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>Every refusal is reported to the server and leaves the disk byte-for-byte untouched.</summary>
[Collection(SystemCollection.Name)]
public sealed class RefusalSystemTests
{
    private const long MiB = 1 << 20;

    private static async Task AssertRefusedAsync(string expectedReason, long diskSize = 48 * MiB, TargetDiskRule? rule = null,
        bool mountDisk = false, bool serverSigns = false, bool agentTrusts = false)
    {
        await using var rig = new AgentRig();
        ImageRepo.Create(rig.Root, "img", 32 * MiB);
        string? signingKey = null;
        var trusted = "/nonexistent/trusted.pub";
        using var serverKey = JobSigner.CreateKey();
        using var otherKey = JobSigner.CreateKey();
        if (serverSigns)
        {
            signingKey = Path.Combine(rig.Root, "signing.pem");
            File.WriteAllText(signingKey, serverKey.ExportPkcs8PrivateKeyPem());
        }
        if (agentTrusts)
        {
            // A key that is not the server's: unsigned and forged jobs both fail against it.
            trusted = Path.Combine(rig.Root, "trusted.pub");
            File.WriteAllText(trusted, otherKey.ExportSubjectPublicKeyInfoPem());
        }
        await using var server = await ServerProcess.StartAsync(rig.Root, "127.0.0.1", signingKey);
        using var disk = LoopDevice.CreateIn(rig.Root, diskSize);
        var mountPoint = Path.Combine(rig.Root, "mnt");
        if (mountDisk)
        {
            // Read-only and fully initialised, so the file system itself writes nothing while mounted.
            Shell.Run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", disk.Path);
            Directory.CreateDirectory(mountPoint);
            Shell.Run("mount", "-o", "ro", disk.Path, mountPoint);
        }
        try
        {
            var before = disk.Hash();
            const string mac = "02:00:00:00:30:01";
            await server.DeployAsync(new CreateDeploymentRequest("img", [mac], AfterAction.Reboot, TargetDisk: rule));
            using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac, trusted));
            var machine = await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Failed, TimeSpan.FromSeconds(60), () => agent.Output + server.Log);
            Assert.StartsWith(expectedReason + ":", machine.Message);
            Assert.Contains("nothing was written", agent.Output);
            // The agent goes back to waiting for a new job (it says so, and fails the wait if it
            // exits instead); over its whole life it neither writes nor reboots.
            await agent.WaitForOutputAsync("waiting for a new one", TimeSpan.FromSeconds(30));
            agent.Terminate();
            Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(File.Exists(rig.Marker));
            Assert.Equal(before, disk.Hash());
        }
        finally
        {
            if (mountDisk)
            {
                Shell.TryRun(TimeSpan.FromSeconds(30), "umount", mountPoint);
            }
        }
    }

    [SystemFact]
    public Task Agent_JobNamesAnotherDisk_RefusesAndWritesNothing() =>
        AssertRefusedAsync("no-such-disk", rule: new TargetDiskRule(TargetDiskKind.ByPath, "/dev/disk/by-path/pci-0000:99:00.0-ata-9"));

    [SystemFact]
    public Task Agent_DiskTooSmall_RefusesAndWritesNothing() => AssertRefusedAsync("too-small", diskSize: 16 * MiB);

    [SystemFact]
    public Task Agent_DiskMounted_RefusesAndWritesNothing() => AssertRefusedAsync("mounted", mountDisk: true);

    [SystemFact]
    public Task Agent_UnsignedJobWithTrustedKey_RefusesAndWritesNothing() => AssertRefusedAsync("unsigned", agentTrusts: true);

    [SystemFact]
    public Task Agent_ForgedSignature_RefusesAndWritesNothing() => AssertRefusedAsync("bad-signature", serverSigns: true, agentTrusts: true);
}
