using Ezio.Agent.Disks;
using Ezio.Agent.Server;
using Ezio.BitTorrent.Metainfo;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Ezio.Storage;

namespace Ezio.Agent.Modes;

/// <summary>
/// Everything that must hold before the first byte is written: the job is signed by the
/// trusted key (when the live image carries one) and meant for this machine, the torrent is
/// the one the job names, and the target disk is the job's, big enough, fixed, not the boot
/// medium and not in use. Any failure is a <see cref="JobRefusedException"/>.
/// </summary>
internal sealed class CheckingMode : Mode
{
    public override DeployPhase Phase => DeployPhase.Checking;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        context.Enter(DeployPhase.Checking, "checking the job and the target disk");
        CheckJob(job, context.Mac!, context.Options, context.Time.GetUtcNow(), Machine.OwnMacs());

        var torrent = await FetchTorrentAsync(context, job, cancellationToken).ConfigureAwait(false);
        context.Torrent = torrent;
        if (MultiDiskJob.Check(context, job, torrent))
        {
            context.Status.SetRefusal(null);
            return new PartitioningMode();
        }

        var mountInfo = ReadText("/proc/self/mountinfo");
        // The job's table says; else the torrent of an Ezio image does (its bytes hold the table).
        var sectorSize = PartitioningMode.SectorSize(job.PartitionTable) is > 0 and var tableSectorSize ? tableSectorSize : torrent.LogicalSectorSize ?? 0;
        // A job that lays the disk out anew needs only the image's minimum.
        Disk disk;
        try
        {
            disk = DiskCheck.Select(job.TargetDisk, job.Resize?.MinimumDiskSize ?? job.ImageSizeBytes, context.Options.Disk, context.Inventory.List(),
                ResolveDiskName, sectorSize, mountInfo);
        }
        catch (JobRefusedException e) when (e.Reason == RefusalReason.TooSmall && job.Resize is { } resize)
        {
            // Name the disk the rule picks and both sizes in bytes; when the rule picks none, the first word stands.
            Disk named;
            try
            {
                named = DiskCheck.Select(job.TargetDisk, 0, context.Options.Disk, context.Inventory.List(), ResolveDiskName, sectorSize, mountInfo);
            }
            catch (JobRefusedException)
            {
                throw e;
            }
            throw new JobRefusedException(RefusalReason.TooSmall, ResizeJob.TooSmall(named.Path, named.SizeBytes, resize));
        }
        DiskCheck.CheckNotInUse(disk, mountInfo, ReadText("/proc/swaps"));
        context.Disk = disk;
        context.Status.SetJob(job.Image, disk.Describe());
        AgentLog.DiskChosen(context.Logger, disk.Path, disk.Describe());
        if (job.Resize is not null)
        {
            context.Layout = ResizeJob.Plan(job, disk, sectorSize);
            AgentLog.LaidOut(context.Logger, disk.Path, string.Join(", ", context.Layout.Select(p =>
                $"{p.Number}: {p.Start}+{p.Size}{(p.Moved ? $" (was {p.SourceStart}+{p.SourceSize})" : "")}")));
        }

        TrialOpen(disk, torrent, sectorSize, context.Layout);
        context.Status.SetRefusal(null);
        return new PartitioningMode();
    }

    /// <summary>
    /// A trial open runs the storage layer's own checks (exclusive claim, extents inside the
    /// device) and writes nothing; the real open happens after partitioning. The device's
    /// logical sector size (BLKSSZGET) must be the image's before any table is written.
    /// </summary>
    internal static void TrialOpen(Disk disk, Torrent torrent, int imageSectorSize, IReadOnlyList<PlacedPartition>? layout = null)
    {
        try
        {
            using var trial = layout is null ? TargetStorage.Open(disk.Path, torrent, StorageLayout.Auto)
                : TargetStorage.OpenRelocated(disk.Path, torrent, layout, imageSectorSize);
            // sysfs said so already; the ioctl on the opened device is the word that counts.
            if (imageSectorSize > 0 && trial is RawTargetStorage { IsBlockDevice: true } raw && raw.SectorSize != imageSectorSize)
            {
                throw new JobRefusedException(RefusalReason.SectorSize, DiskCheck.SectorSizeMismatch(disk.Path, raw.SectorSize, imageSectorSize));
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
            throw new JobRefusedException(reason, $"{disk.Path}: {e.Message}");
        }
    }

    /// <summary>
    /// Signature, machine, age and job name: the checks that need nothing but the job, made
    /// before anything touches the disk. <paramref name="ownMacs"/> are this machine's network
    /// interfaces; a MAC given explicitly (--mac, ezio.mac) is the operator's word and counts too.
    /// </summary>
    internal static void CheckJob(Job job, string mac, AgentOptions options, DateTimeOffset now, IReadOnlyCollection<string> ownMacs)
    {
        if (File.Exists(options.TrustedKey))
        {
            if (string.IsNullOrEmpty(job.Signature))
            {
                throw new JobRefusedException(RefusalReason.Unsigned, $"the job is unsigned and this live image trusts only jobs signed with {options.TrustedKey}");
            }
            if (!JobSigner.Verify(job, File.ReadAllText(options.TrustedKey)))
            {
                throw new JobRefusedException(RefusalReason.BadSignature, $"the job's signature does not verify with {options.TrustedKey}");
            }
        }
        if (!MacAddress.TryNormalize(job.Mac, out var jobMac) || jobMac != mac)
        {
            throw new JobRefusedException(RefusalReason.WrongMachine, $"the job is for {job.Mac}, this machine is {mac}");
        }
        if (!ownMacs.Contains(jobMac) && !(MacAddress.TryNormalize(options.Mac, out var configured) && configured == jobMac))
        {
            throw new JobRefusedException(RefusalReason.WrongMachine, $"the job is for {job.Mac}, which none of this machine's interfaces has ({string.Join(", ", ownMacs)})");
        }
        if (job.IssuedAt < now - TimeSpan.FromHours(options.JobMaxAgeHours))
        {
            throw new JobRefusedException(RefusalReason.Expired, $"the job was issued at {job.IssuedAt:u}, more than {options.JobMaxAgeHours:0.#} h before this machine's clock ({now:u})");
        }
        if (job.IssuedAt > now + TimeSpan.FromSeconds(options.JobClockSkewSeconds))
        {
            throw new JobRefusedException(RefusalReason.FutureDated, $"the job was issued at {job.IssuedAt:u}, later than this machine's clock allows ({now:u} + {options.JobClockSkewSeconds:0} s)");
        }
        if (options.Job is { Length: > 0 } expected && expected != job.Image && expected != job.DeploymentId)
        {
            throw new JobRefusedException(RefusalReason.WrongJob, $"this machine was booted for job '{expected}', the server offers '{job.Image}' ({job.DeploymentId})");
        }
        if (job.ImageSizeBytes <= 0)
        {
            throw new JobRefusedException(RefusalReason.BadTorrent, "the job gives no image size");
        }
        if (PartitioningMode.SectorSize(job.PartitionTable) is < 0 or (> 0 and not (512 or 1024 or 2048 or 4096)))
        {
            throw new JobRefusedException(RefusalReason.BadTorrent, "the job's partition table gives no usable sector-size");
        }
        if (job.Resize is not null && (job.Disks is not null || PartitioningMode.SectorSize(job.PartitionTable) <= 0))
        {
            throw new JobRefusedException(RefusalReason.BadTorrent, "the job asks for a new layout but has no single partition table to lay out");
        }
    }

    private static async Task<Torrent> FetchTorrentAsync(AgentContext context, Job job, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var bytes = await context.Server.GetTorrentAsync(job.TorrentUrl, cancellationToken).ConfigureAwait(false);
                var torrent = Torrent.Parse(bytes);
                if (!string.Equals(torrent.InfoHash.ToString(), job.InfoHash, StringComparison.OrdinalIgnoreCase))
                {
                    throw new JobRefusedException(RefusalReason.BadTorrent, $"the torrent's info-hash {torrent.InfoHash} is not the job's {job.InfoHash}");
                }
                if (MismatchWithImageSize(torrent, job.ImageSizeBytes) is { } mismatch)
                {
                    throw new JobRefusedException(RefusalReason.BadTorrent, mismatch);
                }
                return torrent;
            }
            catch (TorrentFormatException e)
            {
                throw new JobRefusedException(RefusalReason.BadTorrent, $"the job's torrent is malformed: {e.Message}");
            }
            catch (ServerUnavailableException e) when (attempt < 5)
            {
                var delay = context.Backoff(attempt);
                context.Status.SetError($"cannot fetch the torrent: {e.Message} (retry in {delay.TotalSeconds:0} s)");
                await context.DelayAsync(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Why the torrent does not describe an image of <paramref name="imageSizeBytes"/>, or null
    /// when it does. A plain torrent is the image itself, so the lengths must match. A torrent
    /// in the offset layout (an Ezio or Clonezilla image) holds only the used extents of the
    /// disk: its length is smaller, and what must hold is that its last extent ends on the disk.
    /// </summary>
    internal static string? MismatchWithImageSize(Torrent torrent, long imageSizeBytes)
    {
        ExtentMap? map;
        try
        {
            OffsetLayout.TryCreate(torrent.Files, out map);
        }
        catch (TargetRefusedException e)
        {
            return $"the torrent's extents are unusable: {e.Message}";
        }
        if (map is null)
        {
            return torrent.TotalLength == imageSizeBytes ? null : $"the torrent holds {torrent.TotalLength} bytes, the job says {imageSizeBytes}";
        }
        // A multi-disk torrent's extents reach past 2^56: each disk is checked against its own size (MultiDiskJob).
        return map.TargetEnd <= imageSizeBytes || map.TargetEnd > MultiDiskLayout.DiskBase(1) ? null : $"the torrent's extents end at byte {map.TargetEnd}, past the job's image size {imageSizeBytes}";
    }

    /// <summary>/dev/disk/by-path/x, /dev/sda or /dev/loop3 → kernel name of a whole disk; null otherwise.</summary>
    internal static string? ResolveDiskName(string path)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            return null;
        }
        var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        var name = Path.GetFileName(target);
        return Directory.Exists(Path.Combine("/sys/block", name)) ? name : null;
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
