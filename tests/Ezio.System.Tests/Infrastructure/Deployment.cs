using System.Diagnostics;
using Ezio.TestKit.Processes;

namespace Ezio.System.Tests.Infrastructure;

/// <summary>
/// Runs <c>system/deploy.sh</c> (server + N machines on an emulated LAN, every disk verified
/// at the end) or <c>system/demo.sh</c> (the same with the real ezio-server and agents) with
/// the given settings, bounded in time. The script tears its LAN down on any exit; past the
/// bound it gets SIGTERM (its trap cleans up), and only then SIGKILL.
/// </summary>
internal sealed record Deployment(int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>The verdict line: "deploy: PASS|FAIL n=... last=... ratio=..." or "demo: PASS|FAIL n=... menus=...".</summary>
    public string Verdict => Output.Split('\n').LastOrDefault(l => l.StartsWith("deploy: PASS", StringComparison.Ordinal) || l.StartsWith("deploy: FAIL", StringComparison.Ordinal)
        || l.StartsWith("demo: PASS", StringComparison.Ordinal) || l.StartsWith("demo: FAIL", StringComparison.Ordinal)) ?? "(no verdict line)";

    /// <summary>The summary table's row of machine <paramref name="name"/> ("m1 02:e2:... time MB/s ... check").</summary>
    public string? Row(string name) => Output.Split('\n').LastOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));

    /// <summary>Machines whose disk passed `ezio verify` and the extent compare.</summary>
    public int VerifiedMachines => Output.Split('\n').Count(l => l.StartsWith('m') && l.Contains(" ok (", StringComparison.Ordinal));

    public static Task<Deployment> RunAsync(IReadOnlyDictionary<string, string> settings, TimeSpan bound) =>
        RunAsync("deploy.sh", settings, bound);

    /// <summary>Runs <c>system/<paramref name="script"/></c>.</summary>
    public static async Task<Deployment> RunAsync(string script, IReadOnlyDictionary<string, string> settings, TimeSpan bound)
    {
        string repo = RepositoryRoot();
        var environment = new Dictionary<string, string>
        {
            ["LIVE"] = "0",
            ["TIMEOUT"] = ((int)bound.TotalSeconds).ToString(global::System.Globalization.CultureInfo.InvariantCulture),
        };
        if (Environment.GetEnvironmentVariable("EZIO_BIN") is not { Length: > 0 })
        {
            environment["EZIO_BIN"] = Path.Combine(repo, "out", "ezio");
        }
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = ChildProcess.Start("/bin/bash", [Path.Combine(repo, "system", script)], repo, environment);
        try
        {
            // The script's own watchdog fires at `bound`; allow it a minute to tear down.
            int code = await process.WaitForExitAsync(bound + TimeSpan.FromSeconds(60));
            return new Deployment(code, Lines(process.Output), clock.Elapsed);
        }
        catch (TimeoutException)
        {
            // SIGTERM first: the script's trap tears its LAN down; SIGKILL only if it does not end.
            await process.StopAsync(TimeSpan.FromSeconds(60));
            return new Deployment(-1, Lines(process.Output) + $"test: {script} stopped after {clock.Elapsed.TotalSeconds:0} s\n", clock.Elapsed);
        }
    }

    /// <summary>The script's stdout and stderr lines as it wrote them, without ChildProcess's stream prefixes.</summary>
    private static string Lines(string output) =>
        string.Join('\n', output.Split('\n').Select(l => l.StartsWith("out| ", StringComparison.Ordinal) || l.StartsWith("err| ", StringComparison.Ordinal) ? l[5..] : l));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "system", "deploy.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"system/deploy.sh not found above {AppContext.BaseDirectory}");
    }
}
