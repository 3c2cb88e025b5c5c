using Ezio.BitTorrent.Storage;
using Ezio.Storage.Tests.TestSupport;
using Tmds.Linux;
using Xunit;

namespace Ezio.Storage.Tests;

/// <summary>RawTargetStorage on regular files: runs everywhere, no root needed.</summary>
public sealed unsafe class RawTargetStorageFileTests
{
    [Fact]
    public void Write_PatternFileWithHoles_ExtentsWrittenHolesKept()
    {
        using var temp = new TempDirectory();
        var scenario = new RawTargetScenario();
        string target = temp.File("disk.img");
        File.WriteAllBytes(target, scenario.Pattern);

        using (var storage = RawTargetStorage.Open(target, scenario.Map))
        {
            Assert.True(storage.MayHaveData);
            Assert.False(storage.IsBlockDevice);
            scenario.WriteAllPieces(storage);
            scenario.AssertReadBackEqualsData(storage);
            Assert.True(storage.UsesDirectIo, "ext4 supports O_DIRECT; expected the direct path.");
            Assert.True(storage.DirectWriteCalls > 0);
            Assert.True(storage.BufferedWriteCalls > 0);
        }

        scenario.AssertTargetHolds(File.ReadAllBytes(target));
    }

    [Fact]
    public void Write_DirectIoOff_SameResult()
    {
        using var temp = new TempDirectory();
        var scenario = new RawTargetScenario();
        string target = temp.File("disk.img");
        File.WriteAllBytes(target, scenario.Pattern);

        using (var storage = RawTargetStorage.Open(target, scenario.Map, new RawTargetOptions { DirectIo = false }))
        {
            scenario.WriteAllPieces(storage);
            Assert.Equal(0, storage.DirectWriteCalls);
        }

        scenario.AssertTargetHolds(File.ReadAllBytes(target));
    }

    [Fact]
    public void Open_MissingFile_CreatedSparseToLastExtent()
    {
        using var temp = new TempDirectory();
        string target = temp.File("new.img");
        var files = TorrentFiles.Offsets((0, 4096), (1L << 30, 4096));
        using (var storage = RawTargetStorage.Open(target, OffsetLayout.Create(files)))
        {
            Assert.False(storage.MayHaveData);
            Assert.Equal((1L << 30) + 4096, storage.TargetSize);
            using var buffer = new AlignedBuffer(8192);
            buffer.Span.Fill(0xEE);
            storage.Write(0, buffer.Span);
            storage.Flush();
        }

        Assert.Equal((1L << 30) + 4096, new FileInfo(target).Length);
        Assert.True(AllocatedBytes(target) < 1 << 20, "The 1 GiB target should be sparse.");
        byte[] head = new byte[4097];
        using (var stream = File.OpenRead(target))
        {
            stream.ReadExactly(head);
        }

        Assert.All(head[..4096], b => Assert.Equal(0xEE, b));
        Assert.Equal(0, head[4096]);
    }

    [Fact]
    public void Open_LargerExistingFile_NotShrunk()
    {
        using var temp = new TempDirectory();
        string target = temp.File("big.img");
        File.WriteAllBytes(target, new byte[100_000]);
        using (var storage = RawTargetStorage.Open(target, ExtentMap.Linear(10)))
        {
            Assert.True(storage.MayHaveData);
            Assert.Equal(100_000, storage.TargetSize);
        }

        Assert.Equal(100_000, new FileInfo(target).Length);
    }

    [Fact]
    public void Open_SmallerExistingFile_Extended()
    {
        using var temp = new TempDirectory();
        string target = temp.File("small.img");
        File.WriteAllBytes(target, [1, 2, 3]);
        using (RawTargetStorage.Open(target, OffsetLayout.Create(TorrentFiles.Offsets((65536, 10)))))
        {
        }

        byte[] content = File.ReadAllBytes(target);
        Assert.Equal(65546, content.Length);
        Assert.Equal(new byte[] { 1, 2, 3 }, content[..3]);
    }

    [Fact]
    public void Open_Directory_Refused()
    {
        using var temp = new TempDirectory();
        var ex = Assert.Throws<TargetRefusedException>(() => RawTargetStorage.Open(temp.Path, ExtentMap.Linear(10)));
        Assert.Equal(TargetRefusalReason.UnsupportedTargetType, ex.Reason);
        Assert.Contains("directory", ex.Message);
    }

    [Fact]
    public void Open_CharacterDevice_Refused()
    {
        var ex = Assert.Throws<TargetRefusedException>(() => RawTargetStorage.Open("/dev/null", ExtentMap.Linear(10)));
        Assert.Equal(TargetRefusalReason.UnsupportedTargetType, ex.Reason);
        Assert.Contains("character device", ex.Message);
    }

    [Fact]
    public void Open_MissingFileWithoutCreate_Throws()
    {
        using var temp = new TempDirectory();
        Assert.Throws<StorageException>(() =>
            RawTargetStorage.Open(temp.File("absent"), ExtentMap.Linear(10), new RawTargetOptions { CreateFile = false }));
        Assert.False(File.Exists(temp.File("absent")));
    }

    [Fact]
    public void Write_UnalignedBuffer_FallsBackToBuffered()
    {
        using var temp = new TempDirectory();
        string target = temp.File("t.img");
        var data = new byte[3 * 4096];
        new Random(1).NextBytes(data);
        using (var storage = RawTargetStorage.Open(target, ExtentMap.Linear(data.Length - 1)))
        {
            // A managed array slice at +1 is not sector-aligned in memory: must not reach O_DIRECT.
            storage.Write(0, data.AsSpan(1));
            Assert.Equal(0, storage.DirectWriteCalls);
            storage.Flush();
        }

        Assert.Equal(data[1..], File.ReadAllBytes(target));
    }

    private static long AllocatedBytes(string path)
    {
        stat st;
        byte[] name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = name)
        {
            Assert.Equal(0, LibC.stat(p, &st));
        }

        return st.st_blocks * 512;
    }
}
