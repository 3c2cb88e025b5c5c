namespace Ezio.Imaging.Partclone;

/// <summary>
/// A partition's used blocks, read once, in ascending order: a partclone image, or raw bytes
/// where every block is used. Block n covers partition bytes [n * BlockSize, (n + 1) * BlockSize).
/// </summary>
public interface IUsedBlockSource : IDisposable
{
    int BlockSize { get; }

    BlockMap Map { get; }

    /// <summary>
    /// Reads the next run of consecutive used blocks into <paramref name="buffer"/> (at most
    /// buffer.Length / BlockSize blocks) and returns how many blocks it holds; 0 when all
    /// used blocks have been read. Every checksum covering the returned blocks has been checked
    /// except for the strip still open.
    /// </summary>
    int ReadRun(Span<byte> buffer, out long firstBlock);
}
