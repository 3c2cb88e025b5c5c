using System.Globalization;
using System.Text;

namespace Ezio.Server.BootFiles;

/// <summary>
/// Writes cpio archives in the "newc" format the Linux kernel unpacks as an initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst). Each entry is
///
/// <code>
///   "070701" ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
///   (6 bytes, then 13 fields of 8 ASCII hex digits: a 110-byte header)
///   name NUL, zero-padded so the data starts at a multiple of 4
///   data, zero-padded to a multiple of 4
/// </code>
///
/// and the entry named "TRAILER!!!" ends the archive. The kernel unpacks archives laid end to
/// end (each may be compressed), so <see cref="AppendTo"/> adds files to an existing initrd:
/// zero bytes up to a 4-byte boundary, where the kernel looks for the next header, then the
/// archive. Entries are owned by root with mtime 0, so the same input gives the same bytes.
/// </summary>
internal static class NewcArchive
{
    public const string Trailer = "TRAILER!!!";
    private const int HeaderLength = 110;
    private const uint RegularFile = 0x8000; // S_IFREG
    private const uint DirectoryType = 0x4000; // S_IFDIR

    /// <summary>A directory (<paramref name="Content"/> null) or regular file at relative path <paramref name="Name"/>.</summary>
    public readonly record struct Entry(string Name, UnixFileMode Mode, byte[]? Content)
    {
        public static Entry Directory(string name, UnixFileMode mode) => new(name, mode, null);

        public static Entry File(string name, UnixFileMode mode, byte[] content) => new(name, mode, content);
    }

    /// <summary>The archive of <paramref name="entries"/> in order, ended by the trailer.</summary>
    public static byte[] Write(IEnumerable<Entry> entries)
    {
        using var buffer = new MemoryStream();
        uint ino = 1;
        foreach (var entry in entries)
        {
            Check(entry.Name);
            var type = entry.Content is null ? DirectoryType : RegularFile;
            WriteEntry(buffer, entry.Name, ino++, type | ((uint)entry.Mode & 0xFFF), entry.Content is null ? 2u : 1u, entry.Content ?? []);
        }
        WriteEntry(buffer, Trailer, 0, 0, 1, []);
        return buffer.ToArray();
    }

    /// <summary>
    /// Copies <paramref name="initrd"/> to <paramref name="destination"/> with the archive of
    /// <paramref name="entries"/> appended after zero padding to a 4-byte boundary.
    /// </summary>
    public static void AppendTo(string initrd, string destination, IEnumerable<Entry> entries)
    {
        var archive = Write(entries);
        using var output = new FileStream(destination, FileMode.Create, FileAccess.Write);
        using (var input = new FileStream(initrd, FileMode.Open, FileAccess.Read))
        {
            input.CopyTo(output);
        }
        output.Write(new byte[Pad(output.Length)]);
        output.Write(archive);
    }

    private static void WriteEntry(MemoryStream buffer, string name, uint ino, uint mode, uint nlink, byte[] content)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var header = new StringBuilder("070701", HeaderLength);
        // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        foreach (var field in new uint[] { ino, mode, 0, 0, nlink, 0, (uint)content.Length, 0, 0, 0, 0, (uint)nameBytes.Length + 1, 0 })
        {
            header.Append(field.ToString("x8", CultureInfo.InvariantCulture));
        }
        buffer.Write(Encoding.ASCII.GetBytes(header.ToString()));
        buffer.Write(nameBytes);
        buffer.WriteByte(0);
        buffer.Write(new byte[Pad(buffer.Length)]);
        buffer.Write(content);
        buffer.Write(new byte[Pad(buffer.Length)]);
    }

    private static int Pad(long length) => (int)((4 - (length & 3)) & 3);

    /// <summary>A relative path of printable ASCII with no empty, "." or ".." segment.</summary>
    private static void Check(string name)
    {
        if (name.Length == 0 || name == Trailer || name.Any(c => c is < ' ' or > '~')
            || name.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new ArgumentException($"'{name}' is not a relative path of printable ASCII", nameof(name));
        }
    }
}
