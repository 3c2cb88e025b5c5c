using Ezio.Agent.Disks;
using Ezio.Agent.Server;
using Ezio.Agent.Status;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
using Ezio.Deployment.Contracts;
using Ezio.Storage;
using Microsoft.Extensions.Logging;

namespace Ezio.Agent.Modes;

/// <summary>
/// What the modes share: settings, the server, the status screen, and the deployment in
/// progress. One instance per agent process; <see cref="ResetJobAsync"/> forgets a job.
/// </summary>
internal sealed class AgentContext(AgentOptions options, AgentStatus status, ILogger logger, TimeProvider time, DiskInventory inventory) : IAsyncDisposable
{
    private ServerClient? _server;
    private CancellationTokenSource _jobCancel = new();
    private volatile string? _cancelReason;

    public AgentOptions Options { get; } = options;

    public AgentStatus Status { get; } = status;

    public ILogger Logger { get; } = logger;

    public TimeProvider Time { get; } = time;

    public DiskInventory Inventory { get; } = inventory;

    /// <summary>Signals READY=1 the first time registration succeeds.</summary>
    public Action? OnRegistered { get; set; }

    public ServerClient Server => _server ??= ServerClient.Create(Options, Logger);

    public string? MachineId { get; set; }

    public string? Mac { get; set; }

    public Job? Job { get; set; }

    public Disk? Disk { get; set; }

    /// <summary>A multi-disk job's targets, in image disk order (<see cref="Disk"/> is the first); null otherwise.</summary>
    public IReadOnlyList<Disk>? Disks { get; set; }

    public Torrent? Torrent { get; set; }

    /// <summary>Where the image's partitions lie on <see cref="Disk"/> when the job lays it out anew (<see cref="ResizeJob"/>); null otherwise.</summary>
    public IReadOnlyList<PlacedPartition>? Layout { get; set; }

    public SnapshotStorage? Storage { get; set; }

    public PeerListener? Listener { get; set; }

    public TorrentSession? Session { get; set; }

    public DoneResponse? DoneAnswer { get; set; }

    public long StartedAt { get; set; }

    public double DownloadSeconds { get; set; }

    public double VerifySeconds { get; set; }

    /// <summary>Post-steps that failed or were skipped, for the final report ("hostname: no Linux root found").</summary>
    public List<string> PostStepNotes { get; } = [];

    /// <summary>Set once the job reached a state worth reporting (Checking onwards).</summary>
    public DeployPhase Phase { get; set; } = DeployPhase.Registered;

    /// <summary>Fires when the server says the current job's deployment was cancelled (410 Gone).</summary>
    public CancellationToken JobCancelled => _jobCancel.Token;

    /// <summary>The server's reason once it cancelled the current job; null otherwise.</summary>
    public string? CancelReason => _cancelReason;

    /// <summary>
    /// The server cancelled <paramref name="deploymentId"/>: the modes of that job stop (a late
    /// answer about an earlier job cancels nothing).
    /// </summary>
    public void CancelJob(string deploymentId, string reason)
    {
        var cancel = _jobCancel;
        if (Job?.DeploymentId != deploymentId || cancel.IsCancellationRequested)
        {
            return;
        }
        _cancelReason = reason;
        cancel.Cancel();
    }

    public void Enter(DeployPhase phase, string text, string? message = null)
    {
        Phase = phase;
        Status.SetPhase(phase, text, message);
        AgentLog.PhaseEntered(Logger, phase.ToString().ToLowerInvariant(), text);
    }

    /// <summary>Retry delays: 1, 2, 4 ... seconds, capped by the options.</summary>
    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(Options.MaxBackoffSeconds, Math.Pow(2, Math.Min(attempt, 16))));

    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, Time, cancellationToken);

    /// <summary>
    /// Leaves the swarm and closes the disk: nothing reads it for peers any more. With
    /// <paramref name="flush"/> (a job stopped mid-write), what the engine wrote is flushed
    /// once the engine has stopped and before the disk closes.
    /// </summary>
    public async Task StopSwarmingAsync(bool flush = false)
    {
        Status.AttachSession(null);
        if (Session is not null)
        {
            await Session.DisposeAsync().ConfigureAwait(false);
            Session = null;
        }
        if (Listener is not null)
        {
            await Listener.DisposeAsync().ConfigureAwait(false);
            Listener = null;
        }
        if (flush)
        {
            Storage?.Flush();
        }
        Storage?.Dispose();
        Storage = null;
    }

    /// <summary>Stops swarming and closes the disk; keeps the registration.</summary>
    public async Task ResetJobAsync()
    {
        await StopSwarmingAsync().ConfigureAwait(false);
        PostStepNotes.Clear();
        Job = null;
        Disk = null;
        Disks = null;
        Torrent = null;
        Layout = null;
        DoneAnswer = null;
        Phase = DeployPhase.Registered;
        Status.SetJob(null, null);
        if (_jobCancel.IsCancellationRequested)
        {
            // Not disposed: the progress reporter may still hold the old one.
            _jobCancel = new CancellationTokenSource();
            _cancelReason = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResetJobAsync().ConfigureAwait(false);
        _server?.Dispose();
    }
}
