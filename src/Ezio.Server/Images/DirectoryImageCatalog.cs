using System.Diagnostics.CodeAnalysis;
using Ezio.BitTorrent.Metainfo;
using Ezio.Storage;

namespace Ezio.Server.Images;

/// <summary>
/// Images are directories of the repository: <c>&lt;repo&gt;/&lt;name&gt;/&lt;name&gt;.torrent</c> plus
/// either <c>pieces.ezp</c> (Ezio.Imaging, not wired yet) or <c>data</c> (the file or
/// directory the torrent describes, opened with <see cref="TargetStorage"/>).
/// </summary>
internal sealed class DirectoryImageCatalog(string root) : IImageCatalog
{
    public const int MaxTorrentBytes = 64 << 20;

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Image names are one path segment of safe characters.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 100 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public bool TryGet(string name, [NotNullWhen(true)] out ImageEntry? image)
    {
        image = null;
        if (!IsValidName(name))
        {
            return false;
        }
        var directory = Path.Combine(Root, name);
        var torrentPath = Path.Combine(directory, name + ".torrent");
        var info = new FileInfo(torrentPath);
        if (!info.Exists || info.Length > MaxTorrentBytes)
        {
            return false;
        }
        var bytes = File.ReadAllBytes(torrentPath);
        Torrent torrent;
        try
        {
            torrent = Torrent.Parse(bytes);
        }
        catch (TorrentFormatException)
        {
            return false;
        }
        var data = Path.Combine(directory, "data");
        image = new ImageEntry(name, torrent, bytes, () => TargetStorage.Open(data, torrent, StorageLayout.Auto));
        return true;
    }

    public IReadOnlyList<string> List()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }
        return Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .Where(n => IsValidName(n) && File.Exists(Path.Combine(Root, n!, n + ".torrent")))
            .Select(n => n!)
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
