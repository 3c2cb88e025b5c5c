using System.Globalization;

namespace Ezio.Agent.Disks;

/// <summary>
/// A block device holding exactly one partition of a disk, for tools that want a device
/// (e2fsck, resize2fs, mount). The kernel's partition node (/dev/sda2) when it exists and
/// sysfs agrees with the table on start and size; otherwise a loop device over the
/// partition's byte range (<c>losetup --offset --sizelimit</c>), which is what a loop disk
/// without partition scanning, or a system without udev to create the nodes, needs.
/// Disposing detaches the loop device.
/// </summary>
internal sealed class PartitionDevice : IAsyncDisposable
{
    private readonly bool _ownsLoop;

    private PartitionDevice(string path, bool ownsLoop)
    {
        Path = path;
        _ownsLoop = ownsLoop;
    }

    public string Path { get; }

    /// <summary>True when a loop device stands in for the partition node.</summary>
    public bool IsLoop => _ownsLoop;

    public static async Task<PartitionDevice> OpenAsync(string disk, string diskName, Partition partition, int sectorSize,
        CancellationToken cancellationToken, string sysRoot = "/sys", string devRoot = "/dev")
    {
        var node = FindNode(diskName, partition, sectorSize, sysRoot, devRoot);
        if (node is not null)
        {
            // Data written through the whole disk is not in the partition node's own page
            // cache; anything cached there (udev probing after the re-read) is stale.
            await CommandRunner.RunAsync("blockdev", ["--flushbufs", node], null, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return new PartitionDevice(node, ownsLoop: false);
        }
        var offset = partition.Start * sectorSize;
        var size = partition.Size * sectorSize;
        var result = await CommandRunner.RunAsync("losetup", ["--find", "--show", "--offset", Invariant(offset), "--sizelimit", Invariant(size), disk],
            null, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var loop = result.Output.Trim();
        if (!result.Ok || !loop.StartsWith("/dev/", StringComparison.Ordinal))
        {
            throw new IOException($"cannot attach partition {partition.Number} of {disk} (losetup exit {result.ExitCode}): {result.Output}");
        }
        return new PartitionDevice(loop, ownsLoop: true);
    }

    /// <summary>The partition's /dev node when sysfs shows it with the table's start and size (512-byte units there).</summary>
    internal static string? FindNode(string diskName, Partition partition, int sectorSize, string sysRoot, string devRoot)
    {
        var dir = System.IO.Path.Combine(sysRoot, "block", diskName);
        if (!Directory.Exists(dir))
        {
            return null;
        }
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            if (ReadLong(System.IO.Path.Combine(sub, "partition")) != partition.Number)
            {
                continue;
            }
            var units = sectorSize / 512;
            var name = System.IO.Path.GetFileName(sub);
            var node = System.IO.Path.Combine(devRoot, name);
            var matches = ReadLong(System.IO.Path.Combine(sub, "start")) == partition.Start * units
                && ReadLong(System.IO.Path.Combine(sub, "size")) == partition.Size * units;
            return matches && File.Exists(node) ? node : null;
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsLoop)
        {
            await CommandRunner.RunAsync("losetup", ["--detach", Path], null, TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static long? ReadLong(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
