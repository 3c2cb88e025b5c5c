using Ezio.Interop.Tests.Infrastructure;

namespace Ezio.Interop.Tests.Clients;

/// <summary>ezio against libtorrent 2.0 (python3-libtorrent), peers given by hand.</summary>
public sealed class LibtorrentTests
{
    private const string Name = "payload";

    [InteropFact("ezio,libtorrent")]
    public async Task LibtorrentSeed_EzioGet_FilesIdentical()
    {
        using var temp = new TempDirectory();
        string source = temp.CreateSubdirectory("seed");
        Payload.CreateTree(Path.Combine(source, Name), seed: 1);
        string torrent = temp.Combine("payload.torrent");
        await Libtorrent.CreateTorrentAsync(Path.Combine(source, Name), torrent, pieceSize: 256 * 1024);

        int seedPort = FreePort.Next();
        using ChildProcess seeder = await Libtorrent.StartSeedAsync(torrent, source, seedPort);

        string target = temp.Combine("get", Name);
        using ChildProcess leecher = EzioCli.StartGet(torrent, target, FreePort.Next(), [seedPort]);
        await leecher.ExpectSuccessAsync(Tools.Timeout);

        Payload.AssertTreesEqual(Path.Combine(source, Name), target);
    }

    [InteropFact("ezio,libtorrent")]
    public async Task EzioSeed_LibtorrentLeech_FilesIdentical()
    {
        using var temp = new TempDirectory();
        string content = temp.Combine("seed", Name);
        Payload.CreateTree(content, seed: 2);
        string torrent = temp.Combine("payload.torrent");
        await Libtorrent.CreateTorrentAsync(content, torrent, pieceSize: 512 * 1024);

        int seedPort = FreePort.Next();
        using ChildProcess seeder = await EzioCli.StartSeedAsync(torrent, content, seedPort);

        string savePath = temp.CreateSubdirectory("leech");
        using ChildProcess leecher = Libtorrent.StartLeech(torrent, savePath, FreePort.Next(), [seedPort]);
        await leecher.ExpectSuccessAsync(Tools.Timeout);

        Payload.AssertTreesEqual(content, Path.Combine(savePath, Name));
        await EzioCli.StopSeedAsync(seeder);
    }

    [InteropFact("ezio,libtorrent")]
    public async Task TorrentCreate_LibtorrentChecksData_SameInfoHashAndComplete()
    {
        using var temp = new TempDirectory();
        string parent = temp.CreateSubdirectory("seed");
        string content = Path.Combine(parent, Name);
        Payload.CreateTree(content, seed: 3);
        string torrent = temp.Combine("by-ezio.torrent");

        await EzioCli.CreateTorrentAsync(content, torrent, announce: "http://127.0.0.1:9/announce", pieceSize: 1024 * 1024);

        // Both tools must agree on the info-hash of ezio's metainfo...
        string ezioHash = await EzioCli.InfoHashAsync(torrent);
        string libtorrentHash = await Libtorrent.InfoHashAsync(torrent);
        Assert.Equal(libtorrentHash, ezioHash);
        // ...and libtorrent's full hash check of the data must find every piece
        // (the seeder only reports SEEDING once the check passed).
        using ChildProcess seeder = await Libtorrent.StartSeedAsync(torrent, parent, FreePort.Next());
    }
}
