using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Server.Tests.Interop;

/// <summary>`ezio get` fetches a deployment's torrent over HTTP and the data from our seeder via our tracker.</summary>
public sealed class EzioGetTests
{
    private static string? FindEzio()
    {
        if (Environment.GetEnvironmentVariable("EZIO_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Ezio", "bin", "Release", "net10.0", "linux-x64", "ezio");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    [Fact]
    public async Task EzioGet_DeploymentTorrent_DownloadsFromServerSeeder()
    {
        var ezio = FindEzio();
        if (ExternalProcess.SkipUnlessAvailable(ezio is not null, "the ezio binary (EZIO_BIN, or dotnet build src/Ezio -c Release)"))
        {
            return;
        }
        var dirs = new TestDirs();
        dirs.AddImage("lab", length: 2_000_000);
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", ["52:54:00:00:00:01"], StopAfterCompleted: -1));
        await LibtorrentTests.WaitForSeederAsync(server);

        var target = Path.Combine(dirs.Root, "disk.img");
        var torrentUrl = new Uri(server.BaseAddress, ApiRoutes.TorrentPath("lab")).ToString();
        var (rc, output) = await ExternalProcess.RunAsync(ezio!,
            ["get", torrentUrl, target, "--tracker", new Uri(server.BaseAddress, "/announce").ToString(), "--seed-after", "none", "--port", "0"],
            TimeSpan.FromSeconds(90));
        Assert.True(rc == 0, output);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dirs.Repo, "lab", "data")), await File.ReadAllBytesAsync(target));
        Assert.Equal(deployment.InfoHash, server.Services.GetService(typeof(Ezio.Server.Deployments.DeploymentManager)) is Ezio.Server.Deployments.DeploymentManager m ? m.OpenDeployments()[0].InfoHash : null);
    }
}
