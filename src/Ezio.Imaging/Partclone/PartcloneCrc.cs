using System.Buffers.Binary;
using System.IO.Hashing;

namespace Ezio.Imaging.Partclone;

/// <summary>
/// Partclone's CRC-32: reflected, polynomial 0xEDB88320, register starts at 0xFFFFFFFF and is
/// never XORed at the end, so its value is the complement of the standard (zlib) CRC-32.
/// Used for the 0002 header, the bit map and CRC32 data strips (spec §4.2).
/// </summary>
internal static class PartcloneCrc
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Crc32.HashToUInt32(data);
}

/// <summary>The running state of one data-checksum mode; <see cref="Current"/> writes the value partclone stores.</summary>
internal sealed class PartcloneChecksum
{
    private readonly PartcloneChecksumMode _mode;
    private readonly Crc32? _crc;
    private readonly XxHash64? _xxh64;
    private readonly XxHash128? _xxh128;
    private byte[] _repeat = [];

    public PartcloneChecksum(PartcloneChecksumMode mode)
    {
        _mode = mode;
        switch (mode)
        {
            case PartcloneChecksumMode.Crc32:
            case PartcloneChecksumMode.Crc32Version1:
                _crc = new Crc32();
                break;
            case PartcloneChecksumMode.XxHash64:
                _xxh64 = new XxHash64(0);
                break;
            case PartcloneChecksumMode.XxHash128:
                _xxh128 = new XxHash128(0);
                break;
        }
    }

    /// <summary>Feeds one block.</summary>
    public void AppendBlock(ReadOnlySpan<byte> block)
    {
        switch (_mode)
        {
            case PartcloneChecksumMode.Crc32:
                _crc!.Append(block);
                break;
            case PartcloneChecksumMode.Crc32Version1:
                // Format 0001's writer never advanced its pointer: the block's first byte is
                // processed block-size times (spec §5).
                if (_repeat.Length != block.Length || _repeat[0] != block[0])
                {
                    if (_repeat.Length != block.Length)
                    {
                        _repeat = new byte[block.Length];
                    }
                    _repeat.AsSpan().Fill(block[0]);
                }
                _crc!.Append(_repeat);
                break;
            case PartcloneChecksumMode.XxHash64:
                _xxh64!.Append(block);
                break;
            case PartcloneChecksumMode.XxHash128:
                _xxh128!.Append(block);
                break;
        }
    }

    /// <summary>Writes the stored form of the current state (little-endian values, CRC without final XOR).</summary>
    public void Current(Span<byte> destination)
    {
        switch (_mode)
        {
            case PartcloneChecksumMode.Crc32:
            case PartcloneChecksumMode.Crc32Version1:
                BinaryPrimitives.WriteUInt32LittleEndian(destination, ~_crc!.GetCurrentHashAsUInt32());
                break;
            case PartcloneChecksumMode.XxHash64:
                BinaryPrimitives.WriteUInt64LittleEndian(destination, _xxh64!.GetCurrentHashAsUInt64());
                break;
            case PartcloneChecksumMode.XxHash128:
                BinaryPrimitives.WriteUInt128LittleEndian(destination, _xxh128!.GetCurrentHashAsUInt128());
                break;
        }
    }

    public void Reset()
    {
        _crc?.Reset();
        _xxh64?.Reset();
        _xxh128?.Reset();
    }
}
