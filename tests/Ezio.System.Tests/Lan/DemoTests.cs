using Ezio.System.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ezio.System.Tests.Lan;

/// <summary>
/// The README's first command (system/demo.sh) at a small size: a GPT sample disk (FAT32 ESP,
/// ext4 root of host files) captured with `ezio image capture`, the real ezio-server in the
/// server namespace, the real `ezio agent` on every machine, then every disk checked
/// (partition table, boot area, every used block, fsck -n) and every boot menu. The sample
/// disk and its image are cached under out/demo/, so only the first run pays for them.
/// </summary>
public sealed class DemoTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(300);

    [SystemFact]
    public async Task Demo_ThreeMachinesAt100Mbit_EveryDiskCheckedAndEveryMenuLocal()
    {
        var run = await RunAsync(new() { ["N"] = "3", ["RATE"] = "100mbit", ["SIZE_MIB"] = "64" });

        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.StartsWith("demo: PASS n=3 rate=100mbit", run.Verdict);
        Assert.Contains(" verified=3/3 ", run.Verdict);
        Assert.Contains(" menus=3/3 ", run.Verdict);
        foreach (var name in new[] { "m1", "m2", "m3" })
        {
            var row = run.Row(name);
            Assert.NotNull(row);
            Assert.Contains("ok: table, boot area, ", row);
            Assert.Contains("fsck vfat ext4 clean, menus local", row);
        }
        Assert.Contains("dashboard: http://127.0.0.1:", run.Output);
    }

    /// <summary>
    /// Re-imaging a room: the same image to 2 machines, then 1, then 3, one server throughout.
    /// Each deployment must finish and each disk pass `ezio verify` (the disks are wiped in
    /// between); the swarm of a new deployment must not inherit the last one's completions.
    /// </summary>
    [SystemFact]
    public async Task Demo_SameImageTo2Then1Then3Machines_EveryDeploymentFinishesEveryDiskVerifies()
    {
        var run = await RunAsync(new() { ["N"] = "3", ["RATE"] = "100mbit", ["SIZE_MIB"] = "64", ["ROUNDS"] = "2 1" }, TimeSpan.FromSeconds(600));

        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.StartsWith("demo: PASS n=3 ", run.Verdict);
        Assert.Contains(" rounds=2/2 ", run.Verdict);
        Assert.Contains(" verified=3/3 ", run.Verdict);
        Assert.Contains(" menus=3/3 ", run.Verdict);
        Assert.Contains("demo: round 1: m1 ok: ", run.Output);
        Assert.Contains("demo: round 1: m2 ok: ", run.Output);
        Assert.Contains("demo: round 2: m1 ok: ", run.Output);
        Assert.DoesNotContain("demo: round 2: m2 ", run.Output);
        foreach (var name in new[] { "m1", "m2", "m3" })
        {
            Assert.Contains("ok: table, boot area, ", run.Row(name));
        }
    }

    [SystemFact]
    public async Task Demo_DiskTooSmallAndDiskMounted_RefusedReportedUntouched_OthersFinish()
    {
        var run = await RunAsync(new() { ["N"] = "2", ["RATE"] = "100mbit", ["SIZE_MIB"] = "64", ["REFUSE"] = "too-small mounted" });

        Assert.True(run.ExitCode == 0, run.Verdict);
        Assert.Contains(" verified=2/2 ", run.Verdict);
        Assert.Contains(" menus=2/2 ", run.Verdict);
        Assert.Contains(" refused=2/2 ", run.Verdict);
        // m3 and m4 are the extra machines; the reason is the server's (its machine list).
        Assert.Contains("refused as expected (too-small:", run.Row("m3"));
        Assert.Contains("refused as expected (mounted:", run.Row("m4"));
        Assert.Contains("disk unchanged", run.Row("m3"));
        Assert.Contains("disk unchanged", run.Row("m4"));
        Assert.Contains("ok: table, boot area, ", run.Row("m1"));
        Assert.Contains("ok: table, boot area, ", run.Row("m2"));
    }

    [SystemFact]
    public async Task Demo_DiskDamagedAfterTheDeployment_ChecksFailIt()
    {
        var run = await RunAsync(new() { ["N"] = "2", ["RATE"] = "100mbit", ["SIZE_MIB"] = "64", ["TAMPER"] = "1" });

        Assert.NotEqual(0, run.ExitCode);
        Assert.StartsWith("demo: FAIL n=2", run.Verdict);
        Assert.Contains(" verified=1/2 ", run.Verdict);
        Assert.Contains("FAILED: ", run.Row("m1"));
        Assert.Contains("ezio verify", run.Row("m1"));
        Assert.Contains("e2fsck -fn failed", run.Row("m1"));
        Assert.Contains("ok: table, boot area, ", run.Row("m2"));
    }

    private async Task<Deployment> RunAsync(Dictionary<string, string> settings, TimeSpan? bound = null)
    {
        var run = await Deployment.RunAsync("demo.sh", settings, bound ?? Bound);
        output.WriteLine($"demo.sh exited {run.ExitCode} after {run.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(run.Output);
        return run;
    }
}
