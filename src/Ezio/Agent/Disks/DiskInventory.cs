using System.Globalization;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Disks;

/// <summary>A whole disk as sysfs describes it.</summary>
/// <param name="Name">Kernel name (sda, nvme0n1, loop3).</param>
/// <param name="Device">"major:minor" of the disk.</param>
/// <param name="Partitions">"major:minor" of each partition.</param>
internal sealed record Disk(
    string Name,
    string Path,
    string? ByPath,
    long SizeBytes,
    string? Model,
    string? Serial,
    bool Removable,
    bool ReadOnly,
    bool Rotational,
    string Device,
    IReadOnlyList<string> Partitions,
    IReadOnlyList<string> Holders)
{
    /// <summary>Virtual devices never chosen by the "auto" rule (but usable when named).</summary>
    public bool IsVirtual => Name.StartsWith("loop", StringComparison.Ordinal) || Name.StartsWith("ram", StringComparison.Ordinal)
        || Name.StartsWith("zram", StringComparison.Ordinal) || Name.StartsWith("dm-", StringComparison.Ordinal)
        || Name.StartsWith("md", StringComparison.Ordinal) || Name.StartsWith("sr", StringComparison.Ordinal)
        || Name.StartsWith("nbd", StringComparison.Ordinal) || Name.StartsWith("fd", StringComparison.Ordinal);

    public DiskInfo ToInfo() => new(Path, ByPath, SizeBytes, Model, Serial, Removable, Rotational);

    public string Describe() =>
        $"{Path}{(ByPath is null ? "" : " (" + ByPath + ")")}, {SizeBytes / (double)(1L << 30):0.0} GiB" +
        (Model is null ? "" : ", " + Model) + (Serial is null ? "" : ", serial " + Serial);
}

/// <summary>
/// Lists disks from /sys/block without udev: size, removable, ro, rotational, model and serial
/// from device/{model,serial} or udev's database when present, by-path names when
/// /dev/disk/by-path exists. Empty loop devices (size 0) are left out.
/// </summary>
internal sealed class DiskInventory(string sysRoot = "/sys", string devRoot = "/dev", string udevData = "/run/udev/data")
{
    public IReadOnlyList<Disk> List()
    {
        var block = Path.Combine(sysRoot, "block");
        if (!Directory.Exists(block))
        {
            return [];
        }
        var byPath = ByPathLinks();
        var disks = new List<Disk>();
        foreach (var dir in Directory.EnumerateFileSystemEntries(block).Order(StringComparer.Ordinal))
        {
            var disk = Read(Path.GetFileName(dir), byPath);
            if (disk is not null && disk.SizeBytes > 0)
            {
                disks.Add(disk);
            }
        }
        return disks;
    }

    /// <summary>The disk named by <paramref name="name"/> (kernel name), or null when sysfs has no such whole disk.</summary>
    public Disk? Find(string name) => Read(name, ByPathLinks());

    private Disk? Read(string name, Dictionary<string, string> byPath)
    {
        var dir = Path.Combine(sysRoot, "block", name);
        var device = Text(dir, "dev");
        if (device is null)
        {
            return null;
        }
        var sectors = long.TryParse(Text(dir, "size"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        var udev = UdevProperties(device);
        var model = Text(dir, "device/model") ?? udev.GetValueOrDefault("ID_MODEL");
        var serial = Text(dir, "device/serial") ?? udev.GetValueOrDefault("ID_SERIAL_SHORT") ?? Text(dir, "serial");
        var partitions = new List<string>();
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            if (File.Exists(Path.Combine(sub, "partition")) && Text(sub, "dev") is { } partDev)
            {
                partitions.Add(partDev);
            }
        }
        var holdersDir = Path.Combine(dir, "holders");
        var holders = Directory.Exists(holdersDir) ? Directory.EnumerateFileSystemEntries(holdersDir).Select(h => Path.GetFileName(h)).ToList() : [];
        return new Disk(name, Path.Combine(devRoot, name), byPath.GetValueOrDefault(name), sectors * 512, model, serial,
            Text(dir, "removable") == "1", Text(dir, "ro") == "1", Text(dir, "queue/rotational") == "1", device, partitions, holders);
    }

    /// <summary>kernel name → /dev/disk/by-path/... (whole disks only: names without "-part").</summary>
    private Dictionary<string, string> ByPathLinks()
    {
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        var dir = Path.Combine(devRoot, "disk", "by-path");
        if (!Directory.Exists(dir))
        {
            return links;
        }
        foreach (var link in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            if (link.Contains("-part", StringComparison.Ordinal))
            {
                continue;
            }
            var target = new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true);
            if (target is not null)
            {
                links.TryAdd(Path.GetFileName(target.FullName), link);
            }
        }
        return links;
    }

    /// <summary>udev's database entry (E:KEY=value lines), when udev ran on this system.</summary>
    private Dictionary<string, string> UdevProperties(string device)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = Path.Combine(udevData, "b" + device);
        if (!File.Exists(path))
        {
            return values;
        }
        foreach (var line in File.ReadLines(path))
        {
            var eq = line.IndexOf('=');
            if (line.StartsWith("E:", StringComparison.Ordinal) && eq > 2)
            {
                values[line[2..eq]] = line[(eq + 1)..];
            }
        }
        return values;
    }

    private static string? Text(string dir, string file)
    {
        try
        {
            var path = Path.Combine(dir, file);
            if (!File.Exists(path))
            {
                return null;
            }
            var text = File.ReadAllText(path).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
