namespace Ezio.Deployment.Contracts;

/// <summary>One block device as the agent sees it (lsblk / sysfs).</summary>
/// <param name="Path">Kernel name, e.g. /dev/sda.</param>
/// <param name="ByPath">Stable /dev/disk/by-path/... name, when udev has one.</param>
/// <param name="SizeBytes">BLKGETSIZE64.</param>
public sealed record DiskInfo(
    string Path,
    string? ByPath,
    long SizeBytes,
    string? Model,
    string? Serial,
    bool Removable,
    bool Rotational);

/// <summary>POST /api/v1/register. The MAC identifies the machine (the boot menus are per MAC).</summary>
/// <param name="Mac">aa:bb:cc:dd:ee:ff (dashes and upper case are accepted and normalized).</param>
/// <param name="BootId">/proc/sys/kernel/random/boot_id, so the server can tell a reboot from a retry.</param>
public sealed record RegisterRequest(
    string Mac,
    string? Ip,
    string? Hostname,
    IReadOnlyList<DiskInfo> Disks,
    long RamBytes,
    string? BootId,
    string? AgentVersion);

/// <summary>Why there is no job yet, and when to ask again.</summary>
public sealed record WaitInstruction(string Reason, int RetryAfterSeconds);

/// <summary>Answer to register: exactly one of <see cref="Job"/> or <see cref="Wait"/> is set.</summary>
/// <param name="Secret">The machine's secret, sent with every later call (<see cref="ApiRoutes.MachineSecretHeader"/>);
/// null when the registration is refused (a conflict with the machine that holds the job).</param>
public sealed record RegisterResponse(string MachineId, Job? Job, WaitInstruction? Wait, string? Secret = null);

/// <summary>GET /api/v1/job?machine=ID answers with this too (same shape as register's answer).</summary>
public sealed record JobResponse(Job? Job, WaitInstruction? Wait);
