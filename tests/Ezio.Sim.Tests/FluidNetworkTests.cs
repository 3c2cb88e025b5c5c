using Xunit;

namespace Ezio.Sim.Tests;

public sealed class FluidNetworkTests
{
    private static readonly LinkModel Bare = new() { HeaderOverhead = 1, AckFraction = 0, BaseLatency = 0 };

    private static (Host Host, Peer View) Pair(Host downloader, Host uploader)
    {
        var down = new Peer(downloader, uploader, 8);
        var up = new Peer(uploader, downloader, 8);
        down.Mirror = up;
        up.Mirror = down;
        up.AmChoking = false;
        return (downloader, down);
    }

    private static Flow Start(FluidNetwork network, Peer view, double bytes)
    {
        var flow = view.Inbound;
        flow.Head = 0;
        flow.HeadRemaining = bytes;
        network.Activate(flow);
        return flow;
    }

    [Fact]
    public void OneUplink_SplitsEvenly_AmongItsFlows()
    {
        var events = new EventQueue();
        var network = new FluidNetwork(events, Bare);
        var random = new Random(1);
        var server = new Host(0, true, 80e6, 80e6, 8, random);
        var flows = Enumerable.Range(1, 4)
            .Select(i => Start(network, Pair(new Host(i, false, 80e6, 80e6, 8, random), server).View, 1e6))
            .ToArray();
        network.Settle();
        Assert.All(flows, f => Assert.Equal(10e6 / 4, f.Rate, 6));
        Assert.Equal(10e6, server.OutRate, 3);
    }

    [Fact]
    public void MaxMin_ASlowDownlink_LeavesItsShareToTheOthers()
    {
        var events = new EventQueue();
        var network = new FluidNetwork(events, Bare);
        var random = new Random(1);
        var server = new Host(0, true, 80e6, 80e6, 8, random);
        var slow = Start(network, Pair(new Host(1, false, 8e6, 8e6, 8, random), server).View, 1e6);
        var fast1 = Start(network, Pair(new Host(2, false, 80e6, 80e6, 8, random), server).View, 1e6);
        var fast2 = Start(network, Pair(new Host(3, false, 80e6, 80e6, 8, random), server).View, 1e6);
        network.Settle();
        // 10 MB/s uplink: the slow downlink takes 1 MB/s, the two others 4.5 MB/s each.
        Assert.Equal(1e6, slow.Rate, 3);
        Assert.Equal(4.5e6, fast1.Rate, 3);
        Assert.Equal(4.5e6, fast2.Rate, 3);
    }

    [Fact]
    public void SerialUplink_GivesTheOldestHeadAllItCanTake_TheRestTheRemainder()
    {
        var events = new EventQueue();
        var network = new FluidNetwork(events, Bare with { SerialUplinks = SerialUplinks.Server });
        var random = new Random(1);
        var server = new Host(0, true, 80e6, 80e6, 8, random);
        // Downlinks of 6 MB/s under a 10 MB/s uplink: the oldest head gets 6, the next the 4 left.
        var flows = Enumerable.Range(1, 3)
            .Select(i => Pair(new Host(i, false, 48e6, 48e6, 8, random), server).View.Inbound)
            .ToArray();
        flows[0].HeadSince = 2;
        flows[1].HeadSince = 1;
        flows[2].HeadSince = 3;
        foreach (var flow in flows)
        {
            flow.Head = 0;
            flow.HeadRemaining = 1e6;
            network.Activate(flow);
        }
        network.Settle();
        network.Refresh([server, .. flows.Select(f => f.Dst)]);
        Assert.Equal(6e6, flows[1].Rate, 3);
        Assert.Equal(4e6, flows[0].Rate, 3);
        Assert.True(flows[2].Rate < 1e3, $"the newest head got {flows[2].Rate} B/s");
        Assert.InRange(server.OutRate, 10e6, 10e6 + 1e3);
    }

    [Fact]
    public void AFlowEnding_GivesItsShareBack()
    {
        var events = new EventQueue();
        var network = new FluidNetwork(events, Bare);
        var random = new Random(1);
        var server = new Host(0, true, 80e6, 80e6, 8, random);
        var a = Start(network, Pair(new Host(1, false, 80e6, 80e6, 8, random), server).View, 1e6);
        var b = Start(network, Pair(new Host(2, false, 80e6, 80e6, 8, random), server).View, 1e6);
        network.Settle();
        Assert.Equal(5e6, a.Rate, 3);
        network.Deactivate(b);
        network.Settle();
        Assert.Equal(10e6, a.Rate, 3);
    }

    [Fact]
    public void BusyUplink_DelaysMessages_ByItsQueue()
    {
        var events = new EventQueue();
        var link = new LinkModel { BaseLatency = 0.001, QueuePackets = 100, QueueFill = 0.5 };
        var network = new FluidNetwork(events, link);
        var random = new Random(1);
        var server = new Host(0, true, 8e6, 8e6, 8, random);
        var machine = new Host(1, false, 8e6, 8e6, 8, random);
        Assert.Equal(0.001, network.Latency(server, machine), 9);
        Start(network, Pair(machine, server).View, 1e6);
        network.Settle();
        Assert.Equal(0.001 + 2 * 0.5 * 100 * 1514 / 1e6, network.Latency(server, machine), 6);
    }
}
