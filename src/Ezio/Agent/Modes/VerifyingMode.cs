using System.Buffers;
using System.Diagnostics;
using Ezio.Agent.Disks;
using Ezio.BitTorrent.Storage;
using Ezio.Deployment.Contracts;
using Ezio.Storage;

namespace Ezio.Agent.Modes;

/// <summary>
/// After the flush: re-reads and hashes every piece when the job asks for it, then runs the
/// post-steps. GPT keeps a backup header at the last sector; an image made on a smaller disk
/// has it in the middle of ours, so `sgdisk -e` moves it to the real end. That edits the
/// primary header too, so the torrent's view of the first and last MiB is frozen first
/// (<see cref="SnapshotStorage"/>) and peers keep receiving bytes that match the hashes.
/// Growing the last partition and writing the hostname change the middle of the disk, so
/// they wait until seeding is over (<see cref="PostStepsMode"/>).
/// </summary>
internal sealed class VerifyingMode : Mode
{
    private const int FrozenBytes = 1 << 20;

    public override DeployPhase Phase => DeployPhase.Verifying;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        var disk = context.Disk!;
        if (job.VerifyAfterWrite)
        {
            context.Enter(DeployPhase.Verifying, "verifying every piece on the disk");
            var clock = Stopwatch.StartNew();
            var bad = await Task.Run(() => CountBadPieces(context, cancellationToken), cancellationToken).ConfigureAwait(false);
            context.VerifySeconds = clock.Elapsed.TotalSeconds;
            if (bad > 0)
            {
                throw new InvalidOperationException($"verification found {bad} bad pieces on {disk.Path}");
            }
            AgentLog.Verified(context.Logger, context.Torrent!.PieceCount, disk.Path, context.VerifySeconds);
        }

        context.Enter(DeployPhase.Finishing, "moving the GPT backup header to the end of the disk");
        var storage = context.Storage!;
        storage.Freeze(0, FrozenBytes);
        storage.Freeze(storage.Length - FrozenBytes, FrozenBytes);
        await MultiDiskJob.MoveBackupHeadersAsync(context, cancellationToken).ConfigureAwait(false);
        if (disk.SizeBytes > job.ImageSizeBytes && IsGpt(disk.Path))
        {
            var result = await CommandRunner.RunAsync("sgdisk", ["-e", disk.Path], null, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            if (!result.Ok)
            {
                AgentLog.CommandFailed(context.Logger, "sgdisk -e", disk.Path, result.ExitCode, result.Output);
            }
            await PartitioningMode.RereadAsync(context, disk.Path, cancellationToken).ConfigureAwait(false);
        }
        return new ReportingMode();
    }

    /// <summary>
    /// Hashes every piece as the disk holds it: a second, read-only descriptor with O_DIRECT,
    /// so what the page cache still remembers cannot pass for what reached the device.
    /// </summary>
    private static int CountBadPieces(AgentContext context, CancellationToken cancellationToken)
    {
        var torrent = context.Torrent!;
        var disk = context.Disk!;
        var options = new RawTargetOptions { ReadOnly = true, DirectReads = true };
        using var storage = MultiDiskJob.OpenStorage(context, options) ?? ResizeJob.OpenStorage(context, options) ?? TargetStorage.Open(disk.Path, torrent, StorageLayout.Auto, options);
        IReadOnlyList<RawTargetStorage> targets = storage switch
        {
            MultiDiskStorage multi => multi.Targets,
            RawTargetStorage raw => [raw],
            _ => [],
        };
        IReadOnlyList<Disk> disks = context.Disks is { Count: > 1 } all ? all : [disk];
        for (var k = 0; k < targets.Count; k++)
        {
            if (!targets[k].ReadsDirect)
            {
                AgentLog.VerifyBuffered(context.Logger, disks[k].Path);
            }
        }
        var buffer = ArrayPool<byte>.Shared.Rent(torrent.PieceLength);
        var bad = 0;
        try
        {
            for (var i = 0; i < torrent.PieceCount; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!storage.ReadAndVerify(torrent, i, buffer))
                {
                    bad++;
                }
                context.Status.SetBytes((long)i * torrent.PieceLength + torrent.GetPieceSize(i), torrent.TotalLength);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return bad;
    }

    /// <summary>"EFI PART" at LBA 1 (512- or 4096-byte sectors).</summary>
    internal static bool IsGpt(string device)
    {
        try
        {
            using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var head = new byte[8192];
            var read = RandomAccess.Read(handle, head, 0);
            var signature = "EFI PART"u8;
            return (read >= 520 && head.AsSpan(512, 8).SequenceEqual(signature)) || (read >= 4104 && head.AsSpan(4096, 8).SequenceEqual(signature));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
