using System.Net.Http.Json;
using Ezio.Agent.Disks;
using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// The grow and hostname post-steps with the real agent, server and tools: a GPT Linux image
/// deployed onto a larger loop disk. They rewrite the middle of the disk, so they must wait
/// until seeding is over; the test looks at the disk while the agent seeds, then after.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PostStepSystemTests(ITestOutputHelper output)
{
    private const long MiB = 1 << 20;

    [SystemFact]
    public async Task Agent_GrowAndHostname_RunAfterSeedingEndsThenDiskIsGrownCleanAndRenamed()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => LinuxImage.Create(root, "linux", 32 * MiB), 64 * MiB);
        const string mac = "02:00:00:00:30:01";
        const string other = "02:00:00:00:30:02";
        var deployment = await server.DeployAsync(new CreateDeploymentRequest("linux", [mac, other], AfterAction.Reboot,
            Seeding: new SeedingPolicy(true, 10), GrowLastPartition: true, VerifyAfterWrite: true,
            HostnameTemplate: "lab-{mac6}"));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        string Diagnostics() => "AGENT:\n" + agent.Output + "\nSERVER:\n" + server.Log;

        // Seeding: the backup GPT header is already at the real end, but the middle of the disk
        // is still the image byte for byte (peers verify it against the piece hashes).
        await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Seeding, TimeSpan.FromSeconds(90), Diagnostics);
        Assert.Contains("No problems found", Shell.TryRun(TimeSpan.FromSeconds(30), "sgdisk", "-v", disk.Path).Output);
        Assert.Equal(image.Root.Size, ReadTable(disk).Partitions.Single(p => p.Number == 2).Size);
        Assert.True(ImageRepo.SameBytes(disk, image.Data, MiB, 31 * MiB), "the middle of the disk changed while seeding");
        using (var seeding = PartitionLoop.Open(disk.Path, image.Root))
        {
            Assert.Equal(LinuxImage.OriginalHostname, seeding.Cat("/etc/hostname"));
        }
        Assert.DoesNotContain("Post-step", agent.Output);

        // The other machine is done: seeding stops, the post-steps run, then the after-action.
        await server.ReportOtherDoneAsync(other, deployment.Id);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.Equal($"reboot {deployment.Id}", File.ReadAllText(rig.Marker).Trim());

        // Order in the agent's log: verify, seeding, grow, hostname, after-action.
        var log = agent.Output;
        output.WriteLine(log);
        int At(string text)
        {
            var i = log.IndexOf(text, StringComparison.Ordinal);
            Assert.True(i >= 0, $"'{text}' missing from the agent's log:\n{log}");
            return i;
        }
        var order = new[] { At("Verified "), At("Seeding stopped"), At("Post-step grow-last-partition done"), At("Post-step hostname done"), At("After-action reboot") };
        Assert.Equal(order.Order(), order);
        // The verify pass read the loop disk with O_DIRECT (it logs when it has to fall back).
        Assert.DoesNotContain("does not take O_DIRECT", log);
        Assert.DoesNotContain("Post-step grow-last-partition failed", log);
        Assert.DoesNotContain("Post-step hostname failed", log);

        // The table: GPT clean, the backup header at the real end, partition 2 up to the last usable sector.
        Assert.Contains("No problems found", Shell.TryRun(TimeSpan.FromSeconds(30), "sgdisk", "-v", disk.Path).Output);
        var table = ReadTable(disk);
        var diskSectors = 64 * MiB / 512;
        Assert.Equal(diskSectors - 34, table.LastUsable);
        var root = table.Partitions.Single(p => p.Number == 2);
        Assert.Equal(image.Root.Start, root.Start);
        Assert.Equal(diskSectors - 34, root.End);

        // The filesystem: clean, grown to (nearly) the whole partition, content intact, renamed.
        using var part = PartitionLoop.Open(disk.Path, root);
        var fsck = Shell.TryRun(TimeSpan.FromSeconds(60), "e2fsck", "-f", "-n", part.Path);
        Assert.True(fsck.ExitCode == 0, "e2fsck -fn: " + fsck.Output);
        var fsBytes = part.FilesystemBytes();
        Assert.True(fsBytes > image.Root.Size * 512 + 28 * MiB, $"filesystem is {fsBytes} bytes, the image's partition was {image.Root.Size * 512}");
        Assert.True(fsBytes <= root.Size * 512, $"filesystem ({fsBytes}) larger than its partition ({root.Size * 512})");
        Assert.Equal("lab-003001", part.Cat("/etc/hostname"));
        Assert.Contains("127.0.1.1\tlab-003001", part.Cat("/etc/hosts"));
        Assert.DoesNotContain(LinuxImage.OriginalHostname, part.Cat("/etc/hosts"));
        Assert.True(part.Dump("/srv/blob", rig.Root).AsSpan().SequenceEqual(image.Blob), "/srv/blob changed");

        var machine = (await server.MachineAsync(mac))!;
        Assert.Equal(DeployPhase.Done, machine.Phase);
        Assert.Equal("next: reboot", machine.Message);
    }

    [SystemFact]
    public async Task Agent_GrowOnDosLogicalPartition_GrowsExtendedThenLogicalAndTheFilesystem()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => LinuxImage.Create(root, "dos", 32 * MiB, dosLogical: true), 64 * MiB);
        const string mac = "02:00:00:00:60:01";
        await server.DeployAsync(new CreateDeploymentRequest("dos", [mac], AfterAction.Reboot, Seeding: new SeedingPolicy(true, 10),
            GrowLastPartition: true, Hostnames: new Dictionary<string, string> { [mac] = "dos-pc" }));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        output.WriteLine(agent.Output);
        Assert.Contains("Post-step grow-last-partition done: partition 5 grown", agent.Output);

        var table = ReadTable(disk);
        var lastSector = 64 * MiB / 512 - 1;
        Assert.False(table.IsGpt);
        Assert.Equal(lastSector, table.Partitions.Single(p => p.Number == 2).End);
        var root = table.Partitions.Single(p => p.Number == 5);
        Assert.Equal((image.Root.Start, lastSector), (root.Start, root.End));
        var verify = Shell.TryRun(TimeSpan.FromSeconds(30), "sfdisk", "--verify", disk.Path);
        Assert.True(verify.ExitCode == 0, "sfdisk --verify: " + verify.Output);

        using var part = PartitionLoop.Open(disk.Path, root);
        var fsck = Shell.TryRun(TimeSpan.FromSeconds(60), "e2fsck", "-f", "-n", part.Path);
        Assert.True(fsck.ExitCode == 0, "e2fsck -fn: " + fsck.Output);
        Assert.True(part.FilesystemBytes() > image.Root.Size * 512 + 28 * MiB, "the filesystem did not grow");
        Assert.Equal("dos-pc", part.Cat("/etc/hostname"));
        Assert.True(part.Dump("/srv/blob", rig.Root).AsSpan().SequenceEqual(image.Blob), "/srv/blob changed");
    }

    [SystemFact]
    public async Task Agent_PostStepsOnImageWithoutLinuxRoot_GrowsPartitionOnlySkipsHostnameStillFinishes()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => ImageRepo.Create(root, "opaque", 16 * MiB), 40 * MiB);
        const string mac = "02:00:00:00:40:01";
        await server.DeployAsync(new CreateDeploymentRequest("opaque", [mac], AfterAction.Reboot, Seeding: new SeedingPolicy(true, 10),
            GrowLastPartition: true, Hostnames: new Dictionary<string, string> { [mac] = "pc-40" }));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        output.WriteLine(agent.Output);
        Assert.StartsWith("reboot ", File.ReadAllText(rig.Marker));

        var log = agent.Output;
        Assert.Contains("Post-step grow-last-partition done: partition 1 grown from", log);
        Assert.Contains("filesystem unknown is not one this agent grows", log);
        Assert.Contains("Post-step hostname skipped: no Linux root filesystem found", log);
        Assert.Contains("No problems found", Shell.TryRun(TimeSpan.FromSeconds(30), "sgdisk", "-v", disk.Path).Output);
        Assert.Equal(40 * MiB / 512 - 34, ReadTable(disk).Partitions.Single().End);
        Assert.True(ImageRepo.SameBytes(disk, image, MiB, 15 * MiB), "the partition's content changed");

        // Reported, not failed: the boot menu stays on the local disk, no redeploy.
        var machine = (await server.MachineAsync(mac))!;
        Assert.Equal(DeployPhase.Done, machine.Phase);
        Assert.Contains("hostname skipped: no Linux root filesystem found", machine.Message);
        Assert.Contains("LOCALBOOT", File.ReadAllText(Path.Combine(server.BootDir, "pxelinux.cfg", "01-" + MacAddress.WithDashes(mac))));
    }

    [SystemFact]
    public async Task Agent_PostStepFails_ReportedWithTheFinalStatusNoFailedDeploymentNoRedeploy()
    {
        await using var rig = new AgentRig();
        // Random bytes behind an NTFS signature: the partition grows, ntfsresize refuses the rest.
        var (net, _, server, disk) = await rig.StartDeploymentAsync(root => ImageRepo.Create(root, "fakentfs", 16 * MiB, data =>
        {
            using var f = new FileStream(data, FileMode.Open, FileAccess.Write);
            f.Position = 2048 * 512 + 3;
            f.Write("NTFS    "u8);
        }), 40 * MiB);
        const string mac = "02:00:00:00:50:01";
        var deployment = await server.DeployAsync(new CreateDeploymentRequest("fakentfs", [mac], AfterAction.Reboot,
            Seeding: new SeedingPolicy(true, 10), GrowLastPartition: true));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        output.WriteLine(agent.Output);
        Assert.Equal($"reboot {deployment.Id}", File.ReadAllText(rig.Marker).Trim());

        var log = agent.Output;
        Assert.Contains("Post-step grow-last-partition failed: ntfsresize failed", log);
        Assert.DoesNotContain($"Deployment {deployment.Id} failed", log);
        Assert.Single(log.Split('\n'), l => l.Contains("Registered as", StringComparison.Ordinal));
        Assert.Equal(40 * MiB / 512 - 34, ReadTable(disk).Partitions.Single().End);

        var machine = (await server.MachineAsync(mac))!;
        Assert.Equal(DeployPhase.Done, machine.Phase);
        Assert.Contains("grow-last-partition failed: ntfsresize failed", machine.Message);
        var info = (await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, DeploymentJsonContext.Default.IReadOnlyListDeploymentInfo))!.Single();
        Assert.Equal((1, 0), (info.MachinesDone, info.MachinesFailed));
        Assert.Contains("LOCALBOOT", File.ReadAllText(Path.Combine(server.BootDir, "pxelinux.cfg", "01-" + MacAddress.WithDashes(mac))));
    }

    [SystemFact]
    public async Task Agent_GrowOnLvmPhysicalVolume_PvresizeFillsThePartitionVgGainsFreeExtentsLvKeepsItsSize()
    {
        await using var rig = new AgentRig();
        // Partition 1 of a 16 MiB GPT image (sectors 2048 to the last usable one) holds a PV, VG "vgpv"
        // with 1 MiB extents and a 4 MiB LV, written by lvm2 as metadata only (no activation).
        const long imagePartitionBytes = (16 * MiB / 512 - 33 - 2048) * 512;
        var (net, _, server, disk) = await rig.StartDeploymentAsync(root => ImageRepo.Create(root, "lvm", 16 * MiB, data =>
        {
            using var pv = LoopDevice.Attach(data, offset: MiB, sizeLimit: imagePartitionBytes);
            LvmTools.Run(pv.Path, "pvcreate", "-y", pv.Path);
            LvmTools.Run(pv.Path, "vgcreate", "-s", "1m", "vgpv", pv.Path);
            LvmTools.Run(pv.Path, "lvcreate", "-an", "-Zn", "-L", "4m", "-n", "keep", "vgpv");
        }), 64 * MiB);
        const string mac = "02:00:00:00:70:01";
        await server.DeployAsync(new CreateDeploymentRequest("lvm", [mac], AfterAction.Reboot, Seeding: new SeedingPolicy(true, 10), GrowLastPartition: true));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        output.WriteLine(agent.Output);
        Assert.Contains("Post-step grow-last-partition done: partition 1 grown", agent.Output);
        Assert.Contains("LVM physical volume grown with pvresize; its logical volumes keep their sizes", agent.Output);

        var part = ReadTable(disk).Partitions.Single();
        Assert.Equal((2048L, 64 * MiB / 512 - 34), (part.Start, part.End));
        using var pv = PartitionLoop.Open(disk.Path, part);
        // The PV spans the whole partition: every whole extent after pe_start; the VG's new
        // extents are free, the LV kept its 4 MiB.
        var peStart = LvmTools.Bytes(pv.Path, "pvs", "pe_start", pv.Path);
        Assert.Equal(part.Size * 512, LvmTools.Bytes(pv.Path, "pvs", "dev_size", pv.Path));
        Assert.Equal((part.Size * 512 - peStart) / MiB * MiB, LvmTools.Bytes(pv.Path, "pvs", "pv_size", pv.Path));
        Assert.True(LvmTools.Bytes(pv.Path, "pvs", "pv_size", pv.Path) > imagePartitionBytes, "the PV did not grow");
        Assert.Equal((part.Size * 512 - peStart) / MiB - 4, LvmTools.Bytes(pv.Path, "vgs", "vg_free_count", "vgpv"));
        Assert.Equal(4 * MiB, LvmTools.Bytes(pv.Path, "lvs", "lv_size", "vgpv/keep"));
    }

    private static PartitionTable ReadTable(LoopDevice disk) => PartitionTable.ParseSfdiskJson(Shell.Run("sfdisk", "--json", disk.Path));
}
