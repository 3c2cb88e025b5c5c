namespace Ezio.BitTorrent.Metainfo;

/// <summary>
/// Rules for names and path segments. A torrent comes from the network, and its paths become
/// files on the machine, so every segment must name exactly one entry inside the save directory.
/// </summary>
internal static class TorrentPath
{
    /// <summary>Returns null when <paramref name="segment"/> is safe, else why it is not.</summary>
    public static string? Validate(string segment)
    {
        if (segment.Length == 0)
        {
            return "an empty path segment";
        }
        // "." and ".." would resolve outside the segment's own slot (path traversal).
        if (segment is "." or "..")
        {
            return $"the path segment \"{segment}\"";
        }
        if (segment.Contains('/'))
        {
            return "a path segment containing '/'";
        }
        if (segment.Contains('\0'))
        {
            return "a path segment containing NUL";
        }
        return null;
    }

    public static string Join(IReadOnlyList<string> segments) => string.Join('/', segments);
}
