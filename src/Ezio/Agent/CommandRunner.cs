using System.Diagnostics;

namespace Ezio.Agent;

/// <summary>Outcome of an external command.</summary>
internal readonly record struct CommandResult(int ExitCode, string Output)
{
    public bool Ok => ExitCode == 0;
}

/// <summary>Runs sfdisk, sgdisk, blockdev, the after-action: no shell, bounded in time.</summary>
internal static class CommandRunner
{
    /// <summary>Runs <paramref name="file"/>; exit code 127 when it cannot be started, 124 on timeout.</summary>
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, string? stdin, TimeSpan timeout,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new CommandResult(127, $"cannot run {file}: {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                if (stdin is not null)
                {
                    await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
                }
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The command ended (or closed its input) before reading all of it: a broken
                // pipe, not the command's outcome, which its exit code and output give below.
            }
            using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutCts.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(timeoutCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                return new CommandResult(124, $"{file} did not finish within {timeout.TotalSeconds:0} s");
            }
            var output = (await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false)).Trim();
            return new CommandResult(process.ExitCode, output.Length > 2000 ? output[..2000] : output);
        }
    }
}
