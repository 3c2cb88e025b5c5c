using System.Text;
using Ezio.BitTorrent.Bencoding;

namespace Ezio.BitTorrent.Metainfo;

// The "files" list of a multi-file info dictionary (BEP 3):
//
//   5:files l d 6:length i<bytes>e 4:path l <segment> <segment> ... e [10:path.utf-8 l ... e] e ... e
//
// Each path is kept raw while the list is read, then the preferred variant is decoded and
// checked segment by segment (TorrentPath), since these segments become names on disk.

public sealed partial class Torrent
{
    /// <summary>A "files" entry before its path is chosen and decoded.</summary>
    private readonly record struct RawFile(long Length, ReadOnlyMemory<byte> Path);

    private static List<RawFile> ParseFileList(ref BencodeReader reader, byte[] infoBytes)
    {
        var files = new List<RawFile>();
        reader.ReadListStart();
        while (!reader.TryReadEnd())
        {
            long? length = null;
            ReadOnlyMemory<byte>? path = null;
            ReadOnlyMemory<byte>? pathUtf8 = null;
            var seen = new KnownKeys();
            reader.ReadDictionaryStart();
            while (!reader.TryReadEnd())
            {
                ReadOnlySpan<byte> key = reader.ReadString();
                if (key.SequenceEqual("length"u8))
                {
                    seen.Mark(0, "length");
                    length = reader.ReadInteger();
                }
                else if (key.SequenceEqual("path"u8))
                {
                    seen.Mark(1, "path");
                    path = SkipToMemory(ref reader, infoBytes);
                }
                else if (key.SequenceEqual("path.utf-8"u8))
                {
                    seen.Mark(2, "path.utf-8");
                    pathUtf8 = SkipToMemory(ref reader, infoBytes);
                }
                else
                {
                    reader.SkipValue();
                }
            }
            long fileLength = length ?? throw Invalid($"file {files.Count} has no length");
            if (fileLength < 0)
            {
                throw Invalid($"file {files.Count} has a negative length");
            }
            ReadOnlyMemory<byte> chosen = pathUtf8 ?? path ?? throw Invalid($"file {files.Count} has no path");
            files.Add(new RawFile(fileLength, chosen));
        }
        return files;
    }

    private static List<TorrentFile> BuildFileList(List<RawFile> rawFiles)
    {
        var files = new List<TorrentFile>(rawFiles.Count);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        foreach (RawFile raw in rawFiles)
        {
            var segments = new List<string>();
            var reader = new BencodeReader(raw.Path.Span);
            if (reader.Peek() != BencodeToken.ListStart)
            {
                throw Invalid($"the path of file {files.Count} is not a list");
            }
            reader.ReadListStart();
            while (!reader.TryReadEnd())
            {
                segments.Add(DecodeSegment(reader.ReadString(), "path"));
            }
            if (segments.Count == 0)
            {
                throw Invalid($"file {files.Count} has an empty path");
            }
            string joined = TorrentPath.Join(segments);
            if (!paths.Add(joined))
            {
                throw Invalid($"the path \"{joined}\" appears twice");
            }
            if (raw.Length > long.MaxValue - offset)
            {
                throw Invalid("the total length overflows");
            }
            files.Add(new TorrentFile(joined, segments, raw.Length, offset));
            offset += raw.Length;
        }
        return files;
    }

    private static string DecodeSegment(ReadOnlySpan<byte> bytes, string what)
    {
        string segment;
        try
        {
            segment = _strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new TorrentFormatException($"Malformed torrent: a {what} is not valid UTF-8.", e);
        }
        if (TorrentPath.Validate(segment) is string problem)
        {
            throw Invalid($"{what} has {problem}");
        }
        return segment;
    }
}
