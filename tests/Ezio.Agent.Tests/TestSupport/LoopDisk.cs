using System.Security.Cryptography;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>A loop device over a sparse backing file; detached and deleted on dispose.</summary>
internal sealed class LoopDisk : IDisposable
{
    private LoopDisk(string path, string backing)
    {
        Path = path;
        Backing = backing;
    }

    public string Path { get; }

    public string Backing { get; }

    public static LoopDisk Create(string dir, long size)
    {
        var backing = System.IO.Path.Combine(dir, $"disk-{Guid.NewGuid():n}.img");
        using (var f = File.Create(backing))
        {
            f.SetLength(size);
        }
        return new LoopDisk(Shell.Run("losetup", "--find", "--show", backing), backing);
    }

    /// <summary>SHA-256 of the whole device (read through the block device, not the file).</summary>
    public string Hash()
    {
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    public byte[] Read(long offset, int length)
    {
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[length];
        var done = 0;
        while (done < length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(done), offset + done);
            if (n == 0)
            {
                break;
            }
            done += n;
        }
        return bytes;
    }

    public void Dispose()
    {
        Shell.TryRun(TimeSpan.FromSeconds(30), "losetup", "-d", Path);
        File.Delete(Backing);
    }
}
