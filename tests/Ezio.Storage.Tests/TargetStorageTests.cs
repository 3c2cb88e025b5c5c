using Ezio.BitTorrent.Storage;
using Ezio.Storage.Tests.TestSupport;
using Xunit;

namespace Ezio.Storage.Tests;

public sealed class TargetStorageTests
{
    [Fact]
    public void Open_AutoWithOffsetNames_UsesRawTarget()
    {
        using var temp = new TempDirectory();
        using ITorrentStorage storage = TargetStorage.Open(temp.File("disk.img"), TorrentFiles.Offsets((8192, 100)), 100,
            isMultiFile: true, StorageLayout.Auto);
        Assert.IsType<RawTargetStorage>(storage);
        Assert.Equal(8292, new FileInfo(temp.File("disk.img")).Length);
    }

    [Fact]
    public void Open_AutoWithOrdinaryNames_UsesFiles()
    {
        using var temp = new TempDirectory();
        using ITorrentStorage storage = TargetStorage.Open(temp.File("out"), TorrentFiles.Named(("a.txt", 3), ("b/c.txt", 4)), 7,
            isMultiFile: true, StorageLayout.Auto);
        Assert.IsType<FileStorage>(storage);
        Assert.True(File.Exists(temp.File("out/b/c.txt")));
    }

    [Fact]
    public void Open_OffsetsWithOrdinaryNames_Refused()
    {
        using var temp = new TempDirectory();
        var ex = Assert.Throws<TargetRefusedException>(() => TargetStorage.Open(temp.File("x"), TorrentFiles.Named(("a.txt", 3)), 3,
            isMultiFile: true, StorageLayout.Offsets));
        Assert.Equal(TargetRefusalReason.InvalidLayout, ex.Reason);
        Assert.False(File.Exists(temp.File("x")));
    }

    [Fact]
    public void Open_WrongTotalLength_Refused()
    {
        using var temp = new TempDirectory();
        var ex = Assert.Throws<TargetRefusedException>(() => TargetStorage.Open(temp.File("x"), TorrentFiles.Offsets((0, 10)), 11,
            isMultiFile: true, StorageLayout.Offsets));
        Assert.Equal(TargetRefusalReason.InvalidLayout, ex.Reason);
    }
}
