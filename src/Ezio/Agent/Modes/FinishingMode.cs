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
        // Post-step problems stay on the dashboard with the final status (they are not failures).
        var message = string.Join("; ", context.PostStepNotes.Append($"next: {name}"));
        context.Enter(DeployPhase.Done, "deployment complete", message);
        context.Status.SetBytes(job.ImageSizeBytes, job.ImageSizeBytes);
        await context.StopSwarmingAsync().ConfigureAwait(false);
        await ReportPhaseAsync(context, DeployPhase.Done, message, cancellationToken).ConfigureAwait(false);

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

    /// <summary>
    /// Tells the dashboard the phase now rather than at the next periodic report (best effort:
    /// after seeding the server may be gone). Used for the post-steps and the final "done".
    /// </summary>
    internal static async Task ReportPhaseAsync(AgentContext context, DeployPhase phase, string message, CancellationToken cancellationToken)
    {
        var job = context.Job!;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await context.Server.PostProgressAsync(new ProgressReport(context.MachineId!, job.DeploymentId, phase, job.ImageSizeBytes,
                job.ImageSizeBytes, 0, 0, 0, message.Length > 1000 ? message[..1000] : message), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            AgentLog.ProgressFailed(context.Logger, "the server did not answer within 10 s");
        }
        catch (Exception e) when (e is Server.ServerUnavailableException or Server.ServerRejectedException)
        {
            AgentLog.ProgressFailed(context.Logger, e.Message);
        }
    }
}
