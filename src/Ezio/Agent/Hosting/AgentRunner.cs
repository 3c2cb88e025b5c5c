using Ezio.Agent.Disks;
using Ezio.Agent.Modes;
using Ezio.Agent.Server;
using Ezio.BitTorrent.Storage;
using Ezio.Deployment.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace Ezio.Agent.Hosting;

/// <summary>
/// Drives the modes: Registering → Checking → Partitioning → Downloading → Verifying →
/// Reporting → Seeding → PostSteps → Finishing. A refusal or a failed deployment is reported to the
/// server and the agent goes back to waiting for a job; it never exits silently.
/// </summary>
internal sealed class AgentRunner(AgentContext context, ISystemdNotifier notifier, IHostApplicationLifetime lifetime) : BackgroundService
{
    private int _ready;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        context.OnRegistered = () =>
        {
            if (Interlocked.Exchange(ref _ready, 1) == 0)
            {
                notifier.Notify(new ServiceState("READY=1\nSTATUS=registered with the deployment server"));
            }
        };
        AgentLog.Starting(context.Logger, AgentCommand.Version, context.Options.Server, context.Options.Disk);
        Mode? mode = new RegisteringMode();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (mode is not null)
                {
                    var next = await mode.RunAsync(context, stoppingToken).ConfigureAwait(false);
                    if (next is null && mode is FinishingMode { Action: AfterAction.Stay })
                    {
                        await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
                    }
                    mode = next;
                }
                AgentLog.Stopping(context.Logger, "deployment finished");
                lifetime.StopApplication();
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (JobRefusedException e)
            {
                AgentLog.Refused(context.Logger, context.Job?.DeploymentId ?? "-", e.ReportText.Split(':')[0], e.Message);
                context.Status.SetRefusal(e.Message);
                await ReportFailureAsync(e.ReportText, stoppingToken).ConfigureAwait(false);
            }
            catch (ServerUnavailableException e)
            {
                // The job is still pending on the server: ask again later and resume.
                context.Status.SetError(e.Message);
                await Quietly(context.DelayAsync(context.Backoff(4), stoppingToken)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StorageException or IOException or InvalidOperationException or ServerRejectedException)
            {
                AgentLog.DeployFailed(context.Logger, context.Job?.DeploymentId ?? "-", e.Message, e);
                context.Status.SetError(e.Message);
                await ReportFailureAsync("failed: " + e.Message, stoppingToken).ConfigureAwait(false);
            }
            await context.ResetJobAsync().ConfigureAwait(false);
            mode = new RegisteringMode(afterFailure: true);
        }
    }

    /// <summary>Tells the server the job failed (a few tries: the server may be the problem).</summary>
    private async Task ReportFailureAsync(string reason, CancellationToken cancellationToken)
    {
        if (context.Job is not { } job || context.MachineId is null)
        {
            return;
        }
        var report = new DoneReport(context.MachineId, job.DeploymentId, false, reason.Length > 1000 ? reason[..1000] : reason, 0, 0, 0, 0, 0);
        for (var attempt = 0; attempt < 6 && !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await context.Server.PostDoneAsync(report, cancellationToken).ConfigureAwait(false);
                context.Enter(DeployPhase.Failed, "job refused or failed", reason);
                return;
            }
            catch (Exception e) when (e is ServerUnavailableException or ServerRejectedException)
            {
                var delay = context.Backoff(attempt);
                AgentLog.FailureReportRetry(context.Logger, e.Message, delay.TotalSeconds);
                await Quietly(context.DelayAsync(delay, cancellationToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
