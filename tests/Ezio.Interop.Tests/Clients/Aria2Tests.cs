using Ezio.Interop.Tests.Infrastructure;

namespace Ezio.Interop.Tests.Clients;

/// <summary>
/// ezio seeding to aria2. aria2 has no manual-peer option that works in every
/// version, so both find each other through opentracker on loopback.
/// </summary>
public sealed class Aria2Tests
{
    private const string Name = "payload";

    [InteropFact("ezio,libtorrent,opentracker,aria2c")]
    public async Task EzioSeed_Aria2Leech_ThroughOpentracker_FilesIdentical()
    {
        using var temp = new TempDirectory();
        string content = temp.Combine("seed", Name);
        Payload.CreateTree(content, seed: 4);

        int trackerPort = Opentracker.ReservePort();
        string announce = $"http://127.0.0.1:{trackerPort}/announce";
        string torrent = temp.Combine("payload.torrent");
        string infoHash = await Libtorrent.CreateTorrentAsync(content, torrent, pieceSize: 256 * 1024, tracker: announce);

        using Opentracker tracker = await Opentracker.StartAsync(temp.Combine("tracker"), trackerPort, [infoHash]);
        using ChildProcess seeder = await EzioCli.StartSeedAsync(torrent, content, FreePort.Next());
        await tracker.WaitForSeederAsync(infoHash, TimeSpan.FromSeconds(60));

        string downloads = temp.CreateSubdirectory("aria2");
        using var leecher = ChildProcess.Start(Tools.Require("aria2c"),
        [
            "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--disable-ipv6=true", "--seed-time=0",
            $"--listen-port={FreePort.Next()}", $"--dir={downloads}",
            $"--bt-stop-timeout={(int)Tools.Timeout.TotalSeconds}",
            "--console-log-level=warn", "--summary-interval=0", "--no-conf=true",
            torrent,
        ]);
        await leecher.ExpectSuccessAsync(Tools.Timeout);

        Payload.AssertTreesEqual(content, Path.Combine(downloads, Name));
        await EzioCli.StopSeedAsync(seeder);
    }
}
