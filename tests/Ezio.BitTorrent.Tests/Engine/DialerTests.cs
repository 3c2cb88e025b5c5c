using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.TestKit.Engine;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class DialerTests
{
    private static IPEndPoint Peer(int n) => new(IPAddress.Loopback, 7000 + n);

    [Fact]
    public void TakeDue_MoreCandidatesThanRoom_DialsUpToTheRoomAndKeepsTheRest()
    {
        var dialer = new Dialer(new ManualTime());
        dialer.Add([Peer(1), Peer(2), Peer(3), Peer(1)]);

        var due = dialer.TakeDue(connected: 1, room: 3, _ => false);

        Assert.Equal([Peer(1), Peer(2)], due);
        Assert.Equal(2, dialer.Dialing);
        Assert.Equal(1, dialer.Waiting);
    }

    [Fact]
    public void Add_KnownEndPoint_IsNotQueuedTwiceUntilItsConnectionCloses()
    {
        var dialer = new Dialer(new ManualTime());
        dialer.Add([Peer(1)]);
        Assert.Single(dialer.TakeDue(0, 10, _ => false));
        dialer.Connected(Peer(1));
        dialer.Add([Peer(1)]);
        Assert.Empty(dialer.TakeDue(0, 10, _ => false));

        dialer.Closed(Peer(1), dialledByUs: true, banned: false);
        dialer.Add([Peer(1)]);
        Assert.Single(dialer.TakeDue(0, 10, _ => false));
    }

    [Fact]
    public void Closed_Banned_IsNeverQueuedAgain()
    {
        var dialer = new Dialer(new ManualTime());
        dialer.Add([Peer(1)]);
        dialer.TakeDue(0, 10, _ => false);
        dialer.Closed(Peer(1), dialledByUs: true, banned: true);
        dialer.Add([Peer(1)]);
        Assert.Empty(dialer.TakeDue(0, 10, _ => false));
    }

    [Fact]
    public void TakeDue_Skipped_IsForgottenSoItMayBeAddedAgain()
    {
        var dialer = new Dialer(new ManualTime());
        dialer.Add([Peer(1)]);
        Assert.Empty(dialer.TakeDue(0, 10, _ => true));
        Assert.Equal(0, dialer.Dialing);
        dialer.Add([Peer(1)]);
        Assert.Single(dialer.TakeDue(0, 10, _ => false));
    }

    [Fact]
    public void Failed_RedialsAfterGrowingPausesAndGivesUpAfterTen()
    {
        var time = new ManualTime();
        var dialer = new Dialer(time);
        dialer.Add([Peer(1)]);
        dialer.TakeDue(0, 10, _ => false);
        var pauses = new List<int>();
        for (var attempt = 0; attempt < 12; attempt++)
        {
            dialer.Failed(Peer(1));
            var waited = 0;
            while (waited < 60)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                waited++;
                dialer.QueueRedials();
                if (dialer.TakeDue(0, 10, _ => false).Count > 0)
                {
                    break;
                }
            }
            pauses.Add(waited);
        }
        Assert.Equal([2, 4, 8, 16, 30, 30, 30, 30, 30, 30, 60, 60], pauses);
    }
}
