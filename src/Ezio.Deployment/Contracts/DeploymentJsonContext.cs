using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ezio.Deployment.Contracts;

/// <summary>
/// Source-generated JSON for every contract (camelCase, nulls written, AOT/trim clean).
/// Use <c>DeploymentJsonContext.Default.Job</c> etc.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false, AllowTrailingCommas = false, ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(JobResponse))]
[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(ProgressReport))]
[JsonSerializable(typeof(DoneReport))]
[JsonSerializable(typeof(DoneResponse))]
[JsonSerializable(typeof(SeedingStatus))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(CreateDeploymentRequest))]
[JsonSerializable(typeof(DeploymentInfo))]
[JsonSerializable(typeof(IReadOnlyList<DeploymentInfo>))]
[JsonSerializable(typeof(MachineInfo))]
[JsonSerializable(typeof(IReadOnlyList<MachineInfo>))]
public sealed partial class DeploymentJsonContext : JsonSerializerContext;
