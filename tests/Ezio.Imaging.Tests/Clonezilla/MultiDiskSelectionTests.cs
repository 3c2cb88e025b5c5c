using System.Security.Cryptography;
using Ezio.Imaging.Build;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// A Clonezilla directory of two disks (`disk` = "sda sdb", `parts` = "sda1 sdb1 sdb2", as
/// `ocs-sr savedisk` writes for two disks) made with the real tools (sfdisk, mkfs.vfat, mcopy,
/// partclone.vfat, pigz). Importing it as one disk must fail naming both disks and write
/// nothing; `--disk sdb` imports sdb alone, with sdb's table and partitions only.
/// </summary>
public sealed class MultiDiskSelectionTests
{
    private const long Sector = 512;

    [ToolFact(false, "sfdisk", "mkfs.vfat", "mcopy", "partclone.vfat", "pigz")]
    public void Import_TwoDisksNoneChosen_RefusesNamingBothAndWritesNothing()
    {
        using var temp = new TempDirectory();
        string cz = MakeTwoDiskImage(temp);
        string output = temp.File("repo/both");

        var e = Assert.Throws<ImageException>(() => ClonezillaImporter.Import(cz, output, new ImageBuildOptions()));

        Assert.Equal(ImageError.NotSupported, e.Reason);
        Assert.Contains("2 disks (sda sdb)", e.Message);
        Assert.Contains("--disk sda or --disk sdb", e.Message);
        Assert.False(Directory.Exists(output), "a refused import writes nothing");
    }

    [ToolFact(false, "sfdisk", "mkfs.vfat", "mcopy", "partclone.vfat", "pigz")]
    public void Import_TwoDisksSdbChosen_ImportsSdbAlone()
    {
        using var temp = new TempDirectory();
        string cz = MakeTwoDiskImage(temp);
        string output = temp.File("repo/sdb");

        ImageManifest manifest = ClonezillaImporter.Import(cz, output, new ImageBuildOptions { Disk = "sdb", PieceLength = 256 << 10 });

        Assert.Equal(["sdb1", "sdb2"], manifest.PartitionTable.Partitions.Select(p => p.Device));
        Assert.All(manifest.PartitionTable.Partitions, p => Assert.Equal("partclone", p.Content));
        Assert.Contains("/dev/sdb1", manifest.PartitionTable.Sfdisk);
        Assert.DoesNotContain("sda", manifest.PartitionTable.Sfdisk);
        Assert.Equal(File.ReadAllBytes(Path.Combine(cz, "sdb-mbr")).AsSpan(0, 446).ToArray(),
            ReadMbrBootCode(output, manifest));
    }

    [ToolFact(false, "sfdisk", "mkfs.vfat", "mcopy", "partclone.vfat", "pigz")]
    public void Import_TwoDisksUnknownDiskChosen_RefusesNamingTheDisks()
    {
        using var temp = new TempDirectory();
        string cz = MakeTwoDiskImage(temp);

        var e = Assert.Throws<ImageException>(() =>
            ClonezillaImporter.Import(cz, temp.File("repo/x"), new ImageBuildOptions { Disk = "sdc" }));

        Assert.Contains("no disk sdc", e.Message);
        Assert.Contains("sda sdb", e.Message);
        Assert.False(Directory.Exists(temp.File("repo/x")));
    }

    [Theory]
    [InlineData("sda1", "sda", true)]
    [InlineData("sda12", "sda", true)]
    [InlineData("sdaa1", "sda", false)]
    [InlineData("sdb1", "sda", false)]
    [InlineData("sda", "sda", false)]
    [InlineData("nvme0n1p2", "nvme0n1", true)]
    [InlineData("nvme0n12", "nvme0n1", false)]
    [InlineData("md126p1", "md126", true)]
    [InlineData("cciss-c0d0p1", "cciss-c0d0", true)]
    public void IsPartitionOf_Names_MatchesKernelNaming(string part, string disk, bool expected) =>
        Assert.Equal(expected, ClonezillaDisks.IsPartitionOf(part, disk));

    private static byte[] ReadMbrBootCode(string imageDir, ImageManifest manifest)
    {
        // The boot code is the first 446 bytes of the disk's address space: piece 0 of the store.
        using var store = Ezio.Imaging.Store.PieceStore.Open(Path.Combine(imageDir, EzioImage.PieceStoreFileName));
        var piece = new byte[store.LengthOf(0)];
        store.ReadPiece(0, piece);
        Assert.Equal("mbr boot code", manifest.BootArea[0].What);
        return piece[..446];
    }

    /// <summary>sda: one FAT partition; sdb: two, each disk with its own table, MBR and parts entries.</summary>
    private static string MakeTwoDiskImage(TempDirectory temp)
    {
        string cz = temp.File("two-disks");
        Directory.CreateDirectory(cz);
        File.WriteAllText(Path.Combine(cz, "disk"), "sda sdb\n");
        File.WriteAllText(Path.Combine(cz, "parts"), "sda1 sdb1 sdb2\n");
        AddDisk(temp, cz, "sda", [(2048, 65536)]);
        AddDisk(temp, cz, "sdb", [(2048, 65536), (67584, 65536)]);
        return cz;
    }

    private static void AddDisk(TempDirectory temp, string cz, string name, (long Start, long Size)[] parts)
    {
        string disk = temp.File($"{name}.img");
        using (var f = new FileStream(disk, FileMode.Create))
        {
            f.SetLength(96L << 20);
        }
        string script = temp.File($"{name}.sfdisk");
        File.WriteAllText(script, "label: dos\nunit: sectors\n\n" + string.Concat(parts.Select(p => $"start={p.Start}, size={p.Size}, type=c\n")));
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", disk], stdoutFile: null, stdinFile: script);
        using (var f = new FileStream(disk, FileMode.Open))
        {
            f.Write(RandomNumberGenerator.GetBytes(440));
        }
        File.WriteAllText(Path.Combine(cz, $"{name}-pt.sf"), Shell.Run("sfdisk", "-d", disk).Replace(disk, $"/dev/{name}") + "\n");
        File.WriteAllBytes(Path.Combine(cz, $"{name}-mbr"), TestDisk.ReadRange(disk, 0, 512));
        for (int i = 0; i < parts.Length; i++)
        {
            string fs = temp.File($"{name}{i + 1}.fs");
            using (var f = new FileStream(fs, FileMode.Create))
            {
                f.SetLength(parts[i].Size * Sector);
            }
            Shell.Run("mkfs.vfat", "-F", "16", "-n", $"{name.ToUpperInvariant()}{i + 1}", fs);
            string file = temp.File($"{name}{i + 1}.bin");
            File.WriteAllBytes(file, RandomNumberGenerator.GetBytes(300_000));
            Shell.Run("mcopy", "-i", fs, file, "::/");
            string ptcl = temp.File($"{name}{i + 1}.ptcl");
            Shell.Run("partclone.vfat", ["-c", "-q", "-L", temp.File($"{name}{i + 1}.log"), "-s", fs, "-o", ptcl], stdoutFile: null);
            Shell.Run("pigz", ["-c", ptcl], stdoutFile: Path.Combine(cz, $"{name}{i + 1}.vfat-ptcl-img.gz"));
        }
    }
}
