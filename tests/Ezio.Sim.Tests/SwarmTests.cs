using Xunit;

namespace Ezio.Sim.Tests;

public sealed class SwarmTests
{
    private const double Mbit = 1e6;

    private static Scenario Lossless(Scenario scenario) => scenario with
    {
        Link = new LinkModel { HeaderOverhead = 1, AckFraction = 0, BaseLatency = 0, StartupSeconds = 0, StartStaggerSeconds = 0 },
    };

    [Fact]
    public void OneMachine_TakesSizeOverRate_PlusOverheads()
    {
        // 8 MiB at 8 Mbit/s is 8.389 s of payload; with headers 1.047x.
        var bare = new Swarm(Lossless(Scenario.Uniform("t", 1, 8 * Mbit, 8L << 20, 1 << 20))).Run();
        Assert.Equal((8L << 20) * 8 / (8 * Mbit), bare.LastDoneSeconds, 3);

        var framed = new Swarm(Lossless(Scenario.Uniform("t", 1, 8 * Mbit, 8L << 20, 1 << 20)) with
        {
            Link = new LinkModel { HeaderOverhead = 1.047, AckFraction = 0, BaseLatency = 0, StartupSeconds = 0, StartStaggerSeconds = 0 },
        }).Run();
        Assert.Equal(1.047 * (8L << 20) * 8 / (8 * Mbit), framed.LastDoneSeconds, 3);
        Assert.Equal(1.0, framed.ServerCopies, 6);
    }

    [Fact]
    public void TwoMachinesOnAFastServer_ShareNothingButTheirOwnDownlinks()
    {
        // Server 100 Mbit/s seeding normally, machines 10 Mbit/s: each downlink is the
        // bottleneck, both finish at size / 10 Mbit/s however the pieces are spread, but for
        // the tail: the last piece may come from the other machine's shared uplink.
        var scenario = Lossless(Scenario.Uniform("t", 2, 10 * Mbit, 4L << 20, 256 << 10)) with
        {
            ServerBitsPerSecond = 100 * Mbit,
            Engine = new EngineTunables { SuperSeed = false },
        };
        var plain = new Swarm(scenario).Run();
        var bound = (4L << 20) * 8 / (10 * Mbit);
        Assert.InRange(plain.LastDoneSeconds, bound, bound * 1.06);

        // Super-seeding sends each piece once before any twice; the machines pass pieces to
        // each other, so the server sends fewer copies in all.
        var superSeeded = new Swarm(scenario with { Engine = new EngineTunables() }).Run();
        Assert.Equal(1.0, superSeeded.ServerCopiesFirstPass, 6);
        Assert.True(plain.ServerCopies > superSeeded.ServerCopies + 0.2, $"plain {plain.ServerCopies} copies, super-seeded {superSeeded.ServerCopies}");
    }

    [Fact]
    public void SwarmOfEight_BeatsUnicast_AndServerSendsAboutOneCopy()
    {
        var result = new Swarm(Calibration.Build(8)).Run();
        Assert.Equal(8, result.Completed);
        // Unicast would take 8 x the bound; a swarm is within a few tenths of one.
        Assert.InRange(result.Ratio, 1.0, 1.3);
        Assert.InRange(result.ServerCopies, 1.0, 1.1);
        Assert.Equal(1.0, result.ServerCopiesFirstPass, 6);
    }

    [Fact]
    public void SameSeed_SameRun_OtherSeed_OtherRun()
    {
        var a = new Swarm(Calibration.Build(6, seed: 7)).Run();
        var b = new Swarm(Calibration.Build(6, seed: 7)).Run();
        var c = new Swarm(Calibration.Build(6, seed: 8)).Run();
        Assert.Equal(a.LastDoneSeconds, b.LastDoneSeconds);
        Assert.Equal(a.Events, b.Events);
        Assert.Equal(a.ServerCopies, b.ServerCopies);
        Assert.NotEqual(a.Events, c.Events);
    }

    [Fact]
    public void DyingMachine_ItsPiecesAreFetchedElsewhere_EveryOtherMachineFinishes()
    {
        var scenario = Questions.Build("dying", 8, 100 * Mbit, 32L << 20, 256 << 10, seed: 3);
        var swarm = new Swarm(scenario);
        var result = swarm.Run();
        Assert.Equal(1, result.Died);
        Assert.Equal(7, result.Completed);
        var dead = swarm.Machines.Single(m => m.DiedAt >= 0);
        Assert.False(dead.Complete);
        Assert.InRange(dead.Picker.HaveCount, scenario.PieceCount / 2, scenario.PieceCount / 2 + 1);
        Assert.All(swarm.Machines.Where(m => m != dead), m => Assert.True(m.Picker.IsComplete));
        // Its peers noticed it only by their timeouts, so the rest finish after it died.
        Assert.True(result.LastDoneSeconds > dead.DiedAt);
        Assert.False(double.IsNaN(result.LastDoneSeconds));
    }

    [Fact]
    public void SlowMachine_BoundsTheRun_FastOnesFinishEarlier()
    {
        var scenario = Questions.Build("mixed", 11, 100 * Mbit, 16L << 20, 256 << 10);
        var swarm = new Swarm(scenario);
        var result = swarm.Run();
        Assert.Equal(11, result.Completed);
        var slow = swarm.Machines[10];
        Assert.Equal(10 * Mbit / 8, slow.DownBytesPerSecond);
        Assert.Equal(slow.DoneAt, result.LastDoneSeconds);
        Assert.True(result.LastDoneSeconds >= scenario.BoundSeconds);
        Assert.All(swarm.Machines.Take(10), m => Assert.True(m.DoneAt < slow.DoneAt, $"fast machine done at {m.DoneAt}, slow at {slow.DoneAt}"));
    }

    [Fact]
    public void MoreMachinesThanConnections_LateOnesConnectAsSeedsDropEachOther()
    {
        // Three connections per host: the server and the first three machines fill each
        // other's tables, so the fourth machine on finds every table full. They connect when
        // machines finish and drop their seed peers, through the next announce.
        var scenario = Lossless(Scenario.Uniform("t", 8, 100 * Mbit, 8L << 20, 256 << 10)) with
        {
            Engine = new EngineTunables { MaxConnections = 3, NumWant = 3 },
            TimeLimitSeconds = 600,
        };
        var swarm = new Swarm(scenario);
        var result = swarm.Run();
        Assert.Equal(8, result.Completed);
        var first = swarm.Machines.Take(3).Max(m => m.DoneAt);
        Assert.All(swarm.Machines.Skip(3), m => Assert.True(m.StartedAt < first && m.DoneAt > first, $"machine {m.Id} started {m.StartedAt} done {m.DoneAt}"));
        // A finished host keeps no peer it knows has every piece (the run stops at the last
        // completion, before the last haves arrive).
        Assert.All(swarm.Machines.Append(swarm.Server), m => Assert.DoesNotContain(m.Peers, p => p.Has.IsFull));
        Assert.True(swarm.Machines.Sum(m => m.Peers.Count) < 4, "finished machines still connected");
    }

    [Fact]
    public void TakeOverIndex_HoldsExactlyThePeersWithAQueue()
    {
        // Stopped mid-run, while pieces queue behind others.
        var swarm = new Swarm(Calibration.Build(8) with { TimeLimitSeconds = 10 });
        var result = swarm.Run();
        Assert.Equal(0, result.Completed);
        var hosts = swarm.Machines.Append(swarm.Server).ToList();
        Assert.Contains(hosts, h => h.Queued.Count > 0);
        Assert.All(hosts, h => Assert.Equal(
            h.Peers.Where(p => p.Assigned.Count >= 2).OrderBy(p => p.Serial),
            h.Queued.OrderBy(p => p.Serial)));
    }

    [Fact]
    public void Endgame_OffSendsNoDuplicates_SlowerSendsFewerThanPeers()
    {
        // 16 machines, 2 MiB pieces at 100 Mbit/s: the last pieces are fetched twice under the
        // engine's rule; only where the copy under way is slower with the experimental one.
        var scenario = Scenario.Uniform("endgame", 16, 100 * Mbit, 32L << 20, 2 << 20);
        var peers = new Swarm(scenario).Run();
        var slower = new Swarm(scenario with { Engine = scenario.Engine with { Endgame = EndgamePolicy.Slower } }).Run();
        var off = new Swarm(scenario with { Engine = scenario.Engine with { Endgame = EndgamePolicy.Off } }).Run();

        Assert.All([peers, slower, off], r => Assert.Equal(16, r.Completed));
        Assert.True(peers.WastedCopies > 0, $"peers wasted {peers.WastedCopies}");
        Assert.InRange(slower.WastedCopies, 0, peers.WastedCopies);
        Assert.Equal(0, off.WastedCopies);
    }
}
