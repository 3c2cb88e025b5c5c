using Ezio.BitTorrent.Engine;
using Ezio.TestKit.Engine;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class RequestBudgetTests
{
    private static readonly SessionOptions _options = new();

    [Fact]
    public void Update_NoSampleYet_KeepsTheOpeningBudget()
    {
        var budget = new RequestBudget();
        Assert.Equal(64, budget.RequestBlocks);
        Assert.Equal(0, budget.QueueBytes);
    }

    [Fact]
    public void Update_FastPeer_HundredMillisecondsOfItsRateOutstandingAndHalfASecondQueued()
    {
        var time = new ManualTime();
        var budget = new RequestBudget();
        budget.Update(0, time.GetTimestamp(), time, _options);
        time.Advance(TimeSpan.FromSeconds(1));
        // 100 MiB/s: 10 MiB per 100 ms, capped at 256 requests of 16 KiB.
        budget.Update(100L << 20, time.GetTimestamp(), time, _options);

        Assert.Equal(256, budget.RequestBlocks);
        Assert.Equal(_options.PeerQueueBytes, budget.QueueBytes);
    }

    [Fact]
    public void Update_SlowPeer_TheMinimumOutstandingAndLittleQueued()
    {
        var time = new ManualTime();
        var budget = new RequestBudget();
        budget.Update(0, time.GetTimestamp(), time, _options);
        time.Advance(TimeSpan.FromSeconds(1));
        // 100 KiB/s: 10 KiB per 100 ms, less than the 64 KiB minimum.
        budget.Update(100 << 10, time.GetTimestamp(), time, _options);

        Assert.Equal(_options.MinRequestBytes / PieceDownload.BlockSize, budget.RequestBlocks);
        Assert.Equal(50 << 10, budget.QueueBytes);
    }
}
