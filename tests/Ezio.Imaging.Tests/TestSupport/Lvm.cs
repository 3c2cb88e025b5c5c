using System.Globalization;
using System.Security.Cryptography;
using Xunit;

namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>
/// The real lvm2 tools, looking at one device only and never at device-mapper (this machine has
/// none): a device filter, no udev, activation off. Everything they report comes from the
/// on-disk label and metadata.
/// </summary>
internal static class Lvm
{
    /// <summary>Devices joined by '|' are all visible.</summary>
    public static string Config(string devices) =>
        $"devices {{ filter = [ {string.Concat(devices.Split('|').Select(d => $"\"a|^{d}$|\", "))}\"r|.*|\" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 }} " +
        "activation { udev_sync = 0 udev_rules = 0 } global { activation = 0 }";

    public static string Run(string devices, string command, params string[] arguments) =>
        Shell.Run(command, ["--config", Config(devices), .. arguments], stdoutFile: null);

    /// <summary>
    /// `lvs` segment rows of <paramref name="vg"/> in LV order: LV name, the PV (device name),
    /// first PV extent, extent count.
    /// </summary>
    public static List<(string Lv, string Pv, long PvExtent, long Extents)> Segments(string devices, string vg)
    {
        string rows = Run(devices, "lvs", "--noheadings", "--separator", ";", "-o", "lv_name,seg_start_pe,seg_pe_ranges", "--sort", "lv_name,seg_start_pe", vg);
        var segments = new List<(string, string, long, long)>();
        foreach (string row in rows.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = row.Trim().Split(';');
            foreach (string range in fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                // /dev/loop7:6-80
                int colon = range.LastIndexOf(':');
                string[] ends = range[(colon + 1)..].Split('-');
                long first = long.Parse(ends[0], CultureInfo.InvariantCulture);
                segments.Add((fields[0], range[..colon], first, long.Parse(ends[1], CultureInfo.InvariantCulture) - first + 1));
            }
        }
        return segments;
    }

    /// <summary>A number lvm reports in bytes (`--units b --nosuffix`).</summary>
    public static long Bytes(string device, string command, string field, params string[] arguments) =>
        long.Parse(Run(device, command, ["--noheadings", "--units", "b", "--nosuffix", "-o", field, .. arguments]).Trim(), CultureInfo.InvariantCulture);
}

/// <summary>The fixtures' `&lt;case&gt;.files.sha256` lists: "sha256  &lt;device&gt;/&lt;path&gt;".</summary>
internal static class FileChecksums
{
    /// <summary>Mounts <paramref name="device"/> read-only and compares every file listed for <paramref name="prefix"/>.</summary>
    public static void AssertMounted(string list, string prefix, string device, string mountPoint, string options)
    {
        Directory.CreateDirectory(mountPoint);
        Shell.Run("mount", "-o", options, device, mountPoint);
        try
        {
            int compared = 0;
            foreach ((string hash, string path) in Entries(list, prefix))
            {
                using FileStream file = File.OpenRead(Path.Combine(mountPoint, path));
                Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(file)));
                compared++;
            }
            Assert.True(compared > 0, $"{list} lists no file of {prefix}");
        }
        finally
        {
            Shell.Run("umount", mountPoint);
        }
    }

    public static IEnumerable<(string Hash, string Path)> Entries(string list, string prefix) =>
        File.ReadAllLines(list).Select(l => l.Split("  ", 2)).Where(f => f.Length == 2 && f[1].StartsWith(prefix + "/", StringComparison.Ordinal))
            .Select(f => (f[0], f[1][(prefix.Length + 1)..]));
}
