using System.Globalization;
using System.Text.RegularExpressions;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>The `ezio` executable, driven only through its command line.</summary>
internal static partial class EzioCli
{
    public static ChildProcess Start(params string[] arguments) => ChildProcess.Start(Tools.Require("ezio"), arguments);

    /// <summary>Runs to completion (bounded) and returns the exited process for its output.</summary>
    public static async Task<(int ExitCode, ChildProcess Process)> RunAsync(params string[] arguments)
    {
        var process = Start(arguments);
        int code = await process.WaitForExitAsync();
        return (code, process);
    }

    /// <summary>`ezio get` from one loopback peer; never seeds afterwards.</summary>
    public static ChildProcess StartGet(string torrent, string target, int peerPort, params string[] extra) =>
        Start(["get", torrent, target, "--port", "0", "--seed-after", "none", "--peer", $"127.0.0.1:{peerPort}", .. extra]);

    /// <summary>Starts `ezio seed` and waits until it serves the whole torrent.</summary>
    public static async Task<ChildProcess> StartSeedAsync(string torrent, string source, int port, params string[] extra)
    {
        var seeder = Start(["seed", torrent, source, "--port", port.ToString(CultureInfo.InvariantCulture), .. extra]);
        try
        {
            await seeder.WaitUntilAsync(() => seeder.Stderr.Contains("ezio: seeding", StringComparison.Ordinal), "ezio seed to start seeding");
            await FreePort.WaitForListenerAsync(port, seeder);
            return seeder;
        }
        catch
        {
            seeder.Dispose();
            throw;
        }
    }

    public static async Task CreateTorrentAsync(string source, string output, int pieceSize)
    {
        using var process = Start("torrent", "create", source, "-o", output, "--piece-size", pieceSize.ToString(CultureInfo.InvariantCulture));
        await process.ExpectSuccessAsync();
    }

    /// <summary>
    /// Bytes fetched according to get's summary line:
    /// "ezio: complete and verified: NAME, SIZE; fetched X UNIT in S s (R MiB/s)."
    /// </summary>
    public static long FetchedBytes(ChildProcess get)
    {
        var match = Fetched().Match(get.Stderr);
        Assert.True(match.Success, $"No 'fetched ...' summary line.\n{get.Output}");
        double value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        long unit = match.Groups[2].Value switch
        {
            "GiB" => 1L << 30,
            "MiB" => 1L << 20,
            "KiB" => 1L << 10,
            _ => 1,
        };
        return (long)(value * unit);
    }

    /// <summary>The highest percentage among get's periodic progress lines so far, or -1.</summary>
    public static double LastProgressPercent(string stderr)
    {
        double best = -1;
        foreach (Match match in ProgressLine().Matches(stderr))
        {
            best = Math.Max(best, double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        return best;
    }

    /// <summary>stderr lines that say something (ignores empty lines).</summary>
    public static string[] StderrLines(ChildProcess process) =>
        process.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"fetched ([0-9]+(?:\.[0-9]+)?) (GiB|MiB|KiB|B) in")]
    private static partial Regex Fetched();

    // "[00:00:05] downloading  42.0% down ..." (non-terminal stderr)
    [GeneratedRegex(@"^\[\d\d:\d\d:\d\d\] \S+\s+([0-9]+(?:\.[0-9]+)?)%", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();
}
