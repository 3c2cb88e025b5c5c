using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Ezio.Agent.Hosting;

/// <summary>
/// Answers WatchdogSec=: systemd sets WATCHDOG_USEC (and WATCHDOG_PID, which must be us) and
/// expects WATCHDOG=1 at least that often; nothing in the hosting stack sends it, so this
/// pings every half period (sd_watchdog_enabled(3)).
/// </summary>
internal sealed class SystemdWatchdog(ISystemdNotifier notifier, ILogger<SystemdWatchdog> logger, TimeProvider time) : BackgroundService
{
    /// <summary>Half the watchdog period, or null when there is no watchdog for this process.</summary>
    internal static TimeSpan? Interval(string? usec, string? pid, int processId)
    {
        if (!ulong.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var micro) || micro == 0)
        {
            return null;
        }
        if (pid is { Length: > 0 } && (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p != processId))
        {
            return null;
        }
        return TimeSpan.FromMicroseconds(micro / 2.0);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
        if (interval is not { } period || !notifier.IsEnabled)
        {
            return;
        }
        AgentLog.Watchdog(logger, period.TotalMilliseconds);
        var state = new ServiceState("WATCHDOG=1");
        using var timer = new PeriodicTimer(period, time);
        try
        {
            do
            {
                notifier.Notify(state);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
