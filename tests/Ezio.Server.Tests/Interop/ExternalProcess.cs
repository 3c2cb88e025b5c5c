using System.Diagnostics;
using Xunit;

namespace Ezio.Server.Tests.Interop;

/// <summary>Runs a process we start, with a bounded wait; kills only that process on timeout.</summary>
internal static class ExternalProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"timed out after {timeout}\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Outside CI a missing tool skips (loudly); in CI it fails.</summary>
    public static bool SkipUnlessAvailable(bool available, string what)
    {
        if (available)
        {
            return false;
        }
        Assert.True(Environment.GetEnvironmentVariable("CI") is null, $"{what} is required in CI");
        Console.Error.WriteLine($"SKIPPED: {what} is not available here (CI unset).");
        return true;
    }
}
