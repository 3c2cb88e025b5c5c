using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>
/// A deploy killed halfway and restarted keeps what it verified and wrote, and a target that
/// already holds most of the image only fetches the pieces that differ.
/// </summary>
public sealed class GetResumeTests
{
    [DeployFact("ezio,libtorrent,losetup")]
    public async Task Get_KilledHalfwayThenRestarted_FetchesOnlyTheRest()
    {
        const long size = 256L << 20;
        using var scratch = new TempDirectory();
        string seedDir = scratch.CreateSubdirectory("seed");
        string imageFile = WriteImage(Path.Combine(seedDir, "disk.img"), size, seed: 42);
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(imageFile, torrent, 1 << 20);

        using var device = LoopDevice.Create(scratch["target.img"], size);
        int port = FreePort.Next();
        // 16 MiB/s: the 5 s progress lines land near 30 % and 60 %; the kill waits for >= 40 %.
        using var seeder = await Libtorrent.StartSeedAsync(torrent, seedDir, port, uploadLimitBytesPerSecond: 16 << 20);

        double killedAt;
        using (var first = EzioCli.StartGetFrom(torrent, device.Path, port))
        {
            await first.WaitUntilAsync(() => EzioCli.LastProgressPercent(first.Stderr) >= 40, "a progress line at >= 40 %");
            first.KillHard();
            killedAt = EzioCli.LastProgressPercent(first.Stderr);
        }

        Assert.InRange(killedAt, 40, 75);
        using var second = EzioCli.StartGetFrom(torrent, device.Path, port);
        Assert.True(await second.WaitForExitAsync() == 0, second.Output);
        long fetched = EzioCli.FetchedBytes(second);
        Assert.True(fetched <= size * 70 / 100,
            $"The restart fetched {fetched >> 20} MiB of {size >> 20} MiB after a kill at {killedAt} %.\n{second.Output}");

        var (verify, verifyRun) = await EzioCli.RunAsync("verify", torrent, device.Path);
        using (verifyRun)
        {
            Assert.True(verify == 0, verifyRun.Output);
        }
    }

    [DeployFact("ezio,losetup")]
    public async Task Get_TargetWithFivePercentChangedPieces_FetchesOnlyThose()
    {
        const long size = 64L << 20;
        const int pieceSize = 256 * 1024;
        using var scratch = new TempDirectory();
        string imageFile = WriteImage(scratch["disk.img"], size, seed: 7);
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(imageFile, torrent, pieceSize);

        using var device = LoopDevice.Create(scratch["target.img"], size);
        byte[] image = File.ReadAllBytes(imageFile);
        device.Write(0, image);
        // 13 of 256 pieces (5 %), each with a few bytes changed somewhere inside.
        for (int i = 0; i < 13; i++)
        {
            long at = (long)(i * 19 + 3) * pieceSize + (i * 7919 % pieceSize);
            device.Write(at, [(byte)~image[at], (byte)~image[at + 1]]);
        }

        int port = FreePort.Next();
        using var seeder = await EzioCli.StartSeedAsync(torrent, imageFile, port);
        using var get = EzioCli.StartGetFrom(torrent, device.Path, port);
        Assert.True(await get.WaitForExitAsync() == 0, get.Output);
        long fetched = EzioCli.FetchedBytes(get);
        Assert.True(fetched <= size / 10, $"Fetched {fetched} bytes for 13 changed pieces.\n{get.Output}");
        Assert.True(fetched >= 13L * pieceSize, $"Fetched only {fetched} bytes; 13 pieces were wrong.\n{get.Output}");

        Assert.True(device.ReadAll().AsSpan().SequenceEqual(image), "The target differs from the image.");
        var (verify, verifyRun) = await EzioCli.RunAsync("verify", torrent, device.Path);
        using (verifyRun)
        {
            Assert.True(verify == 0, verifyRun.Output);
        }
    }

    private static string WriteImage(string path, long size, ulong seed)
    {
        var block = new byte[4 << 20];
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        for (long offset = 0; offset < size; offset += block.Length)
        {
            Hashing.FillRandom(block, seed + (ulong)offset);
            file.Write(block, 0, (int)Math.Min(block.Length, size - offset));
        }

        return path;
    }
}
