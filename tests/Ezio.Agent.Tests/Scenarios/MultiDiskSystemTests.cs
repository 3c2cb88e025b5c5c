using System.Security.Cryptography;
using System.Text.Json;
using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// The real two-disk `ocs-sr savedisk` (tests/Ezio.Imaging.Tests/Fixtures/ocs-sr/multi-disk:
/// sda GPT with sda1 ext4, sdb MBR with sdb1 ext4) imported by `ezio image import`, deployed by
/// the real server and agent onto two loop disks named by ezio.disk in image order: each disk
/// gets its own table and file system, fsck-clean and holding the files ocs-sr saved. With one
/// disk the job is refused naming the image's disks, and the disk is left byte for byte.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class MultiDiskSystemTests
{
    private const long MiB = 1 << 20;

    private static string Source => Path.Combine(Binaries.RepoRoot, "tests", "Ezio.Imaging.Tests", "Fixtures", "ocs-sr", "multi-disk");

    private static string Import(string root)
    {
        var image = Path.Combine(root, "repo", "two");
        Shell.Run(Binaries.Agent, "image", "import", Source, image, "--piece-size", "64K");
        return image;
    }

    [SystemFact]
    public async Task Agent_TwoDiskImageOntoTwoDisks_BothDeployedCleanAndFileIdentical()
    {
        await using var rig = new AgentRig();
        // sda's target is larger than sda was: its GPT backup header must move to the real end.
        var (net, _, server, diskA) = await rig.StartDeploymentAsync(Import, 80 * MiB);
        using var diskB = LoopDevice.CreateIn(rig.Root, 64 * MiB);
        const string mac = "02:00:00:00:40:01";
        await server.DeployAsync(new CreateDeploymentRequest("two", [mac], AfterAction.Reboot, Seeding: new SeedingPolicy(false, 0)));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, $"{diskA.Path},{diskB.Path}", mac), net);
        string Diagnostics() => "AGENT:\n" + agent.Output + "\nSERVER:\n" + server.Log;
        await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Done, TimeSpan.FromSeconds(120), Diagnostics);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("No problems found", Shell.TryRun(TimeSpan.FromSeconds(30), "sgdisk", "-v", diskA.Path).Output);
        var expected = File.ReadAllLines(Source + ".files.sha256").Select(l => l.Split("  ", 2)).ToDictionary(p => p[1], p => p[0]);
        (LoopDevice Disk, string Label, string Part)[] disks = [(diskA, "gpt", "sda1"), (diskB, "dos", "sdb1")];
        foreach (var (disk, label, part) in disks)
        {
            // The table the agent applied, read back from the disk.
            using var table = JsonDocument.Parse(Shell.Run("sfdisk", "--json", disk.Path));
            var partitionTable = table.RootElement.GetProperty("partitiontable");
            Assert.Equal(label, partitionTable.GetProperty("label").GetString());
            var first = Assert.Single(partitionTable.GetProperty("partitions").EnumerateArray().ToList());
            var start = first.GetProperty("start").GetInt64() * 512;
            var size = first.GetProperty("size").GetInt64() * 512;
            using var loop = LoopDevice.Attach(disk.BackingFile, start, size);
            var mountPoint = Path.Combine(rig.Root, "mnt-" + part);
            Directory.CreateDirectory(mountPoint);
            Shell.Run("e2fsck", "-fn", loop.Path);
            Shell.Run("mount", "-o", "ro", loop.Path, mountPoint);
            try
            {
                var files = expected.Keys.Where(f => f.StartsWith(part + "/", StringComparison.Ordinal)).ToList();
                Assert.Equal(3, files.Count);
                foreach (var f in files)
                {
                    Assert.Equal(expected[f], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(mountPoint, f[(part.Length + 1)..])))));
                }
            }
            finally
            {
                Shell.Run("umount", mountPoint);
            }
        }
    }

    [SystemFact]
    public async Task Agent_TwoDiskImageOneDisk_RefusesNamingTheDisksAndWritesNothing()
    {
        await using var rig = new AgentRig();
        Import(rig.Root);
        await using var server = await ServerProcess.StartAsync(rig.Root, "127.0.0.1");
        using var disk = LoopDevice.CreateIn(rig.Root, 64 * MiB);
        using (var handle = File.OpenHandle(disk.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            RandomAccess.Write(handle, RandomNumberGenerator.GetBytes((int)MiB), 0);
            RandomAccess.Write(handle, RandomNumberGenerator.GetBytes((int)MiB), 32 * MiB);
        }
        var before = disk.Hash();
        const string mac = "02:00:00:00:40:02";
        await server.DeployAsync(new CreateDeploymentRequest("two", [mac], AfterAction.Reboot));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac));
        var machine = await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Failed, TimeSpan.FromSeconds(60), () => agent.Output + server.Log);

        Assert.StartsWith("no-such-disk:", machine.Message);
        Assert.Contains("the image holds 2 disks (sda 64.0 MiB, sdb 64.0 MiB)", machine.Message);
        Assert.Contains("nothing was written", agent.Output);
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(before, disk.Hash());
    }
}
