using System.Security.Cryptography;
using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// An LV in three linear segments over two PVs (two partitions), not in disk order, beside a
/// swap LV. The ocs-sr fixtures only hold single-segment LVs, so this test builds the VG with
/// the real lvm2 tools (activation off: no device-mapper), the LV's file system in a file
/// (mkfs.ext4 -d, partclone.ext4), and lays the files out as ocs-sr's save_logv names them.
/// After import → seed → get, lvm2 must see the same layout on the target, and the LV read
/// back segment by segment where lvs puts them must equal the file system's used blocks.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class LvmLayoutTests
{
    private const long DiskSize = 100L << 20;
    private static readonly (long Start, long Size)[] Parts = [(2048, 81920), (83968, 81920)];
    private const long Extent = 4L << 20;
    private const string SwapUuid = "0b5e0000-0000-4000-8000-0000000000bb";

    [ToolFact(true, "sfdisk", "losetup", "pvcreate", "vgcreate", "lvcreate", "lvextend", "vgcfgbackup", "lvs", "mkfs.ext4", "partclone.ext4", "e2fsck", "blkid", "zstd")]
    public async Task ImportSeedGet_LvInSegmentsOverTwoPvs_ReadBackWhereLvsPutsItEqualsTheFileSystem()
    {
        using var temp = new TempDirectory();
        string disk = temp.File("disk.img");
        Sized(disk, DiskSize);
        string script = temp.File("table.sfdisk");
        File.WriteAllText(script, "label: gpt\n" + string.Concat(Parts.Select(p => $"start={p.Start}, size={p.Size}, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n")));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", disk], stdoutFile: null, stdinFile: script);

        string cz = temp.File("cz");
        Directory.CreateDirectory(cz);
        List<(string Lv, string Pv, long PvExtent, long Extents)> source;
        using (var pv1 = LoopDevice.Attach(disk, Parts[0].Start * 512, Parts[0].Size * 512))
        using (var pv2 = LoopDevice.Attach(disk, Parts[1].Start * 512, Parts[1].Size * 512))
        {
            string both = $"{pv1.Path}|{pv2.Path}";
            Lvm.Run(both, "pvcreate", pv1.Path, pv2.Path);
            Lvm.Run(both, "vgcreate", "-s", "4M", "vgm", pv1.Path, pv2.Path);
            Lvm.Run(both, "lvcreate", "-an", "-Zn", "-Wn", "-n", "swap", "-l", "2", "vgm", pv1.Path);
            Lvm.Run(both, "lvcreate", "-an", "-Zn", "-Wn", "-n", "data", "-l", "3", "vgm", pv1.Path);
            Lvm.Run(both, "lvextend", "-l", "+2", "vgm/data", pv2.Path);
            Lvm.Run(both, "lvextend", "-l", "+1", "vgm/data", pv1.Path);
            Lvm.Run(both, "vgcfgbackup", "-f", Path.Combine(cz, "lvm_vgm.conf"), "vgm");
            source = Lvm.Segments(both, "vgm").Select(s => (s.Lv, s.Pv == pv1.Path ? "sda1" : "sda2", s.PvExtent, s.Extents)).ToList();
            var uuids = Lvm.Run(both, "pvs", "--noheadings", "-o", "pv_name,pv_uuid").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(w => w[0], w => w[1]);
            File.WriteAllText(Path.Combine(cz, "lvm_vg_dev.list"), $"vgm /dev/sda1 {uuids[pv1.Path]}\nvgm /dev/sda2 {uuids[pv2.Path]}\n");
        }
        Assert.Equal([("data", "sda1", 2L, 3L), ("data", "sda2", 0L, 2L), ("data", "sda1", 5L, 1L), ("swap", "sda1", 0L, 2L)], source);

        // The data LV's file system, filled so its used blocks reach into every segment.
        string content = temp.File("content");
        Directory.CreateDirectory(content);
        for (int i = 0; i < 5; i++)
        {
            File.WriteAllBytes(Path.Combine(content, $"random-{i}.bin"), RandomNumberGenerator.GetBytes(4_200_000));
        }
        string fs = temp.File("data.fs");
        Sized(fs, 6 * Extent);
        Shell.Run("mkfs.ext4", "-F", "-q", "-b", "4096", "-O", "^has_journal", "-N", "64", "-d", content, fs);
        string ptcl = temp.File("data.ptcl");
        Shell.Run("partclone.ext4", ["-c", "-q", "-L", temp.File("c.log"), "-s", fs, "-o", ptcl], stdoutFile: null);
        using (var reader = Ezio.Imaging.Partclone.PartcloneReader.Open(File.OpenRead(ptcl)))
        {
            Assert.True(reader.Map.NextUsed(5 * Extent / 4096) >= 0, "the file system should use the LV's last extent");
        }
        Shell.Run("zstd", ["-q", "-c", ptcl], stdoutFile: Path.Combine(cz, "vgm-data.ext4-ptcl-img.zst"));
        File.WriteAllText(Path.Combine(cz, "swappt-vgm-swap.info"), $"UUID=\"{SwapUuid}\"\nLABEL=\"lvswap\"\n");
        File.WriteAllText(Path.Combine(cz, "lvm_logv.list"), "/dev/vgm/swap  Linux swap file\n/dev/vgm/data  Linux rev 1.0 ext4 filesystem data\n");
        File.WriteAllText(Path.Combine(cz, "disk"), "sda\n");
        File.WriteAllText(Path.Combine(cz, "parts"), "sda1 sda2\n");
        File.WriteAllText(Path.Combine(cz, "sda-pt.sf"), TestDisk.DumpAsSda(disk));
        File.WriteAllBytes(Path.Combine(cz, "sda-mbr"), TestDisk.ReadRange(disk, 0, 512));

        string imageDir = temp.File("repo/vgm");
        EzioCli.Run("image", "import", cz, imageDir, "--piece-size", "64K");
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        Assert.Equal(["vgm/swap", "vgm/data"], manifest.PartitionTable.Partitions[0].LogicalVolumes!.Select(l => l.Name));
        Assert.Equal(["vgm/data"], manifest.PartitionTable.Partitions[1].LogicalVolumes!.Select(l => l.Name));
        string target = temp.File("target.img");
        Sized(target, DiskSize);
        string table = temp.File("apply.sfdisk");
        File.WriteAllText(table, TestDisk.Anonymous(manifest.PartitionTable.Sfdisk));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", target], stdoutFile: null, stdinFile: table);
        await ImportDeployTests.DeployAsync(Path.Combine(imageDir, manifest.Torrent), imageDir, target);

        string assembled = temp.File("data.back");
        using (var pv1 = LoopDevice.Attach(target, Parts[0].Start * 512, Parts[0].Size * 512))
        using (var pv2 = LoopDevice.Attach(target, Parts[1].Start * 512, Parts[1].Size * 512))
        {
            string both = $"{pv1.Path}|{pv2.Path}";
            var deployed = Lvm.Segments(both, "vgm");
            Assert.Equal(source, deployed.Select(s => (s.Lv, s.Pv == pv1.Path ? "sda1" : "sda2", s.PvExtent, s.Extents)));
            long peStart = Lvm.Bytes(both, "pvs", "pe_start", pv1.Path);
            using (var output = File.Create(assembled))
            {
                foreach ((string lv, string pv, long pvExtent, long extents) in deployed.Where(s => s.Lv == "data"))
                {
                    long partStart = (pv == pv1.Path ? Parts[0].Start : Parts[1].Start) * 512;
                    output.Write(TestDisk.ReadRange(target, partStart + peStart + pvExtent * Extent, (int)(extents * Extent)));
                }
            }
            (string _, string _, long swapExtent, long swapExtents) = deployed.Single(s => s.Lv == "swap");
            using var swap = LoopDevice.Attach(target, Parts[0].Start * 512 + peStart + swapExtent * Extent, swapExtents * Extent);
            string probe = Shell.Run("blkid", "-p", "-o", "export", swap.Path);
            Assert.Contains($"UUID={SwapUuid}", probe);
            Assert.Contains("LABEL=lvswap", probe);
        }
        UsedBlocks.AssertEqual(ptcl, fs, 0, assembled, 0);
        Shell.Run("e2fsck", "-fn", assembled);
    }

    private static void Sized(string path, long size)
    {
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(size);
    }
}
