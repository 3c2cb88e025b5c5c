using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Ezio.BitTorrent.Metainfo;
using Ezio.TestKit.Net;

namespace Ezio.TestKit.Processes;

/// <summary>
/// A real opentracker on 127.0.0.1 (TCP and UDP on one port), killed by PID on dispose. Debian
/// builds it in whitelist mode, so it tracks only the info-hashes listed; as root it chroots into
/// its directory (-d) and drops to "nobody", so the list is named from that root and must be
/// world-readable. Ready means it tracks: a socket that only accepts may still reset the first
/// request (opentracker binds, then chroots and drops privileges before its loop runs), and a
/// loop that answers may still refuse every announce until its whitelist is read; see
/// <see cref="OpentrackerProbe"/>.
/// </summary>
public sealed partial class Opentracker : IDisposable
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly string? _ownedDirectory;

    private Opentracker(ChildProcess process, int port, string? ownedDirectory)
    {
        _process = process;
        _ownedDirectory = ownedDirectory;
        Port = port;
    }

    public int Port { get; }

    public string AnnounceUrl => $"http://127.0.0.1:{Port}/announce";

    public string Output => _process.Output;

    /// <summary>A port for a tracker started later, so torrents can embed its URL first.</summary>
    public static int ReservePort() => FreePort.Next();

    /// <summary>Starts on a fresh port in a temporary directory (removed on dispose).</summary>
    public static Task<Opentracker> StartAsync(params InfoHash[] whitelist) =>
        StartAsync(directory: null, FreePort.Next(), whitelist.Select(hash => hash.ToString()));

    /// <summary>Starts in <paramref name="directory"/> (null: a temporary one) on <paramref name="port"/>, tracking the hex info-hashes listed.</summary>
    public static async Task<Opentracker> StartAsync(string? directory, int port, IEnumerable<string> infoHashes)
    {
        string? owned = directory is null ? Directory.CreateTempSubdirectory("ezio-opentracker-").FullName : null;
        directory ??= owned!;
        Directory.CreateDirectory(directory);
        string listPath = Path.Combine(directory, "whitelist");
        List<string> listed = [.. infoHashes];
        await File.WriteAllLinesAsync(listPath, listed);
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode searchable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, readable | searchable);
            File.SetUnixFileMode(listPath, readable);
        }

        string listArgument = Environment.IsPrivilegedProcess ? "/whitelist" : listPath;

        string portText = port.ToString(CultureInfo.InvariantCulture);
        string? listedHash = listed.FirstOrDefault();
        var process = ChildProcess.Start(
            Tools.Require("opentracker"),
            ["-i", "127.0.0.1", "-p", portText, "-P", portText, "-d", directory, "-w", listArgument]);
        var tracker = new Opentracker(process, port, owned);
        try
        {
            await tracker.WaitUntilReadyAsync(listedHash);
            return tracker;
        }
        catch
        {
            tracker.Dispose();
            throw;
        }
    }

    /// <summary>Polls (bounded) until <see cref="OpentrackerProbe"/> finds the tracker ready; fails early if it exits.</summary>
    private async Task WaitUntilReadyAsync(string? listedHash)
    {
        DateTime deadline = DateTime.UtcNow + StartupDeadline;
        string last = "no answer";
        while (true)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                if (await OpentrackerProbe.NotReadyAsync(Port, listedHash, cts.Token) is not { } missing)
                {
                    return;
                }
                last = missing;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                last = e.Message;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"opentracker exited before it was ready ({last}).\n{_process.Output}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"opentracker on port {Port} was not ready within {StartupDeadline.TotalSeconds:0} s ({last}).\n{_process.Output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Polls the tracker's scrape until it counts at least one seeder for the torrent, so a
    /// leecher started afterwards is sure to be told about it.
    /// </summary>
    public async Task WaitForSeederAsync(string infoHashHex, TimeSpan timeout)
    {
        byte[] hash = Convert.FromHexString(infoHashHex);
        string escaped = string.Concat(hash.Select(b => "%" + b.ToString("x2", CultureInfo.InvariantCulture)));
        var url = new Uri($"http://127.0.0.1:{Port}/scrape?info_hash={escaped}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        DateTime deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                // Bencoded: d5:filesd20:<hash>d8:completei<N>e...
                last = Encoding.Latin1.GetString(await http.GetByteArrayAsync(url));
                if (SeederCount().Match(last) is { Success: true } match
                    && int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) > 0)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"No seeder registered at the tracker within {timeout.TotalSeconds:0} s (last scrape: {last}).");
    }

    public void Dispose()
    {
        _process.Dispose();
        if (_ownedDirectory is not null)
        {
            Directory.Delete(_ownedDirectory, recursive: true);
        }
    }

    [GeneratedRegex("8:completei([0-9]+)e")]
    private static partial Regex SeederCount();
}
