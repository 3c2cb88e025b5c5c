using Ezio.Server.Deployments;
using Microsoft.Data.Sqlite;

namespace Ezio.Server.Dashboard;

/// <summary>A past (or running) deployment as the history keeps it.</summary>
internal sealed record HistoryDeployment(string Id, string Image, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt,
    string State, int Machines, int Done, int Failed);

/// <summary>Who got which image when, how long it took, and how it ended.</summary>
internal sealed record HistoryMachine(string DeploymentId, string Image, string Mac, string? Ip, string? Hostname,
    DateTimeOffset FinishedAt, double Seconds, bool Ok, string? Reason, long BytesFetched, long BytesWritten);

/// <summary>
/// Deployment history in SQLite (Microsoft.Data.Sqlite over the bundled e_sqlite3; no ORM, so
/// nothing reflects over types and Native AOT stays clean). Fed by <see cref="IDeploymentEvents"/>;
/// one connection behind a lock: writes are a few per machine per deployment.
/// </summary>
internal sealed partial class DeploymentHistory : BackgroundService
{
    public const int MaxRows = 200;

    private readonly Lock _lock = new();
    private readonly IDeploymentEvents _events;
    private readonly ILogger<DeploymentHistory> _logger;
    private readonly SqliteConnection? _connection;

    public DeploymentHistory(string? path, IDeploymentEvents events, ILogger<DeploymentHistory> logger)
    {
        _events = events;
        _logger = logger;
        if (path is null)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            _connection.Open();
            Execute("""
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS deployments (
                  id TEXT PRIMARY KEY, image TEXT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT,
                  state TEXT NOT NULL, machines INTEGER NOT NULL, done INTEGER NOT NULL, failed INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS machine_results (
                  deployment_id TEXT NOT NULL, image TEXT NOT NULL, mac TEXT NOT NULL, ip TEXT, hostname TEXT,
                  finished_at TEXT NOT NULL, seconds REAL NOT NULL, ok INTEGER NOT NULL, reason TEXT,
                  bytes_fetched INTEGER NOT NULL, bytes_written INTEGER NOT NULL,
                  PRIMARY KEY (deployment_id, mac));
                """);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            Log.OpenFailed(_logger, path, e);
            _connection?.Dispose();
            _connection = null;
        }
    }

    public bool Enabled => _connection is not null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_connection is null)
        {
            return;
        }
        var reader = _events.Subscribe(stoppingToken);
        try
        {
            await foreach (var change in reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    Record(change);
                }
                catch (SqliteException e)
                {
                    Log.WriteFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }

    internal void Record(DeploymentEvent change)
    {
        if (change.Deployment is { } d)
        {
            Execute("""
                INSERT INTO deployments VALUES ($id, $image, $created, $finished, $state, $machines, $done, $failed)
                ON CONFLICT(id) DO UPDATE SET finished_at=$finished, state=$state, machines=$machines, done=$done, failed=$failed
                """,
                ("$id", d.Id), ("$image", d.Image), ("$created", d.CreatedAt.ToString("O")), ("$finished", d.FinishedAt?.ToString("O")),
                ("$state", d.State.ToString().ToLowerInvariant()), ("$machines", d.Machines.Count), ("$done", d.MachinesDone), ("$failed", d.MachinesFailed));
        }
        if (change is { Kind: DeploymentEventKind.MachineDone, Machine: { } m, Deployment: { } dd, Report: { } r })
        {
            Execute("""
                INSERT OR REPLACE INTO machine_results VALUES ($dep, $image, $mac, $ip, $host, $at, $seconds, $ok, $reason, $fetched, $written)
                """,
                ("$dep", dd.Id), ("$image", dd.Image), ("$mac", m.Mac), ("$ip", m.Ip), ("$host", m.Hostname), ("$at", change.At.ToString("O")),
                ("$seconds", r.TotalSeconds), ("$ok", r.Ok ? 1 : 0), ("$reason", r.Reason), ("$fetched", r.BytesFetched), ("$written", r.BytesWritten));
        }
    }

    public IReadOnlyList<HistoryDeployment> Deployments()
    {
        var rows = new List<HistoryDeployment>();
        lock (_lock)
        {
            if (_connection is null)
            {
                return rows;
            }
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT id, image, created_at, finished_at, state, machines, done, failed FROM deployments ORDER BY created_at DESC LIMIT {MaxRows}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new HistoryDeployment(reader.GetString(0), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2)),
                    reader.IsDBNull(3) ? null : DateTimeOffset.Parse(reader.GetString(3)), reader.GetString(4),
                    reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7)));
            }
        }
        return rows;
    }

    public IReadOnlyList<HistoryMachine> Machines()
    {
        var rows = new List<HistoryMachine>();
        lock (_lock)
        {
            if (_connection is null)
            {
                return rows;
            }
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT deployment_id, image, mac, ip, hostname, finished_at, seconds, ok, reason, bytes_fetched, bytes_written " +
                $"FROM machine_results ORDER BY finished_at DESC LIMIT {MaxRows}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new HistoryMachine(reader.GetString(0), reader.GetString(1), reader.GetString(2), NullableString(reader, 3),
                    NullableString(reader, 4), DateTimeOffset.Parse(reader.GetString(5)), reader.GetDouble(6), reader.GetInt32(7) != 0,
                    NullableString(reader, 8), reader.GetInt64(9), reader.GetInt64(10)));
            }
        }
        return rows;
    }

    public override void Dispose()
    {
        lock (_lock)
        {
            _connection?.Dispose();
        }
        base.Dispose();
    }

    private static string? NullableString(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private void Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        lock (_lock)
        {
            SqliteStatements.Execute(_connection, sql, parameters);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Error, Message = "Cannot open the history database {Path}; history is off")]
        public static partial void OpenFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Cannot write to the history database")]
        public static partial void WriteFailed(ILogger logger, Exception exception);
    }
}
