using Ezio.Deployment.Contracts;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Server.Tests.Interop;

/// <summary>`ezio get` fetches a deployment's torrent over HTTP and the data from our seeder via our tracker.</summary>
public sealed class EzioGetTests
{
    [ToolFact("ezio")]
    public async Task EzioGet_DeploymentTorrent_DownloadsFromServerSeeder()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab", length: 2_000_000);
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", ["52:54:00:00:00:01"], StopAfterCompleted: -1));
        await LibtorrentTests.WaitForSeederAsync(server);

        var target = Path.Combine(dirs.Root, "disk.img");
        var torrentUrl = new Uri(server.BaseAddress, ApiRoutes.TorrentPath("lab")).ToString();
        using var get = EzioCli.Start("get", torrentUrl, target, "--tracker", new Uri(server.BaseAddress, "/announce").ToString(), "--seed-after", "none", "--port", "0");
        await get.ExpectSuccessAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dirs.Repo, "lab", "data")), await File.ReadAllBytesAsync(target));
        Assert.Equal(deployment.InfoHash, server.Services.GetService(typeof(Ezio.Server.Deployments.DeploymentManager)) is Ezio.Server.Deployments.DeploymentManager m ? m.OpenDeployments()[0].InfoHash : null);
    }
}
