using Ezio.Agent.Disks;
using Ezio.Agent.Modes;
using Ezio.Agent.Tests.TestSupport;
using Ezio.BitTorrent.Metainfo;
using Ezio.TestKit.Devices;
using Xunit;

namespace Ezio.Agent.Tests.Modes;

/// <summary>The image's sector size against the device's own (BLKSSZGET), before any partition table is written.</summary>
[Collection(SystemCollection.Name)]
public sealed class SectorSizeCheckTests : IDisposable
{
    private const int Piece = 16 * 1024;
    private const long Size = 8 << 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("ezio-agent-4kn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Torrent Plain(long length)
    {
        var hashes = new byte[(length + Piece - 1) / Piece * Torrent.PieceHashSize];
        return Torrent.Parse(TorrentBuilder.CreateFromHashes("image", new List<(IReadOnlyList<string>, long)> { (Array.Empty<string>(), length) }, Piece, hashes, new TorrentBuildOptions()));
    }

    /// <summary>A loop device with <paramref name="sectorSize"/>-byte logical sectors over a zeroed file.</summary>
    private LoopDevice Attach(int sectorSize)
    {
        var backing = Path.Combine(_dir, $"disk-{sectorSize}.img");
        File.WriteAllBytes(backing, new byte[Size]);
        return LoopDevice.Attach(backing, sectorSize: sectorSize);
    }

    [SystemFact]
    public void TrialOpen_4KnDeviceFor512Image_RefusedNothingWritten()
    {
        using var device = Attach(4096);
        var disk = Samples.Disk(Path.GetFileName(device.Path), Size);
        var e = Assert.Throws<JobRefusedException>(() => CheckingMode.TrialOpen(disk, Plain(Size), imageSectorSize: 512));
        Assert.Equal(RefusalReason.SectorSize, e.Reason);
        Assert.Contains("4096-byte logical sectors", e.Message);
        Assert.Contains("512-byte sectors", e.Message);
        // The same device takes an image counted in its own sectors, and one without a table.
        CheckingMode.TrialOpen(disk, Plain(Size), imageSectorSize: 4096);
        CheckingMode.TrialOpen(disk, Plain(Size), imageSectorSize: 0);
        Assert.DoesNotContain(File.ReadAllBytes(Path.Combine(_dir, "disk-4096.img")), b => b != 0);
    }
}
