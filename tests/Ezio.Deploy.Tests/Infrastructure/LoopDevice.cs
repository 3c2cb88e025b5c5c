namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// A loop device over a sparse backing file, detached on dispose. Every byte starts as
/// <see cref="Pattern"/>, so a test can prove that holes were never touched.
/// </summary>
internal sealed class LoopDevice : IDisposable
{
    private LoopDevice(string path, string backingFile, long size)
    {
        Path = path;
        BackingFile = backingFile;
        Size = size;
    }

    public string Path { get; }

    public string BackingFile { get; }

    public long Size { get; }

    /// <summary>Creates the backing file (pattern-filled or sparse zeros) and attaches it (with <paramref name="sectorSize"/>-byte logical sectors when given).</summary>
    public static LoopDevice Create(string backingFile, long size, bool fillPattern = true, int? sectorSize = null)
    {
        using (var file = new FileStream(backingFile, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(size);
            if (fillPattern)
            {
                var block = new byte[1 << 20];
                for (long offset = 0; offset < size; offset += block.Length)
                {
                    Pattern.Fill(block, offset);
                    file.Write(block, 0, (int)Math.Min(block.Length, size - offset));
                }
            }
        }

        string device = sectorSize is int ss
            ? Shell.Run("losetup", "--find", "--show", "--sector-size", ss.ToString(System.Globalization.CultureInfo.InvariantCulture), backingFile)
            : Shell.Run("losetup", "--find", "--show", backingFile);
        return new LoopDevice(device, backingFile, size);
    }

    public byte[] ReadAll() => Read(0, checked((int)Size));

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

    public string Sha256() => Hashing.Sha256OfFile(Path, Size);

    public void Dispose()
    {
        var result = Shell.TryRun("losetup", "-d", Path);
        if (result.ExitCode != 0)
        {
            Console.Error.WriteLine($"WARNING: could not detach {Path}: {result.Stderr}");
        }
    }
}
