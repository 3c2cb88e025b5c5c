using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// Nothing of a Clonezilla image directory passes silently: a copy of a real ocs-sr image with
/// one thing Ezio cannot restore added (or one volume taken away) must fail naming the file,
/// and with allowPartial list it with the devices it leaves empty.
/// </summary>
public sealed class UnknownFileTests
{
    private static string CopyFixture(TempDirectory temp, string name)
    {
        string copy = temp.File(name);
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(Fixture.Path("ocs-sr", name)))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }
        return copy;
    }

    [Fact]
    public void Open_OcsSrFixtures_KnowEveryFile()
    {
        foreach (string name in new[] { "gpt-lvm", "mbr-swap-extended" })
        {
            var image = ClonezillaImage.Open(Fixture.Path("ocs-sr", name));
            Assert.Empty(image.Problems);
        }
    }

    public static TheoryData<string, string, string, string?> Damages => new()
    {
        // change, file named, reason, device left empty
        { "add notes.bin", "notes.bin", "not a file Ezio understands", null },
        { "ntfsclone sda6", "sda6.ntfs-img.aa", "ntfsclone", "sda6" },
        { "partimage sda6", "sda6.aa", "partimage", "sda6" },
        { "lzip sda6", "sda6.ext4-ptcl-img.lzip.aa", "compressed with 'lzip'", "sda6" },
        { "split gap sda6", "sda6.ext4-ptcl-img.zst.aa", "volume .ab of the split set is missing", "sda6" },
        { "split truncated sda6", "sda6.ext4-ptcl-img.zst.aa", "a volume is truncated", "sda6" },
        { "luks sda6", "luks-dev.list", "LUKS", "sda6" },
        { "md raid", "mdadm.conf", "software RAID", null },
        { "encrypted image", "ecryptfs.info", "encrypted", null },
        { "parts without image", "parts", "lists sda7, but the directory holds no image of it", "sda7" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void Open_SomethingEzioCannotRestore_FailsNamingItOrListsItWhenPartial(string change, string file, string reason, string? device)
    {
        using var temp = new TempDirectory();
        string dir = CopyFixture(temp, "mbr-swap-extended");
        string sda6 = Path.Combine(dir, "sda6.ext4-ptcl-img.zst.aa");
        switch (change)
        {
            case "add notes.bin":
                File.WriteAllText(Path.Combine(dir, "notes.bin"), "x");
                break;
            case "ntfsclone sda6":
                File.Move(sda6, Path.Combine(dir, "sda6.ntfs-img.aa"));
                break;
            case "partimage sda6":
                File.Move(sda6, Path.Combine(dir, "sda6.aa"));
                break;
            case "lzip sda6":
                File.Move(sda6, Path.Combine(dir, "sda6.ext4-ptcl-img.lzip.aa"));
                break;
            case "split gap sda6" or "split truncated sda6":
                byte[] all = File.ReadAllBytes(sda6);
                int third = all.Length / 3;
                File.WriteAllBytes(sda6, all[..third]);
                File.WriteAllBytes(sda6[..^2] + "ab", all[third..(2 * third)]);
                File.WriteAllBytes(sda6[..^2] + "ac", all[(2 * third)..]);
                if (change == "split gap sda6")
                {
                    File.Delete(sda6[..^2] + "ab");
                }
                else
                {
                    File.WriteAllBytes(sda6[..^2] + "ab", all[third..(2 * third - 100)]);
                }
                break;
            case "luks sda6":
                File.WriteAllText(Path.Combine(dir, "luks-dev.list"), "# <Block device> <UUID> <Device mapped name>\n/dev/sda6 0b5e0000-0000-4000-8000-000000000006 ocs_luks_Xy1\n");
                break;
            case "md raid":
                File.WriteAllText(Path.Combine(dir, "mdadm.conf"), "ARRAY /dev/md0 metadata=1.2 name=x:0\n");
                break;
            case "encrypted image":
                File.WriteAllText(Path.Combine(dir, "ecryptfs.info"), "encrypted\n");
                break;
            case "parts without image":
                File.AppendAllText(Path.Combine(dir, "parts"), "sda7\n");
                break;
        }

        var e = Assert.Throws<ImageException>(() => ClonezillaImage.Open(dir));
        Assert.Equal(ImageError.NotSupported, e.Reason);
        Assert.Contains($"{file}: ", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Contains("--allow-partial", e.Message);

        var partial = ClonezillaImage.Open(dir, allowPartial: true);
        ImageProblem problem = Assert.Single(partial.Problems);
        Assert.Equal(file, problem.File);
        Assert.Contains(reason, problem.Reason);
        if (device is not null)
        {
            Assert.Contains(reason, partial.LeftEmpty(device));
            Assert.DoesNotContain(partial.Partitions, p => p.Name == device);
        }
        Assert.Null(partial.LeftEmpty("sda1"));
        Assert.Contains(partial.Partitions, p => p.Name == "sda1" && p.Content == PartitionContent.Partclone);
    }

    [Fact]
    public void Open_LvImageMissing_NamesTheLv()
    {
        using var temp = new TempDirectory();
        string dir = CopyFixture(temp, "gpt-lvm");
        File.Delete(Path.Combine(dir, "vgtest-data.xfs-ptcl-img.zst.aa"));
        var e = Assert.Throws<ImageException>(() => ClonezillaImage.Open(dir));
        Assert.Contains("lvm_vgtest.conf: logical volume vgtest/data has no image", e.Message);
        Assert.Contains("logical volume vgtest/data has no image", ClonezillaImage.Open(dir, allowPartial: true).LeftEmpty("vgtest-data"));
    }

    /// <summary>The command line: the failure names the file and writes nothing; --allow-partial imports and the manifest and `image info` say what is empty.</summary>
    [ToolFact(false, "zstd")]
    public void Import_NtfscloneBesideOcsSrImages_FailsThenAllowPartialRecordsTheEmptyPartition()
    {
        using var temp = new TempDirectory();
        string dir = CopyFixture(temp, "mbr-swap-extended");
        File.Move(Path.Combine(dir, "sda6.ext4-ptcl-img.zst.aa"), Path.Combine(dir, "sda6.ntfs-img.aa"));
        string imageDir = temp.File("repo/partial");
        (int exit, string output) = Shell.RunAnyExit(Tools.Require("ezio"), "image", "import", dir, imageDir);
        Assert.Equal(1, exit);
        Assert.Contains("sda6.ntfs-img.aa: an ntfsclone image", output);
        Assert.False(Directory.Exists(imageDir));

        (exit, output) = Shell.RunAnyExit(Tools.Require("ezio"), "image", "import", dir, imageDir, "--allow-partial");
        Assert.True(exit == 0, output);
        Assert.Contains("sda6 will be left empty: sda6.ntfs-img.aa: an ntfsclone image", output);
        var manifest = ImageManifest.Load(Path.Combine(imageDir, "image.json"));
        PartitionInfo sda6 = manifest.PartitionTable.Partitions.Single(p => p.Device == "sda6");
        Assert.Equal(("none", 0L), (sda6.Content, sda6.UsedBytes));
        Assert.Contains("ntfsclone", sda6.LeftEmpty);
        Assert.Equal(["sda6.ntfs-img.aa: an ntfsclone image; Ezio reads partclone images only"], manifest.NotImported);
        Assert.Null(manifest.PartitionTable.Partitions.Single(p => p.Device == "sda1").LeftEmpty);
        string info = EzioCli.Run("image", "info", imageDir);
        Assert.Contains("LEFT EMPTY: sda6.ntfs-img.aa: an ntfsclone image", info);
        Assert.Contains("not imported: sda6.ntfs-img.aa", info);
    }
}
