using System.Diagnostics;
using System.Text;

namespace Ezio.TestKit.Processes;

/// <summary>
/// Runs short system commands (losetup, mkfs, mount, partclone, zstd) to completion with a
/// bounded wait; on timeout only the PID started here is killed.
/// </summary>
public static class Shell
{
    public readonly record struct Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>stdout, then stderr: what a failure message shows.</summary>
        public string Output => Stdout + Stderr;
    }

    /// <summary>Runs and returns trimmed stdout; a non-zero exit throws with stderr.</summary>
    public static string Run(string fileName, params string[] arguments) => Run(fileName, arguments, stdoutFile: null);

    /// <summary>Runs with a bound other than the default 120 s; returns trimmed stdout, a non-zero exit throws with stderr.</summary>
    public static string Run(TimeSpan timeout, string fileName, params string[] arguments) =>
        Check(fileName, arguments, Execute(fileName, arguments, timeout, stdoutFile: null, stdinFile: null));

    /// <summary>Runs with <paramref name="input"/> on stdin (an sfdisk script); returns trimmed stdout, a non-zero exit throws.</summary>
    public static string RunWithInput(string input, string fileName, params string[] arguments) =>
        Check(fileName, arguments, Execute(fileName, arguments, TimeSpan.FromSeconds(120), stdoutFile: null, stdinFile: null, Encoding.UTF8.GetBytes(input)));

    /// <summary>
    /// Runs with stdout optionally written to <paramref name="stdoutFile"/> and stdin read from
    /// <paramref name="stdinFile"/>; returns trimmed stdout ("" when it went to a file). A
    /// non-zero exit throws with stderr.
    /// </summary>
    public static string Run(string fileName, IReadOnlyList<string> arguments, string? stdoutFile, string? stdinFile = null, int timeoutSeconds = 120)
    {
        Result result = Execute(fileName, arguments, TimeSpan.FromSeconds(timeoutSeconds), stdoutFile, stdinFile);
        return Check(fileName, arguments, result);
    }

    /// <summary>Runs through `sh -c` (pipes); a non-zero exit throws.</summary>
    public static string Sh(string script) => Run("/bin/sh", "-c", "set -e; " + script);

    /// <summary>Runs to completion whatever the exit status.</summary>
    public static Result TryRun(string fileName, params string[] arguments) => TryRun(Tools.Timeout, fileName, arguments);

    public static Result TryRun(TimeSpan timeout, string fileName, params string[] arguments) =>
        Execute(fileName, arguments, timeout, stdoutFile: null, stdinFile: null);

    /// <summary>
    /// Runs in <paramref name="workingDirectory"/> with <paramref name="environment"/> added to
    /// ours, whatever the exit status (scripts whose refusals a test checks).
    /// </summary>
    public static Result TryRun(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Execute(fileName, [.. arguments], timeout, stdoutFile: null, stdinFile: null, workingDirectory: workingDirectory, environment: environment);

    /// <summary>Runs in <paramref name="workingDirectory"/> with <paramref name="input"/> on stdin (an archive to unpack), whatever the exit status.</summary>
    public static Result TryRun(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string workingDirectory, byte[] input) =>
        Execute(fileName, [.. arguments], timeout, stdoutFile: null, stdinFile: null, input, workingDirectory);

    /// <summary>Runs a checker whose exit code is part of the answer: (exit code, stdout + stderr).</summary>
    public static (int ExitCode, string Output) RunAnyExit(string fileName, params string[] arguments)
    {
        Result result = TryRun(fileName, arguments);
        return (result.ExitCode, result.Stdout + result.Stderr);
    }

    private static string Check(string fileName, IReadOnlyList<string> arguments, Result result)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Stderr}{result.Stdout}");
        }

        return result.Stdout.Trim();
    }

    private static Result Execute(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, string? stdoutFile, string? stdinFile,
        byte[]? stdinBytes = null, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Nobody types into these commands: stdin is what the test gives, else closed at once.
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
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
        Task feed = (stdinFile, stdinBytes) switch
        {
            (not null, _) => Task.Run(() =>
            {
                using (FileStream input = File.OpenRead(stdinFile))
                {
                    input.CopyTo(process.StandardInput.BaseStream);
                }

                process.StandardInput.Close();
            }),
            (null, not null) => Task.Run(() =>
            {
                process.StandardInput.BaseStream.Write(stdinBytes);
                process.StandardInput.Close();
            }),
            _ => Task.Run(process.StandardInput.Close),
        };
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
