using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Tests.TestSupport;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

[Collection(LoopDeviceCollection.Name)]
public sealed class LvmLabelTests
{
    private const string PvUuid = "Vgtest-Pv00-0000-0000-0000-0000-000001";

    private static LvmVolumeGroup FixtureGroup() =>
        LvmVolumeGroup.Parse("vgtest", File.ReadAllText(Fixture.Path("ocs-sr", "gpt-lvm", "lvm_vgtest.conf")), "lvm_vgtest.conf",
            new Dictionary<string, string> { [PvUuid] = "sda3" });

    [Fact]
    public void Parse_OcsSrBackup_FindsPvAndLinearLvs()
    {
        LvmVolumeGroup vg = FixtureGroup();
        Assert.Null(vg.Unsupported);
        Assert.Equal(8192, vg.ExtentSize);
        LvmPhysicalVolume pv = Assert.Single(vg.PhysicalVolumes);
        Assert.Equal(("sda3", 2048L, 82L), (pv.Device, pv.PeStart, pv.PeCount));
        Assert.Equal([("root", 0L, 6L, 0L), ("data", 0L, 75L, 6L)],
            vg.LogicalVolumes.Select(l => (l.Name, l.Segments[0].StartExtent, l.Segments[0].ExtentCount, l.Segments[0].PvExtent)));
    }

    [Theory]
    [InlineData("type = \"raid1\"", "vgtest/data is a RAID volume (raid1)")]
    [InlineData("type = \"mirror\"", "vgtest/data is a mirror")]
    [InlineData("type = \"snapshot\"\norigin = \"root\"\ncow_store = \"snap\"", "vgtest/data is a snapshot (of root, stored in snap)")]
    [InlineData("type = \"cache\"", "vgtest/data is a cache volume (cache)")]
    [InlineData("type = \"striped\"\nstripe_count = 2", "vgtest/data is striped over 2 physical volumes")]
    public void Parse_NotLinear_IsUnsupportedNamingTheLv(string segmentType, string expected)
    {
        string text = File.ReadAllText(Fixture.Path("ocs-sr", "gpt-lvm", "lvm_vgtest.conf"));
        int data = text.IndexOf("\t\tdata {", StringComparison.Ordinal);
        int type = text.IndexOf("type = \"striped\"", data, StringComparison.Ordinal);
        int end = text.IndexOf("stripes", type, StringComparison.Ordinal);
        text = text[..type] + segmentType + "\n" + text[end..];
        var vg = LvmVolumeGroup.Parse("vgtest", text, "lvm_vgtest.conf", new Dictionary<string, string> { [PvUuid] = "sda3" });
        Assert.Equal($"logical volume {expected}; Ezio restores linear logical volumes only", vg.Unsupported);
    }

    [Theory]
    [InlineData("vg { extent_size = 8192 ")]
    [InlineData("vg { extent_size = \"8192 }")]
    [InlineData("vg { extent_size 8192 }")]
    [InlineData("vg { a = [1, 2 }")]
    [InlineData("}")]
    [InlineData("vg { extent_size = 0 }")]
    [InlineData("other { }")]
    public void Parse_HostileText_IsMalformed(string text)
    {
        var e = Assert.Throws<ImageException>(() => LvmVolumeGroup.Parse("vg", text, "lvm_vg.conf", new Dictionary<string, string>()));
        Assert.Equal(ImageError.Malformed, e.Reason);
        Assert.Contains("lvm_vg.conf", e.Message);
    }

    [Fact]
    public void Parse_SegmentPastItsPv_IsMalformed()
    {
        string text = File.ReadAllText(Fixture.Path("ocs-sr", "gpt-lvm", "lvm_vgtest.conf")).Replace("\"pv0\", 6", "\"pv0\", 8");
        var e = Assert.Throws<ImageException>(() => LvmVolumeGroup.Parse("vgtest", text, "lvm_vgtest.conf", new Dictionary<string, string> { [PvUuid] = "sda3" }));
        Assert.Contains("past the end", e.Message);
    }

    /// <summary>
    /// What Clonezilla's restore runs (`pvcreate --uuid --restorefile`, `vgcfgrestore`) on a
    /// device the PV partition's size: the label sector must be byte for byte ours, and the
    /// metadata area header the same but for the text's size and checksum.
    /// </summary>
    [ToolFact(true, "losetup", "pvcreate", "vgcfgrestore")]
    public void Build_SameAsPvcreateRestorefileAndVgcfgrestore()
    {
        using var temp = new TempDirectory();
        const long size = 679936L * 512;
        string device = temp.File("pv.img");
        using (var f = File.Create(device))
        {
            f.SetLength(size);
        }
        string conf = Fixture.Path("ocs-sr", "gpt-lvm", "lvm_vgtest.conf");
        using (var loop = LoopDevice.Attach(device))
        {
            Lvm.Run(loop.Path, "pvcreate", "-ff", "--yes", "--uuid", PvUuid, "--zero", "y", "--restorefile", conf, loop.Path);
            Lvm.Run(loop.Path, "vgcfgrestore", "--force", "-f", conf, "vgtest");
        }
        byte[] theirs = TestDisk.ReadRange(device, 0, 2048 * 512);
        LvmVolumeGroup vg = FixtureGroup();
        byte[] ours = LvmLabel.Build(vg, vg.PhysicalVolumes[0], size);

        Assert.Equal(theirs.Length, ours.Length);
        Assert.Equal(theirs.AsSpan(0, 4096).ToArray(), ours.AsSpan(0, 4096).ToArray());
        Assert.Equal(theirs.AsSpan(4096 + 4, 44).ToArray(), ours.AsSpan(4096 + 4, 44).ToArray());
        Assert.Equal(LvmLabel.Crc(ours.AsSpan(4096 + 4, 508)), BitConverter.ToUInt32(ours, 4096));
        Assert.StartsWith("vgtest {", System.Text.Encoding.ASCII.GetString(ours, 4096 + 512, 16));
    }
}
