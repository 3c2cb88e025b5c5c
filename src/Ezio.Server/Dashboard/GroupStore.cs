using System.Text.Json;
using Ezio.Deployment.Contracts;
using Ezio.Server.Deployments;
using Microsoft.Data.Sqlite;

namespace Ezio.Server.Dashboard;

/// <summary>
/// Named groups of machines ("room 204"), in a <c>groups</c> table of the server's state.db
/// (its own connection; a group is saved when the admin edits it). Memory only without a
/// state directory.
/// </summary>
internal sealed class GroupStore : IDisposable
{
    public const int MaxGroups = 1000;
    public const int MaxNameLength = 64;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, MachineGroup> _groups = new(StringComparer.Ordinal);
    private readonly SqliteConnection? _connection;

    public GroupStore(string? stateDirectory)
    {
        if (stateDirectory is null)
        {
            return;
        }
        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, StateStore.FileName);
        if (!File.Exists(path) && !OperatingSystem.IsWindows())
        {
            File.Create(path, 0, FileOptions.None).Dispose();
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, json TEXT NOT NULL)");
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT json FROM groups";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var group = JsonSerializer.Deserialize(reader.GetString(0), ConsoleJsonContext.Default.MachineGroup)!;
            _groups[group.Name] = group;
        }
    }

    public IReadOnlyList<MachineGroup> List()
    {
        lock (_lock)
        {
            return _groups.Values.ToList();
        }
    }

    public MachineGroup? Find(string name)
    {
        lock (_lock)
        {
            return _groups.GetValueOrDefault(name);
        }
    }

    /// <summary>Creates or replaces a group; the error says what is wrong with the name or a MAC.</summary>
    public ApiOutcome<MachineGroup> Save(string? name, IReadOnlyList<string>? machines)
    {
        if (!IsValidName(name))
        {
            return ApiOutcome<MachineGroup>.Fail(400, $"group name: 1-{MaxNameLength} letters, digits, spaces, '-', '_' or '.'");
        }
        if (machines is null || machines.Count > 10000)
        {
            return ApiOutcome<MachineGroup>.Fail(400, "machines: give 0-10000 MAC addresses");
        }
        var macs = new List<string>();
        foreach (var text in machines)
        {
            if (!MacAddress.TryNormalize(text, out var mac))
            {
                return ApiOutcome<MachineGroup>.Fail(400, $"not a MAC address: '{(text is { Length: > 40 } ? text[..40] + "…" : text)}'");
            }
            if (!macs.Contains(mac))
            {
                macs.Add(mac);
            }
        }
        var group = new MachineGroup(name!, macs);
        lock (_lock)
        {
            if (!_groups.ContainsKey(group.Name) && _groups.Count >= MaxGroups)
            {
                return ApiOutcome<MachineGroup>.Fail(409, $"at most {MaxGroups} groups");
            }
            Execute("INSERT INTO groups VALUES ($name, $json) ON CONFLICT(name) DO UPDATE SET json=$json",
                ("$name", group.Name), ("$json", JsonSerializer.Serialize(group, ConsoleJsonContext.Default.MachineGroup)));
            _groups[group.Name] = group;
        }
        return ApiOutcome<MachineGroup>.Ok(group);
    }

    public bool Delete(string name)
    {
        lock (_lock)
        {
            if (!_groups.Remove(name))
            {
                return false;
            }
            Execute("DELETE FROM groups WHERE name=$name", ("$name", name));
            return true;
        }
    }

    public void Dispose() => _connection?.Dispose();

    private static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.Trim() == name
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '-' or '_' or '.');

    private void Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        SqliteStatements.Execute(_connection, sql, parameters);
}
