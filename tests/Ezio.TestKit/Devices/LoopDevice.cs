using System.Globalization;
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
    private LoopDevice(string path, string backingFile, long size)
    {
        Path = path;
        BackingFile = backingFile;
        Size = size;
    }

    public string Path { get; }

    public string BackingFile { get; }

    /// <summary>The device's size in bytes: the size limit, else the backing file past the offset.</summary>
    public long Size { get; }

    /// <summary>
    /// Creates a sparse backing file of <paramref name="size"/> bytes, fills it through
    /// <paramref name="fill"/> (a 1 MiB block and its offset) when given, and attaches it.
    /// </summary>
    public static LoopDevice Create(string backingFile, long size, Action<Span<byte>, long>? fill = null, int? sectorSize = null)
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

        return Attach(backingFile, sectorSize: sectorSize);
    }

    /// <summary>Attaches <paramref name="backingFile"/>, optionally a byte range of it or with larger logical sectors.</summary>
    public static LoopDevice Attach(string backingFile, long? offset = null, long? sizeLimit = null, int? sectorSize = null)
    {
        var arguments = new List<string> { "--find", "--show" };
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
        return new LoopDevice(Shell.Run("losetup", [.. arguments]), backingFile, size);
    }

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

    public void Dispose()
    {
        // A device without partitions makes partx fail; that is fine.
        _ = Shell.TryRun(TimeSpan.FromSeconds(30), "partx", "-d", Path);
        Shell.Result result = Shell.TryRun(TimeSpan.FromSeconds(30), "losetup", "-d", Path);
        if (result.ExitCode != 0)
        {
            Console.Error.WriteLine($"WARNING: could not detach {Path}: {result.Stderr}");
        }
    }
}
