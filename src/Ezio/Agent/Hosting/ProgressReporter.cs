using Ezio.Agent.Modes;
using Ezio.Agent.Server;
using Ezio.Deployment.Contracts;
using Microsoft.Extensions.Hosting;

namespace Ezio.Agent.Hosting;

/// <summary>Posts the status to the server every ~2 s while a job is being worked on.</summary>
internal sealed class ProgressReporter(AgentContext context) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? lastError = null;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.2, context.Options.ProgressSeconds)), context.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var job = context.Job;
                var machine = context.MachineId;
                if (job is null || machine is null || context.Phase is DeployPhase.Registered or DeployPhase.Failed)
                {
                    continue;
                }
                var s = context.Status.Snapshot();
                var message = s.Error ?? s.Message;
                var report = new ProgressReport(machine, job.DeploymentId, context.Phase, s.BytesDone, s.BytesTotal, (long)s.RateIn, (long)s.RateOut,
                    s.Peers, message is { Length: > 1000 } ? message[..1000] : message);
                try
                {
                    await context.Server.PostProgressAsync(report, stoppingToken).ConfigureAwait(false);
                    lastError = null;
                }
                catch (DeploymentCancelledException e)
                {
                    // The runner stops the job: its modes run on the job's token.
                    context.CancelJob(job.DeploymentId, e.Message);
                }
                catch (Exception e) when (e is ServerUnavailableException or ServerRejectedException)
                {
                    // One line per distinct problem, not one every two seconds.
                    if (e.Message != lastError)
                    {
                        AgentLog.ProgressFailed(context.Logger, e.Message);
                        lastError = e.Message;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
