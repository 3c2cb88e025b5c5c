namespace Ezio.Sim;

/// <summary>
/// Rates of the active flows, TCP-like: each link is shared max-min fairly among the flows it
/// carries, and a flow runs at the smaller of what its uploader's uplink and its downloader's
/// downlink give it. Exact max-min over every link of a 1,000-host swarm on every change
/// would cost too much, so it is computed locally: when a flow starts or stops, the two links
/// it crosses are filled again (water-filling, each flow asking what the link at its other
/// end last offered it), then the links one hop away, then the first two again. Every fill
/// keeps its link within capacity, so the result is always feasible; it may leave a little
/// capacity unused where exact max-min would not.
/// </summary>
public sealed class FluidNetwork
{
    private const double MinRate = 1e-3;
    private const double RateTolerance = 0.002;
    private readonly EventQueue _events;
    private readonly LinkModel _link;
    private readonly List<Host> _upDirty = [];
    private readonly List<Host> _downDirty = [];
    private readonly List<Host> _ups = [];
    private readonly List<Host> _downs = [];
    private readonly List<Flow> _touched = [];
    private readonly List<(double Demand, Flow Flow)> _fill = [];
    private int _mark;

    public FluidNetwork(EventQueue events, LinkModel link)
    {
        _events = events;
        _link = link;
    }

    public long Refills { get; private set; }

    /// <summary>The flow has something to send and may send it.</summary>
    public void Activate(Flow flow)
    {
        if (flow.Active)
        {
            return;
        }
        flow.Active = true;
        flow.Rate = 0;
        flow.Since = _events.Now;
        flow.UpAlloc = 0;
        flow.DownAlloc = 0;
        flow.OutSlot = flow.Src.OutFlows.Count;
        flow.Src.OutFlows.Add(flow);
        flow.InSlot = flow.Dst.InFlows.Count;
        flow.Dst.InFlows.Add(flow);
        MarkDirty(flow);
    }

    public void Deactivate(Flow flow)
    {
        if (!flow.Active)
        {
            return;
        }
        Advance(flow);
        SetRate(flow, 0);
        flow.Active = false;
        Unschedule(flow);
        RemoveAt(flow.Src.OutFlows, flow.OutSlot, static (f, i) => f.OutSlot = i);
        RemoveAt(flow.Dst.InFlows, flow.InSlot, static (f, i) => f.InSlot = i);
        flow.OutSlot = -1;
        flow.InSlot = -1;
        MarkDirty(flow);
    }

    /// <summary>Accounts what the head piece sent since the last change.</summary>
    public void Advance(Flow flow)
    {
        var now = _events.Now;
        if (flow.Rate > 0 && flow.Head >= 0)
        {
            var sent = Math.Min(flow.HeadRemaining, flow.Rate * (now - flow.Since));
            flow.HeadRemaining -= sent;
            flow.Src.Uploaded += sent;
            flow.Owner.Received += sent;
        }
        flow.Since = now;
    }

    /// <summary>
    /// Makes sure a FlowDone event is due no later than the head piece's last byte at the
    /// current rate. A later completion (the rate fell) keeps the earlier event, which finds the
    /// piece unfinished and schedules again (<see cref="Due"/>): most rate changes then cost no
    /// event.
    /// </summary>
    public void Schedule(Flow flow)
    {
        if (flow.Head < 0 || flow.Rate <= 0)
        {
            return;
        }
        var due = _events.Now + flow.HeadRemaining / flow.Rate;
        if (due < flow.ScheduledAt)
        {
            flow.ScheduledAt = due;
            flow.Version++;
            _events.At(due, new SimEvent(EventKind.FlowDone, Flow: flow, Version: flow.Version));
        }
    }

    /// <summary>A FlowDone event fired: true when the head piece has left, else it is scheduled again.</summary>
    public bool Due(Flow flow, long version)
    {
        if (version != flow.Version || flow.Head < 0)
        {
            return false;
        }
        flow.ScheduledAt = double.PositiveInfinity;
        Advance(flow);
        if (flow.HeadRemaining > 1e-6 * Math.Max(1, flow.Rate))
        {
            Schedule(flow);
            return false;
        }
        return true;
    }

    /// <summary>Forgets the pending FlowDone (the head changed or was dropped).</summary>
    public void Unschedule(Flow flow)
    {
        flow.Version++;
        flow.ScheduledAt = double.PositiveInfinity;
    }

    /// <summary>Seconds a message from <paramref name="from"/> to <paramref name="to"/> takes (queues of busy ports included).</summary>
    public double Latency(Host from, Host to) => UplinkDelay(from) + QueueDelay(to.InRate, to.DownBytesPerSecond);

    /// <summary>The switch latency plus the wait in the sender's uplink queue (a broadcast's part common to every receiver).</summary>
    public double UplinkDelay(Host from) => _link.BaseLatency + QueueDelay(from.OutRate, from.UpBytesPerSecond);

    private double QueueDelay(double payloadRate, double wireBytesPerSecond) =>
        payloadRate * _link.HeaderOverhead >= _link.BusyUtilisation * wireBytesPerSecond
            ? _link.QueueFill * _link.QueuePackets * 1514 / wireBytesPerSecond
            : 0;

    /// <summary>Fills the links the changes since the last call touched; reschedules flows whose rate moved.</summary>
    public void Settle()
    {
        if (_upDirty.Count == 0 && _downDirty.Count == 0)
        {
            return;
        }
        _mark++;
        _ups.Clear();
        _downs.Clear();
        _touched.Clear();
        foreach (var host in _downDirty)
        {
            FillDown(host);
        }
        foreach (var host in _upDirty)
        {
            AddUp(host);
        }
        foreach (var host in _downDirty)
        {
            foreach (var flow in host.InFlows)
            {
                AddUp(flow.Src);
            }
        }
        foreach (var host in _ups)
        {
            FillUp(host);
        }
        foreach (var host in _downDirty)
        {
            AddDown(host);
        }
        foreach (var host in _upDirty)
        {
            AddDown(host);
            foreach (var flow in host.OutFlows)
            {
                AddDown(flow.Dst);
            }
        }
        foreach (var host in _downs)
        {
            FillDown(host);
        }
        foreach (var host in _upDirty)
        {
            FillUp(host);
        }
        foreach (var host in _upDirty)
        {
            host.UpDirty = false;
        }
        foreach (var host in _downDirty)
        {
            host.DownDirty = false;
        }
        _upDirty.Clear();
        _downDirty.Clear();
        foreach (var flow in _touched)
        {
            if (!flow.Active)
            {
                continue;
            }
            var rate = Math.Max(MinRate, Math.Min(flow.UpAlloc, flow.DownAlloc));
            // Changes under RateTolerance are not worth an event (the fills of a busy swarm
            // move every rate a little on every change).
            if (Math.Abs(rate - flow.Rate) <= RateTolerance * rate)
            {
                continue;
            }
            Advance(flow);
            SetRate(flow, rate);
            Schedule(flow);
        }
    }

    private void AddUp(Host host)
    {
        if (host.UpMark != _mark)
        {
            host.UpMark = _mark;
            _ups.Add(host);
        }
    }

    private void AddDown(Host host)
    {
        if (host.DownMark != _mark)
        {
            host.DownMark = _mark;
            _downs.Add(host);
        }
    }

    private void MarkDirty(Flow flow)
    {
        if (!flow.Src.UpDirty)
        {
            flow.Src.UpDirty = true;
            _upDirty.Add(flow.Src);
        }
        if (!flow.Dst.DownDirty)
        {
            flow.Dst.DownDirty = true;
            _downDirty.Add(flow.Dst);
        }
    }

    private void SetRate(Flow flow, double rate)
    {
        flow.Src.OutRate += rate - flow.Rate;
        flow.Dst.InRate += rate - flow.Rate;
        flow.Rate = rate;
    }

    // The uplink: capacity left by the ACKs of what the host downloads, over the header overhead.
    private void FillUp(Host host)
    {
        Refills++;
        _fill.Clear();
        foreach (var flow in host.OutFlows)
        {
            _fill.Add((Offer(flow.DownAlloc, flow.Dst.DownLevel, flow.Dst.DownSpare), flow));
        }
        var capacity = Math.Max(0, host.UpBytesPerSecond - _link.AckFraction * host.InRate) / _link.HeaderOverhead;
        var (level, spare) = WaterFill(capacity, up: true);
        host.UpLevel = level;
        host.UpSpare = spare;
    }

    private void FillDown(Host host)
    {
        Refills++;
        _fill.Clear();
        foreach (var flow in host.InFlows)
        {
            _fill.Add((Offer(flow.UpAlloc, flow.Src.UpLevel, flow.Src.UpSpare), flow));
        }
        var capacity = Math.Max(0, host.DownBytesPerSecond - _link.AckFraction * host.OutRate) / _link.HeaderOverhead;
        var (level, spare) = WaterFill(capacity, up: false);
        host.DownLevel = level;
        host.DownSpare = spare;
    }

    // What the far link would give the flow: its share there plus what that link left idle,
    // or the far link's water level if it is full; capped by TCP's rate under loss.
    private double Offer(double alloc, double level, double spare)
    {
        var offer = double.IsPositiveInfinity(level) ? alloc + spare : Math.Max(alloc, level);
        if (offer <= 0)
        {
            offer = double.MaxValue;
        }
        return Math.Min(offer, LossCap());
    }

    private double LossCap()
    {
        if (_link.Loss <= 0)
        {
            return double.MaxValue;
        }
        var rtt = 2 * _link.BaseLatency + _link.QueueFill * _link.QueuePackets * 1514 / 125e6;
        return 1448 * 1.22 / (rtt * Math.Sqrt(_link.Loss));
    }

    // Max-min share of one link: the smallest demands are met first, the rest split what is left.
    private (double Level, double Spare) WaterFill(double capacity, bool up)
    {
        _fill.Sort(static (a, b) => a.Demand.CompareTo(b.Demand));
        var remaining = capacity;
        var n = _fill.Count;
        var level = double.PositiveInfinity;
        foreach (var (demand, flow) in _fill)
        {
            var share = remaining / n;
            double alloc;
            if (double.IsPositiveInfinity(level) && demand <= share)
            {
                alloc = demand;
                remaining -= demand;
                n--;
            }
            else
            {
                if (double.IsPositiveInfinity(level))
                {
                    level = share;
                }
                alloc = level;
            }
            if (up)
            {
                flow.UpAlloc = alloc;
            }
            else
            {
                flow.DownAlloc = alloc;
            }
            _touched.Add(flow);
        }
        return double.IsPositiveInfinity(level) ? (level, Math.Max(0, remaining)) : (level, 0);
    }

    private static void RemoveAt(List<Flow> list, int slot, Action<Flow, int> setSlot)
    {
        var last = list.Count - 1;
        if (slot != last)
        {
            list[slot] = list[last];
            setSlot(list[slot], slot);
        }
        list.RemoveAt(last);
    }
}
