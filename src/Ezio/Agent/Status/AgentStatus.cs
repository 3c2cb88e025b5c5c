using Ezio.BitTorrent.Engine;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Status;

/// <summary>One consistent view of what the agent is doing, for tty1 and progress reports.</summary>
internal sealed record StatusSnapshot(
    string Machine,
    string? Image,
    string? Disk,
    DeployPhase Phase,
    string PhaseText,
    long BytesDone,
    long BytesTotal,
    double RateIn,
    double RateOut,
    int Peers,
    string? Message,
    string? Error,
    string? Refusal,
    DateTimeOffset Since);

/// <summary>
/// The agent's current state. Modes write it; the tty screen and the progress reporter read
/// it. While a torrent session runs, byte counts and rates come live from its stats.
/// </summary>
internal sealed class AgentStatus
{
    private readonly Lock _lock = new();
    private string _machine = "?";
    private string? _image;
    private string? _disk;
    private DeployPhase _phase = DeployPhase.Registered;
    private string _phaseText = "starting";
    private string? _message;
    private string? _error;
    private string? _refusal;
    private long _bytesDone;
    private long _bytesTotal;
    private Func<SessionStats>? _session;
    private DateTimeOffset _since = DateTimeOffset.UtcNow;

    public void SetMachine(string machine)
    {
        lock (_lock)
        {
            _machine = machine;
        }
    }

    public void SetJob(string? image, string? disk)
    {
        lock (_lock)
        {
            _image = image;
            _disk = disk;
        }
    }

    /// <summary>Enters a phase; <paramref name="text"/> is what the person at the machine reads.</summary>
    public void SetPhase(DeployPhase phase, string text, string? message = null)
    {
        lock (_lock)
        {
            if (_phaseText != text)
            {
                _since = DateTimeOffset.UtcNow;
            }
            _phase = phase;
            _phaseText = text;
            _message = message;
        }
    }

    public void SetMessage(string? message)
    {
        lock (_lock)
        {
            _message = message;
        }
    }

    /// <summary>A clear error that stays on screen until the next one is cleared.</summary>
    public void SetError(string? error)
    {
        lock (_lock)
        {
            _error = error;
        }
    }

    /// <summary>Why the last job was refused; stays on screen until a job passes its checks.</summary>
    public void SetRefusal(string? refusal)
    {
        lock (_lock)
        {
            _refusal = refusal;
        }
    }

    public void SetBytes(long done, long total)
    {
        lock (_lock)
        {
            _bytesDone = done;
            _bytesTotal = total;
        }
    }

    /// <summary>Byte counts and rates come from this session until it is detached (null).</summary>
    public void AttachSession(Func<SessionStats>? stats)
    {
        lock (_lock)
        {
            _session = stats;
        }
    }

    public StatusSnapshot Snapshot()
    {
        Func<SessionStats>? session;
        StatusSnapshot snapshot;
        lock (_lock)
        {
            session = _session;
            snapshot = new StatusSnapshot(_machine, _image, _disk, _phase, _phaseText, _bytesDone, _bytesTotal, 0, 0, 0, _message, _error, _refusal, _since);
        }
        if (session is null)
        {
            return snapshot;
        }
        var s = session();
        var total = Math.Max(snapshot.BytesTotal, s.BytesLeft);
        return snapshot with
        {
            BytesDone = Math.Max(0, total - s.BytesLeft),
            BytesTotal = total,
            RateIn = s.DownloadRate,
            RateOut = s.UploadRate,
            Peers = s.Peers,
        };
    }
}
