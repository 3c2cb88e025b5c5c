using Xunit;

namespace Ezio.Storage.Tests.TestSupport;

/// <summary>
/// A test that needs root (loop devices, mount). It skips only outside CI and when not root,
/// and says so loudly; under CI=true it always runs (and fails if it cannot).
/// </summary>
internal sealed class BlockDeviceFactAttribute : FactAttribute
{
    public BlockDeviceFactAttribute()
    {
        if (!CanRun)
        {
            Skip = "SKIPPED: block-device test needs root (losetup, mount); not root and CI is unset. " +
                "These tests are mandatory in CI.";
            Console.Error.WriteLine("WARNING: " + Skip);
        }
    }

    public static bool CanRun => Tools.Missing([], needsRoot: true).Count == 0;
}

/// <summary>Loop-device tests run one at a time: they share the kernel's pool of loop devices.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlockDeviceCollection
{
    public const string Name = "block devices";
}
