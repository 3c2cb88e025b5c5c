using Ezio.Cli;

namespace Ezio.Commands;

internal static class SeedCommand
{
    public const string Usage = "ezio seed <torrent> <source> [--port N] [--peer HOST:PORT]... [--tracker URL]... [--layout auto|offsets|files|relocated] [--image DIR|FILE] [--no-recheck] [--no-super-seed] [--no-compression] [--relay]";

    public const string Help = Usage + """


        Seeds a torrent from <source> (the file, directory, disk or image the torrent
        describes) until SIGTERM or Ctrl-C, then announces 'stopped' and exits 0.
        The source is hashed first, and a source that does not match is refused. The
        source is opened read-only and never changed (a short file is not extended).
          --port N          TCP port to accept peers on (default 6881; 0 picks a free one)
          --peer HOST:PORT  a peer to connect to (repeatable)
          --tracker URL     announce here instead of the torrent's trackers (repeatable)
          --layout L        auto (default), offsets, files or relocated, with --image
                            DIR|FILE (see ezio get --help)
          --no-compression  never exchange compressed pieces (ezio_zpiece) with other Ezio peers
          --relay           pass on and fetch blocks of pieces not yet whole (ezio_relay, on
                            torrents with block roots; off by default, docs/engine.md)
          --no-recheck      trust the source without hashing it
          --no-super-seed   advertise every piece at once instead of spreading distinct
                            pieces first
        """;

    private static readonly string[] FlagOptions = [.. SwarmSetup.FlagOptions, "--no-super-seed"];

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, SwarmSetup.ValueOptions, FlagOptions);
        if (cl.Help)
        {
            Console.WriteLine(Help);
            return 0;
        }
        cl.ExpectPositionals(2, Usage);
        using var cts = new CancellationTokenSource();
        using var signals = Common.OnStopSignal(cts);
        using var setup = await SwarmSetup.OpenAsync(cl, forSeeding: true, cts.Token).ConfigureAwait(false);
        await using var listener = setup.Listener;
        var torrent = setup.Torrent;
        var session = setup.CreateSession(seeding: true, superSeed: !cl.Flag("--no-super-seed"));
        await using (session.ConfigureAwait(false))
        {
            try
            {
                await session.StartAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return 130;
            }
            var stats = session.GetStats();
            if (stats.PiecesHave != stats.PieceCount)
            {
                Console.Error.WriteLine($"ezio: {cl.Positionals[1]} does not match the torrent: {stats.PieceCount - stats.PiecesHave} of {stats.PieceCount} pieces are wrong or missing.");
                return 1;
            }
            Console.Error.WriteLine($"ezio: seeding {torrent.Name} ({Common.Size(torrent.TotalLength)}, info-hash {torrent.InfoHash}) on port {listener.Port}.");
            await using (new Progress(session))
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
            var final = session.GetStats();
            var superSeed = final.SuperSeedUploaded is { } first
                ? $" (every piece had reached a machine after {Common.Size(first)}, {(double)first / Math.Max(1, torrent.TotalLength):0.00} images)"
                : "";
            Console.Error.WriteLine($"ezio: stopped; uploaded {Common.Size(final.Uploaded)}{superSeed}.");
            return 0;
        }
    }
}
