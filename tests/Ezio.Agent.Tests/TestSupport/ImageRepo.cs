using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>Makes a disk image (GPT, one partition, random data) and its torrent in a server repository.</summary>
internal static class ImageRepo
{
    /// <param name="patch">Edits the image file after partitioning, before the torrent is made.</param>
    public static string Create(string root, string name, long size, Action<string>? patch = null)
    {
        var dir = Path.Combine(root, "repo", name);
        Directory.CreateDirectory(dir);
        var data = Path.Combine(dir, "data");
        using (var f = File.Create(data))
        {
            f.SetLength(size);
            var buffer = new byte[1 << 20];
            for (long offset = 1 << 20; offset < size - (1 << 20); offset += buffer.Length)
            {
                Random.Shared.NextBytes(buffer);
                f.Position = offset;
                f.Write(buffer, 0, (int)Math.Min(buffer.Length, size - (1 << 20) - offset));
            }
        }
        Shell.Run("sgdisk", "-o", "-n", "1:2048:0", data);
        patch?.Invoke(data);
        Shell.Run(Binaries.Agent, "torrent", "create", data, "-o", Path.Combine(dir, name + ".torrent"), "--piece-size", "256K", "--name", name);
        return data;
    }

    /// <summary>True when [from, to) of the device equals the image file.</summary>
    public static bool SameBytes(LoopDevice disk, string image, long from, long to)
    {
        using var f = File.OpenRead(image);
        const int chunk = 1 << 20;
        var expected = new byte[chunk];
        for (var offset = from; offset < to; offset += chunk)
        {
            var n = (int)Math.Min(chunk, to - offset);
            f.Position = offset;
            f.ReadExactly(expected, 0, n);
            if (!disk.Read(offset, n).AsSpan().SequenceEqual(expected.AsSpan(0, n)))
            {
                return false;
            }
        }
        return true;
    }
}
