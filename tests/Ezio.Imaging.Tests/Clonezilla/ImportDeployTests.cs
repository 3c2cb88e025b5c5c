using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// Whole flow with the real tools: a two-partition GPT disk → Clonezilla image dir (partclone
/// images in two option sets, gz and split zst) → `ezio image import` → `ezio seed` from the
/// image dir → `ezio get` onto a fresh disk file → used blocks equal partclone's restore.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class ImportDeployTests
{
    [ToolFact(true, "sfdisk", "losetup", "mkfs.ext4", "mount", "partclone.ext4", "e2fsck", "zstd", "pigz")]
    public async Task ImportSeedGet_ClonezillaGptImage_DeploysUsedBlocksBootAreaAndCleanFileSystems()
    {
        using var temp = new TempDirectory();
        string disk = TestDisk.Create(temp.Path);
        string cz = Path.Combine(temp.Path, "cz");
        Directory.CreateDirectory(cz);
        File.WriteAllText(Path.Combine(cz, "disk"), "sda\n");
        File.WriteAllText(Path.Combine(cz, "parts"), "sda1 sda2\n");
        string dump = TestDisk.DumpAsSda(disk);
        File.WriteAllText(Path.Combine(cz, "sda-pt.sf"), dump);
        File.WriteAllBytes(Path.Combine(cz, "sda-mbr"), TestDisk.ReadRange(disk, 0, 512));
        File.WriteAllBytes(Path.Combine(cz, "sda-hidden-data-after-mbr"), TestDisk.ReadRange(disk, 512, 2047 * 512));

        // sda1: Clonezilla's options (-z 10485760), gzip; sda2: -k 7 -K (no reseed), zstd split in 100 kB chunks.
        string[] ptcl = new string[2];
        for (int i = 0; i < 2; i++)
        {
            ptcl[i] = Path.Combine(temp.Path, $"sda{i + 1}.ptcl");
            using var loop = LoopDevice.Attach(disk, TestDisk.Partitions[i].Start * 512, TestDisk.Partitions[i].Size * 512);
            string[] options = i == 0 ? ["-z", "10485760"] : ["-k", "7", "-K"];
            Shell.Run("partclone.ext4", ["-c", "-q", "-L", temp.File($"p{i}.log"), .. options, "-s", loop.Path, "-o", ptcl[i]], stdoutFile: null);
        }
        Shell.Run("pigz", ["-c", ptcl[0]], stdoutFile: Path.Combine(cz, "sda1.ext4-ptcl-img.gz"));
        string zst = Path.Combine(cz, "sda2.ext4-ptcl-img.zst");
        Shell.Run("zstd", ["-q", "-c", ptcl[1]], stdoutFile: zst);
        TestDisk.Split(zst);

        string repo = Path.Combine(temp.Path, "repo");
        string imageDir = Path.Combine(repo, "lab");
        EzioCli.Run("image", "import", cz, imageDir, "--piece-size", "256K");
        Assert.Contains("all", EzioCli.Run("image", "verify", imageDir));
        string info = EzioCli.Run("image", "info", imageDir);
        Assert.Contains("sda2", info);
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        Assert.Equal("gpt", manifest.PartitionTable.Label);
        Assert.Equal(2, manifest.PartitionTable.Partitions.Count);
        Assert.All(manifest.PartitionTable.Partitions, p => Assert.Equal("partclone", p.Content));
        Assert.True(manifest.StoreBytes < manifest.TotalLength, "the store should be smaller than the data");

        // Deploy: partition table from the manifest first, then the whole-disk torrent.
        string target = Path.Combine(temp.Path, "target.img");
        using (var f = File.Create(target))
        {
            f.SetLength(TestDisk.Size);
        }
        string table = Path.Combine(temp.Path, "apply.sfdisk");
        File.WriteAllText(table, TestDisk.Anonymous(manifest.PartitionTable.Sfdisk));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", target], stdoutFile: null, stdinFile: table);
        await DeployAsync(Path.Combine(imageDir, manifest.Torrent), imageDir, target);

        Assert.Equal(TestDisk.ReadRange(disk, 0, 446), TestDisk.ReadRange(target, 0, 446));
        Assert.Equal(TestDisk.ReadRange(disk, 40 * 512, 8192), TestDisk.ReadRange(target, 40 * 512, 8192));
        for (int i = 0; i < 2; i++)
        {
            string restored = Path.Combine(temp.Path, $"restored{i}.img");
            Shell.Run("partclone.ext4", ["-r", "-q", "-L", temp.File($"r{i}.log"), "-W", "-s", ptcl[i], "-o", restored], stdoutFile: null);
            UsedBlocks.AssertEqual(ptcl[i], restored, 0, target, TestDisk.Partitions[i].Start * 512);
            using var loop = LoopDevice.Attach(target, TestDisk.Partitions[i].Start * 512, TestDisk.Partitions[i].Size * 512);
            Shell.Run("e2fsck", "-fn", loop.Path);
        }
    }

    [ToolFact(true, "sfdisk", "losetup", "mkfs.ext4", "mount", "partclone.ext4", "e2fsck", "blkid", "blockdev")]
    public async Task CaptureSeedGet_LoopDeviceDisk_DeploysIdenticalUsedBlocks()
    {
        using var temp = new TempDirectory();
        string disk = TestDisk.Create(temp.Path);
        string imageDir = Path.Combine(temp.Path, "repo", "captured");
        using (var whole = LoopDevice.Attach(disk))
        {
            EzioCli.Run("image", "capture", whole.Path, imageDir);
        }
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        Assert.Equal(TestDisk.Size, manifest.DiskSize);
        Assert.All(manifest.PartitionTable.Partitions, p => Assert.Equal("ext4", p.FileSystem));

        string target = Path.Combine(temp.Path, "target.img");
        using (var f = File.Create(target))
        {
            f.SetLength(TestDisk.Size);
        }
        string table = Path.Combine(temp.Path, "apply.sfdisk");
        File.WriteAllText(table, TestDisk.Anonymous(manifest.PartitionTable.Sfdisk));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", target], stdoutFile: null, stdinFile: table);
        using (var targetLoop = LoopDevice.Attach(target))
        {
            await DeployAsync(Path.Combine(imageDir, manifest.Torrent), imageDir, targetLoop.Path);
        }
        Assert.Equal(TestDisk.ReadRange(disk, 0, 446), TestDisk.ReadRange(target, 0, 446));
        for (int i = 0; i < 2; i++)
        {
            string ptcl = Path.Combine(temp.Path, $"src{i}.ptcl");
            using (var loop = LoopDevice.Attach(disk, TestDisk.Partitions[i].Start * 512, TestDisk.Partitions[i].Size * 512))
            {
                Shell.Run("partclone.ext4", ["-c", "-q", "-L", temp.File($"c{i}.log"), "-s", loop.Path, "-o", ptcl], stdoutFile: null);
            }
            long offset = TestDisk.Partitions[i].Start * 512;
            UsedBlocks.AssertEqual(ptcl, disk, offset, target, offset);
            using var check = LoopDevice.Attach(target, offset, TestDisk.Partitions[i].Size * 512);
            Shell.Run("e2fsck", "-fn", check.Path);
        }
    }

    internal static async Task DeployAsync(string torrent, string imageDir, string target)
    {
        int port = FreePort.Next();
        using ChildProcess seed = await EzioCli.StartSeedAsync(torrent, imageDir, port);
        EzioCli.Run("get", torrent, target, "--peer", $"127.0.0.1:{port}", "--port", "0", "--seed-after", "none");
    }
}
