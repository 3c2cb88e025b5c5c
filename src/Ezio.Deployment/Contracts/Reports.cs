namespace Ezio.Deployment.Contracts;

/// <summary>POST /api/v1/progress, every few seconds. Rates are bytes per second.</summary>
public sealed record ProgressReport(
    string MachineId,
    string DeploymentId,
    DeployPhase Phase,
    long BytesDone,
    long BytesTotal,
    long RateIn,
    long RateOut,
    int Peers,
    string? Message);

/// <summary>POST /api/v1/done, once the disk is written and flushed (or the job failed).</summary>
/// <param name="Reason">Why it failed (null when ok).</param>
/// <param name="BytesFetched">Bytes received from the swarm.</param>
/// <param name="BytesWritten">Bytes written to the disk (less than the image when a recheck found pieces).</param>
public sealed record DoneReport(
    string MachineId,
    string DeploymentId,
    bool Ok,
    string? Reason,
    double DownloadSeconds,
    double VerifySeconds,
    double TotalSeconds,
    long BytesFetched,
    long BytesWritten);

/// <summary>
/// Answer to done. Sent only after the machine's boot menu was flipped to local boot
/// (<see cref="Acknowledged"/> true), so the agent may then reboot safely.
/// </summary>
/// <param name="KeepSeeding">Whether the deployment still wants this machine to seed.</param>
/// <param name="SeedUntil">Hard deadline for seeding (the job's max minutes), when there is one.</param>
public sealed record DoneResponse(bool Acknowledged, bool KeepSeeding, DateTimeOffset? SeedUntil);

/// <summary>GET /api/v1/seeding?deployment=ID: does the deployment still need seeders?</summary>
public sealed record SeedingStatus(
    string DeploymentId,
    bool KeepSeeding,
    string? Reason,
    int MachinesDone,
    int MachinesTotal,
    DateTimeOffset? SeedUntil);

/// <summary>Body of every 4xx/5xx answer of the JSON API.</summary>
public sealed record ErrorResponse(string Error);
