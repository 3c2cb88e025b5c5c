using System.Diagnostics.CodeAnalysis;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;

namespace Ezio.Server.Images;

/// <summary>An image the server can deploy: its torrent and a way to open its data for seeding.</summary>
internal sealed record ImageEntry(string Name, Torrent Torrent, byte[] TorrentBytes, Func<ITorrentStorage> OpenStorage);

/// <summary>
/// The image repository. The only place that knows how an image is stored on the server, so
/// switching to Ezio.Imaging's pieces.ezp storage is a change to one implementation.
/// </summary>
internal interface IImageCatalog
{
    bool TryGet(string name, [NotNullWhen(true)] out ImageEntry? image);

    IReadOnlyList<string> List();
}
