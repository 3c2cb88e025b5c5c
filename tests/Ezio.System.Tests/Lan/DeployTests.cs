using Ezio.System.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ezio.System.Tests.Lan;

/// <summary>
/// Whole deployments on an emulated LAN (system/deploy.sh over bench/lan/lan.sh): a server
/// running opentracker + `ezio seed`, machines running `ezio get` onto loop-device disks,
/// every disk checked with `ezio verify` and a byte compare of every extent. The fault tests
/// run at 25 Mbit/s so a 32 MiB image takes ~11 s at line rate: time enough to strike.
/// </summary>
public sealed class DeployTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    [SystemFact]
    public async Task Deploy_FourMachinesAt100Mbit_EveryDiskVerified()
    {
        var run = await RunAsync(new() { ["N"] = "4", ["RATE"] = "100mbit", ["SIZE_MIB"] = "32" });

        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.StartsWith("deploy: PASS n=4", run.Verdict);
        Assert.Equal(4, run.VerifiedMachines);
    }

    [SystemFact]
    public async Task Deploy_OneMachineKilledMidway_OthersFinishAndItResumes()
    {
        var run = await RunAsync(new() { ["N"] = "4", ["RATE"] = "25mbit", ["SIZE_MIB"] = "32", ["FAULT"] = "kill-machine" });

        Assert.Contains("deploy: FAULT: killing m1", run.Output);
        Assert.Contains("restarted m1 fetched", run.Output);
        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.Equal(4, run.VerifiedMachines);
    }

    [SystemFact]
    public async Task Deploy_NetemLossAndDelay_AllFinishCorrect()
    {
        var run = await RunAsync(new() { ["N"] = "4", ["RATE"] = "100mbit", ["SIZE_MIB"] = "32", ["NETEM"] = "loss 1% delay 20ms" });

        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.Contains("netem='loss 1% delay 20ms'", run.Verdict);
        Assert.Equal(4, run.VerifiedMachines);
    }

    [SystemFact]
    public async Task Deploy_SeederKilledAt30PercentAndRestarted_EveryMachineFinishes()
    {
        var run = await RunAsync(new() { ["N"] = "4", ["RATE"] = "25mbit", ["SIZE_MIB"] = "32", ["FAULT"] = "seeder-restart" });

        Assert.Contains("deploy: FAULT: killing the seeder", run.Output);
        Assert.Contains("deploy: FAULT: restarting the seeder", run.Output);
        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.Equal(4, run.VerifiedMachines);
    }

    [SystemFact]
    public async Task Deploy_OneMachineServingCorruptPieces_BannedAndEveryOtherDiskCorrect()
    {
        var run = await RunAsync(new() { ["N"] = "4", ["RATE"] = "25mbit", ["SIZE_MIB"] = "32", ["FAULT"] = "corrupt-peer" });

        Assert.Contains("deploy: FAULT: m1 serves a corrupted copy", run.Output);
        // Every receiver that took a bad piece from m1 banned it by its second one.
        Assert.Matches(@"deploy: [1-3] of 3 machines banned the corrupting peer m1", run.Output);
        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.Equal(3, run.VerifiedMachines);
    }

    private async Task<Deployment> RunAsync(Dictionary<string, string> settings)
    {
        var run = await Deployment.RunAsync(settings, Bound);
        output.WriteLine($"deploy.sh exited {run.ExitCode} after {run.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(run.Output);
        return run;
    }
}
