using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>
/// The Clonezilla btzone fixture end to end: `ezio seed` serves the FSBT slices
/// (sda1/&lt;32-hex&gt;), `ezio get sda1.torrent /dev/loopN` writes them onto a 64 MiB loop device
/// standing in for the partition, and the result equals what `partclone.ext4 -r` restores from
/// the same file system's image, on every used block; e2fsck finds the file system clean.
/// </summary>
public sealed class BtzoneDeployTests
{
    private const long PartitionSize = 64 << 20;

    [DeployFact("ezio,losetup,zstd,tar,partclone.ext4,e2fsck")]
    public async Task Get_ClonezillaBtzoneOntoPartition_EqualsPartcloneRestore()
    {
        using var scratch = new TempDirectory();
        string torrent = Path.Combine(Tools.Fixtures, "sda1.torrent");
        string seedDir = scratch.CreateSubdirectory("btzone");
        Shell.Sh($"zstd -dc '{Tools.Fixtures}/sda1-fsbt-files.tar.zst' | tar -x -C '{seedDir}'");
        var extents = ReadTorrentInfo(Path.Combine(Tools.Fixtures, "sda1.torrent.info"));
        Assert.Equal(4, extents.Count);

        // The reference: partclone's own restore of the image the slices were cut from.
        string ptcl = scratch["fs.ptcl"];
        string reference = scratch["reference.img"];
        Shell.Sh($"zstd -qdc '{Tools.Fixtures}/fs.ptcl.zst' > '{ptcl}'");
        using (var file = File.Create(reference))
        {
            file.SetLength(PartitionSize);
        }

        Shell.Run(Tools.Require("partclone.ext4"), "-r", "-q", "-C", "-s", ptcl, "-O", reference);

        using var device = LoopDevice.Create(scratch["sda1.img"], PartitionSize, Pattern.Fill);
        int port = FreePort.Next();
        // The slice directory is a plain multi-file torrent for the seeder: --layout files.
        using var seeder = await EzioCli.StartSeedAsync(torrent, Path.Combine(seedDir, "sda1"), port, "--layout", "files");
        using var get = EzioCli.StartGetFrom(torrent, device.Path, port);
        Assert.True(await get.WaitForExitAsync() == 0, get.Output + seeder.Output);

        byte[] deployed = device.ReadAll();
        byte[] restored = File.ReadAllBytes(reference);
        long used = 0;
        long position = 0;
        foreach (var (offset, length) in extents)
        {
            Assert.True(deployed.AsSpan((int)offset, (int)length).SequenceEqual(restored.AsSpan((int)offset, (int)length)),
                $"Used blocks at 0x{offset:x}+0x{length:x} differ from partclone's restore.");
            long hole = Pattern.FirstMismatch(deployed.AsSpan((int)position, (int)(offset - position)), position);
            Assert.True(hole < 0, $"Free space written at 0x{hole:x}.");
            position = offset + length;
            used += length;
        }

        Assert.Equal(4881L * 4096, used);
        Assert.True(Pattern.FirstMismatch(deployed.AsSpan((int)position), position) < 0, "Free space after the last extent was written.");

        var fsck = Shell.TryRun(Tools.Require("e2fsck"), "-fn", device.Path);
        Assert.True(fsck.ExitCode == 0, $"e2fsck -fn exited {fsck.ExitCode}:\n{fsck.Stdout}{fsck.Stderr}");
    }

    /// <summary>The offset/length pairs of a partclone torrent.info (hex, in order).</summary>
    private static List<(long Offset, long Length)> ReadTorrentInfo(string path)
    {
        var offsets = new List<long>();
        var lengths = new List<long>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith("offset: ", StringComparison.Ordinal))
            {
                offsets.Add(Convert.ToInt64(line[8..], 16));
            }
            else if (line.StartsWith("length: ", StringComparison.Ordinal))
            {
                lengths.Add(Convert.ToInt64(line[8..], 16));
            }
        }

        return offsets.Zip(lengths).ToList();
    }
}
