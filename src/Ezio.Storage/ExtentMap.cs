namespace Ezio.Storage;

/// <summary>
/// Maps torrent offsets to target offsets. The extents tile the torrent without gaps (in torrent
/// order) and never overlap on the target; holes on the target between extents are never written.
/// </summary>
/// <remarks>
/// Size is proportional to the number of extents (torrent files), never to the disk size.
/// Lookups are a binary search over the torrent offsets. Immutable, so safe for concurrent use.
/// </remarks>
public sealed class ExtentMap
{
    private readonly Extent[] _extents;

    /// <summary>
    /// Builds a map from extents listed in torrent order. Zero-length extents are dropped.
    /// Throws <see cref="TargetRefusedException"/> when extents leave gaps in the torrent or
    /// overlap on the target.
    /// </summary>
    public ExtentMap(IEnumerable<Extent> extents, long torrentLength)
    {
        ArgumentNullException.ThrowIfNull(extents);
        _extents = extents.Where(e => e.Length != 0).ToArray();
        TorrentLength = torrentLength;

        long expected = 0;
        foreach (Extent extent in _extents)
        {
            if (extent.Length < 0 || extent.TargetOffset < 0 || extent.TorrentOffset != expected
                || extent.TargetOffset > long.MaxValue - extent.Length)
            {
                throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
                    $"Extent '{extent.Name}' (torrent offset {extent.TorrentOffset}, target offset {extent.TargetOffset}, " +
                    $"length {extent.Length}) does not follow the previous one; expected torrent offset {expected}.");
            }

            expected += extent.Length;
        }

        if (expected != torrentLength)
        {
            throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
                $"Extents cover {expected} torrent bytes, but the torrent has {torrentLength}.");
        }

        CheckNoOverlap(_extents);
        TargetEnd = _extents.Length == 0 ? 0 : _extents.Max(e => e.TargetEnd);
    }

    /// <summary>Total torrent length the map covers.</summary>
    public long TorrentLength { get; }

    /// <summary>One past the highest target byte any extent covers: the smallest target that fits.</summary>
    public long TargetEnd { get; }

    public IReadOnlyList<Extent> Extents => _extents;

    /// <summary>The whole torrent written contiguously from <paramref name="targetOffset"/> (a disk image).</summary>
    public static ExtentMap Linear(long torrentLength, long targetOffset = 0, string name = "image") =>
        new([new Extent(0, targetOffset, torrentLength, name)], torrentLength);

    /// <summary>
    /// Refuses a target of <paramref name="targetSize"/> bytes that some extent runs past,
    /// naming the first such extent (by target offset).
    /// </summary>
    public void EnsureFits(long targetSize, string targetName)
    {
        if (TargetEnd <= targetSize)
        {
            return;
        }

        Extent worst = _extents.Where(e => e.TargetEnd > targetSize).MinBy(e => e.TargetOffset);
        throw new TargetRefusedException(TargetRefusalReason.ExtentPastEnd,
            $"'{targetName}' has {targetSize} bytes, but extent '{worst.Name}' covers target bytes " +
            $"{worst.TargetOffset}..{worst.TargetEnd} (the image needs at least {TargetEnd} bytes).");
    }

    /// <summary>
    /// Splits torrent range [offset, offset + length) into runs that are contiguous on the
    /// target; neighbouring extents that continue each other on the target merge into one run.
    /// </summary>
    internal RunEnumerator GetRuns(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > TorrentLength - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Range {offset}+{length} lies outside the torrent (length {TorrentLength}).");
        }

        return new RunEnumerator(_extents, length == 0 ? 0 : FindExtent(offset), offset, length);
    }

    private int FindExtent(long offset)
    {
        int lo = 0;
        int hi = _extents.Length - 1;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo + 1) / 2);
            if (_extents[mid].TorrentOffset <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    private static void CheckNoOverlap(Extent[] extents)
    {
        var byTarget = (Extent[])extents.Clone();
        Array.Sort(byTarget, static (a, b) => a.TargetOffset.CompareTo(b.TargetOffset));
        for (int i = 1; i < byTarget.Length; i++)
        {
            Extent previous = byTarget[i - 1];
            Extent current = byTarget[i];
            if (current.TargetOffset < previous.TargetEnd)
            {
                throw new TargetRefusedException(TargetRefusalReason.ExtentsOverlap,
                    $"Extent '{current.Name}' (target {current.TargetOffset}..{current.TargetEnd}) overlaps " +
                    $"extent '{previous.Name}' (target {previous.TargetOffset}..{previous.TargetEnd}).");
            }
        }
    }

    /// <summary>Allocation-free walk over the target runs of one read or write.</summary>
    internal ref struct RunEnumerator
    {
        private readonly Extent[] _extents;
        private int _index;
        private long _offset;
        private int _dataOffset;
        private int _remaining;

        internal RunEnumerator(Extent[] extents, int index, long offset, int length)
        {
            _extents = extents;
            _index = index;
            _offset = offset;
            _remaining = length;
        }

        public TargetRun Current { get; private set; }

        public readonly RunEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_remaining == 0)
            {
                return false;
            }

            long start = Target(_extents[_index], _offset);
            int startData = _dataOffset;
            int length = Take();
            // Keep extending while the next extent picks up exactly where this run ends.
            while (_remaining > 0 && _extents[_index].TargetOffset == start + length)
            {
                length += Take();
            }

            Current = new TargetRun(start, startData, length);
            return true;
        }

        private static long Target(Extent extent, long torrentOffset) =>
            extent.TargetOffset + (torrentOffset - extent.TorrentOffset);

        /// <summary>Consumes what is left of the current extent (or of the request).</summary>
        private int Take()
        {
            Extent extent = _extents[_index];
            int count = (int)Math.Min(_remaining, extent.TorrentEnd - _offset);
            _offset += count;
            _dataOffset += count;
            _remaining -= count;
            if (_offset == extent.TorrentEnd)
            {
                _index++;
            }

            return count;
        }
    }
}
