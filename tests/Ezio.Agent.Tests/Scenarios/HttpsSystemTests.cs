using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// The real agent and the real ezio-server with the API on https (the server's own certificate,
/// pinned by the agent) and boot files, torrent and tracker on plain http.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class HttpsSystemTests
{
    private const long MiB = 1 << 20;

    [SystemFact]
    public async Task Agent_PinnedHttpsServer_DeploysWithRegistrationAndReportsOverHttps()
    {
        await using var rig = new AgentRig();
        var (net, image, server, disk) = await rig.StartDeploymentAsync(root => ImageRepo.Create(root, "lab", 16 * MiB), 24 * MiB, https: true);
        const string mac = "02:00:00:00:30:01";
        var deployment = await server.DeployAsync(new CreateDeploymentRequest("lab", [mac], AfterAction.Reboot, Seeding: new SeedingPolicy(true, 10)));
        var menu = File.ReadAllText(Path.Combine(server.BootDir, "pxelinux.cfg", "01-" + MacAddress.WithDashes(mac)));
        Assert.Contains($"ezio.server={server.ApiUrl} ", menu, StringComparison.Ordinal);
        Assert.StartsWith("https://", server.ApiUrl, StringComparison.Ordinal);

        using var agent = AgentProcess.Start([.. rig.Arguments(server.ApiUrl, disk.Path, mac), "--server-cert-sha256", server.CertificateSha256!], net);

        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Equal($"reboot {deployment.Id}", File.ReadAllText(rig.Marker).Trim());
        Assert.True(ImageRepo.SameBytes(disk, image, MiB, 15 * MiB), "disk content differs from the image");
        Assert.Equal(DeployPhase.Done, (await server.MachineAsync(mac))!.Phase);
        Assert.Contains($"with {server.ApiUrl}", agent.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("plain HTTP", agent.Output, StringComparison.Ordinal);
    }

    [SystemFact]
    public async Task Agent_WrongPin_NeverRegisters()
    {
        await using var rig = new AgentRig();
        var (net, _, server, disk) = await rig.StartDeploymentAsync(root => ImageRepo.Create(root, "lab", 4 * MiB), 8 * MiB, https: true);
        const string mac = "02:00:00:00:30:02";
        await server.DeployAsync(new CreateDeploymentRequest("lab", [mac], AfterAction.Reboot));

        using var agent = AgentProcess.Start([.. rig.Arguments(server.ApiUrl, disk.Path, mac), "--server-cert-sha256", new string('0', 64)], net);
        await agent.WaitForOutputAsync("not the pinned one", TimeSpan.FromSeconds(60));
        Assert.Null(await server.MachineAsync(mac));
        Assert.False(File.Exists(rig.Marker));
    }
}
