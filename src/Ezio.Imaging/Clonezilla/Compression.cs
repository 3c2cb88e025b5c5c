namespace Ezio.Imaging.Clonezilla;

/// <summary>Compressions Clonezilla writes (spec §8.2).</summary>
public enum Compression
{
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
    Lz4,
    Lzop,
}

/// <summary>Detects a compression from its magic, and names the system tool that undoes it.</summary>
public static class CompressionDetector
{
    // Magic numbers at the start of each stream:
    //   gzip 1f 8b | zstd 28 b5 2f fd | xz fd 37 7a 58 5a 00 | bzip2 "BZh" | lz4 frame 04 22 4d 18
    //   lzop 89 4c 5a 4f 00 0d 0a 1a 0a
    public static Compression Detect(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]))
        {
            return Compression.Gzip;
        }
        if (start.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd]))
        {
            return Compression.Zstd;
        }
        if (start.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
        {
            return Compression.Xz;
        }
        if (start.StartsWith("BZh"u8))
        {
            return Compression.Bzip2;
        }
        if (start.StartsWith((ReadOnlySpan<byte>)[0x04, 0x22, 0x4d, 0x18]))
        {
            return Compression.Lz4;
        }
        if (start.StartsWith((ReadOnlySpan<byte>)[0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]))
        {
            return Compression.Lzop;
        }
        return Compression.None;
    }

    /// <summary>The compression a Clonezilla file-name suffix names, or null when the suffix is unknown.</summary>
    public static Compression? FromSuffix(string suffix) => suffix switch
    {
        "gz" => Compression.Gzip,
        "zst" => Compression.Zstd,
        "xz" or "lzma" => Compression.Xz,
        "bz2" => Compression.Bzip2,
        "lz4" => Compression.Lz4,
        "lzo" => Compression.Lzop,
        "uncomp" => Compression.None,
        _ => null,
    };

    /// <summary>The decompressing command (reads stdin, writes stdout).</summary>
    internal static (string Tool, string[] Arguments) Tool(Compression compression) => compression switch
    {
        Compression.Gzip => ("pigz", ["-dc"]),
        Compression.Zstd => ("zstd", ["-dc", "-q"]),
        Compression.Xz => ("xz", ["-dc"]),
        Compression.Bzip2 => ("bzip2", ["-dc"]),
        Compression.Lz4 => ("lz4", ["-dc"]),
        Compression.Lzop => ("lzop", ["-dc"]),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };
}
