using System.Text;
using Tmds.Linux;

namespace Ezio.Storage.Interop;

internal static unsafe class Paths
{
    /// <summary>The path as the NUL-terminated UTF-8 bytes libc expects.</summary>
    public static byte[] ToNative(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    /// <summary>True when <paramref name="path"/> (after symlinks) is a block device.</summary>
    public static bool IsBlockDevice(string path)
    {
        stat st;
        fixed (byte* p = ToNative(path))
        {
            return LibC.stat(p, &st) == 0 && LibC.S_ISBLK(st.st_mode);
        }
    }

    /// <summary>True when <paramref name="path"/> resolves to something (a dangling symlink does not).</summary>
    public static bool Exists(string path)
    {
        stat st;
        fixed (byte* p = ToNative(path))
        {
            return LibC.stat(p, &st) == 0;
        }
    }

    /// <summary>True when <paramref name="path"/> (after symlinks) is a regular file.</summary>
    public static bool IsRegularFile(string path)
    {
        stat st;
        fixed (byte* p = ToNative(path))
        {
            return LibC.stat(p, &st) == 0 && LibC.S_ISREG(st.st_mode);
        }
    }
}
