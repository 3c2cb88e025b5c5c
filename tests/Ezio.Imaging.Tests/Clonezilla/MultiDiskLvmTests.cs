using System.Globalization;
using Ezio.Imaging.Build;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// A Clonezilla image of two disks whose LVM lives only on the second: sda is the real ocs-sr
/// mbr-swap-extended disk, sdb the real gpt-lvm disk with every sda name made sdb (as
/// `ocs-sr savedisk NAME "sda sdb"` names them). The LVM files are the whole image's, so the
/// pass over sda sees them too: the volume group must be laid out on sdb, where lvm_vg_dev.list
/// puts its PV, and nowhere else.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class MultiDiskLvmTests
{
    private static string BuildTwoDiskImage(TempDirectory temp)
    {
        string dir = temp.File("cz-two");
        Directory.CreateDirectory(dir);
        string first = Fixture.Path("ocs-sr", "mbr-swap-extended");
        string second = Fixture.Path("ocs-sr", "gpt-lvm");
        foreach (string file in Directory.GetFiles(first))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }
        // sdb's files: sda* renamed, and the sda names inside the text files that hold them.
        string[] renamedText = ["sda-pt.sf", "sda-chs.sf", "sda-pt.parted", "sda-pt.parted.compact", "lvm_vg_dev.list"];
        foreach (string file in Directory.GetFiles(second))
        {
            string name = Path.GetFileName(file);
            if (name is "disk" or "parts" || name.StartsWith("Info-", StringComparison.Ordinal) || name is "blkdev.list" or "blkid.list" or "dev-fs.list" or "clonezilla-img")
            {
                continue;
            }
            string target = Path.Combine(dir, name.StartsWith("sda", StringComparison.Ordinal) ? "sdb" + name[3..] : name);
            if (renamedText.Contains(name))
            {
                File.WriteAllText(target, File.ReadAllText(file).Replace("/dev/sda", "/dev/sdb", StringComparison.Ordinal));
            }
            else
            {
                File.Copy(file, target);
            }
        }
        File.WriteAllText(Path.Combine(dir, "disk"), "sda sdb\n");
        File.WriteAllText(Path.Combine(dir, "parts"), "sda1 sda6 sdb1 sdb2 sdb3\n");
        return dir;
    }

    [ToolFact(false, "zstd")]
    public void Open_LvmOnSecondDisk_OnlyThatDiskHasTheVolumeGroup()
    {
        using var temp = new TempDirectory();
        string dir = BuildTwoDiskImage(temp);

        var sda = ClonezillaImage.Open(dir, "sda");
        Assert.Empty(sda.Problems);
        Assert.Empty(sda.VolumeGroups);
        Assert.DoesNotContain(sda.Partitions, p => p.Content == PartitionContent.Lvm);
        Assert.Contains(sda.Partitions, p => p.Name == "sda5" && p.Content == PartitionContent.Swap);

        var sdb = ClonezillaImage.Open(dir, "sdb");
        Assert.Empty(sdb.Problems);
        ClonezillaVolumeGroup vg = Assert.Single(sdb.VolumeGroups);
        Assert.Equal("vgtest", vg.Group.Name);
        Assert.Equal(["sdb3"], vg.Group.PhysicalVolumes.Select(p => p.Device));
        Assert.Contains(sdb.Partitions, p => p.Name == "sdb3" && p.Content == PartitionContent.Lvm);
        Assert.DoesNotContain(sdb.Partitions, p => p.Name.StartsWith("sda", StringComparison.Ordinal));
    }

    /// <summary>What the second disk's pass cannot import reaches image.json and image info, not only the first disk's.</summary>
    [ToolFact(false, "zstd")]
    public void Import_AllowPartialSecondDiskProblem_ListedInTheImagesNotImported()
    {
        using var temp = new TempDirectory();
        string dir = BuildTwoDiskImage(temp);
        File.Move(Path.Combine(dir, "sdb2.ext4-ptcl-img.zst.aa"), Path.Combine(dir, "sdb2.ntfs-img.aa"));

        var e = Assert.Throws<ImageException>(() => ClonezillaImporter.Import(dir, temp.File("repo/refused"), new ImageBuildOptions()));
        Assert.Contains("sdb2.ntfs-img.aa", e.Message);
        ImageManifest manifest = ClonezillaImporter.Import(dir, temp.File("repo/partial"), new ImageBuildOptions { AllowPartial = true });

        Assert.Contains(manifest.NotImported!, n => n.StartsWith("sdb2.ntfs-img.aa: an ntfsclone image", StringComparison.Ordinal));
        Assert.Contains("ntfsclone", manifest.Disks![1].PartitionTable.Partitions.Single(p => p.Device == "sdb2").LeftEmpty);
        Assert.Equal("lvm", manifest.Disks[1].PartitionTable.Partitions.Single(p => p.Device == "sdb3").Content);
    }

    [ToolFact(true, "sfdisk", "losetup", "mount", "pvs", "vgs", "lvs", "e2fsck", "xfs_repair", "zstd")]
    public async Task ImportSeedGet_LvmOnSecondDisk_VgReadByLvmOnSdbAndLvsClean()
    {
        using var temp = new TempDirectory();
        string cz = BuildTwoDiskImage(temp);
        string sums = Fixture.Path("ocs-sr", "gpt-lvm.files.sha256");
        string imageDir = temp.File("repo/two-lvm");
        EzioCli.Run("image", "import", cz, imageDir, "--piece-size", "256K");
        string info = EzioCli.Run("image", "info", imageDir);
        Assert.Matches(@"sdb3 .* LVM2_member lvm ", info);
        Assert.Matches(@"LV vgtest/root .* ext4 +partclone", info);
        Assert.Matches(@"LV vgtest/data .* xfs +partclone", info);
        Assert.DoesNotContain("not imported", info);

        var manifest = ImageManifest.Load(Path.Combine(imageDir, EzioImage.ManifestFileName));
        Assert.NotNull(manifest.Disks);
        Assert.Equal(["sda", "sdb"], manifest.Disks.Select(d => d.Name));
        Assert.DoesNotContain(manifest.Disks[0].PartitionTable.Partitions, p => p.LogicalVolumes is not null || p.Content == "lvm");
        PartitionInfo pv = manifest.Disks[1].PartitionTable.Partitions.Single(p => p.Device == "sdb3");
        Assert.Equal("lvm", pv.Content);
        Assert.Equal(["vgtest/root", "vgtest/data"], pv.LogicalVolumes!.Select(l => l.Name));
        Assert.All(pv.LogicalVolumes!, lv => Assert.True(lv.UsedBytes > 0, $"{lv.Name} carries no bytes"));

        string[] files = await DeployOntoTwoFilesAsync(temp, imageDir, manifest);

        long pvStart = pv.Start * 512;
        using (var pvLoop = LoopDevice.Attach(files[1], pvStart, pv.Size * 512))
        {
            Assert.Contains("Vgtest-Pv00-0000-0000-0000-0000-000001", Lvm.Run(pvLoop.Path, "pvs", "--noheadings", "-o", "pv_uuid"));
            Assert.Equal("2", Lvm.Run(pvLoop.Path, "vgs", "--noheadings", "-o", "lv_count", "vgtest").Trim());
            Lvm.Run(pvLoop.Path, "vgck", "vgtest");
            long peStart = Lvm.Bytes(pvLoop.Path, "pvs", "pe_start", pvLoop.Path);
            long extent = Lvm.Bytes(pvLoop.Path, "vgs", "vg_extent_size", "vgtest");
            foreach ((string lv, _, long pvExtent, long extents) in Lvm.Segments(pvLoop.Path, "vgtest"))
            {
                using var lvLoop = LoopDevice.Attach(files[1], pvStart + peStart + pvExtent * extent, extents * extent);
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
        }

        // sda's partitions came through beside it, and no LVM label landed on sda.
        PartitionInfo sda1 = manifest.Disks[0].PartitionTable.Partitions.Single(p => p.Device == "sda1");
        using (var loop = LoopDevice.Attach(files[0], sda1.Start * 512, sda1.Size * 512))
        {
            Shell.Run("e2fsck", "-fn", loop.Path);
        }
        // An LVM label sits in sector 1 of a PV: none on any of sda's partitions.
        foreach (PartitionInfo p in manifest.Disks[0].PartitionTable.Partitions)
        {
            Assert.NotEqual("LABELONE"u8.ToArray(), TestDisk.ReadRange(files[0], p.Start * 512 + 512, 8));
        }
    }

    /// <summary>
    /// The real ocs-sr lvm-multi-pv disk (VG vgmulti on sda2 and sda3, LVs a and b in two
    /// segments across both PVs) with its sda3 moved to a second disk as sdb1: one volume group
    /// over two disks of the image. Each disk's pass lays out its own PV and the LV segments on it.
    /// </summary>
    private static string BuildSpanningImage(TempDirectory temp)
    {
        string dir = temp.File("cz-span");
        Directory.CreateDirectory(dir);
        string source = Fixture.Path("ocs-sr", "lvm-multi-pv");
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }
        string table = File.ReadAllText(Path.Combine(source, "sda-pt.sf"));
        string sda3 = table.Split('\n').Single(l => l.StartsWith("/dev/sda3 ", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(dir, "sda-pt.sf"), table.Replace(sda3 + "\n", "", StringComparison.Ordinal));
        string size = System.Text.RegularExpressions.Regex.Match(sda3, @"size=\s*(\d+)").Groups[1].Value;
        File.WriteAllText(Path.Combine(dir, "sdb-pt.sf"),
            $"label: gpt\nunit: sectors\nfirst-lba: 34\nlast-lba: {2048 + long.Parse(size, CultureInfo.InvariantCulture) + 2047}\nsector-size: 512\n\n" +
            $"/dev/sdb1 : start=2048, size={size}, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name=\"pv1\"\n");
        File.WriteAllText(Path.Combine(dir, "lvm_vg_dev.list"),
            File.ReadAllText(Path.Combine(source, "lvm_vg_dev.list")).Replace("/dev/sda3", "/dev/sdb1", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(dir, "disk"), "sda sdb\n");
        File.WriteAllText(Path.Combine(dir, "parts"), "sda1 sda2 sdb1\n");
        return dir;
    }

    [ToolFact(true, "sfdisk", "losetup", "mount", "pvs", "vgs", "lvs", "vgck", "e2fsck", "zstd")]
    public async Task ImportSeedGet_VolumeGroupOverTwoDisks_LvmReadsItFromBothAndEveryLvIsClean()
    {
        using var temp = new TempDirectory();
        string cz = BuildSpanningImage(temp);
        string sums = Fixture.Path("ocs-sr", "lvm-multi-pv.files.sha256");
        string imageDir = temp.File("repo/span");
        EzioCli.Run("image", "import", cz, imageDir, "--piece-size", "256K");
        var manifest = ImageManifest.Load(Path.Combine(imageDir, EzioImage.ManifestFileName));
        Assert.NotNull(manifest.Disks);
        PartitionInfo pv0 = manifest.Disks[0].PartitionTable.Partitions.Single(p => p.Device == "sda2");
        PartitionInfo pv1 = manifest.Disks[1].PartitionTable.Partitions.Single(p => p.Device == "sdb1");
        Assert.Equal("lvm", pv0.Content);
        Assert.Equal("lvm", pv1.Content);
        Assert.NotEmpty(pv1.LogicalVolumes!);

        string[] files = await DeployOntoTwoFilesAsync(temp, imageDir, manifest);

        using var loop0 = LoopDevice.Attach(files[0], pv0.Start * 512, pv0.Size * 512);
        using var loop1 = LoopDevice.Attach(files[1], pv1.Start * 512, pv1.Size * 512);
        string both = $"{loop0.Path}|{loop1.Path}";
        Assert.Equal("3", Lvm.Run(both, "vgs", "--noheadings", "-o", "lv_count", "vgmulti").Trim());
        Lvm.Run(both, "vgck", "vgmulti");
        long extent = Lvm.Bytes(both, "vgs", "vg_extent_size", "vgmulti");
        var where = new Dictionary<string, (string File, long Start)>
        {
            [loop0.Path] = (files[0], pv0.Start * 512 + Lvm.Bytes(both, "pvs", "pe_start", loop0.Path)),
            [loop1.Path] = (files[1], pv1.Start * 512 + Lvm.Bytes(both, "pvs", "pe_start", loop1.Path)),
        };
        List<(string Lv, string Pv, long PvExtent, long Extents)> segments = Lvm.Segments(both, "vgmulti");
        Assert.Contains(segments, s => s.Pv == loop1.Path);
        foreach (var lv in segments.GroupBy(s => s.Lv))
        {
            // The LV's bytes, segment after segment from whichever disk lvs puts them on.
            string lvFile = temp.File($"lv-{lv.Key}.img");
            using (var output = File.Create(lvFile))
            {
                foreach ((_, string pv, long pvExtent, long extents) in lv)
                {
                    (string file, long start) = where[pv];
                    output.Write(TestDisk.ReadRange(file, start + pvExtent * extent, checked((int)(extents * extent))));
                }
            }
            using var lvLoop = LoopDevice.Attach(lvFile);
            Shell.Run("e2fsck", "-fn", lvLoop.Path);
            FileChecksums.AssertMounted(sums, $"vgmulti-{lv.Key}", lvLoop.Path, temp.File("mnt"), "ro,noload");
        }
    }

    /// <summary>Two image files of the image's disk sizes with their tables, filled by `ezio get` from `ezio seed`.</summary>
    private static async Task<string[]> DeployOntoTwoFilesAsync(TempDirectory temp, string imageDir, ImageManifest manifest)
    {
        Assert.NotNull(manifest.Disks);
        string[] files = [temp.File("a.img"), temp.File("b.img")];
        for (int k = 0; k < 2; k++)
        {
            using (var f = File.Create(files[k]))
            {
                f.SetLength(manifest.Disks[k].DiskSize);
            }
            string table = temp.File($"table{k}.sfdisk");
            File.WriteAllText(table, TestDisk.Anonymous(manifest.Disks[k].PartitionTable.Sfdisk));
            Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", files[k]], stdoutFile: null, stdinFile: table);
        }
        string torrent = Path.Combine(imageDir, manifest.Torrent);
        int port = FreePort.Next();
        using (ChildProcess seed = await EzioCli.StartSeedAsync(torrent, imageDir, port))
        {
            EzioCli.Run("get", torrent, files[0], files[1], "--peer", $"127.0.0.1:{port}", "--port", "0", "--seed-after", "none");
        }
        return files;
    }
}
