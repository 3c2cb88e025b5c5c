using System.Runtime.InteropServices;

namespace Ezio.Server.Cli;

/// <summary>
/// The file system side of `ezio-server setup`: directories, files and links made or replaced
/// only when they differ from what is there, each change said in one line and counted.
/// Files are written to a temporary name and renamed; what the service writes or reads
/// privately is handed to its user when setup runs as root.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class Changes((uint Uid, uint Gid)? account, TextWriter output)
{
    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Traversable = Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);

    public int Count { get; private set; }

    public bool Changed(string path) => _changed.Contains(Path.GetFullPath(path));

    public void Note(string line)
    {
        Count++;
        output.WriteLine("  " + line);
    }

    /// <summary>
    /// Makes <paramref name="path"/> (and its parents) when missing; <see cref="UnixFileMode.None"/>
    /// means 0755. A null <paramref name="what"/> counts the change without a line of its own.
    /// </summary>
    public void Directory(string path, UnixFileMode mode, bool service, string? what)
    {
        if (System.IO.Directory.Exists(path))
        {
            return;
        }
        System.IO.Directory.CreateDirectory(path, mode == UnixFileMode.None ? Traversable : mode);
        if (service)
        {
            Own(path);
        }
        Record(path, what is null ? null : $"created {path} ({what})");
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> unless it holds exactly that already.</summary>
    public void File(string path, byte[] content, UnixFileMode mode, bool service, string? what)
    {
        var exists = System.IO.File.Exists(path);
        if (exists && System.IO.File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
        {
            return;
        }
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".ezio-setup";
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            stream.Write(content);
        }
        System.IO.File.SetUnixFileMode(temp, mode);
        if (service)
        {
            Own(temp);
        }
        System.IO.File.Move(temp, path, overwrite: true);
        Record(path, what is null ? null : $"{(exists ? "updated" : "created")} {path} ({what})");
    }

    /// <summary>Copies the tree <paramref name="from"/> into <paramref name="to"/>: files and links that differ.</summary>
    public void Sync(DirectoryInfo from, string to)
    {
        Directory(to, UnixFileMode.None, service: false, null);
        foreach (var entry in from.EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                if (new FileInfo(target).LinkTarget != link)
                {
                    if (System.IO.File.Exists(target) || System.IO.Directory.Exists(target))
                    {
                        System.IO.File.Delete(target);
                    }
                    System.IO.File.CreateSymbolicLink(target, link);
                    Record(target, null);
                }
            }
            else if (entry is DirectoryInfo dir)
            {
                Sync(dir, target);
            }
            else
            {
                File(target, System.IO.File.ReadAllBytes(entry.FullName), Readable, service: false, null);
            }
        }
    }

    /// <summary>Says the changes since <paramref name="before"/> in one line, counted as one change (boot files).</summary>
    public void Summarize(int before, string what)
    {
        if (Count > before)
        {
            output.WriteLine($"  wrote {Count - before} {what}");
            Count = before + 1;
        }
    }

    /// <summary>Hands <paramref name="path"/> to the service user (only when running as root).</summary>
    public void Own(string path)
    {
        if (account is not { } owner || !Path.Exists(path))
        {
            return;
        }
        if (UnixAccount.Chown(path, owner.Uid, owner.Gid) != 0)
        {
            throw new IOException($"cannot chown {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Counts a change; says it when <paramref name="line"/> is given (boot files are said together by <see cref="Summarize"/>).</summary>
    private void Record(string path, string? line)
    {
        _changed.Add(Path.GetFullPath(path));
        Count++;
        if (line is not null)
        {
            output.WriteLine("  " + line);
        }
    }
}

/// <summary>getpwnam and chown from libc: the service user's ids, and handing it files.</summary>
internal static partial class UnixAccount
{
    /// <summary>The uid and gid of <paramref name="user"/>, or null when there is no such user.</summary>
    public static (uint Uid, uint Gid)? Find(string user)
    {
        var entry = GetPasswordEntry(user);
        // struct passwd on LP64 glibc/musl: two pointers, then uid_t pw_uid, gid_t pw_gid.
        return entry == 0 ? null : ((uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size), (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size + 4));
    }

    [LibraryImport("libc.so.6", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc.so.6", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetPasswordEntry(string name);
}
