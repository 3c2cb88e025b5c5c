using System.Globalization;
using Ezio.TestKit.Net;

namespace Ezio.TestKit.Processes;

/// <summary>
/// python3-libtorrent peers on 127.0.0.1, driven through tests/scripts/lt_*.py (run with
/// /usr/bin/python3). Paths follow libtorrent's convention: the content lives at
/// savePath/&lt;name&gt;[/files].
/// </summary>
public static class Libtorrent
{
    /// <summary>Builds a v1 torrent of <paramref name="source"/> and returns its info-hash (hex).</summary>
    public static async Task<string> CreateTorrentAsync(string source, string output, int pieceSize = 0, string? tracker = null)
    {
        var arguments = new List<string> { Script("lt_create.py"), "--source", source, "--output", output };
        if (pieceSize > 0)
        {
            arguments.AddRange(["--piece-size", Text(pieceSize)]);
        }

        if (tracker is not null)
        {
            arguments.AddRange(["--tracker", tracker]);
        }

        using var process = ChildProcess.Start(Tools.Require("libtorrent"), arguments);
        await process.ExpectSuccessAsync();
        return LastLine(process.Output);
    }

    /// <summary>libtorrent's view of a torrent's v1 info-hash (hex).</summary>
    public static async Task<string> InfoHashAsync(string torrent)
    {
        using var process = ChildProcess.Start(Tools.Require("libtorrent"), [Script("lt_info.py"), torrent]);
        await process.ExpectSuccessAsync();
        return LastLine(process.Output);
    }

    /// <summary>
    /// Seeds <paramref name="torrent"/> from <paramref name="savePath"/>, told about the loopback
    /// peers. Ready means the script printed "SEEDING" (the data checked out) and the port accepts.
    /// </summary>
    public static async Task<ChildProcess> StartSeedAsync(
        string torrent, string savePath, int port, IEnumerable<int>? peerPorts = null, int uploadLimitBytesPerSecond = 0)
    {
        var arguments = new List<string>
        {
            Script("lt_seed.py"), "--torrent", torrent, "--save-path", savePath,
            "--port", Text(port), "--timeout", "600", "--upload-limit", Text(uploadLimitBytesPerSecond),
        };
        AddPeers(arguments, peerPorts);
        var seeder = ChildProcess.Start(Tools.Require("libtorrent"), arguments);
        try
        {
            await seeder.WaitUntilAsync(() => seeder.Stdout.Contains("SEEDING", StringComparison.Ordinal), "libtorrent to seed");
            await FreePort.WaitForListenerAsync(port, seeder);
            return seeder;
        }
        catch
        {
            seeder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts a leecher into savePath/&lt;name&gt;, listening on <paramref name="port"/>, told about
    /// the loopback peers and announcing to <paramref name="trackers"/> (it logs "tracker reply:"
    /// on stderr for each answer).
    /// </summary>
    public static ChildProcess StartLeech(string torrent, string savePath, int port, IEnumerable<int>? peerPorts = null,
        IEnumerable<string>? trackers = null)
    {
        var arguments = new List<string>
        {
            Script("lt_leech.py"), "--torrent", torrent, "--save-path", savePath,
            "--port", Text(port), "--timeout", Text((int)Tools.Timeout.TotalSeconds),
        };
        AddPeers(arguments, peerPorts);
        foreach (string tracker in trackers ?? [])
        {
            arguments.AddRange(["--tracker", tracker]);
        }

        return ChildProcess.Start(Tools.Require("libtorrent"), arguments);
    }

    /// <summary>Downloads into savePath/&lt;name&gt; from one loopback peer; libtorrent verifies every piece.</summary>
    public static async Task LeechAsync(string torrent, string savePath, int peerPort)
    {
        using var leecher = ChildProcess.Start(Tools.Require("libtorrent"),
        [
            Script("lt_leech.py"), "--torrent", torrent, "--save-path", savePath,
            "--port", Text(FreePort.Next()), "--peer", $"127.0.0.1:{peerPort}", "--timeout", "110",
        ]);
        await leecher.ExpectSuccessAsync();
        if (!leecher.Stdout.Contains("DONE", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"lt_leech.py exited without DONE.\n{leecher.Output}");
        }
    }

    private static void AddPeers(List<string> arguments, IEnumerable<int>? peerPorts)
    {
        foreach (int peer in peerPorts ?? [])
        {
            arguments.AddRange(["--peer", $"127.0.0.1:{peer}"]);
        }
    }

    private static string Script(string name) => Path.Combine(Tools.Scripts, name);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string LastLine(string output)
    {
        // ChildProcess prefixes each line with its stream ("out| ").
        string line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Last(l => l.StartsWith("out|", StringComparison.Ordinal));
        return line["out|".Length..].Trim();
    }
}
