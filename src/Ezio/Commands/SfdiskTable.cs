using System.Diagnostics;
using Ezio.Agent.Disks;
using Ezio.Cli;

namespace Ezio.Commands;

/// <summary>
/// A target's partition table from <c>sfdisk --json</c>. Only stdout is parsed: sfdisk warns on
/// stderr (e.g. a GPT whose backup is not at the end of a grown image file).
/// </summary>
internal static class SfdiskTable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    /// <summary>The table, or a <see cref="UsageException"/> naming why there is none.</summary>
    public static async Task<PartitionTable> ReadAsync(string target, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("sfdisk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--json");
        info.ArgumentList.Add(target);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new UsageException($"cannot run sfdisk to read the partition table of {target}: {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                throw new UsageException($"sfdisk --json {target} did not finish within {s_timeout.TotalSeconds:0} s.");
            }
            var json = await stdout.ConfigureAwait(false);
            var errors = (await stderr.ConfigureAwait(false)).Trim();
            if (process.ExitCode != 0 || json.Trim().Length == 0)
            {
                throw new UsageException($"refusing {target}: it has no partition table to map the image onto (sfdisk --json: {FirstLine(errors)}).");
            }
            try
            {
                return PartitionTable.ParseSfdiskJson(json);
            }
            catch (FormatException e)
            {
                throw new UsageException($"refusing {target}: its partition table cannot be read ({e.Message}).");
            }
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 0 ? line : "no output";
    }
}
