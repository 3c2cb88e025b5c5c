using Ezio.Imaging.Tests.Clonezilla;
using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Capture;

/// <summary>A captured disk's swap partition deploys with the UUID and label fstab refers to.</summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class CaptureSwapTests
{
    private const string Uuid = "c0ffee00-0000-4000-8000-000000000082";

    [ToolFact(true, "sfdisk", "losetup", "mkswap", "blkid", "blockdev")]
    public async Task CaptureSeedGet_SwapPartition_KeepsUuidAndLabel()
    {
        using var temp = new TempDirectory();
        string disk = temp.File("disk.img");
        Sized(disk, 64L << 20);
        string script = temp.File("table.sfdisk");
        File.WriteAllText(script, "label: dos\nstart=2048, size=65536, type=82\n");
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", disk], stdoutFile: null, stdinFile: script);
        using (var part = LoopDevice.Attach(disk, 2048 * 512, 65536 * 512))
        {
            Shell.Run("mkswap", "-U", Uuid, "-L", "capswap", part.Path);
        }
        string imageDir = temp.File("repo/swap");
        using (var whole = LoopDevice.Attach(disk))
        {
            EzioCli.Run("image", "capture", whole.Path, imageDir);
        }
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        Assert.Equal(("swap", 4096L), (manifest.PartitionTable.Partitions[0].Content, manifest.PartitionTable.Partitions[0].UsedBytes));

        string target = temp.File("target.img");
        Sized(target, 64L << 20);
        string table = temp.File("apply.sfdisk");
        File.WriteAllText(table, TestDisk.Anonymous(manifest.PartitionTable.Sfdisk));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", target], stdoutFile: null, stdinFile: table);
        await ImportDeployTests.DeployAsync(Path.Combine(imageDir, manifest.Torrent), imageDir, target);
        using var check = LoopDevice.Attach(target, 2048 * 512, 65536 * 512);
        string probe = Shell.Run("blkid", "-p", "-o", "export", check.Path);
        Assert.Contains("TYPE=swap", probe);
        Assert.Contains($"UUID={Uuid}", probe);
        Assert.Contains("LABEL=capswap", probe);
    }

    private static void Sized(string path, long size)
    {
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(size);
    }
}
