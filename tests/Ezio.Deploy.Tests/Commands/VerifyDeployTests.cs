using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>`ezio verify` on a loop device: 0 when clean, 1 and the bad piece once a byte changes.</summary>
public sealed class VerifyDeployTests
{
    [DeployFact("ezio,losetup")]
    public async Task Verify_CorruptedByteInExtent_ReportsBadPiece()
    {
        using var scratch = new TempDirectory();
        var image = GetOffsetLayoutTests.Image();
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(image.WriteSlices(scratch.CreateSubdirectory("seed")), torrent, 256 * 1024);
        using var device = LoopDevice.Create(scratch["disk.img"], 64 << 20, Pattern.Fill);
        image.WriteTo(device);

        var (clean, cleanRun) = await EzioCli.RunAsync("verify", torrent, device.Path);
        using (cleanRun)
        {
            Assert.True(clean == 0, cleanRun.Output);
        }

        // A hole is not part of the image: changing it changes nothing.
        device.Write(0x100000 + 7, [0x00, 0xFF]);
        var (holeOnly, holeRun) = await EzioCli.RunAsync("verify", torrent, device.Path);
        using (holeRun)
        {
            Assert.True(holeOnly == 0, holeRun.Output);
        }

        // One byte inside the fourth extent (0x900000): torrent offset 1 MiB + (3 MiB + 4 KiB)
        // + 700001 + 1 MiB + 12345 lies in piece 23 of 256 KiB.
        long torrentOffset = (1 << 20) + (3 << 20) + 4096 + 700_001 + (1 << 20) + 12_345;
        byte original = device.Read(0x900000 + (1 << 20) + 12_345, 1)[0];
        device.Write(0x900000 + (1 << 20) + 12_345, [(byte)~original]);
        var (bad, badRun) = await EzioCli.RunAsync("verify", torrent, device.Path, "--list");
        using (badRun)
        {
            Assert.True(bad == 1, badRun.Output);
            Assert.Contains($"bad piece {torrentOffset / (256 * 1024)}", badRun.Stdout, StringComparison.Ordinal);
            Assert.Contains(" 1 bad of ", badRun.Stdout, StringComparison.Ordinal);
        }
    }
}
