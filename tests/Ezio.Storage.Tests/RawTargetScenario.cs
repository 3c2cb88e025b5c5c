using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Storage.Tests.TestSupport;
using Xunit;

namespace Ezio.Storage.Tests;

/// <summary>
/// A target pre-filled with a pattern and an offset-layout torrent whose extents leave holes,
/// start and end off sector boundaries, and in one place continue each other on the target.
/// </summary>
internal sealed class RawTargetScenario
{
    public const int TargetSize = 4 << 20;
    public const int PieceLength = 32 * 1024;

    public RawTargetScenario()
    {
        Files = TorrentFiles.Offsets(
            (0, 4096 * 3),               // aligned start and end
            (0x10000 + 100, 5000),       // unaligned start and end...
            (0x10000 + 5100, 70000),     // ...continued on the target: one pwrite
            (0x40000, 1),                // a single byte
            (0x80000 + 512, (128 * 1024) + 3),
            (0x300000, 4096 * 16));
        TotalLength = Files[^1].Offset + Files[^1].Length;
        Pattern = new byte[TargetSize];
        new Random(42).NextBytes(Pattern);
        Data = new byte[TotalLength];
        new Random(7).NextBytes(Data);
    }

    public List<TorrentFile> Files { get; }

    public long TotalLength { get; }

    public byte[] Pattern { get; }

    public byte[] Data { get; }

    public ExtentMap Map => OffsetLayout.Create(Files);

    /// <summary>Writes every piece from an aligned buffer, the way the engine does.</summary>
    public void WriteAllPieces(ITorrentStorage storage)
    {
        using var buffer = new AlignedBuffer(PieceLength);
        for (long offset = 0; offset < TotalLength; offset += PieceLength)
        {
            int size = (int)Math.Min(PieceLength, TotalLength - offset);
            Data.AsSpan((int)offset, size).CopyTo(buffer.Span);
            storage.Write(offset, buffer.Span[..size]);
        }

        storage.Flush();
    }

    /// <summary>The pattern with every extent replaced by its torrent bytes.</summary>
    public byte[] Expected()
    {
        byte[] expected = (byte[])Pattern.Clone();
        foreach (TorrentFile file in Files)
        {
            Assert.True(OffsetLayout.TryParseName(file.PathSegments[^1], out long target), file.PathSegments[^1]);
            Data.AsSpan((int)file.Offset, (int)file.Length).CopyTo(expected.AsSpan((int)target));
        }

        return expected;
    }

    public void AssertTargetHolds(byte[] actual)
    {
        byte[] expected = Expected();
        Assert.Equal(expected.Length, actual.Length);
        int mismatch = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(mismatch == expected.Length, $"Target differs first at byte {mismatch} (0x{mismatch:x}).");
    }

    public void AssertReadBackEqualsData(ITorrentStorage storage)
    {
        var back = new byte[TotalLength];
        // Odd-sized, unaligned reads, as a seeding peer's 16 KiB blocks at any offset would be.
        for (long offset = 0; offset < TotalLength; offset += 12345)
        {
            int size = (int)Math.Min(12345, TotalLength - offset);
            storage.Read(offset, back.AsSpan((int)offset, size));
        }

        Assert.True(Data.AsSpan().SequenceEqual(back), "Read-back differs from written torrent data.");
    }
}
