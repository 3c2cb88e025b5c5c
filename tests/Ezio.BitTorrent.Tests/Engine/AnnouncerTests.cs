using System.Net;
using System.Threading.Channels;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Trackers;
using Ezio.TestKit.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>The announce schedule on a manual clock, against a tracker written here.</summary>
public sealed class AnnouncerTests
{
    private static readonly TimeSpan _wait = TimeSpan.FromSeconds(30);

    private sealed class FakeTracker(Func<TrackerEvent, AnnounceResponse> answer) : ITrackerClient
    {
        public Channel<TrackerEvent> Announced { get; } = Channel.CreateUnbounded<TrackerEvent>();

        public Uri Uri { get; } = new("http://tracker.invalid/announce");

        public Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken)
        {
            Announced.Writer.TryWrite(request.Event);
            return Task.FromResult(answer(request.Event));
        }

        public void Dispose()
        {
        }
    }

    private static AnnounceResponse Answer(TimeSpan interval, params IPEndPoint[] peers) => new(peers, interval, null, null, null, null, null);

    private static AnnounceRequest Request(TrackerEvent e) => new(default(InfoHash), new byte[20], 6881, 0, 0, 0, e);

    [Fact]
    public async Task RunAsync_StartedThenEveryIntervalThenCompletedWhenTold()
    {
        var time = new ManualTime();
        var tracker = new FakeTracker(_ => Answer(TimeSpan.FromSeconds(60), new IPEndPoint(IPAddress.Loopback, 7001)));
        var added = new List<IPEndPoint>();
        var announcer = new Announcer([tracker], Request, peers => { lock (added) { added.AddRange(peers); } }, () => 5, time, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = announcer.RunAsync(completeAtStart: false, stop.Token);

        Assert.Equal(TrackerEvent.Started, await Next(tracker));
        await time.WhenTimerArmedAsync(TimeSpan.FromSeconds(60)).WaitAsync(_wait);
        // Nothing more until the interval has passed on the clock.
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(tracker.Announced.Reader.TryPeek(out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TrackerEvent.None, await Next(tracker));
        await time.WhenTimerArmedAsync(TimeSpan.FromSeconds(60)).WaitAsync(_wait);

        announcer.Complete();
        Assert.Equal(TrackerEvent.Completed, await Next(tracker));
        lock (added)
        {
            Assert.Equal(3, added.Count);
        }

        stop.Cancel();
        await run.WaitAsync(_wait);
    }

    [Fact]
    public async Task RunAsync_TrackerFails_RetriesAfterFiveSecondsAndReportsTheError()
    {
        var time = new ManualTime();
        var fail = true;
        var tracker = new FakeTracker(_ => Volatile.Read(ref fail) ? throw new TrackerException("down") : Answer(TimeSpan.FromSeconds(60)));
        var announcer = new Announcer([tracker], Request, _ => { }, () => 5, time, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = announcer.RunAsync(completeAtStart: false, stop.Token);

        Assert.Equal(TrackerEvent.Started, await Next(tracker));
        await time.WhenTimerArmedAsync(TimeSpan.FromSeconds(5)).WaitAsync(_wait);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(tracker.Announced.Reader.TryPeek(out _));
        Assert.Equal("down", announcer.LastError);
        Volatile.Write(ref fail, false);
        time.Advance(TimeSpan.FromSeconds(1));
        // Still "started": the tracker never heard it.
        Assert.Equal(TrackerEvent.Started, await Next(tracker));
        stop.Cancel();
        await run.WaitAsync(_wait);
        Assert.Null(announcer.LastError);
    }

    private static async Task<TrackerEvent> Next(FakeTracker tracker) =>
        await tracker.Announced.Reader.ReadAsync().AsTask().WaitAsync(_wait);
}
