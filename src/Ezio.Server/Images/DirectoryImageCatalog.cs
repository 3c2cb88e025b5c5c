using System.Diagnostics.CodeAnalysis;
using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging;
using Ezio.Imaging.Store;
using Ezio.Storage;

namespace Ezio.Server.Images;

/// <summary>
/// Images are directories of the repository: <c>&lt;repo&gt;/&lt;name&gt;/&lt;name&gt;.torrent</c> plus
/// either an Ezio image (<c>image.json</c> + <c>pieces.ezp</c>, seeded straight from the
/// compressed piece store) or <c>data</c> (the file or directory the torrent describes, opened
/// with <see cref="TargetStorage"/>).
/// </summary>
internal sealed class DirectoryImageCatalog(string root) : IImageCatalog
{
    public const int MaxTorrentBytes = 64 << 20;
    public const int MaxManifestBytes = 4 << 20;

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
        if (EzioImage.IsImageDirectory(directory))
        {
            return TryGetPieceStore(name, directory, torrent, bytes, out image);
        }
        var data = Path.Combine(directory, "data");
        image = new ImageEntry(name, torrent, bytes, () => TargetStorage.Open(data, torrent, StorageLayout.Auto, new RawTargetOptions { ReadOnly = true }));
        return true;
    }

    /// <summary>
    /// An Ezio image: the manifest must name the same info-hash as the torrent, and the piece
    /// store is checked again when it is opened (a swapped pieces.ezp must not be seeded).
    /// </summary>
    private static bool TryGetPieceStore(string name, string directory, Torrent torrent, byte[] bytes, [NotNullWhen(true)] out ImageEntry? image)
    {
        image = null;
        var manifestPath = Path.Combine(directory, EzioImage.ManifestFileName);
        if (new FileInfo(manifestPath).Length > MaxManifestBytes)
        {
            return false;
        }
        ImageManifest manifest;
        try
        {
            manifest = ImageManifest.Load(manifestPath);
        }
        catch (ImageException)
        {
            return false;
        }
        if (manifest.InfoHash.Length > 0 && !string.Equals(manifest.InfoHash, torrent.InfoHash.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (manifest.WebSeeds is { Count: > 0 } urls)
        {
            // The agents fetch the torrent from us: its url-list names the image's web seeds
            // (the info-hash is unchanged). A URL that is not absolute http(s) refuses the image.
            var webSeeds = new List<Uri>(urls.Count);
            foreach (var url in urls)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    return false;
                }
                webSeeds.Add(uri);
            }
            bytes = TorrentBuilder.WithWebSeeds(bytes, webSeeds);
            torrent = Torrent.Parse(bytes);
        }
        var table = string.IsNullOrWhiteSpace(manifest.PartitionTable.Sfdisk) ? null : manifest.PartitionTable.Sfdisk;
        image = new ImageEntry(name, torrent, bytes, () => OpenPieceStore(directory, torrent), table, manifest.DiskSize, PieceStore: true)
        {
            Disks = Deployments.MultiDiskJobs.FromManifest(manifest),
            Resize = Deployments.ResizeJobs.FromManifest(manifest),
            Compacted = manifest.PartitionTable.Partitions.Any(p => p.Compacted == true),
        };
        return true;
    }

    private static PieceStoreStorage OpenPieceStore(string directory, Torrent torrent)
    {
        var storage = PieceStoreStorage.Open(directory);
        if (!storage.Store.InfoHash.Span.SequenceEqual(torrent.InfoHash.ToArray()))
        {
            storage.Dispose();
            throw new IOException($"{directory}/{EzioImage.PieceStoreFileName} belongs to another torrent");
        }
        return storage;
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
