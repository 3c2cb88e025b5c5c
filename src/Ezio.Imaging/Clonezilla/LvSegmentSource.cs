using System.Numerics;
using Ezio.Imaging.Partclone;

namespace Ezio.Imaging.Clonezilla;

/// <summary>
/// The used blocks of one linear segment of a logical volume: LV bytes [start, start + length)
/// of the LV's own image, renumbered from 0 so the segment can be placed at its PV extents.
/// The block size divides both the image's block size and the extent size, so no block
/// straddles the segment's ends. Owns the volume source; blocks before the segment
/// are read and dropped (each segment of a multi-segment LV reads the image on its own).
/// </summary>
internal sealed class LvSegmentSource : IUsedBlockSource
{
    private readonly IUsedBlockSource _volume;
    private readonly long _start;
    private readonly long _end;
    private readonly byte[] _buffer;
    private long _pendingOffset;
    private long _pendingEnd;
    private int _pendingIndex;
    private bool _done;

    public LvSegmentSource(IUsedBlockSource volume, long start, long length)
    {
        ArgumentNullException.ThrowIfNull(volume);
        _volume = volume;
        _start = start;
        _end = start + length;
        long unit = (long)BigInteger.GreatestCommonDivisor(BigInteger.GreatestCommonDivisor(volume.BlockSize, start), length);
        BlockSize = (int)unit;
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(1 << 20, volume.BlockSize));
        var bits = new byte[(length / unit + 7) / 8];
        long volumeBlock = volume.BlockSize;
        foreach ((long first, long count) in volume.Map.UsedRuns())
        {
            long from = Math.Max(first * volumeBlock, start);
            long to = Math.Min((first + count) * volumeBlock, _end);
            for (long b = (from - start) / unit; b < (to - start) / unit; b++)
            {
                bits[b >> 3] |= (byte)(1 << (int)(b & 7));
            }
        }
        Map = BlockMap.FromBits(bits, length / unit);
    }

    public int BlockSize { get; }

    public BlockMap Map { get; }

    public int ReadRun(Span<byte> buffer, out long firstBlock)
    {
        firstBlock = 0;
        while (_pendingOffset == _pendingEnd)
        {
            if (_done)
            {
                return 0;
            }
            int n = _volume.ReadRun(_buffer, out long first);
            long runStart = first * _volume.BlockSize;
            long runEnd = runStart + (long)n * _volume.BlockSize;
            if (n == 0 || runStart >= _end)
            {
                _done = true; // the rest of the image lies past this segment
                return 0;
            }
            _pendingOffset = Math.Max(runStart, _start);
            _pendingEnd = Math.Max(_pendingOffset, Math.Min(runEnd, _end));
            _pendingIndex = (int)(_pendingOffset - runStart);
        }
        int take = (int)Math.Min(_pendingEnd - _pendingOffset, buffer.Length / BlockSize * BlockSize);
        _buffer.AsSpan(_pendingIndex, take).CopyTo(buffer);
        firstBlock = (_pendingOffset - _start) / BlockSize;
        _pendingOffset += take;
        _pendingIndex += take;
        return take / BlockSize;
    }

    public void Dispose() => _volume.Dispose();
}
