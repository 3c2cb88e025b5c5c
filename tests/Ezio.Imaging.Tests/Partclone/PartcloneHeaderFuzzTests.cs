using System.Buffers.Binary;
using Ezio.Imaging.Partclone;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Partclone;

/// <summary>
/// Crafted and damaged partclone headers, made by deterministic mutation of the real fixtures:
/// bit flips, truncations and header fields overwritten with extreme values (with the 0002
/// header CRC recomputed so that the field checks are reached, and without). Opening and reading
/// each must end normally or in <see cref="PartcloneException"/>, never another exception, and
/// the reader must never allocate more than a small multiple of the bytes it was given.
/// </summary>
public sealed class PartcloneHeaderFuzzTests
{
    // The reader's own buffering (1 MiB) and the first map chunks; everything beyond must be
    // backed by bytes that really arrived.
    private const long FixedAllocation = 2L << 20;

    private const int Seed = 18;

    // (offset, width) of every numeric field a crafted header controls.
    private static readonly (int Offset, int Width)[] s_version2Fields =
        [(52, 8), (60, 8), (68, 8), (76, 8), (84, 4), (88, 4), (92, 2), (94, 2), (96, 2), (98, 2), (100, 4), (104, 1), (105, 1)];
    private static readonly (int Offset, int Width)[] s_version1Fields = [(36, 4), (40, 8), (48, 8), (56, 8)];

    private static readonly ulong[] s_extremes =
    [
        0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1UL << 32,
        1UL << 34, (1UL << 60) - 1, 1UL << 60, (1UL << 60) + 1, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000,
        0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF,
    ];

    public static TheoryData<string> HeadFixtures => new(
        Directory.GetFiles(Fixture.Path("ext4-demo"), "*.ptcl.head.bin").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(HeadFixtures))]
    public void Open_MutatedHeadFixture_OnlyPartcloneExceptionAndBoundedAllocation(string file)
    {
        byte[] original = File.ReadAllBytes(Fixture.Path("ext4-demo", file));
        Tally tally = RunCorpus(original);
        Assert.True(tally.Reasons.ContainsKey(PartcloneError.InvalidHeader), tally.ToString());
        Assert.True(tally.Reasons.ContainsKey(PartcloneError.Truncated), tally.ToString());
    }

    [ToolTheory(false, "zstd")]
    [InlineData("fs.ptcl.zst")]
    [InlineData("fs-xxh128.ptcl.zst")]
    [InlineData("fs-v1.ptcl.zst")]
    public void ReadRun_MutatedImagePrefix_OnlyPartcloneExceptionAndBoundedAllocation(string file)
    {
        byte[] image = Fixture.Unzstd("ext4-demo", file);
        long dataOffset = PartcloneReader.Open(new MemoryStream(image)).Header.DataOffset;
        // The header, the map and the first 16 blocks with their checksums: enough to reach the data checks.
        byte[] prefix = image[..(int)(dataOffset + 16 * (4096 + 16))];
        Tally tally = RunCorpus(prefix);
        Assert.True(tally.Reasons.ContainsKey(PartcloneError.InvalidHeader), tally.ToString());
        Assert.True(tally.Reasons.ContainsKey(PartcloneError.Truncated), tally.ToString());
    }

    [Fact]
    public void Open_CraftedHeaderAnnouncingTwoGiBMapIn174Bytes_RefusedWithoutAllocatingIt()
    {
        byte[] head = File.ReadAllBytes(Fixture.Path("ext4-demo", "fs.ptcl.head.bin"));
        byte[] crafted = head[..174];
        BinaryPrimitives.WriteUInt64LittleEndian(crafted.AsSpan(52), 1UL << 48); // device size
        BinaryPrimitives.WriteUInt64LittleEndian(crafted.AsSpan(60), (1UL << 34) - 512); // total blocks: a bit map just under 2 GiB
        BinaryPrimitives.WriteUInt32LittleEndian(crafted.AsSpan(84), 4096);
        FixCrc(crafted);

        foreach (bool seekable in new[] { true, false })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<PartcloneException>(() => PartcloneReader.Open(Input(crafted, seekable)));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(PartcloneError.Truncated, e.Reason);
            Assert.True(allocated < FixedAllocation, $"seekable={seekable}: {allocated} bytes allocated for a 174-byte input");
        }
    }

    [Theory]
    [InlineData("fs.ptcl.head.bin", 52)]
    [InlineData("fs.ptcl.head.bin", 60)]
    [InlineData("fs.ptcl.head.bin", 76)]
    [InlineData("fs-v1.ptcl.head.bin", 40)]
    [InlineData("fs-v1.ptcl.head.bin", 48)]
    [InlineData("fs-v1.ptcl.head.bin", 56)]
    public void Open_CountAboveLongMaxValue_InvalidHeader(string file, int offset)
    {
        byte[] head = File.ReadAllBytes(Fixture.Path("ext4-demo", file));
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(offset), 0x8000_0000_0000_0001);
        if (!PartcloneHeader.IsVersion1(head))
        {
            FixCrc(head);
        }
        var e = Assert.Throws<PartcloneException>(() => PartcloneReader.Open(new MemoryStream(head)));
        Assert.Equal(PartcloneError.InvalidHeader, e.Reason);
    }

    [Fact]
    public void Open_ChecksumsMakeTheStreamLongerThanLongMaxValue_InvalidHeader()
    {
        // 1-byte blocks on a 1 EiB device, 16-byte checksums after every block: 17 EiB of stream.
        byte[] head = File.ReadAllBytes(Fixture.Path("ext4-demo", "fs-xxh128.ptcl.head.bin"));
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(52), 1UL << 60);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(60), 1UL << 60);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(76), 1UL << 60);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(84), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(100), 1);
        head[105] = (byte)PartcloneMapMode.None;
        FixCrc(head);
        var e = Assert.Throws<PartcloneException>(() => PartcloneReader.Open(new MemoryStream(head)));
        Assert.Equal(PartcloneError.InvalidHeader, e.Reason);
    }

    [Theory]
    [InlineData(60, 0x8000_0000_0000_0000UL)] // total blocks: was an OverflowException
    [InlineData(60, (1UL << 34) - 512)]       // total blocks: a bit map just under 2 GiB in a short file
    public void ImageImport_CraftedPartcloneHeader_OneLineErrorAndExit1(int offset, ulong value)
    {
        using var temp = new TempDirectory();
        string cz = temp.CreateSubdirectory("cz");
        File.WriteAllText(Path.Combine(cz, "disk"), "sda\n");
        File.WriteAllText(Path.Combine(cz, "parts"), "sda1\n");
        File.WriteAllText(Path.Combine(cz, "sda-pt.sf"),
            "label: dos\nlabel-id: 0x1234abcd\ndevice: /dev/sda\nunit: sectors\nsector-size: 512\n\n/dev/sda1 : start=2048, size=131072, type=83\n");
        byte[] crafted = File.ReadAllBytes(Fixture.Path("ext4-demo", "fs.ptcl.head.bin"))[..174];
        BinaryPrimitives.WriteUInt64LittleEndian(crafted.AsSpan(52), 1UL << 48);
        Write(crafted, offset, 8, value);
        FixCrc(crafted);
        File.WriteAllBytes(Path.Combine(cz, "sda1.ext4-ptcl-img.uncomp"), crafted);
        string output = Path.Combine(temp.Path, "repo", "crafted");

        Shell.Result result = Shell.TryRun(Tools.Require("ezio"), "image", "import", cz, output);

        Assert.Equal(1, result.ExitCode);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string line = Assert.Single(lines);
        Assert.StartsWith("ezio: import failed: ", line);
        Assert.Contains("sda1.ext4-ptcl-img.uncomp", line);
        Assert.False(File.Exists(Path.Combine(output, "image.json")), "no image may be left behind");
    }

    private static Tally RunCorpus(byte[] original)
    {
        var tally = new Tally();
        foreach (byte[] mutant in Mutants(original, new Random(Seed)))
        {
            tally.Cases++;
            Check(mutant, seekable: true, tally);
            Check(mutant, seekable: false, tally);
        }
        Assert.True(tally.Cases > 1000, tally.ToString());
        return tally;
    }

    private static IEnumerable<byte[]> Mutants(byte[] original, Random random)
    {
        bool version1 = PartcloneHeader.IsVersion1(original);
        int headerLength = version1 ? PartcloneHeader.Version1Length : PartcloneHeader.Version2Length;
        int hot = Math.Min(original.Length, headerLength + 64);

        // Truncations: every length through the header and the start of the map, then random ones.
        for (int length = 0; length < hot; length++)
        {
            yield return original[..length];
        }
        for (int i = 0; i < 100; i++)
        {
            yield return original[..random.Next(original.Length)];
        }

        // Bit flips in the header and the start of the map; for 0002 half with the CRC recomputed.
        for (int i = 0; i < 600; i++)
        {
            byte[] mutant = (byte[])original.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                mutant[random.Next(hot)] ^= (byte)(1 << random.Next(8));
            }
            if (!version1 && i % 2 == 0)
            {
                FixCrc(mutant);
            }
            yield return mutant;
        }

        // Every numeric field set to every extreme value, alone and paired with another field.
        (int Offset, int Width)[] fields = version1 ? s_version1Fields : s_version2Fields;
        foreach ((int offset, int width) in fields)
        {
            foreach (ulong value in s_extremes)
            {
                byte[] mutant = (byte[])original.Clone();
                Write(mutant, offset, width, value);
                if (!version1)
                {
                    FixCrc(mutant);
                }
                yield return mutant;
            }
        }
        for (int i = 0; i < 400; i++)
        {
            byte[] mutant = (byte[])original.Clone();
            for (int n = 0; n < 2; n++)
            {
                (int offset, int width) = fields[random.Next(fields.Length)];
                ulong value = random.Next(3) == 0 ? (ulong)random.NextInt64() : s_extremes[random.Next(s_extremes.Length)];
                Write(mutant, offset, width, value);
            }
            if (!version1)
            {
                FixCrc(mutant);
            }
            yield return i % 3 == 0 ? mutant[..random.Next(mutant.Length)] : mutant;
        }
    }

    private static void Check(byte[] mutant, bool seekable, Tally tally)
    {
        var buffer = tally.Buffer;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            using var reader = PartcloneReader.Open(Input(mutant, seekable));
            if (reader.BlockSize <= buffer.Length)
            {
                while (reader.ReadRun(buffer, out _) > 0)
                {
                }
            }
            tally.Opened++;
        }
        catch (PartcloneException e)
        {
            tally.Reasons[e.Reason] = tally.Reasons.GetValueOrDefault(e.Reason) + 1;
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name} escaped for {Convert.ToHexStringLower(mutant.AsSpan(0, Math.Min(mutant.Length, 128)))} " +
                $"({mutant.Length} bytes, seekable={seekable}): {e}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long bound = FixedAllocation + 4L * mutant.Length;
        Assert.True(allocated <= bound,
            $"{allocated} bytes allocated for a {mutant.Length}-byte input (bound {bound}, seekable={seekable}): " +
            Convert.ToHexStringLower(mutant.AsSpan(0, Math.Min(mutant.Length, 128))));
        tally.MaxAllocated = Math.Max(tally.MaxAllocated, allocated);
    }

    private static Stream Input(byte[] bytes, bool seekable) =>
        seekable ? new MemoryStream(bytes) : new ForwardOnlyStream(new MemoryStream(bytes));

    private static void Write(byte[] bytes, int offset, int width, ulong value)
    {
        for (int i = 0; i < width; i++)
        {
            bytes[offset + i] = (byte)(value >> (8 * i));
        }
    }

    private static void FixCrc(byte[] bytes)
    {
        if (bytes.Length >= PartcloneHeader.Version2Length)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(106), PartcloneCrc.Compute(bytes.AsSpan(0, 106)));
        }
    }

    private sealed class Tally
    {
        public byte[] Buffer { get; } = new byte[1 << 20];

        public int Cases { get; set; }

        public int Opened { get; set; }

        public long MaxAllocated { get; set; }

        public Dictionary<PartcloneError, int> Reasons { get; } = [];

        public override string ToString() =>
            $"{Cases} mutants, {Opened} read to the end, max {MaxAllocated} bytes allocated; " +
            string.Join(", ", Reasons.OrderBy(r => r.Key).Select(r => $"{r.Key} {r.Value}"));
    }

    /// <summary>A pipe-like stream: no length, no seeking (what a decompressor hands the reader).</summary>
    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
