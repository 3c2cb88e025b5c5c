using System.Runtime.InteropServices;

namespace Ezio.Imaging.Interop;

// zstd in-process through the system's libzstd (Debian libzstd1): native speed at every level,
// no package to vet, nothing for the AOT trimmer to worry about. The managed port
// (ZstdSharp) would work too but is several times slower at compressing, and import speed is
// bounded by compression once the decompressing tool runs in its own process.
internal static partial class Zstd
{
    private const string Library = "libzstd.so.1";

    /// <summary>ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR.</summary>
    private const ulong ContentSizeUnknown = unchecked((ulong)-1);
    private const ulong ContentSizeError = unchecked((ulong)-2);

    [LibraryImport(Library, EntryPoint = "ZSTD_compress")]
    private static unsafe partial nuint CompressNative(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int level);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompress")]
    private static unsafe partial nuint DecompressNative(byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_getFrameContentSize")]
    private static unsafe partial ulong GetFrameContentSizeNative(byte* src, nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    private static partial uint IsErrorNative(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    private static partial nuint CompressBoundNative(nuint srcSize);

    public static int CompressBound(int length) => checked((int)CompressBoundNative((nuint)length));

    /// <summary>Compresses into <paramref name="destination"/>; returns the frame length, or -1 when it does not fit.</summary>
    public static unsafe int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            nuint result = CompressNative(dst, (nuint)destination.Length, src, (nuint)source.Length, level);
            return IsErrorNative(result) != 0 ? -1 : (int)result;
        }
    }

    /// <summary>Decompresses one frame whose content size must equal <paramref name="destination"/>.Length.</summary>
    public static unsafe void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            ulong declared = GetFrameContentSizeNative(src, (nuint)source.Length);
            if (declared is ContentSizeError || (declared != ContentSizeUnknown && declared != (ulong)destination.Length))
            {
                throw new InvalidDataException($"A zstd frame declares {declared} bytes where {destination.Length} were expected.");
            }
            nuint result = DecompressNative(dst, (nuint)destination.Length, src, (nuint)source.Length);
            if (IsErrorNative(result) != 0 || result != (nuint)destination.Length)
            {
                throw new InvalidDataException($"A zstd frame did not decompress to {destination.Length} bytes.");
            }
        }
    }
}
