using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Ezio.TestKit.Net;

namespace Ezio.TestKit.Processes;

/// <summary>
/// The `ezio` executable, driven only through its command-line contract:
/// <code>
///   ezio get &lt;torrent|url&gt; &lt;target&gt; [--port N] [--seed-after done|none|S] [--peer HOST:PORT]...
///   ezio seed &lt;torrent&gt; &lt;source&gt; [--port N] [--peer HOST:PORT]...      (until SIGTERM)
///   ezio torrent create &lt;file-or-dir&gt; -o &lt;out.torrent&gt; [--announce URL] [--piece-size N]
///   ezio torrent info &lt;torrent&gt;        (a line containing "info-hash" and 40 hex digits)
/// </code>
/// For a multi-file torrent, target and source are the directory holding the torrent's files
/// (the equivalent of libtorrent's savePath/&lt;name&gt;).
/// </summary>
public static partial class EzioCli
{
    public static ChildProcess Start(params IEnumerable<string> arguments) => ChildProcess.Start(Tools.Require("ezio"), arguments);

    /// <summary>Runs to completion (bounded) and returns the exited process for its output.</summary>
    public static async Task<(int ExitCode, ChildProcess Process)> RunAsync(params string[] arguments)
    {
        var process = Start(arguments);
        int code = await process.WaitForExitAsync();
        return (code, process);
    }

    /// <summary>
    /// Runs to completion (bounded, 300 s: whole-image imports and verifies) and returns trimmed
    /// stdout; a non-zero exit throws with stderr.
    /// </summary>
    public static string Run(params string[] arguments) => Shell.Run(Tools.Require("ezio"), arguments, stdoutFile: null, timeoutSeconds: 300);

    /// <summary>`ezio get` listening on <paramref name="port"/>, told about the loopback peers; never seeds afterwards.</summary>
    public static ChildProcess StartGet(string torrent, string target, int port, IEnumerable<int>? peerPorts = null,
        IEnumerable<string>? extraArguments = null)
    {
        var arguments = new List<string> { "get", torrent, target, "--port", Text(port), "--seed-after", "none" };
        AddPeers(arguments, peerPorts);
        arguments.AddRange(extraArguments ?? []);
        return Start(arguments);
    }

    /// <summary>`ezio get` from one loopback peer on any port; never seeds afterwards.</summary>
    public static ChildProcess StartGetFrom(string torrent, string target, int peerPort, params string[] extra) =>
        Start(["get", torrent, target, "--port", "0", "--seed-after", "none", "--peer", $"127.0.0.1:{peerPort}", .. extra]);

    /// <summary>Starts `ezio seed` told about the loopback peers; see <see cref="WaitUntilSeedingAsync"/>.</summary>
    public static Task<ChildProcess> StartSeedAsync(string torrent, string source, int port, IEnumerable<int>? peerPorts = null)
    {
        var arguments = new List<string> { "seed", torrent, source, "--port", Text(port) };
        AddPeers(arguments, peerPorts);
        return WaitUntilSeedingAsync(Start(arguments), port);
    }

    /// <summary>Starts `ezio seed` with extra options; see <see cref="WaitUntilSeedingAsync"/>.</summary>
    public static Task<ChildProcess> StartSeedAsync(string torrent, string source, int port, params string[] extra) =>
        WaitUntilSeedingAsync(Start(["seed", torrent, source, "--port", Text(port), .. extra]), port);

    /// <summary>Stops a seeder with SIGTERM; fails unless it exited cleanly (status 0).</summary>
    public static async Task StopSeedAsync(ChildProcess seeder)
    {
        int? code = await seeder.StopAsync(TimeSpan.FromSeconds(15));
        if (code != 0)
        {
            throw new InvalidOperationException(
                $"ezio seed did not stop cleanly on SIGTERM (exit {code?.ToString(CultureInfo.InvariantCulture) ?? "killed"}).\n{seeder.Output}");
        }
    }

    public static Task CreateTorrentAsync(string source, string output, int pieceSize) =>
        CreateTorrentAsync(source, output, announce: null, pieceSize);

    public static async Task CreateTorrentAsync(string source, string output, string? announce = null, int pieceSize = 0)
    {
        var arguments = new List<string> { "torrent", "create", source, "-o", output };
        if (announce is not null)
        {
            arguments.AddRange(["--announce", announce]);
        }

        if (pieceSize > 0)
        {
            arguments.AddRange(["--piece-size", Text(pieceSize)]);
        }

        using var process = Start(arguments);
        await process.ExpectSuccessAsync();
    }

    /// <summary>Runs `ezio torrent info` and returns the info-hash it prints.</summary>
    public static async Task<string> InfoHashAsync(string torrent)
    {
        using var process = Start("torrent", "info", torrent);
        await process.ExpectSuccessAsync();
        foreach (string line in process.Output.Split('\n'))
        {
            if (line.Contains("info-hash", StringComparison.OrdinalIgnoreCase)
                && HexHash().Match(line) is { Success: true } match)
            {
                return match.Value;
            }
        }

        throw new InvalidOperationException($"`ezio torrent info` printed no info-hash line:\n{process.Output}");
    }

    /// <summary>
    /// Bytes fetched according to get's summary line:
    /// "ezio: complete and verified: NAME, SIZE; fetched X UNIT in S s (R MiB/s)."
    /// </summary>
    public static long FetchedBytes(ChildProcess get)
    {
        Match match = Fetched().Match(get.Stderr);
        if (!match.Success)
        {
            throw new InvalidOperationException($"No 'fetched ...' summary line.\n{get.Output}");
        }

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

    /// <summary>
    /// Ready means the seeder says it serves the whole torrent ("ezio: seeding", after its
    /// check of the data and once it listens) and its port, on 127.0.0.1 unless
    /// <paramref name="address"/> says otherwise, accepts: a port that only accepts may not serve
    /// yet. A seeder that does not get ready is stopped.
    /// </summary>
    public static async Task<ChildProcess> WaitUntilSeedingAsync(ChildProcess seeder, int port, IPAddress? address = null)
    {
        try
        {
            await seeder.WaitUntilAsync(() => seeder.Stderr.Contains("ezio: seeding", StringComparison.Ordinal), "ezio seed to start seeding");
            await FreePort.WaitForListenerAsync(address ?? IPAddress.Loopback, port, Tools.Timeout, seeder);
            return seeder;
        }
        catch
        {
            seeder.Dispose();
            throw;
        }
    }

    private static void AddPeers(List<string> arguments, IEnumerable<int>? peerPorts)
    {
        foreach (int peer in peerPorts ?? [])
        {
            arguments.AddRange(["--peer", $"127.0.0.1:{peer}"]);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"fetched ([0-9]+(?:\.[0-9]+)?) (GiB|MiB|KiB|B) in")]
    private static partial Regex Fetched();

    // "[00:00:05] downloading  42.0% down ..." (non-terminal stderr)
    [GeneratedRegex(@"^\[\d\d:\d\d:\d\d\] \S+\s+([0-9]+(?:\.[0-9]+)?)%", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();

    [GeneratedRegex("(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")]
    private static partial Regex HexHash();
}
