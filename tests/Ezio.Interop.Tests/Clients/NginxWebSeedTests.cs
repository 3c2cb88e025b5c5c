using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Ezio.BitTorrent.Metainfo;
using Ezio.Interop.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ezio.Interop.Tests.Clients;

/// <summary>
/// BEP 19 web seeds against a real nginx (docs/web-seeds.md): an image captured with
/// `ezio image capture`, its payload written by `ezio image export-web` and served by nginx on
/// loopback, deployed by `ezio get` onto disk files; every target is then checked with
/// `ezio verify` and compared byte for byte with the source disk.
/// </summary>
public sealed partial class NginxWebSeedTests(ITestOutputHelper output)
{
    private const long DiskSize = 64L << 20;
    private const long PartitionStart = 1L << 20;
    private const long PartitionSize = 60L << 20;
    private const long DataBytes = 40L << 20;
    private const int Machines = 4;

    [InteropFact("ezio,nginx,sfdisk")]
    public async Task Deploy_FromNginxAlone_EveryMachineVerifies()
    {
        using var temp = new TempDirectory();
        var (imageDir, torrentPath, disk) = await CaptureImageAsync(temp);
        using var nginx = await Nginx.StartAsync(temp.File("nginx"), temp.File("repo"));
        string url = nginx.UrlOf("lab/payload.bin");
        await RunEzioAsync("image", "export-web", imageDir, "--web-seed", url);
        Assert.Contains(url, await File.ReadAllTextAsync(Path.Combine(imageDir, "image.json")));
        var torrent = Torrent.Load(torrentPath);

        var (gets, targets) = StartMachines(temp, torrentPath, url, seederPeer: null);
        foreach (var get in gets)
        {
            await get.ExpectSuccessAsync(Tools.Timeout);
        }

        await VerifyAsync(torrentPath, disk, targets);
        // Every request was a range nginx answered with 206; together the machines took at
        // least the whole image from it (nothing else had any of it).
        var requests = nginx.Requests;
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Matches("^206 /images/lab/payload.bin bytes=[0-9]+-[0-9]+ [0-9]+$", r));
        Assert.True(WebSeedBytes(gets) >= torrent.TotalLength, $"web seed bytes {WebSeedBytes(gets)} < image {torrent.TotalLength}");
        Assert.True(requests.Sum(r => long.Parse(r.Split(' ')[3])) >= torrent.TotalLength);
        output.WriteLine($"nginx alone: {Machines} machines took {WebSeedBytes(gets) / (double)torrent.TotalLength:0.00} image copies from it in {requests.Count} range requests");
        DisposeAll(gets);
    }

    [InteropFact("ezio,nginx,sfdisk,ip,tc", needsRoot: true)]
    public async Task Deploy_SeederKilledAtAThird_WebSeedFinishesAndEveryMachineVerifies()
    {
        using var temp = new TempDirectory();
        var (imageDir, torrentPath, disk) = await CaptureImageAsync(temp);
        // nginx slowed per connection, the seeder behind a 24 Mbit/s port: both sources count.
        using var nginx = await Nginx.StartAsync(temp.File("nginx"), temp.File("repo"), limitRate: "384k");
        string url = nginx.UrlOf("lab/payload.bin");
        await RunEzioAsync("image", "export-web", imageDir);
        var torrent = Torrent.Load(torrentPath);
        using var shaped = ShapedNamespace.Create("24mbit");
        int seedPort = FreePort.Next();
        using var seeder = shaped.Start(Tools.Require("ezio"), ["seed", torrentPath, disk, "--port", seedPort.ToString()]);
        try
        {
            await EzioCli.WaitUntilSeedingAsync(seeder, seedPort, IPAddress.Parse(shaped.Address));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nlinks:\n{shaped.Describe()}", e);
        }

        var (gets, targets) = StartMachines(temp, torrentPath, url, seederPeer: $"{shaped.Address}:{seedPort}");
        var progress = targets.Select(t => new TargetProgress(torrent, t)).ToArray();
        double atKill = 0;
        await seeder.WaitUntilAsync(() =>
        {
            atKill = progress.Average(p => p.Fraction());
            return atKill >= 0.30;
        }, Tools.Timeout, "the machines a third done");
        seeder.KillHard();
        int servedBeforeKill = nginx.Requests.Count;
        Assert.All(gets, g => Assert.False(g.HasExited, $"{g} finished before the seeder was killed:\n{g.Output}"));

        foreach (var get in gets)
        {
            await get.ExpectSuccessAsync(Tools.Timeout);
        }

        await VerifyAsync(torrentPath, disk, targets);
        Assert.InRange(atKill, 0.30, 0.8);
        // After the kill nginx kept serving, and the machines did not take everything from it.
        Assert.True(nginx.Requests.Count > servedBeforeKill, "nginx served nothing after the seeder died");
        long fromWebSeed = WebSeedBytes(gets);
        Assert.InRange(fromWebSeed, 1, Machines * torrent.TotalLength - 1);
        output.WriteLine($"seeder killed at {atKill:P0}; the web seed sent {fromWebSeed / (double)torrent.TotalLength:0.00} image copies to {Machines} machines");
        DisposeAll(gets);
    }

    /// <summary>A 64 MiB disk file: a DOS table, one 60 MiB partition of 40 MiB random bytes and zeros; captured into repo/lab.</summary>
    private static async Task<(string ImageDir, string Torrent, string Disk)> CaptureImageAsync(TempDirectory temp)
    {
        string disk = temp.File("disk.img");
        using (var stream = new FileStream(disk, FileMode.Create))
        {
            stream.SetLength(DiskSize);
            stream.Position = PartitionStart;
            var random = new Random(25);
            var buffer = new byte[1 << 20];
            for (long done = 0; done < DataBytes; done += buffer.Length)
            {
                random.NextBytes(buffer);
                stream.Write(buffer);
            }
        }
        string table = temp.File("table.sfdisk");
        await File.WriteAllTextAsync(table, $"label: dos\nstart={PartitionStart / 512}, size={PartitionSize / 512}, type=83\n");
        Shell.Run("sfdisk", ["--no-reread", "--no-tell-kernel", disk], stdoutFile: null, stdinFile: table);
        string imageDir = temp.File("repo/lab");
        await RunEzioAsync("image", "capture", disk, imageDir, "--level", "1");
        return (imageDir, Directory.GetFiles(imageDir, "*.torrent").Single(), disk);
    }

    /// <summary>Starts the machines: each an `ezio get` onto its own disk file, told of the machines before it.</summary>
    private static (ChildProcess[] Gets, string[] Targets) StartMachines(TempDirectory temp, string torrent, string webSeed, string? seederPeer)
    {
        var ports = Enumerable.Range(0, Machines).Select(_ => FreePort.Next()).ToArray();
        var gets = new ChildProcess[Machines];
        var targets = new string[Machines];
        for (int i = 0; i < Machines; i++)
        {
            targets[i] = temp.File($"machine{i}.img");
            using (var stream = new FileStream(targets[i], FileMode.Create))
            {
                stream.SetLength(DiskSize);
            }
            var extra = new List<string> { "--web-seed", webSeed };
            if (seederPeer is not null)
            {
                extra.AddRange(["--peer", seederPeer]);
            }
            gets[i] = EzioCli.StartGet(torrent, targets[i], ports[i], ports[..i], extra);
        }
        return (gets, targets);
    }

    /// <summary>`ezio verify` passes on every target, and its partition holds the source's bytes.</summary>
    private static async Task VerifyAsync(string torrent, string disk, string[] targets)
    {
        byte[] expected = ReadPartition(disk);
        foreach (string target in targets)
        {
            using var verify = ChildProcess.Start(Tools.Require("ezio"), ["verify", torrent, target]);
            Assert.Equal(0, await verify.WaitForExitAsync(Tools.Timeout));
            Assert.True(expected.AsSpan().SequenceEqual(ReadPartition(target)), $"{target}: the partition differs from the source");
        }
    }

    private static byte[] ReadPartition(string path)
    {
        using var stream = File.OpenRead(path);
        var bytes = new byte[PartitionSize];
        stream.Position = PartitionStart;
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The bytes every `ezio get` says it took from web seeds ("ezio: web seed URL: fetched N bytes").</summary>
    private static long WebSeedBytes(IEnumerable<ChildProcess> gets) =>
        gets.Sum(g => WebSeedLine().Matches(g.Output).Sum(m => long.Parse(m.Groups[1].Value)));

    private static async Task RunEzioAsync(params string[] arguments)
    {
        using var process = ChildProcess.Start(Tools.Require("ezio"), arguments);
        await process.ExpectSuccessAsync(Tools.Timeout);
    }

    private static void DisposeAll(IEnumerable<ChildProcess> processes)
    {
        foreach (var process in processes)
        {
            process.Dispose();
        }
    }

    [GeneratedRegex(@"web seed \S+: fetched ([0-9]+) bytes")]
    private static partial Regex WebSeedLine();

    /// <summary>
    /// How much of a target is written, by pieces that match their hash: a piece is hashed once
    /// it is no longer all zeros (pieces are written whole and verified, so it is then final).
    /// </summary>
    private sealed class TargetProgress(Torrent torrent, string target)
    {
        private readonly bool[] _done = new bool[torrent.PieceCount];
        private readonly byte[] _buffer = new byte[torrent.PieceLength];
        private readonly Dictionary<int, byte[]> _zeroHashes = [];

        private byte[] ZeroHash(int length)
        {
            if (!_zeroHashes.TryGetValue(length, out var hash))
            {
                _zeroHashes[length] = hash = SHA1.HashData(new byte[length]);
            }
            return hash;
        }

        public double Fraction()
        {
            using var handle = File.OpenHandle(target);
            for (int i = 0; i < _done.Length; i++)
            {
                if (_done[i])
                {
                    continue;
                }
                var piece = _buffer.AsSpan(0, torrent.GetPieceSize(i));
                ReadPiece(handle, i, piece);
                // Still all zeros: done only when the image's piece is zeros too (hashed once).
                _done[i] = piece.ContainsAnyExcept((byte)0)
                    ? torrent.VerifyPiece(i, piece)
                    : torrent.GetPieceHash(i).SequenceEqual(ZeroHash(piece.Length));
            }
            return _done.Count(d => d) / (double)_done.Length;
        }

        // Torrent offset to target offset: each file is named by its hex disk offset.
        private void ReadPiece(Microsoft.Win32.SafeHandles.SafeFileHandle handle, int index, Span<byte> piece)
        {
            long start = (long)index * torrent.PieceLength;
            foreach (var file in torrent.Files)
            {
                long from = Math.Max(start, file.Offset);
                long to = Math.Min(start + piece.Length, file.Offset + file.Length);
                if (from >= to)
                {
                    continue;
                }
                long diskOffset = Convert.ToInt64(file.PathSegments[^1], 16) + (from - file.Offset);
                RandomAccess.Read(handle, piece.Slice((int)(from - start), (int)(to - from)), diskOffset);
            }
        }
    }
}
