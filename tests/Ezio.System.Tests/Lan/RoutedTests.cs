using System.Globalization;
using Ezio.System.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ezio.System.Tests.Lan;

/// <summary>
/// Two subnets behind a router with a 20 Mbit/s link (system/routed.sh): udpcast reaches the
/// server's subnet only; ezio-server's tracker deploys both, with locality about one copy of
/// the image crosses the router, without it more, and with a second server seeding in the far
/// subnet next to nothing; a seeder killed mid-deployment, or the whole server (seeder and
/// tracker), leaves the machines of both subnets finishing from each other.
/// </summary>
public sealed class RoutedTests(ITestOutputHelper output)
{
    [SystemFact]
    public async Task Routed_TwoSubnets_UdpcastStopsAtTheRouterEzioCrossesItOnce()
    {
        var run = await Deployment.RunAsync("routed.sh", new Dictionary<string, string> { ["K"] = "3", ["SIZE_MIB"] = "8" }, TimeSpan.FromSeconds(400));
        output.WriteLine($"routed.sh exited {run.ExitCode} after {run.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(run.Output);
        var verdict = run.Output.Split('\n').LastOrDefault(l => l.StartsWith("routed: PASS", StringComparison.Ordinal) || l.StartsWith("routed: FAIL", StringComparison.Ordinal));

        Assert.True(run.ExitCode == 0, verdict ?? run.Output);
        Assert.Contains("routed: udpcast near a1=ok far b1=unreached (0 bytes)", run.Output);
        Assert.Contains(" verified_on=6/6 ", verdict);
        Assert.Contains(" verified_off=6/6 ", verdict);
        Assert.Contains(" verified_two=6/6 ", verdict);
        Assert.Contains(" verified_kill=6/6 ", verdict);
        Assert.Contains(" verified_die=6/6", verdict);
        Assert.Matches(@"routed: die: server \(seeder and tracker\) killed after the first completion, [1-5] of 6 machines unfinished", run.Output);
        Assert.Matches(@"routed: kill: seeder killed after the first completion, [1-5] of 6 machines unfinished", run.Output);
        var on = Copies(verdict!, "on");
        var off = Copies(verdict!, "off");
        // The goal: one copy into the far subnet (plus protocol overhead), against more without locality.
        Assert.InRange(on, 0.9, 1.2);
        Assert.True(off > on + 0.3, $"without locality {off} copies crossed, with it {on}");
        // A second server seeding in the far subnet: its machines need nothing from across.
        Assert.InRange(Copies(verdict!, "two"), 0, 0.1);
    }

    private static double Copies(string verdict, string run) =>
        double.Parse(verdict.Split(' ').Single(w => w.StartsWith(run + "=", StringComparison.Ordinal))[(run.Length + 1)..], CultureInfo.InvariantCulture);
}
