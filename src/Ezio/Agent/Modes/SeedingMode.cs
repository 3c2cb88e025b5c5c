using Ezio.Agent.Server;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Modes;

/// <summary>
/// Serves the written disk to the other machines while the server says the deployment needs
/// it. Stops when the server says so, when the job's maximum is reached, or when both the
/// server and the tracker have been unreachable for 30 s (the paper's rule: a vanished
/// server means the classroom is done). Then the post-steps that rewrite the middle of the
/// disk (<see cref="PostStepsMode"/>), then the after-action.
/// </summary>
internal sealed class SeedingMode : Mode
{
    public override DeployPhase Phase => DeployPhase.Seeding;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        var answer = context.DoneAnswer!;
        var session = context.Session!;
        if (!answer.KeepSeeding)
        {
            Stop(context, "the server does not need this machine to seed");
            return new PostStepsMode();
        }
        var now = context.Time.GetUtcNow();
        DateTimeOffset? deadline = answer.SeedUntil ?? (job.Seeding.MaxMinutes > 0 ? now.AddMinutes(job.Seeding.MaxMinutes) : null);
        context.Enter(DeployPhase.Seeding, "seeding to the other machines", deadline is { } d ? $"at most until {d.ToLocalTime():HH:mm}" : null);
        var lastContact = now;
        var unreachable = TimeSpan.FromSeconds(context.Options.UnreachableSeconds);
        var period = TimeSpan.FromSeconds(Math.Clamp(context.Options.ProgressSeconds, 0.2, 5));
        while (true)
        {
            await context.DelayAsync(period, cancellationToken).ConfigureAwait(false);
            now = context.Time.GetUtcNow();
            if (deadline is { } end && now >= end)
            {
                Stop(context, "the job's maximum seeding time is reached");
                return new PostStepsMode();
            }
            try
            {
                var status = await context.Server.GetSeedingAsync(job.DeploymentId, context.MachineId!, cancellationToken).ConfigureAwait(false);
                lastContact = now;
                context.Status.SetError(null);
                if (!status.KeepSeeding)
                {
                    Stop(context, "server: " + (status.Reason ?? "seeding no longer needed"));
                    return new PostStepsMode();
                }
                context.Status.SetMessage($"{status.MachinesDone}/{status.MachinesTotal} machines done; {status.Reason}");
            }
            catch (Exception e) when (e is ServerUnavailableException or ServerRejectedException)
            {
                if (session.GetStats().LastTrackerError is null && e is ServerUnavailableException)
                {
                    // The tracker still answers: keep counting from now only if it fails too.
                    lastContact = now;
                }
                var silent = now - lastContact;
                context.Status.SetError($"{e.Message} (seeding stops after {unreachable.TotalSeconds:0} s without server: {silent.TotalSeconds:0} s)");
                if (e is ServerRejectedException || silent >= unreachable)
                {
                    Stop(context, e is ServerRejectedException ? e.Message : $"server and tracker unreachable for {silent.TotalSeconds:0} s");
                    return new PostStepsMode();
                }
            }
        }
    }

    private static void Stop(AgentContext context, string reason) =>
        AgentLog.SeedingStopped(context.Logger, reason, context.Session!.GetStats().Uploaded);
}
