using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Imaging.Compression;
using Ezio.Server.Deployments;
using Ezio.Server.Hosting;
using Ezio.Server.Images;
using Ezio.Server.Tracker;

namespace Ezio.Server.Seeding;

/// <summary>
/// Seeds the image of every open deployment: one <see cref="TorrentSession"/> per image
/// (shared by deployments of the same image), all behind one <see cref="PeerListener"/> on
/// the peer port. Sessions announce to no tracker, our tracker lists them directly; with
/// <see cref="ServerOptions.Trackers"/> set they announce there.
/// </summary>
internal sealed class DeploymentSeeder(
    DeploymentManager deployments, IImageCatalog images, AnnounceTracker tracker, ServerOptions options,
    TimeProvider time, ILogger<DeploymentSeeder> logger) : IHostedService, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<InfoHash, Seed> _seeds = [];
    private PeerListener? _listener;
    private long _uploadedByStopped;

    public int Port => _listener?.Port ?? 0;

    /// <summary>Bytes uploaded to peers since start, by live and stopped seeds (for /metrics).</summary>
    public long BytesServed
    {
        get
        {
            lock (_lock)
            {
                return _uploadedByStopped + _seeds.Values.Sum(s => s.Session.GetStats().Uploaded);
            }
        }
    }

    /// <summary>The session seeding <paramref name="hash"/>, as a snapshot; null when none.</summary>
    public SessionStats? Stats(InfoHash hash)
    {
        lock (_lock)
        {
            return _seeds.TryGetValue(hash, out var seed) ? seed.Session.GetStats() : null;
        }
    }

    /// <summary>How many of the seed's peers hold each region of <paramref name="hash"/> (a piece map); null when not seeded.</summary>
    public (int Peers, double[] Regions)? PeerAvailability(InfoHash hash, int regions)
    {
        TorrentSession? session;
        lock (_lock)
        {
            session = _seeds.TryGetValue(hash, out var seed) ? seed.Session : null;
        }
        return session is null ? null : (session.GetStats().Peers, session.PeerAvailability(regions));
    }

    /// <summary>How many images are being seeded now.</summary>
    public int ActiveSeeds
    {
        get
        {
            lock (_lock)
            {
                return _seeds.Count;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new PeerListener(new IPEndPoint(IPAddress.Any, options.PeerPort));
        SeedingLog.Listening(logger, _listener.Port);
        deployments.DeploymentOpened += OnOpened;
        deployments.DeploymentClosed += OnClosed;
        foreach (var d in deployments.OpenDeployments())
        {
            OnOpened(d);
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        deployments.DeploymentOpened -= OnOpened;
        deployments.DeploymentClosed -= OnClosed;
        List<Seed> seeds;
        lock (_lock)
        {
            seeds = _seeds.Values.ToList();
            _seeds.Clear();
        }
        foreach (var seed in seeds)
        {
            await seed.Session.DisposeAsync().ConfigureAwait(false);
        }
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
            _listener = null;
        }
    }

    private void OnOpened(DeploymentRecord deployment)
    {
        var hash = InfoHash.Parse(deployment.InfoHash);
        DateTimeOffset? deadline = deployment.TimeoutMinutes > 0 ? deployment.CreatedAt.AddMinutes(deployment.TimeoutMinutes) : null;
        tracker.Open(hash, deployment.StopAfterCompleted, deadline);
        lock (_lock)
        {
            if (_seeds.TryGetValue(hash, out var existing))
            {
                existing.Deployments.Add(deployment.Id);
                return;
            }
            if (_listener is null || !images.TryGet(deployment.Image, out var image) || image.Torrent.InfoHash != hash)
            {
                SeedingLog.NoImage(logger, deployment.Image, deployment.Id);
                return;
            }
            ITorrentStorage storage;
            try
            {
                storage = image.OpenStorage();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                SeedingLog.Failed(logger, deployment.Image, e);
                return;
            }
            var session = new TorrentSession(image.Torrent, storage, new Ezio.BitTorrent.Engine.SessionOptions
            {
                ListenPort = _listener.Port,
                Time = time,
                // Announces only to a tracker standing in for ours (which lists the seeder itself).
                Trackers = [.. options.Trackers.Select(t => new Uri(t))],
                Recheck = options.SeedRecheck,
                AssumeComplete = !options.SeedRecheck,
                RecheckBeforeStart = true,
                SuperSeed = true,
                // Ezio agents get the stored compressed frames of pieces.ezp as they are.
                Codec = ZstdPieceCodec.IsAvailable ? ZstdPieceCodec.Instance : null,
            });
            var seed = new Seed(session, storage, [deployment.Id]);
            _seeds[hash] = seed;
            _ = StartSeedAsync(seed, deployment.Image);
        }
    }

    private async Task StartSeedAsync(Seed seed, string image)
    {
        try
        {
            await seed.Session.StartAsync().ConfigureAwait(false);
            var stats = seed.Session.GetStats();
            if (stats.PiecesHave != stats.PieceCount)
            {
                SeedingLog.Incomplete(logger, image, stats.PieceCount - stats.PiecesHave);
                return;
            }
            _listener?.Add(seed.Session);
            tracker.PinSeeder(seed.Session.InfoHash, Port);
            SeedingLog.Seeding(logger, image, seed.Session.InfoHash);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            SeedingLog.Failed(logger, image, e);
        }
    }

    private void OnClosed(DeploymentRecord deployment, string reason)
    {
        var hash = InfoHash.Parse(deployment.InfoHash);
        Seed? stop = null;
        lock (_lock)
        {
            if (_seeds.TryGetValue(hash, out var seed))
            {
                seed.Deployments.Remove(deployment.Id);
                if (seed.Deployments.Count == 0)
                {
                    _seeds.Remove(hash);
                    _uploadedByStopped += seed.Session.GetStats().Uploaded;
                    stop = seed;
                }
            }
        }
        if (stop is not null)
        {
            tracker.Close(hash, reason);
            tracker.PinSeeder(hash, 0);
            _listener?.Remove(stop.Session);
            SeedingLog.Stopped(logger, deployment.Image, reason);
            _ = stop.Session.DisposeAsync().AsTask();
        }
    }

    private sealed record Seed(TorrentSession Session, IDisposable Storage, HashSet<string> Deployments);
}
