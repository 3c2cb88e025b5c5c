namespace Ezio.Sim;

/// <summary>
/// A deployment on virtual time: the server and N machines, each host running the engine's
/// swarm-loop decisions (<see cref="Requester"/>, <see cref="UploadSlots"/>,
/// <see cref="SuperSeeder"/>, the real <see cref="Ezio.BitTorrent.Picking.PiecePicker"/>)
/// over a <see cref="FluidNetwork"/>. Payload is virtual: a piece is a size on a link; every
/// hash check passes. Messages (have, interest, choke, requests) take the latency of the
/// ports they cross.
/// </summary>
public sealed class Swarm
{
    private readonly List<Host> _machines = [];
    private readonly List<Host> _allHosts = [];
    private readonly List<Host> _announced = [];
    private readonly Requester _requester;
    private readonly UploadSlots _slots;
    private readonly Random _random;
    private int _remaining;
    private double _lastRateAt;
    private long _ticks;
    private long _peerSerial;
    private double _lastUploaded;

    public Swarm(Scenario scenario)
    {
        Scenario = scenario;
        Engine = scenario.Engine;
        Events = new EventQueue();
        Network = new FluidNetwork(Events, scenario.Link);
        _random = new Random(scenario.Seed);
        var pieces = scenario.PieceCount;
        Server = new Host(0, isServer: true, scenario.ServerBitsPerSecond, scenario.ServerBitsPerSecond, pieces, new Random(_random.Next()));
        if (Engine.SuperSeed)
        {
            Server.Seeder = new SuperSeeder(this, Server, pieces, scenario.PieceLength);
        }
        for (var i = 0; i < scenario.Machines.Count; i++)
        {
            var spec = scenario.Machines[i];
            _machines.Add(new Host(i + 1, isServer: false, spec.UpBitsPerSecond, spec.DownBitsPerSecond, pieces, new Random(_random.Next()))
            {
                DiesAtFraction = spec.DiesAtFraction,
            });
        }
        _allHosts.Add(Server);
        _allHosts.AddRange(_machines);
        _requester = new Requester(this);
        _slots = new UploadSlots(this);
        _remaining = _machines.Count;
    }

    public Scenario Scenario { get; }

    public EngineTunables Engine { get; }

    public EventQueue Events { get; }

    public FluidNetwork Network { get; }

    public Host Server { get; }

    public IReadOnlyList<Host> Machines => _machines;

    public long TakenOver { get; set; }

    /// <summary>Called on every tick (diagnostics: link use over time).</summary>
    public Action<Swarm>? Probe { get; set; }

    public SimResult Run()
    {
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var link = Scenario.Link;
        for (var i = 0; i < _machines.Count; i++)
        {
            Events.At(link.StartupSeconds + i * link.StartStaggerSeconds, new SimEvent(EventKind.Start, Host: _machines[i]));
        }
        Events.At(Engine.TickSeconds, new SimEvent(EventKind.Tick));
        while (_remaining > 0 && Events.TryNext(out var e) && Events.Now <= Scenario.TimeLimitSeconds)
        {
            Dispatch(e);
            Network.Settle();
        }
        return SimResult.From(this, wall.Elapsed, System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    /// <summary>Sends a message from one host to another: it arrives after the latency of the ports it crosses.</summary>
    public void Send(Host from, Host to, EventKind kind, Peer target, int index = -1) =>
        Events.After(Network.Latency(from, to), new SimEvent(kind, Peer: target, Index: index));

    private void Dispatch(in SimEvent e)
    {
        switch (e.Kind)
        {
            case EventKind.Start:
                Start(e.Host!);
                break;
            case EventKind.Announce:
                Announce(e.Host!);
                break;
            case EventKind.Connect:
                Connect(e.Host!, e.Other!);
                break;
            case EventKind.Tick:
                Tick();
                break;
            case EventKind.FlowDone:
                FlowDone(e.Flow!, e.Version);
                break;
            case EventKind.HaveBroadcast:
                HaveBroadcast(e.Host!, e.Index);
                break;
            default:
                Message(e.Kind, e.Peer!, e.Index);
                break;
        }
    }

    // A message on a connection: the peer is the receiving host's view of the sender.
    private void Message(EventKind kind, Peer peer, int index)
    {
        var host = peer.Local;
        if (!host.Alive || peer.Closed)
        {
            return;
        }
        peer.LastReceive = Events.Now;
        switch (kind)
        {
            case EventKind.Have:
                OnHave(host, peer, index);
                break;
            case EventKind.HaveAll:
                BulkHave(host, peer, peer.Remote.HaveSet);
                break;
            case EventKind.Interested:
                _slots.SetPeerInterested(host, peer, true);
                break;
            case EventKind.NotInterested:
                _slots.SetPeerInterested(host, peer, false);
                break;
            case EventKind.Unchoke:
                peer.PeerChoking = false;
                _requester.Fill(host, peer);
                break;
            case EventKind.Choke:
                peer.PeerChoking = true;
                _requester.Release(host, peer);
                _requester.RetryHungry(host);
                break;
            case EventKind.Request:
                OnRequest(peer, index);
                break;
            case EventKind.PieceArrive:
                OnPieceArrive(host, peer, index);
                break;
        }
    }

    private void Start(Host host)
    {
        host.Started = true;
        host.StartedAt = Events.Now;
        _announced.Add(host);
        Announce(host, first: true);
    }

    // The tracker (src/Ezio.Server/Tracker/AnnounceTracker.cs PickPeers): the server's seeder
    // first, then machines from a random place in the list of those announced; the machine
    // dials each it is not connected to while it has room. Announcer.cs asks again after the
    // tracker's interval (60 s), after 5 s while the machine holds fewer than two peers: a
    // machine every peer refused (all full, 200 connections) finds room as machines finish
    // and drop their connections to other seeds.
    private void Announce(Host host, bool first = false)
    {
        if (!host.Alive)
        {
            return;
        }
        var dial = new List<Host> { Server };
        var count = _announced.Count - (first ? 1 : 0);
        if (count > 0)
        {
            var start = _random.Next(count);
            for (var i = 0; i < count && dial.Count < Engine.NumWant; i++)
            {
                var other = _announced[(start + i) % count];
                if (other != host)
                {
                    dial.Add(other);
                }
            }
        }
        var room = Engine.MaxConnections - host.Peers.Count;
        foreach (var target in dial)
        {
            if (room <= 0)
            {
                break;
            }
            if (host.Connected.Contains(target.Id))
            {
                continue;
            }
            room--;
            // A TCP handshake and the BitTorrent handshake: one and a half round trips.
            var delay = 3 * Network.Latency(host, target);
            Events.After(delay, new SimEvent(EventKind.Connect, Host: host, Other: target));
        }
        var interval = host.Peers.Count < 2 ? Engine.ShortAnnounceSeconds : Engine.AnnounceSeconds;
        Events.After(interval, new SimEvent(EventKind.Announce, Host: host));
    }

    private void Connect(Host host, Host target)
    {
        // Two seeds drop each other at the bitfield (CloseReason.BothSeeds): not connected at all here.
        if (!host.Alive || !target.Alive || host.Connected.Contains(target.Id) || (host.Complete && target.Complete) ||
            host.Peers.Count >= Engine.MaxConnections || target.Peers.Count >= Engine.MaxConnections)
        {
            return;
        }
        var pieces = Scenario.PieceCount;
        var mine = new Peer(host, target, pieces) { Serial = _peerSerial++ };
        var theirs = new Peer(target, host, pieces) { Serial = _peerSerial++ };
        mine.Mirror = theirs;
        theirs.Mirror = mine;
        foreach (var (local, view) in new[] { (host, mine), (target, theirs) })
        {
            local.Peers.Add(view);
            local.Connected.Add(view.Remote.Id);
            view.LastReceive = Events.Now;
            view.LastBlock = Events.Now;
        }
        Open(host, theirs);
        Open(target, mine);
    }

    // SendOpening: a super-seeding server advertises nothing yet, anyone else its bitfield.
    private void Open(Host sender, Peer receiverView)
    {
        var senderView = receiverView.Mirror;
        if (sender.Seeder is { Active: true } seeder)
        {
            seeder.Register(senderView);
            seeder.AllotAll();
            return;
        }
        if (sender.HaveSet.Count > 0)
        {
            BulkHave(receiverView.Local, receiverView, sender.HaveSet);
        }
    }

    private void OnHave(Host host, Peer peer, int index)
    {
        if (!peer.Has.Add(index))
        {
            return;
        }
        host.Picker.IncrementAvailability(index);
        var seeder = host.Seeder;
        if (peer.Advertised is { } advertised && advertised[index])
        {
            peer.AdvertisedPending--;
            seeder!.AllotDue = true;
        }
        if (seeder is { Active: true })
        {
            seeder.Seen(peer, index);
        }
        if (!host.HaveSet[index])
        {
            peer.Interesting++;
            UpdateInterest(host, peer);
            // TorrentSession.OnBatch fills on every new piece; a hungry peer only when the
            // piece is one it could take (else its tick retries).
            if (!peer.Hungry || host.Unowned[index])
            {
                _requester.Fill(host, peer);
            }
        }
        if (seeder is { AllotDue: true })
        {
            seeder.AllotAll();
        }
        DropIfBothSeeds(host, peer);
    }

    // TorrentSession.cs: a complete host drops a peer that has every piece too.
    private void DropIfBothSeeds(Host host, Peer peer)
    {
        if (host.Complete && peer.Has.IsFull && !peer.Closed)
        {
            Disconnect(host, peer);
        }
    }

    // A bitfield or have-all: every piece at once, one fill at the end.
    private void BulkHave(Host host, Peer peer, PieceSet pieces)
    {
        var seeder = host.Seeder;
        for (var i = 0; i < pieces.Length; i++)
        {
            if (!pieces[i] || !peer.Has.Add(i))
            {
                continue;
            }
            host.Picker.IncrementAvailability(i);
            if (seeder is { Active: true })
            {
                seeder.Seen(peer, i);
            }
            if (!host.Picker.Have[i])
            {
                peer.Interesting++;
            }
        }
        UpdateInterest(host, peer);
        _requester.Fill(host, peer);
        if (seeder is { AllotDue: true })
        {
            seeder.AllotAll();
        }
        DropIfBothSeeds(host, peer);
    }

    private void UpdateInterest(Host host, Peer peer)
    {
        var interested = peer.Interesting > 0;
        if (interested != peer.AmInterested)
        {
            peer.AmInterested = interested;
            Send(host, peer.Remote, interested ? EventKind.Interested : EventKind.NotInterested, peer.Mirror);
        }
    }

    private void OnRequest(Peer uploaderView, int index)
    {
        if (uploaderView.AmChoking)
        {
            return;
        }
        var downloaderView = uploaderView.Mirror;
        if (!downloaderView.Assigned.Contains(index))
        {
            // Cancelled while the request travelled.
            return;
        }
        downloaderView.Inbound.Pending.Add(index);
        Pump(downloaderView.Inbound);
    }

    /// <summary>Starts the flow's next piece, or stops the flow when it has nothing to send or may not send.</summary>
    public void Pump(Flow flow)
    {
        var servable = !flow.Owner.Closed && flow.Src.Alive && flow.Dst.Alive && !flow.Owner.Mirror.AmChoking;
        if (servable && flow.Head < 0 && flow.Pending.Count > 0)
        {
            flow.Head = flow.Pending[0];
            flow.Pending.RemoveAt(0);
            flow.HeadRemaining = Scenario.PieceSize(flow.Head);
            flow.HeadSince = Events.Now;
            if (flow.Active)
            {
                Network.Advance(flow);
                FluidNetwork.Unschedule(flow);
                Network.Schedule(flow);
            }
        }
        if (!servable || flow.Head < 0)
        {
            Network.Deactivate(flow);
            return;
        }
        Network.Activate(flow);
    }

    /// <summary>The uploader forgets the requests queued on the flow (a choke, a closed connection).</summary>
    public void DropQueued(Flow flow)
    {
        flow.Pending.Clear();
        if (flow.Head >= 0)
        {
            DropHead(flow);
        }
    }

    /// <summary>The piece on the wire is cut off; what it had sent is wasted.</summary>
    public void DropHead(Flow flow)
    {
        Network.Advance(flow);
        flow.Dst.Wasted += Scenario.PieceSize(flow.Head) - flow.HeadRemaining;
        flow.Head = -1;
        flow.HeadRemaining = 0;
        FluidNetwork.Unschedule(flow);
    }

    private void FlowDone(Flow flow, long version)
    {
        if (!Network.Due(flow, version))
        {
            return;
        }
        // Rounding: the event time is when the last byte left.
        flow.Src.Uploaded += flow.HeadRemaining;
        flow.Owner.Received += flow.HeadRemaining;
        var piece = flow.Head;
        flow.Head = -1;
        flow.HeadRemaining = 0;
        // The fluid rate already is the bottleneck's: the last byte reaches the downloader one
        // switch latency later (the port queues held this flow's own bytes, already counted).
        Events.After(Scenario.Link.BaseLatency, new SimEvent(EventKind.PieceArrive, Peer: flow.Owner, Index: piece));
        Pump(flow);
    }

    // OnHashed + OnPieceStored: storage is memory and every hash passes.
    private void OnPieceArrive(Host host, Peer peer, int index)
    {
        peer.LastBlock = Events.Now;
        var position = peer.Assigned.IndexOf(index);
        if (position < 0)
        {
            host.Wasted += Scenario.PieceSize(index);
            return;
        }
        _requester.Unassign(host, peer, position);
        host.Picker.RemoveOwner(index);
        if (host.Picker.Have[index])
        {
            host.Wasted += Scenario.PieceSize(index);
            _requester.Fill(host, peer);
            return;
        }
        host.SetHave(index);
        if (host.Picker.Owners(index) > 0)
        {
            _requester.CancelElsewhere(host, peer, index);
        }
        AnnounceHave(host, index);
        if (host.Picker.IsComplete)
        {
            host.Complete = true;
            host.DoneAt = Events.Now;
            _remaining--;
            // OnFlushed: the new seed drops its peers that are seeds as well.
            for (var i = host.Peers.Count - 1; i >= 0; i--)
            {
                DropIfBothSeeds(host, host.Peers[i]);
            }
            return;
        }
        if (host.DiesAtFraction is { } fraction && host.Picker.HaveCount >= fraction * Scenario.PieceCount)
        {
            Die(host);
            return;
        }
        _requester.Fill(host, peer);
        if (host.PoolStarved)
        {
            _requester.RetryHungry(host);
        }
    }

    private void AnnounceHave(Host host, int index)
    {
        foreach (var peer in host.Peers)
        {
            // A peer with nothing we lack cannot have had this piece.
            if (peer.Interesting > 0 && peer.Has[index])
            {
                peer.Interesting--;
                UpdateInterest(host, peer);
            }
        }
        Events.After(Network.UplinkDelay(host), new SimEvent(EventKind.HaveBroadcast, Host: host, Index: index));
    }

    private void HaveBroadcast(Host host, int index)
    {
        // Backwards: a receiver that is a seed now drops the connection.
        var now = Events.Now;
        var peers = host.Peers;
        for (var i = peers.Count - 1; i >= 0; i--)
        {
            var peer = peers[i];
            if (peer.Closed || !peer.Remote.Alive)
            {
                continue;
            }
            var view = peer.Mirror;
            view.LastReceive = now;
            OnHave(peer.Remote, view, index);
        }
    }

    // A power cut: the machine stops sending and answering; its peers notice only by their
    // timeouts (requests unanswered 30 s, silence 3 minutes).
    private void Die(Host host)
    {
        host.Alive = false;
        host.DiedAt = Events.Now;
        _remaining--;
        foreach (var flow in host.OutFlows.ToArray())
        {
            Network.Deactivate(flow);
        }
        foreach (var flow in host.InFlows.ToArray())
        {
            Network.Deactivate(flow);
        }
    }

    // A connection closes: the side that closed it and, if alive, the other end (its socket
    // reads the close at once).
    private void Disconnect(Host host, Peer peer)
    {
        Close(host, peer);
        if (peer.Remote.Alive)
        {
            Close(peer.Remote, peer.Mirror);
        }
    }

    // OnPeerClosed on one end.
    private void Close(Host host, Peer peer)
    {
        peer.Closed = true;
        peer.Mirror.Closed = true;
        host.Peers.Remove(peer);
        host.Connected.Remove(peer.Remote.Id);
        host.Seeder?.PeerGone(peer);
        UploadSlots.Forget(host, peer);
        var words = peer.Has.Words;
        for (var i = 0; i < peer.Has.Length; i++)
        {
            if ((words[i >> 6] & (1UL << (i & 63))) != 0)
            {
                host.Picker.DecrementAvailability(i);
            }
        }
        _requester.Release(host, peer);
        DropQueued(peer.Mirror.Inbound);
        Pump(peer.Mirror.Inbound);
        _requester.RetryHungry(host);
    }

    // Every host's 250 ms timer (TorrentSession.cs OnTick).
    private void Tick()
    {
        var now = Events.Now;
        if (++_ticks % Math.Max(1, (int)Math.Round(Scenario.Link.RefreshSeconds / Engine.TickSeconds)) == 0)
        {
            Network.Refresh(_allHosts);
        }
        foreach (var host in _machines)
        {
            if (host.Started && host.Alive)
            {
                TickHost(host, now);
            }
        }
        TickHost(Server, now);
        if (Server.Seeder is { } seeder)
        {
            if (now - _lastRateAt >= 1)
            {
                var uploaded = Server.Uploaded;
                foreach (var flow in Server.OutFlows)
                {
                    uploaded += flow.InProgress(now);
                }
                seeder.Adapt((uploaded - _lastUploaded) / (now - _lastRateAt));
                _lastUploaded = uploaded;
                _lastRateAt = now;
            }
            seeder.Sweep();
        }
        Probe?.Invoke(this);
        Events.After(Engine.TickSeconds, new SimEvent(EventKind.Tick));
    }

    private void TickHost(Host host, double now)
    {
        var nearEnd = Requester.NearEnd(host);
        for (var i = host.Peers.Count - 1; i >= 0 && i < host.Peers.Count; i--)
        {
            var peer = host.Peers[i];
            if (peer.Inbound.Active && peer.Inbound.Rate > 0)
            {
                peer.LastBlock = now;
            }
            if ((peer.Assigned.Count > 0 && now - peer.LastBlock > Engine.RequestTimeoutSeconds) ||
                (!peer.Remote.Alive && now - peer.LastReceive > Engine.SilentTimeoutSeconds))
            {
                Disconnect(host, peer);
                continue;
            }
            UpdateRate(peer, now);
            _slots.TryUnchoke(host, peer);
            // A hungry peer retries when something it could take changed; a fed one tops up
            // its queue as the blocks flow (the engine's swarm-loop top-up as the queue runs low).
            if (peer.Hungry ? peer.HungryEpoch != host.CandidateEpoch || nearEnd : peer.AmInterested && !peer.PeerChoking)
            {
                _requester.Fill(host, peer);
            }
        }
    }

    // RequestBudget.cs Update: a smoothed sample at least 0.2 s long.
    private static void UpdateRate(Peer peer, double now)
    {
        var bytes = peer.Received + peer.Inbound.InProgress(now);
        if (peer.RateAt < 0)
        {
            peer.RateAt = now;
            peer.RateBytes = bytes;
            return;
        }
        var seconds = now - peer.RateAt;
        if (seconds < 0.2)
        {
            return;
        }
        var sample = (bytes - peer.RateBytes) / seconds;
        peer.DownloadRate = peer.DownloadRate == 0 ? sample : 0.6 * peer.DownloadRate + 0.4 * sample;
        peer.RateBytes = bytes;
        peer.RateAt = now;
    }
}
