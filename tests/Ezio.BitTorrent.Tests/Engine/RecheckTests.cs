using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class RecheckTests
{
    private const int PieceLength = 16 << 10;

    // 70 pieces (the last one short); pieces 3 and 40 are damaged, 69 is missing.
    private static (MemoryTorrent Torrent, MemoryStorage Storage) Damaged()
    {
        var torrent = MemoryTorrent.Create(70 * PieceLength - 100, PieceLength, fileCount: 2, seed: 21);
        var bytes = torrent.Data.ToArray();
        bytes[3 * PieceLength + 7] ^= 1;
        bytes[40 * PieceLength] ^= 0x80;
        Array.Clear(bytes, 69 * PieceLength, bytes.Length - 69 * PieceLength);
        return (torrent, MemoryStorage.FromBytes(bytes, mayHaveData: true));
    }

    [Fact]
    public void All_DamagedAndMissingPieces_AreTheOnlyOnesFalse()
    {
        var (torrent, storage) = Damaged();
        var have = new Recheck(torrent.Torrent, storage).All(CancellationToken.None);

        Assert.Equal(70, have.Length);
        Assert.Equal([3, 40, 69], Enumerable.Range(0, have.Length).Where(i => !have[i]));
    }

    [Fact]
    public void InOrder_ReportsBatchesInPieceOrderAndDoneOnlyWithTheLast()
    {
        var (torrent, storage) = Damaged();
        var reports = new List<((int Index, bool Ok)[] Pieces, bool Done)>();

        new Recheck(torrent.Torrent, storage).InOrder((pieces, done) => reports.Add((pieces, done)), batchSize: 32, CancellationToken.None);

        Assert.Equal([32, 32, 6], reports.Select(r => r.Pieces.Length));
        Assert.Equal([false, false, true], reports.Select(r => r.Done));
        var all = reports.SelectMany(r => r.Pieces).ToList();
        Assert.Equal(Enumerable.Range(0, 70), all.Select(p => p.Index));
        Assert.Equal([3, 40, 69], all.Where(p => !p.Ok).Select(p => p.Index));
    }

    [Fact]
    public void InOrder_Cancelled_Throws()
    {
        var (torrent, storage) = Damaged();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            new Recheck(torrent.Torrent, storage).InOrder((_, _) => { }, 32, cancel.Token));
    }
}
