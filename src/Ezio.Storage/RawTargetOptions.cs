namespace Ezio.Storage;

/// <summary>Options for <see cref="RawTargetStorage.Open"/>.</summary>
public sealed class RawTargetOptions
{
    /// <summary>
    /// Write aligned runs with O_DIRECT when the target supports it (default). Direct writes skip
    /// the page cache: about twice the throughput of buffered writes plus fdatasync on a disk.
    /// </summary>
    public bool DirectIo { get; init; } = true;

    /// <summary>Create a regular-file target that does not exist yet (default true).</summary>
    public bool CreateFile { get; init; } = true;

    /// <summary>
    /// Alignment for O_DIRECT on regular files, where no sector-size ioctl exists. 4096 suits
    /// every common file system; block devices always use their logical sector size.
    /// </summary>
    public int FileAlignment { get; init; } = 4096;

    /// <summary>
    /// Open for reading only (verify, seed): O_RDONLY, no exclusive claim, nothing created,
    /// extended or truncated. A target shorter than the extents reads as missing past its end.
    /// </summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Read with O_DIRECT (sector-aligned bounce buffers) when the target supports it, so a
    /// verify sees what the device holds, not what the page cache remembers. Off for seeding,
    /// where the cache serves the same piece to several peers.
    /// </summary>
    public bool DirectReads { get; init; }

    /// <summary>
    /// Let a path under /dev be a regular file (created when missing). Off by default: a
    /// mistyped device name (/dev/loop6p1 before partx ran) must not become a file in /dev.
    /// </summary>
    public bool AllowFileUnderDev { get; init; }
}
