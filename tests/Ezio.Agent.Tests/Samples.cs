using Ezio.Agent.Disks;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Tests;

internal static class Samples
{
    public const string Mac = "02:00:00:00:00:42";

    public static Job Job(long size = 32 << 20) => new("d1", Mac, "img", "http://127.0.0.1:1/api/v1/images/img/torrent",
        new string('a', 40), size, new TargetDiskRule(TargetDiskKind.Auto, null), null, AfterAction.Reboot,
        new SeedingPolicy(true, 10), new PostSteps(null, false), false, DateTimeOffset.UnixEpoch);

    public static Disk Disk(string name, long size, bool removable = false, string? serial = null, string? byPath = null,
        string device = "8:0", string[]? partitions = null, string[]? holders = null) =>
        new(name, "/dev/" + name, byPath, size, "Model", serial, removable, false, false, device, partitions ?? [], holders ?? []);
}
