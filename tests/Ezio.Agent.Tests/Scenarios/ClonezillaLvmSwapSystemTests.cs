using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Ezio.Agent.Disks;
using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Ezio.Imaging;
using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// Disks saved by the real `ocs-sr savedisk` (the Imaging tests' Fixtures/ocs-sr) → `ezio image
/// import` into the real ezio-server's repository → the real agent writes them onto a loop disk.
/// On the deployed disk alone: lvm2 reads the VG, every LV and plain partition passes fsck and
/// holds the files the fixture recorded, and swap comes back with its UUID and label.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ClonezillaLvmSwapSystemTests
{
    [SystemFact]
    public async Task Agent_OcsSrGptLvm_VgReadByLvmAndEveryLvCleanWithItsFiles()
    {
        await using var rig = new AgentRig();
        var (manifest, sums) = Import(rig.Root, "gpt-lvm");
        var (net, _, server, disk) = await rig.StartDeploymentAsync(_ => manifest, manifest.DiskSize);
        try
        {
            var table = await DeployAsync(rig, net, server, disk, "gpt-lvm", "02:00:00:00:40:01");
            var pv = table.Partitions.Single(p => p.Number == 3);
            Assert.Equal(manifest.PartitionTable.Partitions.Single(p => p.Device == "sda3").Start, pv.Start);

            using (var pvLoop = LoopDevice.Attach(disk.Path, pv.Start * 512, pv.Size * 512))
            {
                // lvm2 finds PV, VG and both LVs in the bytes the agent wrote.
                Assert.Contains("Vgtest-Pv00-0000-0000-0000-0000-000001", LvmTools.Run(pvLoop.Path, "pvs", "--noheadings", "-o", "vg_name,pv_uuid"));
                Assert.Matches(new Regex(@"^\s*vgtest\s+2\s*$", RegexOptions.Multiline), LvmTools.Run(pvLoop.Path, "vgs", "--noheadings", "-o", "vg_name,lv_count"));
                Assert.Equal(["data", "root"], LvmTools.Run(pvLoop.Path, "lvs", "--noheadings", "-o", "lv_name", "vgtest").Split('\n').Select(l => l.Trim()).Order());
                var peStart = LvmTools.Bytes(pvLoop.Path, "pvs", "pe_start", pvLoop.Path);
                var extent = LvmTools.Bytes(pvLoop.Path, "vgs", "vg_extent_size", "vgtest");
                var segments = LvmTools.Run(pvLoop.Path, "lvs", "--noheadings", "--separator", ";", "-o", "lv_name,seg_pe_ranges", "--sort", "lv_name,seg_start_pe", "vgtest")
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Trim().Split(';')).ToList();
                Assert.Equal(["data", "root"], segments.Select(s => s[0]));
                foreach (var segment in segments)
                {
                    // One linear range each, "/dev/loopN:first-last" in extents of the PV.
                    var ends = segment[1][(segment[1].LastIndexOf(':') + 1)..].Split('-').Select(e => long.Parse(e, CultureInfo.InvariantCulture)).ToArray();
                    using var lvLoop = LoopDevice.Attach(disk.Path, pv.Start * 512 + peStart + ends[0] * extent, (ends[1] - ends[0] + 1) * extent);
                    if (segment[0] == "root")
                    {
                        Shell.Run("e2fsck", "-fn", lvLoop.Path);
                        AssertFiles(sums, "vgtest-root", lvLoop.Path, Path.Combine(rig.Root, "mnt"), "ro,noload");
                    }
                    else
                    {
                        Shell.Run("xfs_repair", "-n", lvLoop.Path);
                        AssertFiles(sums, "vgtest-data", lvLoop.Path, Path.Combine(rig.Root, "mnt"), "ro,norecovery");
                    }
                }

                // As on a machine that already has a vgtest: the deployed PV takes a new VG name and UUIDs.
                LvmTools.Run(pvLoop.Path, "vgimportclone", "--basevgname", "vgclone", pvLoop.Path);
                Assert.Matches(new Regex(@"^\s*vgclone\s+2\s*$", RegexOptions.Multiline), LvmTools.Run(pvLoop.Path, "vgs", "--noheadings", "-o", "vg_name,lv_count"));
            }

            var boot = table.Partitions.Single(p => p.Number == 2);
            using var bootLoop = LoopDevice.Attach(disk.Path, boot.Start * 512, boot.Size * 512);
            Shell.Run("e2fsck", "-fn", bootLoop.Path);
            AssertFiles(sums, "sda2", bootLoop.Path, Path.Combine(rig.Root, "mnt"), "ro,noload");
        }
        finally
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "partx", "-d", disk.Path);
        }
    }

    [SystemFact]
    public async Task Agent_OcsSrSwapInExtendedPartition_SwapHasUuidAndLabelAndExt4Clean()
    {
        await using var rig = new AgentRig();
        var (manifest, sums) = Import(rig.Root, "mbr-swap-extended");
        var (net, _, server, disk) = await rig.StartDeploymentAsync(_ => manifest, manifest.DiskSize);
        try
        {
            var table = await DeployAsync(rig, net, server, disk, "mbr-swap-extended", "02:00:00:00:40:02");
            var swap = table.Partitions.Single(p => p.Number == 5);
            using (var swapLoop = LoopDevice.Attach(disk.Path, swap.Start * 512, swap.Size * 512))
            {
                var probe = Shell.Run("blkid", "-p", "-o", "export", swapLoop.Path);
                Assert.Contains("TYPE=swap", probe);
                Assert.Contains("UUID=5a1e0000-0000-4000-8000-000000000005", probe);
                Assert.Contains("LABEL=swap0", probe);
            }
            foreach (var number in new[] { 1, 6 })
            {
                var p = table.Partitions.Single(x => x.Number == number);
                using var loop = LoopDevice.Attach(disk.Path, p.Start * 512, p.Size * 512);
                Shell.Run("e2fsck", "-fn", loop.Path);
                AssertFiles(sums, $"sda{number}", loop.Path, Path.Combine(rig.Root, "mnt"), "ro,noload");
            }
        }
        finally
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "partx", "-d", disk.Path);
        }
    }

    /// <summary>Imports the fixture with the real `ezio image import` into the rig's repository as image <paramref name="name"/>.</summary>
    private static (ImageManifest Manifest, string Sums) Import(string root, string name)
    {
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "ocs-sr");
        var dir = Path.Combine(root, "repo", name);
        Shell.Run(Binaries.Agent, "image", "import", Path.Combine(fixture, name), dir, "--piece-size", "256K");
        var manifest = ImageManifest.Load(Path.Combine(dir, "image.json"));
        Assert.Equal(name + ".torrent", manifest.Torrent);
        return (manifest, Path.Combine(fixture, name + ".files.sha256"));
    }

    /// <summary>Deploys <paramref name="image"/> to <paramref name="mac"/>, runs the agent to its after-action and returns the table it wrote.</summary>
    private static async Task<PartitionTable> DeployAsync(AgentRig rig, NetPair net, ServerProcess server, LoopDevice disk, string image, string mac)
    {
        var deployment = await server.DeployAsync(new CreateDeploymentRequest(image, [mac], AfterAction.Reboot));
        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        var exit = await agent.WaitForExitAsync(TimeSpan.FromSeconds(180));
        Assert.True(exit == 0, "AGENT:\n" + agent.Output + "\nSERVER:\n" + server.Log);
        Assert.Equal($"reboot {deployment.Id}", File.ReadAllText(rig.Marker).Trim());
        Assert.Equal(DeployPhase.Done, (await server.MachineAsync(mac))!.Phase);
        return PartitionTable.ParseSfdiskJson(Shell.Run("sfdisk", "--json", disk.Path));
    }

    /// <summary>Mounts <paramref name="device"/> read-only and compares every file the fixture lists under <paramref name="prefix"/>.</summary>
    private static void AssertFiles(string sums, string prefix, string device, string mountPoint, string options)
    {
        var entries = File.ReadAllLines(sums).Select(l => l.Split("  ", 2))
            .Where(f => f.Length == 2 && f[1].StartsWith(prefix + "/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(entries);
        Directory.CreateDirectory(mountPoint);
        Shell.Run("mount", "-o", options, device, mountPoint);
        try
        {
            foreach (var entry in entries)
            {
                using var file = File.OpenRead(Path.Combine(mountPoint, entry[1][(prefix.Length + 1)..]));
                Assert.Equal(entry[0], Convert.ToHexStringLower(SHA256.HashData(file)));
            }
        }
        finally
        {
            Shell.Run("umount", mountPoint);
        }
    }
}
