using System.Globalization;
using System.Text;
using Ezio.Interop.Tests.Infrastructure;

namespace Ezio.Interop.Tests.Clients;

/// <summary>
/// One swarm, two dialects: Ezio peers exchange whole pieces compressed (ezio_zpiece), and a
/// libtorrent peer in the same swarm gets plain BEP 3 blocks from them. Everyone completes
/// with identical bytes, and the Ezio peers fetch fewer bytes than the content holds.
/// </summary>
public sealed class CompressedSwarmTests
{
    private const string Name = "payload";

    [InteropFact("ezio,libtorrent")]
    public async Task EzioSeed_EzioAndLibtorrentLeechers_AllCompleteEzioFetchesCompressed()
    {
        using var temp = new TempDirectory();
        string content = temp.Combine("seed", Name);
        long total = CreateCompressibleTree(content);
        string torrent = temp.Combine("payload.torrent");
        await EzioCli.CreateTorrentAsync(content, torrent, pieceSize: 256 * 1024);

        int seedPort = FreePort.Next();
        using ChildProcess seeder = await EzioCli.StartSeedAsync(torrent, content, seedPort);

        int firstPort = FreePort.Next();
        int secondPort = FreePort.Next();
        int libtorrentPort = FreePort.Next();
        string first = temp.Combine("first", Name);
        string second = temp.Combine("second", Name);
        string savePath = temp.CreateSubdirectory("libtorrent");
        using ChildProcess a = EzioCli.StartGet(torrent, first, firstPort, [seedPort], ["--seed-after", "10"]);
        using ChildProcess b = EzioCli.StartGet(torrent, second, secondPort, [seedPort, firstPort], ["--seed-after", "10"]);
        // libtorrent dials the seeder and both Ezio peers: it gets plain blocks from all three.
        using ChildProcess libtorrent = Libtorrent.StartLeech(torrent, savePath, libtorrentPort, [seedPort, firstPort, secondPort]);

        await Task.WhenAll(a.ExpectSuccessAsync(Tools.Timeout), b.ExpectSuccessAsync(Tools.Timeout),
            libtorrent.ExpectSuccessAsync(Tools.Timeout));

        Payload.AssertTreesEqual(content, first);
        Payload.AssertTreesEqual(content, second);
        Payload.AssertTreesEqual(content, Path.Combine(savePath, Name));
        foreach (ChildProcess getter in new[] { a, b })
        {
            long fetched = EzioCli.FetchedBytes(getter);
            Assert.True(fetched < total * 3 / 4,
                $"an Ezio peer fetched {fetched} bytes of {total}: the pieces did not travel compressed.\n{getter.Output}");
        }
        await EzioCli.StopSeedAsync(seeder);
    }

    /// <summary>Text-like files (zstd takes them to well under half) and a run of zeros; returns the byte count.</summary>
    private static long CreateCompressibleTree(string root)
    {
        var random = new Random(9);
        string[] words = ["ezio", "piece", "block", "swarm", "disk", "verify", "tracker", "peer", "zstd", "image"];
        long total = 0;
        foreach ((string relative, int lines) in new[] { ("etc/config.txt", 60_000), ("usr/share/doc/notes.txt", 110_000) })
        {
            var text = new StringBuilder();
            for (int i = 0; i < lines; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{i:x6} {words[random.Next(words.Length)]} {random.Next(1000)} {words[random.Next(words.Length)]}\n");
            }
            string path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text.ToString());
            total += new FileInfo(path).Length;
        }
        string zeros = Path.Combine(root, "var", "zeros.img");
        Directory.CreateDirectory(Path.GetDirectoryName(zeros)!);
        File.WriteAllBytes(zeros, new byte[3 * 1024 * 1024]);
        return total + 3 * 1024 * 1024;
    }
}
