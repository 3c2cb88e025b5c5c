using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>`ezio get` of an offset-layout torrent onto a real loop device, fed by libtorrent.</summary>
public sealed class GetOffsetLayoutTests
{
    private const int PieceSize = 256 * 1024;

    /// <summary>
    /// Extents with holes between them, one at a sector- but not page-aligned offset with an odd
    /// length (buffered edges around the O_DIRECT body), one ending a page short of the device end.
    /// Pieces of 256 KiB straddle slice boundaries.
    /// </summary>
    internal static SliceImage Image() => SliceImage.Create("sda1", seed: 0x5eed,
        (0x0, 1 << 20),
        (0x110000, (3 << 20) + 4096),
        (0x500200, 700_001),
        (0x900000, 5 << 20),
        (0x3F00000, (1 << 20) - 4096));

    [DeployFact("ezio,libtorrent,losetup")]
    public async Task Get_OffsetTorrentOntoLoopDevice_WritesExtentsAndLeavesHoles()
    {
        using var scratch = new TempDirectory();
        var image = Image();
        string seedDir = scratch.CreateSubdirectory("seed");
        string slices = image.WriteSlices(seedDir);
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(slices, torrent, PieceSize);

        using var device = LoopDevice.Create(scratch["disk.img"], 64 << 20, Pattern.Fill);
        int port = FreePort.Next();
        using var seeder = await Libtorrent.StartSeedAsync(torrent, seedDir, port);
        using var get = EzioCli.StartGetFrom(torrent, device.Path, port);
        Assert.True(await get.WaitForExitAsync() == 0, get.Output);

        image.AssertDeployed(device);
        Assert.Contains("complete and verified", get.Stderr, StringComparison.Ordinal);
    }
}
