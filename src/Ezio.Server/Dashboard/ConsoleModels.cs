using System.Text.Json;
using System.Text.Json.Serialization;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Dashboard;

/// <summary>GET /api/v1/images: what the admin picks an image by.</summary>
/// <param name="MinDiskBytes">The smallest disk the image fits on (its captured disk, or its data).</param>
/// <param name="Partitions">Partitions in its partition tables (0 for a plain data image).</param>
/// <param name="CreatedAt">When its torrent was written.</param>
/// <param name="ResizeMinDiskBytes">The smallest disk a resized layout fits on; null when the image cannot be laid out anew.</param>
/// <param name="DefaultResize">The policy a deployment gets when its request names none.</param>
internal sealed record ImageSummary(string Name, long SizeBytes, long MinDiskBytes, int Partitions, int Disks, DateTimeOffset? CreatedAt,
    long? ResizeMinDiskBytes = null, ResizePolicy DefaultResize = ResizePolicy.None);

/// <summary>A named list of machines ("room 204"), kept in the server's state.</summary>
internal sealed record MachineGroup(string Name, IReadOnlyList<string> Machines);

/// <summary>POST /api/v1/wake: magic packets to these MACs (or the group's).</summary>
/// <param name="Broadcast">IPv4 broadcast address; null: the server's wakeBroadcast setting.</param>
internal sealed record WakeRequest(IReadOnlyList<string>? Machines, string? Group = null, string? Broadcast = null, int Port = 9);

internal sealed record WakeResult(int Sent, string Broadcast, int Port);

/// <summary>POST /api/v1/machines/{mac}/replace: the machine that takes its place, if any.</summary>
internal sealed record ReplaceRequest(string? Replacement);

/// <summary>One admin action, as the history keeps it: who, from where, what, and how it ended.</summary>
internal sealed record AdminAction(DateTimeOffset At, string Actor, string? Address, string Action, int Status);

/// <summary>A known machine with its last result, for the machines page.</summary>
internal sealed record MachineOverview(MachineInfo Machine, string? LastImage, bool? LastOk, string? LastReason, DateTimeOffset? LastFinishedAt);

/// <summary>Aggregate rates of the open deployments, sampled every couple of seconds (bytes per second).</summary>
/// <param name="ServerRate">What the server's seeder uploaded per second over the interval.</param>
internal sealed record RateSample(long Seq, DateTimeOffset At, long RateIn, long RateOut, long ServerRate);

/// <summary>How many of the seeder's peers hold each region of a deployment's image.</summary>
internal sealed record PieceMap(string DeploymentId, int Peers, IReadOnlyList<double> Regions);

/// <summary>GET /api/v1/dashboard/series?after=SEQ: samples newer than SEQ and the piece maps now.</summary>
/// <param name="LineRate">The server's line rate in bytes per second (config lineRateMbit), 0 when unknown.</param>
internal sealed record SeriesSnapshot(long LineRate, int IntervalSeconds, IReadOnlyList<RateSample> Samples, IReadOnlyList<PieceMap> PieceMaps);

/// <summary>After (or during) a deployment: time to done per machine and where the bytes came from.</summary>
/// <param name="ServerBytes">Bytes the server's seeder uploaded for this deployment while this server ran (null: not measured).</param>
/// <param name="ServerCopies">ServerBytes over the image's size: copies of the image the server sent.</param>
internal sealed record DeploymentReport(string Id, string Image, string State, long ImageSizeBytes, DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt, IReadOnlyList<ReportMachine> Machines, long BytesFetched, long? ServerBytes, double? ServerCopies);

internal sealed record ReportMachine(string Mac, string? Hostname, double Seconds, bool Ok, string? Reason, long BytesFetched);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(IReadOnlyList<ImageSummary>))]
[JsonSerializable(typeof(IReadOnlyList<MachineGroup>))]
[JsonSerializable(typeof(MachineGroup))]
[JsonSerializable(typeof(WakeRequest))]
[JsonSerializable(typeof(WakeResult))]
[JsonSerializable(typeof(ReplaceRequest))]
[JsonSerializable(typeof(IReadOnlyList<AdminAction>))]
[JsonSerializable(typeof(IReadOnlyList<MachineOverview>))]
[JsonSerializable(typeof(SeriesSnapshot))]
[JsonSerializable(typeof(DeploymentReport))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
