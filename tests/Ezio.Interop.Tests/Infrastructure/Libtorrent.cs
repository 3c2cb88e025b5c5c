namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// Drives python3-libtorrent through scripts/lt_*.py (run with /usr/bin/python3).
/// Paths follow libtorrent's convention: the content lives at savePath/&lt;name&gt;.
/// </summary>
internal static class Libtorrent
{
    /// <summary>Builds a v1 torrent of <paramref name="source"/> and returns its info-hash (hex).</summary>
    public static async Task<string> CreateTorrentAsync(
        string source, string output, int pieceSize = 0, string? tracker = null)
    {
        var arguments = new List<string> { Script("lt_create.py"), "--source", source, "--output", output };
        if (pieceSize > 0)
        {
            arguments.AddRange(["--piece-size", pieceSize.ToString()]);
        }
        if (tracker is not null)
        {
            arguments.AddRange(["--tracker", tracker]);
        }
        using var process = ChildProcess.Start(Tools.Require("libtorrent"), arguments);
        await process.ExpectSuccessAsync(Tools.Timeout);
        return LastLine(process.Output);
    }

    /// <summary>libtorrent's view of a torrent's v1 info-hash (hex).</summary>
    public static async Task<string> InfoHashAsync(string torrent)
    {
        using var process = ChildProcess.Start(Tools.Require("libtorrent"), [Script("lt_info.py"), torrent]);
        await process.ExpectSuccessAsync(Tools.Timeout);
        return LastLine(process.Output);
    }

    /// <summary>Starts a seeder and waits until it has checked the data and serves it.</summary>
    public static async Task<ChildProcess> StartSeedAsync(
        string torrent, string savePath, int port, IEnumerable<int>? peerPorts = null)
    {
        var arguments = new List<string>
        {
            Script("lt_seed.py"), "--torrent", torrent, "--save-path", savePath,
            "--port", port.ToString(), "--timeout", "300",
        };
        AddPeers(arguments, peerPorts);
        var process = ChildProcess.Start(Tools.Require("libtorrent"), arguments);
        try
        {
            await process.WaitForOutputAsync("SEEDING", Tools.Timeout);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    public static ChildProcess StartLeech(
        string torrent, string savePath, int port, IEnumerable<int>? peerPorts = null)
    {
        var arguments = new List<string>
        {
            Script("lt_leech.py"), "--torrent", torrent, "--save-path", savePath,
            "--port", port.ToString(), "--timeout", ((int)Tools.Timeout.TotalSeconds).ToString(),
        };
        AddPeers(arguments, peerPorts);
        return ChildProcess.Start(Tools.Require("libtorrent"), arguments);
    }

    private static void AddPeers(List<string> arguments, IEnumerable<int>? peerPorts)
    {
        foreach (int peer in peerPorts ?? [])
        {
            arguments.AddRange(["--peer", $"127.0.0.1:{peer}"]);
        }
    }

    private static string Script(string name) => Path.Combine(Tools.Scripts, name);

    private static string LastLine(string output)
    {
        // ChildProcess prefixes each line with its stream ("out| ").
        string line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Last(l => l.StartsWith("out|", StringComparison.Ordinal));
        return line["out|".Length..].Trim();
    }
}
