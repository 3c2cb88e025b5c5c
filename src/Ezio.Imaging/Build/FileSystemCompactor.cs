using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Ezio.Imaging.Capture;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Partclone;

namespace Ezio.Imaging.Build;

/// <summary>
/// Makes a file system compact before it goes into an image: its used blocks are written into a
/// sparse temporary file (on the server, where temporary space is allowed; never on a machine),
/// the copy is shrunk to its minimum with its own tool, and partclone reads the shrunk copy back
/// as the segment's source. All used blocks then lie in the first <see cref="CompactedSource.FileSystemBytes"/>
/// bytes of the partition, so a smaller disk can hold it; the agent grows it after writing.
/// </summary>
/// <remarks>
/// ext2/3/4: `e2fsck -f -y`, `resize2fs -M`. NTFS: `ntfsresize --info` names the smallest size,
/// `ntfsresize -s` shrinks to it (rounded up to 1 MiB), the copy is cut after the backup boot
/// sector, `ntfsfix` replays what ntfsresize left for a check and clears the dirty flag. FAT, xfs
/// and btrfs have no shrinking tool here and are never passed in (they keep their size).
/// </remarks>
public static partial class FileSystemCompactor
{
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromHours(2);

    /// <summary>True for the file systems <see cref="Compact"/> shrinks.</summary>
    public static bool CanCompact(string? fileSystem) => fileSystem is "ext2" or "ext3" or "ext4" or "ntfs";

    /// <summary>
    /// Consumes <paramref name="source"/> (disposed here) and returns the shrunk file system as a
    /// partclone source; its temporary file is deleted when the result is disposed.
    /// </summary>
    public static CompactedSource Compact(IUsedBlockSource source, string fileSystem, string what, string temporaryDirectory)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!CanCompact(fileSystem))
        {
            source.Dispose();
            throw new ArgumentException($"{fileSystem} cannot be compacted.", nameof(fileSystem));
        }
        Directory.CreateDirectory(temporaryDirectory);
        string copy = Path.Combine(temporaryDirectory, $".compact-{what}-{Environment.ProcessId}-{Guid.NewGuid():n}.img");
        try
        {
            long before;
            using (source)
            {
                before = source.Map.TotalBlocks * source.BlockSize;
                WriteSparse(source, copy, before);
            }
            long after = fileSystem == "ntfs" ? ShrinkNtfs(copy, before, what) : ShrinkExt(copy, what);
            string module = fileSystem == "ntfs" ? "ntfs" : fileSystem;
            Stream stream = ToolPipeStream.Start([$"partclone.{module}"], ["-c", "-q", "-L", "/dev/null", "-s", copy, "-o", "-"], null, what + " (compacted)");
            PartcloneReader reader;
            try
            {
                reader = PartcloneReader.Open(stream);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
            return new CompactedSource(reader, copy, before, after);
        }
        catch
        {
            File.Delete(copy);
            throw;
        }
    }

    /// <summary>Writes the used blocks at their offsets into a sparse file of the file system's size.</summary>
    private static void WriteSparse(IUsedBlockSource source, string path, long length)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        file.SetLength(length);
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Max(4 << 20, source.BlockSize));
        int blocks;
        while ((blocks = source.ReadRun(buffer, out long first)) > 0)
        {
            RandomAccess.Write(file.SafeFileHandle, buffer.AsSpan(0, blocks * source.BlockSize), first * source.BlockSize);
        }
    }

    private static long ShrinkExt(string copy, string what)
    {
        // e2fsck: 0 clean, 1 corrected; resize2fs insists on a freshly checked file system.
        (int check, string checkOut, string checkErr) = SystemTools.Run(s_toolTimeout, null, "e2fsck", "-f", "-y", copy);
        if (check > 1)
        {
            throw Failed(what, "e2fsck -f -y", check, checkOut + checkErr);
        }
        (int resize, string resizeOut, string resizeErr) = SystemTools.Run(s_toolTimeout, null, "resize2fs", "-M", copy);
        if (resize != 0)
        {
            throw Failed(what, "resize2fs -M", resize, resizeOut + resizeErr);
        }
        string header = SystemTools.RunChecked("dumpe2fs", "-h", copy);
        long blocks = long.Parse(ExtField(header, "Block count"), CultureInfo.InvariantCulture);
        long blockSize = long.Parse(ExtField(header, "Block size"), CultureInfo.InvariantCulture);
        long size = blocks * blockSize;
        using (var file = new FileStream(copy, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(size);
        }
        return size;
    }

    private static string ExtField(string header, string name)
    {
        foreach (string line in header.Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..].Trim();
            }
        }
        throw new ImageException(ImageError.ToolFailed, $"dumpe2fs printed no '{name}'.");
    }

    private static long ShrinkNtfs(string copy, long before, string what)
    {
        (int info, string infoOut, string infoErr) = SystemTools.Run(s_toolTimeout, null, "ntfsresize", "--info", "--force", "--no-progress-bar", copy);
        Match m = NtfsMinimum().Match(infoOut);
        if (info != 0 || !m.Success)
        {
            throw Failed(what, "ntfsresize --info", info, infoOut + infoErr);
        }
        long minimum = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        long target = (minimum + (1 << 20) - 1) / (1 << 20) * (1 << 20);
        if (target < before)
        {
            (int resize, string resizeOut, string resizeErr) = SystemTools.Run(s_toolTimeout, "y\n", "ntfsresize", "--force", "--force", "--no-progress-bar",
                "-s", target.ToString(CultureInfo.InvariantCulture), copy);
            if (resize != 0)
            {
                throw Failed(what, "ntfsresize -s", resize, resizeOut + resizeErr);
            }
        }
        // The volume now ends with its backup boot sector: sectors × bytes per sector, plus that sector.
        byte[] boot = new byte[512];
        using (var file = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            file.ReadExactly(boot);
            long sectors = BinaryPrimitives.ReadInt64LittleEndian(boot.AsSpan(0x28));
            int bytesPerSector = BinaryPrimitives.ReadUInt16LittleEndian(boot.AsSpan(0x0b));
            long size = (sectors + 1) * bytesPerSector;
            if (bytesPerSector is < 256 or > 4096 || size <= 0 || size > before)
            {
                throw new ImageException(ImageError.Malformed, $"{what}: the NTFS boot sector gives an impossible size after ntfsresize ({sectors} sectors of {bytesPerSector} bytes).");
            }
            file.SetLength(size);
        }
        foreach (string[] fix in (string[][])[["ntfsfix", copy], ["ntfsfix", "-d", copy]])
        {
            (int code, string output, string errors) = SystemTools.Run(s_toolTimeout, null, fix[0], fix[1..]);
            if (code != 0)
            {
                throw Failed(what, string.Join(' ', fix[..^1]), code, output + errors);
            }
        }
        return new FileInfo(copy).Length;
    }

    private static ImageException Failed(string what, string tool, int code, string output) =>
        new(ImageError.ToolFailed, $"{what}: compacting failed: {tool} exited with {code}: {Tail(output)}");

    private static string Tail(string text) => text.Length > 600 ? "…" + text[^600..].Trim() : text.Trim();

    [GeneratedRegex(@"You might resize at (\d+) bytes")]
    private static partial Regex NtfsMinimum();
}

/// <summary>A shrunk file system read by partclone from its temporary copy (deleted on dispose).</summary>
public sealed class CompactedSource : IUsedBlockSource
{
    private readonly PartcloneReader _reader;
    private readonly string _copy;

    internal CompactedSource(PartcloneReader reader, string copy, long originalBytes, long fileSystemBytes)
    {
        _reader = reader;
        _copy = copy;
        OriginalBytes = originalBytes;
        FileSystemBytes = fileSystemBytes;
    }

    /// <summary>The file system's size before shrinking.</summary>
    public long OriginalBytes { get; }

    /// <summary>The file system's size after shrinking: the partition's minimum.</summary>
    public long FileSystemBytes { get; }

    public PartcloneReader Reader => _reader;

    public int BlockSize => _reader.BlockSize;

    public BlockMap Map => _reader.Map;

    public int ReadRun(Span<byte> buffer, out long firstBlock) => _reader.ReadRun(buffer, out firstBlock);

    public void Dispose()
    {
        _reader.Dispose();
        File.Delete(_copy);
    }
}
