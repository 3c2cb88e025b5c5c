namespace Ezio.BitTorrent.Storage;

/// <summary>
/// Where a torrent's bytes live, addressed by torrent offset (the byte position in the
/// concatenation of all files, BEP 3). Implementations map torrent offsets to files,
/// memory or extents of a raw disk.
/// </summary>
/// <remarks>
/// Threading: <see cref="Read"/> may be called from several threads at once (peer send loops,
/// the recheck). <see cref="Write"/> and <see cref="Flush"/> are called from the engine's single
/// disk-writer thread only, never concurrently with each other, but concurrently with reads.
/// A write always covers exactly one verified piece. Calls block; the engine keeps them off its
/// swarm loop. Buffers handed to <see cref="Write"/> are aligned to 4096 bytes (piece buffers
/// come from native aligned memory), so direct I/O targets may use them as they are.
/// </remarks>
public interface ITorrentStorage : IDisposable
{
    /// <summary>Total torrent length in bytes.</summary>
    long Length { get; }

    /// <summary>
    /// True when the target may already hold data (existing files, a disk): the engine then
    /// hashes what is there before downloading. False for a freshly created empty target.
    /// </summary>
    bool MayHaveData { get; }

    /// <summary>Reads <paramref name="destination"/>.Length bytes at torrent offset <paramref name="offset"/>.</summary>
    void Read(long offset, Span<byte> destination);

    /// <summary>Writes one verified piece at torrent offset <paramref name="offset"/>.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>Makes every completed write durable (fdatasync for disks and files).</summary>
    void Flush();
}

/// <summary>A storage failure that must stop the download (EIO, ENOSPC, a vanished file).</summary>
public sealed class StorageException : IOException
{
    public StorageException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
