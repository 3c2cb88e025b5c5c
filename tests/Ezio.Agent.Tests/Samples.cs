using Ezio.Agent.Disks;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Tests;

internal static class Samples
{
    public const string Mac = "02:00:00:00:00:42";

    /// <summary>The agent's clock in job checks; <see cref="Job"/> is issued a minute before.</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static Job Job(long size = 32 << 20) => new("d1", Mac, "img", "http://127.0.0.1:1/api/v1/images/img/torrent",
        new string('a', 40), size, new TargetDiskRule(TargetDiskKind.Auto, null), null, AfterAction.Reboot,
        new SeedingPolicy(true, 10), new PostSteps(null, false), false, Now.AddMinutes(-1));

    public static Disk Disk(string name, long size, bool removable = false, string? serial = null, string? byPath = null,
        string device = "8:0", string[]? partitions = null, string[]? holders = null) =>
        new(name, "/dev/" + name, byPath, size, "Model", serial, removable, false, false, device, partitions ?? [], holders ?? []);
}
