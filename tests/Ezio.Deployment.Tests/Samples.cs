using Ezio.Deployment.Contracts;

namespace Ezio.Deployment.Tests;

internal static class Samples
{
    public static Job Job() => new(
        DeploymentId: "d-20260101-1",
        Mac: "52:54:00:12:34:56",
        Image: "debian12",
        TorrentUrl: "http://10.0.0.1:8080/api/v1/images/debian12/torrent",
        InfoHash: "0123456789abcdef0123456789abcdef01234567",
        ImageSizeBytes: 8L << 30,
        TargetDisk: new TargetDiskRule(TargetDiskKind.ByPath, "/dev/disk/by-path/pci-0000:00:1f.2-ata-1"),
        PartitionTable: "label: gpt\nunit: sectors\n/dev/sda1 : start=2048, size=1048576, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n",
        After: AfterAction.Reboot,
        Seeding: new SeedingPolicy(true, 30),
        PostSteps: new PostSteps("lab-pc-07", GrowLastPartition: true),
        VerifyAfterWrite: false,
        IssuedAt: new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
}
