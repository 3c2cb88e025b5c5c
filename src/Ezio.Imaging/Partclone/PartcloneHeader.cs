using System.Buffers.Binary;
using System.Text;

namespace Ezio.Imaging.Partclone;

// Partclone image header, specs/partclone-image-format.md §2 and §5. Little-endian throughout.
//
// Format 0002, 110 bytes:
//   0      16      30    34     36        52       60      68      76      84     88    92  94  96   98  100   104 105 106   110
//   +-------+-------+-----+------+---------+--------+-------+-------+-------+------+-----+---+---+----+---+-----+---+---+-----+
//   |magic  |creator|"0002"|C0DE |fs type  |dev size|total  |used fs|used   |block |feat |ver|cpu|mode|cs |bpc  |rs |map|CRC32|
//   |16     |14     |4     |u16  |16       |u64     |u64    |u64    |map u64|u32   |u32  |u16|u16|u16 |u16|u32  |u8 |u8 |u32  |
//   +-------+-------+-----+------+---------+--------+-------+-------+-------+------+-----+---+---+----+---+-----+---+---+-----+
//   mode: 0x00 none, 0x20 CRC32, 0x30 XXH64, 0x31 XXH128; map: 0x01 bits, 0x08 bytes, 0x00 none.
//   CRC32 is partclone's CRC (no final XOR) of bytes 0..105.
//
// Format 0001, 4160 bytes:
//   0         15        30     34   36     40        48      56      64          4160
//   +---------+---------+------+----+------+---------+-------+-------+-----------+
//   |magic 15 |fs type  |"0001"|pad |bs s32|dev size |total  |used   |reserved   |
//   +---------+---------+------+----+------+---------+-------+-------+-----------+
//   then a byte map (1 = used) + "BiTmAgIc", then every block followed by a 4-byte CRC32_0001.

/// <summary>How data checksums are computed (the value stored at offset 96 of a 0002 header).</summary>
public enum PartcloneChecksumMode : ushort
{
    None = 0x00,
    Crc32 = 0x20,
    XxHash64 = 0x30,
    XxHash128 = 0x31,
    /// <summary>Format 0001's buggy CRC: the first byte of each block fed block-size times.</summary>
    Crc32Version1 = 0xFF,
}

/// <summary>How the block map is stored.</summary>
public enum PartcloneMapMode : byte
{
    None = 0x00,
    Bits = 0x01,
    Bytes = 0x08,
}

/// <summary>The decoded header of a partclone image.</summary>
public sealed record PartcloneHeader
{
    public const int Version2Length = 110;
    public const int Version1Length = 4160;
    public const int MaxBlockSize = 64 * 1024 * 1024;

    /// <summary>
    /// Largest device a header may describe (1 EiB). Far beyond any disk, and small enough that
    /// the stream length computed from the counts (header + map + data + checksums) fits a long.
    /// </summary>
    public const long MaxDeviceSize = 1L << 60;

    public required int FormatVersion { get; init; }
    public required string CreatorVersion { get; init; }
    public required string FileSystem { get; init; }
    public required long DeviceSize { get; init; }
    public required long TotalBlocks { get; init; }
    public required long UsedBlocks { get; init; }
    public required int BlockSize { get; init; }
    public required PartcloneChecksumMode ChecksumMode { get; init; }
    public required int ChecksumSize { get; init; }
    public required int BlocksPerChecksum { get; init; }
    public required bool Reseed { get; init; }
    public required PartcloneMapMode MapMode { get; init; }

    /// <summary>Bytes of the whole stream (header, map, data, checksums) when it is well formed.</summary>
    public long ExpectedStreamLength => (long)StreamLength();

    /// <summary>Where the data area starts in an uncompressed image: after the header and the map.</summary>
    public long DataOffset =>
        ExpectedStreamLength - UsedBlocks * BlockSize -
        (BlocksPerChecksum > 0 ? (UsedBlocks + BlocksPerChecksum - 1) / BlocksPerChecksum * ChecksumSize : 0);

    // In 128 bits so that a crafted header cannot wrap the sum; Validate refuses one above long.MaxValue.
    private Int128 StreamLength()
    {
        Int128 header = FormatVersion == 1 ? Version1Length : Version2Length;
        Int128 map = MapMode switch
        {
            PartcloneMapMode.Bits => (TotalBlocks + 7) / 8 + 4,
            PartcloneMapMode.Bytes => (Int128)TotalBlocks + 8,
            _ => 0,
        };
        Int128 sums = BlocksPerChecksum > 0 ? ((Int128)UsedBlocks + BlocksPerChecksum - 1) / BlocksPerChecksum * ChecksumSize : 0;
        return header + map + (Int128)UsedBlocks * BlockSize + sums;
    }

    internal static bool IsVersion1(ReadOnlySpan<byte> first110) => first110.Slice(30, 4).SequenceEqual("0001"u8);

    /// <summary>Parses the first 110 bytes; for format 0001 <paramref name="bytes"/> must hold all 4160.</summary>
    internal static PartcloneHeader Parse(ReadOnlySpan<byte> bytes)
    {
        if (!bytes[..15].SequenceEqual("partclone-image"u8))
        {
            throw new PartcloneException(PartcloneError.BadMagic, "Not a partclone image: the magic 'partclone-image' is missing.");
        }
        ReadOnlySpan<byte> version = bytes.Slice(30, 4);
        if (version.SequenceEqual("0001"u8))
        {
            return ParseVersion1(bytes);
        }
        if (!version.SequenceEqual("0002"u8))
        {
            throw new PartcloneException(PartcloneError.UnsupportedVersion,
                $"Unsupported partclone image version '{Encoding.ASCII.GetString(version)}'.");
        }
        return ParseVersion2(bytes);
    }

    private static PartcloneHeader ParseVersion2(ReadOnlySpan<byte> b)
    {
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(106, 4));
        uint computed = PartcloneCrc.Compute(b[..106]);
        if (stored != computed)
        {
            throw new PartcloneException(PartcloneError.HeaderChecksumMismatch,
                $"Header CRC mismatch: stored 0x{stored:x8}, computed 0x{computed:x8}.");
        }
        ushort marker = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(34, 2));
        if (marker != 0xC0DE)
        {
            throw new PartcloneException(PartcloneError.UnsupportedEndianness,
                $"Endianness marker 0x{marker:x4}: only little-endian images (0xc0de) are supported.");
        }
        var mode = (PartcloneChecksumMode)BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(96, 2));
        var header = new PartcloneHeader
        {
            FormatVersion = 2,
            CreatorVersion = AsciiZ(b.Slice(16, 14)),
            FileSystem = AsciiZ(b.Slice(36, 16)),
            DeviceSize = ReadCount(b.Slice(52, 8), "device size"),
            TotalBlocks = ReadCount(b.Slice(60, 8), "total blocks"),
            UsedBlocks = ReadCount(b.Slice(76, 8), "used blocks"),
            BlockSize = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(84, 4))),
            ChecksumMode = mode,
            ChecksumSize = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(98, 2)),
            BlocksPerChecksum = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(100, 4))),
            Reseed = b[104] != 0,
            MapMode = (PartcloneMapMode)b[105],
        };
        header.Validate();
        return header;
    }

    private static PartcloneHeader ParseVersion1(ReadOnlySpan<byte> b)
    {
        var header = new PartcloneHeader
        {
            FormatVersion = 1,
            CreatorVersion = "",
            FileSystem = AsciiZ(b.Slice(15, 15)),
            BlockSize = BinaryPrimitives.ReadInt32LittleEndian(b.Slice(36, 4)),
            DeviceSize = ReadCount(b.Slice(40, 8), "device size"),
            TotalBlocks = ReadCount(b.Slice(48, 8), "total blocks"),
            UsedBlocks = ReadCount(b.Slice(56, 8), "used blocks"),
            ChecksumMode = PartcloneChecksumMode.Crc32Version1,
            ChecksumSize = 4,
            BlocksPerChecksum = 1,
            Reseed = false,
            MapMode = PartcloneMapMode.Bytes,
        };
        header.Validate();
        return header;
    }

    private void Validate()
    {
        string? problem = null;
        if (BlockSize <= 0 || BlockSize > MaxBlockSize)
        {
            problem = $"block size {BlockSize} is outside 1..64 MiB";
        }
        else if (TotalBlocks < 0 || UsedBlocks < 0 || UsedBlocks > TotalBlocks)
        {
            problem = $"used blocks {UsedBlocks} exceed total blocks {TotalBlocks}";
        }
        else if (TotalBlocks > DeviceSize / BlockSize)
        {
            problem = $"{TotalBlocks} blocks of {BlockSize} bytes exceed the device size {DeviceSize}";
        }
        else if (MapMode is not (PartcloneMapMode.Bits or PartcloneMapMode.Bytes or PartcloneMapMode.None))
        {
            problem = $"unknown map mode 0x{(byte)MapMode:x2}";
        }
        else if (MapMode == PartcloneMapMode.Bytes && TotalBlocks > Array.MaxLength)
        {
            problem = $"a byte map of {TotalBlocks} blocks is too large";
        }
        else
        {
            int expectedSize = ChecksumMode switch
            {
                PartcloneChecksumMode.None => 0,
                PartcloneChecksumMode.Crc32 or PartcloneChecksumMode.Crc32Version1 => 4,
                PartcloneChecksumMode.XxHash64 => 8,
                PartcloneChecksumMode.XxHash128 => 16,
                _ => -1,
            };
            if (expectedSize < 0)
            {
                problem = $"unknown checksum mode 0x{(ushort)ChecksumMode:x2}";
            }
            else if (ChecksumSize != expectedSize)
            {
                problem = $"checksum size {ChecksumSize} does not fit mode {ChecksumMode}";
            }
            else if (ChecksumMode != PartcloneChecksumMode.None && BlocksPerChecksum <= 0)
            {
                problem = "blocks per checksum is 0 although a checksum mode is set";
            }
            else if (StreamLength() > long.MaxValue)
            {
                problem = $"{UsedBlocks} used blocks with their checksums make a stream longer than {long.MaxValue} bytes";
            }
        }
        if (problem is not null)
        {
            throw new PartcloneException(PartcloneError.InvalidHeader, $"Invalid partclone header: {problem}.");
        }
    }

    // The u64 counts: anything above MaxDeviceSize (which bounds every count) is refused here,
    // before a cast to long could overflow or a later sum could wrap.
    private static long ReadCount(ReadOnlySpan<byte> field, string name)
    {
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(field);
        if (value > MaxDeviceSize)
        {
            throw new PartcloneException(PartcloneError.InvalidHeader, $"Invalid partclone header: {name} {value} exceeds {MaxDeviceSize}.");
        }
        return (long)value;
    }

    private static string AsciiZ(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }
}
