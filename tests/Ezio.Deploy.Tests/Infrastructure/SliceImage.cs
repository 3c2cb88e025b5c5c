namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// An offset-layout image, as Clonezilla's FSBT slices: each extent is one file named by its
/// byte offset on the target (32 lowercase hex digits), in DIR/&lt;name&gt;/. Extent bytes are
/// deterministic and incompressible; what lies between extents is a hole the deploy must
/// leave alone.
/// </summary>
internal sealed class SliceImage
{
    private SliceImage(string name, IReadOnlyList<(long Offset, byte[] Data)> extents)
    {
        Name = name;
        Extents = extents;
    }

    public string Name { get; }

    public IReadOnlyList<(long Offset, byte[] Data)> Extents { get; }

    public long TotalLength => Extents.Sum(e => (long)e.Data.Length);

    public static SliceImage Create(string name, ulong seed, params (long Offset, int Length)[] extents)
    {
        var list = new List<(long, byte[])>();
        foreach (var (offset, length) in extents.OrderBy(e => e.Offset))
        {
            var data = new byte[length];
            Hashing.FillRandom(data, seed + (ulong)offset);
            list.Add((offset, data));
        }

        return new SliceImage(name, list);
    }

    /// <summary>Writes saveDir/&lt;name&gt;/&lt;32-hex&gt; slice files; returns saveDir/&lt;name&gt;.</summary>
    public string WriteSlices(string saveDirectory)
    {
        string directory = Directory.CreateDirectory(Path.Combine(saveDirectory, Name)).FullName;
        foreach (var (offset, data) in Extents)
        {
            File.WriteAllBytes(Path.Combine(directory, offset.ToString("x32")), data);
        }

        return directory;
    }

    /// <summary>Writes every extent straight onto the device at its offset.</summary>
    public void WriteTo(LoopDevice device)
    {
        foreach (var (offset, data) in Extents)
        {
            device.Write(offset, data);
        }
    }

    /// <summary>Asserts every extent byte-identical and every other byte still the pattern.</summary>
    public void AssertDeployed(LoopDevice device)
    {
        byte[] content = device.ReadAll();
        long position = 0;
        foreach (var (offset, data) in Extents)
        {
            AssertHole(content, position, offset);
            var actual = content.AsSpan((int)offset, data.Length);
            if (!actual.SequenceEqual(data))
            {
                int at = actual.CommonPrefixLength(data);
                Assert.Fail($"Extent at 0x{offset:x} differs from its slice at byte 0x{offset + at:x}.");
            }

            position = offset + data.Length;
        }

        AssertHole(content, position, content.Length);
    }

    private static void AssertHole(byte[] content, long from, long to)
    {
        long at = Pattern.FirstMismatch(content.AsSpan((int)from, (int)(to - from)), from);
        Assert.True(at < 0, $"The hole 0x{from:x}..0x{to:x} was written at 0x{at:x}.");
    }
}
