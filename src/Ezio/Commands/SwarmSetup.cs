using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;
using Ezio.Storage;

namespace Ezio.Commands;

/// <summary>
/// What `ezio get` and `ezio seed` share: the swarm options of their command lines, the
/// torrent, the target opened for writing or for seeding, the listener and the session.
/// </summary>
internal sealed class SwarmSetup : IDisposable
{
    public static readonly string[] ValueOptions = ["--port", "--peer", "--tracker", "--layout", "--image"];
    public static readonly string[] FlagOptions = ["--no-recheck", "--no-compression", "--relay"];

    private readonly List<IPEndPoint> _peers;
    private readonly List<Uri>? _trackers;
    private readonly bool _noRecheck;
    private readonly bool _noCompression;
    private readonly bool _relay;

    private SwarmSetup(CommandLine cl, Torrent torrent, ITorrentStorage storage, PeerListener listener, List<IPEndPoint> peers, List<Uri>? trackers)
    {
        Torrent = torrent;
        Storage = storage;
        Listener = listener;
        _peers = peers;
        _trackers = trackers;
        _noRecheck = cl.Flag("--no-recheck");
        _noCompression = cl.Flag("--no-compression");
        _relay = cl.Flag("--relay");
    }

    public Torrent Torrent { get; }

    public ITorrentStorage Storage { get; }

    public PeerListener Listener { get; }

    /// <summary>Reads the shared options, loads the torrent and opens the target (positional 1, or 1… for a multi-disk image).</summary>
    public static async Task<SwarmSetup> OpenAsync(CommandLine cl, bool forSeeding, CancellationToken cancellationToken)
    {
        var port = cl.Int("--port", Common.DefaultPort, 0, 65535);
        var peers = Common.ParsePeers(cl.Values("--peer"));
        var trackers = Common.ParseTrackers(cl.Values("--tracker"));
        var relocated = RelocatedTarget.Requested(cl);
        var layout = relocated ? StorageLayout.Auto : Targets.ParseLayout(cl.Value("--layout"));
        var torrent = await Common.LoadTorrentAsync(cl.Positionals[0], cancellationToken).ConfigureAwait(false);
        var targets = cl.Positionals.Skip(1).ToList();
        bool createFile = cl.Flag("--create-file");
        var storage = relocated
            ? await RelocatedTarget.OpenAsync(torrent, cl.Positionals[0], targets, cl.Value("--image"), cl.Value("--layout"),
                new RawTargetOptions { ReadOnly = forSeeding, AllowFileUnderDev = createFile }, cancellationToken).ConfigureAwait(false)
            : MultiDiskTargets.Applies(torrent, targets)
            ? MultiDiskTargets.Open(torrent, targets, forSeeding, createFile: createFile)
            : Targets.Open(torrent, cl.Positionals[1], layout, forSeeding, createFile: createFile);
        try
        {
            return new SwarmSetup(cl, torrent, storage, Listen(port), peers, trackers);
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The session, registered with the listener. A download rechecks what the target already
    /// holds unless told not to; a seed checks its source before it serves (or trusts it with
    /// --no-recheck).
    /// </summary>
    public TorrentSession CreateSession(bool seeding, bool superSeed = true, IReadOnlyList<Uri>? webSeeds = null)
    {
        var session = new TorrentSession(Torrent, Storage, new SessionOptions
        {
            ListenPort = Listener.Port,
            InitialPeers = _peers,
            Trackers = _trackers,
            Codec = Common.Codec(_noCompression),
            Logger = StderrLogger.Instance,
            Recheck = seeding || !_noRecheck,
            AssumeComplete = seeding && _noRecheck,
            RecheckBeforeStart = seeding,
            SuperSeed = superSeed,
            Relay = _relay,
            WebSeeds = webSeeds ?? [],
            LocalNetworks = PeerLocality.Detect(),
        });
        Listener.Add(session);
        return session;
    }

    public static PeerListener Listen(int port)
    {
        try
        {
            return new PeerListener(new IPEndPoint(IPAddress.Any, port));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new UsageException($"cannot listen on port {port}: {e.Message}");
        }
    }

    public void Dispose() => Storage.Dispose();
}
