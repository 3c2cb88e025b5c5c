using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>Finds the published ezio (EZIO_BIN, else out/ezio, else publishes one) and the built ezio-server.dll.</summary>
internal static class Binaries
{
    private static readonly Lazy<string> s_agent = new(FindAgent);

    public static string RepoRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Ezio.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }
            return dir ?? throw new InvalidOperationException("cannot find Ezio.sln above " + AppContext.BaseDirectory);
        }
    }

    public static string Agent => s_agent.Value;

    public static string ServerDll
    {
        get
        {
            var candidates = new[] { "Release", "Debug" }
                .Select(c => Path.Combine(RepoRoot, "src", "Ezio.Server", "bin", c, "net10.0", "ezio-server.dll"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .ToList();
            return candidates.Count > 0 ? candidates[0] : throw new InvalidOperationException("ezio-server.dll is not built (dotnet build src/Ezio.Server)");
        }
    }

    private static string FindAgent()
    {
        if (Environment.GetEnvironmentVariable("EZIO_BIN") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"EZIO_BIN={configured} does not exist");
        }
        var published = Path.Combine(RepoRoot, "out", "ezio");
        if (!File.Exists(published))
        {
            Console.Error.WriteLine("NOTE: EZIO_BIN unset and out/ezio missing: publishing the AOT binary for the agent tests.");
            Shell.Run(TimeSpan.FromMinutes(10), "dotnet", "publish", Path.Combine(RepoRoot, "src", "Ezio", "Ezio.csproj"), "-c", "Release", "-r", "linux-x64", "-o", Path.Combine(RepoRoot, "out"), "--nologo");
        }
        return published;
    }
}
