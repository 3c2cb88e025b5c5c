using System.Globalization;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Disks;

/// <summary>A whole disk as sysfs describes it.</summary>
/// <param name="Name">Kernel name (sda, nvme0n1, loop3).</param>
/// <param name="Device">"major:minor" of the disk.</param>
/// <param name="Partitions">"major:minor" of each partition.</param>
/// <param name="Transport">"usb", "mmc" or "firewire" when the disk hangs off such a bus, else null.</param>
/// <param name="LogicalSectorSize">queue/logical_block_size: the unit a partition table counts in.</param>
/// <param name="Wwn">World Wide Name (sysfs wwid, e.g. "naa.5000c500a1b2c3d4"), or null.</param>
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
    IReadOnlyList<string> Holders,
    string? Transport = null,
    int LogicalSectorSize = 512,
    string? Wwn = null)
{
    /// <summary>Virtual devices never chosen by the "auto" rule (but usable when named).</summary>
    public bool IsVirtual => Name.StartsWith("loop", StringComparison.Ordinal) || Name.StartsWith("ram", StringComparison.Ordinal)
        || Name.StartsWith("zram", StringComparison.Ordinal) || Name.StartsWith("dm-", StringComparison.Ordinal)
        || Name.StartsWith("md", StringComparison.Ordinal) || Name.StartsWith("sr", StringComparison.Ordinal)
        || Name.StartsWith("nbd", StringComparison.Ordinal) || Name.StartsWith("fd", StringComparison.Ordinal);

    /// <summary>On USB, SD/MMC or FireWire, or flagged removable: never taken by the "auto" rule.</summary>
    public bool IsExternal => Removable || Transport is not null;

    public DiskInfo ToInfo() => new(Path, ByPath, SizeBytes, Model, Serial, Removable, Rotational);

    public string Describe() =>
        $"{Path}{(ByPath is null ? "" : " (" + ByPath + ")")}, {DiskCheck.Gib(SizeBytes)}" +
        (Transport is null ? "" : ", " + Transport) + (LogicalSectorSize == 512 ? "" : $", {LogicalSectorSize}-byte sectors") +
        (Model is null ? "" : ", " + Model) + (Serial is null ? "" : ", serial " + Serial) + (Wwn is null ? "" : ", wwn " + Wwn);
}

/// <summary>
/// Lists disks from /sys/block without udev: size, removable, ro, rotational, logical sector
/// size, model, serial and WWN from sysfs (or udev's database when present), the bus a disk
/// hangs off from the device path its /sys/block link resolves to, and by-path names when
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
        var serial = Text(dir, "device/serial") ?? udev.GetValueOrDefault("ID_SERIAL_SHORT") ?? Text(dir, "serial") ?? UnitSerial(dir);
        var wwn = Text(dir, "device/wwid") ?? Text(dir, "wwid") ?? udev.GetValueOrDefault("ID_WWN");
        var sectorSize = int.TryParse(Text(dir, "queue/logical_block_size"), NumberStyles.None, CultureInfo.InvariantCulture, out var ss) && ss > 0 ? ss : 512;
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
            Text(dir, "removable") == "1", Text(dir, "ro") == "1", Text(dir, "queue/rotational") == "1", device, partitions, holders,
            Transport(dir, name), sectorSize, wwn);
    }

    /// <summary>
    /// "usb", "mmc" or "firewire" when the device path of the disk runs through such a bus
    /// (/sys/block/sdb → ../devices/pci0000:00/0000:00:14.0/usb2/2-1/…/block/sdb), else null.
    /// USB enclosures report removable=0, so the flag alone lets a USB disk pass as internal.
    /// </summary>
    internal static string? Transport(string blockDir, string name)
    {
        if (name.StartsWith("mmcblk", StringComparison.Ordinal))
        {
            return "mmc";
        }
        string? resolved = null;
        try
        {
            resolved = new DirectoryInfo(blockDir).ResolveLinkTarget(returnFinalTarget: true)?.FullName
                ?? new DirectoryInfo(Path.Combine(blockDir, "device")).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
        }
        foreach (var part in (resolved ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Bus(part, "usb") || part == "usb")
            {
                return "usb";
            }
            if (Bus(part, "mmc") || part == "mmc_host")
            {
                return "mmc";
            }
            if (Bus(part, "fw") || part is "firewire" or "ieee1394" || part.StartsWith("fw-host", StringComparison.Ordinal))
            {
                return "firewire";
            }
        }
        return null;
    }

    /// <summary>"usb2", "mmc0", "fw1": a bus name followed by its number only.</summary>
    private static bool Bus(string part, string prefix) =>
        part.Length > prefix.Length && part.StartsWith(prefix, StringComparison.Ordinal) && !part.AsSpan(prefix.Length).ContainsAnyExceptInRange('0', '9');

    /// <summary>The unit serial number from SCSI VPD page 0x80 (4-byte header, then ASCII), when sysfs exposes it.</summary>
    private static string? UnitSerial(string dir)
    {
        try
        {
            var path = Path.Combine(dir, "device", "vpd_pg80");
            if (!File.Exists(path))
            {
                return null;
            }
            var page = File.ReadAllBytes(path);
            if (page.Length <= 4 || page[1] != 0x80)
            {
                return null;
            }
            var length = Math.Min((page[2] << 8) | page[3], page.Length - 4);
            var text = System.Text.Encoding.ASCII.GetString(page, 4, length).Trim(' ', '\0');
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
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
