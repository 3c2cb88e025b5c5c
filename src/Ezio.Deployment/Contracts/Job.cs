using System.Text.Json.Serialization;

namespace Ezio.Deployment.Contracts;

/// <summary>Which disk to write. <see cref="Value"/> is null for <see cref="TargetDiskKind.Auto"/>.</summary>
public sealed record TargetDiskRule(TargetDiskKind Kind, string? Value, bool AllowRemovable = false);

/// <summary>How long the machine keeps seeding after it is done.</summary>
/// <param name="UntilAllDone">Seed while other machines of the deployment are still deploying.</param>
/// <param name="MaxMinutes">Hard cap after done (0 = no seeding at all after done).</param>
public sealed record SeedingPolicy(bool UntilAllDone, int MaxMinutes);

/// <summary>Optional steps after the image is written and flushed.</summary>
public sealed record PostSteps(string? Hostname, bool GrowLastPartition);

/// <summary>
/// One machine's job. Signed by the server (see <c>JobSigner</c>) when it has a key: the
/// signature covers the canonical JSON of every other field, including the MAC, so a job
/// cannot be replayed onto another machine.
/// </summary>
/// <param name="DeploymentId">Server-chosen id, used by progress/done/seeding.</param>
/// <param name="Mac">The machine this job is for (normalized aa:bb:cc:dd:ee:ff).</param>
/// <param name="Image">Image name in the server's repository.</param>
/// <param name="TorrentUrl">Absolute URL of the .torrent (GET /api/v1/images/{image}/torrent).</param>
/// <param name="InfoHash">40 lowercase hex digits; the agent refuses a torrent with another hash.</param>
/// <param name="ImageSizeBytes">Total length of the torrent (the smallest acceptable disk).</param>
/// <param name="PartitionTable">sfdisk --dump text to apply before writing, or null.</param>
/// <param name="Secret">This machine's secret for the deployment: every later call sends it
/// (<see cref="ApiRoutes.MachineSecretHeader"/>), so no other host can report for the machine.</param>
/// <param name="Signature">Base64 ECDSA P-256 (IEEE P1363, SHA-256) signature, or null when unsigned.</param>
public sealed record Job(
    string DeploymentId,
    string Mac,
    string Image,
    string TorrentUrl,
    string InfoHash,
    long ImageSizeBytes,
    TargetDiskRule TargetDisk,
    string? PartitionTable,
    AfterAction After,
    SeedingPolicy Seeding,
    PostSteps PostSteps,
    bool VerifyAfterWrite,
    DateTimeOffset IssuedAt,
    string? Secret = null,
    string? Signature = null)
{
    /// <summary>
    /// The disks of a multi-disk image, in image order; null for a single-disk image, whose
    /// table is <see cref="PartitionTable"/>. Covered by the signature like every other field.
    /// </summary>
    public IReadOnlyList<JobDisk>? Disks { get; init; }

    /// <summary>How <see cref="Disks"/> map to the machine's disks.</summary>
    public DiskMapping DiskMapping { get; init; }

    /// <summary>
    /// Announce URLs of a tracker standing in for the server's own (the server config's
    /// <c>trackers</c>, e.g. an opentracker several servers share); null: the tracker of the
    /// server that serves the torrent. Left out of the JSON when null, so jobs without it sign
    /// the same bytes as before.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Trackers { get; init; }

    /// <summary>
    /// Set when the machine lays out its disk anew for the image (a disk smaller or larger than
    /// the image's); null for the image's layout as it is. Covered by the signature.
    /// </summary>
    public DiskResize? Resize { get; init; }
}
