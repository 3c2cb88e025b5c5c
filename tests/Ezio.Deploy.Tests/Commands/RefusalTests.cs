using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>
/// Targets `ezio get` must refuse before writing a byte: each case exits non-zero with one
/// clear line on stderr, and the target hashes the same before and after.
/// </summary>
public sealed class RefusalTests
{
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(30);

    [DeployFact("ezio,losetup")]
    public async Task Get_ExtentPastEndOfDevice_RefusesAndWritesNothing()
    {
        using var scratch = new TempDirectory();
        // The second extent ends 512 KiB past the end of a 32 MiB device.
        var image = SliceImage.Create("sda1", seed: 3, (0, 1 << 20), ((32 << 20) - (512 << 10), 1 << 20));
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(image.WriteSlices(scratch.CreateSubdirectory("seed")), torrent, 256 * 1024);
        using var device = LoopDevice.Create(scratch["disk.img"], 32 << 20, Pattern.Fill);

        string before = device.Sha256();
        await AssertRefusedAsync(torrent, device.Path, "needs at least");
        Assert.Equal(before, device.Sha256());
    }

    [DeployFact("ezio,losetup,mkfs.ext4,mount,umount")]
    public async Task Get_MountedDevice_RefusesAndWritesNothing()
    {
        using var scratch = new TempDirectory();
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(GetOffsetLayoutTests.Image().WriteSlices(scratch.CreateSubdirectory("seed")), torrent, 256 * 1024);
        using var device = LoopDevice.Create(scratch["disk.img"], 64 << 20, Pattern.Fill);
        // No lazy init: the kernel would otherwise zero inode tables in the background.
        Shell.Run(Tools.Require("mkfs.ext4"), "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", device.Path);
        string mountPoint = scratch.CreateSubdirectory("mnt");
        // Read-only and without the journal: mounted read-write, ext4 still writes to the
        // device on its own now and then (journal commits, superblock times), and the hashes
        // below would differ although `ezio get` wrote nothing. Mounted is mounted either way.
        Shell.Run("mount", "-o", "ro,noload", device.Path, mountPoint);
        try
        {
            string before = device.Sha256();
            await AssertRefusedAsync(torrent, device.Path, "mounted");
            Assert.Equal(before, device.Sha256());
        }
        finally
        {
            Shell.Run("umount", mountPoint);
        }
    }

    [DeployFact("ezio")]
    public async Task Get_DirectoryTargetForOffsetTorrent_RefusesAndWritesNothing()
    {
        using var scratch = new TempDirectory();
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(GetOffsetLayoutTests.Image().WriteSlices(scratch.CreateSubdirectory("seed")), torrent, 256 * 1024);
        string target = scratch.CreateSubdirectory("target");
        File.WriteAllText(Path.Combine(target, "keep"), "untouched");

        await AssertRefusedAsync(torrent, target, "directory");
        Assert.Equal(["keep"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal("untouched", File.ReadAllText(Path.Combine(target, "keep")));
    }

    [DeployFact("ezio")]
    public async Task Get_CharacterDevice_Refuses()
    {
        using var scratch = new TempDirectory();
        string torrent = scratch["t.torrent"];
        await EzioCli.CreateTorrentAsync(GetOffsetLayoutTests.Image().WriteSlices(scratch.CreateSubdirectory("seed")), torrent, 256 * 1024);

        await AssertRefusedAsync(torrent, "/dev/null", "character device");
    }

    /// <summary>`ezio get` must exit non-zero at once with exactly one stderr line naming the reason.</summary>
    private static async Task AssertRefusedAsync(string torrent, string target, string reason)
    {
        // A peer that is never contacted: the refusal comes before any network activity.
        using var get = EzioCli.Start("get", torrent, target, "--port", "0", "--seed-after", "none", "--peer", "127.0.0.1:9");
        int code = await get.WaitForExitAsync(RefusalTimeout);
        Assert.True(code != 0, $"ezio get accepted {target}.\n{get.Output}");
        string[] lines = EzioCli.StderrLines(get);
        Assert.True(lines.Length == 1, $"Expected one stderr line, got {lines.Length}.\n{get.Output}");
        Assert.StartsWith("ezio: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(target, lines[0], StringComparison.Ordinal);
        Assert.Contains(reason, lines[0], StringComparison.OrdinalIgnoreCase);
    }
}
