using System.Net;
using System.Text;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Metainfo;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ezio.TestKit.Engine;

/// <summary>One engine of a <see cref="SwarmHarness"/>: its session, listener and storage.</summary>
public sealed class SwarmMember
{
    internal SwarmMember(string name, TorrentSession session, PeerListener listener, MemoryStorage storage)
    {
        Name = name;
        Session = session;
        Listener = listener;
        Storage = storage;
    }

    public string Name { get; }

    public TorrentSession Session { get; }

    public PeerListener Listener { get; }

    /// <summary>The memory under the session (beneath any wrapper such as a corrupting one).</summary>
    public MemoryStorage Storage { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Listener.Port);

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
/// Many engines in one process on loopback: each member listens on 127.0.0.1 port 0 and
/// dials every member added before it. Disposing stops every session, then every listener.
/// </summary>
public sealed class SwarmHarness : IAsyncDisposable
{
    private readonly List<SwarmMember> _members = new();
    private bool _disposed;

    public SwarmHarness(MemoryTorrent torrent) => Torrent = torrent;

    public MemoryTorrent Torrent { get; }

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
        var listener = new PeerListener(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new SessionOptions
        {
            ListenPort = listener.Port,
            AssumeComplete = complete,
            InitialPeers = _members.Select(m => m.EndPoint).ToList(),
            Trackers = [],
            Codec = codec,
            Time = time ?? TimeProvider.System,
            PeerId = peerId,
            Logger = logger ?? NullLogger.Instance,
        };
        var session = new TorrentSession(Torrent.Torrent, wrap?.Invoke(storage) ?? storage, options);
        var member = new SwarmMember(name, session, listener, storage);
        _members.Add(member);
        listener.Add(session);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await session.StartAsync(timeout.Token);
        return member;
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
            member.Listener.Remove(member.Session);
        }
        await Task.WhenAll(_members.Select(m => m.Session.DisposeAsync().AsTask()));
        await Task.WhenAll(_members.Select(m => m.Listener.DisposeAsync().AsTask()));
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
