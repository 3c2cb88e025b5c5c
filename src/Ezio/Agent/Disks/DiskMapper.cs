using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Disks;

/// <summary>
/// Maps each disk of a multi-disk image to one disk of this machine, by the job's rule:
/// <see cref="DiskMapping.Order"/> (image disk k onto the k-th usable disk in kernel order),
/// <see cref="DiskMapping.Size"/> (largest image disk first, each onto the smallest usable
/// disk it fits) or <see cref="DiskMapping.Serial"/>; `ezio.disk=/dev/sda,/dev/sdb` pins the
/// targets in image order and wins over the rule. A machine with fewer usable disks than the
/// image, or a target too small, is refused naming the image's disks and the machine's, so
/// nothing is written. Pure apart from what it is given, like <see cref="DiskCheck"/>.
/// </summary>
internal static class DiskMapper
{
    public static IReadOnlyList<Disk> Map(IReadOnlyList<JobDisk> imageDisks, DiskMapping rule, string localDisk, IReadOnlyList<Disk> disks,
        Func<string, string?> resolveLocal)
    {
        List<Disk> chosen = !string.Equals(localDisk, "auto", StringComparison.OrdinalIgnoreCase)
            ? Pinned(imageDisks, localDisk, disks, resolveLocal)
            : rule switch
            {
                DiskMapping.Serial => BySerial(imageDisks, disks),
                DiskMapping.Size => BySize(imageDisks, disks),
                _ => ByOrder(imageDisks, disks),
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
        }
        if (chosen.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count() != chosen.Count)
        {
            throw new JobRefusedException(RefusalReason.AmbiguousDisk, $"one disk is named for two image disks ({string.Join(", ", chosen.Select(d => d.Path))})");
        }
        return chosen;
    }

    /// <summary>What "order" and "size" may choose: whole, fixed, writable, not virtual.</summary>
    internal static bool IsUsable(Disk disk) => !disk.IsVirtual && !disk.Removable && !disk.ReadOnly;

    private static List<Disk> ByOrder(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks)
    {
        var usable = Usable(disks);
        RefuseTooFew(imageDisks, disks, usable);
        return usable.Take(imageDisks.Count).ToList();
    }

    private static List<Disk> BySize(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks)
    {
        var usable = Usable(disks);
        RefuseTooFew(imageDisks, disks, usable);
        var chosen = new Disk[imageDisks.Count];
        foreach (var k in Enumerable.Range(0, imageDisks.Count).OrderByDescending(k => imageDisks[k].SizeBytes))
        {
            var fit = usable.Where(d => d.SizeBytes >= imageDisks[k].SizeBytes && !chosen.Contains(d)).MinBy(d => d.SizeBytes)
                ?? throw new JobRefusedException(RefusalReason.TooSmall,
                    $"no usable disk left for image disk {imageDisks[k].Name} ({DiskCheck.Gib(imageDisks[k].SizeBytes)}); {Describe(imageDisks, disks, usable)}");
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
    private static List<Disk> Usable(IReadOnlyList<Disk> disks) =>
        disks.Where(IsUsable).OrderBy(d => d.Name.Length).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();

    private static void RefuseTooFew(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks, List<Disk> usable)
    {
        if (usable.Count < imageDisks.Count)
        {
            throw new JobRefusedException(RefusalReason.NoSuchDisk, Describe(imageDisks, disks, usable));
        }
    }

    private static string Describe(IReadOnlyList<JobDisk> imageDisks, IReadOnlyList<Disk> disks, List<Disk> usable)
    {
        var passedOver = disks.Where(d => !usable.Contains(d))
            .Select(d => $"{d.Path} ({(d.IsVirtual ? "virtual" : d.Removable ? "removable" : "read-only")})").ToList();
        return $"the image holds {imageDisks.Count} disks ({Names(imageDisks)}) but this machine has {usable.Count} usable " +
            $"({(usable.Count == 0 ? "none" : string.Join("; ", usable.Select(d => d.Describe())))})" +
            (passedOver.Count == 0 ? "" : $"; passed over: {string.Join(", ", passedOver)}");
    }

    private static string Names(IReadOnlyList<JobDisk> imageDisks) =>
        string.Join(", ", imageDisks.Select(d => $"{d.Name} {DiskCheck.Gib(d.SizeBytes)}"));

    private static string Rule(DiskMapping rule, string localDisk) =>
        string.Equals(localDisk, "auto", StringComparison.OrdinalIgnoreCase) ? rule.ToString().ToLowerInvariant() : "ezio.disk";
}
