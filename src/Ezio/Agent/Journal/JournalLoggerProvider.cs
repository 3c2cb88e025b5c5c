using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Ezio.Agent.Journal;

/// <summary>
/// An <see cref="ILoggerProvider"/> that sends every entry straight to journald over its
/// native socket (no stdout parsing), so fields survive: MESSAGE, PRIORITY,
/// SYSLOG_IDENTIFIER, CODE_FUNC (category and event), EZIO_* for each message-template
/// property and scope value, EXCEPTION with the full text. One datagram per entry; journald
/// accepts ~200 KB per datagram, so long values are cut, never the entry.
/// </summary>
internal sealed class JournalLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private const int MaxValueChars = 64 * 1024;
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;
    private readonly string _identifier;
    private IExternalScopeProvider? _scopes;

    public JournalLoggerProvider(string socketPath, string identifier)
    {
        _endPoint = new UnixDomainSocketEndPoint(socketPath);
        _identifier = identifier;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    private long _failures;

    /// <summary>Send failures seen (journald restarting, socket gone); logging never throws.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>True when journald's socket exists (File.Exists is true for sockets too).</summary>
    public static bool IsAvailable(string socketPath) => File.Exists(socketPath);

    public ILogger CreateLogger(string categoryName) => new JournalLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() => _socket.Dispose();

    internal void Write<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        using var entry = new JournalEntry();
        var message = formatter(state, exception);
        entry.Add("MESSAGE", Cut(message));
        entry.Add("PRIORITY", Priority(level).ToString(System.Globalization.CultureInfo.InvariantCulture));
        entry.Add("SYSLOG_IDENTIFIER", _identifier);
        entry.Add("CODE_FUNC", eventId.Name is { } name ? category + "." + name : category);
        entry.Add("EZIO_CATEGORY", category);
        if (eventId.Id != 0)
        {
            entry.Add("EZIO_EVENT_ID", eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        AddProperties(entry, state);
        _scopes?.ForEachScope(static (scope, e) => AddProperties(e, scope), entry);
        if (exception is not null)
        {
            entry.Add("EXCEPTION", Cut(exception.ToString()));
            entry.Add("EZIO_EXCEPTION_TYPE", exception.GetType().FullName);
        }
        try
        {
            _socket.SendTo(entry.Bytes, SocketFlags.None, _endPoint);
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref _failures);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static void AddProperties<T>(JournalEntry entry, T state)
    {
        if (state is not IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            return;
        }
        foreach (var (key, value) in pairs)
        {
            // {OriginalFormat} is the template itself; keep it as a field of its own.
            var name = key == "{OriginalFormat}" ? "EZIO_TEMPLATE" : JournalEntry.FieldName(key);
            entry.Add(name, value is null ? null : Cut(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private static string? Cut(string? text) => text is { Length: > MaxValueChars } ? text[..MaxValueChars] : text;

    /// <summary>syslog(3) priorities: 2 crit, 3 err, 4 warning, 6 info, 7 debug.</summary>
    internal static int Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    private sealed class JournalLogger(JournalLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(category, logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
