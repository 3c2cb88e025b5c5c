using System.Diagnostics;
using Xunit;

namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>Runs system tools with a bounded wait; stdout can go to a file.</summary>
internal static class Tools
{
    public static bool InCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 };

    public static bool IsRoot => Environment.UserName == "root";

    public static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':').Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool)));

    /// <summary>The reason a test must skip, or null. Under CI=true nothing is skipped.</summary>
    public static string? MissingReason(bool needsRoot, params string[] tools)
    {
        if (InCi)
        {
            return null;
        }
        string[] missing = tools.Where(t => !Exists(t)).ToArray();
        if (missing.Length > 0)
        {
            return $"SKIPPED: needs {string.Join(", ", missing)} (not installed; CI=true makes this a failure).";
        }
        if (needsRoot && !IsRoot)
        {
            return "SKIPPED: needs root (losetup, mount); CI=true makes this a failure.";
        }
        return null;
    }

    public static string Run(string tool, params string[] arguments) => Run(tool, arguments, stdoutFile: null);

    /// <summary>Runs a checker whose exit code is part of the answer: (exit code, stdout + stderr).</summary>
    public static (int ExitCode, string Output) RunAnyExit(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {tool}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish within 120 s.");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public static string Run(string tool, IReadOnlyList<string> arguments, string? stdoutFile, string? stdinFile = null, int timeoutSeconds = 120)
    {
        var info = new ProcessStartInfo(tool)
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
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {tool}.");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout;
        if (stdoutFile is null)
        {
            stdout = process.StandardOutput.ReadToEndAsync();
        }
        else
        {
            stdout = Task.Run(() =>
            {
                using FileStream file = File.Create(stdoutFile);
                process.StandardOutput.BaseStream.CopyTo(file);
                return "";
            });
        }
        Task feed = Task.CompletedTask;
        if (stdinFile is not null)
        {
            feed = Task.Run(() =>
            {
                using (FileStream input = File.OpenRead(stdinFile))
                {
                    input.CopyTo(process.StandardInput.BaseStream);
                }
                process.StandardInput.Close();
            });
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish within {timeoutSeconds} s.");
        }
        process.WaitForExit();
        feed.Wait(TimeSpan.FromSeconds(30));
        stdout.Wait(TimeSpan.FromSeconds(30));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.Result}");
        }
        return stdout.Result.Trim();
    }
}

/// <summary>A fact that needs system tools (and maybe root); it skips loudly only outside CI.</summary>
internal sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(bool needsRoot, params string[] tools)
    {
        if (Tools.MissingReason(needsRoot, tools) is string reason)
        {
            Skip = reason;
            Console.Error.WriteLine("WARNING: " + reason);
        }
    }
}

/// <summary>Tests that use loop devices run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoopDeviceCollection
{
    public const string Name = "loop devices";
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(Directory.Exists("/var/tmp") ? "/var/tmp" : System.IO.Path.GetTempPath(),
            "ezio-imaging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"WARNING: could not remove {Path}: {ex.Message}");
        }
    }
}

internal static class Fixture
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    /// <summary>A zstd fixture decompressed into memory.</summary>
    public static byte[] Unzstd(params string[] parts)
    {
        using Stream stream = global::Ezio.Imaging.Clonezilla.ImageStreams.OpenDecompressed([Path(parts)]);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}

/// <summary>A theory that needs system tools (and maybe root); it skips loudly only outside CI.</summary>
internal sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(bool needsRoot, params string[] tools)
    {
        if (Tools.MissingReason(needsRoot, tools) is string reason)
        {
            Skip = reason;
            Console.Error.WriteLine("WARNING: " + reason);
        }
    }
}
