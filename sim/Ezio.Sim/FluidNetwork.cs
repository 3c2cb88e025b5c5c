namespace Ezio.Sim;

/// <summary>
/// Rates of the active flows, TCP-like: each link is shared max-min fairly among the flows it
/// carries, and a flow runs at the smaller of what its uploader's uplink and its downloader's
/// downlink give it. Exact max-min over every link of a 1,000-host swarm on every change
/// would cost too much, so it is computed locally: when a flow starts or stops, the two links
/// it crosses are filled again (water-filling, each flow asking what the link at its other
/// end last offered it), and every link is filled again on each session tick. Every fill
/// keeps its link within capacity, so the result is always feasible; it may leave capacity
/// unused for up to a tick where exact max-min would not.
/// </summary>
public sealed class FluidNetwork
{
    private const double MinRate = 1e-3;
    private const double RateTolerance = 0.01;
    private const double ScheduleSlack = 0.02;
    private readonly EventQueue _events;
    private readonly LinkModel _link;
    private readonly List<Host> _upDirty = [];
    private readonly List<Host> _downDirty = [];
    private readonly List<Host> _ups = [];
    private readonly List<Flow> _touched = [];
    private double[] _demands = new double[64];
    private Flow[] _flows = new Flow[64];
    private int _count;
    private readonly double _lossCap;

    public FluidNetwork(EventQueue events, LinkModel link)
    {
        _events = events;
        _link = link;
        _lossCap = LossCap();
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
        // An event already due at most ScheduleSlack of the remaining time late is kept: the
        // piece then ends that much late, and a busy swarm saves most of its events.
        var due = _events.Now + flow.HeadRemaining / flow.Rate;
        if (due < flow.ScheduledAt - ScheduleSlack * (due - _events.Now))
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
    public static void Unschedule(Flow flow)
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

    /// <summary>
    /// Fills again the links the changes since the last call touched (downlinks, uplinks, then
    /// the downlinks once more with the uplinks' new shares) and reschedules the flows whose
    /// rate moved. Links one hop away keep their shares until <see cref="Refresh"/>.
    /// </summary>
    public void Settle()
    {
        if (_upDirty.Count == 0 && _downDirty.Count == 0)
        {
            return;
        }
        _touched.Clear();
        foreach (var host in _downDirty)
        {
            FillDown(host);
        }
        foreach (var host in _upDirty)
        {
            FillUp(host);
        }
        foreach (var host in _downDirty)
        {
            FillDown(host);
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
        ApplyRates();
    }

    /// <summary>
    /// Fills every link again (on the session tick): what a change freed at one link reaches
    /// the flows it limits elsewhere within a tick, without refilling every neighbour of every
    /// change.
    /// </summary>
    public void Refresh(IEnumerable<Host> hosts)
    {
        Settle();
        _touched.Clear();
        _ups.Clear();
        foreach (var host in hosts)
        {
            if (host.InFlows.Count > 0 || host.OutFlows.Count > 0)
            {
                _ups.Add(host);
            }
        }
        foreach (var host in _ups)
        {
            FillDown(host);
        }
        foreach (var host in _ups)
        {
            FillUp(host);
        }
        foreach (var host in _ups)
        {
            FillDown(host);
        }
        ApplyRates();
    }

    // A flow whose far link was not filled again may still grow into what that link left
    // idle (the link had room for all its flows): taken here, so the link stays within capacity.
    private static void TakeSpare(Flow flow)
    {
        if (flow.UpAlloc > flow.DownAlloc && double.IsPositiveInfinity(flow.Dst.DownLevel) && flow.Dst.DownSpare > 0)
        {
            var extra = Math.Min(flow.UpAlloc - flow.DownAlloc, flow.Dst.DownSpare);
            flow.DownAlloc += extra;
            flow.Dst.DownSpare -= extra;
        }
        else if (flow.DownAlloc > flow.UpAlloc && double.IsPositiveInfinity(flow.Src.UpLevel) && flow.Src.UpSpare > 0)
        {
            var extra = Math.Min(flow.DownAlloc - flow.UpAlloc, flow.Src.UpSpare);
            flow.UpAlloc += extra;
            flow.Src.UpSpare -= extra;
        }
    }

    private void ApplyRates()
    {
        foreach (var flow in _touched)
        {
            if (!flow.Active)
            {
                continue;
            }
            TakeSpare(flow);
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
        _touched.Clear();
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

    private static void SetRate(Flow flow, double rate)
    {
        flow.Src.OutRate += rate - flow.Rate;
        flow.Dst.InRate += rate - flow.Rate;
        flow.Rate = rate;
    }

    // The uplink: capacity left by the ACKs of what the host downloads, over the header overhead.
    private void FillUp(Host host)
    {
        Refills++;
        _count = 0;
        foreach (var flow in host.OutFlows)
        {
            AddDemand(Offer(flow.DownAlloc, flow.Dst.DownLevel, flow.Dst.DownSpare), flow);
        }
        var capacity = Math.Max(0, host.UpBytesPerSecond - _link.AckFraction * host.InRate) / _link.HeaderOverhead;
        var (level, spare) = Serial(host) ? FillInOrder(capacity) : WaterFill(capacity, up: true);
        host.UpLevel = level;
        host.UpSpare = spare;
    }

    private void FillDown(Host host)
    {
        Refills++;
        _count = 0;
        foreach (var flow in host.InFlows)
        {
            AddDemand(Offer(flow.UpAlloc, flow.Src.UpLevel, flow.Src.UpSpare), flow);
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
        return Math.Min(offer, _lossCap);
    }

    private void AddDemand(double demand, Flow flow)
    {
        if (_count == _demands.Length)
        {
            Array.Resize(ref _demands, _count * 2);
            Array.Resize(ref _flows, _count * 2);
        }
        _demands[_count] = demand;
        _flows[_count] = flow;
        _count++;
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

    // Max-min share of one link: the smallest demands are met first, the rest split what is
    // left. When no flow asks for less than an equal share (the common case on a busy link)
    // that share is the answer, without sorting.
    private (double Level, double Spare) WaterFill(double capacity, bool up)
    {
        var n = _count;
        if (n == 0)
        {
            return (double.PositiveInfinity, capacity);
        }
        var equal = capacity / n;
        var smallest = double.MaxValue;
        for (var i = 0; i < n; i++)
        {
            smallest = Math.Min(smallest, _demands[i]);
        }
        if (smallest >= equal)
        {
            for (var i = 0; i < n; i++)
            {
                Allot(_flows[i], equal, up);
            }
            return (equal, 0);
        }
        Array.Sort(_demands, _flows, 0, n);
        var remaining = capacity;
        var left = n;
        var level = double.PositiveInfinity;
        for (var i = 0; i < n; i++)
        {
            var demand = _demands[i];
            double alloc;
            if (double.IsPositiveInfinity(level) && demand <= remaining / left)
            {
                alloc = demand;
                remaining -= demand;
                left--;
            }
            else
            {
                if (double.IsPositiveInfinity(level))
                {
                    level = remaining / left;
                }
                alloc = level;
            }
            Allot(_flows[i], alloc, up);
        }
        return double.IsPositiveInfinity(level) ? (level, Math.Max(0, remaining)) : (level, 0);
    }

    private bool Serial(Host host) =>
        _link.SerialUplinks == SerialUplinks.All || (_link.SerialUplinks == SerialUplinks.Server && host.IsServer);

    // One piece at a time: the oldest head takes what its downloader offers, the next what is
    // left, and so on. A flow left nothing gets a trickle, so its downlink does not hold a
    // share for it (an offer of 0 reads as "not filled yet").
    private (double Level, double Spare) FillInOrder(double capacity)
    {
        var n = _count;
        var keys = new double[n];
        for (var i = 0; i < n; i++)
        {
            keys[i] = _flows[i].HeadSince;
        }
        Array.Sort(keys, _flows, 0, n);
        var remaining = capacity;
        for (var i = 0; i < n; i++)
        {
            var flow = _flows[i];
            var demand = Offer(flow.DownAlloc, flow.Dst.DownLevel, flow.Dst.DownSpare);
            var alloc = Math.Max(1, Math.Min(demand, remaining));
            remaining = Math.Max(0, remaining - alloc);
            Allot(flow, alloc, up: true);
        }
        return (double.PositiveInfinity, remaining);
    }

    private void Allot(Flow flow, double alloc, bool up)
    {
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
