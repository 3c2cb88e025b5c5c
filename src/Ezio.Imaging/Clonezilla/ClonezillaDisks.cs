namespace Ezio.Imaging.Clonezilla;

/// <summary>
/// The disks of a Clonezilla image directory. `ocs-sr savedisk NAME "sda sdb"` writes `disk` as
/// "sda sdb", one set of `&lt;disk&gt;-pt.sf`, `-mbr`, `-hidden-data-after-mbr`, `-gpt-*` per disk,
/// and one `parts` line naming the partitions of every disk ("sda1 sda2 sdb1"). Reading only the
/// first disk would drop the others while reporting success, so an image of several disks is read
/// whole or, when one disk is named, that disk alone.
/// </summary>
public static class ClonezillaDisks
{
    /// <summary>The disks named in the directory's `disk` file (none when it has no such file).</summary>
    public static string[] Read(string directory)
    {
        string path = Path.Combine(directory, "disk");
        return File.Exists(path) ? File.ReadAllText(path).Split([' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries) : [];
    }

    public static int Count(string directory) => Read(directory).Length;

    /// <summary>
    /// The disk to read: the only one, or <paramref name="selected"/>. Several disks with none
    /// selected, or a selected disk the image does not hold, are refused naming the disks.
    /// </summary>
    public static string Choose(string directory, IReadOnlyList<string> disks, string? selected)
    {
        string names = string.Join(" ", disks);
        if (selected is not null)
        {
            return disks.Contains(selected, StringComparer.Ordinal) ? selected
                : throw new ImageException(ImageError.Malformed,
                    $"{directory} holds no disk {selected}; its disks are: {names}.");
        }
        if (disks.Count > 1)
        {
            throw new ImageException(ImageError.NotSupported,
                $"{directory} holds {disks.Count} disks ({names}); reading one would silently drop the others: " +
                $"read them all, or name one ({string.Join(" or ", disks)}).");
        }
        return disks[0];
    }

    /// <summary>
    /// The entries of `parts` that belong to <paramref name="disk"/>: the disk name followed by a
    /// number (sda1), or by "p" and a number when the disk name ends in a digit (nvme0n1p1, md126p1).
    /// </summary>
    public static IEnumerable<string> PartitionsOf(IEnumerable<string> parts, string disk) =>
        parts.Where(p => IsPartitionOf(p, disk));

    /// <summary>
    /// The disk (of <paramref name="disks"/>) a file of the image directory belongs to, or null
    /// for a file of the whole image (disk, parts, Info-*, LVM lists, LV images): per disk
    /// `&lt;disk&gt;-pt.sf`, `-mbr`, `-hidden-data-after-mbr`, `-gpt-1st`, `-chs.sf`…; per partition
    /// `&lt;part&gt;.&lt;fs&gt;-ptcl-img.*`, `&lt;part&gt;-ebr`, `swappt-&lt;part&gt;.info`. While one disk is read,
    /// the files of the others are known, not unknown.
    /// </summary>
    public static string? DiskOfFile(string fileName, IReadOnlyList<string> disks)
    {
        string stem = fileName.StartsWith("swappt-", StringComparison.Ordinal) ? fileName[7..] : fileName;
        // Longest name first: "sda" must not claim "sdaa-pt.sf".
        foreach (string disk in disks.OrderByDescending(d => d.Length))
        {
            if (stem.StartsWith(disk + "-", StringComparison.Ordinal))
            {
                return disk;
            }
        }
        int dot = stem.IndexOf('.');
        string device = dot < 0 ? stem : stem[..dot];
        if (device.EndsWith("-ebr", StringComparison.Ordinal))
        {
            device = device[..^4];
        }
        return disks.FirstOrDefault(d => IsPartitionOf(device, d));
    }

    public static bool IsPartitionOf(string part, string disk)
    {
        if (!part.StartsWith(disk, StringComparison.Ordinal) || part.Length == disk.Length)
        {
            return false;
        }
        string rest = part[disk.Length..];
        if (char.IsAsciiDigit(disk[^1]))
        {
            if (rest[0] != 'p')
            {
                return false;
            }
            rest = rest[1..];
        }
        return rest.Length > 0 && rest.All(char.IsAsciiDigit);
    }
}
