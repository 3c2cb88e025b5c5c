using System.Security.Cryptography;
using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// The real two-disk `ocs-sr savedisk` (Fixtures/ocs-sr/multi-disk) → `ezio image import` →
/// `ezio seed` from the image → `ezio get &lt;torrent&gt; &lt;loop A&gt; &lt;loop B&gt;` onto two loop
/// disks partitioned from the manifest's disks: each disk gets its own table, boot area and
/// file system, fsck-clean and holding exactly the files ocs-sr saved. With one loop disk the
/// download is refused and the disk's bytes stay as they were.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class MultiDiskDeployTests
{
    private const long DiskSize = 64L << 20;

    private static string Source => Fixture.Path("ocs-sr", "multi-disk");

    [ToolFact(true, "sfdisk", "losetup", "mount", "umount", "e2fsck", "zstd")]
    public async Task ImportSeedGet_TwoDiskImage_BothDisksDeployedCleanAndFileIdentical()
    {
        using var temp = new TempDirectory();
        string imageDir = temp.File("repo/two");
        EzioCli.Run("image", "import", Source, imageDir, "--piece-size", "64K");
        var manifest = ImageManifest.Load(Path.Combine(imageDir, EzioImage.ManifestFileName));
        Assert.Contains("disk sdb:", EzioCli.Run("image", "info", imageDir));
        Assert.NotNull(manifest.Disks);
        string[] files = [temp.File("a.img"), temp.File("b.img")];
        for (int k = 0; k < 2; k++)
        {
            CreateSized(files[k]);
            string table = temp.File($"table{k}.sfdisk");
            File.WriteAllText(table, TestDisk.Anonymous(manifest.Disks[k].PartitionTable.Sfdisk));
            Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", files[k]], stdoutFile: null, stdinFile: table);
        }

        string torrent = Path.Combine(imageDir, manifest.Torrent);
        using (var a = LoopDevice.Attach(files[0]))
        using (var b = LoopDevice.Attach(files[1]))
        {
            int port = FreePort.Next();
            using (ChildProcess seed = await EzioCli.StartSeedAsync(torrent, imageDir, port))
            {
                EzioCli.Run("get", torrent, a.Path, b.Path, "--peer", $"127.0.0.1:{port}", "--port", "0", "--seed-after", "none");
            }
            Assert.StartsWith($"{manifest.PieceCount} good, 0 bad", EzioCli.Run("verify", torrent, a.Path, b.Path));
        }

        // Boot areas: each disk's own MBR boot code; sdb's hidden data after the MBR.
        Assert.Equal(File.ReadAllBytes(Path.Combine(Source, "sda-mbr"))[..446], TestDisk.ReadRange(files[0], 0, 446));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Source, "sdb-mbr"))[..446], TestDisk.ReadRange(files[1], 0, 446));
        byte[] hidden = File.ReadAllBytes(Path.Combine(Source, "sdb-hidden-data-after-mbr"));
        Assert.Equal(hidden[..(2047 * 512)], TestDisk.ReadRange(files[1], 512, 2047 * 512));

        var expected = File.ReadAllLines(Fixture.Path("ocs-sr", "multi-disk.files.sha256"))
            .Select(l => l.Split("  ", 2)).ToDictionary(p => p[1], p => p[0]);
        for (int k = 0; k < 2; k++)
        {
            PartitionInfo p = Assert.Single(manifest.Disks[k].PartitionTable.Partitions);
            using var part = LoopDevice.Attach(files[k], p.Start * 512, p.Size * 512);
            Shell.Run("e2fsck", "-fn", part.Path);
            string mountPoint = temp.File($"mnt{k}");
            Directory.CreateDirectory(mountPoint);
            Shell.Run("mount", "-o", "ro", part.Path, mountPoint);
            try
            {
                string[] ours = expected.Keys.Where(f => f.StartsWith(p.Device + "/", StringComparison.Ordinal)).ToArray();
                Assert.Equal(3, ours.Length);
                foreach (string f in ours)
                {
                    byte[] bytes = File.ReadAllBytes(Path.Combine(mountPoint, f[(p.Device.Length + 1)..]));
                    Assert.Equal(expected[f], Convert.ToHexStringLower(SHA256.HashData(bytes)));
                }
            }
            finally
            {
                Shell.Run("umount", mountPoint);
            }
        }
    }

    [ToolFact(true, "losetup", "zstd")]
    public void Get_TwoDiskImageOneDisk_RefusedBeforeAnyWrite()
    {
        using var temp = new TempDirectory();
        string imageDir = temp.File("repo/two");
        EzioCli.Run("image", "import", Source, imageDir, "--piece-size", "64K");
        var manifest = ImageManifest.Load(Path.Combine(imageDir, EzioImage.ManifestFileName));
        string disk = temp.File("only.img");
        CreateSized(disk);
        using (var f = new FileStream(disk, FileMode.Open))
        {
            f.Write(RandomNumberGenerator.GetBytes(4 << 20));
        }
        byte[] before = SHA256.HashData(File.ReadAllBytes(disk));

        Shell.Result result;
        using (var loop = LoopDevice.Attach(disk))
        {
            result = Shell.TryRun(Tools.Require("ezio"), "get", Path.Combine(imageDir, manifest.Torrent), loop.Path,
                "--peer", $"127.0.0.1:{FreePort.Next()}", "--port", "0", "--seed-after", "none");
        }

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("holds 2 disks but 1 target", result.Stderr);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(disk)));
    }

    private static void CreateSized(string path)
    {
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(DiskSize);
    }
}
