using System.Security.Cryptography;
using Ezio.BitTorrent.Storage;
using Ezio.Imaging.Store;
using Xunit;

namespace Ezio.Imaging.Tests.Store;

public sealed class PieceStoreTests
{
    private const int PieceLength = 64 * 1024;

    [Fact]
    public void Write_MixedPieces_ReadBackExactlyWithKinds()
    {
        using var temp = new TempDirectory();
        byte[] data = MakeData(out long total);
        string path = temp.File("pieces.ezp");
        byte[] infoHash = RandomNumberGenerator.GetBytes(20);
        WriteStore(path, data, infoHash);

        using var store = PieceStore.Open(path);
        Assert.Equal(5, store.PieceCount);
        Assert.Equal(infoHash, store.InfoHash.ToArray());
        Assert.Equal(StoredPieceKind.Zstd, store[0].Kind);
        Assert.Equal(StoredPieceKind.Zero, store[1].Kind);
        Assert.Equal(StoredPieceKind.Raw, store[2].Kind);
        Assert.Equal(StoredPieceKind.Zstd, store[3].Kind);
        Assert.True(new FileInfo(path).Length < total / 2);
        for (int i = 0; i < store.PieceCount; i++)
        {
            var piece = new byte[store.LengthOf(i)];
            store.ReadPiece(i, piece);
            Assert.True(piece.AsSpan().SequenceEqual(data.AsSpan(i * PieceLength, piece.Length)), $"piece {i}");
        }
    }

    [Fact]
    public void Storage_ReadsAcrossPiecesConcurrently_MatchesSourceAndRefusesWrites()
    {
        using var temp = new TempDirectory();
        byte[] data = MakeData(out long total);
        string path = temp.File("pieces.ezp");
        WriteStore(path, data, new byte[20]);
        using var storage = new PieceStoreStorage(PieceStore.Open(path), cachedPieces: 2);
        Assert.Equal(total, storage.Length);
        Parallel.For(0, 400, i =>
        {
            var random = new Random(i);
            long offset = random.NextInt64(total - 1);
            int length = (int)Math.Min(random.Next(1, 3 * PieceLength), total - offset);
            var buffer = new byte[length];
            storage.Read(offset, buffer);
            Assert.True(buffer.AsSpan().SequenceEqual(data.AsSpan((int)offset, length)));
        });
        Assert.Throws<StorageException>(() => storage.Write(0, new byte[16]));
        Assert.Throws<StorageException>(() => storage.Read(total - 1, new byte[2]));
    }

    [Fact]
    public void Open_DamagedIndexOrHeader_IsRefused()
    {
        using var temp = new TempDirectory();
        byte[] data = MakeData(out long total);
        string path = temp.File("pieces.ezp");
        WriteStore(path, data, new byte[20]);
        byte[] good = File.ReadAllBytes(path);
        foreach (int at in new[] { 12, good.Length - 10 })
        {
            byte[] bad = (byte[])good.Clone();
            bad[at] ^= 1;
            File.WriteAllBytes(path, bad);
            Assert.Throws<ImageException>(() => PieceStore.Open(path).Dispose());
        }
    }

    [Fact]
    public void ChoosePieceLength_StaysWithinOneTo16MiB()
    {
        Assert.Equal(1 << 20, EzioImage.ChoosePieceLength(100));
        Assert.Equal(1 << 20, EzioImage.ChoosePieceLength(8000L << 20));
        Assert.Equal(2 << 20, EzioImage.ChoosePieceLength(8001L << 20));
        Assert.Equal(16 << 20, EzioImage.ChoosePieceLength(1L << 50));
    }

    // One piece at a time, as an import adds them.
    private static void WriteStore(string path, byte[] data, byte[] infoHash)
    {
        using var writer = new PieceStoreWriter(path, PieceLength, data.Length);
        for (long at = 0; at < data.Length; at += PieceLength)
        {
            writer.Add(data.AsSpan((int)at, (int)Math.Min(PieceLength, data.Length - at)));
        }
        writer.Complete(infoHash);
    }

    // Piece 0 compressible text, 1 zeros, 2 random (incompressible), 3 compressible, 4 short tail.
    private static byte[] MakeData(out long total)
    {
        total = 4L * PieceLength + 1234;
        var data = new byte[total];
        for (int i = 0; i < PieceLength; i++)
        {
            data[i] = (byte)"ezio image "[i % 11];
        }
        RandomNumberGenerator.Fill(data.AsSpan(2 * PieceLength, PieceLength));
        for (int i = 3 * PieceLength; i < total; i++)
        {
            data[i] = (byte)(i / 100);
        }
        return data;
    }
}
