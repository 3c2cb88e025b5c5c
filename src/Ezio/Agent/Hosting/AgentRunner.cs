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
/// server and the agent goes back to waiting for a job; it never exits silently. A deployment the
/// server cancelled ends the job as <see cref="JobEnd.Cancelled"/>: writing stops, no report, no reboot.
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
        Mode first = new RegisteringMode();
        while (!stoppingToken.IsCancellationRequested)
        {
            var end = await RunJobAsync(first, stoppingToken).ConfigureAwait(false);
            if (end == JobEnd.Stopped)
            {
                return;
            }
            if (end == JobEnd.Finished)
            {
                AgentLog.Stopping(context.Logger, "deployment finished");
                lifetime.StopApplication();
                return;
            }
            await context.ResetJobAsync().ConfigureAwait(false);
            first = new RegisteringMode(afterFailure: true);
        }
    }

    /// <summary>
    /// Runs the modes from <paramref name="first"/> until the job is over, one way or another.
    /// Every mode runs on the job's token too: a 410 from the server (the deployment was
    /// cancelled) stops whatever the job is doing, the download's writes included.
    /// </summary>
    internal async Task<JobEnd> RunJobAsync(Mode first, CancellationToken stoppingToken)
    {
        Mode? mode = first;
        try
        {
            while (mode is not null)
            {
                using var job = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, context.JobCancelled);
                var next = await mode.RunAsync(context, job.Token).ConfigureAwait(false);
                if (next is null && mode is FinishingMode { Action: AfterAction.Stay })
                {
                    await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
                }
                mode = next;
            }
            return JobEnd.Finished;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return JobEnd.Stopped;
        }
        catch (Exception e) when (e is DeploymentCancelledException || (context.CancelReason is not null
            && e is OperationCanceledException or StorageException or IOException or InvalidOperationException or ServerRejectedException))
        {
            await AbandonAsync(e is DeploymentCancelledException ? e.Message : context.CancelReason!).ConfigureAwait(false);
            return JobEnd.Cancelled;
        }
        catch (JobRefusedException e)
        {
            AgentLog.Refused(context.Logger, context.Job?.DeploymentId ?? "-", e.ReportText.Split(':')[0], e.Message);
            context.Status.SetRefusal(e.Message);
            await ReportFailureAsync(e.ReportText, stoppingToken).ConfigureAwait(false);
            return JobEnd.Refused;
        }
        catch (ServerUnavailableException e)
        {
            // The job is still pending on the server: ask again later and resume.
            context.Status.SetError(e.Message);
            await Quietly(context.DelayAsync(context.Backoff(4), stoppingToken)).ConfigureAwait(false);
            return JobEnd.Unavailable;
        }
        catch (Exception e) when (e is StorageException or IOException or InvalidOperationException or ServerRejectedException)
        {
            AgentLog.DeployFailed(context.Logger, context.Job?.DeploymentId ?? "-", e.Message, e);
            context.Status.SetError(e.Message);
            await ReportFailureAsync("failed: " + e.Message, stoppingToken).ConfigureAwait(false);
            return JobEnd.Failed;
        }
    }

    /// <summary>
    /// The deployment was cancelled: the engine stops (no more writes), what it wrote is flushed,
    /// the disk closes. Nothing is reported (the server already knows) and there is no reboot:
    /// the agent waits for its next job, like after a refusal.
    /// </summary>
    private async Task AbandonAsync(string reason)
    {
        var deployment = context.Job?.DeploymentId ?? "-";
        try
        {
            await context.StopSwarmingAsync(flush: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or StorageException)
        {
            AgentLog.DeployFailed(context.Logger, deployment, "flush after cancel: " + e.Message, e);
        }
        AgentLog.Cancelled(context.Logger, deployment, reason);
        context.Status.SetPhase(DeployPhase.Failed, "deployment cancelled by the server", reason);
        context.Status.SetError("deployment cancelled by the server; the disk is half-written and will not be booted");
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
            catch (DeploymentCancelledException)
            {
                // Cancelled meanwhile: the server wants no report for this job any more.
                return;
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

/// <summary>How one job ended (<see cref="AgentRunner.RunJobAsync"/>).</summary>
internal enum JobEnd
{
    /// <summary>Every mode ran; the after-action was taken.</summary>
    Finished,

    /// <summary>The agent is stopping (SIGTERM).</summary>
    Stopped,

    /// <summary>The job failed the machine's checks; reported, nothing written.</summary>
    Refused,

    /// <summary>The server could not be reached; the job is asked for again.</summary>
    Unavailable,

    /// <summary>The deployment failed here; reported to the server.</summary>
    Failed,

    /// <summary>The server cancelled the deployment (410): writing stopped, nothing reported, no reboot.</summary>
    Cancelled,
}
