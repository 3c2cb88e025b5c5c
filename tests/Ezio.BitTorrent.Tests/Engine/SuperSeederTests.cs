using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Picking;
using Ezio.TestKit.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>The super-seeder alone, against peers written here, on a manual clock.</summary>
public sealed class SuperSeederTests
{
    private const int PieceLength = 256 << 10;

    private sealed class FakePeer(string name, int pieceCount) : ISuperSeedPeer
    {
        public Bitfield RemoteBitfield { get; } = new(pieceCount);

        public bool IsClosed { get; set; }

        public List<int> Heard { get; } = [];

        public void Advertise(int piece) => Heard.Add(piece);

        public override string ToString() => name;
    }

    private static (SuperSeeder Seeder, ManualTime Time, FakePeer[] Peers) Start(int pieceCount, int peers, Func<long>? uploaded = null)
    {
        var time = new ManualTime();
        var seeder = new SuperSeeder(pieceCount, PieceLength, time, new Random(7), uploaded ?? (() => 0), NullLogger.Instance);
        var fakes = Enumerable.Range(0, peers).Select(i => new FakePeer($"peer{i}", pieceCount)).ToArray();
        foreach (var peer in fakes)
        {
            seeder.Join(peer);
        }
        return (seeder, time, fakes);
    }

    // The peer fetched what it heard of and announces it.
    private static void Announce(SuperSeeder seeder, FakePeer[] all, FakePeer peer, int piece)
    {
        if (peer.RemoteBitfield.Set(piece))
        {
            seeder.OnHave(peer, piece, all.Count(p => p.RemoteBitfield[piece]));
        }
    }

    [Fact]
    public void Allot_OpeningSecond_TwoPiecesPerPeerEachToOnePeerOnly()
    {
        var (seeder, _, peers) = Start(pieceCount: 64, peers: 4);

        seeder.Allot();

        Assert.All(peers, p => Assert.Equal(2, p.Heard.Count));
        var heard = peers.SelectMany(p => p.Heard).ToList();
        Assert.Equal(heard.Count, heard.Distinct().Count());
    }

    [Fact]
    public void Allot_PeersPassPiecesOn_EveryPieceLeavesUsOnceThenAllIsAdvertised()
    {
        const int pieceCount = 40;
        long uploaded = 0;
        var (seeder, time, peers) = Start(pieceCount, peers: 3, () => uploaded);
        var fromUs = new int[pieceCount];
        var rounds = 0;
        while (seeder.Active && rounds++ < 200)
        {
            seeder.Allot();
            foreach (var peer in peers)
            {
                foreach (var piece in peer.Heard.ToList())
                {
                    if (!peer.RemoteBitfield[piece] && seeder.Active)
                    {
                        fromUs[piece]++;
                        uploaded += PieceLength;
                        Announce(seeder, peers, peer, piece);
                    }
                }
            }
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        Assert.False(seeder.Active);
        Assert.All(fromUs, count => Assert.Equal(1, count));
        Assert.Equal(pieceCount * (long)PieceLength, seeder.UploadedWhenDone);
        // Once done, each peer has heard of every piece it lacks.
        foreach (var peer in peers)
        {
            Assert.All(Enumerable.Range(0, pieceCount), i => Assert.True(peer.RemoteBitfield[i] || peer.Heard.Contains(i), $"{peer} never heard of {i}"));
        }
    }

    [Fact]
    public void Sweep_PieceNotAnnouncedForTwentySeconds_GoesToAnotherPeer()
    {
        var (seeder, time, peers) = Start(pieceCount: 4, peers: 1);
        var (a, all) = (peers[0], peers.ToList());
        seeder.Allot();
        var b = new FakePeer("b", 4);
        all.Add(b);
        seeder.Join(b);
        seeder.Allot();
        Assert.Equal(2, a.Heard.Count);
        Assert.Equal(2, b.Heard.Count);
        foreach (var piece in b.Heard.ToList())
        {
            Announce(seeder, [.. all], b, piece);
        }

        time.Advance(TimeSpan.FromSeconds(19));
        seeder.Sweep(time.GetTimestamp());
        Assert.Equal(2, b.Heard.Count);

        time.Advance(TimeSpan.FromSeconds(1));
        seeder.Sweep(time.GetTimestamp());
        Assert.Equal(a.Heard.Order(), b.Heard.Skip(2).Order());
    }

    [Fact]
    public void Leave_PiecesItNeverAnnounced_GoToTheOthersAtOnce()
    {
        var (seeder, _, peers) = Start(pieceCount: 4, peers: 2);
        seeder.Allot();
        var (a, b) = (peers[0], peers[1]);
        foreach (var piece in b.Heard.ToList())
        {
            Announce(seeder, peers, b, piece);
        }

        a.IsClosed = true;
        seeder.Leave(a);
        seeder.Allot();

        Assert.Equal(a.Heard.Order(), b.Heard.Skip(2).Order());
    }

    [Fact]
    public void Allot_ClosedPeer_HearsNothingMore()
    {
        var (seeder, _, peers) = Start(pieceCount: 64, peers: 2);
        peers[1].IsClosed = true;
        seeder.Allot();
        Assert.Equal(2, peers[0].Heard.Count);
        Assert.Empty(peers[1].Heard);
    }
}
