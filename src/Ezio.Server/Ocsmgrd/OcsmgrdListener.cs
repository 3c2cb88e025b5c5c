using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ezio.Deployment.Contracts;
using Ezio.Server.BootMenus;
using Ezio.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ezio.Server.Ocsmgrd;

/// <summary>
/// Stands in for Clonezilla's ocsmgrd: accepts one report line per TCP connection on the
/// ocsmgrd port (6461) and, like <c>ocsmgrd</c> without <c>--nopxecfg</c>, writes the client's
/// local-boot menus under the boot root from <c>pxelinux.cfg/default</c> and <c>grub/grub.cfg</c>:
/// <c>pxelinux.cfg/&lt;HEXIP&gt;</c>, <c>pxelinux.cfg/01-&lt;mac-dashes&gt;</c>,
/// <c>grub/grub.cfg-drbl-&lt;ip&gt;</c> and <c>grub/grub.cfg-drbl-&lt;mac&gt;</c>. Every file goes
/// through <see cref="BootMenuWriter"/>: atomic, and never outside the boot root. The job line
/// goes to the log and to <c>&lt;state&gt;/clonezilla-jobs.log</c> in ocsmgrd's format.
/// Port 0 picks a free port (tests); a negative port turns the listener off.
/// </summary>
internal sealed class OcsmgrdListener(ServerOptions options, BootMenuWriter menus, TimeProvider time, ILogger<OcsmgrdListener> logger) : BackgroundService
{
    public const int MaxConcurrentReports = 32;
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _editLock = new();
    private readonly SemaphoreSlim _slots = new(MaxConcurrentReports);
    private readonly TaskCompletionSource<int> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _accepted;
    private long _rejected;

    /// <summary>Completes with the bound port (0 when the listener is off or failed).</summary>
    public Task<int> Port => _bound.Task;

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Raised after a report was handled (menus written or rejected); for tests and the dashboard.</summary>
    public event Action<OcsmgrdReport?, string?>? Handled;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.OcsmgrdPort < 0)
        {
            _bound.TrySetResult(0);
            return;
        }
        Socket listener;
        try
        {
            listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(IPAddress.Parse(options.OcsmgrdBind), options.OcsmgrdPort));
            listener.Listen(64);
        }
        catch (Exception e) when (e is SocketException or FormatException)
        {
            OcsmgrdLog.ListenFailed(logger, options.OcsmgrdPort, e);
            _bound.TrySetResult(0);
            return;
        }
        using (listener)
        {
            OcsmgrdLog.Listening(logger, listener.LocalEndPoint!);
            _bound.TrySetResult(((IPEndPoint)listener.LocalEndPoint!).Port);
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (SocketException)
                {
                    continue;
                }
                if (!await _slots.WaitAsync(0, stoppingToken).ConfigureAwait(false))
                {
                    Reject(client.RemoteEndPoint?.ToString() ?? "?", "too many reports at once");
                    client.Dispose();
                    continue;
                }
                _ = HandleAsync(client, stoppingToken);
            }
        }
    }

    private async Task HandleAsync(Socket client, CancellationToken stoppingToken)
    {
        var peer = (client.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "?";
        try
        {
            using (client)
            {
                var line = await ReadLineAsync(client, stoppingToken).ConfigureAwait(false);
                if (line is null)
                {
                    Reject(peer, "no complete line within 10 s or 4 KiB");
                    return;
                }
                Process(line, peer);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            Reject(peer, e.Message);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Reads up to '\n' (or the end of the stream, as Perl's getline does), bounded in size and time.</summary>
    private static async Task<string?> ReadLineAsync(Socket client, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(s_readTimeout);
        var buffer = new byte[OcsmgrdReport.MaxLineBytes];
        var filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                var n = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                var newline = Array.IndexOf(buffer, (byte)'\n', filled, n);
                filled += n;
                if (newline >= 0)
                {
                    return Encoding.UTF8.GetString(buffer, 0, newline);
                }
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return null;
        }
        return filled > 0 && filled < buffer.Length ? Encoding.UTF8.GetString(buffer, 0, filled) : null;
    }

    /// <summary>Parses one report and writes the menus; returns the files written (relative to the boot root).</summary>
    internal IReadOnlyList<string> Process(string line, string peer)
    {
        if (!OcsmgrdReport.TryParse(line, out var report, out var error))
        {
            Reject(peer, error);
            return [];
        }
        var ip = report.Ip.ToString();
        OcsmgrdLog.Finished(logger, ip, report.Mac, report.Stats);
        AppendJobLog($"client {ip} ({report.Mac}) finished restoring. Stats: {report.Stats}");
        var written = new List<string>();
        if (menus.Enabled)
        {
            try
            {
                lock (_editLock)
                {
                    WriteMenus(report, written);
                }
                OcsmgrdLog.MenusWritten(logger, report.Mac, ip, string.Join(' ', written));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                OcsmgrdLog.WriteFailed(logger, report.Mac, ip, e);
            }
        }
        // Counted once its menus are written: whoever sees the count sees the files.
        Interlocked.Increment(ref _accepted);
        Handled?.Invoke(report, null);
        return written;
    }

    private void WriteMenus(OcsmgrdReport report, List<string> written)
    {
        var pxeDefault = menus.Resolve("pxelinux.cfg/default");
        if (File.Exists(pxeDefault))
        {
            var edited = DrblMenuEdits.EditPxelinux(File.ReadAllText(pxeDefault));
            foreach (var name in (string[])["pxelinux.cfg/" + report.HexIp, "pxelinux.cfg/01-" + MacAddress.WithDashes(report.Mac)])
            {
                menus.WriteAtomically(name, edited);
                written.Add(name);
            }
        }
        var grubDefault = menus.Resolve("grub/grub.cfg");
        if (File.Exists(grubDefault))
        {
            var edited = DrblMenuEdits.EditGrub(File.ReadAllText(grubDefault));
            foreach (var name in (string[])["grub/grub.cfg-drbl-" + report.Ip, "grub/grub.cfg-drbl-" + report.Mac])
            {
                menus.WriteAtomically(name, edited);
                written.Add(name);
            }
        }
    }

    private void Reject(string peer, string reason)
    {
        Interlocked.Increment(ref _rejected);
        OcsmgrdLog.Rejected(logger, peer, reason);
        Handled?.Invoke(null, reason);
    }

    /// <summary>ocsmgrd's clonezilla-jobs.log line: "YYYY-MMDD-HHMM, &lt;text&gt;" in local time.</summary>
    private void AppendJobLog(string text)
    {
        if (options.StateDirectory is not { } state)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(state);
            var stamp = time.GetLocalNow().ToString("yyyy-MMdd-HHmm", CultureInfo.InvariantCulture);
            File.AppendAllText(Path.Combine(state, "clonezilla-jobs.log"), stamp + ", " + text + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            OcsmgrdLog.Rejected(logger, "-", "cannot append to clonezilla-jobs.log: " + e.Message);
        }
    }

    public override void Dispose()
    {
        _bound.TrySetResult(0);
        base.Dispose();
    }
}
