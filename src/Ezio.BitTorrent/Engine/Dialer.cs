using System.Net;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Which peers to dial and when: endpoints heard of (each once), those being dialled, and
/// redials of peers that refused us. A peer that refused may just not be up yet (machines
/// boot at different speeds): it is tried again after 2, 4, 8, 16, 30, 30... seconds, ten
/// times at most. The connect itself is the caller's (see <see cref="TakeDue"/>).
/// </summary>
/// <remarks>Owned by the swarm loop.</remarks>
internal sealed class Dialer
{
    private const int MaxRedials = 10;

    private readonly TimeProvider _time;
    private readonly HashSet<IPEndPoint> _dialing = [];
    private readonly HashSet<IPEndPoint> _known = [];
    private readonly Queue<IPEndPoint> _candidates = new();
    private readonly Dictionary<IPEndPoint, (int Attempts, long Due)> _redials = [];

    public Dialer(TimeProvider time) => _time = time;

    /// <summary>Connects under way.</summary>
    public int Dialing => _dialing.Count;

    /// <summary>Endpoints waiting to be dialled.</summary>
    public int Waiting => _candidates.Count;

    /// <summary>Queues endpoints not heard of before.</summary>
    public void Add(IEnumerable<IPEndPoint> endPoints)
    {
        foreach (var endPoint in endPoints)
        {
            if (_known.Add(endPoint))
            {
                _candidates.Enqueue(endPoint);
            }
        }
    }

    /// <summary>
    /// Endpoints to dial now, while fewer than <paramref name="room"/> connects are under way
    /// beside <paramref name="connected"/> peers; each becomes "dialling". Those
    /// <paramref name="skip"/> rejects (banned, ourselves, connected already) are forgotten.
    /// </summary>
    public List<IPEndPoint> TakeDue(int connected, int room, Func<IPEndPoint, bool> skip)
    {
        var due = new List<IPEndPoint>();
        while (_candidates.Count > 0 && connected + _dialing.Count < room)
        {
            var endPoint = _candidates.Dequeue();
            if (skip(endPoint))
            {
                _known.Remove(endPoint);
                continue;
            }
            _dialing.Add(endPoint);
            due.Add(endPoint);
        }
        return due;
    }

    /// <summary>A connect failed: dial again later, with a growing pause.</summary>
    public void Failed(IPEndPoint endPoint)
    {
        _dialing.Remove(endPoint);
        var attempts = _redials.TryGetValue(endPoint, out var entry) ? entry.Attempts + 1 : 1;
        if (attempts > MaxRedials)
        {
            return;
        }
        var delay = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempts, 5)));
        _redials[endPoint] = (attempts, _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency));
    }

    /// <summary>A connection to or from this endpoint was made.</summary>
    public void Connected(IPEndPoint endPoint)
    {
        _dialing.Remove(endPoint);
        _redials.Remove(endPoint);
    }

    /// <summary>A connection closed; a peer we dialled that left without being banned may be dialled again.</summary>
    public void Closed(IPEndPoint endPoint, bool dialledByUs, bool banned)
    {
        _dialing.Remove(endPoint);
        if (dialledByUs && !banned)
        {
            _known.Remove(endPoint);
        }
    }

    /// <summary>Queues the redials whose pause is over.</summary>
    public void QueueRedials()
    {
        if (_redials.Count == 0)
        {
            return;
        }
        var now = _time.GetTimestamp();
        foreach (var (endPoint, entry) in _redials)
        {
            if (entry.Due != 0 && entry.Due <= now)
            {
                _redials[endPoint] = (entry.Attempts, 0);
                _candidates.Enqueue(endPoint);
            }
        }
    }
}
