namespace Ezio.Imaging.Partclone;

// Stream layout (spec §1, §4):
//
//   +--------+-----------------------------+--------------------------------------------------+
//   | header | map                         | data: used blocks ascending, a checksum after    |
//   |        | bits + CRC32 | bytes +      |   every `bpc` stored blocks and after the last   |
//   |        | "BiTmAgIc" | nothing        |   partial strip; nothing after that              |
//   +--------+-----------------------------+--------------------------------------------------+
//
// The reader never seeks: images normally arrive through a decompressor's pipe.

/// <summary>
/// Reads a partclone image (format 0001 or 0002) front to back, checking the header CRC, the
/// map CRC and every data checksum as it goes. Memory: the block map plus one read buffer.
/// </summary>
/// <remarks>
/// Blocks of a checksum strip are handed out before the strip's checksum has been read; a
/// mismatch surfaces on the call that reaches it (at the latest the one returning the last
/// block), as a <see cref="PartcloneException"/> naming the strip's first block. Callers that
/// publish data only after the whole image was read therefore never publish bad data.
/// </remarks>
public sealed class PartcloneReader : IUsedBlockSource
{
    private const int BufferSize = 1 << 20;
    private const int FirstMapChunk = 64 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly PartcloneChecksum _checksum;
    private readonly int _blocksPerChecksum;
    private readonly byte[] _expected;
    private readonly byte[] _stored;
    private long _nextBlock;
    private long _blocksRead;
    private int _inStrip;
    private long _stripFirst = -1;
    private bool _finished;

    private PartcloneReader(Stream stream, bool leaveOpen, PartcloneHeader header, BlockMap map)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Header = header;
        Map = map;
        _checksum = new PartcloneChecksum(header.ChecksumMode);
        _blocksPerChecksum = header.ChecksumMode == PartcloneChecksumMode.None ? 0 : header.BlocksPerChecksum;
        _expected = new byte[Math.Max(1, header.ChecksumSize)];
        _stored = new byte[Math.Max(1, header.ChecksumSize)];
    }

    public PartcloneHeader Header { get; }

    public BlockMap Map { get; }

    public int BlockSize => Header.BlockSize;

    /// <summary>Reads and checks the header and the block map; the stream is then positioned at the first used block.</summary>
    public static PartcloneReader Open(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Stream input = stream is BufferedStream ? stream : new BufferedStream(stream, BufferSize);
        var head = new byte[PartcloneHeader.Version1Length];
        Fill(input, head.AsSpan(0, PartcloneHeader.Version2Length), "header", null);
        if (PartcloneHeader.IsVersion1(head) && head.AsSpan(0, 15).SequenceEqual("partclone-image"u8))
        {
            Fill(input, head.AsSpan(PartcloneHeader.Version2Length), "header", null);
        }
        var header = PartcloneHeader.Parse(head);
        BlockMap map = ReadMap(input, header);
        if (map.UsedBlocks != header.UsedBlocks)
        {
            throw new PartcloneException(PartcloneError.InvalidMap,
                $"The map marks {map.UsedBlocks} blocks used but the header says {header.UsedBlocks}.");
        }
        return new PartcloneReader(input, leaveOpen, header, map);
    }

    public int ReadRun(Span<byte> buffer, out long firstBlock)
    {
        int capacity = buffer.Length / BlockSize;
        if (capacity == 0)
        {
            throw new ArgumentException($"The buffer must hold at least one block of {BlockSize} bytes.", nameof(buffer));
        }
        firstBlock = _finished ? -1 : Map.NextUsed(_nextBlock);
        if (firstBlock < 0)
        {
            Finish();
            return 0;
        }
        int count = 0;
        long block = firstBlock;
        while (count < capacity && block < Map.TotalBlocks && Map.IsUsed(block))
        {
            Span<byte> data = buffer.Slice(count * BlockSize, BlockSize);
            Fill(_stream, data, "data", block);
            _blocksRead++;
            if (_blocksPerChecksum > 0)
            {
                if (_inStrip == 0)
                {
                    _stripFirst = block;
                }
                _checksum.AppendBlock(data);
                if (++_inStrip == _blocksPerChecksum)
                {
                    CheckStrip(block);
                }
            }
            count++;
            block++;
        }
        _nextBlock = block;
        if (_blocksRead == Map.UsedBlocks)
        {
            Finish();
        }
        return count;
    }

    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        if (_blocksPerChecksum > 0 && _inStrip > 0)
        {
            CheckStrip(_nextBlock - 1);
        }
        Span<byte> one = stackalloc byte[1];
        if (_stream.Read(one) != 0)
        {
            throw new PartcloneException(PartcloneError.TrailingData, "Bytes follow the last checksum of the image.");
        }
    }

    private void CheckStrip(long lastBlock)
    {
        int size = Header.ChecksumSize;
        Fill(_stream, _stored.AsSpan(0, size), "checksum", lastBlock);
        _checksum.Current(_expected);
        if (!_stored.AsSpan(0, size).SequenceEqual(_expected.AsSpan(0, size)))
        {
            throw new PartcloneException(PartcloneError.DataChecksumMismatch,
                $"{Header.ChecksumMode} mismatch in the strip of blocks {_stripFirst}..{lastBlock}: stored " +
                $"{Convert.ToHexStringLower(_stored.AsSpan(0, size))}, computed {Convert.ToHexStringLower(_expected.AsSpan(0, size))}",
                _stripFirst);
        }
        _inStrip = 0;
        if (Header.Reseed)
        {
            _checksum.Reset();
        }
    }

    private static BlockMap ReadMap(Stream input, PartcloneHeader header)
    {
        switch (header.MapMode)
        {
            case PartcloneMapMode.None:
                return BlockMap.AllUsed(header.TotalBlocks);
            case PartcloneMapMode.Bits:
            {
                long length = (header.TotalBlocks + 7) / 8;
                if (length > Array.MaxLength)
                {
                    throw new PartcloneException(PartcloneError.InvalidHeader, $"A bit map of {length} bytes is too large.");
                }
                CheckRemaining(input, length + 4, "bit map");
                byte[] bits = ReadGrowing(input, length);
                Span<byte> crc = stackalloc byte[4];
                Fill(input, crc, "bit map CRC", null);
                uint stored = BitConverter.ToUInt32(crc);
                uint computed = PartcloneCrc.Compute(bits);
                if (stored != computed)
                {
                    throw new PartcloneException(PartcloneError.MapChecksumMismatch,
                        $"Bit map CRC mismatch: stored 0x{stored:x8}, computed 0x{computed:x8}.");
                }
                return BlockMap.FromBits(bits, header.TotalBlocks);
            }
            default:
                return ReadByteMap(input, header.TotalBlocks);
        }
    }

    private static BlockMap ReadByteMap(Stream input, long total)
    {
        CheckRemaining(input, total + 8, "byte map");
        var bits = new byte[Math.Min((total + 7) / 8, FirstMapChunk)];
        var chunk = new byte[(int)Math.Min(total, FirstMapChunk)];
        for (long done = 0; done < total;)
        {
            int n = (int)Math.Min(chunk.Length, total - done);
            Fill(input, chunk.AsSpan(0, n), "byte map", null);
            // The bit map grows with the byte map actually read, as in ReadGrowing.
            long needed = (done + n + 7) / 8;
            if (needed > bits.Length)
            {
                Array.Resize(ref bits, (int)Math.Min((total + 7) / 8, Math.Max(needed, 2L * bits.Length)));
            }
            for (int i = 0; i < n; i++)
            {
                // Only 1 means used; partclone treats any other value as "not stored" (spec §3.2).
                if (chunk[i] == 1)
                {
                    long block = done + i;
                    bits[block >> 3] |= (byte)(1 << (int)(block & 7));
                }
            }
            done += n;
        }
        Span<byte> magic = stackalloc byte[8];
        Fill(input, magic, "byte map magic", null);
        if (!magic.SequenceEqual("BiTmAgIc"u8))
        {
            throw new PartcloneException(PartcloneError.InvalidMap, "The byte map is not followed by 'BiTmAgIc'.");
        }
        return BlockMap.FromBits(bits, total);
    }

    // A map is sized by the header, which a crafted file controls: on a stream whose length is
    // known (an uncompressed file) a map longer than what is left is refused before anything is
    // allocated.
    private static void CheckRemaining(Stream input, long needed, string what)
    {
        if (input.CanSeek && needed > input.Length - input.Position)
        {
            throw new PartcloneException(PartcloneError.Truncated,
                $"The image ends inside the {what}: the header announces {needed} bytes of map, {input.Length - input.Position} remain.");
        }
    }

    // Reads exactly `length` bytes into an array that starts small and doubles as the data
    // arrives, so a pipe (decompressor) that ends early costs at most twice what it delivered,
    // not what the header promised.
    private static byte[] ReadGrowing(Stream input, long length)
    {
        var buffer = new byte[Math.Min(length, FirstMapChunk)];
        int done = 0;
        while (true)
        {
            Fill(input, buffer.AsSpan(done), "bit map", null);
            done = buffer.Length;
            if (done == length)
            {
                return buffer;
            }
            Array.Resize(ref buffer, (int)Math.Min(length, 2L * done));
        }
    }

    private static void Fill(Stream input, Span<byte> destination, string what, long? block)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = input.Read(destination[done..]);
            if (n == 0)
            {
                throw new PartcloneException(PartcloneError.Truncated, $"The image ends inside the {what}.", block);
            }
            done += n;
        }
    }
}
