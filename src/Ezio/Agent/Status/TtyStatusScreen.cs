using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ezio.Agent.Status;

/// <summary>
/// Redraws a full-screen status on tty1 (or the file the options name) once a second, for
/// the person standing at the machine. Silently off when the terminal is not writable.
/// </summary>
internal sealed class TtyStatusScreen(AgentStatus status, IOptions<AgentOptions> options, TimeProvider time) : BackgroundService
{
    private const int Width = 78;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = options.Value.StatusTty;
        if (path is "" or "none" || !CanWrite(path))
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        do
        {
            try
            {
                await File.WriteAllTextAsync(path, Render(status.Snapshot(), time.GetUtcNow()), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static bool CanWrite(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Clear screen, home, then fixed lines; the whole frame is one write.</summary>
    internal static string Render(StatusSnapshot s, DateTimeOffset now)
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder("\u001b[2J\u001b[H");
        b.Append(" EZIO deployment agent ").Append('=', Width - 23).Append('\n');
        b.Append('\n');
        Line(b, "Machine", s.Machine);
        Line(b, "Image", s.Image ?? "-");
        Line(b, "Disk", s.Disk ?? "-");
        Line(b, "Phase", $"{s.PhaseText} (for {Elapsed(now - s.Since)})");
        b.Append('\n');
        var fraction = s.BytesTotal > 0 ? Math.Clamp((double)s.BytesDone / s.BytesTotal, 0, 1) : 0;
        const int bar = Width - 12;
        var filled = (int)(fraction * bar);
        b.Append(" [").Append('#', filled).Append('.', bar - filled).Append("] ").Append((fraction * 100).ToString("0.0", c).PadLeft(5)).Append("%\n");
        Line(b, "Progress", $"{Size(s.BytesDone)} of {Size(s.BytesTotal)}");
        Line(b, "Rate", $"in {Size((long)s.RateIn)}/s, out {Size((long)s.RateOut)}/s");
        Line(b, "Peers", s.Peers.ToString(c));
        var eta = s.RateIn > 1 && s.BytesTotal > s.BytesDone ? Elapsed(TimeSpan.FromSeconds((s.BytesTotal - s.BytesDone) / s.RateIn)) : "-";
        Line(b, "ETA", eta);
        b.Append('\n');
        if (s.Message is not null)
        {
            Line(b, "Status", s.Message);
        }
        if (s.Error is not null)
        {
            b.Append('\n').Append(" \u001b[1;31mERROR: ").Append(s.Error).Append("\u001b[0m\n");
        }
        if (s.Refusal is not null)
        {
            b.Append('\n').Append(" \u001b[1;31mJOB REFUSED, NOTHING WRITTEN: ").Append(s.Refusal).Append("\u001b[0m\n");
        }
        return b.ToString();
    }

    private static void Line(StringBuilder b, string label, string value) =>
        b.Append(' ').Append(label.PadRight(10)).Append(value.Length > Width - 12 ? value[..(Width - 12)] : value).Append('\n');

    private static string Elapsed(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{Math.Max(0, t.Seconds)}s";

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
