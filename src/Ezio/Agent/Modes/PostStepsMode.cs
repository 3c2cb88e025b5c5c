using Ezio.Agent.Disks;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Modes;

/// <summary>
/// The post-steps that rewrite the middle of the disk: growing the last partition (and its
/// filesystem) and writing the hostname. They run once seeding is over, just before the
/// after-action: while the machine seeds, peers read the disk and check it against the
/// piece hashes, and only the first and last MiB are frozen (<see cref="SnapshotStorage"/>).
/// The piece verify ran long before (<see cref="VerifyingMode"/>), on the untouched image.
/// The server has acknowledged done and flipped the boot menu by now, so a failing
/// post-step is logged and reported with the final status, never as a failed deployment
/// (that would send the machine round the deploy loop again).
/// </summary>
internal sealed partial class PostStepsMode : Mode
{
    public override DeployPhase Phase => DeployPhase.Finishing;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var steps = context.Job!.PostSteps;
        var resized = context.Layout is { } layout ? ResizedFilesystems(context.Job, layout) : [];
        if (!steps.GrowLastPartition && steps.Hostname is null && resized.Count == 0)
        {
            return new FinishingMode();
        }
        await context.StopSwarmingAsync().ConfigureAwait(false);
        if (resized.Count > 0)
        {
            // The layout already gave the disk's room out: growing the last partition again has nothing to take.
            await RunStepAsync(context, "grow-resized", "growing each resized file system to its partition",
                (c, ct) => GrowResizedAsync(c, resized, ct), cancellationToken).ConfigureAwait(false);
        }
        else if (steps.GrowLastPartition)
        {
            await RunStepAsync(context, "grow-last-partition", "growing the last partition to the end of the disk", GrowLastPartitionAsync,
                cancellationToken).ConfigureAwait(false);
        }
        if (steps.Hostname is { } hostname)
        {
            await RunStepAsync(context, "hostname", $"writing the hostname {hostname} into the deployed system",
                (c, ct) => WriteHostnameAsync(c, hostname, ct), cancellationToken).ConfigureAwait(false);
        }
        return new FinishingMode();
    }

    private static async Task RunStepAsync(AgentContext context, string name, string text,
        Func<AgentContext, CancellationToken, Task<StepOutcome>> step, CancellationToken cancellationToken)
    {
        context.Enter(DeployPhase.Finishing, "post-step " + name, text);
        await FinishingMode.ReportPhaseAsync(context, DeployPhase.Finishing, "post-step " + name + ": " + text, cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await step(context, cancellationToken).ConfigureAwait(false);
            if (outcome.Done)
            {
                AgentLog.PostStepDone(context.Logger, name, outcome.Text);
            }
            else
            {
                AgentLog.PostStepSkipped(context.Logger, name, outcome.Text);
                context.PostStepNotes.Add($"{name} skipped: {outcome.Text}");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A tool's refusal is the whole story; anything else deserves its stack trace.
            var expected = e is InvalidOperationException or IOException or FormatException or UnauthorizedAccessException;
            AgentLog.PostStepFailed(context.Logger, name, e.Message, expected ? null : e);
            context.PostStepNotes.Add($"{name} failed: {e.Message}");
            context.Status.SetError($"post-step {name} failed: {e.Message}");
        }
    }

    /// <summary>The partition table as sfdisk reads it now.</summary>
    private static async Task<PartitionTable> ReadTableAsync(string disk, CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync("sfdisk", ["--json", disk], null, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (!result.Ok)
        {
            throw new InvalidOperationException($"sfdisk --json {disk} failed (exit {result.ExitCode}): {result.Output}");
        }
        return PartitionTable.ParseSfdiskJson(result.Output);
    }

    /// <summary>Runs a tool that must succeed; exit 127 (not installed) is reported as such.</summary>
    private static async Task<CommandResult> RequireAsync(string file, string[] arguments, TimeSpan timeout, CancellationToken cancellationToken,
        string? stdin = null, int worstAcceptedExit = 0)
    {
        var result = await CommandRunner.RunAsync(file, arguments, stdin, timeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode < 0 || result.ExitCode > worstAcceptedExit)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed (exit {result.ExitCode}): {result.Output}");
        }
        return result;
    }

    private readonly record struct StepOutcome(bool Done, string Text);
}
