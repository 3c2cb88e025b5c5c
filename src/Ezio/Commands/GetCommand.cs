using System.Diagnostics;
using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.Cli;

namespace Ezio.Commands;

internal static class GetCommand
{
    public const string Usage = "ezio get <torrent-file-or-http-url> <target> [--port N] [--seed-after done|none|<seconds>] [--peer HOST:PORT]... [--tracker URL]... [--layout auto|offsets|files] [--no-recheck] [--no-compression]";

    public const string Help = Usage + """


        Downloads a torrent and verifies every piece before it is written.
          <target>          a file (single-file torrent), a directory (multi-file torrent),
                            or, with the offset layout, a block device or disk image file
          --port N          TCP port to accept peers on (default 6881; 0 picks a free one)
          --seed-after X    after completion: 'done' keeps seeding until no peer still needs
                            pieces (default), 'none' exits at once, a number seeds that many seconds
          --peer HOST:PORT  a peer to connect to besides the tracker's (repeatable)
          --tracker URL     announce here instead of the torrent's trackers (repeatable)
          --layout L        auto (default): offsets when every file name is a 32-hex-digit
                            byte offset, else files
          --no-compression  never exchange compressed pieces (ezio_zpiece) with other Ezio peers
          --no-recheck      do not hash what the target already holds
        Exit status: 0 complete and verified, 1 failed, 2 usage error, 130 interrupted.
        """;

    private static readonly string[] ValueOptions = ["--port", "--seed-after", "--peer", "--tracker", "--layout"];
    private static readonly string[] FlagOptions = ["--no-recheck", "--no-compression"];

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, ValueOptions, FlagOptions);
        if (cl.Help)
        {
            Console.WriteLine(Help);
            return 0;
        }
        cl.ExpectPositionals(2, Usage);
        var port = cl.Int("--port", Common.DefaultPort, 0, 65535);
        var seedAfter = SeedAfter.Parse(cl.Value("--seed-after") ?? "done");
        var peers = Common.ParsePeers(cl.Values("--peer"));
        var trackers = Common.ParseTrackers(cl.Values("--tracker"));
        var layout = Targets.ParseLayout(cl.Value("--layout"));

        using var cts = new CancellationTokenSource();
        using var signals = Common.OnStopSignal(cts);
        var torrent = await Common.LoadTorrentAsync(cl.Positionals[0], cts.Token).ConfigureAwait(false);
        using var storage = Targets.Open(torrent, cl.Positionals[1], layout, forSeeding: false);
        await using var listener = Listen(port);
        var session = new TorrentSession(torrent, storage, new SessionOptions
        {
            ListenPort = listener.Port,
            InitialPeers = peers,
            Trackers = trackers,
            Codec = Common.Codec(cl.Flag("--no-compression")),
            Logger = StderrLogger.Instance,
            Recheck = !cl.Flag("--no-recheck"),
        });
        await using (session.ConfigureAwait(false))
        {
            listener.Add(session);
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
            Console.Error.WriteLine($"ezio: complete and verified: {torrent.Name}, {Common.Size(torrent.TotalLength)}; fetched {Common.Size(stats.Downloaded)} in {seconds:0.0} s ({stats.Downloaded / seconds / (1 << 20):0.0} MiB/s){(stats.HashFailures > 0 ? $"; {stats.HashFailures} pieces failed their check and were fetched again" : "")}.");
            await seedAfter.WaitAsync(session, cts.Token).ConfigureAwait(false);
            return 0;
        }
    }

    public static PeerListener Listen(int port)
    {
        try
        {
            return new PeerListener(new IPEndPoint(IPAddress.Any, port));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new UsageException($"cannot listen on port {port}: {e.Message}");
        }
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
