namespace Ezio.Imaging.Partclone;

/// <summary>Why a partclone image was rejected.</summary>
public enum PartcloneError
{
    /// <summary>The stream does not start with "partclone-image".</summary>
    BadMagic,
    /// <summary>The format version is neither "0001" nor "0002".</summary>
    UnsupportedVersion,
    /// <summary>The image was written by a big-endian machine (marker 0xDEC0).</summary>
    UnsupportedEndianness,
    /// <summary>The 0002 header CRC does not match bytes 0..105.</summary>
    HeaderChecksumMismatch,
    /// <summary>A header field is out of range (block size, counts, checksum parameters).</summary>
    InvalidHeader,
    /// <summary>The bit map CRC does not match the map bytes.</summary>
    MapChecksumMismatch,
    /// <summary>The byte map is not followed by "BiTmAgIc", or the map count disagrees with the header.</summary>
    InvalidMap,
    /// <summary>A stored data checksum does not match the blocks it covers.</summary>
    DataChecksumMismatch,
    /// <summary>The stream ended before the last used block or checksum.</summary>
    Truncated,
    /// <summary>Bytes follow the last checksum.</summary>
    TrailingData,
}

/// <summary>A partclone image that is malformed or damaged; <see cref="Block"/> names the first bad block when known.</summary>
public sealed class PartcloneException : IOException
{
    public PartcloneException(PartcloneError reason, string message, long? block = null)
        : base(block is null ? message : $"{message} (block {block})")
    {
        Reason = reason;
        Block = block;
    }

    public PartcloneError Reason { get; }

    /// <summary>For data errors: the first block of the checksum strip that failed (or the block where the stream ended).</summary>
    public long? Block { get; }
}
