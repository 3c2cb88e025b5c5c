using System.Buffers;
using Ezio.BitTorrent.Bencoding;

namespace Ezio.BitTorrent.Metainfo;

public static partial class TorrentBuilder
{
    /// <summary>
    /// The same torrent with <paramref name="webSeeds"/> added to its BEP 19 <c>url-list</c>
    /// (after the ones it already names, each URL once). Every other key keeps its original
    /// bytes, the info dictionary above all, so the info-hash does not change.
    /// </summary>
    public static byte[] WithWebSeeds(ReadOnlySpan<byte> metainfo, IReadOnlyList<Uri> webSeeds)
    {
        var torrent = Torrent.Parse(metainfo);
        var urls = torrent.WebSeeds.Concat(webSeeds).Select(u => u.AbsoluteUri).Distinct(StringComparer.Ordinal).ToList();
        var output = new ArrayBufferWriter<byte>(metainfo.Length + 64 * urls.Count);
        var writer = new BencodeWriter(output);
        var reader = new BencodeReader(metainfo);
        var written = urls.Count == 0;
        reader.ReadDictionaryStart();
        writer.WriteDictionaryStart();
        while (!reader.TryReadEnd())
        {
            var key = reader.ReadString();
            var value = reader.SkipValue();
            if (key.SequenceEqual("url-list"u8))
            {
                continue;
            }
            // Keys stay sorted as raw byte strings (BEP 3): url-list goes before the first key after it.
            if (!written && key.SequenceCompareTo("url-list"u8) > 0)
            {
                WriteUrlList(writer, urls);
                written = true;
            }
            writer.WriteString(key);
            writer.WriteRaw(value);
        }
        if (!written)
        {
            WriteUrlList(writer, urls);
        }
        writer.WriteEnd();
        return output.WrittenSpan.ToArray();
    }

    private static void WriteUrlList(BencodeWriter writer, List<string> urls)
    {
        writer.WriteString("url-list"u8);
        writer.WriteListStart();
        foreach (var url in urls)
        {
            writer.WriteString(url);
        }
        writer.WriteEnd();
    }
}
