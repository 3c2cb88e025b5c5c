using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Ezio.TestKit.Devices;

namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>
/// A sparse 128 MiB disk file with a GPT table and two ext4 partitions holding real files, an MBR
/// boot code and hidden data between the GPT and the first partition; all made with the real
/// tools (sfdisk, losetup, mkfs.ext4, mount).
/// </summary>
internal static class TestDisk
{
    public const long Size = 128L << 20;
    public static readonly (long Start, long Size)[] Partitions = [(2048, 65536), (67584, 131072)];

    public static string Create(string directory)
    {
        string disk = Path.Combine(directory, "disk.img");
        using (File.Create(disk))
        {
        }
        using (var f = new FileStream(disk, FileMode.Open))
        {
            f.SetLength(Size);
        }
        string script = Path.Combine(directory, "table.sfdisk");
        File.WriteAllText(script, $"""
            label: gpt
            unit: sectors

            start={Partitions[0].Start}, size={Partitions[0].Size}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
            start={Partitions[1].Start}, size={Partitions[1].Size}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4

            """);
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", disk], stdoutFile: null, stdinFile: script);
        using (var f = new FileStream(disk, FileMode.Open))
        {
            f.Write(RandomNumberGenerator.GetBytes(446));
            f.Position = 40 * 512;
            f.Write(RandomNumberGenerator.GetBytes(8192));
        }
        for (int i = 0; i < Partitions.Length; i++)
        {
            using var loop = LoopDevice.Attach(disk, Partitions[i].Start * 512, Partitions[i].Size * 512);
            Shell.Run("mkfs.ext4", "-F", "-q", "-b", "4096", "-L", $"part{i + 1}", loop.Path);
            string mountPoint = Path.Combine(directory, $"mnt{i}");
            Directory.CreateDirectory(mountPoint);
            Shell.Run("mount", loop.Path, mountPoint);
            try
            {
                Directory.CreateDirectory(Path.Combine(mountPoint, "etc"));
                File.WriteAllText(Path.Combine(mountPoint, "etc", "hostname"), $"lab-{i}\n");
                for (int k = 0; k < 4 + 2 * i; k++)
                {
                    File.WriteAllBytes(Path.Combine(mountPoint, $"random-{k}.bin"), RandomNumberGenerator.GetBytes(700_000 + k * 4096));
                    File.WriteAllText(Path.Combine(mountPoint, $"text-{k}.txt"), string.Concat(Enumerable.Repeat($"line {k} of partition {i}\n", 20000)));
                }
            }
            finally
            {
                Shell.Run("umount", mountPoint);
            }
        }
        return disk;
    }

    /// <summary>`sfdisk -d` of the disk file with its devices renamed to /dev/sda, /dev/sda1, …</summary>
    public static string DumpAsSda(string disk)
    {
        string dump = Shell.Run("sfdisk", "-d", disk);
        return dump.Replace(disk, "/dev/sda") + "\n";
    }

    /// <summary>A dump without device names, as sfdisk applies it to any disk.</summary>
    public static string Anonymous(string dump) =>
        Regex.Replace(Regex.Replace(dump, "^device:.*$", "", RegexOptions.Multiline), @"^\S+ : ", "", RegexOptions.Multiline);

    public static byte[] ReadRange(string path, long offset, int length)
    {
        var data = new byte[length];
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        f.Position = offset;
        f.ReadExactly(data);
        return data;
    }

    /// <summary>Splits a file into 100 kB chunks named .aa, .ab, … (split -b 100000).</summary>
    public static void Split(string file, int chunk = 100_000)
    {
        byte[] all = File.ReadAllBytes(file);
        for (int i = 0; i * chunk < all.Length; i++)
        {
            string suffix = $"{(char)('a' + i / 26)}{(char)('a' + i % 26)}";
            File.WriteAllBytes($"{file}.{suffix}", all.AsSpan(i * chunk, Math.Min(chunk, all.Length - i * chunk)).ToArray());
        }
        File.Delete(file);
    }
}
