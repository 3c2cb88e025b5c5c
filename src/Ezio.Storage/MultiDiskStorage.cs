using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;

namespace Ezio.Storage;

/// <summary>
/// A multi-disk torrent (<see cref="MultiDiskLayout"/>) written onto one target per disk: each
/// disk's range of the torrent goes through its own <see cref="RawTargetStorage"/>, and a piece
/// that straddles two disks is split between them. Every target is opened, with all the checks
/// of <see cref="RawTargetStorage.Open"/>, before anything is written; a wrong number of
/// targets is refused first.
/// </summary>
public sealed class MultiDiskStorage : ITorrentStorage
{
    private readonly DiskPart[] _parts;
    private readonly RawTargetStorage[] _targets;

    private MultiDiskStorage(DiskPart[] parts, RawTargetStorage[] targets, long length)
    {
        _parts = parts;
        _targets = targets;
        Length = length;
    }

    public long Length { get; }

    public bool MayHaveData => _targets.Any(t => t.MayHaveData);

    /// <summary>The per-disk storages, in disk order.</summary>
    public IReadOnlyList<RawTargetStorage> Targets => _targets;

    /// <summary>
    /// Opens <paramref name="targets"/>[k] for disk k of <paramref name="torrent"/>. Throws
    /// <see cref="TargetRefusedException"/> (nothing written, no target opened) when the count
    /// differs from the torrent's disks, or when any target is refused.
    /// </summary>
    public static MultiDiskStorage Open(Torrent torrent, IReadOnlyList<string> targets, RawTargetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return Open(torrent.Files, torrent.TotalLength, targets, options);
    }

    /// <summary>Like <see cref="Open(Torrent, IReadOnlyList{string}, RawTargetOptions?)"/>, for a torrent given by its files.</summary>
    public static MultiDiskStorage Open(IReadOnlyList<TorrentFile> files, long totalLength, IReadOnlyList<string> targets, RawTargetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(targets);
        DiskPart[] parts = [.. MultiDiskLayout.Split(files, totalLength)];
        if (targets.Count != parts.Length)
        {
            throw new TargetRefusedException(TargetRefusalReason.DiskCount,
                $"The image holds {parts.Length} disks but {targets.Count} target{(targets.Count == 1 ? " was" : "s were")} given " +
                $"({string.Join(", ", targets)}): one target per image disk, in the image's disk order.");
        }
        if (targets.Distinct(StringComparer.Ordinal).Count() != targets.Count)
        {
            throw new TargetRefusedException(TargetRefusalReason.DiskCount,
                $"The same target is given twice ({string.Join(", ", targets)}): each image disk needs its own.");
        }
        if (!(options?.ReadOnly ?? false) && !(options?.AllowFileUnderDev ?? false))
        {
            foreach (string target in targets)
            {
                TargetStorage.RefuseFileUnderDev(target);
            }
        }
        var opened = new List<RawTargetStorage>(parts.Length);
        try
        {
            for (int k = 0; k < parts.Length; k++)
            {
                opened.Add(RawTargetStorage.Open(targets[k], parts[k].Map, options));
            }
        }
        catch
        {
            foreach (RawTargetStorage t in opened)
            {
                t.Dispose();
            }
            throw;
        }
        return new MultiDiskStorage(parts, [.. opened], totalLength);
    }

    public void Read(long offset, Span<byte> destination)
    {
        foreach ((int disk, long local, int from, int count) in Slices(offset, destination.Length))
        {
            _targets[disk].Read(local, destination.Slice(from, count));
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        foreach ((int disk, long local, int from, int count) in Slices(offset, data.Length))
        {
            _targets[disk].Write(local, data.Slice(from, count));
        }
    }

    public void Flush()
    {
        foreach (RawTargetStorage t in _targets)
        {
            t.Flush();
        }
    }

    public void Dispose()
    {
        foreach (RawTargetStorage t in _targets)
        {
            t.Dispose();
        }
    }

    /// <summary>The parts of torrent range [offset, offset + length) on each disk, in order.</summary>
    private List<(int Disk, long Local, int From, int Count)> Slices(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Range {offset}+{length} lies outside the torrent (length {Length}).");
        }
        var slices = new List<(int, long, int, int)>(2);
        long end = offset + length;
        foreach (DiskPart part in _parts)
        {
            long from = Math.Max(offset, part.TorrentStart);
            long to = Math.Min(end, part.TorrentEnd);
            if (from < to)
            {
                slices.Add((part.Index, from - part.TorrentStart, (int)(from - offset), (int)(to - from)));
            }
        }
        return slices;
    }
}
