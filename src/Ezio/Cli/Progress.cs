using Ezio.BitTorrent.Engine;

namespace Ezio.Cli;

/// <summary>
/// Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds
/// otherwise (logs, CI, journald).
/// </summary>
internal sealed class Progress : IAsyncDisposable
{
    private readonly TorrentSession _session;
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly long _started = Environment.TickCount64;

    public Progress(TorrentSession session)
    {
        _session = session;
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        var period = TimeSpan.FromMilliseconds(_terminal ? 500 : 5000);
        try
        {
            while (true)
            {
                await Task.Delay(period, _stop.Token).ConfigureAwait(false);
                Print(final: false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Print(bool final)
    {
        var s = _session.GetStats();
        var fraction = s.PieceCount == 0 ? 1 : (double)s.PiecesHave / s.PieceCount;
        var eta = s.DownloadRate > 1 && s.BytesLeft > 0 ? TimeSpan.FromSeconds(s.BytesLeft / s.DownloadRate) : (TimeSpan?)null;
        var text = $"{s.State.ToString().ToLowerInvariant(),-11} {fraction * 100,5:0.0}% " +
            $"down {Rate(s.DownloadRate)} up {Rate(s.UploadRate)} peers {s.Peers} (seeds {s.Seeds})" +
            (eta is { } e ? $" eta {e:hh\\:mm\\:ss}" : "") +
            (s.LastTrackerError is { } t ? $" tracker: {t}" : "");
        if (_terminal)
        {
            const int width = 24;
            var filled = (int)(fraction * width);
            var bar = new string('#', filled) + new string('.', width - filled);
            Console.Error.Write($"\r[{bar}] {text}\u001b[K");
            if (final)
            {
                Console.Error.WriteLine();
            }
        }
        else
        {
            var elapsed = TimeSpan.FromMilliseconds(Environment.TickCount64 - _started);
            Console.Error.WriteLine($"[{elapsed:hh\\:mm\\:ss}] {text}");
        }
    }

    private static string Rate(double bytesPerSecond) => bytesPerSecond switch
    {
        >= 1 << 30 => $"{bytesPerSecond / (1 << 30):0.00} GiB/s",
        >= 1 << 20 => $"{bytesPerSecond / (1 << 20):0.0} MiB/s",
        _ => $"{bytesPerSecond / 1024:0} KiB/s",
    };

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
    }
}
