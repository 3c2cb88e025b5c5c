using Xunit;

namespace Ezio.Imaging.Tests.TestSupport;

/// <summary>The loud skip rule of <see cref="ToolFactAttribute"/> and <see cref="ToolTheoryAttribute"/>.</summary>
internal static class ToolSkip
{
    /// <summary>The reason a test must skip, or null. Under CI=true nothing is skipped.</summary>
    public static string? Reason(bool needsRoot, params string[] tools)
    {
        IReadOnlyList<string> missing = Tools.Missing(tools);
        if (missing.Count > 0)
        {
            return $"SKIPPED: needs {string.Join(", ", missing)} (not installed; CI=true makes this a failure).";
        }
        if (Tools.Missing([], needsRoot).Count > 0)
        {
            return "SKIPPED: needs root (losetup, mount); CI=true makes this a failure.";
        }
        return null;
    }
}

/// <summary>A fact that needs system tools (and maybe root); it skips loudly only outside CI.</summary>
internal sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(bool needsRoot, params string[] tools)
    {
        if (ToolSkip.Reason(needsRoot, tools) is string reason)
        {
            Skip = reason;
            Console.Error.WriteLine("WARNING: " + reason);
        }
    }
}

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

/// <summary>A theory that needs system tools (and maybe root); it skips loudly only outside CI.</summary>
internal sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(bool needsRoot, params string[] tools)
    {
        if (ToolSkip.Reason(needsRoot, tools) is string reason)
        {
            Skip = reason;
            Console.Error.WriteLine("WARNING: " + reason);
        }
    }
}
