using System.Buffers;
using System.Numerics;
using Ezio.BitTorrent.Bencoding;

namespace Ezio.BitTorrent.Metainfo;

// Writes the metainfo layout drawn in Torrent.cs (BEP 3, BEP 12, BEP 27). BEP 3: dictionary
// "keys must be strings and appear in sorted order (sorted as raw strings, not alphanumerics)",
// so every dictionary below is written in byte order of its keys:
//
//   announce < announce-list < comment < created by < creation date < ezio logical sector size < info
//   ezio block roots < files | length < name < piece length < pieces < private   (inside info)
//   length < path                                                    (inside each file)

/// <summary>Builds v1 .torrent files.</summary>
public static partial class TorrentBuilder
{
    /// <summary>Smallest piece length the builder writes or accepts (one BEP 3 request block).</summary>
    public const int MinPieceLength = 16 * 1024;

    /// <summary>Largest piece length the automatic choice picks.</summary>
    public const int MaxAutoPieceLength = 16 * 1024 * 1024;

    /// <summary>The automatic choice keeps the piece count at or below this.</summary>
    public const int TargetPieceCount = 2048;

    /// <summary>
    /// The automatic piece length: the smallest power of two from 16 KiB to 16 MiB that cuts
    /// <paramref name="totalLength"/> into at most 2048 pieces (16 MiB when none does). So
    /// 32 MiB → 16 KiB, 64 MiB → 32 KiB, 1 GiB → 512 KiB, 32 GiB and more → 16 MiB.
    /// </summary>
    public static int ChoosePieceLength(long totalLength)
    {
        int pieceLength = MinPieceLength;
        while (pieceLength < MaxAutoPieceLength && (totalLength + pieceLength - 1) / pieceLength > TargetPieceCount)
        {
            pieceLength *= 2;
        }
        return pieceLength;
    }

    /// <summary>Hashes a file or a directory tree (files sorted by ordinal path) and returns the .torrent bytes.</summary>
    /// <remarks>
    /// A directory becomes a multi-file torrent of every regular file below it, recursively and
    /// including dot files; symbolic links are not followed. Paths are sorted ordinally by their
    /// '/'-joined relative path.
    /// </remarks>
    public static byte[] Create(string path, TorrentBuildOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        string fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        string name = options.Name ?? Path.GetFileName(fullPath);

        if (File.Exists(fullPath))
        {
            var entry = new FileSource.Entry(fullPath, new FileInfo(fullPath).Length);
            using var source = new FileSource([entry]);
            return Build(name, [([name], entry.Length)], multiFile: false, source.Read, options, cancellationToken);
        }
        if (Directory.Exists(fullPath))
        {
            var found = new List<(string Relative, FileSource.Entry Entry)>();
            var enumeration = new EnumerationOptions
            {
                RecurseSubdirectories = true,
                // The default skips Hidden (dot files on Linux) and System; keep those, skip links.
                AttributesToSkip = FileAttributes.ReparsePoint,
                IgnoreInaccessible = false,
            };
            foreach (FileInfo file in new DirectoryInfo(fullPath).EnumerateFiles("*", enumeration))
            {
                string relative = Path.GetRelativePath(fullPath, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
                found.Add((relative, new FileSource.Entry(file.FullName, file.Length)));
            }
            found.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
            var files = found.Select(f => ((IReadOnlyList<string>)f.Relative.Split('/'), f.Entry.Length)).ToList();
            using var source = new FileSource(found.Select(f => f.Entry).ToArray());
            return Build(name, files, multiFile: true, source.Read, options, cancellationToken);
        }
        throw new FileNotFoundException($"No file or directory at '{path}'.", path);
    }

    /// <summary>
    /// Builds a torrent from logical files whose bytes come from <paramref name="read"/>
    /// (torrent offset, destination). Used for memory sources, extents of disks and images.
    /// </summary>
    /// <remarks>
    /// A single entry with no path segments makes a single-file torrent named <paramref name="name"/>;
    /// anything else is a multi-file torrent whose directory is <paramref name="name"/>.
    /// <paramref name="read"/> is called from the calling thread only, in ascending offset order,
    /// with large destinations (up to 64 MiB), and must fill the destination completely.
    /// </remarks>
    public static byte[] Create(string name, IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> files,
        Action<long, Span<byte>> read, TorrentBuildOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(options);
        bool multiFile = !(files.Count == 1 && files[0].PathSegments.Count == 0);
        return Build(options.Name ?? name, files, multiFile, read, options, cancellationToken);
    }

    private static byte[] Build(string name, IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> files,
        bool multiFile, Action<long, Span<byte>> read, TorrentBuildOptions options, CancellationToken cancellationToken)
    {
        long total = ValidateLayout(name, files, multiFile);
        int pieceLength = options.PieceLength == 0 ? ChoosePieceLength(total) : options.PieceLength;
        if (pieceLength < MinPieceLength || pieceLength > Torrent.MaxPieceLength || !BitOperations.IsPow2(pieceLength))
        {
            throw new ArgumentException(
                $"Piece length {pieceLength} is not a power of two from {MinPieceLength} to {Torrent.MaxPieceLength}.",
                nameof(options));
        }

        byte[]? roots = options.WithBlockRoots ? [] : null;
        byte[] pieces = HashPieces(total, pieceLength, read, cancellationToken, ref roots);
        return Write(name, files, multiFile, total, pieceLength, pieces, roots ?? options.BlockRoots, options);
    }

    private static byte[] Write(string name, IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> files,
        bool multiFile, long total, int pieceLength, byte[] pieces, ReadOnlyMemory<byte> blockRoots, TorrentBuildOptions options)
    {
        if (!blockRoots.IsEmpty && blockRoots.Length != pieces.Length / Torrent.PieceHashSize * BlockHashes.HashSize)
        {
            throw new ArgumentException($"{pieces.Length / Torrent.PieceHashSize} pieces need {pieces.Length / Torrent.PieceHashSize * BlockHashes.HashSize} bytes of block roots, not {blockRoots.Length}.", nameof(options));
        }
        var output = new ArrayBufferWriter<byte>(pieces.Length + 512 + (multiFile ? files.Count * 64 : 0));
        var writer = new BencodeWriter(output);
        writer.WriteDictionaryStart();
        WriteOuterKeys(writer, options);
        writer.WriteString("info"u8);
        writer.WriteDictionaryStart();
        if (!blockRoots.IsEmpty)
        {
            writer.WriteString("ezio block roots"u8);
            writer.WriteString(blockRoots.Span);
        }
        if (multiFile)
        {
            writer.WriteString("files"u8);
            writer.WriteListStart();
            foreach ((IReadOnlyList<string> segments, long length) in files)
            {
                writer.WriteDictionaryStart();
                writer.WriteString("length"u8);
                writer.WriteInteger(length);
                writer.WriteString("path"u8);
                writer.WriteListStart();
                foreach (string segment in segments)
                {
                    writer.WriteString(segment);
                }
                writer.WriteEnd();
                writer.WriteEnd();
            }
            writer.WriteEnd();
        }
        else
        {
            writer.WriteString("length"u8);
            writer.WriteInteger(total);
        }
        writer.WriteString("name"u8);
        writer.WriteString(name);
        writer.WriteString("piece length"u8);
        writer.WriteInteger(pieceLength);
        writer.WriteString("pieces"u8);
        writer.WriteString(pieces);
        if (options.IsPrivate)
        {
            writer.WriteString("private"u8);
            writer.WriteInteger(1);
        }
        writer.WriteEnd();
        writer.WriteEnd();
        return output.WrittenSpan.ToArray();
    }

    private static void WriteOuterKeys(BencodeWriter writer, TorrentBuildOptions options)
    {
        var urls = options.Announce.Where(u => !string.IsNullOrEmpty(u)).ToList();
        if (urls.Count > 0)
        {
            writer.WriteString("announce"u8);
            writer.WriteString(urls[0]);
        }
        if (urls.Count > 1)
        {
            // One URL per tier: BEP 12 clients try tiers in order, which makes the later
            // trackers fall-backs rather than peers of equal rank.
            writer.WriteString("announce-list"u8);
            writer.WriteListStart();
            foreach (string url in urls)
            {
                writer.WriteListStart();
                writer.WriteString(url);
                writer.WriteEnd();
            }
            writer.WriteEnd();
        }
        if (!string.IsNullOrEmpty(options.Comment))
        {
            writer.WriteString("comment"u8);
            writer.WriteString(options.Comment);
        }
        if (!string.IsNullOrEmpty(options.CreatedBy))
        {
            writer.WriteString("created by"u8);
            writer.WriteString(options.CreatedBy);
        }
        writer.WriteString("creation date"u8);
        writer.WriteInteger((options.CreationDate ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
        if (options.LogicalSectorSize is int sectorSize)
        {
            writer.WriteString("ezio logical sector size"u8);
            writer.WriteInteger(sectorSize);
        }
    }

    /// <summary>Applies the parser's rules up front, so the builder never writes a torrent Parse rejects.</summary>
    private static long ValidateLayout(string name, IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> files, bool multiFile)
    {
        if (TorrentPath.Validate(name) is string nameProblem)
        {
            throw new ArgumentException($"The torrent name has {nameProblem}.", nameof(name));
        }
        var paths = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach ((IReadOnlyList<string> segments, long length) in files)
        {
            if (length < 0 || length > long.MaxValue - total)
            {
                throw new ArgumentException($"File length {length} is negative or overflows the total.", nameof(files));
            }
            total += length;
            if (!multiFile)
            {
                continue;
            }
            if (segments is null || segments.Count == 0)
            {
                throw new ArgumentException("A file of a multi-file torrent has an empty path.", nameof(files));
            }
            foreach (string segment in segments)
            {
                if (TorrentPath.Validate(segment) is string problem)
                {
                    throw new ArgumentException($"A file path has {problem}.", nameof(files));
                }
            }
            if (!paths.Add(TorrentPath.Join(segments)))
            {
                throw new ArgumentException($"The path '{TorrentPath.Join(segments)}' appears twice.", nameof(files));
            }
        }
        if (total == 0)
        {
            throw new ArgumentException("A torrent must hold at least one byte.", nameof(files));
        }
        return total;
    }
}
