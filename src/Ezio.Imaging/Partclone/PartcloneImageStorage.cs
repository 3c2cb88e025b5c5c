using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Storage;
using Microsoft.Win32.SafeHandles;

namespace Ezio.Imaging.Partclone;

// Serving a per-partition offset-layout torrent (Clonezilla btzone: files named by the 32-hex
// partition byte offset) straight from an UNCOMPRESSED partclone image:
//
//   torrent offset ──(file list)──▶ partition byte p = hex(name) + offset in file
//   block n = p / bs, used-rank r = number of used blocks before n (from the map)
//
//   .ptcl  [header][map][ b0 b1 … b(bpc-1) | cs | b(bpc) … | cs | … last strip | cs ]
//                       ^ DataOffset
//   position(p) = DataOffset + r * bs + (r / bpc) * checksum size + p % bs      (bpc > 0)
//
// Inside one torrent file every block is used (checked on open), so consecutive blocks have
// consecutive ranks and bytes are contiguous in the image up to the end of a checksum strip.

/// <summary>
/// Read-only torrent storage over an uncompressed partclone image (format 0001 or 0002, any
/// checksum mode and map kind). Reads are plain preads and safe from several threads.
/// </summary>
public sealed class PartcloneImageStorage : ITorrentStorage
{
    private readonly SafeFileHandle _file;
    private readonly PartcloneHeader _header;
    private readonly BlockMap _map;
    private readonly Extent[] _extents;
    private readonly long[] _starts;

    private PartcloneImageStorage(SafeFileHandle file, PartcloneHeader header, BlockMap map, Extent[] extents, long length)
    {
        _file = file;
        _header = header;
        _map = map;
        _extents = extents;
        _starts = extents.Select(e => e.TorrentOffset).ToArray();
        Length = length;
    }

    public PartcloneHeader Header => _header;

    public long Length { get; }

    public bool MayHaveData => true;

    /// <summary>True when <paramref name="path"/> is a regular file that starts with partclone's magic.</summary>
    public static bool IsPartcloneImage(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        Span<byte> magic = stackalloc byte[15];
        using FileStream f = File.OpenRead(path);
        return f.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length && magic.SequenceEqual("partclone-image"u8);
    }

    /// <summary>
    /// Opens <paramref name="path"/> for <paramref name="torrent"/>: checks the header and map
    /// CRCs, that the file has exactly the length an uncompressed image must have, and that
    /// every torrent file covers used blocks only.
    /// </summary>
    public static PartcloneImageStorage Open(string path, Torrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        PartcloneHeader header;
        BlockMap map;
        using (var reader = PartcloneReader.Open(File.OpenRead(path)))
        {
            header = reader.Header;
            map = reader.Map;
        }
        long actual = new FileInfo(path).Length;
        if (actual != header.ExpectedStreamLength)
        {
            throw new PartcloneException(PartcloneError.Truncated,
                $"{path} has {actual} bytes but an uncompressed image with this header has {header.ExpectedStreamLength}; is it compressed or cut?");
        }
        ExtentMap layout;
        try
        {
            layout = OffsetLayout.Create(torrent.Files);
        }
        catch (TargetRefusedException e)
        {
            throw new PartcloneException(PartcloneError.InvalidMap, e.Message);
        }
        Extent[] extents = layout.Extents.OrderBy(e => e.TorrentOffset).ToArray();
        foreach (Extent e in extents)
        {
            CheckUsed(map, header.BlockSize, e);
        }
        SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return new PartcloneImageStorage(file, header, map, extents, torrent.TotalLength);
    }

    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > Length)
        {
            throw new StorageException($"Read of {destination.Length} bytes at {offset} is outside the {Length}-byte torrent.");
        }
        int bs = _header.BlockSize;
        int bpc = _header.ChecksumMode == PartcloneChecksumMode.None ? 0 : _header.BlocksPerChecksum;
        while (!destination.IsEmpty)
        {
            int index = Array.BinarySearch(_starts, offset);
            if (index < 0)
            {
                index = ~index - 1;
            }
            Extent extent = _extents[index];
            long inFile = offset - extent.TorrentOffset;
            long partition = extent.TargetOffset + inFile;
            long block = partition / bs;
            int within = (int)(partition % bs);
            long rank = _map.Rank(block);
            long contiguous = extent.Length - inFile;
            long position = _header.DataOffset + rank * bs + within;
            if (bpc > 0)
            {
                position += rank / bpc * _header.ChecksumSize;
                contiguous = Math.Min(contiguous, (bpc - rank % bpc) * bs - within);
            }
            int n = (int)Math.Min(destination.Length, contiguous);
            ReadExactly(destination[..n], position);
            destination = destination[n..];
            offset += n;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data) =>
        throw new StorageException("A partclone image is a read-only source.");

    public void Flush()
    {
    }

    public void Dispose() => _file.Dispose();

    private void ReadExactly(Span<byte> destination, long position)
    {
        while (!destination.IsEmpty)
        {
            int n = RandomAccess.Read(_file, destination, position);
            if (n == 0)
            {
                throw new StorageException($"The partclone image ends at byte {position}.");
            }
            destination = destination[n..];
            position += n;
        }
    }

    private static void CheckUsed(BlockMap map, int blockSize, Extent extent)
    {
        if (extent.Length == 0)
        {
            return;
        }
        long first = extent.TargetOffset / blockSize;
        long last = (extent.TargetOffset + extent.Length - 1) / blockSize;
        if (last >= map.TotalBlocks)
        {
            throw new PartcloneException(PartcloneError.InvalidMap,
                $"Torrent file {extent.Name} ends past the image's {map.TotalBlocks} blocks of {blockSize} bytes.");
        }
        long block = first;
        while (block <= last)
        {
            if (!map.IsUsed(block))
            {
                throw new PartcloneException(PartcloneError.InvalidMap,
                    $"Torrent file {extent.Name} covers block {block}, which the image does not hold.");
            }
            block++;
        }
    }
}
