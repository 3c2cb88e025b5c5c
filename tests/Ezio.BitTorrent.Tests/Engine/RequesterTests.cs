using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Picking;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>The requester alone: a picker, a pool and peers written here.</summary>
public sealed class RequesterTests : IDisposable
{
    private const int PieceLength = 64 << 10;

    private readonly PiecePicker _picker;
    private readonly PieceBufferPool _pool;
    private readonly Requester _requester;
    private readonly List<FakePeer> _peers = [];

    public RequesterTests()
    {
        _picker = new PiecePicker(8, new Random(3));
        _pool = new PieceBufferPool(PieceLength, 6L * PieceLength);
        _requester = new Requester(_picker, _pool, _ => PieceLength);
    }

    public void Dispose()
    {
        foreach (var download in _peers.SelectMany(p => p.Downloads))
        {
            _pool.Return(download.Buffer);
        }
        _requester.Clear();
        _pool.Dispose();
    }

    private sealed class FakePeer(string name, Bitfield has) : IRequestPeer
    {
        public List<PieceDownload> Downloads { get; } = [];

        public Bitfield RemoteBitfield { get; } = has;

        public Bitfield? RemotePartial { get; set; }

        public bool IsClosed { get; set; }

        public bool IsRouted { get; set; }

        public bool PeerChoking { get; set; }

        public bool AmInterested { get; set; } = true;

        public int HashFailures { get; set; }

        public bool Hungry { get; set; }

        public int QueueTargetBytes { get; set; }

        public int UnrequestedBytes => Downloads.Sum(d => d.UnrequestedBytes);

        public int DownloadCount => Downloads.Count;

        public bool CanTakeMore => true;

        public List<int> Indices => Downloads.Select(d => d.Index).ToList();

        public List<int> FetchingIndices() => Indices;

        public void Assign(PieceDownload download) => Downloads.Add(download);

        public int FindUnstarted(Bitfield has, List<int> exclude, out int waiting)
        {
            waiting = UnrequestedBytes;
            return Downloads.FirstOrDefault(d => d.IsUntouched && has[d.Index] && !exclude.Contains(d.Index))?.Index ?? -1;
        }

        public PieceDownload? TakeUnstarted(int index) => Take(d => d.Index == index && d.IsUntouched);

        public PieceDownload? Cancel(int index) => Take(d => d.Index == index);

        // Every block of every piece here requested (the peer works on them).
        public void RequestAll() => Downloads.ForEach(d => d.NextRequest = d.BlockCount);

        private PieceDownload? Take(Func<PieceDownload, bool> match)
        {
            var download = Downloads.FirstOrDefault(match);
            if (download is not null)
            {
                Downloads.Remove(download);
            }
            return download;
        }

        public override string ToString() => name;
    }

    // "11110000": the peer has pieces 0-3.
    private FakePeer Peer(string has, int queueTarget = 0)
    {
        var bits = new Bitfield(has.Length);
        for (var i = 0; i < has.Length; i++)
        {
            if (has[i] == '1')
            {
                bits.Set(i);
                _picker.IncrementAvailability(i);
            }
        }
        var peer = new FakePeer($"peer{_peers.Count}", bits) { QueueTargetBytes = queueTarget };
        _peers.Add(peer);
        return peer;
    }

    [Fact]
    public void Fill_QueueTarget_AssignsPiecesUntilTheUnrequestedBytesReachIt()
    {
        var peer = Peer("11111111", queueTarget: 2 * PieceLength);

        _requester.Fill(peer, _peers, downloading: true);

        // At or under the target it takes one more: three pieces.
        Assert.Equal(3, peer.DownloadCount);
        Assert.False(peer.Hungry);
        Assert.All(peer.Indices, i => Assert.Equal(1, _picker.Owners(i)));
    }

    [Fact]
    public void Fill_PeerOffersPiecesInPart_WholePiecesFirstThenAPartOneAsBlocks()
    {
        var peer = Peer("01000000", queueTarget: 8 * PieceLength);
        peer.RemotePartial = Bitfield.FromString("00010000");

        _requester.Fill(peer, _peers, downloading: true);

        // The whole one, then the one it is filling, never asked for whole (ezio_zpiece).
        Assert.Equal([1, 3], peer.Indices);
        Assert.False(peer.Downloads[0].AsBlocks);
        Assert.True(peer.Downloads[1].AsBlocks);
        Assert.True(peer.Hungry);
    }

    [Fact]
    public void Fill_RarestFirst_TakesThePieceOnlyThisPeerHas()
    {
        Peer("11111110");
        var rare = Peer("11111111");

        _requester.Fill(rare, _peers, downloading: true);

        Assert.Equal([7], rare.Indices);
    }

    [Fact]
    public void Fill_ChokedOrNotDownloading_AssignsNothing()
    {
        var peer = Peer("11111111");
        peer.PeerChoking = true;
        _requester.Fill(peer, _peers, downloading: true);
        peer.PeerChoking = false;
        _requester.Fill(peer, _peers, downloading: false);

        Assert.Empty(peer.Downloads);
    }

    [Fact]
    public void Fill_NothingLeftButAnotherPeersUnstartedPiece_TakesItOver()
    {
        var busy = Peer("11000000", queueTarget: 4 * PieceLength);
        _requester.Fill(busy, _peers, downloading: true);
        Assert.Equal(2, busy.DownloadCount);
        var idle = Peer("11000000");

        _requester.Fill(idle, _peers, downloading: true);

        Assert.Equal(1, idle.DownloadCount);
        Assert.Equal(1, busy.DownloadCount);
        Assert.Equal(1, _requester.TakenOver);
    }

    [Fact]
    public void Fill_OtherPeersPiecesAllStarted_IsHungryOutsideTheEndgame()
    {
        var busy = Peer("11111111", queueTarget: 8 * PieceLength);
        _requester.Fill(busy, _peers, downloading: true);
        busy.RequestAll();
        // Eight pieces, one peer: more than max(4, peers) missing, so no endgame yet.
        Assert.Equal(6, busy.DownloadCount);
        var idle = Peer("11111111");

        _requester.Fill(idle, _peers, downloading: true);

        // The pool holds six buffers, all with busy: the last two pieces wait for one.
        Assert.True(idle.Hungry);
        Assert.Empty(idle.Downloads);
    }

    [Fact]
    public void Release_PartialPiece_IsFinishedFirstByTheNextPeerThatHasIt()
    {
        var first = Peer("11111111");
        _requester.Fill(first, _peers, downloading: true);
        var download = first.Downloads[0];
        download.NextRequest = 1;
        Assert.True(download.TryAccept(0, new System.Buffers.ReadOnlySequence<byte>(new byte[PieceDownload.BlockSize])));
        first.Downloads.Clear();

        _requester.Release(download);
        Assert.Equal(1, _requester.PartialCount);
        var next = Peer("11111111");
        _requester.Fill(next, _peers, downloading: true);

        Assert.Same(download, next.Downloads[0]);
        Assert.True(download.AsBlocks);
        Assert.Equal(0, download.NextRequest);
        Assert.Equal(0, _requester.PartialCount);
    }

    [Fact]
    public void DropParked_PartialPieceOfAGonePeer_IsUnownedAgainAndItsBufferReturned()
    {
        var first = Peer("11111111");
        _requester.Fill(first, _peers, downloading: true);
        var download = first.Downloads[0];
        var index = download.Index;
        download.NextRequest = 1;
        Assert.True(download.TryAccept(0, new System.Buffers.ReadOnlySequence<byte>(new byte[PieceDownload.BlockSize])));
        first.Downloads.Remove(download);
        _requester.Release(download);
        Assert.Equal(1, _picker.Owners(index));
        var rented = _pool.Rented;

        Assert.True(_requester.DropParked());

        Assert.Equal(0, _requester.PartialCount);
        Assert.Equal(0, _picker.Owners(index));
        Assert.Equal(rented - 1, _pool.Rented);
        Assert.False(_requester.DropParked());
    }

    [Fact]
    public void Won_EndgameCopies_AreCancelledAtEveryOtherPeerAndTheirBuffersReturned()
    {
        var a = Peer("10000000");
        var b = Peer("10000000");
        _requester.Fill(a, _peers, downloading: true);
        a.RequestAll();
        // Seven of eight pieces are ours: the one left is fetched twice.
        for (var i = 1; i < 8; i++)
        {
            _picker.SetHave(i);
        }
        _requester.Fill(b, _peers, downloading: true);
        Assert.Equal([0], b.Indices);
        Assert.Equal(2, _picker.Owners(0));
        var rented = _pool.Rented;

        _picker.RemoveOwner(0);
        _picker.MarkBusy(0);
        _requester.Won(0, winner: a, _peers);

        Assert.Empty(b.Downloads);
        Assert.Equal(0, _picker.Owners(0));
        Assert.Equal(rented - 1, _pool.Rented);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Fill_EndgameWhileASeedServesUs_RoutedPeerGetsNoDuplicate(bool hold, bool duplicated)
    {
        var near = Peer("10000000");
        var routed = Peer("10000000");
        routed.IsRouted = true;
        _requester.HoldRouted = hold;
        _requester.Fill(near, _peers, downloading: true);
        near.RequestAll();
        for (var i = 1; i < 8; i++)
        {
            _picker.SetHave(i);
        }

        _requester.Fill(routed, _peers, downloading: true);

        // Held: the last piece crosses the router once, from the near peer that fetches it.
        Assert.Equal(duplicated, routed.Indices.Contains(0));
        Assert.Equal(duplicated ? 2 : 1, _picker.Owners(0));
    }

    [Fact]
    public void Fill_HoldRouted_RoutedPeerStillGetsPiecesNobodyFetches()
    {
        _requester.HoldRouted = true;
        var routed = Peer("11111111", queueTarget: PieceLength);
        routed.IsRouted = true;

        _requester.Fill(routed, _peers, downloading: true);

        Assert.Equal(2, routed.DownloadCount);
    }
}
