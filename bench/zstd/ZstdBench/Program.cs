using System.Diagnostics;
using System.Runtime.InteropServices;
using Ezio.Imaging.Compression;
using Ezio.Imaging.Store;

namespace Ezio.Bench.Zstd;

// Decompression (and compression) speed of whole pieces on one thread: libzstd through the
// engine's ZstdPieceCodec (one ZSTD_decompress per piece, as the receive path calls it),
// libzstd with one reused context, and the managed port ZstdSharp (reused Decompressor).
// Input: the stored frames of an Ezio image's pieces.ezp. Every codec's output is compared
// with libzstd's before it is timed.
//
//   ZstdBench <pieces.ezp> [--seconds S] [--levels 1,3]
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("ZstdBench <pieces.ezp> [--seconds S] [--levels 1,3]");
            return args.Length == 0 ? 2 : 0;
        }
        double seconds = 3;
        int[] levels = [1, 3];
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds":
                    seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--levels":
                    levels = args[i + 1].Length == 0 ? [] : Array.ConvertAll(args[i + 1].Split(','), int.Parse);
                    break;
                default:
                    Console.Error.WriteLine($"ZstdBench: unknown option {args[i]}");
                    return 2;
            }
        }

        var pieces = Load(args[0]);
        long raw = pieces.Sum(p => (long)p.Length);
        long packed = pieces.Sum(p => (long)p.Frame.Length);
        Console.WriteLine($"{pieces.Count} zstd pieces of {args[0]}: {raw / 1048576.0:F1} MiB raw, {packed / 1048576.0:F1} MiB stored (ratio {(double)packed / raw:F3})");
        Console.WriteLine($"one thread, at least {seconds:F1} s per measurement, best of 3 rounds; MB = 10^6 bytes of uncompressed data");
        Console.WriteLine();

        var reference = pieces.Select(p => new byte[p.Length]).ToArray();
        for (int i = 0; i < pieces.Count; i++)
        {
            ZstdPieceCodec.Instance.Decompress(pieces[i].Frame, reference[i]);
        }

        using var context = new NativeDecompressContext();
        using var sharp = new ZstdSharp.Decompressor();
        var decoders = new (string Name, Action<byte[], byte[]> Decode)[]
        {
            ("libzstd, ZstdPieceCodec (ZSTD_decompress)", (src, dst) => ZstdPieceCodec.Instance.Decompress(src, dst)),
            ("libzstd, reused ZSTD_DCtx", (src, dst) => context.Decompress(src, dst)),
            ("ZstdSharp.Port 0.8.8, reused Decompressor", (src, dst) => Check(sharp.Unwrap(src, dst), dst.Length)),
        };
        Console.WriteLine($"{"decompress",-46} {"MB/s",9} {"x libzstd",10}");
        double baseline = 0;
        foreach (var (name, decode) in decoders)
        {
            var output = pieces.Select(p => new byte[p.Length]).ToArray();
            for (int i = 0; i < pieces.Count; i++)
            {
                decode(pieces[i].Frame, output[i]);
                if (!output[i].AsSpan().SequenceEqual(reference[i]))
                {
                    Console.Error.WriteLine($"ZstdBench: {name} decoded piece {pieces[i].Index} differently");
                    return 1;
                }
            }
            double rate = Measure(seconds, raw, () =>
            {
                for (int i = 0; i < pieces.Count; i++)
                {
                    decode(pieces[i].Frame, output[i]);
                }
            });
            if (baseline == 0)
            {
                baseline = rate;
            }
            Console.WriteLine($"{name,-46} {rate,9:F0} {rate / baseline,10:F2}");
        }

        if (levels.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"{"compress",-46} {"MB/s",9} {"ratio",10}");
            var scratch = new byte[ZstdPieceCodec.Instance.CompressBound(reference.Max(r => r.Length))];
            foreach (int level in levels)
            {
                long native = 0;
                double nativeRate = Measure(seconds, raw, () =>
                {
                    native = 0;
                    foreach (var piece in reference)
                    {
                        native += ZstdPieceCodec.Instance.Compress(piece, scratch, level);
                    }
                });
                Console.WriteLine($"{$"libzstd, ZstdPieceCodec level {level}",-46} {nativeRate,9:F0} {(double)native / raw,10:F3}");
                using var compressor = new ZstdSharp.Compressor(level);
                long managed = 0;
                double managedRate = Measure(seconds, raw, () =>
                {
                    managed = 0;
                    foreach (var piece in reference)
                    {
                        managed += compressor.Wrap(piece, scratch);
                    }
                });
                Console.WriteLine($"{$"ZstdSharp.Port 0.8.8 level {level}",-46} {managedRate,9:F0} {(double)managed / raw,10:F3}");
            }
        }
        return 0;
    }

    private static void Check(int written, int expected)
    {
        if (written != expected)
        {
            throw new InvalidDataException($"decoded {written} bytes, expected {expected}");
        }
    }

    private readonly record struct Piece(int Index, int Length, byte[] Frame);

    private static List<Piece> Load(string path)
    {
        using var store = PieceStore.Open(path);
        var pieces = new List<Piece>();
        byte[] buffer = new byte[store.PieceLength];
        for (int i = 0; i < store.PieceCount; i++)
        {
            int length = store.ReadStored(i, ref buffer, out StoredPieceKind kind);
            if (kind == StoredPieceKind.Zstd)
            {
                pieces.Add(new Piece(i, store.LengthOf(i), buffer.AsSpan(0, length).ToArray()));
            }
        }
        return pieces;
    }

    // Best of three rounds; each round repeats the pass until at least a third of the budget is spent.
    private static double Measure(double seconds, long bytesPerPass, Action pass)
    {
        pass();
        double best = 0;
        for (int round = 0; round < 3; round++)
        {
            long bytes = 0;
            var watch = Stopwatch.StartNew();
            do
            {
                pass();
                bytes += bytesPerPass;
            }
            while (watch.Elapsed.TotalSeconds < seconds / 3);
            best = Math.Max(best, bytes / watch.Elapsed.TotalSeconds / 1e6);
        }
        return best;
    }
}

/// <summary>One ZSTD_DCtx for every frame: what the codec would gain by keeping a context per thread.</summary>
internal sealed partial class NativeDecompressContext : IDisposable
{
    private const string Library = "libzstd.so.1";
    private readonly IntPtr _context = CreateDCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    private static partial IntPtr CreateDCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    private static partial nuint FreeDCtx(IntPtr context);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressDCtx")]
    private static unsafe partial nuint DecompressDCtx(IntPtr context, byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    private static partial uint IsError(nuint code);

    public unsafe void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            nuint result = DecompressDCtx(_context, dst, (nuint)destination.Length, src, (nuint)source.Length);
            if (IsError(result) != 0 || result != (nuint)destination.Length)
            {
                throw new InvalidDataException("a frame did not decompress to its piece size");
            }
        }
    }

    public void Dispose() => FreeDCtx(_context);
}
