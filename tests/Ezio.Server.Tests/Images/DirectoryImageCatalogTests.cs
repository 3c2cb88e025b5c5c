using System.Net.Http.Json;
using Ezio.Deployment.Contracts;
using Ezio.Server.Images;
using Ezio.Server.Seeding;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Ezio.Server.Tests.Images;

public sealed class DirectoryImageCatalogTests
{
    [Fact]
    public void TryGet_EzioImage_SeedsFromPieceStore()
    {
        var dirs = new TestDirs();
        var (partition, manifest) = dirs.AddEzioImage("lab");
        var catalog = new DirectoryImageCatalog(dirs.Repo);

        Assert.True(catalog.TryGet("lab", out var image));
        Assert.True(image.PieceStore);
        Assert.Equal(1 << 20, image.SizeBytes);
        Assert.Contains("start=1024", image.PartitionTable);
        using var storage = image.OpenStorage();
        var read = new byte[storage.Length];
        storage.Read(0, read);
        Assert.Equal(partition, read);
        Assert.Equal(manifest.InfoHash, image.Torrent.InfoHash.ToString());
    }

    [Fact]
    public void TryGet_ManifestOfAnotherTorrent_Refused()
    {
        var dirs = new TestDirs();
        dirs.AddEzioImage("lab");
        var path = Path.Combine(dirs.Repo, "lab", "image.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"infoHash\": \"", "\"infoHash\": \"00", StringComparison.Ordinal));

        Assert.False(new DirectoryImageCatalog(dirs.Repo).TryGet("lab", out _));
    }

    [Fact]
    public void TryGet_ManifestNamesWebSeeds_TorrentCarriesThemInItsUrlListUnderTheSameInfoHash()
    {
        var dirs = new TestDirs();
        var (_, manifest) = dirs.AddEzioImage("lab");
        var path = Path.Combine(dirs.Repo, "lab", "image.json");
        manifest.WebSeeds = ["http://files.example/lab/payload.bin", "https://cdn.example/lab.bin"];
        manifest.Save(path);

        Assert.True(new DirectoryImageCatalog(dirs.Repo).TryGet("lab", out var image));

        Assert.Equal(manifest.WebSeeds, image.Torrent.WebSeeds.Select(u => u.AbsoluteUri));
        Assert.Equal(image.Torrent.WebSeeds, Ezio.BitTorrent.Metainfo.Torrent.Parse(image.TorrentBytes).WebSeeds);
        Assert.Equal(manifest.InfoHash, image.Torrent.InfoHash.ToString());
    }

    [Theory]
    [InlineData("ftp://files.example/lab.bin")]
    [InlineData("payload.bin")]
    public void TryGet_ManifestNamesABadWebSeed_Refused(string url)
    {
        var dirs = new TestDirs();
        var (_, manifest) = dirs.AddEzioImage("lab");
        manifest.WebSeeds = [url];
        manifest.Save(Path.Combine(dirs.Repo, "lab", "image.json"));

        Assert.False(new DirectoryImageCatalog(dirs.Repo).TryGet("lab", out _));
    }

    [Fact]
    public async Task Register_EzioImage_JobCarriesPartitionTableAndDiskSize()
    {
        var dirs = new TestDirs();
        dirs.AddEzioImage("lab");
        await using var server = await TestServer.StartAsync(dirs, o => o.SeedRecheck = true);
        var deployment = await server.DeployAsync(new("lab", ["52:54:00:00:00:01"]));
        var request = new RegisterRequest("52:54:00:00:00:01", "10.0.0.1", "pc", [], 1L << 30, "b", "t");
        using var response = await server.Http.PostAsJsonAsync(ApiRoutes.Register, request, DeploymentJsonContext.Default.RegisterRequest);
        var job = (await response.Content.ReadFromJsonAsync(DeploymentJsonContext.Default.RegisterResponse))!.Job!;

        Assert.Equal(deployment.Id, job.DeploymentId);
        Assert.Equal(1 << 20, job.ImageSizeBytes);
        Assert.StartsWith("label: dos", job.PartitionTable, StringComparison.Ordinal);

        // The seeder hashes pieces.ezp and starts seeding it.
        var seeder = server.Services.GetRequiredService<DeploymentSeeder>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var hash = Ezio.BitTorrent.Metainfo.InfoHash.Parse(job.InfoHash);
        while (seeder.Stats(hash) is not { State: Ezio.BitTorrent.Engine.SessionState.Seeding } && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var stats = seeder.Stats(hash)!;
        Assert.Equal(stats.PieceCount, stats.PiecesHave);
    }
}
