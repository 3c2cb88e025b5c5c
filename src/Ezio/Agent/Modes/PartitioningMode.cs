using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Modes;

/// <summary>
/// Writes the job's partition table with sfdisk (stdin = the `sfdisk --dump` text, as
/// Clonezilla does), then asks the kernel to re-read it (best effort: there may be no
/// partprobe, and a whole-disk image brings its own table anyway). A marker in the state
/// directory skips the step when the agent restarts in the middle of the same deployment.
/// </summary>
internal sealed class PartitioningMode : Mode
{
    public override DeployPhase Phase => DeployPhase.Partitioning;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        var disk = context.Disk!;
        if (context.Disks is { Count: > 1 })
        {
            return await MultiDiskJob.PartitionAsync(context, cancellationToken).ConfigureAwait(false);
        }
        if (string.IsNullOrWhiteSpace(job.PartitionTable))
        {
            return new DownloadingMode();
        }
        var marker = MarkerPath(context.Options.StateDir, job);
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == disk.Path)
        {
            context.Status.SetMessage("partition table already applied before a restart");
            return new DownloadingMode();
        }
        context.Enter(DeployPhase.Partitioning, "writing the partition table");
        var table = context.Layout is { } layout ? ResizeJob.RewriteTable(job.PartitionTable, layout) : job.PartitionTable;
        var result = await CommandRunner.RunAsync("sfdisk", ["--force", "--no-reread", "--no-tell-kernel", disk.Path], table,
            TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (!result.Ok)
        {
            AgentLog.CommandFailed(context.Logger, "sfdisk", disk.Path, result.ExitCode, result.Output);
            throw new InvalidOperationException($"sfdisk could not write the partition table to {disk.Path} (exit {result.ExitCode}): {result.Output}");
        }
        await RereadAsync(context, disk.Path, cancellationToken).ConfigureAwait(false);
        AgentLog.Partitioned(context.Logger, disk.Path, Label(job.PartitionTable));
        Directory.CreateDirectory(context.Options.StateDir);
        await File.WriteAllTextAsync(marker, disk.Path, cancellationToken).ConfigureAwait(false);
        return new DownloadingMode();
    }

    /// <summary>blockdev --rereadpt (BLKRRPART), else partx --update, else partprobe; failures are logged, not fatal.</summary>
    internal static async Task RereadAsync(AgentContext context, string disk, CancellationToken cancellationToken)
    {
        var reread = await CommandRunner.RunAsync("blockdev", ["--rereadpt", disk], null, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (reread.Ok)
        {
            return;
        }
        // BLKRRPART refuses while a partition is open; partx updates partitions one by one.
        var partx = await CommandRunner.RunAsync("partx", ["--update", disk], null, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (partx.Ok)
        {
            return;
        }
        var probe = await CommandRunner.RunAsync("partprobe", [disk], null, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (!probe.Ok)
        {
            AgentLog.CommandFailed(context.Logger, "blockdev --rereadpt / partx --update / partprobe", disk, probe.ExitCode,
                reread.Output + "; " + partx.Output + "; " + probe.Output);
        }
    }

    internal static string MarkerPath(string stateDir, Job job) =>
        Path.Combine(stateDir, $"partitioned-{Safe(job.DeploymentId)}-{Safe(job.InfoHash)}");

    /// <summary>"gpt" or "dos" from the dump's "label:" line.</summary>
    internal static string Label(string? dump)
    {
        foreach (var line in (dump ?? "").Split('\n'))
        {
            var t = line.Trim();
            if (t.StartsWith("label:", StringComparison.Ordinal))
            {
                return t[6..].Trim();
            }
        }
        return "dos";
    }

    /// <summary>
    /// The logical sector size the dump counts in: its "sector-size:" line (what image.json
    /// records as logicalSectorSize), 512 when it has none, 0 when there is no table at all.
    /// sfdisk itself ignores that line and counts in the target's sectors, hence the check.
    /// </summary>
    internal static int SectorSize(string? dump)
    {
        if (string.IsNullOrWhiteSpace(dump))
        {
            return 0;
        }
        foreach (var line in dump.Split('\n'))
        {
            var t = line.Trim();
            if (t.StartsWith("sector-size:", StringComparison.Ordinal))
            {
                return int.TryParse(t[12..].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : -1;
            }
        }
        return 512;
    }

    private static string Safe(string text) => new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
