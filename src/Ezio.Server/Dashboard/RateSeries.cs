using Ezio.BitTorrent.Metainfo;
using Ezio.Server.Deployments;
using Ezio.Server.Hosting;
using Ezio.Server.Seeding;

namespace Ezio.Server.Dashboard;

/// <summary>
/// The dashboard's plots, sampled on the server so every browser (and a reload) sees the same
/// curve: every <see cref="IntervalSeconds"/> s the sum of the open deployments' machines'
/// rates, the server seeder's upload rate, the bytes it sent per deployment, and a piece map
/// per open deployment from the seeder's peers. One pass over the machines per sample; the
/// last <see cref="MaxSamples"/> samples are kept in memory.
/// </summary>
internal sealed class RateSeries(DeploymentManager manager, DeploymentSeeder seeder, ServerOptions options, TimeProvider time) : BackgroundService
{
    public const int IntervalSeconds = 2;
    public const int MaxSamples = 1800;
    public const int Regions = 128;

    private readonly Lock _lock = new();
    private readonly Queue<RateSample> _samples = new();
    private readonly Dictionary<string, long> _serverBytes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _uploadedByHash = new(StringComparer.Ordinal);
    private IReadOnlyList<PieceMap> _pieceMaps = [];
    private long _seq;
    private long _lastServed = -1;
    private DateTimeOffset _lastAt;

    public long LineRate => options.LineRateMbit > 0 ? options.LineRateMbit * 1_000_000L / 8 : 0;

    public SeriesSnapshot Since(long after)
    {
        lock (_lock)
        {
            return new SeriesSnapshot(LineRate, IntervalSeconds, _samples.Where(s => s.Seq > after).ToList(), _pieceMaps);
        }
    }

    /// <summary>Bytes the seeder sent for this deployment while it was open (since this server started); null when never seen.</summary>
    public long? ServerBytes(string deploymentId)
    {
        lock (_lock)
        {
            return _serverBytes.TryGetValue(deploymentId, out var bytes) ? bytes : null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(IntervalSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }

    /// <summary>Takes one sample now (the timer's work; tests call it directly).</summary>
    internal void Sample()
    {
        var now = time.GetUtcNow();
        var open = manager.OpenDeployments();
        var ids = open.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        long rateIn = 0, rateOut = 0;
        foreach (var m in manager.ListMachines())
        {
            if (m.DeploymentId is { } id && ids.Contains(id))
            {
                rateIn += m.RateIn;
                rateOut += m.RateOut;
            }
        }
        var served = seeder.BytesServed;
        var maps = new List<PieceMap>();
        lock (_lock)
        {
            var seconds = (now - _lastAt).TotalSeconds;
            var serverRate = _lastServed >= 0 && seconds > 0 ? (long)Math.Max(0, (served - _lastServed) / seconds) : 0;
            _lastServed = served;
            _lastAt = now;
            foreach (var group in open.GroupBy(d => d.InfoHash, StringComparer.Ordinal))
            {
                var hash = InfoHash.Parse(group.Key);
                if (seeder.Stats(hash) is { } stats)
                {
                    // A seed starts with its deployment (or with this server), so from 0; two
                    // deployments of one image share a seed: its bytes count for the first.
                    var delta = stats.Uploaded - _uploadedByHash.GetValueOrDefault(group.Key);
                    _uploadedByHash[group.Key] = stats.Uploaded;
                    var first = group.First().Id;
                    _serverBytes[first] = _serverBytes.GetValueOrDefault(first) + Math.Max(0, delta);
                }
                foreach (var d in group)
                {
                    _serverBytes.TryAdd(d.Id, 0);
                }
                if (seeder.PeerAvailability(hash, Regions) is { } map)
                {
                    maps.AddRange(group.Select(d => new PieceMap(d.Id, map.Peers, map.Regions.Select(r => Math.Round(r, 2)).ToArray())));
                }
            }
            foreach (var hash in _uploadedByHash.Keys.Where(h => !open.Any(d => d.InfoHash == h)).ToList())
            {
                _uploadedByHash.Remove(hash);
            }
            _pieceMaps = maps;
            _samples.Enqueue(new RateSample(++_seq, now, rateIn, rateOut, serverRate));
            while (_samples.Count > MaxSamples)
            {
                _samples.Dequeue();
            }
        }
    }
}
