namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// opentracker on 127.0.0.1 (TCP and UDP on one random port). Debian builds it in
/// whitelist mode, so it only tracks the info-hashes we list; as root it chroots
/// into its directory (-d), which is why the whitelist path is "/whitelist.txt".
/// </summary>
internal sealed partial class OpenTracker : IDisposable
{
    private readonly ChildProcess _process;

    private OpenTracker(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string AnnounceUrl => $"http://127.0.0.1:{Port}/announce";

    /// <summary>Allocates a port first so torrents can embed the URL before the tracker runs.</summary>
    public static int ReservePort() => FreePort.Next();

    public static async Task<OpenTracker> StartAsync(string directory, int port, params string[] infoHashes)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllLinesAsync(Path.Combine(directory, "whitelist.txt"), infoHashes);
        var process = ChildProcess.Start(
            Tools.Require("opentracker"),
            ["-i", "127.0.0.1", "-p", port.ToString(), "-P", port.ToString(), "-d", directory, "-w", "/whitelist.txt"]);
        try
        {
            await HttpProbe.WaitForAnswerAsync(port, TimeSpan.FromSeconds(30), () => process.HasExited ? process.Output : null);
            return new OpenTracker(process, port);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Polls the tracker's scrape until it counts at least one seeder for the
    /// torrent, so a leecher started afterwards is sure to be told about it.
    /// </summary>
    public async Task WaitForSeederAsync(string infoHashHex, TimeSpan timeout)
    {
        byte[] hash = Convert.FromHexString(infoHashHex);
        string escaped = string.Concat(hash.Select(b => "%" + b.ToString("x2")));
        var url = new Uri($"http://127.0.0.1:{Port}/scrape?info_hash={escaped}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        DateTime deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                // Bencoded: d5:filesd20:<hash>d8:completei<N>e...
                last = System.Text.Encoding.Latin1.GetString(await http.GetByteArrayAsync(url));
                if (SeederCount().Match(last) is { Success: true } match && int.Parse(match.Groups[1].Value) > 0)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"No seeder registered at the tracker within {timeout.TotalSeconds:0} s (last scrape: {last}).");
    }

    public void Dispose() => _process.Dispose();

    [System.Text.RegularExpressions.GeneratedRegex("8:completei([0-9]+)e")]
    private static partial System.Text.RegularExpressions.Regex SeederCount();
}
