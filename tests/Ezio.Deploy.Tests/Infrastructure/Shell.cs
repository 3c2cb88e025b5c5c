using System.Diagnostics;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>Runs short system commands (losetup, mkfs, mount, partclone) with a bounded wait.</summary>
internal static class Shell
{
    public readonly record struct Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs and returns trimmed stdout; a non-zero exit throws with stderr.</summary>
    public static string Run(string fileName, params string[] arguments)
    {
        var result = TryRun(fileName, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Stderr}{result.Stdout}");
        }

        return result.Stdout.Trim();
    }

    /// <summary>Runs through `sh -c` (pipes); a non-zero exit throws.</summary>
    public static string Sh(string script) => Run("/bin/sh", "-c", "set -e; " + script);

    public static Result TryRun(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Tools.Timeout))
        {
            // Exactly the PID started here.
            process.Kill(entireProcessTree: false);
            process.WaitForExit(5_000);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {Tools.Timeout.TotalSeconds:0} s.");
        }

        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
