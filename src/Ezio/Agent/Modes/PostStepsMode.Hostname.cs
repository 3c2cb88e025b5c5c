using Ezio.Agent.Disks;

namespace Ezio.Agent.Modes;

internal sealed partial class PostStepsMode
{
    /// <summary>
    /// Writes the job's hostname into the deployed Linux system: the first partition (in table
    /// order) holding a Linux filesystem with a real /etc directory gets /etc/hostname and the
    /// 127.0.1.1 line of /etc/hosts. Each candidate is mounted in a private temporary directory
    /// and unmounted right after. No Linux root (a Windows image, say) is a skip, not a failure.
    /// </summary>
    private static async Task<StepOutcome> WriteHostnameAsync(AgentContext context, string hostname, CancellationToken cancellationToken)
    {
        if (!HostsFile.IsValidHostname(hostname))
        {
            throw new InvalidOperationException($"'{hostname}' is not a valid hostname");
        }
        var disk = context.Disk!;
        var table = await ReadTableAsync(disk.Path, cancellationToken).ConfigureAwait(false);
        var size = table.SectorSize;
        var looked = new List<string>();
        foreach (var partition in table.Partitions.Where(p => !p.IsExtended).OrderBy(p => p.Number))
        {
            var kind = FilesystemProbe.Detect(disk.Path, partition.Start * size, partition.Size * size);
            if (kind is not (FilesystemKind.Ext or FilesystemKind.Xfs or FilesystemKind.Btrfs))
            {
                continue;
            }
            await using var device = await PartitionDevice.OpenAsync(disk.Path, disk.Name, partition, size, cancellationToken).ConfigureAwait(false);
            var mount = await WithMountAsync(device.Path, dir => Task.FromResult(WriteInto(dir, hostname)), cancellationToken).ConfigureAwait(false);
            if (!mount.Mounted)
            {
                looked.Add($"partition {partition.Number}: {mount.Error}");
                continue;
            }
            if (mount.Value is { } written)
            {
                return new StepOutcome(true, $"{hostname} written to {written} on partition {partition.Number}");
            }
            looked.Add($"partition {partition.Number}: no /etc");
        }
        return new StepOutcome(false, "no Linux root filesystem found" + (looked.Count > 0 ? " (" + string.Join("; ", looked) + ")" : ""));
    }

    /// <summary>Files of which at least one marks a root file system worth naming.</summary>
    private static readonly string[] s_systemFiles = ["hostname", "os-release", "fstab", "passwd"];

    /// <summary>
    /// Writes the hostname below <paramref name="root"/> (a mounted filesystem); null when it
    /// holds no Linux /etc. Symbolic links are never followed out of the mount: an /etc that
    /// is a link is not a root, an /etc/hostname that is a link is replaced by a file, an
    /// /etc/hosts that is a link is left alone.
    /// </summary>
    internal static string? WriteInto(string root, string hostname)
    {
        var etc = Path.Combine(root, "etc");
        if (!Directory.Exists(etc) || new DirectoryInfo(etc).LinkTarget is not null
            || !s_systemFiles.Any(f => Path.Exists(Path.Combine(etc, f))))
        {
            return null;
        }
        ReplaceFile(Path.Combine(etc, "hostname"), hostname + "\n");
        var hosts = Path.Combine(etc, "hosts");
        if (new FileInfo(hosts).LinkTarget is not null)
        {
            return "/etc/hostname (/etc/hosts is a symbolic link, left alone)";
        }
        ReplaceFile(hosts, HostsFile.SetHostname(File.Exists(hosts) ? File.ReadAllText(hosts) : "", hostname));
        return "/etc/hostname and /etc/hosts";
    }

    private static void ReplaceFile(string path, string text)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            info.Delete();
        }
        var created = !File.Exists(path);
        File.WriteAllText(path, text);
        if (created && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    /// <summary>
    /// Mounts <paramref name="device"/> on a fresh private directory, runs <paramref name="body"/>
    /// on it and unmounts (lazily if it must). The directory is removed only when empty, so a
    /// failed unmount never deletes the deployed files.
    /// </summary>
    private static async Task<MountResult<T>> WithMountAsync<T>(string device, Func<string, Task<T>> body, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("ezio-mount-").FullName;
        try
        {
            var mount = await CommandRunner.RunAsync("mount", ["-o", "nodev,nosuid,noexec", device, dir], null, TimeSpan.FromMinutes(5),
                cancellationToken).ConfigureAwait(false);
            if (!mount.Ok)
            {
                return new MountResult<T>(false, $"cannot mount (exit {mount.ExitCode}): {mount.Output}", default!);
            }
            try
            {
                return new MountResult<T>(true, null, await body(dir).ConfigureAwait(false));
            }
            finally
            {
                var umount = await CommandRunner.RunAsync("umount", [dir], null, TimeSpan.FromMinutes(5), CancellationToken.None).ConfigureAwait(false);
                if (!umount.Ok)
                {
                    await CommandRunner.RunAsync("umount", ["-l", dir], null, TimeSpan.FromMinutes(1), CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: false);
            }
            catch (IOException)
            {
            }
        }
    }

    private readonly record struct MountResult<T>(bool Mounted, string? Error, T Value);
}
