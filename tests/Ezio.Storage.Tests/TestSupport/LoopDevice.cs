namespace Ezio.Storage.Tests.TestSupport;

/// <summary>A loop device over a backing file, detached on dispose.</summary>
internal sealed class LoopDevice : IDisposable
{
    private LoopDevice(string path, string backingFile)
    {
        Path = path;
        BackingFile = backingFile;
    }

    public string Path { get; }

    public string BackingFile { get; }

    /// <summary>
    /// Attaches <paramref name="backingFile"/>; with <paramref name="offset"/> and
    /// <paramref name="sizeLimit"/> the device stands in for a partition (there is no udev here,
    /// so partition nodes from losetup -P would never appear).
    /// </summary>
    public static LoopDevice Attach(string backingFile, long? offset = null, long? sizeLimit = null)
    {
        var arguments = new List<string> { "--find", "--show" };
        if (offset is not null)
        {
            arguments.AddRange(["--offset", offset.Value.ToString()]);
        }

        if (sizeLimit is not null)
        {
            arguments.AddRange(["--sizelimit", sizeLimit.Value.ToString()]);
        }

        arguments.Add(backingFile);
        string device = Shell.Run("losetup", [.. arguments]);
        return new LoopDevice(device, backingFile);
    }

    public byte[] ReadAll(long length)
    {
        var content = new byte[length];
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        long done = 0;
        while (done < length)
        {
            int n = RandomAccess.Read(handle, content.AsSpan((int)done), done);
            if (n == 0)
            {
                throw new EndOfStreamException($"{Path} ended at {done}.");
            }

            done += n;
        }

        return content;
    }

    public void Dispose()
    {
        try
        {
            Shell.Run("losetup", "-d", Path);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"WARNING: could not detach {Path}: {ex.Message}");
        }
    }
}
