using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Ezio.Storage;

namespace Ezio.Bench.Disk;

/// <summary>
/// Isolates the storage path of a deployment: opens <see cref="TargetStorage"/> for an offset
/// torrent (16 MiB slices named by their 32-hex offsets, as Clonezilla cuts them) and writes
/// every piece of DATA through <see cref="RawTargetStorage"/> from a 4096-aligned buffer, then
/// flushes (fdatasync), exactly as a finished download does. Reading DATA (on /dev/shm) is the
/// same cost dd pays. --hash SHA-1s each piece first, as the engine verifies before writing.
///
///   DiskBench --target /dev/loopN --data FILE [--piece-size BYTES] [--hash]
/// </summary>
internal static unsafe class Program
{
    private const long SliceSize = 16L << 20;

    private static int Main(string[] args)
    {
        string? target = null;
        string? data = null;
        int pieceSize = 4 << 20;
        bool hash = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--target": target = args[++i]; break;
                case "--data": data = args[++i]; break;
                case "--piece-size": pieceSize = int.Parse(args[++i]); break;
                case "--hash": hash = true; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}");
                    return 2;
            }
        }

        if (target is null || data is null)
        {
            Console.Error.WriteLine("DiskBench --target /dev/loopN --data FILE [--piece-size BYTES] [--hash]");
            return 2;
        }

        using var source = File.OpenHandle(data, FileMode.Open, FileAccess.Read);
        long total = RandomAccess.GetLength(source);
        var files = new List<TorrentFile>();
        for (long offset = 0; offset < total; offset += SliceSize)
        {
            string name = offset.ToString("x32");
            files.Add(new TorrentFile("disk/" + name, [name], Math.Min(SliceSize, total - offset), offset));
        }

        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)pieceSize, 4096);
        var digest = new byte[20];
        var clock = Stopwatch.StartNew();
        using (var storage = TargetStorage.Open(target, files, total, isMultiFile: true, StorageLayout.Offsets))
        {
            for (long offset = 0; offset < total; offset += pieceSize)
            {
                var piece = new Span<byte>(buffer, (int)Math.Min(pieceSize, total - offset));
                int done = 0;
                while (done < piece.Length)
                {
                    int n = RandomAccess.Read(source, piece[done..], offset + done);
                    if (n == 0)
                    {
                        throw new EndOfStreamException(data);
                    }

                    done += n;
                }

                if (hash)
                {
                    SHA1.HashData(piece, digest);
                }

                storage.Write(offset, piece);
            }

            storage.Flush();
        }

        double seconds = clock.Elapsed.TotalSeconds;
        NativeMemory.AlignedFree(buffer);
        Console.WriteLine($"bytes={total} seconds={seconds:0.000} mib_per_s={total / seconds / (1 << 20):0.0} peak_rss_kib={PeakRssKib()}");
        return 0;
    }

    private static long PeakRssKib()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0]);
            }
        }

        return -1;
    }
}
