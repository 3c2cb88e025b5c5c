using System.Security.Cryptography;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// An MBR disk with FAT32 (mkfs.vfat + mcopy), NTFS (mkntfs + ntfscp), a raw partition saved by
/// partclone.dd and a swap partition (only swappt-sda4.info, not in parts), as a Clonezilla image dir. `ezio image import --btzone`
/// must equal `partclone -r -T -z 16777216` per partition; `ezio seed` (image dir, and the btzone
/// torrent straight from an uncompressed image) → `ezio get` must restore every used block.
/// No kernel file-system driver is needed: everything is built in plain files.
/// </summary>
public sealed class MixedDiskImportTests
{
    private const long Sector = 512;
    private static readonly (long Start, long Size, string Type)[] Parts =
        [(2048, 131072, "c"), (133120, 131072, "7"), (264192, 16384, "83"), (280576, 16384, "82")];
    private const long DiskSize = 150L << 20;

    [ToolFact(false, "sfdisk", "mkfs.vfat", "mmd", "mcopy", "fsck.vfat", "mkntfs", "ntfscp", "ntfsfix", "mkswap",
        "partclone.vfat", "partclone.ntfs", "partclone.dd", "pigz", "zstd")]
    public async Task ImportSeedGet_VfatNtfsDdSwapDisk_BtzoneMatchesPartcloneAndDeploysUsedBlocks()
    {
        using var temp = new TempDirectory();
        string[] fs = [temp.File("p1.img"), temp.File("p2.img"), temp.File("p3.img"), temp.File("p4.img")];
        MakeVfat(temp, fs[0], Parts[0].Size * Sector);
        MakeNtfs(temp, fs[1], Parts[1].Size * Sector);
        File.WriteAllBytes(fs[2], RandomNumberGenerator.GetBytes((int)(Parts[2].Size * Sector)));
        Sized(fs[3], Parts[3].Size * Sector);
        Shell.Run("mkswap", "-U", "11111111-2222-3333-4444-555555555555", fs[3]);
        string disk = MakeDisk(temp, fs);

        // The Clonezilla image dir: gz for FAT, split zstd for NTFS, zstd dd, swap info only.
        string cz = temp.File("mixed-img");
        Directory.CreateDirectory(cz);
        File.WriteAllText(Path.Combine(cz, "disk"), "sda\n");
        File.WriteAllText(Path.Combine(cz, "parts"), "sda1 sda2 sda3\n"); // ocs-sr never lists swap
        File.WriteAllText(Path.Combine(cz, "sda-pt.sf"), TestDisk.DumpAsSda(disk));
        File.WriteAllBytes(Path.Combine(cz, "sda-mbr"), TestDisk.ReadRange(disk, 0, 512));
        File.WriteAllText(Path.Combine(cz, "swappt-sda4.info"), "UUID=\"11111111-2222-3333-4444-555555555555\"\nLABEL=\"\"\n");
        File.WriteAllText(Path.Combine(cz, "Info-img-id.txt"), "IMG_ID=test\n");
        string[] ptcl = [temp.File("p1.ptcl"), temp.File("p2.ptcl")];
        Shell.Run("partclone.vfat", ["-c", "-q", "-L", temp.File("c1.log"), "-s", fs[0], "-o", ptcl[0]], stdoutFile: null);
        Shell.Run("partclone.ntfs", ["-c", "-q", "-L", temp.File("c2.log"), "-z", "10485760", "-s", fs[1], "-o", ptcl[1]], stdoutFile: null);
        Shell.Run("pigz", ["-c", ptcl[0]], stdoutFile: Path.Combine(cz, "sda1.vfat-ptcl-img.gz"));
        string ntfsZst = Path.Combine(cz, "sda2.ntfs-ptcl-img.zst");
        Shell.Run("zstd", ["-q", "-c", ptcl[1]], stdoutFile: ntfsZst);
        TestDisk.Split(ntfsZst);
        string dd = temp.File("p3.dd");
        Shell.Run("partclone.dd", ["-q", "-L", temp.File("c3.log"), "-s", fs[2], "-o", dd], stdoutFile: null);
        Shell.Run("zstd", ["-q", "-c", dd], stdoutFile: Path.Combine(cz, "sda3.dd-ptcl-img.zst"));

        string imageDir = temp.File("repo/mixed");
        string btzone = temp.File("btzone");
        EzioCli.Run("image", "import", cz, imageDir, "--piece-size", "256K", "--btzone", btzone);
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        Assert.Equal(["partclone", "partclone", "raw", "swap"], manifest.PartitionTable.Partitions.Select(p => p.Content));

        // --btzone against Clonezilla's own way of making the slices.
        string ours = Path.Combine(btzone, "mixed-img");
        string[] modules = ["vfat", "ntfs"];
        for (int i = 0; i < 2; i++)
        {
            string theirs = temp.File($"bt-sda{i + 1}");
            Shell.Run($"partclone.{modules[i]}", ["-r", "-q", "-L", temp.File($"t{i}.log"), "-T", "-z", "16777216", "-s", ptcl[i], "-o", theirs], stdoutFile: null);
            Btzone.AssertSame(theirs, ours, $"sda{i + 1}");
        }
        string theirsDd = temp.File("bt-sda3");
        Shell.Run("partclone.dd", ["-q", "-L", temp.File("t3.log"), "-T", "-z", "16777216", "-s", fs[2], "-o", theirsDd], stdoutFile: null);
        Btzone.AssertSame(theirsDd, ours, "sda3");
        Assert.False(Directory.Exists(Path.Combine(ours, "sda4")), "swap is recorded, not sliced");

        // Deploy the whole-disk image: table from the manifest, then the swarm.
        string target = temp.File("target.img");
        Sized(target, DiskSize);
        string table = temp.File("apply.sfdisk");
        File.WriteAllText(table, TestDisk.Anonymous(manifest.PartitionTable.Sfdisk));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", target], stdoutFile: null, stdinFile: table);
        await ImportDeployTests.DeployAsync(Path.Combine(imageDir, manifest.Torrent), imageDir, target);

        Assert.Equal(TestDisk.ReadRange(disk, 0, 446), TestDisk.ReadRange(target, 0, 446));
        for (int i = 0; i < 2; i++)
        {
            string restored = temp.File($"restored{i}.img");
            Shell.Run($"partclone.{modules[i]}", ["-r", "-q", "-L", temp.File($"r{i}.log"), "-W", "-s", ptcl[i], "-o", restored], stdoutFile: null);
            UsedBlocks.AssertEqual(ptcl[i], restored, 0, target, Parts[i].Start * Sector);
        }
        string deployedFat = Extract(target, 0, temp.File("fat.out"));
        Shell.Run("fsck.vfat", "-n", deployedFat);
        // partclone.ntfs does not save NTFS's backup boot sector (the partition's last sector lies
        // past the last cluster), so its own restore fails ntfsfix's "alternate boot sector"
        // check. Ours must be exactly as clean as partclone's: same verdict, same report.
        string deployedNtfs = Extract(target, 1, temp.File("ntfs.out"));
        (int exitOurs, string reportOurs) = Shell.RunAnyExit("ntfsfix", "-n", deployedNtfs);
        (int exitTheirs, string reportTheirs) = Shell.RunAnyExit("ntfsfix", "-n", temp.File("restored1.img"));
        Assert.Contains("$MFT and $MFTMirr completed successfully", reportOurs);
        Assert.Equal((exitTheirs, reportTheirs.Replace(temp.File("restored1.img"), "X")), (exitOurs, reportOurs.Replace(deployedNtfs, "X")));
        Assert.Equal(File.ReadAllBytes(fs[2]), TestDisk.ReadRange(target, Parts[2].Start * Sector, (int)(Parts[2].Size * Sector)));

        // The per-partition btzone torrent, seeded straight from the uncompressed NTFS image.
        string single = temp.File("ntfs-from-ptcl.img");
        Sized(single, Parts[1].Size * Sector);
        await ImportDeployTests.DeployAsync(Path.Combine(ours, "sda2.torrent"), ptcl[1], single);
        string restoredNtfs = temp.File("restored1.img");
        UsedBlocks.AssertEqual(ptcl[1], restoredNtfs, 0, single, 0);
        Assert.Contains("$MFT and $MFTMirr completed successfully", Shell.RunAnyExit("ntfsfix", "-n", single).Output);
    }

    private static void MakeVfat(TempDirectory temp, string image, long size)
    {
        Sized(image, size);
        Shell.Run("mkfs.vfat", "-F", "32", "-s", "1", "-n", "EZIOFAT", image);
        string blob = temp.File("fat-blob.bin");
        string text = temp.File("fat-notes.txt");
        File.WriteAllBytes(blob, RandomNumberGenerator.GetBytes(2_500_000));
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("FAT32 line of text\n", 40000)));
        Shell.Run("mmd", "-i", image, "::docs");
        Shell.Run("mcopy", "-i", image, blob, text, "::docs/");
        Shell.Run("mcopy", "-i", image, "/etc/services", "::/");
        Shell.Run("fsck.vfat", "-n", image);
    }

    private static void MakeNtfs(TempDirectory temp, string image, long size)
    {
        Sized(image, size);
        Shell.Run("mkntfs", "-F", "-Q", "-q", "-L", "EZIONTFS", image);
        for (int i = 0; i < 3; i++)
        {
            string file = temp.File($"ntfs-{i}.bin");
            File.WriteAllBytes(file, i == 1
                ? System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"NTFS text {i}\n", 60000)))
                : RandomNumberGenerator.GetBytes(1_500_000 + i * 4096));
            Shell.Run("ntfscp", "-f", "-q", image, file, $"file-{i}.bin");
        }
        Shell.Run("ntfsfix", "-n", image);
    }

    private static string MakeDisk(TempDirectory temp, string[] partitions)
    {
        string disk = temp.File("disk.img");
        Sized(disk, DiskSize);
        string script = temp.File("table.sfdisk");
        File.WriteAllText(script, "label: dos\nunit: sectors\n\n" +
            string.Concat(Parts.Select(p => $"start={p.Start}, size={p.Size}, type={p.Type}\n")));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", disk], stdoutFile: null, stdinFile: script);
        using var output = new FileStream(disk, FileMode.Open);
        output.Write(RandomNumberGenerator.GetBytes(440));
        for (int i = 0; i < partitions.Length; i++)
        {
            output.Position = Parts[i].Start * Sector;
            using FileStream input = File.OpenRead(partitions[i]);
            input.CopyTo(output);
        }
        return disk;
    }

    private static string Extract(string disk, int partition, string path)
    {
        File.WriteAllBytes(path, TestDisk.ReadRange(disk, Parts[partition].Start * Sector, (int)(Parts[partition].Size * Sector)));
        return path;
    }

    private static void Sized(string path, long size)
    {
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(size);
    }
}
