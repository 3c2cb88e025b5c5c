using Ezio.Imaging.Partclone;
using Xunit;

namespace Ezio.Imaging.Tests.TestSupport;

internal static class UsedBlocks
{
    /// <summary>Every used block of <paramref name="ptcl"/>'s map is equal in both files.</summary>
    public static void AssertEqual(string ptcl, string expected, long expectedOffset, string actual, long actualOffset)
    {
        using var reader = PartcloneReader.Open(File.OpenRead(ptcl));
        int bs = reader.BlockSize;
        using var a = new FileStream(expected, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var b = new FileStream(actual, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var x = new byte[bs];
        var y = new byte[bs];
        foreach ((long first, long count) in reader.Map.UsedRuns())
        {
            for (long block = first; block < first + count; block++)
            {
                a.Position = expectedOffset + block * bs;
                a.ReadExactly(x);
                b.Position = actualOffset + block * bs;
                b.ReadExactly(y);
                Assert.True(x.AsSpan().SequenceEqual(y), $"block {block} differs");
            }
        }
    }
}
