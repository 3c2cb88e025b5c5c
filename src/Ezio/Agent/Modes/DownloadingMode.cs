using System.Diagnostics;
using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.Deployment.Contracts;
using Ezio.Storage;

namespace Ezio.Agent.Modes;

/// <summary>
/// Writes the image: the engine on the whole disk, rechecking first (a restarted or
/// re-imaged machine fetches only what differs). Completes once every piece is verified,
/// written and flushed (fdatasync); the session keeps running to seed.
/// </summary>
internal sealed class DownloadingMode : Mode
{
    public override DeployPhase Phase => DeployPhase.Downloading;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        var disk = context.Disk!;
        var torrent = context.Torrent!;
        context.Enter(DeployPhase.Downloading, "checking what the disk already holds");
        context.StartedAt = Stopwatch.GetTimestamp();
        context.Storage = new SnapshotStorage(MultiDiskJob.OpenStorage(context) ?? ResizeJob.OpenStorage(context) ?? TargetStorage.Open(disk.Path, torrent, StorageLayout.Auto));
        context.Listener = new PeerListener(new IPEndPoint(IPAddress.Any, context.Options.PeerPort));
        var session = new TorrentSession(torrent, context.Storage, new SessionOptions
        {
            ListenPort = context.Listener.Port,
            Trackers = context.Server.TrackersFor(job),
            Recheck = true,
            Time = context.Time,
            // ezio_zpiece: the server sends the compressed frames it stores, and machines pass
            // them on to each other, so the wire carries the image's compressed size.
            Codec = Ezio.Commands.Common.Codec(disabled: false),
            // Peers behind a router get nothing from us while a seed serves us (PeerLocality).
            LocalNetworks = PeerLocality.Detect(),
        });
        context.Session = session;
        context.Listener.Add(session);
        context.Status.SetBytes(0, torrent.TotalLength);
        context.Status.AttachSession(session.GetStats);
        await session.StartAsync(cancellationToken).ConfigureAwait(false);
        // The recheck runs while the swarm starts; its verdict is worth a log line.
        await session.Checked.WaitAsync(cancellationToken).ConfigureAwait(false);
        var afterCheck = session.GetStats();
        AgentLog.Rechecked(context.Logger, job.Image, disk.Path, afterCheck.PiecesHave, afterCheck.PieceCount);
        context.Enter(DeployPhase.Downloading, "downloading and writing the image");
        var clock = Stopwatch.StartNew();
        using var progress = new CancellationTokenSource();
        var watch = WatchTrackerAsync(context, session, progress.Token);
        try
        {
            await session.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await progress.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
        }
        context.DownloadSeconds = clock.Elapsed.TotalSeconds;
        var stats = session.GetStats();
        AgentLog.Downloaded(context.Logger, disk.Path, stats.Downloaded, stats.Written, context.DownloadSeconds);
        return new VerifyingMode();
    }

    /// <summary>Shows the tracker's complaint (if any) as the status message while downloading.</summary>
    private static async Task WatchTrackerAsync(AgentContext context, TorrentSession session, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), context.Time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var s = session.GetStats();
                context.Status.SetMessage(s.LastTrackerError is { } error ? "tracker: " + error
                    : s.Peers == 0 ? "looking for peers" : $"{s.PiecesHave}/{s.PieceCount} pieces, {s.Seeds} seeds");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
