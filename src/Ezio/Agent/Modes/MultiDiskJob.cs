using Ezio.Agent.Disks;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Deployment.Contracts;
using Ezio.Storage;

namespace Ezio.Agent.Modes;

/// <summary>
/// The agent's part of multi-disk images (<see cref="MultiDiskLayout"/>): the check maps every
/// image disk to a disk of this machine (<see cref="DiskMapper"/>) and trial-opens them all
/// before anything is written; partitioning applies each disk's own table; the download
/// writes through one <see cref="MultiDiskStorage"/>; after the flush each GPT backup header
/// moves to its disk's end. The first disk is <see cref="AgentContext.Disk"/>, so the
/// post-steps (hostname, growing the last partition) work on it.
/// </summary>
internal static class MultiDiskJob
{
    private const int FrozenBytes = 1 << 20;

    /// <summary>Checks a multi-disk job and chooses its disks; false for a single-disk job (the usual check runs).</summary>
    public static bool Check(AgentContext context, Job job, Torrent torrent)
    {
        var count = DiskCount(torrent);
        if (count <= 1 && job.Disks is null)
        {
            return false;
        }
        if (job.Disks is null || job.Disks.Count != count)
        {
            throw new JobRefusedException(RefusalReason.BadTorrent,
                $"the torrent holds {count} disk{(count == 1 ? "" : "s")} but the job describes {job.Disks?.Count ?? 1}");
        }
        var parts = Split(torrent);
        for (var k = 0; k < count; k++)
        {
            if (parts[k].Map.TargetEnd > job.Disks[k].SizeBytes)
            {
                throw new JobRefusedException(RefusalReason.BadTorrent,
                    $"the torrent's extents of image disk {job.Disks[k].Name} end at byte {parts[k].Map.TargetEnd}, past its size {job.Disks[k].SizeBytes}");
            }
        }
        var mountInfo = ReadText("/proc/self/mountinfo");
        var disks = DiskMapper.Map(job.Disks, job.DiskMapping, context.Options.Disk, context.Inventory.List(), CheckingMode.ResolveDiskName,
            job.TargetDisk.AllowRemovable, mountInfo);
        var swaps = ReadText("/proc/swaps");
        foreach (var disk in disks)
        {
            DiskCheck.CheckNotInUse(disk, mountInfo, swaps);
        }
        context.Disk = disks[0];
        context.Disks = disks;
        context.Status.SetJob(job.Image, string.Join(" + ", disks.Select(d => d.Describe())));
        for (var k = 0; k < count; k++)
        {
            AgentLog.DiskChosen(context.Logger, disks[k].Path, $"image disk {job.Disks[k].Name}: {disks[k].Describe()}");
        }
        // Every target's own checks (exclusive claim, extents inside the device) before any write.
        try
        {
            using var storage = (MultiDiskStorage)OpenStorage(context)!;
            if (SectorSizeMismatch(job.Disks, storage.Targets.Select((t, k) => (disks[k].Path, t.IsBlockDevice, t.SectorSize)).ToList()) is { } mismatch)
            {
                throw new JobRefusedException(RefusalReason.WrongDisk, mismatch);
            }
        }
        catch (TargetRefusedException e)
        {
            var reason = e.Reason switch
            {
                TargetRefusalReason.Mounted => RefusalReason.Mounted,
                TargetRefusalReason.InUse => RefusalReason.InUse,
                TargetRefusalReason.ExtentPastEnd => RefusalReason.TooSmall,
                _ => RefusalReason.BadTorrent,
            };
            throw new JobRefusedException(reason, e.Message);
        }
        return true;
    }

    /// <summary>
    /// Why a target's logical sector size does not match its image disk's, or null: the table's
    /// start and size count sectors, so a 512-byte image on a 4Kn disk would land wrong.
    /// </summary>
    internal static string? SectorSizeMismatch(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<(string Path, bool IsBlockDevice, int SectorSize)> targets)
    {
        for (var k = 0; k < imageDisks.Count; k++)
        {
            if (targets[k].IsBlockDevice && imageDisks[k].LogicalSectorSize > 0 && targets[k].SectorSize != imageDisks[k].LogicalSectorSize)
            {
                return $"image disk {imageDisks[k].Name} has {imageDisks[k].LogicalSectorSize}-byte sectors but {targets[k].Path}, its target, has {targets[k].SectorSize}-byte sectors";
            }
        }
        return null;
    }

    /// <summary>The storage over every chosen disk, or null for a single-disk job.</summary>
    public static ITorrentStorage? OpenStorage(AgentContext context, RawTargetOptions? options = null) =>
        context.Disks is { Count: > 1 } disks ? MultiDiskStorage.Open(context.Torrent!, disks.Select(d => d.Path).ToList(), options) : null;

    /// <summary>sfdisk each disk's table (a marker per disk skips it after a restart), then the download.</summary>
    public static async Task<Mode?> PartitionAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        var disks = context.Disks!;
        context.Enter(DeployPhase.Partitioning, $"writing the partition tables of {disks.Count} disks");
        for (var k = 0; k < disks.Count; k++)
        {
            var table = job.Disks![k].PartitionTable;
            var disk = disks[k].Path;
            var marker = $"{PartitioningMode.MarkerPath(context.Options.StateDir, job)}-disk{k}";
            if (string.IsNullOrWhiteSpace(table) || (File.Exists(marker) && File.ReadAllText(marker).Trim() == disk))
            {
                continue;
            }
            var result = await CommandRunner.RunAsync("sfdisk", ["--force", "--no-reread", "--no-tell-kernel", disk], table,
                TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            if (!result.Ok)
            {
                AgentLog.CommandFailed(context.Logger, "sfdisk", disk, result.ExitCode, result.Output);
                throw new InvalidOperationException($"sfdisk could not write the partition table of image disk {job.Disks[k].Name} to {disk} (exit {result.ExitCode}): {result.Output}");
            }
            await PartitioningMode.RereadAsync(context, disk, cancellationToken).ConfigureAwait(false);
            AgentLog.Partitioned(context.Logger, disk, PartitioningMode.Label(table));
            Directory.CreateDirectory(context.Options.StateDir);
            await File.WriteAllTextAsync(marker, disk, cancellationToken).ConfigureAwait(false);
        }
        return new DownloadingMode();
    }

    /// <summary>
    /// Freezes the start of every disk's range of the torrent, then moves the GPT backup header
    /// of each disk larger than its image disk to its end. The job's image size is not the first
    /// disk's size here (it counts every disk's data), so the first disk is handled here too;
    /// <see cref="VerifyingMode"/> may run `sgdisk -e` on it again, which changes nothing.
    /// </summary>
    public static async Task MoveBackupHeadersAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (context.Disks is not { Count: > 1 } disks)
        {
            return;
        }
        var parts = Split(context.Torrent!);
        foreach (var part in parts)
        {
            context.Storage!.Freeze(part.TorrentStart, (int)Math.Min(FrozenBytes, part.Map.TorrentLength));
        }
        for (var k = 0; k < disks.Count; k++)
        {
            if (disks[k].SizeBytes > context.Job!.Disks![k].SizeBytes && VerifyingMode.IsGpt(disks[k].Path))
            {
                var result = await CommandRunner.RunAsync("sgdisk", ["-e", disks[k].Path], null, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
                if (!result.Ok)
                {
                    AgentLog.CommandFailed(context.Logger, "sgdisk -e", disks[k].Path, result.ExitCode, result.Output);
                }
                await PartitioningMode.RereadAsync(context, disks[k].Path, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static int DiskCount(Torrent torrent)
    {
        try
        {
            return MultiDiskLayout.DiskCount(torrent.Files);
        }
        catch (TargetRefusedException e)
        {
            throw new JobRefusedException(RefusalReason.BadTorrent, $"the torrent's extents are unusable: {e.Message}");
        }
    }

    private static IReadOnlyList<DiskPart> Split(Torrent torrent)
    {
        try
        {
            return MultiDiskLayout.Split(torrent.Files, torrent.TotalLength);
        }
        catch (TargetRefusedException e)
        {
            throw new JobRefusedException(RefusalReason.BadTorrent, $"the torrent's extents are unusable: {e.Message}");
        }
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
