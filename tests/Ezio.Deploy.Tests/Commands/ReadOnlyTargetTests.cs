using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>
/// `ezio verify` and `ezio seed` never change what they read (a short file once grew to the
/// torrent's length), and `ezio get` never turns a missing /dev path into a regular file.
/// </summary>
public sealed class ReadOnlyTargetTests
{
    private static readonly DateTime s_past = new(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    /// <summary>A 1 MiB file where the offset torrent of <see cref="GetOffsetLayoutTests.Image"/> wants 20 MiB and more.</summary>
    private static async Task<(string Torrent, string Target, byte[] Bytes)> ShortTargetAsync(TempDirectory scratch)
    {
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(GetOffsetLayoutTests.Image().WriteSlices(scratch.CreateSubdirectory("seed")), torrent, 256 * 1024);
        var bytes = new byte[1 << 20];
        Hashing.FillRandom(bytes, 11);
        string target = scratch["short.img"];
        File.WriteAllBytes(target, bytes);
        File.SetLastWriteTimeUtc(target, s_past);
        return (torrent, target, bytes);
    }

    private static void AssertUnchanged(string target, byte[] bytes)
    {
        Assert.Equal(bytes.Length, new FileInfo(target).Length);
        Assert.Equal(s_past, File.GetLastWriteTimeUtc(target));
        Assert.Equal(bytes, File.ReadAllBytes(target));
    }

    [DeployFact("ezio")]
    public async Task Verify_ShortFile_MissingPiecesBadFileUnchanged()
    {
        using var scratch = new TempDirectory();
        var (torrent, target, bytes) = await ShortTargetAsync(scratch);

        var (code, run) = await EzioCli.RunAsync("verify", torrent, target);
        using (run)
        {
            Assert.True(code == 1, run.Output);
            Assert.Contains("0 good, ", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("the pieces past its end count as bad", run.Stderr, StringComparison.Ordinal);
        }
        AssertUnchanged(target, bytes);
    }

    [DeployFact("ezio")]
    public async Task Seed_ShortFile_RefusedFileUnchanged()
    {
        using var scratch = new TempDirectory();
        var (torrent, target, bytes) = await ShortTargetAsync(scratch);

        var (code, run) = await EzioCli.RunAsync("seed", torrent, target, "--port", "0");
        using (run)
        {
            Assert.True(code == 1, run.Output);
            Assert.Contains("does not match the torrent", run.Stderr, StringComparison.Ordinal);
        }
        AssertUnchanged(target, bytes);
    }

    [DeployFact("ezio,losetup")]
    public async Task Get_ImageOf512ByteSectorsOnto4KnDevice_RefusedNothingWritten()
    {
        using var scratch = new TempDirectory();
        string plain = scratch["plain.torrent"];
        await EzioCli.CreateTorrentAsync(GetOffsetLayoutTests.Image().WriteSlices(scratch.CreateSubdirectory("seed")), plain, 256 * 1024);
        // What an Ezio image's torrent says beside its info dictionary (the info-hash stays).
        string torrent = scratch["t.torrent"];
        File.WriteAllBytes(torrent, WithSectorSize(File.ReadAllBytes(plain), 512));
        using var device = LoopDevice.Create(scratch["disk.img"], 64 << 20, Pattern.Fill, sectorSize: 4096);

        string before = device.Sha256();
        using var get = EzioCli.Start("get", torrent, device.Path, "--port", "0", "--seed-after", "none", "--peer", "127.0.0.1:9");
        int code = await get.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code != 0, $"ezio get accepted a 4Kn device.\n{get.Output}");
        string[] lines = EzioCli.StderrLines(get);
        Assert.True(lines.Length == 1, get.Output);
        Assert.Contains("4096-byte logical sectors", lines[0], StringComparison.Ordinal);
        Assert.Contains("512-byte sectors", lines[0], StringComparison.Ordinal);
        Assert.Equal(before, device.Sha256());
    }

    /// <summary>The torrent with "ezio logical sector size" added before its info dictionary (keys stay sorted).</summary>
    private static byte[] WithSectorSize(byte[] torrent, int sectorSize)
    {
        byte[] marker = "4:infod"u8.ToArray();
        int at = torrent.AsSpan().IndexOf(marker);
        Assert.True(at > 0);
        byte[] key = System.Text.Encoding.ASCII.GetBytes($"24:ezio logical sector sizei{sectorSize}e");
        return [.. torrent.AsSpan(0, at), .. key, .. torrent.AsSpan(at)];
    }

    [DeployFact("ezio")]
    public async Task Get_MissingPathUnderDev_RefusedNothingCreated()
    {
        using var scratch = new TempDirectory();
        // A plain single-file torrent: the case that left a 20 MB file in /dev.
        string source = scratch["image.bin"];
        var data = new byte[3 << 20];
        Hashing.FillRandom(data, 5);
        File.WriteAllBytes(source, data);
        string torrent = scratch["image.torrent"];
        await EzioCli.CreateTorrentAsync(source, torrent, 256 * 1024);
        string target = "/dev/loop-ezio-" + Guid.NewGuid().ToString("N")[..8] + "p1";

        using var get = EzioCli.Start("get", torrent, target, "--port", "0", "--seed-after", "none", "--peer", "127.0.0.1:9");
        int code = await get.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code != 0, $"ezio get accepted {target}.\n{get.Output}");
        string[] lines = EzioCli.StderrLines(get);
        Assert.True(lines.Length == 1, get.Output);
        Assert.Contains(target, lines[0], StringComparison.Ordinal);
        Assert.Contains("does not exist", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("complete", get.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }
}
