using Ezio.Interop.Tests.Infrastructure;

namespace Ezio.Interop.Tests.Clients;

/// <summary>
/// Clonezilla's BT layout: the FSBT slices partclone wrote for the ext4 demo
/// (Fixtures/btzone: sda1.torrent, sda1.torrent.info, sda1-fsbt-files.tar.zst).
/// The torrent is multi-file, named "sda1", one file per slice named by its
/// 32-hex-digit disk offset, 16 MiB pieces spanning slices.
/// </summary>
public sealed class BtzoneTests
{
    private const string Name = "sda1";
    private const string DemoInfoHash = "c3a69d5d437eed6f4d2fc4d3902ad1320babf79a";

    private static string Fixture(string file) => Path.Combine(Tools.Fixtures, "btzone", file);

    [InteropFact("ezio")]
    public async Task TorrentInfo_ClonezillaTorrent_PrintsKnownInfoHash()
    {
        Assert.Equal(DemoInfoHash, await EzioCli.InfoHashAsync(Fixture("sda1.torrent")));
    }

    [InteropFact("ezio,libtorrent,zstd")]
    public async Task EzioSeed_LibtorrentLeech_SlicesIdentical()
    {
        using var temp = new TempDirectory();
        string slices = await UnpackSlicesAsync(temp.CreateSubdirectory("seed"));

        int seedPort = FreePort.Next();
        using ChildProcess seeder = await EzioCli.StartSeedAsync(Fixture("sda1.torrent"), slices, seedPort);

        string savePath = temp.CreateSubdirectory("leech");
        using ChildProcess leecher = Libtorrent.StartLeech(Fixture("sda1.torrent"), savePath, FreePort.Next(), [seedPort]);
        await leecher.ExpectSuccessAsync(Tools.Timeout);

        Payload.AssertTreesEqual(slices, Path.Combine(savePath, Name));
        await EzioCli.StopSeedAsync(seeder);
    }

    [InteropFact("ezio,libtorrent,zstd")]
    public async Task LibtorrentSeed_EzioGet_SlicesIdentical()
    {
        using var temp = new TempDirectory();
        string savePath = temp.CreateSubdirectory("seed");
        string slices = await UnpackSlicesAsync(savePath);

        int seedPort = FreePort.Next();
        using ChildProcess seeder = await Libtorrent.StartSeedAsync(Fixture("sda1.torrent"), savePath, seedPort);

        string target = temp.Combine("get", Name);
        using ChildProcess leecher = EzioCli.StartGet(Fixture("sda1.torrent"), target, FreePort.Next(), [seedPort],
            // The slice names are disk offsets, so auto would pick the raw-disk layout;
            // here the slices themselves are wanted, as Clonezilla's server keeps them.
            ["--layout", "files"]);
        await leecher.ExpectSuccessAsync(Tools.Timeout);

        Payload.AssertTreesEqual(slices, target);
    }

    /// <summary>Unpacks the slices into <paramref name="parent"/>/sda1 with tar + the zstd CLI.</summary>
    private static async Task<string> UnpackSlicesAsync(string parent)
    {
        string tar = Tools.Require("tar");
        Tools.Require("zstd");
        using var unpack = ChildProcess.Start(tar, ["-I", "zstd", "-x", "-f", Fixture("sda1-fsbt-files.tar.zst"), "-C", parent]);
        await unpack.ExpectSuccessAsync(Tools.Timeout);
        string slices = Path.Combine(parent, Name);
        // The four slices listed in sda1.torrent.info, 19 992 576 bytes in all.
        Assert.Equal(4, Directory.GetFiles(slices).Length);
        Assert.Equal(19_992_576L, Directory.GetFiles(slices).Sum(f => new FileInfo(f).Length));
        return slices;
    }
}
