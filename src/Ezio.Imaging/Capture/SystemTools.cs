using System.ComponentModel;
using System.Diagnostics;

namespace Ezio.Imaging.Capture;

/// <summary>Runs short system commands (sfdisk, losetup, blkid, blockdev) with a bounded wait.</summary>
internal static class SystemTools
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs the tool and returns its exit code and standard output.</summary>
    public static (int ExitCode, string Output, string Errors) Run(string tool, params string[] arguments) =>
        Run(s_timeout, null, tool, arguments);

    /// <summary>Runs the tool with <paramref name="input"/> on its standard input (if any), waiting up to <paramref name="timeout"/>.</summary>
    public static (int ExitCode, string Output, string Errors) Run(TimeSpan timeout, string? input, string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ImageException(ImageError.ToolFailed, $"Could not start {tool}.");
        }
        catch (Win32Exception e)
        {
            throw new ImageException(ImageError.ToolMissing, $"{tool} is needed but is not installed.", e);
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                try
                {
                    process.StandardInput.Write(input);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The tool ended before reading all of its input: its exit code says how.
                }
            }
            if (!process.WaitForExit(timeout))
            {
                process.Kill();
                throw new ImageException(ImageError.ToolFailed, $"{tool} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s.");
            }
            process.WaitForExit();
            return (process.ExitCode, stdout.Result, stderr.Result.Trim());
        }
    }

    /// <summary>Like <see cref="Run(string, string[])"/>, but a non-zero exit is an <see cref="ImageException"/>.</summary>
    public static string RunChecked(string tool, params string[] arguments)
    {
        (int code, string output, string errors) = Run(tool, arguments);
        if (code != 0)
        {
            throw new ImageException(ImageError.ToolFailed, $"{tool} {string.Join(' ', arguments)} exited with {code}: {errors}");
        }
        return output;
    }
}
