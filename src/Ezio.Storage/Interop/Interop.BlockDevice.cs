using Tmds.Linux;

namespace Ezio.Storage.Interop;

/// <summary>Block-device ioctls Tmds.LibC has no constants for (linux/fs.h).</summary>
internal static unsafe class BlockDevice
{
    // _IOC layout used by x86, x86-64, arm and arm64: dir(2) | size(14) | type(8) | nr(8).
    private const uint IocRead = 2;

    /// <summary>BLKGETSIZE64 = _IOR(0x12, 114, size_t): device size in bytes (u64).</summary>
    internal static readonly int BlkGetSize64 = Ior(0x12, 114, (uint)IntPtr.Size);

    /// <summary>BLKSSZGET = _IO(0x12, 104): logical sector size (int).</summary>
    internal const int BlkSszGet = (0x12 << 8) | 104;

    /// <summary>Size of the block device behind <paramref name="fd"/>, in bytes.</summary>
    public static long GetSize(int fd, string path)
    {
        ulong size = 0;
        if (LibC.ioctl(fd, BlkGetSize64, &size) != 0)
        {
            Errors.ThrowStorage("ioctl(BLKGETSIZE64)", path, Errors.LastErrno);
        }

        return checked((long)size);
    }

    /// <summary>Logical sector size: the unit O_DIRECT offsets, lengths and buffers must align to.</summary>
    public static int GetLogicalSectorSize(int fd, string path)
    {
        int size = 0;
        if (LibC.ioctl(fd, BlkSszGet, &size) != 0)
        {
            Errors.ThrowStorage("ioctl(BLKSSZGET)", path, Errors.LastErrno);
        }

        return size;
    }

    private static int Ior(uint type, uint nr, uint size) =>
        unchecked((int)((IocRead << 30) | (size << 16) | (type << 8) | nr));
}
