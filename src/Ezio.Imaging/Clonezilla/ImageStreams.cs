namespace Ezio.Imaging.Clonezilla;

/// <summary>Opens image files (possibly split, possibly compressed) as one decompressed stream.</summary>
public static class ImageStreams
{
    /// <summary>
    /// Concatenates <paramref name="chunks"/> in the given order and decompresses the whole
    /// stream with the system tool for its compression, found from the first bytes' magic
    /// (the file-name suffix may lie, and old images have none).
    /// </summary>
    public static Stream OpenDecompressed(IReadOnlyList<string> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            throw new ArgumentException("No image files given.", nameof(chunks));
        }
        Span<byte> magic = stackalloc byte[16];
        int n;
        using (var first = File.OpenRead(chunks[0]))
        {
            n = first.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        }
        Compression compression = CompressionDetector.Detect(magic[..n]);
        var input = new ConcatenatedStream(chunks);
        if (compression == Compression.None)
        {
            return input;
        }
        (string tool, string[] arguments) = CompressionDetector.Tool(compression);
        string[] tools = compression == Compression.Gzip ? [tool, "gzip"] : [tool];
        try
        {
            return ToolPipeStream.Start(tools, arguments, input, Path.GetFileName(chunks[0]));
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }
}
