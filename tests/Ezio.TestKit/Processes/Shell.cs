using System.Diagnostics;

namespace Ezio.TestKit.Processes;

/// <summary>
/// Runs short system commands (losetup, mkfs, mount, partclone, zstd) to completion with a
/// bounded wait; on timeout only the PID started here is killed.
/// </summary>
public static class Shell
{
    public readonly record struct Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs and returns trimmed stdout; a non-zero exit throws with stderr.</summary>
    public static string Run(string fileName, params string[] arguments) => Run(fileName, arguments, stdoutFile: null);

    /// <summary>
    /// Runs with stdout optionally written to <paramref name="stdoutFile"/> and stdin read from
    /// <paramref name="stdinFile"/>; returns trimmed stdout ("" when it went to a file). A
    /// non-zero exit throws with stderr.
    /// </summary>
    public static string Run(string fileName, IReadOnlyList<string> arguments, string? stdoutFile, string? stdinFile = null, int timeoutSeconds = 120)
    {
        Result result = Execute(fileName, arguments, TimeSpan.FromSeconds(timeoutSeconds), stdoutFile, stdinFile);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Stderr}{result.Stdout}");
        }

        return result.Stdout.Trim();
    }

    /// <summary>Runs through `sh -c` (pipes); a non-zero exit throws.</summary>
    public static string Sh(string script) => Run("/bin/sh", "-c", "set -e; " + script);

    /// <summary>Runs to completion whatever the exit status.</summary>
    public static Result TryRun(string fileName, params string[] arguments) => TryRun(Tools.Timeout, fileName, arguments);

    public static Result TryRun(TimeSpan timeout, string fileName, params string[] arguments) =>
        Execute(fileName, arguments, timeout, stdoutFile: null, stdinFile: null);

    /// <summary>Runs a checker whose exit code is part of the answer: (exit code, stdout + stderr).</summary>
    public static (int ExitCode, string Output) RunAnyExit(string fileName, params string[] arguments)
    {
        Result result = TryRun(fileName, arguments);
        return (result.ExitCode, result.Stdout + result.Stderr);
    }

    private static Result Execute(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, string? stdoutFile, string? stdinFile)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdinFile is not null,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = stdoutFile is null
            ? process.StandardOutput.ReadToEndAsync()
            : Task.Run(() =>
            {
                using FileStream file = File.Create(stdoutFile);
                process.StandardOutput.BaseStream.CopyTo(file);
                return "";
            });
        Task feed = stdinFile is null
            ? Task.CompletedTask
            : Task.Run(() =>
            {
                using (FileStream input = File.OpenRead(stdinFile))
                {
                    input.CopyTo(process.StandardInput.BaseStream);
                }

                process.StandardInput.Close();
            });
        if (!process.WaitForExit(timeout))
        {
            // Exactly the PID started here.
            process.Kill(entireProcessTree: false);
            process.WaitForExit(5_000);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s.");
        }

        process.WaitForExit();
        feed.Wait(TimeSpan.FromSeconds(30));
        stdout.Wait(TimeSpan.FromSeconds(30));
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
