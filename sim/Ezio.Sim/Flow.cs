namespace Ezio.Sim;

/// <summary>
/// The data direction of one connection: pieces from <see cref="Src"/> to <see cref="Dst"/>,
/// sent one after another in the order their requests arrived (one TCP stream). Fluid: the
/// head piece drains at <see cref="Rate"/> payload bytes per second, which the
/// <see cref="FluidNetwork"/> sets and changes as other flows come and go.
/// </summary>
public sealed class Flow
{
    public Flow(Peer owner)
    {
        Owner = owner;
    }

    /// <summary>The downloader's view of the uploader: the requests this flow serves are its.</summary>
    public Peer Owner { get; }

    public Host Src => Owner.Remote;

    public Host Dst => Owner.Local;

    /// <summary>Requests that reached the uploader, not yet begun.</summary>
    public List<int> Pending { get; } = [];

    /// <summary>The piece on the wire now, or -1.</summary>
    public int Head { get; set; } = -1;

    /// <summary>Payload bytes of the head piece still to send, as of <see cref="Since"/>.</summary>
    public double HeadRemaining { get; set; }

    /// <summary>When the head piece began (the uplink's order when it serves one piece at a time).</summary>
    public double HeadSince { get; set; }

    public double Rate { get; set; }

    public double Since { get; set; }

    /// <summary>Bumped with every FlowDone scheduled or cancelled: older ones are stale.</summary>
    public long Version { get; set; }

    /// <summary>When the pending FlowDone fires (+inf: none).</summary>
    public double ScheduledAt { get; set; } = double.PositiveInfinity;

    public bool Active { get; set; }

    public int OutSlot { get; set; } = -1;

    public int InSlot { get; set; } = -1;

    /// <summary>What the uploader's link gives this flow (last fill).</summary>
    public double UpAlloc { get; set; }

    /// <summary>What the downloader's link gives this flow (last fill).</summary>
    public double DownAlloc { get; set; }

    /// <summary>Payload bytes of the head piece sent by <paramref name="now"/>, not yet accounted.</summary>
    public double InProgress(double now) => Active && Rate > 0 ? Math.Min(HeadRemaining, Rate * (now - Since)) : 0;
}
