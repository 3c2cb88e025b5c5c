using System.Text.RegularExpressions;

namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// The `ezio` executable, driven only through its command-line contract:
/// <code>
///   ezio get &lt;torrent|url&gt; &lt;target&gt; [--port N] [--seed-after done|none|S] [--peer HOST:PORT]...
///   ezio seed &lt;torrent&gt; &lt;source&gt; [--port N] [--peer HOST:PORT]...      (until SIGTERM)
///   ezio torrent create &lt;file-or-dir&gt; -o &lt;out.torrent&gt; [--announce URL] [--piece-size N]
///   ezio torrent info &lt;torrent&gt;        (a line containing "info-hash" and 40 hex digits)
/// </code>
/// For a multi-file torrent, target and source are the directory holding the
/// torrent's files (the equivalent of libtorrent's savePath/&lt;name&gt;).
/// </summary>
internal static partial class EzioCli
{
    public static ChildProcess StartGet(string torrent, string target, int port, IEnumerable<int>? peerPorts = null,
        IEnumerable<string>? extraArguments = null)
    {
        var arguments = new List<string> { "get", torrent, target, "--port", port.ToString(), "--seed-after", "none" };
        AddPeers(arguments, peerPorts);
        arguments.AddRange(extraArguments ?? []);
        return ChildProcess.Start(Tools.Require("ezio"), arguments);
    }

    /// <summary>Starts a seeder and waits until its port accepts connections.</summary>
    public static async Task<ChildProcess> StartSeedAsync(
        string torrent, string source, int port, IEnumerable<int>? peerPorts = null)
    {
        var arguments = new List<string> { "seed", torrent, source, "--port", port.ToString() };
        AddPeers(arguments, peerPorts);
        var process = ChildProcess.Start(Tools.Require("ezio"), arguments);
        try
        {
            await FreePort.WaitForListenerAsync(port, Tools.Timeout, process);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    public static async Task CreateTorrentAsync(string source, string output, string? announce = null, int pieceSize = 0)
    {
        var arguments = new List<string> { "torrent", "create", source, "-o", output };
        if (announce is not null)
        {
            arguments.AddRange(["--announce", announce]);
        }
        if (pieceSize > 0)
        {
            arguments.AddRange(["--piece-size", pieceSize.ToString()]);
        }
        using var process = ChildProcess.Start(Tools.Require("ezio"), arguments);
        await process.ExpectSuccessAsync(Tools.Timeout);
    }

    /// <summary>Runs `ezio torrent info` and returns the info-hash it prints.</summary>
    public static async Task<string> InfoHashAsync(string torrent)
    {
        using var process = ChildProcess.Start(Tools.Require("ezio"), ["torrent", "info", torrent]);
        await process.ExpectSuccessAsync(Tools.Timeout);
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

    /// <summary>Stops a seeder with SIGTERM and asserts it exited cleanly (status 0).</summary>
    public static async Task StopSeedAsync(ChildProcess seeder)
    {
        int? code = await seeder.StopAsync(TimeSpan.FromSeconds(15));
        Assert.True(code == 0, $"ezio seed did not stop cleanly on SIGTERM (exit {code?.ToString() ?? "killed"}).\n{seeder.Output}");
    }

    private static void AddPeers(List<string> arguments, IEnumerable<int>? peerPorts)
    {
        foreach (int peer in peerPorts ?? [])
        {
            arguments.AddRange(["--peer", $"127.0.0.1:{peer}"]);
        }
    }

    [GeneratedRegex("(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")]
    private static partial Regex HexHash();
}
