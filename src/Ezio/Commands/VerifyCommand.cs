using System.Buffers;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;

namespace Ezio.Commands;

internal static class VerifyCommand
{
    public const string Usage = "ezio verify <torrent> <target> [<target>...] [--layout auto|offsets|files] [--list]";

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, ["--layout"], ["--list"]);
        if (cl.Help)
        {
            Console.WriteLine(Usage + "\n  Re-reads every piece from the target and checks its SHA-1. Exit 0 when all are good, 1 otherwise.\n  --list prints the index of every bad piece.");
            return 0;
        }
        if (cl.Positionals.Count < 2)
        {
            cl.ExpectPositionals(2, Usage);
        }
        var torrent = await Common.LoadTorrentAsync(cl.Positionals[0], CancellationToken.None).ConfigureAwait(false);
        var targets = cl.Positionals.Skip(1).ToList();
        using var storage = MultiDiskTargets.Applies(torrent, targets)
            ? MultiDiskTargets.Open(torrent, targets, forSeeding: true)
            : Targets.Open(torrent, cl.Positionals[1], Targets.ParseLayout(cl.Value("--layout")), forSeeding: true);
        var bad = new List<int>();
        var buffer = ArrayPool<byte>.Shared.Rent(torrent.PieceLength);
        try
        {
            for (var i = 0; i < torrent.PieceCount; i++)
            {
                if (!storage.ReadAndVerify(torrent, i, buffer))
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
