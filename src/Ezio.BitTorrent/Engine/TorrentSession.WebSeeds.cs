namespace Ezio.BitTorrent.Engine;

public sealed partial class TorrentSession
{
    private readonly List<WebSeed> _webSeeds = [];
    private readonly List<Task> _webSeedFetches = [];

    /// <summary>Every web seed with what it sent and how it fares.</summary>
    public IReadOnlyList<WebSeedStats> GetWebSeeds()
    {
        lock (_webSeeds)
        {
            return _webSeeds.Select(s => s.Stats()).ToList();
        }
    }

    /// <summary>The web seeds of the options and of the torrent's url-list, each once.</summary>
    private void CreateWebSeeds()
    {
        foreach (var uri in Options.WebSeeds.Concat(Torrent.WebSeeds).DistinctBy(u => u.AbsoluteUri))
        {
            _webSeeds.Add(new WebSeed(uri, Torrent));
        }
    }

    /// <summary>
    /// Gives each usable web seed pieces up to its share, rarest first like a peer that has
    /// everything; never a piece someone else fetches (web seeds take no part in the endgame).
    /// </summary>
    private void FillWebSeeds()
    {
        if (_webSeeds.Count == 0 || _state is not (SessionState.Downloading or SessionState.Checking))
        {
            return;
        }
        var now = Time.GetTimestamp();
        foreach (var seed in _webSeeds)
        {
            if (!seed.CanFetch(now))
            {
                continue;
            }
            // A seed that sent a bad piece gets one piece at a time until it is banned; one
            // that just failed probes with one piece before it gets its share back.
            var share = seed.HashFailures > 0 || seed.Failures > 0 ? 1 : Math.Max(1, Options.WebSeedPieces);
            while (seed.InFlight.Count < share)
            {
                var index = _picker.Pick(null, seed.InFlight.Contains, endgame: false);
                if (index < 0 || !_pool.TryRent(out var buffer))
                {
                    return;
                }
                _picker.AddOwner(index);
                seed.InFlight.Add(index);
                var download = new PieceDownload(index, Torrent.GetPieceSize(index), buffer);
                lock (_webSeedFetches)
                {
                    _webSeedFetches.RemoveAll(t => t.IsCompleted);
                    _webSeedFetches.Add(Task.Run(() => FetchFromWebSeedAsync(seed, download)));
                }
            }
        }
    }

    /// <summary>Off the loop: fetch, hash, tell the loop, then queue the piece for the disk.</summary>
    private async Task FetchFromWebSeedAsync(WebSeed seed, PieceDownload download)
    {
        var (outcome, reason) = await seed.FetchAsync(download, Options.WebSeedTimeout, Time, _stop.Token).ConfigureAwait(false);
        var verified = outcome == WebSeedOutcome.Fetched && Torrent.VerifyPiece(download.Index, download.Buffer.Span[..download.Length]);
        if (outcome == WebSeedOutcome.Fetched)
        {
            CountDownloaded(download.Length);
        }
        // As for peers, the loop hears "verified" before the disk writer says "stored"; from
        // here on the loop owns the buffer of a piece that did not verify.
        if (outcome == WebSeedOutcome.Stopped || !_events.Writer.TryWrite(new SwarmEvent.WebSeedPiece(seed, download, outcome, verified, reason)))
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
            await EnqueueWriteAsync(download, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            _pool.Return(download.Buffer);
        }
    }

    private void OnWebSeedPiece(SwarmEvent.WebSeedPiece e)
    {
        var seed = e.Seed;
        var index = e.Download.Index;
        seed.InFlight.Remove(index);
        _picker.RemoveOwner(index);
        if (e.Verified)
        {
            seed.Succeeded();
            // The buffer is on its way to the disk writer, which hands it back when stored.
            if (!_picker.Have[index])
            {
                _picker.MarkBusy(index);
                _requester.Won(index, winner: null, _peers);
            }
        }
        else
        {
            _pool.Return(e.Download.Buffer);
            if (e.Outcome == WebSeedOutcome.Fetched)
            {
                Interlocked.Increment(ref _hashFailures);
                seed.HashFailures++;
                WebSeedLog.HashFailed(Options.Logger, index, seed.Uri);
                if (seed.HashFailures >= Options.MaxHashFailures)
                {
                    seed.GiveUp($"banned: sent {seed.HashFailures} pieces that failed their SHA-1 check");
                    WebSeedLog.Banned(Options.Logger, seed.Uri, seed.HashFailures);
                }
            }
            else if (e.Outcome == WebSeedOutcome.Refused)
            {
                seed.GiveUp(e.Reason ?? "refused");
                WebSeedLog.GivenUp(Options.Logger, seed.Uri, seed.GivenUp!);
            }
            else
            {
                WebSeedLog.Failed(Options.Logger, seed.Uri, e.Reason ?? "failed", seed.Failures + 1);
                if (seed.Fail(Time.GetTimestamp(), Time, Options.WebSeedMaxFailures))
                {
                    seed.GiveUp($"{seed.Failures} failures in a row, the last: {e.Reason}");
                    WebSeedLog.GivenUp(Options.Logger, seed.Uri, seed.GivenUp!);
                }
            }
        }
        RetryHungry();
    }

    /// <summary>Rates once a second, and seeds whose backoff ended get work (from the tick).</summary>
    private void TickWebSeeds(long now)
    {
        foreach (var seed in _webSeeds)
        {
            seed.UpdateRate(now, Time);
        }
        FillWebSeeds();
    }

    /// <summary>On stop: fetches end (cancelled) and give their buffers back.</summary>
    private async Task StopWebSeedsAsync()
    {
        Task[] fetches;
        lock (_webSeedFetches)
        {
            fetches = _webSeedFetches.ToArray();
        }
        foreach (var fetch in fetches)
        {
            await WaitQuietly(fetch).ConfigureAwait(false);
        }
    }
}
