using System.Globalization;
using Ezio.Agent.Disks;
using Ezio.Deployment.Contracts;
using Ezio.Storage;

namespace Ezio.Agent.Modes;

internal sealed partial class PostStepsMode
{
    /// <summary>The resizable partitions of a job laid out anew: each file system is grown to its partition.</summary>
    private static List<(PlacedPartition Placed, string FileSystem)> ResizedFilesystems(Job job, IReadOnlyList<PlacedPartition> layout) =>
        job.Resize is { } resize
            ? [.. layout.Select(p => (Placed: p, resize.Partitions.FirstOrDefault(r => r.Number == p.Number)?.FileSystem))
                .Where(x => x.FileSystem is not null && !x.Placed.Fixed).Select(x => (x.Placed, x.FileSystem!))]
            : [];

    /// <summary>
    /// Grows each resized file system to its partition (ext2/3/4, NTFS, xfs, btrfs as in
    /// <see cref="GrowFilesystemAsync"/>), then checks it read-only (e2fsck -fn, ntfsfix -n).
    /// A compacted file system is smaller than its partition on every disk, so this runs on
    /// every machine of the deployment. One that fails keeps its smaller size (the tools
    /// refuse before changing it, and the table already holds the larger partition, which a
    /// smaller file system still mounts and boots from); the others still grow, and the step
    /// reports each by name.
    /// </summary>
    private static async Task<StepOutcome> GrowResizedAsync(AgentContext context, List<(PlacedPartition Placed, string FileSystem)> resized,
        CancellationToken cancellationToken)
    {
        var disk = context.Disk!;
        var table = await ReadTableAsync(disk.Path, cancellationToken).ConfigureAwait(false);
        var done = new List<string>();
        var failed = new List<string>();
        foreach (var (placed, fileSystem) in resized)
        {
            var partition = table.Partitions.FirstOrDefault(p => p.Number == placed.Number);
            if (partition is null || partition.Start != placed.Start || partition.Size != placed.Size)
            {
                failed.Add($"partition {placed.Number} is not where the layout put it ({placed.Start}+{placed.Size}): its file system keeps its size");
                continue;
            }
            var size = Mib(partition.Size * table.SectorSize);
            var kind = FilesystemProbe.Detect(disk.Path, partition.Start * table.SectorSize, partition.Size * table.SectorSize);
            if (kind is not (FilesystemKind.Ext or FilesystemKind.Ntfs or FilesystemKind.Xfs or FilesystemKind.Btrfs))
            {
                failed.Add($"partition {placed.Number} ({size}) holds no {fileSystem} file system this agent grows (found {kind.ToString().ToLowerInvariant()})");
                continue;
            }
            try
            {
                await using var device = await PartitionDevice.OpenAsync(disk.Path, disk.Name, partition, table.SectorSize, cancellationToken).ConfigureAwait(false);
                var grown = await GrowFilesystemAsync(kind, device.Path, cancellationToken).ConfigureAwait(false);
                var check = await CheckFilesystemAsync(kind, device.Path, cancellationToken).ConfigureAwait(false);
                done.Add($"partition {placed.Number} ({size}): {grown}, {check}");
                AgentLog.FilesystemGrown(context.Logger, placed.Number, disk.Path, grown + ", " + check);
            }
            catch (InvalidOperationException e)
            {
                failed.Add($"partition {placed.Number} ({size}): {e.Message}");
            }
        }
        if (failed.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", failed.Concat(done.Select(d => "done: " + d))));
        }
        return new StepOutcome(true, string.Join("; ", done));
    }

    /// <summary>A read-only check after growing; a file system the check rejects is a failure, named with the tool's words.</summary>
    private static async Task<string> CheckFilesystemAsync(FilesystemKind kind, string device, CancellationToken cancellationToken)
    {
        var (tool, arguments) = kind switch
        {
            FilesystemKind.Ext => ("e2fsck", new[] { "-f", "-n", device }),
            FilesystemKind.Ntfs => ("ntfsfix", new[] { "-n", device }),
            _ => (null, Array.Empty<string>()),
        };
        if (tool is null)
        {
            return "not checked (no offline check for this file system)";
        }
        var result = await CommandRunner.RunAsync(tool, arguments, null, TimeSpan.FromMinutes(30), cancellationToken).ConfigureAwait(false);
        return result switch
        {
            { ExitCode: 127 } => $"not checked ({tool} is not installed)",
            { Ok: true } => string.Create(CultureInfo.InvariantCulture, $"{tool} {arguments[0]} clean"),
            { } r => throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} found problems after growing (exit {r.ExitCode}): {r.Output}"),
        };
    }
}
