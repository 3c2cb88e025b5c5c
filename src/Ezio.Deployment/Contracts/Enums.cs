using System.Text.Json.Serialization;

namespace Ezio.Deployment.Contracts;

/// <summary>How the agent picks the disk it writes. Serialized as "auto", "by-path", "serial", "wwn".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TargetDiskKind>))]
public enum TargetDiskKind
{
    /// <summary>
    /// The only disk at least as large as the image, with its logical sector size, that is not
    /// removable, on USB, SD/MMC or FireWire, or the live system's medium.
    /// </summary>
    [JsonStringEnumMemberName("auto")]
    Auto,

    /// <summary>Value is a /dev/disk/by-path/... name.</summary>
    [JsonStringEnumMemberName("by-path")]
    ByPath,

    /// <summary>Value is the disk's serial number.</summary>
    [JsonStringEnumMemberName("serial")]
    Serial,

    /// <summary>Value is the disk's World Wide Name (naa.…, 0x…, or a /dev/disk/by-id/wwn-… name).</summary>
    [JsonStringEnumMemberName("wwn")]
    Wwn,
}

/// <summary>What the machine does once the server no longer needs it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AfterAction>))]
public enum AfterAction
{
    [JsonStringEnumMemberName("reboot")]
    Reboot,

    [JsonStringEnumMemberName("poweroff")]
    Poweroff,

    [JsonStringEnumMemberName("stay")]
    Stay,
}

/// <summary>The agent's lifecycle, as it reports it in <see cref="ProgressReport"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeployPhase>))]
public enum DeployPhase
{
    [JsonStringEnumMemberName("registered")]
    Registered,

    [JsonStringEnumMemberName("checking")]
    Checking,

    [JsonStringEnumMemberName("partitioning")]
    Partitioning,

    [JsonStringEnumMemberName("downloading")]
    Downloading,

    [JsonStringEnumMemberName("verifying")]
    Verifying,

    [JsonStringEnumMemberName("finishing")]
    Finishing,

    [JsonStringEnumMemberName("seeding")]
    Seeding,

    [JsonStringEnumMemberName("done")]
    Done,

    [JsonStringEnumMemberName("failed")]
    Failed,
}

/// <summary>Life of a deployment on the server.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeploymentState>))]
public enum DeploymentState
{
    /// <summary>Machines are deploying; the server seeds and tracks.</summary>
    [JsonStringEnumMemberName("active")]
    Active,

    /// <summary>Every machine reported; seeding continues while the policy asks for it.</summary>
    [JsonStringEnumMemberName("finishing")]
    Finishing,

    /// <summary>Over: seeder stopped, tracker answers with a failure reason.</summary>
    [JsonStringEnumMemberName("finished")]
    Finished,

    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}
