using Microsoft.Data.Sqlite;

namespace Ezio.Server.Deployments;

/// <summary>One parameterised statement on a store's connection; shared by the server's SQLite stores.</summary>
internal static class SqliteStatements
{
    /// <summary>Runs <paramref name="sql"/> with its named parameters (null as SQL NULL); nothing when the store has no connection.</summary>
    public static void Execute(SqliteConnection? connection, string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (connection is null)
        {
            return;
        }
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        command.ExecuteNonQuery();
    }
}
