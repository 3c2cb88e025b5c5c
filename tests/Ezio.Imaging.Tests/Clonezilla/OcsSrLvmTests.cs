using System.Text.RegularExpressions;
using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// A disk saved by the real `ocs-sr savedisk` (Fixtures/ocs-sr/gpt-lvm: GPT, sda3 an LVM PV of
/// VG vgtest with LVs root ext4 and data xfs) → `ezio image import` → `ezio seed` → `ezio get`
/// onto a fresh disk file. The deployed PV must be a VG that lvm2 itself reads (label, metadata,
/// LV layout) and each LV, found where lvm2 says it is, must pass fsck and hold the files the
/// fixture recorded.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class OcsSrLvmTests
{
    [ToolFact(true, "sfdisk", "losetup", "mount", "pvs", "vgs", "lvs", "vgimportclone", "e2fsck", "xfs_repair", "zstd", "mcopy")]
    public async Task ImportSeedGet_OcsSrGptLvm_VgReadByLvmAndEveryLvCleanWithItsFiles()
    {
        using var temp = new TempDirectory();
        string cz = Fixture.Path("ocs-sr", "gpt-lvm");
        string sums = Fixture.Path("ocs-sr", "gpt-lvm.files.sha256");
        string imageDir = temp.File("repo/lvm");
        EzioCli.Run("image", "import", cz, imageDir, "--piece-size", "256K");
        Assert.Contains("all", EzioCli.Run("image", "verify", imageDir));
        string info = EzioCli.Run("image", "info", imageDir);
        Assert.Matches(@"sda3 .* LVM2_member lvm ", info);
        Assert.Matches(@"LV vgtest/root .* ext4 +partclone", info);
        Assert.Matches(@"LV vgtest/data .* xfs +partclone", info);
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        PartitionInfo pv = manifest.PartitionTable.Partitions.Single(p => p.Device == "sda3");
        Assert.Equal(["vgtest/root", "vgtest/data"], pv.LogicalVolumes!.Select(l => l.Name));

        string target = temp.File("target.img");
        using (var f = File.Create(target))
        {
            f.SetLength(manifest.DiskSize);
        }
        string table = temp.File("apply.sfdisk");
        File.WriteAllText(table, TestDisk.Anonymous(manifest.PartitionTable.Sfdisk));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", target], stdoutFile: null, stdinFile: table);
        await ImportDeployTests.DeployAsync(Path.Combine(imageDir, manifest.Torrent), imageDir, target);

        long pvStart = pv.Start * 512;
        using (var pvLoop = LoopDevice.Attach(target, pvStart, pv.Size * 512))
        {
            // lvm2 reads the PV, the VG and both LVs from the deployed bytes alone.
            Assert.Contains("vgtest", Lvm.Run(pvLoop.Path, "pvs", "--noheadings", "-o", "vg_name,pv_uuid"));
            Assert.Contains("Vgtest-Pv00-0000-0000-0000-0000-000001", Lvm.Run(pvLoop.Path, "pvs", "--noheadings", "-o", "pv_uuid"));
            Assert.Equal("2", Lvm.Run(pvLoop.Path, "vgs", "--noheadings", "-o", "lv_count", "vgtest").Trim());
            Lvm.Run(pvLoop.Path, "vgck", "vgtest");
            long peStart = Lvm.Bytes(pvLoop.Path, "pvs", "pe_start", pvLoop.Path);
            long extent = Lvm.Bytes(pvLoop.Path, "vgs", "vg_extent_size", "vgtest");
            List<(string Lv, string Pv, long PvExtent, long Extents)> segments = Lvm.Segments(pvLoop.Path, "vgtest");
            Assert.Equal(["data", "root"], segments.Select(s => s.Lv).Order());
            foreach ((string lv, _, long pvExtent, long extents) in segments)
            {
                using var lvLoop = LoopDevice.Attach(target, pvStart + peStart + pvExtent * extent, extents * extent);
                if (lv == "root")
                {
                    Shell.Run("e2fsck", "-fn", lvLoop.Path);
                    FileChecksums.AssertMounted(sums, "vgtest-root", lvLoop.Path, temp.File("mnt"), "ro,noload");
                }
                else
                {
                    Shell.Run("xfs_repair", "-n", lvLoop.Path);
                    FileChecksums.AssertMounted(sums, "vgtest-data", lvLoop.Path, temp.File("mnt"), "ro,norecovery");
                }
            }

            // As Clonezilla's own restore would leave it to a machine that already has vgtest.
            Lvm.Run(pvLoop.Path, "vgimportclone", "--basevgname", "vgclone", pvLoop.Path);
            Assert.Matches(new Regex(@"^\s*vgclone\s+2\s*$", RegexOptions.Multiline), Lvm.Run(pvLoop.Path, "vgs", "--noheadings", "-o", "vg_name,lv_count"));
        }

        // The plain partitions beside the PV came through too.
        PartitionInfo boot = manifest.PartitionTable.Partitions.Single(p => p.Device == "sda2");
        using (var bootLoop = LoopDevice.Attach(target, boot.Start * 512, boot.Size * 512))
        {
            Shell.Run("e2fsck", "-fn", bootLoop.Path);
            FileChecksums.AssertMounted(sums, "sda2", bootLoop.Path, temp.File("mnt"), "ro,noload");
        }
        PartitionInfo esp = manifest.PartitionTable.Partitions.Single(p => p.Device == "sda1");
        foreach ((string hash, string path) in FileChecksums.Entries(sums, "sda1"))
        {
            string copy = temp.File("esp-file");
            Shell.Run("mcopy", "-n", "-i", $"{target}@@{esp.Start * 512}", "::" + path, copy);
            Assert.Equal(hash, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(copy))));
            File.Delete(copy);
        }
    }

    /// <summary>A thin pool is refused, naming the LV; nothing is written. --allow-partial imports the disk with the PV recorded as left empty.</summary>
    [ToolFact(false, "zstd")]
    public void Import_OcsSrThinPool_RefusedNamingTheLv()
    {
        using var temp = new TempDirectory();
        string cz = Fixture.Path("ocs-sr", "lvm-thin");
        string imageDir = temp.File("repo/thin");
        (int exit, string output) = Shell.RunAnyExit(Tools.Require("ezio"), "image", "import", cz, imageDir);
        Assert.Equal(1, exit);
        Assert.Contains("lvm_vgthin.conf: logical volume vgthin/pool is a thin pool", output);
        Assert.False(Directory.Exists(imageDir), "a refused import writes nothing");

        (exit, output) = Shell.RunAnyExit(Tools.Require("ezio"), "image", "import", cz, imageDir, "--allow-partial");
        Assert.True(exit == 0, output);
        Assert.Contains("sda1 will be left empty: lvm_vgthin.conf: logical volume vgthin/pool is a thin pool", output);
        PartitionInfo pv = ImageManifest.Load(Path.Combine(imageDir, "image.json")).PartitionTable.Partitions.Single(p => p.Device == "sda1");
        Assert.Equal("none", pv.Content);
        Assert.Contains("thin pool", pv.LeftEmpty);
        Assert.Contains("LEFT EMPTY: lvm_vgthin.conf: logical volume vgthin/pool is a thin pool", EzioCli.Run("image", "info", imageDir));
    }

    /// <summary>--btzone writes each LV's slices as `partclone -r -T` cuts them from the LV's own image (as for a partition).</summary>
    [ToolFact(false, "zstd", "partclone.ext4", "partclone.xfs")]
    public void ImportBtzone_OcsSrGptLvm_LvSlicesMatchPartclone()
    {
        using var temp = new TempDirectory();
        string cz = Fixture.Path("ocs-sr", "gpt-lvm");
        string btzone = temp.File("btzone");
        EzioCli.Run("image", "import", cz, temp.File("repo/lvm"), "--btzone", btzone);
        foreach ((string lv, string module) in new[] { ("vgtest-root", "ext4"), ("vgtest-data", "xfs") })
        {
            string ptcl = temp.File($"{lv}.ptcl");
            Shell.Run("zstd", ["-q", "-dc", Path.Combine(cz, $"{lv}.{module}-ptcl-img.zst.aa")], stdoutFile: ptcl);
            string theirs = temp.File($"bt-{lv}");
            Shell.Run($"partclone.{module}", ["-r", "-q", "-L", temp.File($"{lv}.log"), "-T", "-z", "16777216", "-s", ptcl, "-o", theirs], stdoutFile: null);
            Btzone.AssertSame(theirs, Path.Combine(btzone, "gpt-lvm"), lv);
        }
        Assert.False(Directory.Exists(Path.Combine(btzone, "gpt-lvm", "sda3")), "a PV has no slices of its own");
    }
}
