using Ezio.Interop.Tests.Infrastructure;

namespace Ezio.Interop.Tests.Clients;

/// <summary>
/// ezio seeding to transmission-cli 3.00. transmission-cli never exits on its own:
/// its --finish hook touches a marker file, then the test stops it by PID.
/// Transmission drops tracker peers in 127.0.0.0/8 (it treats them as martian;
/// observed with 3.00: "Got 2 peers from tracker", no connection), so the tracker
/// only registers both sides and the ezio seeder dials transmission with --peer.
/// </summary>
public sealed class TransmissionTests
{
    private const string Name = "payload";

    [InteropFact("ezio,libtorrent,opentracker,transmission-cli")]
    public async Task EzioSeed_TransmissionLeech_FilesIdentical()
    {
        using var temp = new TempDirectory();
        string content = temp.Combine("seed", Name);
        Payload.CreateTree(content, seed: 5);

        int trackerPort = Opentracker.ReservePort();
        string torrent = temp.Combine("payload.torrent");
        string infoHash = await Libtorrent.CreateTorrentAsync(
            content, torrent, pieceSize: 256 * 1024, tracker: $"http://127.0.0.1:{trackerPort}/announce");
        using Opentracker tracker = await Opentracker.StartAsync(temp.Combine("tracker"), trackerPort, [infoHash]);

        string config = temp.CreateSubdirectory("transmission-config");
        await File.WriteAllTextAsync(Path.Combine(config, "settings.json"), """
            {
              "dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
              "port-forwarding-enabled": false, "blocklist-enabled": false,
              "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
              "speed-limit-down-enabled": false, "speed-limit-up-enabled": false,
              "ratio-limit-enabled": false, "message-level": 2
            }
            """);
        string marker = temp.Combine("finished");
        string hook = temp.Combine("on-finish.sh");
        await File.WriteAllTextAsync(hook, $"#!/bin/sh\ntouch '{marker}'\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        string downloads = temp.CreateSubdirectory("transmission");
        int leechPort = FreePort.Next();
        using var leecher = ChildProcess.Start(Tools.Require("transmission-cli"),
            ["-g", config, "-w", downloads, "-p", leechPort.ToString(), "-f", hook, torrent]);
        await FreePort.WaitForListenerAsync(leechPort, TimeSpan.FromSeconds(30), leecher);

        using ChildProcess seeder = await EzioCli.StartSeedAsync(torrent, content, FreePort.Next(), [leechPort]);
        await leecher.WaitUntilAsync(() => File.Exists(marker), Tools.Timeout, "the --finish hook");
        await leecher.StopAsync(TimeSpan.FromSeconds(10));

        Payload.AssertTreesEqual(content, Path.Combine(downloads, Name));
        await EzioCli.StopSeedAsync(seeder);
    }
}
