namespace Ezio.Sim;

/// <summary>
/// How payload maps onto a switch port. Every host has an uplink and a downlink of its own
/// rate into a non-blocking switch (bench/lan/lan.sh: htb on both ends of each veth). TCP
/// carries payload in full frames (<see cref="HeaderOverhead"/>: 1.047x on a 1500-byte MTU,
/// what the LAN's shapers charged per payload byte) and its ACKs come back on the reverse
/// link (<see cref="AckFraction"/> of the payload: ~1.6 MB for 60 MB sent on the LAN).
/// </summary>
public sealed record LinkModel
{
    public double HeaderOverhead { get; init; } = 1.047;

    public double AckFraction { get; init; } = 0.027;

    /// <summary>One-way latency through an idle switch, seconds (veth pairs: well under a millisecond).</summary>
    public double BaseLatency { get; init; } = 0.0002;

    /// <summary>
    /// Packets a busy port queues (LAN_QLEN, pfifo 100): a message sent on a saturated link
    /// waits behind them, <see cref="QueueFill"/> of the queue on average.
    /// </summary>
    public int QueuePackets { get; init; } = 100;

    public double QueueFill { get; init; } = 0.5;

    /// <summary>Link utilisation above which a port counts as busy (its queue is standing).</summary>
    public double BusyUtilisation { get; init; } = 0.9;

    /// <summary>
    /// Packet loss rate; each flow is then held to what TCP gets under loss
    /// (Mathis: 1.22 MSS / (RTT sqrt(p))). 0: no loss.
    /// </summary>
    public double Loss { get; init; }

    /// <summary>
    /// Which uplinks serve their flows one piece at a time, oldest head first, instead of
    /// sharing themselves fairly (an experiment: a fresh piece would reach its downloader in one
    /// piece time, not in as many as the uplink has flows; sim/README.md has what it gave).
    /// </summary>
    public SerialUplinks SerialUplinks { get; init; }

    /// <summary>How often every link is filled again (FluidNetwork.Refresh), rounded to ticks.</summary>
    public double RefreshSeconds { get; init; } = 0.25;

    /// <summary>Seconds the agent takes from boot to its first announce and dial.</summary>
    public double StartupSeconds { get; init; } = 0.05;

    /// <summary>Seconds between starting one machine and the next (the harness starts them one by one).</summary>
    public double StartStaggerSeconds { get; init; } = 0.01;
}

/// <summary>Uplinks that serve one piece at a time (<see cref="LinkModel.SerialUplinks"/>).</summary>
public enum SerialUplinks
{
    None,
    Server,
    All,
}
