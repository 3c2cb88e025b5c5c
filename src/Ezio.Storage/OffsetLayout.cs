using System.Diagnostics.CodeAnalysis;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.Storage;

/// <summary>
/// The offset layout (Clonezilla "FSBT" slices, and Ezio's own whole-disk torrents): every file
/// is named by 32 hex digits giving the byte offset on the target where the file starts, so
/// byte k of file F lands on target byte hex(F) + k. See specs/partclone-btfiles.md §2.
/// </summary>
public static class OffsetLayout
{
    /// <summary>Length of a file name in this layout (printf "%032llx").</summary>
    public const int NameLength = 32;

    /// <summary>True when every file's last path segment is 32 hex digits naming a valid offset.</summary>
    public static bool IsOffsetLayout(IReadOnlyList<TorrentFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return files.Count > 0 && files.All(f => TryParseName(LastSegment(f), out _));
    }

    /// <summary>
    /// Builds the extent map when <paramref name="files"/> use the offset layout; false when they
    /// do not. Throws <see cref="TargetRefusedException"/> when they do but extents overlap.
    /// </summary>
    public static bool TryCreate(IReadOnlyList<TorrentFile> files, [NotNullWhen(true)] out ExtentMap? map)
    {
        map = null;
        if (!IsOffsetLayout(files))
        {
            return false;
        }

        var extents = new Extent[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            TorrentFile file = files[i];
            // IsOffsetLayout has parsed every name already.
            _ = TryParseName(LastSegment(file), out long target);
            extents[i] = new Extent(file.Offset, target, file.Length, file.Path);
        }

        long total = files[^1].Offset + files[^1].Length;
        map = new ExtentMap(extents, total);
        return true;
    }

    /// <summary>Like <see cref="TryCreate"/>, but refuses a torrent that is not in the offset layout.</summary>
    public static ExtentMap Create(IReadOnlyList<TorrentFile> files)
    {
        if (TryCreate(files, out ExtentMap? map))
        {
            return map;
        }

        string bad = files.Select(LastSegment).FirstOrDefault(n => !TryParseName(n, out _)) ?? "(no files)";
        throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
            $"The torrent is not in the offset layout: file name '{bad}' is not {NameLength} hex digits.");
    }

    /// <summary>Formats a target offset as a file name of this layout.</summary>
    public static string FormatName(long targetOffset) => targetOffset.ToString("x32");

    internal static bool TryParseName(ReadOnlySpan<char> name, out long offset)
    {
        offset = 0;
        if (name.Length != NameLength)
        {
            return false;
        }

        ulong value = 0;
        for (int i = 0; i < name.Length; i++)
        {
            int digit = HexValue(name[i]);
            if (digit < 0)
            {
                return false;
            }

            // 128-bit names: anything beyond 63 bits cannot be a disk offset.
            if (value > (long.MaxValue >> 4))
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        offset = (long)value;
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string LastSegment(TorrentFile file) =>
        file.PathSegments.Count > 0 ? file.PathSegments[^1] : file.Path;
}
