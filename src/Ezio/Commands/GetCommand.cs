using System.Diagnostics;
using Ezio.BitTorrent.Engine;
using Ezio.Cli;

namespace Ezio.Commands;

internal static class GetCommand
{
    public const string Usage = "ezio get <torrent-file-or-http-url> <target> [<target>...] [--port N] [--seed-after done|none|<seconds>] [--peer HOST:PORT]... [--tracker URL]... [--web-seed URL]... [--layout auto|offsets|files|relocated] [--image DIR|FILE] [--no-recheck] [--no-compression] [--relay] [--create-file]";

    public const string Help = Usage + """


        Downloads a torrent and verifies every piece before it is written.
          <target>          a file (single-file torrent), a directory (multi-file torrent),
                            or, with the offset layout, a block device or disk image file;
                            an image of several disks takes one target per disk, in its disk order
          --port N          TCP port to accept peers on (default 6881; 0 picks a free one)
          --seed-after X    after completion: 'done' keeps seeding until no peer still needs
                            pieces (default), 'none' exits at once, a number seeds that many seconds
          --peer HOST:PORT  a peer to connect to besides the tracker's (repeatable)
          --tracker URL     announce here instead of the torrent's trackers (repeatable)
          --web-seed URL    also fetch pieces from this HTTP server (BEP 19; besides the
                            torrent's url-list; repeatable): a URL ending in / holds the
                            torrent's files, any other names one file of all its bytes in
                            order, e.g. an image's payload.bin (docs/web-seeds.md)
          --layout L        auto (default): offsets when every file name is a 32-hex-digit
                            byte offset, else files; relocated: onto a disk whose partitions
                            lie elsewhere than on the image's disk (a resize policy's layout),
                            each partition's bytes into the partition of the same number in the
                            target's own table; resumes and redeploys such a disk (a
                            partition below the image's minimum for it is refused)
          --image DIR|FILE  the image directory or its image.json for --layout relocated
                            (default: image.json beside the torrent file)
          --no-compression  never exchange compressed pieces (ezio_zpiece) with other Ezio peers
          --relay           pass on and fetch blocks of pieces not yet whole (ezio_relay, on
                            torrents with block roots; off by default, docs/engine.md)
          --no-recheck      do not hash what the target already holds
          --create-file     let a target under /dev be a regular file (created when missing);
                            without it a path under /dev must be an existing block device
        Exit status: 0 complete and verified, 1 failed, 2 usage error, 130 interrupted.
        """;

    private static readonly string[] ValueOptions = [.. SwarmSetup.ValueOptions, "--seed-after", "--web-seed"];

    private static readonly string[] FlagOptions = [.. SwarmSetup.FlagOptions, "--create-file"];

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, ValueOptions, FlagOptions);
        if (cl.Help)
        {
            Console.WriteLine(Help);
            return 0;
        }
        if (cl.Positionals.Count < 2)
        {
            cl.ExpectPositionals(2, Usage);
        }
        var seedAfter = SeedAfter.Parse(cl.Value("--seed-after") ?? "done");
        var webSeeds = Common.ParseWebSeeds(cl.Values("--web-seed"));

        using var cts = new CancellationTokenSource();
        using var signals = Common.OnStopSignal(cts);
        using var setup = await SwarmSetup.OpenAsync(cl, forSeeding: false, cts.Token).ConfigureAwait(false);
        await using var listener = setup.Listener;
        var torrent = setup.Torrent;
        var session = setup.CreateSession(seeding: false, webSeeds: webSeeds);
        await using (session.ConfigureAwait(false))
        {
            var clock = Stopwatch.StartNew();
            try
            {
                await session.StartAsync(cts.Token).ConfigureAwait(false);
                await using (var progress = new Progress(session))
                {
                    try
                    {
                        await session.Completion.WaitAsync(cts.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        progress.Print(final: true);
                    }
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                Console.Error.WriteLine("ezio: interrupted; what was verified and written stays on the target and is kept on the next run.");
                return 130;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"ezio: download failed: {e.Message}");
                return 1;
            }
            var stats = session.GetStats();
            var seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            Console.Error.WriteLine($"ezio: complete and verified: {torrent.Name}, {Common.Size(torrent.TotalLength)}; fetched {Common.Size(stats.Downloaded)} in {seconds:0.0} s ({stats.Downloaded / seconds / (1 << 20):0.0} MiB/s){Breakdown(stats)}{(stats.HashFailures > 0 ? $"; {stats.HashFailures} pieces failed their check and were fetched again" : "")}.");
            foreach (var webSeed in session.GetWebSeeds())
            {
                Console.Error.WriteLine($"ezio: web seed {webSeed.Uri}: fetched {webSeed.Downloaded} bytes{(webSeed.GivenUp is { } why ? $"; not used any more: {why}" : "")}.");
            }
            await seedAfter.WaitAsync(session, cts.Token).ConfigureAwait(false);
            if (session.RelayedBlocks > 0)
            {
                Console.Error.WriteLine($"ezio: relayed {session.RelayedBlocks} blocks of pieces not yet whole here (ezio_relay).");
            }
            return 0;
        }
    }

    // Where the fetched bytes went: whole compressed pieces (with what they held), plain
    // blocks, duplicates; and pieces compressed here for peers because none was at hand.
    private static string Breakdown(SessionStats stats)
    {
        var parts = new List<string>(4);
        if (stats.ZPieceWire > 0)
        {
            parts.Add($"{Common.Size(stats.ZPieceWire)} as whole pieces holding {Common.Size(stats.ZPieceData)}");
            parts.Add($"{Common.Size(Math.Max(0, stats.Downloaded - stats.ZPieceWire))} as blocks");
        }
        if (stats.Wasted > 0)
        {
            parts.Add($"{Common.Size(stats.Wasted)} wasted");
        }
        if (stats.ZPiecesCompressed > 0)
        {
            parts.Add($"{stats.ZPiecesCompressed} pieces compressed for peers");
        }
        if (Ezio.Imaging.Compression.ZstdPieceCodec.Instance is { DecompressedBytes: > 0 } codec)
        {
            parts.Add($"decompressed {Common.Size(codec.DecompressedBytes)} in {codec.DecompressCpuTime.TotalSeconds:0.00} s of CPU");
        }
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }
}

/// <summary>What a finished download does next.</summary>
internal readonly record struct SeedAfter(bool UntilDone, TimeSpan Duration)
{
    public static SeedAfter Parse(string text) => text switch
    {
        "done" => new SeedAfter(true, TimeSpan.Zero),
        "none" => new SeedAfter(false, TimeSpan.Zero),
        _ when int.TryParse(text, out var seconds) && seconds >= 0 => new SeedAfter(false, TimeSpan.FromSeconds(seconds)),
        _ => throw new UsageException($"--seed-after wants done, none or a number of seconds, not '{text}'."),
    };

    public async Task WaitAsync(TorrentSession session, CancellationToken cancellationToken)
    {
        try
        {
            if (!UntilDone)
            {
                if (Duration > TimeSpan.Zero)
                {
                    await Task.Delay(Duration, cancellationToken).ConfigureAwait(false);
                }
                return;
            }
            // Seeds drop each other, so once no peer has been connected for a few seconds
            // nobody we know of still needs a piece from us.
            var idle = 0;
            while (idle < 5)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                idle = session.GetStats().Peers == 0 ? idle + 1 : 0;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
