using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// A disk saved by the real `ocs-sr savedisk` (Fixtures/ocs-sr/mbr-swap-extended: MBR, sda5 a
/// swap partition inside the extended sda2, saved only as swappt-sda5.info) → import → seed →
/// get: the swap must come back with its UUID and label, exactly as `mkswap -U -L` makes it.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class OcsSrSwapTests
{
    [ToolFact(true, "sfdisk", "losetup", "mount", "blkid", "mkswap", "e2fsck", "zstd")]
    public async Task ImportSeedGet_OcsSrSwapInExtendedPartition_RecreatedWithUuidAndLabel()
    {
        using var temp = new TempDirectory();
        string cz = Fixture.Path("ocs-sr", "mbr-swap-extended");
        string sums = Fixture.Path("ocs-sr", "mbr-swap-extended.files.sha256");
        string imageDir = temp.File("repo/swap");
        EzioCli.Run("image", "import", cz, imageDir, "--piece-size", "256K");
        Assert.Contains("all", EzioCli.Run("image", "verify", imageDir));
        Assert.Matches(@"sda5 .* swap +swap +used 4\.0 KiB", EzioCli.Run("image", "info", imageDir));
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        PartitionInfo swap = manifest.PartitionTable.Partitions.Single(p => p.Device == "sda5");

        string target = temp.File("target.img");
        using (var f = File.Create(target))
        {
            f.SetLength(manifest.DiskSize);
            f.Write(Enumerable.Repeat((byte)0xa5, 1 << 20).ToArray()); // stale bytes where the MBR and EBRs go
            f.Position = swap.Start * 512;
            f.Write(Enumerable.Repeat((byte)0x5a, 8192).ToArray()); // and an old signature page
        }
        string table = temp.File("apply.sfdisk");
        File.WriteAllText(table, TestDisk.Anonymous(manifest.PartitionTable.Sfdisk));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", target], stdoutFile: null, stdinFile: table);
        await ImportDeployTests.DeployAsync(Path.Combine(imageDir, manifest.Torrent), imageDir, target);

        using (var loop = LoopDevice.Attach(target, swap.Start * 512, swap.Size * 512))
        {
            string probe = Shell.Run("blkid", "-p", "-o", "export", loop.Path);
            Assert.Contains("TYPE=swap", probe);
            Assert.Contains("UUID=5a1e0000-0000-4000-8000-000000000005", probe);
            Assert.Contains("LABEL=swap0", probe);
        }
        string made = temp.File("mkswap.img");
        using (var f = File.Create(made))
        {
            f.SetLength(swap.Size * 512);
        }
        Shell.Run("mkswap", "-U", "5a1e0000-0000-4000-8000-000000000005", "-L", "swap0", made);
        Assert.Equal(TestDisk.ReadRange(made, 0, 4096), TestDisk.ReadRange(target, swap.Start * 512, 4096));

        foreach (string device in new[] { "sda1", "sda6" })
        {
            PartitionInfo p = manifest.PartitionTable.Partitions.Single(x => x.Device == device);
            using var loop = LoopDevice.Attach(target, p.Start * 512, p.Size * 512);
            Shell.Run("e2fsck", "-fn", loop.Path);
            FileChecksums.AssertMounted(sums, device, loop.Path, temp.File("mnt"), "ro,noload");
        }
    }

    [Theory]
    [InlineData("UUID=\"not-a-uuid\"\nLABEL=\"x\"\n")]
    [InlineData("UUID=\"\"\nLABEL=\"a-label-longer-than-16\"\n")]
    public void Parse_BadSwapInfo_IsMalformed(string text)
    {
        var e = Assert.Throws<ImageException>(() => Ezio.Imaging.Clonezilla.SwapSignature.Parse(text, "swappt-sda5.info"));
        Assert.Equal(ImageError.Malformed, e.Reason);
        Assert.Contains("swappt-sda5.info", e.Message);
    }
}
