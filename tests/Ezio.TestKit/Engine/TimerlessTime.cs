namespace Ezio.TestKit.Engine;

/// <summary>
/// The system clock without timers: a session given it never runs its periodic tick (no rate
/// updates, sweeps or keep-alives), so what it does follows from the messages it gets alone.
/// </summary>
public sealed class TimerlessTime : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new IdleTimer();

    private sealed class IdleTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
