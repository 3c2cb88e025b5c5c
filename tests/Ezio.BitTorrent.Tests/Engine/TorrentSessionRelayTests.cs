using System.Buffers.Binary;
using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.PeerWire;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// Block relay (ezio_relay) on a torrent with block roots, the session in the middle: a source
/// peer sends it piece 0 block by block and a downstream peer asks it for that piece's blocks
/// before the piece is whole. Blocks go on only once checked against the piece's block list; a
/// forged list gets its sender banned; a lie in a block is never passed on; a piece given back
/// is dropped, with its waiting requests rejected. The session as downstream and as seed too.
/// </summary>
public sealed class TorrentSessionRelayTests
{
    private const int PieceLength = 64 << 10;
    private const int Block = BlockHashes.BlockSize;
    private const byte SourceRelayId = 7;
    private const byte DownRelayId = 9;

    private static readonly Dictionary<string, int> s_sourceExtensions = new() { [RelayMessage.ExtensionName] = SourceRelayId };
    private static readonly Dictionary<string, int> s_downExtensions = new() { [RelayMessage.ExtensionName] = DownRelayId };

    private sealed class Middle : IAsyncDisposable
    {
        public required MemoryTorrent Torrent { get; init; }
        public required TorrentSession Session { get; init; }
        public required PipePeer Source { get; init; }
        public required PipePeer Down { get; init; }
        public required CancellationTokenSource Bound { get; init; }

        public CancellationToken Token => Bound.Token;

        public byte[] ListOf(int index)
        {
            var size = Torrent.Torrent.GetPieceSize(index);
            var list = new byte[BlockHashes.ListLength(size)];
            BlockHashes.ComputeList(Torrent.Data.AsSpan(index * PieceLength, size), list);
            return list;
        }

        public async ValueTask DisposeAsync()
        {
            await Down.DisposeAsync();
            await Source.DisposeAsync();
            await Session.DisposeAsync();
            Bound.Dispose();
        }
    }

    // The session downloads piece 0 from Source, which has asked for its list (ask), and has
    // unchoked Down, which wants piece 0.
    private static async Task<Middle> StartAsync(int seed)
    {
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: seed, blockRoots: true);
        var session = new TorrentSession(torrent.Torrent, new MemoryStorage(torrent.Data.Length, mayHaveData: false), new SessionOptions
        {
            Time = new ManualTime(),
            Trackers = [],
            Relay = true,
        });
        var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = bound.Token;
        await session.StartAsync(token);
        var source = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 6881, extensions: s_sourceExtensions);
        var down = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 6882, extensions: s_downExtensions);
        await down.SendSimpleAsync(MessageId.HaveNone, token);
        await down.SendSimpleAsync(MessageId.Interested, token);
        await down.ReceiveUntilAsync(m => m.Id == MessageId.Unchoke, token);
        await source.SendSimpleAsync(MessageId.HaveNone, token);
        await source.SendHaveAsync(0, token);
        await source.ReceiveUntilAsync(m => m.Id == MessageId.Interested, token);
        await source.SendSimpleAsync(MessageId.Unchoke, token);
        var ask = await source.ReceiveUntilAsync(m => m.Id == MessageId.Extended && m.ExtendedId == SourceRelayId, token);
        Assert.Equal((RelayMessage.Ask, 0), Kind(ask));
        return new Middle { Torrent = torrent, Session = session, Source = source, Down = down, Bound = bound };
    }

    private static (byte Kind, int Index) Kind(WireMessage message) =>
        (message.Payload[0], BinaryPrimitives.ReadInt32BigEndian(message.Payload.AsSpan(1)));

    private static bool IsRelay(WireMessage message, byte id, byte kind) =>
        message.Id == MessageId.Extended && message.ExtendedId == id && message.Payload[0] == kind;

    [Fact]
    public async Task Relay_BlocksOfAPieceNotYetWhole_PassOnAsTheyArrive()
    {
        await using var m = await StartAsync(seed: 61);
        var token = m.Token;
        await m.Source.SendExtendedAsync(RelayMessage.LocalId, RelayMessage.Encode(RelayMessage.List, 0, m.ListOf(0)), token);
        var part = await m.Down.ReceiveUntilAsync(x => IsRelay(x, DownRelayId, RelayMessage.Part), token);
        Assert.Equal((RelayMessage.Part, 0), Kind(part));

        // Block 0 is in before Down asks; block 1 is asked for before it is in (it waits).
        await m.Source.SendBlockAsync(m.Torrent.Data, 0, 0, Block, token);
        await m.Session.SwarmLoopCaughtUpAsync().WaitAsync(token);
        await m.Down.SendRequestAsync(0, 0, Block, token);
        await m.Down.SendRequestAsync(0, Block, Block, token);
        var first = await m.Down.ReceiveUntilAsync(x => x.Id is MessageId.Piece or MessageId.RejectRequest, token);
        Assert.Equal((MessageId.Piece, 0, 0), (first.Id, first.Index, first.Begin));
        Assert.Equal(m.Torrent.Data.AsSpan(0, Block).ToArray(), first.Payload);
        Assert.False(m.Session.LocalHave[0]);

        await m.Source.SendBlockAsync(m.Torrent.Data, 0, Block, Block, token);
        var second = await m.Down.ReceiveUntilAsync(x => x.Id is MessageId.Piece or MessageId.RejectRequest, token);
        Assert.Equal((MessageId.Piece, 0, Block), (second.Id, second.Index, second.Begin));
        Assert.Equal(m.Torrent.Data.AsSpan(Block, Block).ToArray(), second.Payload);
        Assert.Equal(2, m.Session.RelayedBlocks);
    }

    [Fact]
    public async Task Relay_BlockThatDoesNotMatchTheList_IsRejectedNotPassedOn()
    {
        await using var m = await StartAsync(seed: 67);
        var token = m.Token;
        await m.Source.SendExtendedAsync(RelayMessage.LocalId, RelayMessage.Encode(RelayMessage.List, 0, m.ListOf(0)), token);
        await m.Down.ReceiveUntilAsync(x => IsRelay(x, DownRelayId, RelayMessage.Part), token);

        await m.Down.SendRequestAsync(0, 0, Block, token);
        await m.Session.SwarmLoopCaughtUpAsync().WaitAsync(token);
        var forged = (byte[])m.Torrent.Data.Clone();
        forged[100] ^= 0xff;
        await m.Source.SendBlockAsync(forged, 0, 0, Block, token);

        var answer = await m.Down.ReceiveUntilAsync(x => x.Id is MessageId.Piece or MessageId.RejectRequest, token);
        Assert.Equal((MessageId.RejectRequest, 0, 0), (answer.Id, answer.Index, answer.Begin));
        Assert.Equal(0, m.Session.RelayedBlocks);
    }

    [Fact]
    public async Task Relay_ListThatDoesNotMatchItsRoot_BansTheSenderAndOffersNothing()
    {
        await using var m = await StartAsync(seed: 71);
        var token = m.Token;
        var list = m.ListOf(0);
        list[5] ^= 1;
        await m.Source.SendExtendedAsync(RelayMessage.LocalId, RelayMessage.Encode(RelayMessage.List, 0, list), token);

        // The source is cut off; Down never hears of piece 0 in part.
        while (await m.Source.ReceiveAsync(token) is not null)
        {
        }
        await m.Session.SwarmLoopCaughtUpAsync().WaitAsync(token);
        m.Session.SendKeepAlives();
        var next = await m.Down.ReceiveUntilAsync(x => x.Id == MessageId.KeepAlive || IsRelay(x, DownRelayId, RelayMessage.Part), token);
        Assert.Equal(MessageId.KeepAlive, next.Id);
        await m.Session.DisposeAsync();
        Assert.True(m.Session.Bans.IsBanned(new IPEndPoint(IPAddress.Loopback, 6881)));
    }

    [Fact]
    public async Task Relay_SourceChokes_DownHearsDropAndItsWaitingRequestIsRejected()
    {
        await using var m = await StartAsync(seed: 73);
        var token = m.Token;
        await m.Source.SendExtendedAsync(RelayMessage.LocalId, RelayMessage.Encode(RelayMessage.List, 0, m.ListOf(0)), token);
        await m.Down.ReceiveUntilAsync(x => IsRelay(x, DownRelayId, RelayMessage.Part), token);
        await m.Down.SendRequestAsync(0, 2 * Block, Block, token);
        await m.Session.SwarmLoopCaughtUpAsync().WaitAsync(token);

        await m.Source.SendSimpleAsync(MessageId.Choke, token);

        var reject = await m.Down.ReceiveUntilAsync(x => x.Id is MessageId.Piece or MessageId.RejectRequest, token);
        Assert.Equal((MessageId.RejectRequest, 0, 2 * Block), (reject.Id, reject.Index, reject.Begin));
        var drop = await m.Down.ReceiveUntilAsync(x => IsRelay(x, DownRelayId, RelayMessage.Drop), token);
        Assert.Equal((RelayMessage.Drop, 0), Kind(drop));
    }

    [Fact]
    public async Task Downstream_PeerOffersAPieceInPart_SessionFetchesItsBlocksFromIt()
    {
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 79, blockRoots: true);
        await using var session = new TorrentSession(torrent.Torrent, new MemoryStorage(torrent.Data.Length, mayHaveData: false), new SessionOptions
        {
            Time = new ManualTime(),
            Trackers = [],
            Relay = true,
        });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = bound.Token;
        await session.StartAsync(token);
        await using var relayer = await PipePeer.JoinAsync(session, torrent.Torrent, token, extensions: s_sourceExtensions);
        await relayer.SendSimpleAsync(MessageId.HaveNone, token);
        await relayer.SendSimpleAsync(MessageId.Unchoke, token);

        await relayer.SendExtendedAsync(RelayMessage.LocalId, RelayMessage.Encode(RelayMessage.Part, 2), token);

        await relayer.ReceiveUntilAsync(x => x.Id == MessageId.Interested, token);
        var request = await relayer.ReceiveUntilAsync(x => x.Id == MessageId.Request, token);
        Assert.Equal(2, request.Index);
        // Its blocks come and the piece is ours.
        for (var begin = 0; begin < PieceLength; begin += Block)
        {
            await relayer.SendBlockAsync(torrent.Data, 2, begin, Block, token);
        }
        var have = await relayer.ReceiveUntilAsync(x => x.Id == MessageId.Have, token);
        Assert.Equal(2, have.Index);
    }

    [Fact]
    public async Task Seed_AskedForABlockList_AnswersWithTheListOfItsPiece()
    {
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 83, blockRoots: true);
        await using var seeder = new TorrentSession(torrent.Torrent, MemoryStorage.FromBytes(torrent.Data, mayHaveData: true), new SessionOptions
        {
            AssumeComplete = true,
            SuperSeed = false,
            Time = new ManualTime(),
            Trackers = [],
            Relay = true,
        });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = bound.Token;
        await seeder.StartAsync(token);
        await using var peer = await PipePeer.JoinAsync(seeder, torrent.Torrent, token, extensions: s_downExtensions);
        await peer.SendSimpleAsync(MessageId.HaveNone, token);
        await peer.SendSimpleAsync(MessageId.Interested, token);
        await peer.ReceiveUntilAsync(x => x.Id == MessageId.Unchoke, token);

        await peer.SendExtendedAsync(RelayMessage.LocalId, RelayMessage.Encode(RelayMessage.Ask, 3), token);

        var answer = await peer.ReceiveUntilAsync(x => IsRelay(x, DownRelayId, RelayMessage.List), token);
        var (_, index, list) = RelayMessage.Parse(new System.Buffers.ReadOnlySequence<byte>(answer.Payload), torrent.Torrent.PieceCount);
        Assert.Equal(3, index);
        Assert.True(torrent.Torrent.VerifyBlockList(3, list));
    }
}
