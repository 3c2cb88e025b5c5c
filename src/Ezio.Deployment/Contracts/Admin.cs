namespace Ezio.Deployment.Contracts;

/// <summary>
/// POST /api/v1/deployments (admin, bearer token). <see cref="Machines"/> holds MACs, or the
/// single word "all" for every machine that registers while the deployment is active.
/// </summary>
/// <param name="GrowLastPartition">The agent grows the last partition (and its filesystem) to the end of the disk, after seeding.</param>
/// <param name="Hostnames">Optional MAC → hostname map for the hostname post-step.</param>
/// <param name="HostnameTemplate">Hostname for machines not in <see cref="Hostnames"/>: {mac}, {mac6}, {index}, {index:2} (e.g. "lab-{index:2}").</param>
/// <param name="StopAfterCompleted">Tracker: job is over after this many completed events (0 = number of machines; -1 = never).</param>
/// <param name="TimeoutMinutes">Tracker and seeder stop this long after creation (0 = never).</param>
public sealed record CreateDeploymentRequest(
    string Image,
    IReadOnlyList<string> Machines,
    AfterAction After = AfterAction.Reboot,
    TargetDiskRule? TargetDisk = null,
    SeedingPolicy? Seeding = null,
    bool GrowLastPartition = false,
    bool VerifyAfterWrite = false,
    IReadOnlyDictionary<string, string>? Hostnames = null,
    int StopAfterCompleted = 0,
    int TimeoutMinutes = 0,
    string? HostnameTemplate = null)
{
    /// <summary>Multi-disk images: how the agent maps image disks to the machine's (default: order).</summary>
    public DiskMapping DiskMapping { get; init; }

    /// <summary>Multi-disk images with <see cref="DiskMapping.Serial"/>: the serial of the target of each image disk, in image order.</summary>
    public IReadOnlyList<string>? DiskSerials { get; init; }

    /// <summary>
    /// How each machine lays out a disk of another size; null: proportional for an image with
    /// compacted file systems (they must be grown), else none (the image's layout).
    /// </summary>
    public ResizePolicy? Resize { get; init; }
}

/// <summary>One deployment as the admin API lists it.</summary>
public sealed record DeploymentInfo(
    string Id,
    string Image,
    string InfoHash,
    DeploymentState State,
    AfterAction After,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    bool AllMachines,
    IReadOnlyList<string> Machines,
    int MachinesDone,
    int MachinesFailed,
    int Completed);

/// <summary>One machine as the admin API lists it (last known state).</summary>
/// <param name="Ip">The address the machine's registration came from (the socket's, never the body's).</param>
/// <param name="Conflict">Set when another address registered this MAC while its job was held:
/// the machine's job is paused until an admin releases it (POST /api/v1/machines/{mac}/release).</param>
public sealed record MachineInfo(
    string MachineId,
    string Mac,
    string? Ip,
    string? Hostname,
    string? DeploymentId,
    DeployPhase Phase,
    long BytesDone,
    long BytesTotal,
    long RateIn,
    long RateOut,
    int Peers,
    string? Message,
    DateTimeOffset LastSeen,
    IReadOnlyList<DiskInfo> Disks,
    string? Conflict = null);
