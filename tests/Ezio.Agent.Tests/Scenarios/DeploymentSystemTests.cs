using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>The real agent binary against the real ezio-server, the agent in its own network namespace, a loop device as its disk.</summary>
[Collection(SystemCollection.Name)]
public sealed class DeploymentSystemTests
{
    private const long MiB = 1 << 20;

    [SystemFact]
    public async Task Agent_FullDeployment_WritesDiskFlipsMenuSeedsThenRunsAfterAction()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => ImageRepo.Create(root, "lab", 32 * MiB), 48 * MiB);
        const string mac = "02:00:00:00:10:01";
        const string other = "02:00:00:00:10:02";
        var deployment = await server.DeployAsync(new CreateDeploymentRequest("lab", [mac, other], AfterAction.Reboot, Seeding: new SeedingPolicy(true, 10)));

        using var agent = AgentProcess.Start(rig.Arguments(server.Url, disk.Path, mac), net);
        string Diagnostics() => "AGENT:\n" + agent.Output + "\nSERVER:\n" + server.Log;

        // Done, but the other machine still deploys: the agent seeds and must not reboot yet.
        await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Seeding, TimeSpan.FromSeconds(90), Diagnostics);
        var menu = File.ReadAllText(Path.Combine(server.BootDir, "pxelinux.cfg", "01-" + MacAddress.WithDashes(mac)));
        Assert.Contains("LOCALBOOT", menu);
        Assert.False(File.Exists(rig.Marker), "after-action ran while the deployment still needed seeding");
        Assert.True(ImageRepo.SameBytes(disk, image, MiB, 31 * MiB), "disk content differs from the image");
        Assert.Contains("No problems found", Shell.TryRun(TimeSpan.FromSeconds(30), "sgdisk", "-v", disk.Path).Output);
        Assert.Contains("EZIO deployment agent", File.ReadAllText(rig.Tty));

        // The other machine reports done: seeding is no longer needed, the after-action runs.
        // A file written just before, stamped by the same kernel clock as the marker, shows the
        // after-action ran after that and not while seeding (the marker is appended to: it ran once).
        var reported = Path.Combine(rig.Root, "other-reported");
        File.WriteAllText(reported, other);
        await server.ReportOtherDoneAsync(other, deployment.Id);

        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal($"reboot {deployment.Id}", File.ReadAllText(rig.Marker).Trim());
        Assert.True(File.GetLastWriteTimeUtc(rig.Marker) >= File.GetLastWriteTimeUtc(reported), "after-action ran while the deployment still needed seeding");
        Assert.Contains("Seeding stopped", agent.Output);
        Assert.Equal(DeployPhase.Done, (await server.MachineAsync(mac))!.Phase);
    }

    [SystemFact]
    public async Task Agent_KilledMidDeploy_ResumesAfterRestartAndFinishesWithCorrectDisk()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => ImageRepo.Create(root, "big", 96 * MiB), 128 * MiB, rateMbit: 40);
        const string mac = "02:00:00:00:20:01";
        await server.DeployAsync(new CreateDeploymentRequest("big", [mac], AfterAction.Reboot, Seeding: new SeedingPolicy(true, 10)));
        var arguments = rig.Arguments(server.Url, disk.Path, mac);

        using (var first = AgentProcess.Start(arguments, net))
        {
            await server.WaitForMachineAsync(mac, m => m.Phase == DeployPhase.Downloading && m.BytesDone > 30 * MiB, TimeSpan.FromSeconds(120),
                () => first.Output + server.Log);
            first.KillHard();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }
        Assert.False(File.Exists(rig.Marker));

        using var second = AgentProcess.Start(arguments, net);
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(180)));
        var recheck = second.Output.Split('\n').First(l => l.Contains("already on disk after recheck"));
        var have = int.Parse(recheck.Split(": ")[1].Split('/')[0]);
        var count = int.Parse(recheck.Split(": ")[1].Split('/')[1].Split(' ')[0]);
        Assert.True(have >= 100, $"the restart fetched everything again: {recheck}");
        // The second run wrote every piece the recheck's tally lacked and not what was on the
        // disk, and says so. The swarm starts while the recheck runs: a piece it has found
        // missing may be fetched before it is done and then be in its tally too (2 of 384
        // seen), so the upper bound only asks that 64 of the pieces already there were not
        // written again.
        var flushed = second.Output.Split('\n').First(l => l.Contains("complete and flushed"));
        var written = long.Parse(flushed.Split("wrote ")[1].Split(' ')[0]);
        var piece = 96L * MiB / count;
        Assert.True(written >= (count - have) * piece && written <= (count - 64) * piece,
            $"wrote {written} bytes with {have}/{count} pieces already on disk: {flushed}");
        Assert.True(File.Exists(rig.Marker));
        Assert.True(ImageRepo.SameBytes(disk, image, MiB, 95 * MiB), "disk content differs from the image after resume");
    }
}
