namespace Ezio.Sim;

/// <summary>
/// Virtual time: a priority queue of events ordered by time, then by the order they were
/// scheduled (so runs are deterministic). Nothing sleeps; <see cref="Now"/> jumps to the
/// next event.
/// </summary>
public sealed class EventQueue
{
    private readonly PriorityQueue<SimEvent, (double Time, long Seq)> _queue = new();
    private long _seq;

    public double Now { get; private set; }

    public long Processed { get; private set; }

    public int Count => _queue.Count;

    /// <summary>Events processed by kind (what a run spends its time on).</summary>
    public long[] ProcessedByKind { get; } = new long[Enum.GetValues<EventKind>().Length];

    public void At(double time, in SimEvent e)
    {
        if (time < Now)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, $"event in the past (now {Now})");
        }
        _queue.Enqueue(e, (time, _seq++));
    }

    public void After(double delay, in SimEvent e) => At(Now + delay, e);

    public bool TryNext(out SimEvent e)
    {
        if (!_queue.TryDequeue(out e, out var key))
        {
            return false;
        }
        Now = key.Time;
        Processed++;
        ProcessedByKind[(int)e.Kind]++;
        return true;
    }
}
