using System.Buffers;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;
using Ezio.Storage;

namespace Ezio.Commands;

internal static class VerifyCommand
{
    public const string Usage = "ezio verify <torrent> <target> [<target>...] [--layout auto|offsets|files|relocated] [--image DIR|FILE] [--list]";

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, ["--layout", "--image"], ["--list"]);
        if (cl.Help)
        {
            Console.WriteLine(Usage + """

                  Re-reads every piece from the target and checks its SHA-1. Exit 0 when all are good, 1 otherwise.
                  The target is opened read-only and never changed. Disks and files are read with O_DIRECT
                  where the file system allows it, so the check sees the device, not the page cache.
                  A target shorter than the torrent counts the pieces it lacks as bad.
                  --list prints the index of every bad piece.
                  --layout relocated (or --image alone) checks a disk whose partitions lie elsewhere than on
                  the image's disk (deployed with a resize policy): each partition's bytes are read from the
                  partition of the same number in the target's own table. --image names the image directory
                  or its image.json (default: image.json beside the torrent file). Another table type, other
                  sectors, a missing partition, or one too small for the image's data in it is refused
                  before any piece is read. A file system grown after writing has changed its metadata,
                  so the pieces holding it count as bad.
                """);
            return 0;
        }
        if (cl.Positionals.Count < 2)
        {
            cl.ExpectPositionals(2, Usage);
        }
        var torrent = await Common.LoadTorrentAsync(cl.Positionals[0], CancellationToken.None).ConfigureAwait(false);
        var targets = cl.Positionals.Skip(1).ToList();
        using var storage = RelocatedTarget.Requested(cl)
            ? await RelocatedTarget.OpenAsync(torrent, cl.Positionals[0], targets, cl.Value("--image"), cl.Value("--layout"),
                new RawTargetOptions { ReadOnly = true, DirectReads = true }, CancellationToken.None).ConfigureAwait(false)
            : MultiDiskTargets.Applies(torrent, targets)
            ? MultiDiskTargets.Open(torrent, targets, forSeeding: true, directReads: true)
            : Targets.Open(torrent, cl.Positionals[1], Targets.ParseLayout(cl.Value("--layout")), forSeeding: true, directReads: true);
        IReadOnlyList<RawTargetStorage> raws = storage switch
        {
            MultiDiskStorage multi => multi.Targets,
            RawTargetStorage one => [one],
            _ => [],
        };
        for (int k = 0; k < raws.Count; k++)
        {
            var raw = raws[k];
            var target = targets[k];
            if (!raw.ReadsDirect)
            {
                Console.Error.WriteLine($"ezio: {target} does not take O_DIRECT reads; reading through the page cache.");
            }
            if (!raw.IsBlockDevice && raw.TargetSize < raw.TargetEnd)
            {
                Console.Error.WriteLine($"ezio: {target} holds {raw.TargetSize} bytes but the torrent's data ends at byte {raw.TargetEnd}; the pieces past its end count as bad.");
            }
        }
        var bad = new List<int>();
        var buffer = ArrayPool<byte>.Shared.Rent(torrent.PieceLength);
        try
        {
            for (var i = 0; i < torrent.PieceCount; i++)
            {
                bool ok;
                try
                {
                    ok = storage.ReadAndVerify(torrent, i, buffer);
                }
                catch (StorageException)
                {
                    // Past the end of a short target, a missing file, or a read error: not there.
                    ok = false;
                }
                if (!ok)
                {
                    bad.Add(i);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Console.WriteLine($"{torrent.PieceCount - bad.Count} good, {bad.Count} bad of {torrent.PieceCount} pieces");
        if (cl.Flag("--list"))
        {
            foreach (var index in bad)
            {
                Console.WriteLine($"bad piece {index}");
            }
        }
        return bad.Count == 0 ? 0 : 1;
    }
}
