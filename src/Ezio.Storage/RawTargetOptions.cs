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
}
