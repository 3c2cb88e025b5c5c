using System.Buffers.Binary;

namespace Ezio.Agent.Disks;

/// <summary>Filesystems the post-steps tell apart.</summary>
internal enum FilesystemKind
{
    Unknown,
    Ext,
    Xfs,
    Btrfs,
    Ntfs,
    Vfat,
    Swap,
    LvmPv,
}

/// <summary>
/// Recognizes a filesystem from the first <see cref="HeadBytes"/> of its partition by the
/// superblock magics (the same ones blkid checks):
/// <code>
///   ext2/3/4  0xEF53 (little endian) at 1024 + 56
///   xfs       "XFSB" at 0
///   btrfs     "_BHRfS_M" at 64 KiB + 64
///   ntfs      "NTFS    " at 3
///   vfat      "FAT32   " at 82, "FAT12   "/"FAT16   " at 54, plus 0x55AA at 510
///   swap      "SWAPSPACE2" at page end (4096 - 10)
///   LVM2 PV   "LABELONE" at 0 and "LVM2 001" at 24 of one of the first four 512-byte sectors
/// </code>
/// </summary>
internal static class FilesystemProbe
{
    public const int HeadBytes = 128 * 1024;

    public static FilesystemKind Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 1082 && BinaryPrimitives.ReadUInt16LittleEndian(head[1080..]) == 0xEF53)
        {
            return FilesystemKind.Ext;
        }
        if (head.Length >= 4 && head[..4].SequenceEqual("XFSB"u8))
        {
            return FilesystemKind.Xfs;
        }
        if (head.Length >= 0x10048 && head.Slice(0x10040, 8).SequenceEqual("_BHRfS_M"u8))
        {
            return FilesystemKind.Btrfs;
        }
        if (head.Length >= 11 && head.Slice(3, 8).SequenceEqual("NTFS    "u8))
        {
            return FilesystemKind.Ntfs;
        }
        if (head.Length >= 512 && head[510] == 0x55 && head[511] == 0xAA
            && (head.Slice(82, 5).SequenceEqual("FAT32"u8) || head.Slice(54, 5).SequenceEqual("FAT12"u8) || head.Slice(54, 5).SequenceEqual("FAT16"u8)))
        {
            return FilesystemKind.Vfat;
        }
        if (head.Length >= 4096 && head.Slice(4096 - 10, 10).SequenceEqual("SWAPSPACE2"u8))
        {
            return FilesystemKind.Swap;
        }
        for (var sector = 0; sector < 4 && head.Length >= (sector + 1) * 512; sector++)
        {
            var label = head.Slice(sector * 512, 512);
            if (label[..8].SequenceEqual("LABELONE"u8) && label.Slice(24, 8).SequenceEqual("LVM2 001"u8))
            {
                return FilesystemKind.LvmPv;
            }
        }
        return FilesystemKind.Unknown;
    }

    /// <summary>Reads the head of [offset, offset + length) of <paramref name="device"/> and detects its filesystem.</summary>
    public static FilesystemKind Detect(string device, long offset, long length)
    {
        var head = new byte[(int)Math.Min(HeadBytes, length)];
        using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var done = 0;
        while (done < head.Length)
        {
            var n = RandomAccess.Read(handle, head.AsSpan(done), offset + done);
            if (n == 0)
            {
                break;
            }
            done += n;
        }
        return Detect(head.AsSpan(0, done));
    }
}
