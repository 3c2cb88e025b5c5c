using System.Globalization;
using Ezio.Agent.Disks;
using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>
/// A loop device over one partition's byte range of a disk (no partition nodes without udev),
/// and reads of the ext4 file system on it through debugfs and dumpe2fs (no mount).
/// </summary>
internal static class PartitionLoop
{
    /// <summary>Read-only unless asked: checks look, they never write.</summary>
    public static LoopDevice Open(string disk, Partition partition, bool readOnly = true) =>
        LoopDevice.Attach(disk, offset: partition.Start * 512, sizeLimit: partition.Size * 512, readOnly: readOnly);

    /// <summary>A file of the file system, as text.</summary>
    public static string Cat(this LoopDevice device, string file) =>
        string.Join('\n', Shell.Run("debugfs", "-R", $"cat {file}", device.Path).Split('\n').Where(l => !l.StartsWith("debugfs ", StringComparison.Ordinal))).Trim();

    public static byte[] Dump(this LoopDevice device, string file, string scratch)
    {
        var output = Path.Combine(scratch, "dump-" + Guid.NewGuid().ToString("n"));
        Shell.Run("debugfs", "-R", $"dump {file} {output}", device.Path);
        try
        {
            return File.ReadAllBytes(output);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>"Block count" × "Block size" from `dumpe2fs -h`.</summary>
    public static long FilesystemBytes(this LoopDevice device)
    {
        var fields = Shell.Run("dumpe2fs", "-h", device.Path).Split('\n').Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        return long.Parse(fields["Block count"], CultureInfo.InvariantCulture) * long.Parse(fields["Block size"], CultureInfo.InvariantCulture);
    }
}
