using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Partclone;
using Xunit;

namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>Helpers to produce and compare Clonezilla btzone layouts.</summary>
internal static class Btzone
{
    /// <summary>Streams <paramref name="source"/> through a <see cref="BtzoneWriter"/>, as the importer does.</summary>
    public static void Write(IUsedBlockSource source, string imageDirectory, string partition, int blockSize, long totalBlocks,
        long sliceBytes = BtzoneWriter.ClonezillaSliceBytes)
    {
        using var writer = new BtzoneWriter(imageDirectory, partition, blockSize, totalBlocks, new BtzoneTorrentOptions(), sliceBytes);
        var buffer = new byte[4 << 20];
        int n;
        while ((n = source.ReadRun(buffer, out long first)) > 0)
        {
            writer.Append(first * source.BlockSize, buffer.AsSpan(0, n * source.BlockSize));
        }
        writer.Complete();
    }

    /// <summary>"-r-------- size name" per slice, sorted by name: the fixture listing format minus torrent.info.</summary>
    public static string[] Listing(string sliceDirectory) =>
        Directory.GetFiles(sliceDirectory).Order(StringComparer.Ordinal)
            .Where(f => Path.GetFileName(f) != "torrent.info")
            .Select(f => $"{Mode(f)} {new FileInfo(f).Length} {Path.GetFileName(f)}").ToArray();

    /// <summary>Our slices and torrent.info equal what `partclone -r -T` left in <paramref name="partcloneDirectory"/>.</summary>
    public static void AssertSame(string partcloneDirectory, string ourImageDirectory, string partition)
    {
        string ours = Path.Combine(ourImageDirectory, partition);
        Assert.Equal(Listing(partcloneDirectory), Listing(ours));
        foreach (string file in Directory.GetFiles(partcloneDirectory).Where(f => Path.GetFileName(f) != "torrent.info"))
        {
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(ours, Path.GetFileName(file)))),
                $"slice {Path.GetFileName(file)} of {partition} differs");
        }
        Assert.Equal(File.ReadAllText(Path.Combine(partcloneDirectory, "torrent.info")),
            File.ReadAllText(Path.Combine(ourImageDirectory, partition + ".torrent.info")));
    }

    private static string Mode(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return "-?????????";
        }
        UnixFileMode m = File.GetUnixFileMode(path);
        return "-" + (m.HasFlag(UnixFileMode.UserRead) ? "r" : "-") + (m.HasFlag(UnixFileMode.UserWrite) ? "w" : "-") + "-------";
    }
}
