namespace Ezio.Imaging;

/// <summary>
/// An Ezio image directory: image.json (the manifest), &lt;name&gt;.torrent (one torrent for the
/// whole disk, offset layout) and pieces.ezp (every piece, compressed on its own).
/// </summary>
public static class EzioImage
{
    public const string ManifestFileName = "image.json";
    public const string PieceStoreFileName = "pieces.ezp";

    /// <summary>True when <paramref name="directory"/> holds an image manifest and a piece store.</summary>
    public static bool IsImageDirectory(string directory) =>
        Directory.Exists(directory) &&
        File.Exists(Path.Combine(directory, ManifestFileName)) &&
        File.Exists(Path.Combine(directory, PieceStoreFileName));

    /// <summary>Smallest piece length the automatic choice uses (1 MiB).</summary>
    public const int MinAutoPieceLength = 1 << 20;

    /// <summary>Largest piece length the automatic choice uses (16 MiB).</summary>
    public const int MaxAutoPieceLength = 16 << 20;

    /// <summary>The automatic choice keeps the piece count at or below this (from 2,000 up as the image grows).</summary>
    public const int MaxAutoPieceCount = 8000;

    /// <summary>
    /// The smallest power of two from 1 MiB to 16 MiB that cuts <paramref name="totalLength"/>
    /// into at most 8,000 pieces; images from about 4 GiB to 128 GiB land between 2,000 and
    /// 8,000 pieces, smaller ones get 1 MiB pieces, larger ones 16 MiB.
    /// </summary>
    public static int ChoosePieceLength(long totalLength)
    {
        int length = MinAutoPieceLength;
        while (length < MaxAutoPieceLength && (totalLength + length - 1) / length > MaxAutoPieceCount)
        {
            length *= 2;
        }
        return length;
    }
}
