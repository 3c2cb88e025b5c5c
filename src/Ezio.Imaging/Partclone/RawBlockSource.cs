using System.Numerics;

namespace Ezio.Imaging.Partclone;

/// <summary>
/// Raw bytes as a block source where every block is used: partclone.dd images, boot areas and
/// partitions of unknown file systems. The block size is the largest power of two up to 64 KiB
/// that divides the length, so no block is partial.
/// </summary>
public sealed class RawBlockSource : IUsedBlockSource
{
    private readonly Stream _stream;
    private readonly long _length;
    private long _position;

    public RawBlockSource(Stream stream, long length)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _stream = stream;
        _length = length;
        BlockSize = (int)Math.Min(64 * 1024, 1L << BitOperations.TrailingZeroCount(length));
        Map = BlockMap.AllUsed(length / BlockSize);
    }

    public static RawBlockSource FromBytes(byte[] data) => new(new MemoryStream(data, writable: false), data.Length);

    public int BlockSize { get; }

    public BlockMap Map { get; }

    public int ReadRun(Span<byte> buffer, out long firstBlock)
    {
        firstBlock = _position / BlockSize;
        int blocks = (int)Math.Min(buffer.Length / BlockSize, (_length - _position) / BlockSize);
        if (blocks == 0)
        {
            if (_position == _length && _stream.ReadByte() >= 0)
            {
                throw new ImageException(ImageError.Malformed, $"The raw image is longer than the {_length}-byte partition.");
            }
            return 0;
        }
        Span<byte> target = buffer[..(blocks * BlockSize)];
        int done = 0;
        while (done < target.Length)
        {
            int n = _stream.Read(target[done..]);
            if (n == 0)
            {
                throw new ImageException(ImageError.Malformed,
                    $"The raw image ends at byte {_position + done} of a {_length}-byte partition.");
            }
            done += n;
        }
        _position += target.Length;
        return blocks;
    }

    public void Dispose() => _stream.Dispose();
}
