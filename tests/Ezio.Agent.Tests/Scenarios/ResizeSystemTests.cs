using System.Globalization;
using System.Text.RegularExpressions;
using Ezio.Agent.Disks;
using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Ezio.Imaging;
using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// One image, any disk size, one swarm: a 256 MiB GPT disk (FAT ESP, ext4 root about 40 %
/// used, NTFS data; bench/resize/source-disk.sh) captured or imported with --compact, then
/// deployed by real agents onto loop disks smaller and larger than the source. Every disk is
/// checked with the file systems' own tools and file for file against what was written.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class ResizeSystemTests(ITestOutputHelper output)
{
    private const long MiB = 1 << 20;
    private const long SourceDisk = 256 * MiB;

    /// <summary>0.6 × the source, rounded to whole MiB.</summary>
    private const long Small = 154 * MiB;

    [SystemFact]
    public async Task Agents_DisksOf06And1And2TimesTheSource_OneSwarm_EachDiskLaidOutGrownCheckedAndSameFiles()
    {
        await using var rig = new AgentRig();
        // The server's link is slow, so the machines fetch much of the image from each other.
        var (net, image, server, same) = await rig.StartDeploymentAsync(root => ResizeImage.Capture(root, "mixed"), SourceDisk, rateMbit: 40);
        await using var rig2 = new AgentRig();
        await using var rig3 = new AgentRig();
        using var small = LoopDevice.CreateIn(rig2.Root, Small);
        using var large = LoopDevice.CreateIn(rig3.Root, SourceDisk * 2);
        Assert.True(image.Manifest.MinimumDiskSize < Small, $"minimum disk {image.Manifest.MinimumDiskSize}");
        Assert.All(image.Manifest.PartitionTable.Partitions.Skip(1), p => Assert.True(p.Resizable && p.Compacted == true, p.Device));
        Assert.False(image.Manifest.PartitionTable.Partitions[0].Resizable);

        string[] macs = ["02:00:00:00:22:01", "02:00:00:00:22:02", "02:00:00:00:22:03"];
        var deployment = await server.DeployAsync(new CreateDeploymentRequest("mixed", macs, AfterAction.Reboot,
            Seeding: new SeedingPolicy(true, 10), VerifyAfterWrite: true) { Resize = ResizePolicy.Proportional });
        (AgentRig Rig, LoopDevice Disk)[] machines = [(rig2, small), (rig, same), (rig3, large)];
        var agents = machines.Select((m, i) => AgentProcess.Start(m.Rig.Arguments(server.Url, m.Disk.Path, macs[i]), net)).ToArray();
        try
        {
            var exits = await Task.WhenAll(agents.Select(a => a.WaitForExitAsync(TimeSpan.FromSeconds(300))));
            string Logs() => string.Join("\n", agents.Select((a, i) => $"AGENT {i}:\n{a.Output}")) + "\nSERVER:\n" + server.Log;
            Assert.True(exits.All(e => e == 0), Logs());
            foreach (var (m, i) in machines.Select((m, i) => (m, i)))
            {
                Assert.Equal($"reboot {deployment.Id}", File.ReadAllText(m.Rig.Marker).Trim());
                Assert.Contains("Post-step grow-resized done", agents[i].Output);
                Assert.DoesNotContain("grow-resized failed", agents[i].Output);
            }

            // Peers served each other from their disks: what they uploaded, from the agents' own counters.
            var uploaded = agents.Select(a => Uploaded(a.Output)).ToArray();
            output.WriteLine($"uploaded by the machines: {string.Join(", ", uploaded)} bytes");
            Assert.True(uploaded.Count(u => u > 0) >= 2, "fewer than two machines seeded to their peers: " + string.Join(", ", uploaded));

            foreach (var (m, i) in machines.Select((m, i) => (m, i)))
            {
                var table = ResizeImage.CheckDisk(m.Disk, image, rig.Root);
                var root = table.Partitions.Single(p => p.Number == 2);
                var data = table.Partitions.Single(p => p.Number == 3);
                output.WriteLine($"{m.Disk.Path} ({Size(m.Disk)} bytes): root {root.Size} sectors, data {data.Size} sectors");
                var sourceRoot = image.Manifest.PartitionTable.Partitions[1].Size;
                Assert.True(i switch { 0 => root.Size < sourceRoot, 1 => root.Size >= sourceRoot - 2048, _ => root.Size > sourceRoot * 19 / 10 },
                    $"disk {i}: root has {root.Size} sectors, the source's had {sourceRoot}");
            }
        }
        finally
        {
            foreach (var agent in agents)
            {
                agent.Dispose();
            }
            ForgetPartitions(small, same, large);
        }
    }

    [SystemFact]
    public async Task Agent_DiskBelowTheMinimum_RefusedNamingBothSizes_DiskUntouched()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => ResizeImage.Capture(root, "mixed"), 100 * MiB);
        var before = disk.Hash();
        const string mac = "02:00:00:00:22:09";
        await server.DeployAsync(new CreateDeploymentRequest("mixed", [mac], AfterAction.Reboot) { Resize = ResizePolicy.LastFills });
        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        var machine = await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Failed, TimeSpan.FromSeconds(60), () => agent.Output + server.Log);
        Assert.StartsWith("too-small:", machine.Message);
        Assert.Contains($"({100 * MiB} bytes)", machine.Message);
        Assert.Contains($"({image.Manifest.MinimumDiskSize} bytes)", machine.Message);
        Assert.Contains("nothing was written", agent.Output);
        Assert.Contains($"({image.Manifest.MinimumDiskSize} bytes)", agent.Output);
        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(before, disk.Hash());
    }

    [SystemFact]
    public async Task Agent_ClonezillaImageImportedCompacted_DeploysToASmallerDisk()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => ResizeImage.ImportClonezilla(root, "cz"), Small);
        Assert.True(image.Manifest.PartitionTable.Partitions.Skip(1).All(p => p.Compacted == true));
        const string mac = "02:00:00:00:22:11";
        // No policy in the request: a compacted image is laid out proportionally.
        var deployment = await server.DeployAsync(new CreateDeploymentRequest("cz", [mac], AfterAction.Reboot));
        try
        {
            using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
            Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(240)) == 0, agent.Output + "\nSERVER:\n" + server.Log);
            Assert.Equal($"reboot {deployment.Id}", File.ReadAllText(rig.Marker).Trim());
            Assert.Contains("Post-step grow-resized done", agent.Output);
            var table = ResizeImage.CheckDisk(disk, image, rig.Root);
            Assert.True(table.Partitions.Single(p => p.Number == 2).Size < image.Manifest.PartitionTable.Partitions[1].Size);
        }
        finally
        {
            ForgetPartitions(disk);
        }
    }

    [SystemFact]
    public async Task Agent_KilledMidDeployOnASmallerDisk_RecheckFindsItsPiecesThroughTheLayout_FinishesRight()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => ResizeImage.Capture(root, "mixed"), Small, rateMbit: 40);
        const string mac = "02:00:00:00:22:21";
        await server.DeployAsync(new CreateDeploymentRequest("mixed", [mac], AfterAction.Reboot) { Resize = ResizePolicy.LastFills });
        var arguments = rig.Arguments(server.Url, disk.Path, mac);
        var firstOutput = "";
        try
        {
            using (var first = AgentProcess.Start(arguments, net))
            {
                await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Downloading && m.BytesDone > 30 * MiB, TimeSpan.FromSeconds(120),
                    () => first.Output + server.Log);
                first.KillHard();
                await first.WaitForExitAsync(TimeSpan.FromSeconds(20));
                firstOutput = first.Output;
            }
            Assert.False(File.Exists(rig.Marker));

            using var second = AgentProcess.Start(arguments, net);
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(240)) == 0, second.Output + "\nSERVER:\n" + server.Log);
            // The same layout again, and the pieces already written were found where it puts them.
            Assert.Single(LaidOut().Matches(second.Output));
            Assert.Equal(LaidOut().Match(second.Output).Value, LaidOut().Match(firstOutput).Value);
            var recheck = second.Output.Split('\n').First(l => l.Contains("already on disk after recheck", StringComparison.Ordinal));
            var have = int.Parse(recheck.Split(": ")[1].Split('/')[0], CultureInfo.InvariantCulture);
            Assert.True(have >= 25, $"the restart did not find the pieces written before: {recheck}");
            Assert.True(second.Output.Contains("Post-step grow-resized done", StringComparison.Ordinal), second.Output);
            ResizeImage.CheckDisk(disk, image, rig.Root);
        }
        finally
        {
            ForgetPartitions(disk);
        }
    }

    /// <summary>The kernel's partitions of a loop disk outlive its detach (the agent re-read the table): partx -d first.</summary>
    private static void ForgetPartitions(params LoopDevice[] disks)
    {
        foreach (var disk in disks)
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "partx", "-d", disk.Path);
        }
    }

    private static long Size(LoopDevice disk) => long.Parse(Shell.Run("blockdev", "--getsize64", disk.Path), CultureInfo.InvariantCulture);

    private static long Uploaded(string log) =>
        UploadedLine().Matches(log).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Sum();

    [GeneratedRegex(@"Seeding stopped: .*; uploaded (\d+) bytes")]
    private static partial Regex UploadedLine();

    [GeneratedRegex(@"laid out anew for the image .*")]
    private static partial Regex LaidOut();
}

/// <summary>The source disk of <see cref="ResizeSystemTests"/> made into an image of the rig's repository, and the checks of a deployed disk.</summary>
internal sealed class ResizeImage
{
    private const long MiB = 1 << 20;

    private ResizeImage(ImageManifest manifest, string tree)
    {
        Manifest = manifest;
        Tree = tree;
    }

    public ImageManifest Manifest { get; }

    /// <summary>The files written into the source's file systems: esp/, root/, data/.</summary>
    public string Tree { get; }

    /// <summary>`ezio image capture --compact` of the source disk.</summary>
    public static ResizeImage Capture(string root, string name)
    {
        var (disk, tree) = MakeSource(root, name, clonezilla: null);
        var dir = Path.Combine(root, "repo", name);
        Shell.Run(TimeSpan.FromSeconds(300), Binaries.Agent, "image", "capture", "--compact", disk, dir);
        File.Delete(disk);
        return new ResizeImage(ImageManifest.Load(Path.Combine(dir, "image.json")), tree);
    }

    /// <summary>The source disk saved as a Clonezilla image, then `ezio image import --compact`.</summary>
    public static ResizeImage ImportClonezilla(string root, string name)
    {
        var clonezilla = Path.Combine(root, "clonezilla-" + name);
        var (disk, tree) = MakeSource(root, name, clonezilla);
        File.Delete(disk);
        var dir = Path.Combine(root, "repo", name);
        Shell.Run(TimeSpan.FromSeconds(300), Binaries.Agent, "image", "import", "--compact", clonezilla, dir);
        return new ResizeImage(ImageManifest.Load(Path.Combine(dir, "image.json")), tree);
    }

    private static (string Disk, string Tree) MakeSource(string root, string name, string? clonezilla)
    {
        var disk = Path.Combine(root, $"source-{name}.img");
        var tree = Path.Combine(root, $"tree-{name}");
        var script = Path.Combine(AppContext.BaseDirectory, "Scenarios", "source-disk.sh");
        // 256 MiB: a 32 MiB ESP, a 128 MiB root (58 % of the rest) and NTFS on the rest, both about 37 % full.
        string[] layout = [script, disk, tree, "256", "58", "37"];
        Shell.Run(TimeSpan.FromSeconds(300), "bash", clonezilla is null ? layout : [.. layout, clonezilla]);
        return (disk, tree);
    }

    /// <summary>
    /// sgdisk -v; the ESP (fsck.vfat -n), root (e2fsck -fn) and data (ntfsfix -n) clean and each
    /// file system filling its partition; every file of the tree read back byte for byte.
    /// </summary>
    public static PartitionTable CheckDisk(LoopDevice disk, ResizeImage image, string scratch)
    {
        var verify = Shell.TryRun(TimeSpan.FromSeconds(30), "sgdisk", "-v", disk.Path);
        Assert.True(verify.Output.Contains("No problems found", StringComparison.Ordinal), $"sgdisk -v {disk.Path}: {verify.Output}");
        var table = PartitionTable.ParseSfdiskJson(Shell.Run("sfdisk", "--json", disk.Path));
        Assert.All(table.Partitions, p => Assert.Equal(0, p.Start % 2048));
        Assert.Equal(image.Manifest.PartitionTable.Partitions[0].Size, table.Partitions.Single(p => p.Number == 1).Size);
        var output = Path.Combine(scratch, "check-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(output);
        try
        {
            using (var esp = PartitionLoop.Open(disk.Path, table.Partitions.Single(p => p.Number == 1)))
            {
                AssertClean("fsck.vfat", "-n", esp.Path);
                Directory.CreateDirectory(Path.Combine(output, "esp"));
                Shell.Run("mcopy", "-s", "-n", "-i", esp.Path, "::/EFI", "::/loader.conf", Path.Combine(output, "esp"));
            }
            AssertSameFiles(Path.Combine(image.Tree, "esp"), Path.Combine(output, "esp"));

            var rootPartition = table.Partitions.Single(p => p.Number == 2);
            using (var root = PartitionLoop.Open(disk.Path, rootPartition))
            {
                AssertClean("e2fsck", "-f", "-n", root.Path);
                Assert.True(root.FilesystemBytes() > rootPartition.Size * 512 - 4 * MiB, $"ext4 is {root.FilesystemBytes()} bytes in a {rootPartition.Size * 512}-byte partition");
                Directory.CreateDirectory(Path.Combine(output, "root"));
                Shell.Run("debugfs", "-R", $"rdump /etc /srv {Path.Combine(output, "root")}", root.Path);
            }
            AssertSameFiles(Path.Combine(image.Tree, "root"), Path.Combine(output, "root"));

            var dataPartition = table.Partitions.Single(p => p.Number == 3);
            using (var data = PartitionLoop.Open(disk.Path, dataPartition))
            {
                AssertClean("ntfsfix", "-n", data.Path);
                var info = Shell.Run("ntfsinfo", "-m", "-f", data.Path);
                var volume = NtfsBytes(info);
                Assert.True(volume > dataPartition.Size * 512 - 4 * MiB, $"NTFS is {volume} bytes in a {dataPartition.Size * 512}-byte partition");
                var dataOut = Path.Combine(output, "data");
                Directory.CreateDirectory(dataOut);
                // The volume's root holds every file (ntfscp writes into existing directories only).
                foreach (var file in Directory.EnumerateFiles(Path.Combine(image.Tree, "data")))
                {
                    var name = Path.GetFileName(file);
                    Shell.Run("sh", "-c", $"ntfscat -f {data.Path} {name} > {Path.Combine(dataOut, name)}");
                }
            }
            AssertSameFiles(Path.Combine(image.Tree, "data"), Path.Combine(output, "data"));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
        return table;
    }

    /// <summary>"Volume Size in Clusters" × "Cluster Size" from `ntfsinfo -m`.</summary>
    private static long NtfsBytes(string ntfsinfo)
    {
        var fields = ntfsinfo.Split('\n').Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        return long.Parse(fields["Volume Size in Clusters"], CultureInfo.InvariantCulture) * long.Parse(fields["Cluster Size"], CultureInfo.InvariantCulture);
    }

    private static void AssertClean(string tool, params string[] arguments)
    {
        var result = Shell.TryRun(TimeSpan.FromSeconds(120), tool, arguments);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Output}");
    }

    private static void AssertSameFiles(string expected, string actual)
    {
        var files = Directory.EnumerateFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order().ToList();
        Assert.NotEmpty(files);
        Assert.Equal(files, Directory.EnumerateFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order().ToList());
        foreach (var file in files)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))), $"{file} differs");
        }
    }
}
