namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// Finds the real programs the interop tests drive. Names used in
/// <see cref="InteropFactAttribute"/>: "ezio", "libtorrent", "aria2c",
/// "transmission-cli", "opentracker", "zstd".
/// </summary>
internal static class Tools
{
    /// <summary>Debian's python: python3-libtorrent lives there, not in a pyenv earlier on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    public static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);

    public static bool IsCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static string ScriptsDirectory => Path.Combine(AppContext.BaseDirectory, "scripts");

    public static string FixturesDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>Returns the path of <paramref name="tool"/>, or null when it is not installed.</summary>
    public static string? Find(string tool) => tool switch
    {
        "ezio" => FindEzio(),
        "libtorrent" => HasLibtorrent() ? Python : null,
        _ => FindOnPath(tool),
    };

    /// <summary>The path of <paramref name="tool"/>; throws (fails the test) when it is missing.</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new InvalidOperationException(
            $"Required tool '{tool}' is missing" + (tool == "ezio"
                ? " (set EZIO_BIN or run `make test`, which publishes out/ezio)."
                : " (.ci/run installs it)."));

    private static string? FindEzio()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("EZIO_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }
        // Not under make: look for the published binary in an ancestor's out/.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "out", "ezio");
            if (File.Exists(candidate))
            {
                return candidate;
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
            if (dir.Length == 0)
            {
                continue;
            }
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
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
        using var probe = ExternalProcess.Start(Python, ["-c", "import libtorrent"]);
        try
        {
            return probe.WaitForExitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult() == 0;
        }
        catch (TimeoutException)
        {
            return false;
        }
    });

    private static bool HasLibtorrent() => s_libtorrent.Value;
}
