using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Fetches whole pieces from the session's web seeds (BEP 19): each usable seed gets pieces up
/// to its share, rarest first like a peer that has everything, never a piece someone else
/// fetches (web seeds take no part in the endgame). Fetches and hashing run off the loop; the
/// loop hears each verdict in a <see cref="SwarmEvent.WebSeedPiece"/> before the disk writer
/// says the piece is stored.
/// </summary>
/// <remarks>
/// Owned by the swarm loop, but for <see cref="Stats"/> (any thread, under the list's lock)
/// and the fetch tasks, which own their download until they post its verdict.
/// </remarks>
internal sealed class WebSeedFetcher
{
    private readonly Torrent _torrent;
    private readonly SessionOptions _options;
    private readonly TimeProvider _time;
    private readonly PiecePicker _picker;
    private readonly PieceBufferPool _pool;
    private readonly Func<SwarmEvent, bool> _post;
    private readonly Func<PieceDownload, CancellationToken, ValueTask> _store;
    private readonly Action<int> _countDownloaded;
    private readonly Func<bool> _dropParked;
    private readonly CancellationToken _stop;
    private readonly List<WebSeed> _seeds = [];
    private readonly List<Task> _fetches = [];

    public WebSeedFetcher(Torrent torrent, SessionOptions options, PiecePicker picker, PieceBufferPool pool, Func<SwarmEvent, bool> post,
        Func<PieceDownload, CancellationToken, ValueTask> store, Action<int> countDownloaded, Func<bool> dropParked, CancellationToken stop)
    {
        _torrent = torrent;
        _options = options;
        _time = options.Time;
        _picker = picker;
        _pool = pool;
        _post = post;
        _store = store;
        _countDownloaded = countDownloaded;
        _dropParked = dropParked;
        _stop = stop;
        // The web seeds of the options and of the torrent's url-list, each once.
        foreach (var uri in options.WebSeeds.Concat(torrent.WebSeeds).DistinctBy(u => u.AbsoluteUri))
        {
            _seeds.Add(new WebSeed(uri, torrent));
        }
    }

    /// <summary>Every web seed with what it sent and how it fares.</summary>
    public IReadOnlyList<WebSeedStats> Stats()
    {
        lock (_seeds)
        {
            return _seeds.Select(s => s.Stats()).ToList();
        }
    }

    /// <summary>Piece fetches under way over all seeds (swarm loop only).</summary>
    public int InFlight => _seeds.Sum(s => s.InFlight.Count);

    /// <summary>Gives each usable web seed pieces up to its share.</summary>
    public void Fill(bool downloading)
    {
        if (_seeds.Count == 0 || !downloading)
        {
            return;
        }
        var now = _time.GetTimestamp();
        foreach (var seed in _seeds)
        {
            if (!seed.CanFetch(now))
            {
                continue;
            }
            // A seed that sent a bad piece gets one piece at a time until it is banned; one
            // that just failed probes with one piece before it gets its share back.
            var share = seed.HashFailures > 0 || seed.Failures > 0 ? 1 : Math.Max(1, _options.WebSeedPieces);
            while (seed.InFlight.Count < share)
            {
                var index = _picker.Pick(null, seed.InFlight.Contains, endgame: false);
                // What is left may be parked partial pieces whose peers left: they stay owned
                // until a peer resumes them, so without this a machine whose only source is a
                // web seed would wait for them forever.
                while (index < 0 && _dropParked())
                {
                    index = _picker.Pick(null, seed.InFlight.Contains, endgame: false);
                }
                if (index < 0 || !_pool.TryRent(out var buffer))
                {
                    return;
                }
                _picker.AddOwner(index);
                seed.InFlight.Add(index);
                var download = new PieceDownload(index, _torrent.GetPieceSize(index), buffer);
                lock (_fetches)
                {
                    _fetches.RemoveAll(t => t.IsCompleted);
                    _fetches.Add(Task.Run(() => FetchAsync(seed, download)));
                }
            }
        }
    }

    // Off the loop: fetch, hash, tell the loop, then queue the piece for the disk.
    private async Task FetchAsync(WebSeed seed, PieceDownload download)
    {
        var (outcome, reason) = await seed.FetchAsync(download, _options.WebSeedTimeout, _time, _stop).ConfigureAwait(false);
        var verified = outcome == WebSeedOutcome.Fetched && _torrent.VerifyPiece(download.Index, download.Buffer.Span[..download.Length]);
        if (outcome == WebSeedOutcome.Fetched)
        {
            _countDownloaded(download.Length);
        }
        // From here on the loop owns the buffer of a piece that did not verify.
        if (outcome == WebSeedOutcome.Stopped || !_post(new SwarmEvent.WebSeedPiece(seed, download, outcome, verified, reason)))
        {
            _pool.Return(download.Buffer);
            return;
        }
        if (!verified)
        {
            return;
        }
        try
        {
            await _store(download, _stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            _pool.Return(download.Buffer);
        }
    }

    /// <summary>
    /// A fetch ended (swarm loop): the seed's record is kept, a bad or failed piece's buffer
    /// goes back. True when the piece verified, and the caller must settle it (the buffer is
    /// on its way to the disk writer); false when it failed its hash (the caller counts it).
    /// </summary>
    public bool OnPiece(SwarmEvent.WebSeedPiece e, out bool hashFailed)
    {
        var seed = e.Seed;
        var index = e.Download.Index;
        seed.InFlight.Remove(index);
        _picker.RemoveOwner(index);
        hashFailed = false;
        if (e.Verified)
        {
            seed.Succeeded();
            return true;
        }
        _pool.Return(e.Download.Buffer);
        var logger = _options.Logger;
        if (e.Outcome == WebSeedOutcome.Fetched)
        {
            hashFailed = true;
            seed.HashFailures++;
            WebSeedLog.HashFailed(logger, index, seed.Uri);
            if (seed.HashFailures >= _options.MaxHashFailures)
            {
                seed.GiveUp($"banned: sent {seed.HashFailures} pieces that failed their SHA-1 check");
                WebSeedLog.Banned(logger, seed.Uri, seed.HashFailures);
            }
        }
        else if (e.Outcome == WebSeedOutcome.Refused)
        {
            seed.GiveUp(e.Reason ?? "refused");
            WebSeedLog.GivenUp(logger, seed.Uri, seed.GivenUp!);
        }
        else
        {
            WebSeedLog.Failed(logger, seed.Uri, e.Reason ?? "failed", seed.Failures + 1);
            if (seed.Fail(_time.GetTimestamp(), _time, _options.WebSeedMaxFailures))
            {
                seed.GiveUp($"{seed.Failures} failures in a row, the last: {e.Reason}");
                WebSeedLog.GivenUp(logger, seed.Uri, seed.GivenUp!);
            }
        }
        return false;
    }

    /// <summary>Rates once a second, and seeds whose backoff ended get work (from the tick).</summary>
    public void Tick(long now, bool downloading)
    {
        foreach (var seed in _seeds)
        {
            seed.UpdateRate(now, _time);
        }
        Fill(downloading);
    }

    /// <summary>On stop: fetches end (cancelled) and give their buffers back.</summary>
    public async Task StopAsync(Func<Task?, Task> waitQuietly)
    {
        Task[] fetches;
        lock (_fetches)
        {
            fetches = _fetches.ToArray();
        }
        foreach (var fetch in fetches)
        {
            await waitQuietly(fetch).ConfigureAwait(false);
        }
    }
}
