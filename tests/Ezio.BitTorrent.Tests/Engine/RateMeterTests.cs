using Ezio.BitTorrent.Engine;
using Ezio.TestKit.Engine;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class RateMeterTests
{
    [Fact]
    public void Sample_BeforeTheInterval_KeepsTheRate()
    {
        var time = new ManualTime();
        var meter = new RateMeter(TimeSpan.FromSeconds(1), weight: 1);
        Assert.False(meter.Sample(0, time.GetTimestamp(), time));
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.False(meter.Sample(1000, time.GetTimestamp(), time));
        Assert.Equal(0, meter.Rate);
    }

    [Fact]
    public void Sample_Unsmoothed_IsBytesOverTheWholeTimeSinceTheLastSample()
    {
        var time = new ManualTime();
        var meter = new RateMeter(TimeSpan.FromSeconds(1), weight: 1);
        meter.Sample(0, time.GetTimestamp(), time);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(meter.Sample(4000, time.GetTimestamp(), time));
        Assert.Equal(2000, meter.Rate, precision: 6);
        time.Advance(TimeSpan.FromSeconds(1));
        meter.Sample(4500, time.GetTimestamp(), time);
        Assert.Equal(500, meter.Rate, precision: 6);
    }

    [Fact]
    public void Sample_Smoothed_MovesByTheWeightTowardsTheNewSample()
    {
        var time = new ManualTime();
        var meter = new RateMeter(TimeSpan.FromMilliseconds(200), weight: 0.4);
        meter.Sample(0, time.GetTimestamp(), time);
        time.Advance(TimeSpan.FromSeconds(1));
        meter.Sample(1000, time.GetTimestamp(), time);
        // The first sample is taken as it is.
        Assert.Equal(1000, meter.Rate, precision: 6);
        time.Advance(TimeSpan.FromSeconds(1));
        meter.Sample(1000, time.GetTimestamp(), time);
        Assert.Equal(600, meter.Rate, precision: 6);
    }
}
