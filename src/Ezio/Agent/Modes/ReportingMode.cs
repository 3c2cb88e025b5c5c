using System.Diagnostics;
using Ezio.Agent.Server;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Modes;

/// <summary>
/// Reports done and retries with backoff until the server acknowledges. The server answers
/// only after it flipped this machine's boot menu to the local disk, so nothing after this
/// mode (in particular the reboot) can run before that.
/// </summary>
internal sealed class ReportingMode : Mode
{
    public override DeployPhase Phase => DeployPhase.Finishing;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        context.Enter(DeployPhase.Finishing, "reporting done to the server");
        var stats = context.Session!.GetStats();
        var total = Stopwatch.GetElapsedTime(context.StartedAt).TotalSeconds;
        var report = new DoneReport(context.MachineId!, job.DeploymentId, true, null, context.DownloadSeconds, context.VerifySeconds, total,
            stats.Downloaded, stats.Written);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var answer = await context.Server.PostDoneAsync(report, cancellationToken).ConfigureAwait(false);
                if (answer.Acknowledged)
                {
                    context.DoneAnswer = answer;
                    context.Status.SetError(null);
                    AgentLog.DoneAcknowledged(context.Logger, job.DeploymentId, answer.KeepSeeding);
                    return new SeedingMode();
                }
                await WaitAsync(context, "the server did not acknowledge yet", attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ServerUnavailableException or ServerRejectedException)
            {
                await WaitAsync(context, e.Message, attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task WaitAsync(AgentContext context, string reason, int attempt, CancellationToken cancellationToken)
    {
        var delay = context.Backoff(attempt);
        AgentLog.DoneRetry(context.Logger, reason, delay.TotalSeconds);
        context.Status.SetError($"done not acknowledged: {reason} (retry in {delay.TotalSeconds:0} s)");
        await context.DelayAsync(delay, cancellationToken).ConfigureAwait(false);
    }
}
