using System.Buffers;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;
using Ezio.Storage;

namespace Ezio.Commands;

internal static class VerifyCommand
{
    public const string Usage = "ezio verify <torrent> <target> [--layout auto|offsets|files] [--list]";

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, ["--layout"], ["--list"]);
        if (cl.Help)
        {
            Console.WriteLine(Usage + """

                  Re-reads every piece from the target and checks its SHA-1. Exit 0 when all are good, 1 otherwise.
                  The target is opened read-only and never changed. Disks and files are read with O_DIRECT
                  where the file system allows it, so the check sees the device, not the page cache.
                  A target shorter than the torrent counts the pieces it lacks as bad.
                  --list prints the index of every bad piece.
                """);
            return 0;
        }
        cl.ExpectPositionals(2, Usage);
        var torrent = await Common.LoadTorrentAsync(cl.Positionals[0], CancellationToken.None).ConfigureAwait(false);
        var target = cl.Positionals[1];
        using var storage = Targets.Open(torrent, target, Targets.ParseLayout(cl.Value("--layout")), forSeeding: true, directReads: true);
        if (storage is RawTargetStorage raw)
        {
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
