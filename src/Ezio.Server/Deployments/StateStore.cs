using System.Text.Json;
using System.Text.Json.Serialization;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Deployments;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ServerState))]
[JsonSerializable(typeof(DiskInfo))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

/// <summary>Loads and saves <c>&lt;state&gt;/state.json</c> (temp file + rename). Null directory: memory only.</summary>
internal sealed class StateStore(string? directory)
{
    private string? FilePath => directory is null ? null : Path.Combine(directory, "state.json");

    public ServerState Load()
    {
        if (FilePath is not { } path || !File.Exists(path))
        {
            return new ServerState();
        }
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, StateJsonContext.Default.ServerState) ?? new ServerState();
    }

    public void Save(ServerState state)
    {
        if (FilePath is not { } path)
        {
            return;
        }
        Directory.CreateDirectory(directory!);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, state, StateJsonContext.Default.ServerState);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
