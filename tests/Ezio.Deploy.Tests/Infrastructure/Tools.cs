namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// Finds the real programs these tests drive: "ezio" (EZIO_BIN, else an ancestor's out/ezio),
/// "libtorrent" (Debian's /usr/bin/python3 with python3-libtorrent), and system tools
/// (losetup, mkfs.ext4, mount, partclone.ext4, e2fsck, zstd, tar) on PATH or in sbin.
/// </summary>
internal static class Tools
{
    /// <summary>Debian's python: python3-libtorrent lives there, not in a pyenv earlier on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The bound on every wait for a child process.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static bool IsCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static bool IsRoot => Environment.UserName == "root";

    public static string Scripts => Path.Combine(AppContext.BaseDirectory, "scripts");

    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string? Find(string tool) => tool switch
    {
        "ezio" => FindEzio(),
        "libtorrent" => s_libtorrent.Value ? Python : null,
        _ => FindOnPath(tool),
    };

    /// <summary>The tool's path; a missing tool fails the test (CI installs every one).</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new InvalidOperationException($"Required tool '{tool}' is missing" + (tool == "ezio"
            ? " (set EZIO_BIN or run `make test`, which publishes out/ezio)."
            : " (.ci/run installs it)."));

    private static string? FindEzio()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("EZIO_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }

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

        var result = Shell.TryRun(Python, "-c", "import libtorrent");
        return result.ExitCode == 0;
    });
}
