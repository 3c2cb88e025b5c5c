namespace Ezio.Imaging;

/// <summary>Why an image could not be read, imported or captured.</summary>
public enum ImageError
{
    /// <summary>A file the image needs is missing or malformed.</summary>
    Malformed,
    /// <summary>The image uses a format Ezio does not read (ntfsclone, partimage, …).</summary>
    NotSupported,
    /// <summary>A system tool (decompressor, partclone, sfdisk, losetup) is not installed.</summary>
    ToolMissing,
    /// <summary>A system tool exited with an error or did not finish in time.</summary>
    ToolFailed,
    /// <summary>The piece store or manifest does not match the torrent.</summary>
    Mismatch,
}

/// <summary>An image failure with a reason; partclone stream damage is a <see cref="Partclone.PartcloneException"/>.</summary>
public sealed class ImageException : IOException
{
    public ImageException(ImageError reason, string message, Exception? inner = null) : base(message, inner)
    {
        Reason = reason;
    }

    public ImageError Reason { get; }
}
