using Microsoft.Extensions.Logging;

namespace Ezio.TestKit.Engine;

/// <summary>
/// A logger that counts entries by event id and lets a test await a count: what the code
/// under test logs as it decides is the signal, instead of a poll of its state.
/// </summary>
public sealed class LogEvents : ILogger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, int> _counts = [];
    private readonly List<(int[] EventIds, int Count, TaskCompletionSource Reached)> _waiters = [];

    /// <summary>Entries logged so far under any of <paramref name="eventIds"/>.</summary>
    public int Count(params int[] eventIds)
    {
        lock (_lock)
        {
            return Sum(eventIds);
        }
    }

    /// <summary>Completes once <paramref name="count"/> entries were logged under any of <paramref name="eventIds"/>.</summary>
    public Task WhenCountAsync(int count, params int[] eventIds)
    {
        lock (_lock)
        {
            if (Sum(eventIds) >= count)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((eventIds, count, reached));
            return reached.Task;
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _counts[eventId.Id] = _counts.GetValueOrDefault(eventId.Id) + 1;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (Sum(_waiters[i].EventIds) >= _waiters[i].Count)
                {
                    _waiters[i].Reached.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private int Sum(int[] eventIds) => eventIds.Sum(id => _counts.GetValueOrDefault(id));
}
