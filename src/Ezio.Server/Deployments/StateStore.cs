using System.Text.Json;
using System.Text.Json.Serialization;
using Ezio.Deployment.Contracts;
using Microsoft.Data.Sqlite;

namespace Ezio.Server.Deployments;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ServerState))]
[JsonSerializable(typeof(MachineRecord))]
[JsonSerializable(typeof(DeploymentRecord))]
[JsonSerializable(typeof(DiskInfo))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

/// <summary>
/// Deployments and machines in SQLite (<c>&lt;state&gt;/state.db</c>, mode 0600: it holds the
/// machines' secrets), one row per record, written when that record changes: a registration
/// costs one small upsert, whatever the number of machines. A <c>state.json</c> of an older
/// server is imported once and renamed to <c>state.json.imported</c>. Null directory: memory only.
/// The manager calls it under its own lock, so one connection without a lock of its own serves.
/// </summary>
internal sealed class StateStore : IDisposable
{
    public const string FileName = "state.db";
    private readonly string? _directory;
    private SqliteConnection? _connection;
    private int _depth;

    public StateStore(string? directory)
    {
        _directory = directory;
    }

    /// <summary>Opens (and creates) the database and reads every row; imports a state.json first when one is there.</summary>
    public ServerState Load()
    {
        if (_directory is null)
        {
            return new ServerState();
        }
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, FileName);
        if (!File.Exists(path) && !OperatingSystem.IsWindows())
        {
            // Created owner-only before SQLite opens it; its -wal and -shm files take the same mode.
            File.Create(path, 0, FileOptions.None).Dispose();
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        // WAL with synchronous=NORMAL: a commit is one append to the log, safe against a crash of
        // the process; the boot menus, not this file, are what a machine boots from.
        Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS deployments (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, json TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS machines (mac TEXT PRIMARY KEY, json TEXT NOT NULL);
            """);
        ImportJsonOnce();
        var state = new ServerState { NextDeployment = long.TryParse(Meta("next_deployment"), out var next) ? next : 1 };
        foreach (var json in Column("SELECT json FROM deployments ORDER BY created_at, id"))
        {
            state.Deployments.Add(JsonSerializer.Deserialize(json, StateJsonContext.Default.DeploymentRecord)!);
        }
        foreach (var json in Column("SELECT json FROM machines ORDER BY rowid"))
        {
            state.Machines.Add(JsonSerializer.Deserialize(json, StateJsonContext.Default.MachineRecord)!);
        }
        return state;
    }

    public void SaveDeployment(DeploymentRecord deployment, long nextDeployment)
    {
        if (_connection is null)
        {
            return;
        }
        // One transaction: the id counter never lags behind a saved deployment.
        InTransaction(() =>
        {
            Execute("INSERT INTO deployments VALUES ($id, $created, $json) ON CONFLICT(id) DO UPDATE SET json=$json",
                ("$id", deployment.Id), ("$created", deployment.CreatedAt.ToString("O")), ("$json", JsonSerializer.Serialize(deployment, StateJsonContext.Default.DeploymentRecord)));
            SaveNext(nextDeployment);
        });
    }

    public void SaveMachine(MachineRecord machine) =>
        Execute("INSERT INTO machines VALUES ($mac, $json) ON CONFLICT(mac) DO UPDATE SET json=$json",
            ("$mac", machine.Mac), ("$json", JsonSerializer.Serialize(machine, StateJsonContext.Default.MachineRecord)));

    public void DeleteMachine(string mac) => Execute("DELETE FROM machines WHERE mac=$mac", ("$mac", mac));

    public void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
    }

    /// <summary>The state.json of a server before this store: its rows go in once, then the file is set aside.</summary>
    private void ImportJsonOnce()
    {
        var json = Path.Combine(_directory!, "state.json");
        if (!File.Exists(json) || Meta("imported") is not null)
        {
            return;
        }
        ServerState old;
        using (var stream = File.OpenRead(json))
        {
            old = JsonSerializer.Deserialize(stream, StateJsonContext.Default.ServerState) ?? new ServerState();
        }
        InTransaction(() =>
        {
            foreach (var d in old.Deployments)
            {
                SaveDeployment(d, old.NextDeployment);
            }
            SaveNext(old.NextDeployment);
            foreach (var m in old.Machines)
            {
                SaveMachine(m);
            }
            Execute("INSERT INTO meta VALUES ('imported', $at)", ("$at", DateTimeOffset.UtcNow.ToString("O")));
        });
        File.Move(json, json + ".imported", overwrite: true);
    }

    private void SaveNext(long next) =>
        Execute("INSERT INTO meta VALUES ('next_deployment', $next) ON CONFLICT(key) DO UPDATE SET value=$next",
            ("$next", next.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>BEGIN ... COMMIT around <paramref name="body"/>; nested calls join the outer transaction.</summary>
    private void InTransaction(Action body)
    {
        if (_depth++ == 0)
        {
            Execute("BEGIN IMMEDIATE");
        }
        try
        {
            body();
            if (_depth == 1)
            {
                Execute("COMMIT");
            }
        }
        catch when (_depth == 1)
        {
            Execute("ROLLBACK");
            throw;
        }
        finally
        {
            _depth--;
        }
    }

    private string? Meta(string key)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key=$key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    private List<string> Column(string sql)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }

    private void Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        SqliteStatements.Execute(_connection, sql, parameters);
}
