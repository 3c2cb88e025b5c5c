namespace Ezio.Storage;

/// <summary>
/// Finds whether a block device, or a partition of it, is mounted, from /proc/self/mountinfo
/// and sysfs. Used to refuse a target before the first write.
/// </summary>
/// <remarks>
/// mountinfo (proc(5)) lines look like
/// <c>36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw</c>:
/// field 3 is the major:minor of the mounted device, field 5 the mount point, and the source
/// follows the fstype after the " - " separator. Partitions are found through sysfs: the
/// directory of a partition (/sys/dev/block/MAJ:MIN) sits inside its disk's directory, which
/// holds the disk's own "dev" file. Comparing device numbers instead of names works without
/// udev and whatever /dev path the job used.
/// </remarks>
internal static class MountTable
{
    internal const string MountInfoPath = "/proc/self/mountinfo";
    internal const string SysDevBlock = "/sys/dev/block";

    /// <summary>One mount: device number, mount point and source as the kernel reports them.</summary>
    internal readonly record struct Mount(uint Major, uint Minor, string MountPoint, string Source);

    /// <summary>
    /// Describes the first mount that uses device <paramref name="major"/>:<paramref name="minor"/>
    /// or a partition of it, or returns null when none does.
    /// </summary>
    public static string? FindMountUsing(uint major, uint minor, string? mountInfo = null, string sysDevBlock = SysDevBlock)
    {
        mountInfo ??= File.ReadAllText(MountInfoPath);
        string wanted = $"{major}:{minor}";
        foreach (Mount mount in Parse(mountInfo))
        {
            string device = $"{mount.Major}:{mount.Minor}";
            if (device == wanted)
            {
                return $"'{mount.Source}' (device {device}) is mounted on '{mount.MountPoint}'";
            }

            if (ParentDisk(device, sysDevBlock) == wanted)
            {
                return $"its partition '{mount.Source}' (device {device}) is mounted on '{mount.MountPoint}'";
            }
        }

        return null;
    }

    internal static IEnumerable<Mount> Parse(string mountInfo)
    {
        foreach (string line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 2 >= fields.Length)
            {
                continue;
            }

            string[] numbers = fields[2].Split(':');
            if (numbers.Length != 2 || !uint.TryParse(numbers[0], out uint major) || !uint.TryParse(numbers[1], out uint minor))
            {
                continue;
            }

            yield return new Mount(major, minor, Unescape(fields[4]), Unescape(fields[separator + 2]));
        }
    }

    /// <summary>"MAJ:MIN" of the disk holding partition <paramref name="device"/>; null for a whole disk.</summary>
    internal static string? ParentDisk(string device, string sysDevBlock)
    {
        try
        {
            var link = new DirectoryInfo(Path.Combine(sysDevBlock, device));
            if (!link.Exists || !File.Exists(Path.Combine(link.FullName, "partition")))
            {
                return null;
            }

            // /sys/dev/block/MAJ:MIN is a symlink; ".." must be taken after following it, and
            // .NET normalises ".." lexically, so resolve the link first.
            FileSystemInfo? target = link.ResolveLinkTarget(returnFinalTarget: true);
            string real = target?.FullName ?? link.FullName;
            string? parent = Path.GetDirectoryName(real);
            string devFile = parent is null ? "" : Path.Combine(parent, "dev");
            return File.Exists(devFile) ? File.ReadAllText(devFile).Trim() : null;
        }
        catch (IOException)
        {
            // A device vanishing while we look (loop detached) is not mounted any more.
            return null;
        }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }

        var builder = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }

    private static bool IsOctal(string s, int start) =>
        start + 3 <= s.Length && s[start] is >= '0' and <= '7' && s[start + 1] is >= '0' and <= '7' && s[start + 2] is >= '0' and <= '7';
}
