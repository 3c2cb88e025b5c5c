using Ezio.BitTorrent.Storage;
using Xunit;

namespace Ezio.BitTorrent.Tests.Storage;

public sealed class MemoryStorageTests
{
    [Fact]
    public void Write_SpanningChunks_ReadsBack()
    {
        using var storage = new MemoryStorage(100, mayHaveData: false, chunkSize: 16);
        byte[] data = Enumerable.Range(0, 50).Select(i => (byte)(i + 1)).ToArray();
        storage.Write(10, data);

        var back = new byte[50];
        storage.Read(10, back);
        Assert.Equal(data, back);

        var all = new byte[100];
        storage.Read(0, all);
        Assert.All(all[..10], b => Assert.Equal(0, b));
        Assert.All(all[60..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Read_PastEnd_Throws()
    {
        using var storage = new MemoryStorage(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Read(5, new byte[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Write(-1, new byte[1]));
    }

    [Fact]
    public void FromBytes_MayHaveDataByDefault()
    {
        using var storage = MemoryStorage.FromBytes([1, 2, 3]);
        Assert.True(storage.MayHaveData);
        Assert.Equal(3, storage.Length);
        var back = new byte[2];
        storage.Read(1, back);
        Assert.Equal(new byte[] { 2, 3 }, back);
    }

    [Fact]
    public void Read_Concurrent_SeesWrittenBytes()
    {
        using var storage = new MemoryStorage(1 << 20, mayHaveData: false, chunkSize: 4096);
        var data = new byte[1 << 20];
        Random.Shared.NextBytes(data);
        storage.Write(0, data);
        Parallel.For(0, 64, i =>
        {
            var buffer = new byte[16384];
            long offset = i * 16384L;
            storage.Read(offset, buffer);
            Assert.True(data.AsSpan((int)offset, 16384).SequenceEqual(buffer));
        });
    }
}
