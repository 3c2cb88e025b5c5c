using System.Globalization;
using Ezio.Agent.Disks;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>
/// A whole-disk image of a small Linux system in a server repository: GPT with an empty ESP
/// (partition 1, 4 MiB) and an ext4 root filling the rest (partition 2, or logical partition 5
/// of an MBR table) that holds
/// /etc/hostname, /etc/hosts, /etc/os-release and an 8 MiB random file (/srv/blob) whose
/// bytes must survive the resize. The filesystem is built with `mkfs.ext4 -d` and copied
/// to the partition's offset; the torrent is made by the real `ezio torrent create`.
/// </summary>
internal sealed class LinuxImage
{
    public const string OriginalHostname = "image-host";

    private LinuxImage(string data, Partition root, byte[] blob)
    {
        Data = data;
        Root = root;
        Blob = blob;
    }

    public string Data { get; }

    /// <summary>The ext4 partition, in 512-byte sectors, as the image's table has it.</summary>
    public Partition Root { get; }

    public byte[] Blob { get; }

    /// <param name="dosLogical">An MBR table instead: primary 1, extended 2 to the end, the root as logical partition 5 inside it.</param>
    public static LinuxImage Create(string root, string name, long size, bool dosLogical = false)
    {
        var dir = Path.Combine(root, "repo", name);
        Directory.CreateDirectory(dir);
        var data = Path.Combine(dir, "data");
        using (var f = File.Create(data))
        {
            f.SetLength(size);
        }
        if (dosLogical)
        {
            Shell.RunWithInput("label: dos\n2048,8192,83\n10240,,5\n12288,,83\n", "sfdisk", "--quiet", data);
        }
        else
        {
            Shell.Run("sgdisk", "-o", "-n", "1:2048:+4M", "-t", "1:ef00", "-n", "2:0:0", "-t", "2:8300", data);
        }
        var partition = PartitionTable.ParseSfdiskJson(Shell.Run("sfdisk", "--json", data)).Last()!;

        var tree = Path.Combine(root, "tree-" + name);
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        Directory.CreateDirectory(Path.Combine(tree, "srv"));
        File.WriteAllText(Path.Combine(tree, "etc", "hostname"), OriginalHostname + "\n");
        File.WriteAllText(Path.Combine(tree, "etc", "hosts"), $"127.0.0.1\tlocalhost\n127.0.1.1\t{OriginalHostname}\n\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        File.WriteAllText(Path.Combine(tree, "etc", "os-release"), "ID=debian\nVERSION_ID=\"12\"\n");
        var blob = new byte[8 << 20];
        Random.Shared.NextBytes(blob);
        File.WriteAllBytes(Path.Combine(tree, "srv", "blob"), blob);

        var fs = Path.Combine(root, "fs-" + name);
        using (var f = File.Create(fs))
        {
            f.SetLength(partition.Size * 512);
        }
        Shell.Run("mkfs.ext4", "-q", "-F", "-L", "root", "-d", tree, fs);
        using (var image = new FileStream(data, FileMode.Open, FileAccess.Write))
        {
            image.Position = partition.Start * 512;
            using var source = File.OpenRead(fs);
            source.CopyTo(image);
        }
        File.Delete(fs);
        Directory.Delete(tree, recursive: true);
        Shell.Run(Binaries.Agent, "torrent", "create", data, "-o", Path.Combine(dir, name + ".torrent"), "--piece-size", "256K", "--name", name);
        return new LinuxImage(data, partition, blob);
    }
}

/// <summary>A read-only loop device over one partition's byte range (no partition nodes without udev).</summary>
internal sealed class PartitionLoop : IDisposable
{
    private PartitionLoop(string path) => Path = path;

    public string Path { get; }

    public static PartitionLoop Open(string disk, Partition partition, bool readOnly = true)
    {
        var args = new List<string> { "--find", "--show", "--offset", (partition.Start * 512).ToString(CultureInfo.InvariantCulture),
            "--sizelimit", (partition.Size * 512).ToString(CultureInfo.InvariantCulture) };
        if (readOnly)
        {
            args.Add("--read-only");
        }
        args.Add(disk);
        return new PartitionLoop(Shell.Run("losetup", [.. args]));
    }

    /// <summary>A file of the filesystem, read with debugfs (no mount).</summary>
    public string Cat(string file) =>
        string.Join('\n', Shell.Run("debugfs", "-R", $"cat {file}", Path).Split('\n').Where(l => !l.StartsWith("debugfs ", StringComparison.Ordinal))).Trim();

    public byte[] Dump(string file, string scratch)
    {
        var output = System.IO.Path.Combine(scratch, "dump-" + Guid.NewGuid().ToString("n"));
        Shell.Run("debugfs", "-R", $"dump {file} {output}", Path);
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
    public long FilesystemBytes()
    {
        var fields = Shell.Run("dumpe2fs", "-h", Path).Split('\n').Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        return long.Parse(fields["Block count"], CultureInfo.InvariantCulture) * long.Parse(fields["Block size"], CultureInfo.InvariantCulture);
    }

    public void Dispose() => Shell.TryRun(TimeSpan.FromSeconds(30), "losetup", "--detach", Path);
}
