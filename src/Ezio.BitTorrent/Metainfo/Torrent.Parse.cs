using System.Security.Cryptography;
using System.Text;
using Ezio.BitTorrent.Bencoding;

namespace Ezio.BitTorrent.Metainfo;

// Parsing of the layout drawn in Torrent.cs. Two passes over the bytes: the outer dictionary
// is read and the info value is only skipped (SkipValue validates it and hands back its original
// bytes); then those bytes are hashed as they are (STYLE habit 8: unknown keys and any key order
// stay part of the hash) and parsed on their own.

public sealed partial class Torrent
{
    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses a .torrent; throws <see cref="TorrentFormatException"/> on malformed input.</summary>
    public static Torrent Parse(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new BencodeReader(data);
            if (reader.Peek() != BencodeToken.DictionaryStart)
            {
                throw Invalid("the top level is not a dictionary");
            }
            OuterSection outer = ParseOuter(ref reader, out ReadOnlySpan<byte> infoSlice);
            InfoSection info = ParseInfo(infoSlice.ToArray());
            return new Torrent(info, outer);
        }
        catch (BencodeException e)
        {
            throw new TorrentFormatException($"Malformed torrent: {e.Message}", e);
        }
    }

    private sealed record OuterSection(
        string? Announce,
        IReadOnlyList<IReadOnlyList<string>> AnnounceList,
        string? Comment,
        string? CreatedBy,
        DateTimeOffset? CreationDate,
        int? LogicalSectorSize)
    {
        public IReadOnlyList<Uri> WebSeeds { get; init; } = [];
    }

    private readonly record struct InfoSection(
        InfoHash InfoHash,
        ReadOnlyMemory<byte> InfoBytes,
        string Name,
        int PieceLength,
        ReadOnlyMemory<byte> PieceHashes,
        long TotalLength,
        bool IsMultiFile,
        bool IsPrivate,
        IReadOnlyList<TorrentFile> Files,
        ReadOnlyMemory<byte> BlockRoots);

    private static OuterSection ParseOuter(ref BencodeReader reader, out ReadOnlySpan<byte> infoSlice)
    {
        string? announce = null;
        List<IReadOnlyList<string>>? tiers = null;
        string? comment = null;
        string? createdBy = null;
        DateTimeOffset? creationDate = null;
        int? sectorSize = null;
        List<Uri> webSeeds = [];
        infoSlice = default;
        var seen = new KnownKeys();

        reader.ReadDictionaryStart();
        while (!reader.TryReadEnd())
        {
            ReadOnlySpan<byte> key = reader.ReadString();
            if (key.SequenceEqual("announce"u8))
            {
                seen.Mark(0, "announce");
                announce = Lossy(reader.ReadString());
            }
            else if (key.SequenceEqual("announce-list"u8))
            {
                seen.Mark(1, "announce-list");
                tiers = ParseAnnounceList(ref reader);
            }
            else if (key.SequenceEqual("comment"u8))
            {
                seen.Mark(2, "comment");
                comment = Lossy(reader.ReadString());
            }
            else if (key.SequenceEqual("created by"u8))
            {
                seen.Mark(3, "created by");
                createdBy = Lossy(reader.ReadString());
            }
            else if (key.SequenceEqual("creation date"u8))
            {
                seen.Mark(4, "creation date");
                long seconds = reader.ReadInteger();
                // Out-of-range dates are nonsense but harmless: drop them rather than the torrent.
                if (seconds >= 0 && seconds <= 253402300799)
                {
                    creationDate = DateTimeOffset.FromUnixTimeSeconds(seconds);
                }
            }
            else if (key.SequenceEqual("ezio logical sector size"u8))
            {
                seen.Mark(6, "ezio logical sector size");
                long size = reader.ReadInteger();
                // Advice for targets, not part of the content: a nonsense value is dropped.
                if (size is >= 512 and <= 65536 && (size & (size - 1)) == 0)
                {
                    sectorSize = (int)size;
                }
            }
            else if (key.SequenceEqual("url-list"u8))
            {
                seen.Mark(7, "url-list");
                ParseUrlList(ref reader, webSeeds);
            }
            else if (key.SequenceEqual("info"u8))
            {
                seen.Mark(5, "info");
                if (reader.Peek() != BencodeToken.DictionaryStart)
                {
                    throw Invalid("info is not a dictionary");
                }
                infoSlice = reader.SkipValue();
            }
            else
            {
                reader.SkipValue();
            }
        }
        reader.EnsureAtEnd();
        if (!seen.Has(5))
        {
            throw Invalid("there is no info dictionary");
        }

        // BEP 12: "If the announce-list key is present, the client will ignore the announce key";
        // without one, the single announce URL is the only tier.
        IReadOnlyList<IReadOnlyList<string>> announceList = tiers is { Count: > 0 } ? tiers
            : string.IsNullOrEmpty(announce) ? [] : [[announce]];
        return new OuterSection(announce, announceList, comment, createdBy, creationDate, sectorSize) { WebSeeds = webSeeds };
    }

    // BEP 19: "url-list" is a list of URLs, or one URL as a plain string. A URL that is not
    // absolute http(s) is dropped: web seeds are a hint, not part of the content.
    private static void ParseUrlList(ref BencodeReader reader, List<Uri> webSeeds)
    {
        if (reader.Peek() == BencodeToken.ListStart)
        {
            reader.ReadListStart();
            while (!reader.TryReadEnd())
            {
                if (reader.Peek() == BencodeToken.String)
                {
                    AddWebSeed(Lossy(reader.ReadString()), webSeeds);
                }
                else
                {
                    reader.SkipValue();
                }
            }
        }
        else if (reader.Peek() == BencodeToken.String)
        {
            AddWebSeed(Lossy(reader.ReadString()), webSeeds);
        }
        else
        {
            reader.SkipValue();
        }
    }

    private static void AddWebSeed(string text, List<Uri> webSeeds)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            webSeeds.Add(uri);
        }
    }

    private static List<IReadOnlyList<string>> ParseAnnounceList(ref BencodeReader reader)
    {
        var tiers = new List<IReadOnlyList<string>>();
        reader.ReadListStart();
        while (!reader.TryReadEnd())
        {
            var tier = new List<string>();
            reader.ReadListStart();
            while (!reader.TryReadEnd())
            {
                string url = Lossy(reader.ReadString());
                if (url.Length > 0)
                {
                    tier.Add(url);
                }
            }
            if (tier.Count > 0)
            {
                tiers.Add(tier);
            }
        }
        return tiers;
    }

    private static InfoSection ParseInfo(byte[] infoBytes)
    {
        ReadOnlyMemory<byte>? name = null;
        ReadOnlyMemory<byte>? nameUtf8 = null;
        long? length = null;
        List<RawFile>? rawFiles = null;
        long pieceLength = 0;
        ReadOnlyMemory<byte> pieces = default;
        ReadOnlyMemory<byte> blockRoots = default;
        bool isPrivate = false;
        var seen = new KnownKeys();

        var reader = new BencodeReader(infoBytes);
        reader.ReadDictionaryStart();
        while (!reader.TryReadEnd())
        {
            ReadOnlySpan<byte> key = reader.ReadString();
            if (key.SequenceEqual("ezio block roots"u8))
            {
                seen.Mark(7, "ezio block roots");
                blockRoots = ReadStringMemory(ref reader, infoBytes);
            }
            else if (key.SequenceEqual("files"u8))
            {
                seen.Mark(0, "files");
                rawFiles = ParseFileList(ref reader, infoBytes);
            }
            else if (key.SequenceEqual("length"u8))
            {
                seen.Mark(1, "length");
                length = reader.ReadInteger();
            }
            else if (key.SequenceEqual("name"u8))
            {
                seen.Mark(2, "name");
                name = ReadStringMemory(ref reader, infoBytes);
            }
            else if (key.SequenceEqual("name.utf-8"u8))
            {
                seen.Mark(3, "name.utf-8");
                nameUtf8 = ReadStringMemory(ref reader, infoBytes);
            }
            else if (key.SequenceEqual("piece length"u8))
            {
                seen.Mark(4, "piece length");
                pieceLength = reader.ReadInteger();
            }
            else if (key.SequenceEqual("pieces"u8))
            {
                seen.Mark(5, "pieces");
                pieces = ReadStringMemory(ref reader, infoBytes);
            }
            else if (key.SequenceEqual("private"u8))
            {
                seen.Mark(6, "private");
                // BEP 27: "private=1"; any other value means a public torrent.
                isPrivate = reader.ReadInteger() == 1;
            }
            else
            {
                reader.SkipValue();
            }
        }

        // "name.utf-8" is the encoding-safe twin some creators add next to a legacy "name".
        ReadOnlyMemory<byte> chosenName = nameUtf8 ?? name ?? throw Invalid("info has no name");
        string torrentName = DecodeSegment(chosenName.Span, "name");

        if (pieceLength <= 0 || pieceLength > MaxPieceLength)
        {
            throw Invalid($"piece length {pieceLength} is outside 1..{MaxPieceLength}");
        }

        List<TorrentFile> files;
        bool isMultiFile;
        if (rawFiles is not null && length is not null)
        {
            throw Invalid("info has both length and files");
        }
        else if (rawFiles is not null)
        {
            isMultiFile = true;
            files = BuildFileList(rawFiles);
        }
        else if (length is long singleLength)
        {
            isMultiFile = false;
            if (singleLength < 0)
            {
                throw Invalid("negative file length");
            }
            files = [new TorrentFile(torrentName, [torrentName], singleLength, 0)];
        }
        else
        {
            throw Invalid("info has neither length nor files");
        }

        long total = files.Count == 0 ? 0 : files[^1].Offset + files[^1].Length;
        if (total <= 0)
        {
            throw Invalid("the torrent holds no data");
        }
        if (pieces.Length % PieceHashSize != 0)
        {
            throw Invalid($"pieces is {pieces.Length} bytes, not a multiple of {PieceHashSize}");
        }
        long expectedPieces = total / pieceLength + (total % pieceLength == 0 ? 0 : 1);
        if (pieces.Length / PieceHashSize != expectedPieces)
        {
            throw Invalid($"pieces holds {pieces.Length / PieceHashSize} hashes but {total} bytes need {expectedPieces}");
        }

        if (!blockRoots.IsEmpty && blockRoots.Length != expectedPieces * BlockHashes.HashSize)
        {
            throw Invalid($"ezio block roots is {blockRoots.Length} bytes but {expectedPieces} pieces need {expectedPieces * BlockHashes.HashSize}");
        }

        var infoHash = new InfoHash(SHA1.HashData(infoBytes));
        return new InfoSection(infoHash, infoBytes, torrentName, (int)pieceLength, pieces, total,
            isMultiFile, isPrivate, files, blockRoots);
    }

    private static ReadOnlyMemory<byte> ReadStringMemory(ref BencodeReader reader, byte[] buffer)
    {
        int length = reader.ReadString().Length;
        return buffer.AsMemory(reader.Position - length, length);
    }

    private static ReadOnlyMemory<byte> SkipToMemory(ref BencodeReader reader, byte[] buffer)
    {
        int length = reader.SkipValue().Length;
        return buffer.AsMemory(reader.Position - length, length);
    }

    /// <summary>Free text (comments, URLs): invalid UTF-8 becomes U+FFFD rather than an error.</summary>
    private static string Lossy(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static TorrentFormatException Invalid(string detail) => new($"Malformed torrent: {detail}.");

    /// <summary>
    /// Remembers which known keys a dictionary already had. A repeated key could make two clients
    /// see different torrents under one info-hash, so it is rejected.
    /// </summary>
    private struct KnownKeys
    {
        private int _bits;

        public void Mark(int bit, string key)
        {
            if ((_bits & (1 << bit)) != 0)
            {
                throw Invalid($"the key \"{key}\" appears twice");
            }
            _bits |= 1 << bit;
        }

        public readonly bool Has(int bit) => (_bits & (1 << bit)) != 0;
    }
}
