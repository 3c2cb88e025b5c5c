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
    SectorSize,
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
    /// <param name="imageSectorSize">The image's logical sector size, or 0 when the image carries no partition table.</param>
    /// <param name="mountInfo">/proc/self/mountinfo, to pass over the disk the live system runs from.</param>
    public static Disk Select(TargetDiskRule rule, long imageSize, string localDisk, IReadOnlyList<Disk> disks, Func<string, string?> resolveLocal,
        int imageSectorSize = 0, string mountInfo = "")
    {
        Disk? pinned = null;
        if (!string.Equals(localDisk, "auto", StringComparison.OrdinalIgnoreCase))
        {
            var name = resolveLocal(localDisk)
                ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"ezio.disk={localDisk} is not a whole disk on this machine ({Seen(disks)})");
            pinned = disks.FirstOrDefault(d => d.Name == name)
                ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"ezio.disk={localDisk} ({name}) is not in the disk inventory ({Seen(disks)})");
        }
        Disk chosen;
        switch (rule.Kind)
        {
            case TargetDiskKind.ByPath:
                var byPathName = resolveLocal(rule.Value ?? "");
                chosen = disks.FirstOrDefault(d => d.ByPath == rule.Value || (byPathName is not null && d.Name == byPathName))
                    ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"the job names {rule.Value}, which does not exist here ({Seen(disks)})");
                break;
            case TargetDiskKind.Serial:
                chosen = disks.FirstOrDefault(d => d.Serial is not null && string.Equals(d.Serial, rule.Value, StringComparison.Ordinal))
                    ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"the job names the disk with serial {rule.Value}, which is not here ({Seen(disks)})");
                break;
            case TargetDiskKind.Wwn:
                var wwn = NormalizeWwn(rule.Value);
                chosen = disks.FirstOrDefault(d => d.Wwn is not null && wwn.Length > 0 && NormalizeWwn(d.Wwn) == wwn)
                    ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"the job names the disk with WWN {rule.Value}, which is not here ({Seen(disks)})");
                break;
            default:
                if (pinned is not null)
                {
                    chosen = pinned;
                    break;
                }
                chosen = PickAuto(imageSize, imageSectorSize, disks, mountInfo);
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
        if (chosen.IsExternal && !rule.AllowRemovable)
        {
            throw new JobRefusedException(RefusalReason.Removable, $"{chosen.Path} is {External(chosen)} and the job does not allow removable disks");
        }
        if (chosen.ReadOnly)
        {
            throw new JobRefusedException(RefusalReason.ReadOnly, $"{chosen.Path} is read-only");
        }
        if (imageSectorSize > 0 && chosen.LogicalSectorSize != imageSectorSize)
        {
            throw new JobRefusedException(RefusalReason.SectorSize, SectorSizeMismatch(chosen.Path, chosen.LogicalSectorSize, imageSectorSize));
        }
        return chosen;
    }

    /// <summary>"/dev/sda has 4096-byte logical sectors but the image's partition table counts 512-byte sectors".</summary>
    internal static string SectorSizeMismatch(string path, int diskSectorSize, int imageSectorSize) =>
        $"{path} has {diskSectorSize}-byte logical sectors but the image's partition table counts {imageSectorSize}-byte sectors: " +
        "every partition would land at the wrong place";

    /// <summary>
    /// The "auto" rule: the one disk that is not virtual, external (USB, SD/MMC, FireWire,
    /// removable), the live medium or read-only, is large enough and has the image's sector
    /// size. A refusal lists every disk seen and why it was passed over.
    /// </summary>
    private static Disk PickAuto(long imageSize, int imageSectorSize, IReadOnlyList<Disk> disks, string mountInfo)
    {
        var verdicts = disks.Select(d => (Disk: d, Why: PassOver(d, imageSize, imageSectorSize, mountInfo))).ToList();
        var candidates = verdicts.Where(v => v.Why is null).Select(v => v.Disk).ToList();
        var passedOver = string.Join("; ", verdicts.Where(v => v.Why is not null).Select(v => $"{v.Disk.Describe()}: {v.Why}"));
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new JobRefusedException(RefusalReason.NoSuchDisk,
                $"no disk can take the image ({Gib(imageSize)}{(imageSectorSize > 0 ? $", {imageSectorSize}-byte sectors" : "")}): " +
                (disks.Count == 0 ? "no disks seen" : passedOver) + "; name a disk with ezio.disk or the job's rule"),
            _ => throw new JobRefusedException(RefusalReason.AmbiguousDisk,
                $"{candidates.Count} disks could take the image ({string.Join("; ", candidates.Select(d => d.Describe()))})" +
                (passedOver.Length == 0 ? "" : $", passed over: {passedOver}") + "; name one with ezio.disk or the job's rule"),
        };
    }

    /// <summary>Why "auto" does not take <paramref name="disk"/>, or null when it could.</summary>
    private static string? PassOver(Disk disk, long imageSize, int imageSectorSize, string mountInfo)
    {
        if (disk.IsVirtual)
        {
            return "a virtual device";
        }
        if (BootMount(disk, mountInfo) is { } mountPoint)
        {
            return $"the live system's medium (mounted on {mountPoint})";
        }
        if (disk.IsExternal)
        {
            return External(disk);
        }
        if (disk.ReadOnly)
        {
            return "read-only";
        }
        if (disk.SizeBytes < imageSize)
        {
            return $"too small (the image needs {Gib(imageSize)})";
        }
        if (imageSectorSize > 0 && disk.LogicalSectorSize != imageSectorSize)
        {
            return $"{disk.LogicalSectorSize}-byte sectors, the image has {imageSectorSize}-byte sectors";
        }
        return null;
    }

    private static string External(Disk disk) => disk.Transport switch
    {
        "usb" => "on USB",
        "mmc" => "an SD/MMC card",
        "firewire" => "on FireWire",
        _ => "removable",
    };

    /// <summary>"disks seen: /dev/sda, 60.0 GiB; /dev/sdb, 931.5 GiB, usb".</summary>
    private static string Seen(IReadOnlyList<Disk> disks) =>
        disks.Count == 0 ? "no disks seen" : "disks seen: " + string.Join("; ", disks.Select(d => d.Describe()));

    /// <summary>
    /// A WWN as sysfs (naa.5000c500a1b2c3d4), udev (0x5000c500a1b2c3d4) or a by-id link
    /// (/dev/disk/by-id/wwn-0x5000c500a1b2c3d4) spells it, reduced to lowercase hex digits
    /// and the rest of the identifier so the three forms compare equal.
    /// </summary>
    internal static string NormalizeWwn(string? value)
    {
        var text = (value ?? "").Trim().ToLowerInvariant();
        if (text.StartsWith("/dev/disk/by-id/", StringComparison.Ordinal))
        {
            text = text["/dev/disk/by-id/".Length..];
        }
        foreach (var prefix in (string[])["wwn-", "naa.", "eui.", "0x"])
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                text = text[prefix.Length..];
            }
        }
        return text;
    }

    /// <summary>The boot mount point a partition (or the whole) of <paramref name="disk"/> is mounted on, or null.</summary>
    private static string? BootMount(Disk disk, string mountInfo)
    {
        var devices = new HashSet<string>(disk.Partitions, StringComparer.Ordinal) { disk.Device };
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length >= 5 && devices.Contains(fields[2]))
            {
                var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
                if (s_bootMountPoints.Contains(mountPoint))
                {
                    return mountPoint;
                }
            }
        }
        return null;
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
