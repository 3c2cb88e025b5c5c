using Ezio.Agent.Disks;
using Ezio.TestKit.Processes;

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
