using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Disks;

/// <summary>Why a job was refused before anything was written.</summary>
internal enum RefusalReason
{
    Unsigned,
    BadSignature,
    WrongMachine,
    WrongJob,
    NoSuchDisk,
    AmbiguousDisk,
    WrongDisk,
    TooSmall,
    Removable,
    ReadOnly,
    BootMedium,
    Mounted,
    InUse,
    BadTorrent,

    /// <summary>Issued longer ago than the agent's window (JobMaxAgeHours): an old job replayed.</summary>
    Expired,

    /// <summary>Issued later than this machine's clock allows (JobClockSkewSeconds).</summary>
    FutureDated,
}

/// <summary>A refusal: the reason code (stable, for the server and the journal) and a sentence.</summary>
internal sealed class JobRefusedException(RefusalReason reason, string message) : Exception(message)
{
    public RefusalReason Reason { get; } = reason;

    /// <summary>"too-small: /dev/sdb holds 8 GiB but the image needs 20 GiB", as reported to the server.</summary>
    public string ReportText => Kebab(Reason) + ": " + Message;

    private static string Kebab(RefusalReason reason)
    {
        var name = reason.ToString();
        var b = new System.Text.StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                b.Append('-');
            }
            b.Append(char.ToLowerInvariant(name[i]));
        }
        return b.ToString();
    }
}

/// <summary>
/// Picks the disk a job names and checks it is safe to write. Pure apart from the inventory
/// and mount table it is given, so every refusal is unit-testable.
/// </summary>
internal static class DiskCheck
{
    /// <summary>Mount points that mean "the live system runs from this disk".</summary>
    private static readonly string[] s_bootMountPoints = ["/", "/run/live/medium", "/lib/live/mount/medium", "/run/initramfs/live", "/boot", "/boot/efi"];

    /// <param name="localDisk">ezio.disk: "auto" or a device path the operator pinned at boot.</param>
    /// <param name="resolveLocal">Maps that path to a kernel disk name (follows symlinks); null when not a whole disk.</param>
    public static Disk Select(TargetDiskRule rule, long imageSize, string localDisk, IReadOnlyList<Disk> disks, Func<string, string?> resolveLocal)
    {
        Disk? pinned = null;
        if (!string.Equals(localDisk, "auto", StringComparison.OrdinalIgnoreCase))
        {
            var name = resolveLocal(localDisk)
                ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"ezio.disk={localDisk} is not a whole disk on this machine");
            pinned = disks.FirstOrDefault(d => d.Name == name)
                ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"ezio.disk={localDisk} ({name}) is not in the disk inventory");
        }
        Disk chosen;
        switch (rule.Kind)
        {
            case TargetDiskKind.ByPath:
                var byPathName = resolveLocal(rule.Value ?? "");
                chosen = disks.FirstOrDefault(d => d.ByPath == rule.Value || (byPathName is not null && d.Name == byPathName))
                    ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"the job names {rule.Value}, which does not exist here");
                break;
            case TargetDiskKind.Serial:
                chosen = disks.FirstOrDefault(d => d.Serial is not null && string.Equals(d.Serial, rule.Value, StringComparison.Ordinal))
                    ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"the job names the disk with serial {rule.Value}, which is not here");
                break;
            default:
                if (pinned is not null)
                {
                    chosen = pinned;
                    break;
                }
                var candidates = disks.Where(d => !d.IsVirtual && !d.Removable && !d.ReadOnly && d.SizeBytes >= imageSize).ToList();
                chosen = candidates.Count switch
                {
                    1 => candidates[0],
                    0 => throw new JobRefusedException(RefusalReason.NoSuchDisk,
                        $"no non-removable disk of at least {Gib(imageSize)} (disks: {string.Join("; ", disks.Select(d => d.Describe()))})"),
                    _ => throw new JobRefusedException(RefusalReason.AmbiguousDisk,
                        $"{candidates.Count} disks could take the image ({string.Join("; ", candidates.Select(d => d.Path))}); name one with ezio.disk or the job's rule"),
                };
                break;
        }
        if (pinned is not null && pinned.Name != chosen.Name)
        {
            throw new JobRefusedException(RefusalReason.WrongDisk, $"the job names {chosen.Path} but this machine was booted with ezio.disk={localDisk} ({pinned.Path})");
        }
        if (chosen.SizeBytes < imageSize)
        {
            throw new JobRefusedException(RefusalReason.TooSmall, $"{chosen.Path} holds {Gib(chosen.SizeBytes)} but the image needs {Gib(imageSize)}");
        }
        if (chosen.Removable && !rule.AllowRemovable)
        {
            throw new JobRefusedException(RefusalReason.Removable, $"{chosen.Path} is removable and the job does not allow removable disks");
        }
        if (chosen.ReadOnly)
        {
            throw new JobRefusedException(RefusalReason.ReadOnly, $"{chosen.Path} is read-only");
        }
        return chosen;
    }

    /// <summary>Refuses a disk the live system booted from, one with anything mounted, or one held by swap, LVM or md.</summary>
    public static void CheckNotInUse(Disk disk, string mountInfo, string swaps)
    {
        var devices = new HashSet<string>(disk.Partitions, StringComparer.Ordinal) { disk.Device };
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5 || !devices.Contains(fields[2]))
            {
                continue;
            }
            var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            if (s_bootMountPoints.Contains(mountPoint))
            {
                throw new JobRefusedException(RefusalReason.BootMedium, $"{disk.Path} is the medium the live system runs from (device {fields[2]} on {mountPoint})");
            }
            throw new JobRefusedException(RefusalReason.Mounted, $"{disk.Path} is in use: device {fields[2]} is mounted on {mountPoint}");
        }
        foreach (var line in swaps.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var name = line.Split(' ', 2)[0];
            var kernelName = Path.GetFileName(name);
            if (kernelName == disk.Name || (kernelName.StartsWith(disk.Name, StringComparison.Ordinal) && kernelName.Length > disk.Name.Length && disk.Partitions.Count > 0))
            {
                throw new JobRefusedException(RefusalReason.InUse, $"{disk.Path} is in use as swap ({name})");
            }
        }
        if (disk.Holders.Count > 0)
        {
            throw new JobRefusedException(RefusalReason.InUse, $"{disk.Path} is held by {string.Join(", ", disk.Holders)} (LVM, RAID or device-mapper)");
        }
    }

    internal static string Gib(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.0} GiB" : $"{bytes / (double)(1L << 20):0.0} MiB";
}
