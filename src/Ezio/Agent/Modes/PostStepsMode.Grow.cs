using System.Globalization;
using Ezio.Agent.Disks;

namespace Ezio.Agent.Modes;

internal sealed partial class PostStepsMode
{
    /// <summary>
    /// Grows the partition that ends last to the end of the disk with <c>sfdisk -N</c> (type,
    /// UUID and attributes stay), then its filesystem: ext2/3/4 with e2fsck + resize2fs, NTFS
    /// with ntfsresize, XFS and btrfs mounted with their own tools when installed, an LVM2
    /// physical volume with pvresize (its logical volumes keep their sizes). Any other
    /// filesystem keeps its size inside the larger partition. A GPT's backup header was moved
    /// to the real end before seeding (<see cref="VerifyingMode"/>), so "lastlba" is the real limit.
    /// </summary>
    private static async Task<StepOutcome> GrowLastPartitionAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var disk = context.Disk!;
        var table = await ReadTableAsync(disk.Path, cancellationToken).ConfigureAwait(false);
        var plan = table.GrowLast(disk.SizeBytes, out var why);
        if (plan.Count == 0)
        {
            return new StepOutcome(false, why);
        }
        foreach (var resize in plan)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"{resize.Start},{resize.NewSize}\n");
            await RequireAsync("sfdisk", ["-N", resize.Number.ToString(CultureInfo.InvariantCulture), "--force", "--no-reread", "--no-tell-kernel", disk.Path],
                TimeSpan.FromSeconds(60), cancellationToken, line).ConfigureAwait(false);
        }
        await PartitioningMode.RereadAsync(context, disk.Path, cancellationToken).ConfigureAwait(false);

        var target = plan[^1];
        var grown = (await ReadTableAsync(disk.Path, cancellationToken).ConfigureAwait(false)).Partitions.FirstOrDefault(p => p.Number == target.Number);
        if (grown is null || grown.Start != target.Start || grown.Size != target.NewSize)
        {
            throw new InvalidOperationException($"partition {target.Number} of {disk.Path} does not have the size written ({target.NewSize} sectors) after sfdisk");
        }
        var sectorSize = table.SectorSize;
        var partitionText = $"partition {grown.Number} grown from {Mib(target.OldSize * sectorSize)} to {Mib(grown.Size * sectorSize)}";
        var kind = FilesystemProbe.Detect(disk.Path, grown.Start * sectorSize, grown.Size * sectorSize);
        if (kind is not (FilesystemKind.Ext or FilesystemKind.Ntfs or FilesystemKind.Xfs or FilesystemKind.Btrfs or FilesystemKind.LvmPv))
        {
            return new StepOutcome(true, $"{partitionText}; filesystem {kind.ToString().ToLowerInvariant()} is not one this agent grows: it keeps its size");
        }
        await using var device = await PartitionDevice.OpenAsync(disk.Path, disk.Name, grown, sectorSize, cancellationToken).ConfigureAwait(false);
        var filesystemText = await GrowFilesystemAsync(kind, device.Path, cancellationToken).ConfigureAwait(false);
        return new StepOutcome(true, $"{partitionText}; {filesystemText} (on {device.Path}{(device.IsLoop ? ", a loop device over the partition" : "")})");
    }

    private static async Task<string> GrowFilesystemAsync(FilesystemKind kind, string device, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case FilesystemKind.Ext:
                // resize2fs insists on a freshly checked filesystem. e2fsck: 1 and 2 mean "errors corrected".
                await RequireAsync("e2fsck", ["-f", "-y", device], TimeSpan.FromMinutes(30), cancellationToken, worstAcceptedExit: 2).ConfigureAwait(false);
                await RequireAsync("resize2fs", [device], TimeSpan.FromMinutes(60), cancellationToken).ConfigureAwait(false);
                return "ext filesystem grown with resize2fs";
            case FilesystemKind.Ntfs:
                var ntfs = await CommandRunner.RunAsync("ntfsresize", ["--force", "--no-progress-bar", device], "y\n", TimeSpan.FromMinutes(60),
                    cancellationToken).ConfigureAwait(false);
                return ntfs.ExitCode switch
                {
                    0 => "NTFS grown with ntfsresize",
                    127 => "ntfsresize is not installed: the NTFS filesystem keeps its size",
                    _ => throw new InvalidOperationException($"ntfsresize failed (exit {ntfs.ExitCode}): {ntfs.Output}"),
                };
            case FilesystemKind.Xfs:
                return await GrowMountedAsync(device, "xfs_growfs", dir => [dir], cancellationToken).ConfigureAwait(false);
            case FilesystemKind.Btrfs:
                return await GrowMountedAsync(device, "btrfs", dir => ["filesystem", "resize", "max", dir], cancellationToken).ConfigureAwait(false);
            case FilesystemKind.LvmPv:
                return await GrowPhysicalVolumeAsync(device, cancellationToken).ConfigureAwait(false);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a filesystem the grow step handles");
        }
    }

    /// <summary>XFS and btrfs grow only while mounted.</summary>
    private static async Task<string> GrowMountedAsync(string device, string tool, Func<string, string[]> arguments, CancellationToken cancellationToken)
    {
        var (mounted, _, result) = await WithMountAsync(device, dir => CommandRunner.RunAsync(tool, arguments(dir), null, TimeSpan.FromMinutes(30), cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return result switch
        {
            _ when !mounted => $"cannot mount {device} to grow it: the filesystem keeps its size",
            { ExitCode: 127 } => $"{tool} is not installed: the filesystem keeps its size",
            { Ok: true } => $"filesystem grown with {tool}",
            { } r => throw new InvalidOperationException($"{tool} failed (exit {r.ExitCode}): {r.Output}"),
        };
    }

    /// <summary>
    /// Grows the PV's metadata to the partition: the VG gains free extents, no LV is extended
    /// (which one gets the room is the admin's choice). lvm2 sees this one device only, through
    /// the metadata on disk: no device-mapper, udev, devices file or activation are involved.
    /// </summary>
    private static async Task<string> GrowPhysicalVolumeAsync(string device, CancellationToken cancellationToken)
    {
        var config = $"devices {{ filter = [ \"a|^{device}$|\", \"r|.*|\" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 }} "
            + "activation { udev_sync = 0 udev_rules = 0 } global { activation = 0 }";
        var result = await CommandRunner.RunAsync("pvresize", ["--config", config, device], null, TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
        return result switch
        {
            { ExitCode: 127 } => "pvresize is not installed: the LVM physical volume keeps its size",
            { Ok: true } => "LVM physical volume grown with pvresize; its logical volumes keep their sizes (the volume group's new free extents are left to lvextend)",
            { } r => throw new InvalidOperationException($"pvresize {device} failed (exit {r.ExitCode}): {r.Output}"),
        };
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 20)} MiB");
}
