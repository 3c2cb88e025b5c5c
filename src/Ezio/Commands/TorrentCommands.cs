using Ezio.BitTorrent.Metainfo;
using Ezio.Cli;

namespace Ezio.Commands;

internal static class TorrentCommands
{
    public const string Usage = "ezio torrent create <file-or-dir> -o <out.torrent> [--announce URL]... [--piece-size N] [--name NAME] [--comment TEXT] [--private]\n       ezio torrent info <torrent>";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        return args[0] switch
        {
            "create" => Create(args[1..]),
            "info" => await InfoAsync(args[1..]).ConfigureAwait(false),
            _ => throw new UsageException($"unknown torrent command '{args[0]}'. Usage: {Usage}"),
        };
    }

    private static int Create(string[] args)
    {
        var cl = CommandLine.Parse(args, ["-o", "--output", "--announce", "--piece-size", "--name", "--comment"], ["--private"]);
        if (cl.Help)
        {
            Console.WriteLine("""
                ezio torrent create <file-or-dir> -o <out.torrent> [--announce URL]... [--piece-size N] [--name NAME] [--comment TEXT] [--private]
                  Hashes a file (single-file torrent) or a directory (multi-file torrent, files in
                  ordinal path order). --piece-size takes bytes or K/M suffixes (a power of two
                  from 16K); by default it is chosen from the total size.
                """);
            return 0;
        }
        cl.ExpectPositionals(1, "ezio torrent create <file-or-dir> -o <out.torrent>");
        var output = cl.Value("-o") ?? cl.Value("--output") ?? throw new UsageException("-o <out.torrent> is required.");
        var source = cl.Positionals[0];
        if (!File.Exists(source) && !Directory.Exists(source))
        {
            throw new UsageException($"no such file or directory: {source}");
        }
        var pieceSize = cl.Value("--piece-size") is { } text ? CommandLine.ParseSize("--piece-size", text) : 0;
        if (pieceSize != 0 && (pieceSize < 16384 || pieceSize > (256 << 20) || (pieceSize & (pieceSize - 1)) != 0))
        {
            throw new UsageException($"--piece-size must be a power of two from 16 KiB to 256 MiB, not {pieceSize}.");
        }
        byte[] bytes;
        try
        {
            bytes = TorrentBuilder.Create(source, new TorrentBuildOptions
            {
                PieceLength = (int)pieceSize,
                Announce = cl.Values("--announce"),
                Name = cl.Value("--name"),
                Comment = cl.Value("--comment"),
                IsPrivate = cl.Flag("--private"),
                WithBlockRoots = true,
            });
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        File.WriteAllBytes(output, bytes);
        var torrent = Torrent.Parse(bytes);
        Console.WriteLine($"{output}: {torrent.Name}, {torrent.Files.Count} file(s), {Common.Size(torrent.TotalLength)}, {torrent.PieceCount} pieces of {Common.Size(torrent.PieceLength)}, info-hash {torrent.InfoHash}");
        return 0;
    }

    private static async Task<int> InfoAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, [], []);
        if (cl.Help)
        {
            Console.WriteLine("ezio torrent info <torrent-file-or-http-url>\n  Prints name, info-hash, sizes, trackers and files.");
            return 0;
        }
        cl.ExpectPositionals(1, "ezio torrent info <torrent>");
        var torrent = await Common.LoadTorrentAsync(cl.Positionals[0], CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine($"name:        {torrent.Name}");
        Console.WriteLine($"info-hash:   {torrent.InfoHash}");
        Console.WriteLine($"size:        {torrent.TotalLength} bytes ({Common.Size(torrent.TotalLength)})");
        Console.WriteLine($"piece size:  {torrent.PieceLength} bytes ({Common.Size(torrent.PieceLength)})");
        Console.WriteLine($"pieces:      {torrent.PieceCount}");
        Console.WriteLine($"private:     {(torrent.IsPrivate ? "yes" : "no")}");
        foreach (var tier in torrent.AnnounceList)
        {
            Console.WriteLine($"tracker:     {string.Join(' ', tier)}");
        }
        if (torrent.Comment is { } comment)
        {
            Console.WriteLine($"comment:     {comment}");
        }
        if (torrent.CreatedBy is { } createdBy)
        {
            Console.WriteLine($"created by:  {createdBy}");
        }
        Console.WriteLine($"files:       {torrent.Files.Count}");
        foreach (var file in torrent.Files)
        {
            Console.WriteLine($"  {file.Offset,14} {file.Length,14}  {file.Path}");
        }
        return 0;
    }
}
