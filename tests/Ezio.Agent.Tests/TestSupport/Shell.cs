using System.Diagnostics;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>Runs a command to completion (bounded); throws with its output when it fails.</summary>
internal static class Shell
{
    public static string Run(string file, params string[] args) => Run(TimeSpan.FromSeconds(120), file, args);

    public static string Run(TimeSpan timeout, string file, params string[] args)
    {
        var (code, output) = TryRun(timeout, file, args);
        return code == 0 ? output.Trim() : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {output}");
    }

    /// <summary>Like <see cref="Run(string, string[])"/> with <paramref name="input"/> on stdin (sfdisk scripts).</summary>
    public static string RunWithInput(string input, string file, params string[] args)
    {
        var (code, output) = TryRun(TimeSpan.FromSeconds(120), file, args, input);
        return code == 0 ? output.Trim() : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {output}");
    }

    public static (int Code, string Output) TryRun(TimeSpan timeout, string file, params string[] args) => TryRun(timeout, file, args, null);

    private static (int Code, string Output) TryRun(TimeSpan timeout, string file, string[] args, string? input)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A system test: needs root (loop devices, network namespaces); skips as <see cref="Ezio.TestKit.Processes.SkipRule"/> says.</summary>
internal sealed class SystemFactAttribute() : Ezio.TestKit.Processes.RequiresFactAttribute("AGENT SYSTEM TEST", [], needsRoot: true);

[Xunit.CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SystemCollection
{
    public const string Name = "agent system";
}
