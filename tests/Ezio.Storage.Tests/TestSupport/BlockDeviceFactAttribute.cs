using Xunit;

namespace Ezio.Storage.Tests.TestSupport;

/// <summary>A test that needs root (loop devices, mount); skips as <see cref="SkipRule"/> says.</summary>
internal sealed class BlockDeviceFactAttribute() : RequiresFactAttribute("BLOCK-DEVICE TEST", [], needsRoot: true);

/// <summary>Loop-device tests run one at a time: they share the kernel's pool of loop devices.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlockDeviceCollection
{
    public const string Name = "block devices";
}
