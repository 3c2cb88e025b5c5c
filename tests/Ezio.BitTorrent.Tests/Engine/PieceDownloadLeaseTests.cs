using System.Buffers;
using Ezio.BitTorrent.Engine;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// The lease by which the swarm loop lends a download to one connection's receive loop and
/// takes it back: only the holder copies blocks in, a revoke waits out a copy in progress, a
/// piece received whole stays with the receive loop.
/// </summary>
public sealed class PieceDownloadLeaseTests : IDisposable
{
    private const int Length = 4 * PieceDownload.BlockSize;

    private readonly PieceBufferPool _pool = new(Length, 2L * Length);
    private readonly PieceDownload _download;

    public PieceDownloadLeaseTests()
    {
        Assert.True(_pool.TryRent(out var buffer));
        _download = new PieceDownload(7, Length, buffer) { NextRequest = 4 };
    }

    public void Dispose()
    {
        _pool.Return(_download.Buffer);
        _pool.Dispose();
    }

    private static ReadOnlySequence<byte> Block(byte value) => new(Enumerable.Repeat(value, PieceDownload.BlockSize).ToArray());

    [Fact]
    public void TryBeginFill_OnlyTheConnectionHoldingTheLease()
    {
        Assert.False(_download.TryBeginFill(1));
        _download.Lease(1);
        Assert.False(_download.TryBeginFill(2));
        Assert.True(_download.TryBeginFill(1));
        // One copy at a time, even for the holder.
        Assert.False(_download.TryBeginFill(1));
        _download.EndFill(1, whole: false);
        Assert.True(_download.IsLeasedTo(1));
        Assert.False(_download.IsLeasedTo(2));
    }

    [Fact]
    public void Lease_Twice_Throws()
    {
        _download.Lease(1);
        Assert.Throws<InvalidOperationException>(() => _download.Lease(2));
    }

    [Fact]
    public void TryRevoke_LeaseMovesToAnotherConnection_TheFirstCanNoLongerFill()
    {
        _download.Lease(1);
        Assert.True(_download.TryRevoke(1));
        _download.Lease(2);

        Assert.False(_download.TryBeginFill(1));
        Assert.False(_download.TryRevoke(1));
        Assert.True(_download.TryBeginFill(2));
        Assert.True(_download.TryAccept(0, Block(1)));
        _download.EndFill(2, whole: false);
        Assert.Equal(1, _download.ReceivedCount);
    }

    [Fact]
    public void TryRevoke_AfterThePieceArrivedWhole_FailsAndTheReceiveLoopKeepsIt()
    {
        _download.Lease(1);
        for (var block = 0; block < 4; block++)
        {
            Assert.True(_download.TryBeginFill(1));
            Assert.True(_download.TryAccept(block * PieceDownload.BlockSize, Block((byte)block)));
            _download.EndFill(1, _download.IsComplete);
        }

        Assert.True(_download.IsComplete);
        Assert.False(_download.TryRevoke(1));
        Assert.False(_download.TryBeginFill(1));
        Assert.False(_download.IsLeasedTo(1));
    }

    [Fact]
    public async Task TryRevoke_DuringACopy_ReturnsOnlyOnceTheCopyEnded()
    {
        _download.Lease(1);
        Assert.True(_download.TryBeginFill(1));
        var copyEnded = 0;
        var revoking = Task.Run(() =>
        {
            var revoked = _download.TryRevoke(1);
            return (revoked, ended: Volatile.Read(ref copyEnded));
        });

        // The copy goes on while the revoke waits for it.
        Assert.True(_download.TryAccept(0, Block(9)));
        Volatile.Write(ref copyEnded, 1);
        _download.EndFill(1, whole: false);

        var (revoked, ended) = await revoking.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(revoked);
        Assert.Equal(1, ended);
        Assert.False(_download.TryBeginFill(1));
    }
}
