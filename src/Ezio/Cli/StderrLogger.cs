using Microsoft.Extensions.Logging;

namespace Ezio.Cli;

/// <summary>
/// Warnings and errors of the engine (hash failures, bans, tracker trouble) as plain lines on
/// stderr for `ezio get` and `ezio seed`: the progress line says how far, these say what went
/// wrong and with whom.
/// </summary>
internal sealed class StderrLogger : ILogger
{
    public static readonly StderrLogger Instance = new();

    private StderrLogger()
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var level = logLevel == LogLevel.Warning ? "warning" : "error";
        var text = formatter(state, exception);
        Console.Error.WriteLine(exception is null ? $"ezio: {level}: {text}" : $"ezio: {level}: {text}: {exception.Message}");
    }
}
