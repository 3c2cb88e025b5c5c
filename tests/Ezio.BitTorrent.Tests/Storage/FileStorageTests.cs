using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Xunit;

namespace Ezio.BitTorrent.Tests.Storage;

public sealed class FileStorageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ezio-fs-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    internal static List<TorrentFile> Files(params (string Path, long Length)[] specs)
    {
        var files = new List<TorrentFile>();
        long offset = 0;
        foreach (var (path, length) in specs)
        {
            files.Add(new TorrentFile(path, path.Split('/'), length, offset));
            offset += length;
        }

        return files;
    }

    [Fact]
    public void Open_MultiFile_CreatesSparseFilesAndDirectories()
    {
        var files = Files(("a.bin", 100), ("sub/dir/b.bin", 0), ("sub/c.bin", 5000));
        using (var storage = FileStorage.Open(_root, files, 5100, isMultiFile: true))
        {
            Assert.False(storage.MayHaveData);
            Assert.Equal(5100, storage.Length);
        }

        Assert.Equal(100, new FileInfo(Path.Combine(_root, "a.bin")).Length);
        Assert.Equal(0, new FileInfo(Path.Combine(_root, "sub/dir/b.bin")).Length);
        Assert.Equal(5000, new FileInfo(Path.Combine(_root, "sub/c.bin")).Length);
    }

    [Fact]
    public void Write_SpanningFiles_SplitsAtBoundaries()
    {
        var files = Files(("a", 10), ("empty", 0), ("b", 7), ("c", 20));
        var data = Enumerable.Range(0, 37).Select(i => (byte)(i + 1)).ToArray();
        using (var storage = FileStorage.Open(_root, files, 37, isMultiFile: true))
        {
            storage.Write(0, data.AsSpan(0, 12));
            storage.Write(12, data.AsSpan(12));
            storage.Flush();

            var back = new byte[30];
            storage.Read(5, back);
            Assert.Equal(data[5..35], back);
        }

        Assert.Equal(data[..10], File.ReadAllBytes(Path.Combine(_root, "a")));
        Assert.Empty(File.ReadAllBytes(Path.Combine(_root, "empty")));
        Assert.Equal(data[10..17], File.ReadAllBytes(Path.Combine(_root, "b")));
        Assert.Equal(data[17..], File.ReadAllBytes(Path.Combine(_root, "c")));
    }

    [Fact]
    public void Open_SingleFile_TargetIsTheFile()
    {
        Directory.CreateDirectory(_root);
        string target = Path.Combine(_root, "image.raw");
        using (var storage = FileStorage.Open(target, Files(("ignored-name", 4096)), 4096, isMultiFile: false))
        {
            storage.Write(100, [7, 8, 9]);
            storage.Flush();
        }

        byte[] content = File.ReadAllBytes(target);
        Assert.Equal(4096, content.Length);
        Assert.Equal(new byte[] { 7, 8, 9 }, content[100..103]);
    }

    [Fact]
    public void Open_ExistingFile_MayHaveDataAndNotShrunk()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllBytes(Path.Combine(_root, "a"), new byte[50]);
        using var storage = FileStorage.Open(_root, Files(("a", 10), ("b", 10)), 20, isMultiFile: true);
        Assert.True(storage.MayHaveData);
        Assert.Equal(50, new FileInfo(Path.Combine(_root, "a")).Length);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/../../evil")]
    [InlineData("./x")]
    [InlineData("a//b")]
    public void Open_EscapingPath_Refused(string path)
    {
        var ex = Assert.Throws<StorageException>(() => FileStorage.Open(_root, Files(("ok", 1), (path, 1)), 2, isMultiFile: true));
        Assert.Contains(path, ex.Message);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_root)!, "evil")));
    }

    [Fact]
    public void Open_DuplicatePaths_Refused()
    {
        Assert.Throws<StorageException>(() => FileStorage.Open(_root, Files(("x", 1), ("x", 1)), 2, isMultiFile: true));
    }

    [Fact]
    public void Read_ManyFilesConcurrently_MatchesWrites()
    {
        var specs = Enumerable.Range(0, 40).Select(i => ($"f{i:D2}", (long)(100 + (i * 37)))).ToArray();
        var files = Files(specs);
        long total = files.Sum(f => f.Length);
        var data = new byte[total];
        Random.Shared.NextBytes(data);
        using var storage = FileStorage.Open(_root, files, total, isMultiFile: true);
        for (int offset = 0; offset < total; offset += 1000)
        {
            int count = (int)Math.Min(1000, total - offset);
            storage.Write(offset, data.AsSpan(offset, count));
        }

        Parallel.For(0, 50, i =>
        {
            int offset = (int)(i * (total / 50));
            var back = new byte[(int)(total / 50)];
            storage.Read(offset, back);
            Assert.True(data.AsSpan(offset, back.Length).SequenceEqual(back));
        });
    }
}
