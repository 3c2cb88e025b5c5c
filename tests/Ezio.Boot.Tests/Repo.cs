using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>
/// The repository the boot chain lives in: its root, the ezio and ezio-server binaries, and its
/// scripts and tools run from the root through <see cref="Shell"/>.
/// </summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

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

    /// <summary>Runs <paramref name="file"/> in the repository root (bounded, 3 min by default), whatever its exit status.</summary>
    public static Shell.Result Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? env = null) =>
        Shell.TryRun(file, args, timeout ?? TimeSpan.FromMinutes(3), Root, env);

    /// <summary>Runs one of the repository's bash scripts.</summary>
    public static Shell.Result Bash(string script, params string[] args) => Run("bash", [Path(script), .. args]);

    public static Shell.Result MustSucceed(Shell.Result result, string what)
    {
        Assert.True(result.ExitCode == 0, $"{what} failed ({result.ExitCode}):\n{result.Output}");
        return result;
    }

    private static string FindRoot()
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
