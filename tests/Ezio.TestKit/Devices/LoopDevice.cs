using System.Globalization;
using System.Security.Cryptography;
using Ezio.TestKit.Processes;

namespace Ezio.TestKit.Devices;

/// <summary>
/// A loop device over a backing file (root), detached on dispose: partitions the kernel added
/// for it are removed first (partx -d), then the device (losetup -d). With an offset and a size
/// limit the device stands in for a partition (there is no udev here, so the partition nodes
/// of losetup -P would never appear).
/// </summary>
public sealed class LoopDevice : IDisposable
{
    private readonly bool _ownsBackingFile;

    private LoopDevice(string path, string backingFile, long size, bool ownsBackingFile)
    {
        Path = path;
        BackingFile = backingFile;
        Size = size;
        _ownsBackingFile = ownsBackingFile;
    }

    public string Path { get; }

    public string BackingFile { get; }

    /// <summary>The device's size in bytes: the size limit, else the backing file past the offset.</summary>
    public long Size { get; }

    /// <summary>
    /// Creates a sparse backing file of <paramref name="size"/> bytes, fills it through
    /// <paramref name="fill"/> (a 1 MiB block and its offset) when given, and attaches it.
    /// </summary>
    public static LoopDevice Create(string backingFile, long size, Action<Span<byte>, long>? fill = null, int? sectorSize = null) =>
        CreateCore(backingFile, size, fill, sectorSize, ownsBackingFile: false);

    /// <summary>An empty disk of <paramref name="size"/> bytes over a new sparse file in <paramref name="directory"/>; dispose deletes the file.</summary>
    public static LoopDevice CreateIn(string directory, long size, int? sectorSize = null) =>
        CreateCore(System.IO.Path.Combine(directory, $"disk-{Guid.NewGuid():n}.img"), size, fill: null, sectorSize, ownsBackingFile: true);

    /// <summary>
    /// Attaches <paramref name="backingFile"/> (a file, or a device such as another loop device),
    /// optionally a byte range of it (a partition), read-only, or with larger logical sectors.
    /// </summary>
    public static LoopDevice Attach(string backingFile, long? offset = null, long? sizeLimit = null, int? sectorSize = null, bool readOnly = false) =>
        AttachCore(backingFile, offset, sizeLimit, sectorSize, readOnly, ownsBackingFile: false);

    public byte[] ReadAll() => Read(0, checked((int)Size));

    public byte[] ReadAll(long length) => Read(0, checked((int)length));

    public byte[] Read(long offset, int length)
    {
        var content = new byte[length];
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int done = 0;
        while (done < length)
        {
            int n = RandomAccess.Read(handle, content.AsSpan(done), offset + done);
            if (n == 0)
            {
                throw new EndOfStreamException($"{Path} ended at {offset + done}.");
            }

            done += n;
        }

        return content;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        RandomAccess.Write(handle, data, offset);
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>SHA-256 (hex) of the whole device, read through the block device, not the file.</summary>
    public string Hash()
    {
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    public void Dispose()
    {
        // A device without partitions makes partx fail; that is fine.
        _ = Shell.TryRun(TimeSpan.FromSeconds(30), "partx", "-d", Path);
        Shell.Result result = Shell.TryRun(TimeSpan.FromSeconds(30), "losetup", "-d", Path);
        if (result.ExitCode != 0)
        {
            Console.Error.WriteLine($"WARNING: could not detach {Path}: {result.Stderr}");
        }

        if (_ownsBackingFile)
        {
            File.Delete(BackingFile);
        }
    }

    private static LoopDevice CreateCore(string backingFile, long size, Action<Span<byte>, long>? fill, int? sectorSize, bool ownsBackingFile)
    {
        using (var file = new FileStream(backingFile, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(size);
            if (fill is not null)
            {
                var block = new byte[1 << 20];
                for (long offset = 0; offset < size; offset += block.Length)
                {
                    fill(block, offset);
                    file.Write(block, 0, (int)Math.Min(block.Length, size - offset));
                }
            }
        }

        return AttachCore(backingFile, offset: null, sizeLimit: null, sectorSize, readOnly: false, ownsBackingFile);
    }

    private static LoopDevice AttachCore(string backingFile, long? offset, long? sizeLimit, int? sectorSize, bool readOnly, bool ownsBackingFile)
    {
        var arguments = new List<string> { "--find", "--show" };
        if (readOnly)
        {
            arguments.Add("--read-only");
        }

        if (offset is not null)
        {
            arguments.AddRange(["--offset", offset.Value.ToString(CultureInfo.InvariantCulture)]);
        }

        if (sizeLimit is not null)
        {
            arguments.AddRange(["--sizelimit", sizeLimit.Value.ToString(CultureInfo.InvariantCulture)]);
        }

        if (sectorSize is not null)
        {
            arguments.AddRange(["--sector-size", sectorSize.Value.ToString(CultureInfo.InvariantCulture)]);
        }

        arguments.Add(backingFile);
        long size = sizeLimit ?? new FileInfo(backingFile).Length - (offset ?? 0);
        try
        {
            return new LoopDevice(Shell.Run("losetup", [.. arguments]), backingFile, size, ownsBackingFile);
        }
        catch when (ownsBackingFile)
        {
            File.Delete(backingFile);
            throw;
        }
    }
}
