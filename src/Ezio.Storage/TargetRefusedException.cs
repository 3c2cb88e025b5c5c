namespace Ezio.Storage;

/// <summary>Why a deployment target was refused before anything was written to it.</summary>
public enum TargetRefusalReason
{
    /// <summary>The target is neither a block device nor a regular file (a directory, /dev/null, a FIFO).</summary>
    UnsupportedTargetType,

    /// <summary>A path under /dev that is not an existing block device (missing, or a regular file).</summary>
    NotADevice,

    /// <summary>The target, or a partition of it, is mounted.</summary>
    Mounted,

    /// <summary>The kernel reports the device busy (swap, device-mapper, another exclusive opener).</summary>
    InUse,

    /// <summary>An extent ends past the end of the block device.</summary>
    ExtentPastEnd,

    /// <summary>Two extents cover the same target bytes.</summary>
    ExtentsOverlap,

    /// <summary>The torrent's files are not named by their target offsets, or are malformed.</summary>
    InvalidLayout,
}

/// <summary>
/// The target was refused by a safety check. Always thrown before the first write, so the
/// target is untouched when callers see it.
/// </summary>
public sealed class TargetRefusedException : IOException
{
    public TargetRefusedException(TargetRefusalReason reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
    }

    public TargetRefusalReason Reason { get; }
}
