using System.Net;
using Ezio.BitTorrent.Trackers;

namespace Ezio.BitTorrent.Engine;

public sealed partial class TorrentSession
{
    private readonly SemaphoreSlim _announceWake = new(0);
    private volatile bool _announceCompleted;
    private List<ITrackerClient>? _trackers;

    private IReadOnlyList<Uri> TrackerUris()
    {
        if (Options.Trackers is { } configured)
        {
            return configured;
        }
        var uris = new List<Uri>();
        foreach (var tier in Torrent.AnnounceList)
        {
            foreach (var url in tier)
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "udp" && !uris.Contains(uri))
                {
                    uris.Add(uri);
                }
            }
        }
        return uris;
    }

    private AnnounceRequest Request(TrackerEvent trackerEvent)
    {
        var stats = GetStats();
        return new AnnounceRequest(Torrent.InfoHash, PeerId, Options.ListenPort, stats.Uploaded, stats.Downloaded, stats.BytesLeft, trackerEvent);
    }

    private async Task AnnounceLoopAsync(CancellationToken cancellationToken)
    {
        var uris = TrackerUris();
        if (uris.Count == 0)
        {
            return;
        }
        _trackers = uris.Select(TrackerClientFactory.Create).ToList();
        var trackerEvent = TrackerEvent.Started;
        var completedSent = IsComplete;
        while (!cancellationToken.IsCancellationRequested)
        {
            var interval = TimeSpan.FromMinutes(2);
            var anyOk = false;
            foreach (var tracker in _trackers)
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(20));
                    var response = await tracker.AnnounceAsync(Request(trackerEvent), timeout.Token).ConfigureAwait(false);
                    if (response.FailureReason is { } failure)
                    {
                        _lastTrackerError = $"{tracker.Uri}: {failure}";
                        TorrentSessionLog.TrackerProblem(Options.Logger, tracker.Uri, failure);
                        continue;
                    }
                    anyOk = true;
                    _lastTrackerError = null;
                    AddPeers(response.Peers);
                    if (response.Interval > TimeSpan.Zero && response.Interval < interval)
                    {
                        interval = response.Interval;
                    }
                }
                catch (TrackerException e)
                {
                    _lastTrackerError = e.Message;
                    TorrentSessionLog.TrackerProblem(Options.Logger, tracker.Uri, e.Message);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    _lastTrackerError = $"{tracker.Uri}: no answer within 20 s";
                }
            }
            if (!anyOk)
            {
                interval = TimeSpan.FromSeconds(5);
            }
            else
            {
                trackerEvent = TrackerEvent.None;
            }
            // On a LAN peers come and go in seconds; never wait long while we have few peers.
            if (_peers.Count < 2 && interval > TimeSpan.FromSeconds(5))
            {
                interval = TimeSpan.FromSeconds(5);
            }
            try
            {
                await _announceWake.WaitAsync(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_announceCompleted && !completedSent && trackerEvent != TrackerEvent.Started)
            {
                trackerEvent = TrackerEvent.Completed;
                completedSent = true;
            }
        }
    }

    private async Task AnnounceStoppedAsync()
    {
        if (_trackers is null)
        {
            return;
        }
        foreach (var tracker in _trackers)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await tracker.AnnounceAsync(Request(TrackerEvent.Stopped), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TrackerException or OperationCanceledException)
            {
                // Best effort: the tracker forgets silent peers anyway.
            }
            tracker.Dispose();
        }
    }
}
