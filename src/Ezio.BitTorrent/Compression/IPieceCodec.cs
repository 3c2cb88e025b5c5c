namespace Ezio.BitTorrent.Compression;

/// <summary>
/// A block compressor for whole pieces (zstd in practice). The engine stays free of native
/// libraries: the host injects an implementation through <c>SessionOptions.Codec</c>.
/// </summary>
public interface IPieceCodec
{
    /// <summary>Largest output <see cref="Compress"/> may produce for <paramref name="length"/> input bytes.</summary>
    int CompressBound(int length);

    /// <summary>Compresses; returns the bytes written, or -1 when it failed.</summary>
    int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level);

    /// <summary>
    /// Decompresses exactly <paramref name="destination"/>.Length bytes and never writes past
    /// it; throws <see cref="InvalidDataException"/> for anything else (hostile input).
    /// </summary>
    void Decompress(ReadOnlySpan<byte> source, Span<byte> destination);
}

/// <summary>How a piece travels in an <c>ezio_zpiece</c> message.</summary>
public enum PieceEncoding : byte
{
    Raw = 0,
    Zstd = 1,
    /// <summary>Every byte is zero: no payload at all.</summary>
    Zero = 2,
}

/// <summary>
/// Storage that already holds pieces compressed (an image's piece store): a seeder sends
/// them as they are, spending no CPU on compression.
/// </summary>
public interface ICompressedPieceSource
{
    /// <summary>
    /// Copies piece <paramref name="index"/> as stored into <paramref name="destination"/>
    /// (resized if needed) and returns its length and encoding; false when not available.
    /// </summary>
    bool TryReadCompressed(int index, ref byte[] destination, out int length, out PieceEncoding encoding);
}
