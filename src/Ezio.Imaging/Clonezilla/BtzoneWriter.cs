using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Build;

namespace Ezio.Imaging.Clonezilla;

// Clonezilla's BitTorrent layout for one partition (specs/partclone-btfiles.md §2-§6), as
// `partclone.<fs> -r -T -z 16777216` and ocs-gen-bt-slices leave it:
//
//   <btzone>/<IMAGE>/
//     <part>/00000000000000000000000000000000   slice: raw bytes of consecutive used blocks,
//     <part>/00000000000000000000000001000000    named by the partition byte offset of its first
//     ...                                        byte (32 lowercase hex), mode 0400, dir 0700
//     <part>.torrent.info                        block_size / blocks_total / offset+length per
//                                                slice / sha1 per 16 MiB piece (lazy placement)
//     <part>.torrent                             v1 multi-file, name <part>, 16 MiB pieces
//
// Cutting rule (restore mode): the used bytes arrive as one stream; a slice ends at a hole in
// the map or wherever the stream position reaches a multiple of the slice size (16 MiB):
//
//   stream  |----16 MiB----|----16 MiB----|--...
//   disk    [run A.......][B....|..][C..]         B straddles a 16 MiB mark: two slices

/// <summary>
/// Writes one partition's Clonezilla slices, torrent.info and torrent while the import streams
/// the partition's used bytes through <see cref="Append"/>. Not thread-safe: one writer per
/// partition, fed by the import loop. Disposing before <see cref="Complete"/> removes the
/// partition's slice directory so no half-written layout is left behind.
/// </summary>
public sealed class BtzoneWriter : IUsedDataObserver
{
    /// <summary>Clonezilla's bt_buffer_size and partclone's DEFAULT_PIECE_SIZE: 16 MiB.</summary>
    public const int ClonezillaSliceBytes = 16 << 20;

    private readonly string _directory;
    private readonly string _partition;
    private readonly int _blockSize;
    private readonly long _totalBlocks;
    private readonly long _sliceBytes;
    private readonly BtzoneTorrentOptions _options;
    private readonly List<(long Offset, long Length)> _slices = [];
    private readonly List<byte[]> _pieceHashes = [];
    private readonly IncrementalHash _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private FileStream? _current;
    private long _streamPosition;
    private int _pieceFill;
    private bool _completed;

    /// <param name="imageDirectory">`btzone/&lt;IMAGE&gt;`: the slices go to its `&lt;partition&gt;/` subdirectory.</param>
    /// <param name="blockSize">The block size torrent.info reports (512 for dd partitions).</param>
    /// <param name="totalBlocks">The block count torrent.info reports.</param>
    /// <param name="sliceBytes">Largest slice, the `-z` of partclone; Clonezilla uses 16 MiB.</param>
    public BtzoneWriter(string imageDirectory, string partition, int blockSize, long totalBlocks, BtzoneTorrentOptions options,
        long sliceBytes = ClonezillaSliceBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentNullException.ThrowIfNull(options);
        _partition = partition;
        _blockSize = blockSize;
        _totalBlocks = totalBlocks;
        _options = options;
        // partclone cuts at whole buffers of blocks: cap = max(1, buffer / block size) blocks.
        _sliceBytes = Math.Max(1, sliceBytes / blockSize) * blockSize;
        _directory = Path.Combine(imageDirectory, partition);
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Clonezilla slices are written on Linux only.");
        }
        // Modes as partclone leaves them: directory 0700, slices 0400.
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ImageDirectory = imageDirectory;
    }

    public string ImageDirectory { get; }

    public string TorrentPath => Path.Combine(ImageDirectory, _partition + ".torrent");

    public string TorrentInfoPath => Path.Combine(ImageDirectory, _partition + ".torrent.info");

    /// <summary>Adds used bytes that start at <paramref name="segmentOffset"/> (the segment is the partition); calls come in ascending offset order.</summary>
    public void Append(long segmentOffset, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            bool atMark = _streamPosition % _sliceBytes == 0;
            if (_current is null || atMark || _slices[^1].Offset + _slices[^1].Length != segmentOffset)
            {
                StartSlice(segmentOffset);
            }
            int take = (int)Math.Min(data.Length, _sliceBytes - _streamPosition % _sliceBytes);
            ReadOnlySpan<byte> chunk = data[..take];
            _current!.Write(chunk);
            Hash(chunk);
            _slices[^1] = (_slices[^1].Offset, _slices[^1].Length + take);
            _streamPosition += take;
            segmentOffset += take;
            data = data[take..];
        }
    }

    /// <summary>Closes the last slice, then writes torrent.info and the torrent.</summary>
    public void Complete()
    {
        CloseSlice();
        if (_pieceFill > 0)
        {
            _pieceHashes.Add(_sha1.GetHashAndReset());
            _pieceFill = 0;
        }
        File.WriteAllText(TorrentInfoPath, FormatTorrentInfo(), new UTF8Encoding(false));
        if (_slices.Count > 0)
        {
            var files = _slices.Select(s => ((IReadOnlyList<string>)[s.Offset.ToString("x32", CultureInfo.InvariantCulture)], s.Length)).ToList();
            byte[] hashes = _pieceHashes.SelectMany(h => h).ToArray();
            byte[] torrent = TorrentBuilder.CreateFromHashes(_partition, files, ClonezillaSliceBytes, hashes, new TorrentBuildOptions
            {
                Announce = _options.Announce,
                CreatedBy = _options.CreatedBy,
                CreationDate = _options.Created,
            });
            File.WriteAllBytes(TorrentPath, torrent);
        }
        _completed = true;
    }

    public void Dispose()
    {
        CloseSlice();
        _sha1.Dispose();
        if (!_completed && Directory.Exists(_directory))
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the import already failed for a better reason.
            }
        }
    }

    /// <summary>
    /// torrent.info exactly as partclone writes it. partclone prints a piece's `sha1:` line only
    /// when it hashes the first byte after that piece (or at the very end), so piece p's line
    /// follows the `offset:`/`length:` lines of the slice holding stream byte (p + 1) * 16 MiB.
    /// </summary>
    internal string FormatTorrentInfo()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"block_size: {_blockSize}\n");
        text.Append(CultureInfo.InvariantCulture, $"blocks_total: {_totalBlocks}\n");
        int piece = 0;
        long sliceStart = 0;
        foreach ((long offset, long length) in _slices)
        {
            text.Append(CultureInfo.InvariantCulture, $"offset: {offset:x32}\n");
            text.Append(CultureInfo.InvariantCulture, $"length: {length:x32}\n");
            long sliceEnd = sliceStart + length;
            while (piece < _pieceHashes.Count && (long)(piece + 1) * ClonezillaSliceBytes < sliceEnd)
            {
                text.Append("sha1: ").Append(Convert.ToHexStringLower(_pieceHashes[piece++])).Append('\n');
            }
            sliceStart = sliceEnd;
        }
        while (piece < _pieceHashes.Count)
        {
            text.Append("sha1: ").Append(Convert.ToHexStringLower(_pieceHashes[piece++])).Append('\n');
        }
        return text.ToString();
    }

    private void Hash(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int take = Math.Min(data.Length, ClonezillaSliceBytes - _pieceFill);
            _sha1.AppendData(data[..take]);
            _pieceFill += take;
            data = data[take..];
            if (_pieceFill == ClonezillaSliceBytes)
            {
                _pieceHashes.Add(_sha1.GetHashAndReset());
                _pieceFill = 0;
            }
        }
    }

    private void StartSlice(long partitionOffset)
    {
        CloseSlice();
        _slices.Add((partitionOffset, 0));
        string path = Path.Combine(_directory, partitionOffset.ToString("x32", CultureInfo.InvariantCulture));
        _current = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }

    private void CloseSlice()
    {
        if (_current is null)
        {
            return;
        }
        string path = _current.Name;
        _current.Dispose();
        _current = null;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead);
        }
    }
}

/// <summary>What goes into the per-partition torrents besides the info dictionary.</summary>
public sealed class BtzoneTorrentOptions
{
    public IReadOnlyList<string> Announce { get; init; } = [];
    public string CreatedBy { get; init; } = "Ezio";
    public DateTimeOffset? Created { get; init; }
}
