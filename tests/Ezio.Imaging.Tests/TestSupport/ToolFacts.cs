using Xunit;

namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>Tests that use loop devices run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoopDeviceCollection
{
    public const string Name = "loop devices";
}

internal static class Fixture
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    /// <summary>A zstd fixture decompressed into memory.</summary>
    public static byte[] Unzstd(params string[] parts)
    {
        using Stream stream = global::Ezio.Imaging.Clonezilla.ImageStreams.OpenDecompressed([Path(parts)]);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
