using Ezio.Agent.Disks;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Disks;

public sealed class FilesystemProbeTests
{
    private static byte[] Head(int offset, params byte[] magic)
    {
        var head = new byte[FilesystemProbe.HeadBytes];
        magic.CopyTo(head, offset);
        return head;
    }

    [Fact]
    public void Detect_Magics_RecognizesEachFilesystem()
    {
        Assert.Equal(FilesystemKind.Ext, FilesystemProbe.Detect(Head(1080, 0x53, 0xEF)));
        Assert.Equal(FilesystemKind.Xfs, FilesystemProbe.Detect(Head(0, "XFSB"u8.ToArray())));
        Assert.Equal(FilesystemKind.Btrfs, FilesystemProbe.Detect(Head(0x10040, "_BHRfS_M"u8.ToArray())));
        Assert.Equal(FilesystemKind.Ntfs, FilesystemProbe.Detect(Head(3, "NTFS    "u8.ToArray())));
        Assert.Equal(FilesystemKind.Swap, FilesystemProbe.Detect(Head(4086, "SWAPSPACE2"u8.ToArray())));
        var fat = Head(82, "FAT32   "u8.ToArray());
        fat[510] = 0x55;
        fat[511] = 0xAA;
        Assert.Equal(FilesystemKind.Vfat, FilesystemProbe.Detect(fat));
        var pv = Head(512, "LABELONE"u8.ToArray());
        "LVM2 001"u8.CopyTo(pv.AsSpan(512 + 24));
        Assert.Equal(FilesystemKind.LvmPv, FilesystemProbe.Detect(pv));
        Assert.Equal(FilesystemKind.Unknown, FilesystemProbe.Detect(Head(512, "LABELONE"u8.ToArray())));
    }

    [Fact]
    public void Detect_ZerosOrShortHead_IsUnknown()
    {
        Assert.Equal(FilesystemKind.Unknown, FilesystemProbe.Detect(new byte[FilesystemProbe.HeadBytes]));
        Assert.Equal(FilesystemKind.Unknown, FilesystemProbe.Detect(new byte[100]));
        Assert.Equal(FilesystemKind.Unknown, FilesystemProbe.Detect(Head(1080, 0x53, 0xEE)));
    }

    [Fact]
    public void Detect_RealExt4AtAnOffset_IsExt()
    {
        var dir = Directory.CreateTempSubdirectory("ezio-probe-").FullName;
        try
        {
            var fs = Path.Combine(dir, "fs");
            using (var f = File.Create(fs))
            {
                f.SetLength(4 << 20);
            }
            Shell.Run("mkfs.ext4", "-q", "-F", fs);
            var disk = Path.Combine(dir, "disk");
            using (var d = File.Create(disk))
            {
                d.SetLength(8 << 20);
                d.Position = 1 << 20;
                d.Write(File.ReadAllBytes(fs));
            }

            Assert.Equal(FilesystemKind.Ext, FilesystemProbe.Detect(disk, 1 << 20, 4 << 20));
            Assert.Equal(FilesystemKind.Unknown, FilesystemProbe.Detect(disk, 0, 1 << 20));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
