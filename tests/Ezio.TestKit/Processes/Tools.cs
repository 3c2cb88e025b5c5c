namespace Ezio.TestKit.Processes;

/// <summary>
/// Finds the real programs tests drive: "ezio" (EZIO_BIN, else an ancestor's out/ezio or Release build),
/// "libtorrent" (Debian's /usr/bin/python3 with python3-libtorrent), and anything else on
/// PATH or in sbin. Also the one skip rule: outside CI (CI unset) a missing tool or missing
/// root skips a test, loudly; with CI set nothing is skipped, so a missing tool fails.
/// </summary>
public static class Tools
{
    /// <summary>Debian's python: python3-libtorrent lives there, not in a pyenv earlier on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The bound on every wait for a child process.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static bool IsCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>The shared python helpers (tests/scripts), copied next to each test assembly.</summary>
    public static string Scripts => Path.Combine(AppContext.BaseDirectory, "scripts");

    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>Returns the path of <paramref name="tool"/>, or null when it is not installed.</summary>
    public static string? Find(string tool) => tool switch
    {
        "ezio" => FindEzio(),
        "libtorrent" => s_libtorrent.Value ? Python : null,
        _ => FindOnPath(tool),
    };

    public static bool Exists(string tool) => Find(tool) is not null;

    /// <summary>The tool's path; a missing tool fails the test (CI installs every one).</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new InvalidOperationException($"Required tool '{tool}' is missing" + (tool == "ezio"
            ? " (set EZIO_BIN or run `make test`, which publishes out/ezio)."
            : " (.ci/run installs it)."));

    /// <summary>
    /// What keeps a test from running here ("root" first, then missing tools); empty when it can
    /// run. Under CI this is always empty: the test runs and a missing tool fails it.
    /// </summary>
    public static IReadOnlyList<string> Missing(IEnumerable<string> tools, bool needsRoot = false)
    {
        if (IsCi)
        {
            return [];
        }

        var missing = tools.Where(tool => Find(tool) is null).ToList();
        if (needsRoot && !IsRoot)
        {
            missing.Insert(0, "root");
        }

        return missing;
    }

    /// <summary><see cref="Missing(IEnumerable{string}, bool)"/> for a comma-separated list ("ezio,libtorrent").</summary>
    public static IReadOnlyList<string> Missing(string tools, bool needsRoot = false) => Missing(Split(tools), needsRoot);

    /// <summary>A comma-separated list of tools ("ezio,libtorrent") as names.</summary>
    public static string[] Split(string tools) =>
        tools.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? FindEzio()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("EZIO_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }

        // Not under make: the published binary in an ancestor's out/, else the Release build of src/Ezio.
        foreach (string relative in (string[])[Path.Combine("out", "ezio"), Path.Combine("src", "Ezio", "bin", "Release", "net10.0", "linux-x64", "ezio")])
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static string? FindOnPath(string name)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        // Debian puts some of these in sbin, which a non-root PATH may lack.
        foreach (string dir in path.Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, name)))
            {
                return Path.Combine(dir, name);
            }
        }

        return null;
    }

    private static readonly Lazy<bool> s_libtorrent = new(() =>
    {
        if (!File.Exists(Python))
        {
            return false;
        }

        try
        {
            return Shell.TryRun(TimeSpan.FromSeconds(30), Python, "-c", "import libtorrent").ExitCode == 0;
        }
        catch (TimeoutException)
        {
            return false;
        }
    });
}
