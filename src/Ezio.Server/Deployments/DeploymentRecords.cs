using Ezio.Deployment.Contracts;

namespace Ezio.Server.Deployments;

/// <summary>A deployment as the server keeps and persists it. Mutated only under the manager's lock.</summary>
internal sealed class DeploymentRecord
{
    public required string Id { get; init; }
    public required string Image { get; init; }
    public required string InfoHash { get; init; }
    public long ImageSizeBytes { get; init; }
    public DeploymentState State { get; set; }
    public AfterAction After { get; init; }
    public TargetDiskRule TargetDisk { get; init; } = new(TargetDiskKind.Auto, null);
    public SeedingPolicy Seeding { get; init; } = new(true, 60);
    public bool GrowLastPartition { get; init; }
    public bool VerifyAfterWrite { get; init; }
    public string? PartitionTable { get; init; }

    /// <summary>Multi-disk images: every disk (with the serial of its target under <see cref="DiskMapping.Serial"/>).</summary>
    public List<JobDisk>? Disks { get; init; }
    public DiskMapping DiskMapping { get; init; }

    /// <summary>How machines lay out disks of other sizes (null: the image's layout).</summary>
    public DiskResize? Resize { get; init; }
    public Dictionary<string, string> Hostnames { get; init; } = [];

    /// <summary>See <see cref="Deployments.HostnameTemplate"/>; the <see cref="Hostnames"/> map wins.</summary>
    public string? HostnameTemplate { get; init; }
    public bool AllMachines { get; init; }

    /// <summary>Normalized MACs named by the deployment, plus those that joined an "all" deployment.</summary>
    public List<string> Machines { get; init; } = [];
    public List<string> Done { get; init; } = [];
    public List<string> Failed { get; init; } = [];
    public int StopAfterCompleted { get; init; }
    public int TimeoutMinutes { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int Completed { get; set; }

    /// <summary>The hostname post-step's name for <paramref name="mac"/>, or null for none.</summary>
    public string? HostnameFor(string mac) =>
        Hostnames.GetValueOrDefault(mac)
        ?? (HostnameTemplate is { } template ? Deployments.HostnameTemplate.Render(template, mac, Machines.IndexOf(mac) + 1) : null);

    public bool IsOpen => State is DeploymentState.Active or DeploymentState.Finishing;

    public bool AllReported => Machines.Count > 0 && Machines.All(m => Done.Contains(m) || Failed.Contains(m));

    public DeploymentInfo ToInfo() => new(Id, Image, InfoHash, State, After, CreatedAt, FinishedAt, AllMachines,
        Machines.ToArray(), Done.Count, Failed.Count, Completed);
}

/// <summary>A machine as last seen. Keyed by its normalized MAC.</summary>
internal sealed class MachineRecord
{
    public required string MachineId { get; init; }
    public required string Mac { get; init; }
    public string? Ip { get; set; }
    public string? Hostname { get; set; }
    public string? BootId { get; set; }
    public string? AgentVersion { get; set; }
    public long RamBytes { get; set; }
    public List<DiskInfo> Disks { get; set; } = [];
    public string? DeploymentId { get; set; }
    public DeployPhase Phase { get; set; }
    public long BytesDone { get; set; }
    public long BytesTotal { get; set; }
    public long RateIn { get; set; }
    public long RateOut { get; set; }
    public int Peers { get; set; }
    public string? Message { get; set; }
    public DateTimeOffset LastSeen { get; set; }
    public DateTimeOffset? DoneAt { get; set; }

    /// <summary>The secret of the machine's current registration (sent back on every call), or null.</summary>
    public string? Secret { get; set; }

    /// <summary>Socket address of the registration that got <see cref="Secret"/>.</summary>
    public string? SecretAddress { get; set; }

    /// <summary>Address of a second registration while the job was held: the job is paused until released.</summary>
    public string? Conflict { get; set; }

    public MachineInfo ToInfo() => new(MachineId, Mac, Ip, Hostname, DeploymentId, Phase, BytesDone, BytesTotal,
        RateIn, RateOut, Peers, Message, LastSeen, Disks.ToArray(), Conflict);
}

/// <summary>The JSON state file.</summary>
internal sealed class ServerState
{
    public int Version { get; set; } = 1;
    public long NextDeployment { get; set; } = 1;
    public List<DeploymentRecord> Deployments { get; set; } = [];
    public List<MachineRecord> Machines { get; set; } = [];
}
