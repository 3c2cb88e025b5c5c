using System.Net;
using Ezio.BitTorrent.Trackers;
using Microsoft.Extensions.Logging;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Announces to every tracker in turn: started first, then at the shortest interval any
/// tracker asked for (at most two minutes; five seconds while a tracker fails or we have
/// fewer than two peers, since on a LAN machines come and go in seconds), completed once the
/// download is done, stopped on the way out. Every wait runs on the injected clock.
/// </summary>
internal sealed class Announcer
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ShortInterval = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<ITrackerClient> _trackers;
    private readonly Func<TrackerEvent, AnnounceRequest> _request;
    private readonly Action<IReadOnlyList<IPEndPoint>> _addPeers;
    private readonly Func<int> _peerCount;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _completed;
    private volatile string? _lastError;

    public Announcer(IReadOnlyList<ITrackerClient> trackers, Func<TrackerEvent, AnnounceRequest> request, Action<IReadOnlyList<IPEndPoint>> addPeers,
        Func<int> peerCount, TimeProvider time, ILogger logger)
    {
        _trackers = trackers;
        _request = request;
        _addPeers = addPeers;
        _peerCount = peerCount;
        _time = time;
        _logger = logger;
    }

    /// <summary>The announce URLs: the configured ones, else the torrent's http, https and udp ones, each once.</summary>
    public static IReadOnlyList<Uri> Uris(IReadOnlyList<Uri>? configured, Metainfo.Torrent torrent)
    {
        if (configured is not null)
        {
            return configured;
        }
        var uris = new List<Uri>();
        foreach (var tier in torrent.AnnounceList)
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

    /// <summary>The last tracker failure, null after a success. Read by any thread.</summary>
    public string? LastError => _lastError;

    /// <summary>The download is complete: announce it now (any thread).</summary>
    public void Complete()
    {
        _completed = true;
        Interlocked.Exchange(ref _wake, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async Task RunAsync(bool completeAtStart, CancellationToken cancellationToken)
    {
        if (_trackers.Count == 0)
        {
            return;
        }
        var trackerEvent = TrackerEvent.Started;
        var completedSent = completeAtStart;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wake = Volatile.Read(ref _wake).Task;
            var interval = await AnnounceAllAsync(trackerEvent, cancellationToken).ConfigureAwait(false);
            if (interval is null)
            {
                interval = ShortInterval;
            }
            else
            {
                trackerEvent = TrackerEvent.None;
            }
            if (_peerCount() < 2 && interval > ShortInterval)
            {
                interval = ShortInterval;
            }
            using (var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                await Task.WhenAny(wake, Task.Delay(interval.Value, _time, pause.Token)).ConfigureAwait(false);
                pause.Cancel();
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (_completed && !completedSent && trackerEvent != TrackerEvent.Started)
            {
                trackerEvent = TrackerEvent.Completed;
                completedSent = true;
            }
        }
    }

    // One round over every tracker: the interval to wait, or null when none answered.
    private async Task<TimeSpan?> AnnounceAllAsync(TrackerEvent trackerEvent, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromMinutes(2);
        var anyOk = false;
        foreach (var tracker in _trackers)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                using var deadline = new CancellationTokenSource(AnswerTimeout, _time);
                using var link = deadline.Token.Register(timeout.Cancel);
                var response = await tracker.AnnounceAsync(_request(trackerEvent), timeout.Token).ConfigureAwait(false);
                if (response.FailureReason is { } failure)
                {
                    _lastError = $"{tracker.Uri}: {failure}";
                    TorrentSessionLog.TrackerProblem(_logger, tracker.Uri, failure);
                    continue;
                }
                anyOk = true;
                _lastError = null;
                if (response.Peers.Count > 0)
                {
                    _addPeers(response.Peers);
                }
                if (response.Interval > TimeSpan.Zero && response.Interval < interval)
                {
                    interval = response.Interval;
                }
            }
            catch (TrackerException e)
            {
                _lastError = e.Message;
                TorrentSessionLog.TrackerProblem(_logger, tracker.Uri, e.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                _lastError = $"{tracker.Uri}: no answer within {AnswerTimeout.TotalSeconds:0} s";
            }
        }
        return anyOk ? interval : null;
    }

    /// <summary>Best effort on the way out: the tracker forgets silent peers anyway.</summary>
    public async Task StopAsync()
    {
        foreach (var tracker in _trackers)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3), _time);
                await tracker.AnnounceAsync(_request(TrackerEvent.Stopped), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TrackerException or OperationCanceledException)
            {
            }
            tracker.Dispose();
        }
    }
}
