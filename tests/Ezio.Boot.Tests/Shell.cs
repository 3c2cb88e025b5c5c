using Xunit;
using System.Diagnostics;

namespace Ezio.Boot.Tests;

/// <summary>Runs the repository's boot scripts and tools; finds the repository and the ezio binary.</summary>
internal static class Shell
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([RepoRoot, .. parts]);

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>EZIO_BIN when set (make test), else the repository's out/ezio.</summary>
    public static string EzioBin
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("EZIO_BIN");
            var bin = string.IsNullOrEmpty(fromEnvironment) ? Path("out", "ezio") : fromEnvironment;
            Assert.True(File.Exists(bin), $"no ezio binary at {bin} (set EZIO_BIN or run `make test`, which publishes out/ezio)");
            return bin;
        }
    }

    public static bool InCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 };

    /// <summary>EZIO_SERVER_BIN when set, else the newest built ezio-server apphost (Release or Debug).</summary>
    public static string ServerBin
    {
        get
        {
            if (Environment.GetEnvironmentVariable("EZIO_SERVER_BIN") is { Length: > 0 } configured)
            {
                Assert.True(File.Exists(configured), $"EZIO_SERVER_BIN={configured} does not exist");
                return configured;
            }
            var built = new[] { "Release", "Debug" }
                .Select(c => Path("src", "Ezio.Server", "bin", c, "net10.0", "ezio-server"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
            Assert.True(built is not null, "ezio-server is not built (dotnet build src/Ezio.Server, or set EZIO_SERVER_BIN)");
            return built;
        }
    }

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    public static Result Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = RepoRoot,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                info.Environment[k] = v;
            }
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Bash(string script, params string[] args) => Run("bash", [Path(script), .. args]);

    public static Result MustSucceed(Result result, string what)
    {
        Assert.True(result.ExitCode == 0, $"{what} failed ({result.ExitCode}):\n{result.All}");
        return result;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Ezio.sln")) && Directory.Exists(System.IO.Path.Combine(dir.FullName, "pxe")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root (Ezio.sln + pxe/) not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary directory removed at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Dir = Directory.CreateTempSubdirectory("ezio-boot-test-").FullName;
    }

    public string Dir { get; }

    public string Path(params string[] parts) => System.IO.Path.Combine([Dir, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
