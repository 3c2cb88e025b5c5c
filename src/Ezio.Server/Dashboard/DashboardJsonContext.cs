using System.Text.Json;
using System.Text.Json.Serialization;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Dashboard;

/// <summary>What the dashboard draws from: open deployments and their machines.</summary>
/// <param name="ServerBytesServed">Bytes the server's seeder uploaded since it started.</param>
/// <param name="Insecure">The admin API needs no token (--insecure): the page shows a warning banner.</param>
internal sealed record DashboardSnapshot(DateTimeOffset Now, IReadOnlyList<DeploymentInfo> Deployments,
    IReadOnlyList<MachineInfo> Machines, long ServerBytesServed, bool Insecure);

/// <summary>GET /api/v1/history.</summary>
internal sealed record HistorySnapshot(bool Enabled, IReadOnlyList<HistoryDeployment> Deployments, IReadOnlyList<HistoryMachine> Machines);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(DashboardSnapshot))]
[JsonSerializable(typeof(HistorySnapshot))]
[JsonSerializable(typeof(DeploymentInfo))]
[JsonSerializable(typeof(MachineInfo))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
