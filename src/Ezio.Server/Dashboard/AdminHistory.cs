using Ezio.Server.Deployments;
using Microsoft.Data.Sqlite;

namespace Ezio.Server.Dashboard;

/// <summary>
/// Who did what: every admin call that changes something (dashboard or CLI, they share the
/// API) goes to an <c>admin_actions</c> table of the history database with the actor the
/// client named (<c>X-Ezio-Actor</c>), the socket's address and the answer's status. Also reads
/// the history's machine results for the machines page and the deployment report.
/// Without a history database the last <see cref="MaxRows"/> actions stay in memory.
/// </summary>
internal sealed class AdminHistory : IDisposable
{
    public const string ActorHeader = "X-Ezio-Actor";
    public const int MaxRows = 200;

    private readonly Lock _lock = new();
    private readonly SqliteConnection? _connection;
    private readonly LinkedList<AdminAction> _memory = new();
    private readonly TimeProvider _time;
    private readonly ILogger<AdminHistory> _logger;

    /// <param name="history">Constructed first: it creates the history database and its tables.</param>
    public AdminHistory(string? path, DeploymentHistory history, TimeProvider time, ILogger<AdminHistory> logger)
    {
        _time = time;
        _logger = logger;
        if (path is null || !history.Enabled)
        {
            return;
        }
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        using var command = _connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS admin_actions (
              at TEXT NOT NULL, actor TEXT NOT NULL, address TEXT, action TEXT NOT NULL, status INTEGER NOT NULL);
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The endpoint filter of the admin API: records every call but plain reads, with the
    /// status its answer carries, before the answer goes out (so a client reading the actions
    /// right after sees its own).
    /// </summary>
    public static async ValueTask<object?> RecordFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context).ConfigureAwait(false);
        var http = context.HttpContext;
        if (!HttpMethods.IsGet(http.Request.Method) && http.RequestServices.GetService(typeof(AdminHistory)) is AdminHistory self)
        {
            var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
            self.Record(ActorOf(http), AgentAddress(http), http.Request.Method + " " + http.Request.Path.Value, status);
        }
        return result;
    }

    public void Record(string actor, string? address, string action, int status)
    {
        DeploymentActionsLog.Action(_logger, actor, address, action, status);
        var row = new AdminAction(_time.GetUtcNow(), actor, address, action.Length > 300 ? action[..300] : action, status);
        lock (_lock)
        {
            if (_connection is null)
            {
                _memory.AddFirst(row);
                if (_memory.Count > MaxRows)
                {
                    _memory.RemoveLast();
                }
                return;
            }
            try
            {
                using var command = _connection.CreateCommand();
                command.CommandText = "INSERT INTO admin_actions VALUES ($at, $actor, $address, $action, $status)";
                command.Parameters.AddWithValue("$at", row.At.ToString("O"));
                command.Parameters.AddWithValue("$actor", row.Actor);
                command.Parameters.AddWithValue("$address", (object?)row.Address ?? DBNull.Value);
                command.Parameters.AddWithValue("$action", row.Action);
                command.Parameters.AddWithValue("$status", row.Status);
                command.ExecuteNonQuery();
            }
            catch (SqliteException e)
            {
                DeploymentsLog.SaveFailed(_logger, e);
            }
        }
    }

    /// <summary>The latest actions, newest first.</summary>
    public IReadOnlyList<AdminAction> Actions()
    {
        lock (_lock)
        {
            if (_connection is null)
            {
                return _memory.ToList();
            }
            var rows = new List<AdminAction>();
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT at, actor, address, action, status FROM admin_actions ORDER BY rowid DESC LIMIT {MaxRows}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new AdminAction(DateTimeOffset.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetInt32(4)));
            }
            return rows;
        }
    }

    /// <summary>Every recorded result of one deployment.</summary>
    public IReadOnlyList<HistoryMachine> Results(string deploymentId) =>
        Query("WHERE deployment_id=$id ORDER BY seconds", ("$id", deploymentId));

    /// <summary>Each MAC's latest result.</summary>
    public Dictionary<string, HistoryMachine> LastResults()
    {
        var last = new Dictionary<string, HistoryMachine>(StringComparer.Ordinal);
        foreach (var row in Query("WHERE rowid IN (SELECT rowid FROM machine_results r WHERE r.finished_at = (SELECT MAX(finished_at) FROM machine_results x WHERE x.mac = r.mac))"))
        {
            last[row.Mac] = row;
        }
        return last;
    }

    public void Dispose() => _connection?.Dispose();

    private List<HistoryMachine> Query(string where, params ReadOnlySpan<(string Name, object Value)> parameters)
    {
        var rows = new List<HistoryMachine>();
        lock (_lock)
        {
            if (_connection is null)
            {
                return rows;
            }
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT deployment_id, image, mac, ip, hostname, finished_at, seconds, ok, reason, bytes_fetched, bytes_written FROM machine_results " + where;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new HistoryMachine(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), DateTimeOffset.Parse(reader.GetString(5), System.Globalization.CultureInfo.InvariantCulture),
                    reader.GetDouble(6), reader.GetInt32(7) != 0, reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt64(9), reader.GetInt64(10)));
            }
        }
        return rows;
    }

    /// <summary>The name the client gave (printable ASCII, at most 64 characters), else "admin".</summary>
    private static string ActorOf(HttpContext context)
    {
        var given = context.Request.Headers[ActorHeader].ToString().Trim();
        return given.Length is > 0 and <= 64 && given.All(c => c is >= ' ' and <= '~') ? given : "admin";
    }

    private static string? AgentAddress(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
}
