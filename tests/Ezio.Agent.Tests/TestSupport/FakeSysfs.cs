namespace Ezio.Agent.Tests.TestSupport;

/// <summary>
/// A sysfs tree laid out as the kernel lays it out: /sys/block/NAME is a link into
/// /sys/devices, through the bus the disk hangs off (ata, usb, mmc_host, fw).
/// </summary>
internal sealed class FakeSysfs(string root)
{
    public const string Sata = "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0";
    public const string Sata2 = "pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0";
    public const string Usb = "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0";
    public const string Mmc = "pci0000:00/0000:00:1a.0/mmc_host/mmc0/mmc0:aaaa";
    public const string FireWire = "pci0000:00/0000:05:00.0/fw1/fw1.0/host7/target7:0:0/7:0:0:0";

    public string Root => root;

    /// <summary>A whole disk under /sys/devices/<paramref name="device"/>, linked from /sys/block.</summary>
    public void AddDisk(string name, string device, long size, bool removable = false, int sectorSize = 512,
        string? serial = null, string? wwid = null, byte[]? vpd80 = null, string[]? partitions = null)
    {
        var deviceDir = Path.Combine(root, "devices", device);
        var dir = Path.Combine(deviceDir, "block", name);
        Directory.CreateDirectory(Path.Combine(dir, "queue"));
        var major = name.StartsWith("mmcblk", StringComparison.Ordinal) ? 179 : 8;
        var minor = Directory.Exists(Path.Combine(root, "block")) ? Directory.GetFileSystemEntries(Path.Combine(root, "block")).Length * 16 : 0;
        File.WriteAllText(Path.Combine(dir, "dev"), $"{major}:{minor}\n");
        File.WriteAllText(Path.Combine(dir, "size"), $"{size / 512}\n");
        File.WriteAllText(Path.Combine(dir, "removable"), removable ? "1\n" : "0\n");
        File.WriteAllText(Path.Combine(dir, "ro"), "0\n");
        File.WriteAllText(Path.Combine(dir, "queue", "logical_block_size"), $"{sectorSize}\n");
        File.WriteAllText(Path.Combine(dir, "queue", "rotational"), "1\n");
        File.CreateSymbolicLink(Path.Combine(dir, "device"), "../..");
        if (serial is not null)
        {
            File.WriteAllText(Path.Combine(deviceDir, "serial"), serial + "\n");
        }
        if (wwid is not null)
        {
            File.WriteAllText(Path.Combine(deviceDir, "wwid"), wwid + "\n");
        }
        if (vpd80 is not null)
        {
            File.WriteAllBytes(Path.Combine(deviceDir, "vpd_pg80"), vpd80);
        }
        var number = 1;
        foreach (var part in partitions ?? [])
        {
            var partDir = Path.Combine(dir, name + number++);
            Directory.CreateDirectory(partDir);
            File.WriteAllText(Path.Combine(partDir, "partition"), $"{number - 1}\n");
            File.WriteAllText(Path.Combine(partDir, "dev"), part + "\n");
        }
        Directory.CreateDirectory(Path.Combine(root, "block"));
        File.CreateSymbolicLink(Path.Combine(root, "block", name), Path.Combine("..", "devices", device, "block", name));
    }
}
