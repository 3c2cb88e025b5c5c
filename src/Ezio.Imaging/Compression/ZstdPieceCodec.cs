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

    public void Decompress(ReadOnlySpan<byte> source, Span<byte> destination) => Zstd.Decompress(source, destination);
}
