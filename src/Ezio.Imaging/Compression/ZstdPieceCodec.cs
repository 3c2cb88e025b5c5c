using Ezio.BitTorrent.Compression;
using Ezio.Imaging.Interop;

namespace Ezio.Imaging.Compression;

/// <summary>The engine's piece codec on the system's libzstd.</summary>
public sealed class ZstdPieceCodec : IPieceCodec
{
    public static ZstdPieceCodec Instance { get; } = new();

    /// <summary>True when libzstd can be loaded here (the live image and Debian have it).</summary>
    public static bool IsAvailable
    {
        get
        {
            try
            {
                return Zstd.CompressBound(1) > 0;
            }
            catch (DllNotFoundException)
            {
                return false;
            }
        }
    }

    public int CompressBound(int length) => Zstd.CompressBound(length);

    public int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level) => Zstd.Compress(source, destination, level);

    public void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var start = ThreadCpu.Now();
        try
        {
            Zstd.Decompress(source, destination);
        }
        finally
        {
            Interlocked.Add(ref _decompressNanoseconds, ThreadCpu.Now() - start);
            Interlocked.Add(ref _decompressedBytes, destination.Length);
        }
    }

    private long _decompressNanoseconds;
    private long _decompressedBytes;

    /// <summary>Bytes decompressed by this process so far (one piece at a time).</summary>
    public long DecompressedBytes => Interlocked.Read(ref _decompressedBytes);

    /// <summary>CPU time the decompressions took, summed over the threads that ran them.</summary>
    public TimeSpan DecompressCpuTime => TimeSpan.FromTicks(Interlocked.Read(ref _decompressNanoseconds) / 100);
}
