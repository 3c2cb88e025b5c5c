using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Modes;

/// <summary>
/// Last phase: closes the swarm and the disk, then reboots, powers off or stays, as the job
/// (or ezio.after) says. In tests --after-command runs instead, with EZIO_AFTER set.
/// </summary>
internal sealed class FinishingMode : Mode
{
    public override DeployPhase Phase => DeployPhase.Done;

    /// <summary>What was done, for the runner (stay keeps the process alive).</summary>
    public AfterAction? Action { get; private set; }

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        var action = context.Options.AfterFor(job);
        Action = action;
        var name = action.ToString().ToLowerInvariant();
        context.Enter(DeployPhase.Done, "deployment complete", $"next: {name}");
        context.Status.SetBytes(job.ImageSizeBytes, job.ImageSizeBytes);
        context.Status.AttachSession(null);
        if (context.Session is not null)
        {
            await context.Session.DisposeAsync().ConfigureAwait(false);
            context.Session = null;
        }
        context.Storage?.Dispose();
        context.Storage = null;
        await ReportFinalPhaseAsync(context, job, cancellationToken).ConfigureAwait(false);

        (string File, string[] Args)? command = context.Options.AfterCommand is { Length: > 0 } custom
            ? ("/bin/sh", ["-c", custom])
            : action switch
            {
                AfterAction.Reboot => ("systemctl", ["reboot"]),
                AfterAction.Poweroff => ("systemctl", ["poweroff"]),
                _ => null,
            };
        if (command is not { } c)
        {
            AgentLog.AfterAction(context.Logger, name, "none; the machine stays in the live system");
            return null;
        }
        AgentLog.AfterAction(context.Logger, name, c.File + " " + string.Join(' ', c.Args));
        var environment = new Dictionary<string, string> { ["EZIO_AFTER"] = name, ["EZIO_DEPLOYMENT"] = job.DeploymentId };
        var result = await CommandRunner.RunAsync(c.File, c.Args, null, TimeSpan.FromSeconds(120), cancellationToken, environment).ConfigureAwait(false);
        if (!result.Ok && context.Options.AfterCommand is null)
        {
            // No systemd (rescue shells, containers): the classic binaries.
            result = await CommandRunner.RunAsync(action == AfterAction.Reboot ? "reboot" : "poweroff", [], null, TimeSpan.FromSeconds(120),
                cancellationToken).ConfigureAwait(false);
        }
        if (!result.Ok)
        {
            AgentLog.CommandFailed(context.Logger, c.File, name, result.ExitCode, result.Output);
            context.Status.SetError($"{name} failed (exit {result.ExitCode}): {result.Output}");
        }
        return null;
    }

    /// <summary>Progress reports said "seeding"; leave the dashboard at "done" (best effort).</summary>
    private static async Task ReportFinalPhaseAsync(AgentContext context, Job job, CancellationToken cancellationToken)
    {
        try
        {
            await context.Server.PostProgressAsync(new ProgressReport(context.MachineId!, job.DeploymentId, DeployPhase.Done, job.ImageSizeBytes,
                job.ImageSizeBytes, 0, 0, 0, "deployment complete"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Server.ServerUnavailableException or Server.ServerRejectedException)
        {
            AgentLog.ProgressFailed(context.Logger, e.Message);
        }
    }
}
