using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>`ezio seed` reading an offset-layout image straight off a loop device.</summary>
public sealed class SeedFromDeviceTests
{
    [DeployFact("ezio,libtorrent,losetup")]
    public async Task Seed_FromLoopDevice_LibtorrentLeecherGetsIdenticalSlices()
    {
        using var scratch = new TempDirectory();
        var image = GetOffsetLayoutTests.Image();
        string slices = image.WriteSlices(scratch.CreateSubdirectory("original"));
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(slices, torrent, 256 * 1024);

        using var device = LoopDevice.Create(scratch["disk.img"], 64 << 20, Pattern.Fill);
        image.WriteTo(device);
        int port = FreePort.Next();
        using var seeder = await EzioCli.StartSeedAsync(torrent, device.Path, port);
        string leechDir = scratch.CreateSubdirectory("leech");
        await Libtorrent.LeechAsync(torrent, leechDir, port);

        foreach (var (offset, data) in image.Extents)
        {
            string file = Path.Combine(leechDir, image.Name, offset.ToString("x32"));
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(data), $"{file} differs from the extent on the device.");
        }

        await seeder.StopAsync(TimeSpan.FromSeconds(15));
    }
}
