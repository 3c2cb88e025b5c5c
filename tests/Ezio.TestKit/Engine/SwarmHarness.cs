using System.Net;
using System.Text;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Metainfo;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ezio.TestKit.Engine;

/// <summary>One engine of a <see cref="SwarmHarness"/>: its session, listener (sockets only) and storage.</summary>
public sealed class SwarmMember
{
    internal SwarmMember(string name, TorrentSession session, IPEndPoint endPoint, PeerListener? listener, MemoryStorage storage)
    {
        Name = name;
        Session = session;
        EndPoint = endPoint;
        Listener = listener;
        Storage = storage;
    }

    public string Name { get; }

    public TorrentSession Session { get; }

    /// <summary>Null on memory links, where nothing listens.</summary>
    public PeerListener? Listener { get; }

    /// <summary>The memory under the session (beneath any wrapper such as a corrupting one).</summary>
    public MemoryStorage Storage { get; }

    /// <summary>
    /// Where the member listens (sockets), or the address its memory links name it by: a
    /// loopback port nothing listens on, distinct per member so that strikes and bans, kept
    /// per endpoint on loopback, fall on the member they are meant for.
    /// </summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Copies out everything the storage holds.</summary>
    public byte[] Contents()
    {
        var bytes = new byte[Storage.Length];
        Storage.Read(0, bytes);
        return bytes;
    }

    public override string ToString() => Name;
}

/// <summary>
/// Many engines in one process. On memory links (the default) each member is joined to every
/// member added before it over an in-memory pipe pair, and fake peers attach the same way:
/// no socket, no listener, no dial. <see cref="SwarmTransport.Sockets"/> keeps the real path
/// (each member listens on 127.0.0.1 port 0 and dials the ones before it) for the tests whose
/// subject is the socket, the listener or dialling. Disposing stops every session, then every
/// listener.
/// </summary>
public sealed class SwarmHarness : IAsyncDisposable
{
    // Ports that name members (from 41000) and attached peers and sessions (from 40001) on
    // memory links: never listened on nor dialled.
    private const int FirstMemoryPort = 41000;

    private readonly List<SwarmMember> _members = new();
    private int _nextFakePort = 40000;
    private bool _disposed;

    public SwarmHarness(MemoryTorrent torrent, SwarmTransport transport = SwarmTransport.Memory)
    {
        Torrent = torrent;
        Transport = transport;
    }

    public MemoryTorrent Torrent { get; }

    public SwarmTransport Transport { get; }

    /// <summary>Every member relays blocks of pieces not yet whole (ezio_relay; the torrent needs block roots).</summary>
    public bool Relay { get; init; }

    public IReadOnlyList<SwarmMember> Members => _members;

    /// <summary>A complete copy that skips the recheck.</summary>
    /// <param name="time">The session's clock; <see cref="TimerlessTime"/> keeps its periodic tick from ever running.</param>
    public Task<SwarmMember> AddSeederAsync(string name = "seeder", IPieceCodec? codec = null, TimeProvider? time = null) =>
        AddAsync(name, MemoryStorage.FromBytes(Torrent.Data, mayHaveData: true), complete: true, wrap: null, codec, time);

    /// <summary>
    /// An empty member; <paramref name="wrap"/> may put a fake over its storage. <paramref name="peerId"/>
    /// (random when null) decides which of two connections between the same peers survives;
    /// <paramref name="logger"/> hears the session's log (nothing when null).
    /// </summary>
    public Task<SwarmMember> AddLeecherAsync(string name, Func<ITorrentStorage, ITorrentStorage>? wrap = null, IPieceCodec? codec = null, byte[]? peerId = null,
        TimeProvider? time = null, ILogger? logger = null) =>
        AddAsync(name, new MemoryStorage(Torrent.Data.Length, mayHaveData: false), complete: false, wrap, codec, time, peerId, logger);

    /// <summary>
    /// A member whose storage already holds the pieces <paramref name="holds"/> picks (the rest
    /// zeroed): a machine resuming a deployment. Its recheck runs while the swarm starts; a
    /// piece is fetched only once the recheck has found it missing.
    /// </summary>
    public Task<SwarmMember> AddPartialAsync(string name, Func<int, bool> holds)
    {
        var storage = new MemoryStorage(Torrent.Data.Length, mayHaveData: true);
        var pieceLength = Torrent.Torrent.PieceLength;
        for (var i = 0; i < Torrent.Torrent.PieceCount; i++)
        {
            if (holds(i))
            {
                var start = (long)i * pieceLength;
                storage.Write(start, Torrent.Data.AsSpan((int)start, Torrent.Torrent.GetPieceSize(i)));
            }
        }
        return AddAsync(name, storage, complete: false, wrap: null);
    }

    private async Task<SwarmMember> AddAsync(string name, MemoryStorage storage, bool complete, Func<ITorrentStorage, ITorrentStorage>? wrap,
        IPieceCodec? codec = null, TimeProvider? time = null, byte[]? peerId = null, ILogger? logger = null)
    {
        var sockets = Transport == SwarmTransport.Sockets;
        var listener = sockets ? new PeerListener(new IPEndPoint(IPAddress.Loopback, 0)) : null;
        var endPoint = new IPEndPoint(IPAddress.Loopback, listener?.Port ?? FirstMemoryPort + _members.Count);
        var options = new SessionOptions
        {
            ListenPort = endPoint.Port,
            AssumeComplete = complete,
            InitialPeers = sockets ? _members.Select(m => m.EndPoint).ToList() : [],
            Trackers = [],
            Codec = codec,
            Time = time ?? TimeProvider.System,
            PeerId = peerId,
            Logger = logger ?? NullLogger.Instance,
            Relay = Relay,
        };
        var session = new TorrentSession(Torrent.Torrent, wrap?.Invoke(storage) ?? storage, options);
        var member = new SwarmMember(name, session, endPoint, listener, storage);
        var before = _members.ToList();
        _members.Add(member);
        listener?.Add(session);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await session.StartAsync(timeout.Token);
        if (!sockets)
        {
            foreach (var other in before)
            {
                await JoinAsync(member.Session, member.EndPoint, other.Session, other.EndPoint, timeout.Token);
            }
        }
        return member;
    }

    /// <summary>
    /// Joins <paramref name="session"/> (one made outside the harness) to <paramref name="member"/>
    /// over a memory link, as if it had dialled the member.
    /// </summary>
    public async Task ConnectAsync(TorrentSession session, SwarmMember member, CancellationToken token)
    {
        if (Transport == SwarmTransport.Sockets)
        {
            throw new InvalidOperationException("on sockets, the session dials the member's endpoint");
        }
        await JoinAsync(session, new IPEndPoint(IPAddress.Loopback, Interlocked.Increment(ref _nextFakePort)), member.Session, member.EndPoint, token);
    }

    /// <summary>
    /// A fake peer joined to <paramref name="member"/> over a memory link. <paramref name="receiveBuffer"/>,
    /// when set, is how much the member may write ahead of the fake's reading, as a small
    /// receive buffer would; with <paramref name="sendsWaitForRead"/> each send of the fake
    /// returns once the member has read it.
    /// </summary>
    public Task<PipePeer> AttachPeerAsync(SwarmMember member, CancellationToken token, IReadOnlyDictionary<string, int>? extensions = null,
        int? requestQueue = null, long receiveBuffer = 0, bool sendsWaitForRead = false) =>
        PipePeer.JoinAsync(member.Session, Torrent.Torrent, token, Interlocked.Increment(ref _nextFakePort), requestQueue, extensions, receiveBuffer, sendsWaitForRead);

    // Both handshakes go out at once over one pipe pair; the dialler's end counts as outgoing.
    private static Task JoinAsync(TorrentSession dialler, IPEndPoint diallerEndPoint, TorrentSession dialled, IPEndPoint dialledEndPoint, CancellationToken token)
    {
        var (a, b) = MemoryLink.CreatePair();
        return Task.WhenAll(
            dialler.JoinAsync(new PeerLink(a, dialledEndPoint), outgoing: true, token),
            dialled.JoinAsync(new PeerLink(b, diallerEndPoint), outgoing: false, token));
    }

    /// <summary>
    /// Waits for the given members to complete; on timeout fails with every member's stats,
    /// which is what one needs to tell a slow swarm from a stuck one.
    /// </summary>
    public async Task WaitForCompletionAsync(IEnumerable<SwarmMember> members, TimeSpan timeout)
    {
        var all = Task.WhenAll(members.Select(m => m.Session.Completion));
        try
        {
            await all.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the swarm did not complete within {timeout}:\n{Describe()}");
        }
    }

    /// <summary>One line of stats per member.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var member in _members)
        {
            var s = member.Session.GetStats();
            text.AppendLine($"{member.Name,-10} {s.State,-11} pieces {s.PiecesHave}/{s.PieceCount} peers {s.Peers} seeds {s.Seeds} " +
                $"down {s.Downloaded >> 10} KiB up {s.Uploaded >> 10} KiB wasted {s.Wasted >> 10} KiB hash failures {s.HashFailures}");
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var member in _members)
        {
            member.Listener?.Remove(member.Session);
        }
        await Task.WhenAll(_members.Select(m => m.Session.DisposeAsync().AsTask()));
        await Task.WhenAll(_members.Select(m => m.Listener?.DisposeAsync().AsTask() ?? Task.CompletedTask));
        foreach (var member in _members)
        {
            member.Storage.Dispose();
        }
    }
}

/// <summary>Looks at session state the public surface does not show.</summary>
public static class SessionProbe
{
    /// <summary>
    /// Whether <paramref name="session"/> has banned the peer with <paramref name="peerId"/>.
    /// Reads the swarm loop's private, unsynchronised ban set: call it only after the session
    /// has been disposed, when that loop no longer runs.
    /// </summary>
    public static bool HasBanned(TorrentSession session, byte[] peerId)
    {
        return session.Bans.IsBannedPeerId(peerId);
    }
}
