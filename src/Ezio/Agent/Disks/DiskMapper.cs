using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Disks;

/// <summary>
/// Maps each disk of a multi-disk image to one disk of this machine, by the job's rule:
/// <see cref="DiskMapping.Order"/> (image disk k onto the k-th usable disk in kernel order),
/// <see cref="DiskMapping.Size"/> (largest image disk first, each onto the smallest usable
/// disk it fits) or <see cref="DiskMapping.Serial"/>; `ezio.disk=/dev/sda,/dev/sdb` pins the
/// targets in image order and wins over the rule. "Usable" is what <see cref="DiskCheck"/>'s
/// "auto" rule would take: not virtual, not on USB, SD/MMC or FireWire nor removable, not the
/// live system's medium, writable; "size" fits only a disk of the image disk's sector size. A
/// machine with fewer usable disks than the image, a target too small, external (unless the job
/// allows removable disks) or of another logical sector size than its image disk is refused
/// naming the disks, so nothing is written. Pure apart from what it is given.
/// </summary>
internal static class DiskMapper
{
    /// <param name="allowRemovable">The job's <see cref="TargetDiskRule.AllowRemovable"/>: external disks may be targets.</param>
    /// <param name="mountInfo">/proc/self/mountinfo, to pass over the disk the live system runs from.</param>
    public static IReadOnlyList<Disk> Map(IReadOnlyList<JobDisk> imageDisks, DiskMapping rule, string localDisk, IReadOnlyList<Disk> disks,
        Func<string, string?> resolveLocal, bool allowRemovable = false, string mountInfo = "")
    {
        List<Disk> chosen = !string.Equals(localDisk, "auto", StringComparison.OrdinalIgnoreCase)
            ? Pinned(imageDisks, localDisk, disks, resolveLocal)
            : rule switch
            {
                DiskMapping.Serial => BySerial(imageDisks, disks),
                DiskMapping.Size => BySize(imageDisks, disks, mountInfo),
                _ => ByOrder(imageDisks, disks, mountInfo),
            };
        for (var k = 0; k < imageDisks.Count; k++)
        {
            var disk = chosen[k];
            if (disk.SizeBytes < imageDisks[k].SizeBytes)
            {
                throw new JobRefusedException(RefusalReason.TooSmall,
                    $"image disk {imageDisks[k].Name} needs {DiskCheck.Gib(imageDisks[k].SizeBytes)} but {disk.Path}, its target by {Rule(rule, localDisk)}, holds {DiskCheck.Gib(disk.SizeBytes)}");
            }
            if (disk.ReadOnly)
            {
                throw new JobRefusedException(RefusalReason.ReadOnly, $"{disk.Path} (for image disk {imageDisks[k].Name}) is read-only");
            }
            if (disk.IsExternal && !allowRemovable)
            {
                throw new JobRefusedException(RefusalReason.Removable,
                    $"{disk.Path} (for image disk {imageDisks[k].Name}) is {DiskCheck.External(disk)} and the job does not allow removable disks");
            }
            if (imageDisks[k].LogicalSectorSize > 0 && disk.LogicalSectorSize != imageDisks[k].LogicalSectorSize)
            {
                throw new JobRefusedException(RefusalReason.SectorSize,
                    $"image disk {imageDisks[k].Name}: " + DiskCheck.SectorSizeMismatch(disk.Path, disk.LogicalSectorSize, imageDisks[k].LogicalSectorSize));
            }
        }
        if (chosen.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count() != chosen.Count)
        {
            throw new JobRefusedException(RefusalReason.AmbiguousDisk, $"one disk is named for two image disks ({string.Join(", ", chosen.Select(d => d.Path))})");
        }
        return chosen;
    }

    /// <summary>What "order" and "size" may choose: whole, fixed, internal, writable, not virtual, not the live medium.</summary>
    internal static bool IsUsable(Disk disk, string mountInfo = "") => PassOver(disk, mountInfo) is null;

    /// <summary>Why "order" and "size" pass over <paramref name="disk"/>, or null.</summary>
    private static string? PassOver(Disk disk, string mountInfo) =>
        disk.IsVirtual ? "virtual"
        : DiskCheck.BootMount(disk, mountInfo) is { } mountPoint ? $"the live system's medium, mounted on {mountPoint}"
        : disk.IsExternal ? DiskCheck.External(disk)
        : disk.ReadOnly ? "read-only"
        : null;

    private static List<Disk> ByOrder(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks, string mountInfo)
    {
        var usable = Usable(disks, mountInfo);
        RefuseTooFew(imageDisks, disks, usable, mountInfo);
        return usable.Take(imageDisks.Count).ToList();
    }

    private static List<Disk> BySize(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks, string mountInfo)
    {
        var usable = Usable(disks, mountInfo);
        RefuseTooFew(imageDisks, disks, usable, mountInfo);
        var chosen = new Disk[imageDisks.Count];
        foreach (var k in Enumerable.Range(0, imageDisks.Count).OrderByDescending(k => imageDisks[k].SizeBytes))
        {
            var sectorSize = imageDisks[k].LogicalSectorSize;
            var fit = usable.Where(d => d.SizeBytes >= imageDisks[k].SizeBytes && (sectorSize <= 0 || d.LogicalSectorSize == sectorSize) && !chosen.Contains(d))
                .MinBy(d => d.SizeBytes)
                ?? throw new JobRefusedException(RefusalReason.TooSmall,
                    $"no usable disk left for image disk {imageDisks[k].Name} ({DiskCheck.Gib(imageDisks[k].SizeBytes)}" +
                    $"{(sectorSize > 0 ? $", {sectorSize}-byte sectors" : "")}); {Describe(imageDisks, disks, usable, mountInfo)}");
            chosen[k] = fit;
        }
        return [.. chosen];
    }

    private static List<Disk> BySerial(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks) =>
        imageDisks.Select(i => disks.FirstOrDefault(d => i.Serial is not null && string.Equals(d.Serial, i.Serial, StringComparison.Ordinal))
            ?? throw new JobRefusedException(RefusalReason.NoSuchDisk,
                $"image disk {i.Name} goes to the disk with serial {i.Serial ?? "(none given)"}, which is not here (disks: {string.Join("; ", disks.Select(d => d.Describe()))})"))
            .ToList();

    private static List<Disk> Pinned(IReadOnlyList<JobDisk> imageDisks, string localDisk, IReadOnlyList<Disk> disks, Func<string, string?> resolveLocal)
    {
        var paths = localDisk.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length != imageDisks.Count)
        {
            throw new JobRefusedException(RefusalReason.NoSuchDisk,
                $"the image holds {imageDisks.Count} disks ({Names(imageDisks)}) but ezio.disk={localDisk} names {paths.Length}: give one per image disk, comma-separated, in that order");
        }
        return paths.Select(p =>
        {
            var name = resolveLocal(p) ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"ezio.disk names {p}, which is not a whole disk on this machine");
            return disks.FirstOrDefault(d => d.Name == name)
                ?? throw new JobRefusedException(RefusalReason.NoSuchDisk, $"ezio.disk names {p} ({name}), which is not in the disk inventory");
        }).ToList();
    }

    /// <summary>Usable disks in kernel order: sdb before sdaa, nvme2n1 before nvme10n1.</summary>
    private static List<Disk> Usable(IReadOnlyList<Disk> disks, string mountInfo) =>
        disks.Where(d => IsUsable(d, mountInfo)).OrderBy(d => d.Name.Length).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();

    private static void RefuseTooFew(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks, List<Disk> usable, string mountInfo)
    {
        if (usable.Count < imageDisks.Count)
        {
            throw new JobRefusedException(RefusalReason.NoSuchDisk, Describe(imageDisks, disks, usable, mountInfo));
        }
    }

    private static string Describe(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks, List<Disk> usable, string mountInfo)
    {
        var passedOver = disks.Where(d => !usable.Contains(d))
            .Select(d => $"{d.Path} ({PassOver(d, mountInfo)})").ToList();
        return $"the image holds {imageDisks.Count} disks ({Names(imageDisks)}) but this machine has {usable.Count} usable " +
            $"({(usable.Count == 0 ? "none" : string.Join("; ", usable.Select(d => d.Describe())))})" +
            (passedOver.Count == 0 ? "" : $"; passed over: {string.Join(", ", passedOver)}");
    }

    private static string Names(IReadOnlyList<JobDisk> imageDisks) =>
        string.Join(", ", imageDisks.Select(d => $"{d.Name} {DiskCheck.Gib(d.SizeBytes)}"));

    private static string Rule(DiskMapping rule, string localDisk) =>
        string.Equals(localDisk, "auto", StringComparison.OrdinalIgnoreCase) ? rule.ToString().ToLowerInvariant() : "ezio.disk";
}
